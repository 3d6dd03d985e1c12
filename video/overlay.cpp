#include "video/overlay.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

// stb_easy_font describes glyphs as axis-aligned quads, which we fill as rectangles: no font file to
// find at run time, so a headless server draws the same HUD as a desktop.
#include <stb/stb_easy_font.h>

namespace dl::video {
namespace {

// stb_easy_font's vertex: x, y, z, rgba.
struct FontVertex {
  float x, y, z;
  unsigned char rgba[4];
};
// The library's estimate is ~270 bytes a character; a HUD line is far below this many characters.
constexpr size_t kMaxChars = 512;

}  // namespace

void fill_rect(raster::Image& image, int x, int y, int w, int h, sim::Color color) {
  const int x0 = std::max(0, x), y0 = std::max(0, y);
  const int x1 = std::min(image.width, x + w), y1 = std::min(image.height, y + h);
  for (int row = y0; row < y1; ++row) {
    uint8_t* px = image.rgb.data() + (static_cast<size_t>(row) * image.width + x0) * 3;
    for (int col = x0; col < x1; ++col, px += 3) px[0] = color.r, px[1] = color.g, px[2] = color.b;
  }
}

void blend_rect(raster::Image& image, int x, int y, int w, int h, sim::Color color, float alpha) {
  const int x0 = std::max(0, x), y0 = std::max(0, y);
  const int x1 = std::min(image.width, x + w), y1 = std::min(image.height, y + h);
  // Integer weights keep the result bit-identical across compilers and optimization levels.
  const int a = static_cast<int>(std::lround(std::clamp(alpha, 0.f, 1.f) * 256));
  const uint8_t target[3] = {color.r, color.g, color.b};
  for (int row = y0; row < y1; ++row) {
    uint8_t* px = image.rgb.data() + (static_cast<size_t>(row) * image.width + x0) * 3;
    for (int col = x0; col < x1; ++col, px += 3)
      for (int c = 0; c < 3; ++c) px[c] = static_cast<uint8_t>((px[c] * (256 - a) + target[c] * a) >> 8);
  }
}

void draw_text(raster::Image& image, int x, int y, std::string_view text, sim::Color color, int scale) {
  if (text.empty()) return;
  std::string printable(text.substr(0, kMaxChars));
  for (char& ch : printable)
    if (ch != '\n' && (ch < 32 || ch > 126)) ch = '?';
  static thread_local std::vector<FontVertex> vertices(kMaxChars * 80);
  const int quads = stb_easy_font_print(0, 0, printable.data(), nullptr, vertices.data(),
                                        static_cast<int>(vertices.size() * sizeof(FontVertex)));
  for (int q = 0; q < quads; ++q) {
    const FontVertex& a = vertices[4 * q];
    const FontVertex& c = vertices[4 * q + 2];
    const int qx = static_cast<int>(std::lround(a.x)), qy = static_cast<int>(std::lround(a.y));
    const int qw = static_cast<int>(std::lround(c.x - a.x)), qh = static_cast<int>(std::lround(c.y - a.y));
    fill_rect(image, x + qx * scale, y + qy * scale, qw * scale, qh * scale, color);
  }
}

int text_width(std::string_view text, int scale) {
  std::string copy(text);
  return stb_easy_font_width(copy.data()) * scale;
}

int text_height(std::string_view text, int scale) {
  std::string copy(text);
  return stb_easy_font_height(copy.data()) * scale;
}

}  // namespace dl::video
