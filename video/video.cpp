#include "video/video.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "video/gif.h"
#include "io/files.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>

namespace dl::video {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

// Quotes a path for /bin/sh.
std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

class GifVideo : public VideoWriter {
 public:
  GifVideo(const std::string& path, int w, int h, double interval_s)
      : gif_(path, w, h, std::max(1, static_cast<int>(std::lround(interval_s * 100)))) {}
  void add_frame(const raster::Image& frame) override { gif_.add_frame(frame); }
  void finish() override { gif_.finish(); }
  int frames() const override { return gif_.frames(); }

 private:
  GifWriter gif_;
};

class Mp4Video : public VideoWriter {
 public:
  Mp4Video(const std::string& path, int w, int h, double interval_s)
      : path_(path), tmp_(path + ".tmp.mp4"), width_(w), height_(h) {
    io::check_replaceable(path);
    if (!ffmpeg_available())
      throw std::runtime_error(path + ": MP4 needs the `ffmpeg` command, which is not on the PATH (install ffmpeg, or record a .gif)");
    // H.264 in yuv420p needs even dimensions; pad rather than scale so pixels stay as rendered.
    const std::string cmd = "ffmpeg -y -loglevel error -f rawvideo -pix_fmt rgb24 -s " + std::to_string(w) + "x" +
                            std::to_string(h) + " -framerate " + std::to_string(1.0 / interval_s) +
                            " -i - -vf 'pad=ceil(iw/2)*2:ceil(ih/2)*2' -pix_fmt yuv420p -c:v libx264 " +
                            shell_quote(tmp_);
    pipe_ = popen(cmd.c_str(), "w");
    if (!pipe_) throw std::runtime_error(path + ": cannot start ffmpeg");
  }
  ~Mp4Video() override {
    if (!pipe_) return;
    pclose(pipe_);
    std::remove(tmp_.c_str());
  }
  void add_frame(const raster::Image& frame) override {
    if (frame.width != width_ || frame.height != height_) throw std::invalid_argument(path_ + ": frame size changed");
    if (std::fwrite(frame.rgb.data(), 1, frame.rgb.size(), pipe_) != frame.rgb.size())
      throw std::runtime_error(path_ + ": ffmpeg stopped accepting frames");
    ++frames_;
  }
  void finish() override {
    const int status = pclose(pipe_);
    pipe_ = nullptr;
    if (status != 0) {
      std::remove(tmp_.c_str());
      throw std::runtime_error(path_ + ": ffmpeg failed (exit status " + std::to_string(status) + ")");
    }
    io::commit_temp_file(tmp_, path_);
  }
  int frames() const override { return frames_; }

 private:
  std::string path_, tmp_;
  int width_, height_;
  int frames_ = 0;
  FILE* pipe_ = nullptr;
};

}  // namespace

bool ffmpeg_available() { return std::system("command -v ffmpeg >/dev/null 2>&1") == 0; }

std::unique_ptr<VideoWriter> open_video(const std::string& path, int width, int height, double frame_interval_s) {
  if (!(frame_interval_s > 0)) throw std::invalid_argument(path + ": frame interval must be positive");
  if (ends_with(path, ".gif")) return std::make_unique<GifVideo>(path, width, height, frame_interval_s);
  if (ends_with(path, ".mp4")) return std::make_unique<Mp4Video>(path, width, height, frame_interval_s);
  throw std::invalid_argument(path + ": unknown video format (use .gif, or .mp4 with ffmpeg installed)");
}

void write_image(const raster::Image& image, const std::string& path) {
  if (ends_with(path, ".ppm")) return raster::write_ppm(image, path);
  if (!ends_with(path, ".png")) throw std::invalid_argument(path + ": unknown image format (use .png or .ppm)");
  std::string png;
  auto append = [](void* context, void* data, int size) { static_cast<std::string*>(context)->append(static_cast<const char*>(data), size); };
  if (!stbi_write_png_to_func(append, &png, image.width, image.height, 3, image.rgb.data(), image.width * 3))
    throw std::runtime_error(path + ": cannot encode the PNG");
  io::write_file_atomic(path, png);
}

}  // namespace dl::video
