// drivelab/video: an animated GIF writer over giflib. Pure C++, no SDL.
//
// Every frame is mapped onto one fixed global palette (a 6x6x6 colour cube plus a 40-step grey ramp)
// rather than a per-frame median cut: the sim's own colours (grass 102/204/102, road greys, kerbs) are
// multiples of 51 or greys, so they come out exact, frames never flicker between palettes, and the
// encoder needs no second pass.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "render/raster/raster.h"

struct GifFileType;

namespace dl::video {

// Palette index for an RGB colour (the nearest entry of the fixed palette).
uint8_t gif_palette_index(uint8_t r, uint8_t g, uint8_t b);
// The palette entry itself.
sim::Color gif_palette_color(uint8_t index);

class GifWriter {
 public:
  // Writes to `path` + ".tmp" and renames over `path` in finish(), so a killed run leaves no torn GIF.
  // delay_cs: time each frame shows, in hundredths of a second (GIF's unit). Loops forever.
  GifWriter(const std::string& path, int width, int height, int delay_cs);
  ~GifWriter();  // without finish(), removes the temporary file
  GifWriter(const GifWriter&) = delete;
  GifWriter& operator=(const GifWriter&) = delete;

  // rgb: width * height * 3 bytes, top row first.
  void add_frame(const uint8_t* rgb);
  void add_frame(const raster::Image& image);
  void finish();
  int frames() const { return frames_; }

 private:
  void fail(const std::string& what, int error);
  std::string path_, tmp_path_;
  int width_, height_, delay_cs_;
  int frames_ = 0;
  GifFileType* gif_ = nullptr;
  std::vector<uint8_t> indices_;
};

}  // namespace dl::video
