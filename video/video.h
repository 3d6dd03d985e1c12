// drivelab/video: writing frames to files. The format follows the file name:
//   *.gif  animated GIF (giflib, always available)
//   *.mp4  H.264 through an `ffmpeg` command on the PATH (raw RGB frames piped to it); an error naming
//          the missing command when there is none
// and still images: *.png (stb_image_write) or *.ppm. Every file is written to a temporary name and
// renamed when complete.
#pragma once
#include <memory>
#include <string>

#include "render/raster/raster.h"

namespace dl::video {

class VideoWriter {
 public:
  virtual ~VideoWriter() = default;
  virtual void add_frame(const raster::Image& frame) = 0;
  virtual void finish() = 0;  // completes the file; without it the temporary file is removed
  virtual int frames() const = 0;
};

// frame_interval_s: simulated time between recorded frames (the playback speed is real time).
// Throws std::invalid_argument for an unknown extension, std::runtime_error when the file cannot be made.
std::unique_ptr<VideoWriter> open_video(const std::string& path, int width, int height, double frame_interval_s);

bool ffmpeg_available();

// PNG or PPM by extension.
void write_image(const raster::Image& image, const std::string& path);

}  // namespace dl::video
