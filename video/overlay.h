// drivelab/video: 2-D overlays drawn straight into an RGB image: rectangles and text. The HUD is
// drawn here rather than by a window library, so the window, screenshots and headless videos show the
// same pixels.
#pragma once
#include <string_view>

#include "render/raster/raster.h"

namespace dl::video {

// Clipped to the image; nothing happens for empty or off-image rectangles.
void fill_rect(raster::Image& image, int x, int y, int w, int h, sim::Color color);
// Darkens (or lightens) a rectangle towards `color` by `alpha` in [0, 1], for legible panels over the
// track.
void blend_rect(raster::Image& image, int x, int y, int w, int h, sim::Color color, float alpha);

// Text in a small built-in bitmap font; `scale` multiplies its pixels. (x, y) is the top-left corner.
// Newlines start a new line. Only printable ASCII is drawn.
void draw_text(raster::Image& image, int x, int y, std::string_view text, sim::Color color, int scale = 1);
int text_width(std::string_view text, int scale = 1);
int text_height(std::string_view text, int scale = 1);

}  // namespace dl::video
