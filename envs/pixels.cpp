#include "envs/pixels.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "render/raster/raster.h"

namespace dl::envs {
namespace {

// CarRacing starts zoomed out and zooms in over the first second; it starts at 0.1 / 2.7 of the zoom.
constexpr float kStartZoomFraction = 0.1f / 2.7f;
constexpr float kStartZoomDuration_s = 1.0f;

// Values at which a HUD bar is full.
constexpr float kHudSpeed_mps = 40;
constexpr float kHudWheel_radps = 150;
constexpr float kHudYawRate_radps = 3;

struct Canvas {
  int width, height;
  uint8_t* rgb;
  void fill(int x0, int y0, int x1, int y1, sim::Color c) const {
    x0 = std::clamp(x0, 0, width), x1 = std::clamp(x1, 0, width);
    y0 = std::clamp(y0, 0, height), y1 = std::clamp(y1, 0, height);
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) {
        uint8_t* p = rgb + (static_cast<size_t>(y) * width + x) * 3;
        p[0] = c.r, p[1] = c.g, p[2] = c.b;
      }
  }
};

float unit(float value, float full) { return std::clamp(std::abs(value) / full, 0.0f, 1.0f); }

float zoom_now(const PixelConfig& pixels, const sim::World& world) {
  if (!pixels.start_zoom) return pixels.pixels_per_m;
  const float t = static_cast<float>(world.step_count()) * world.config().dt_s / kStartZoomDuration_s;
  if (t >= 1) return pixels.pixels_per_m;
  return pixels.pixels_per_m * (kStartZoomFraction * (1 - t) + t);
}

// A bar growing up from the bottom of the strip.
void vertical_bar(const Canvas& c, int strip_top, float x_units, float unit_px, float fraction, sim::Color color) {
  const int x0 = static_cast<int>(std::lround(x_units * unit_px));
  const int x1 = std::max(x0 + 1, static_cast<int>(std::lround((x_units + 1) * unit_px)));
  const int bar_px = static_cast<int>(std::lround(fraction * (c.height - strip_top - 1)));
  c.fill(x0, c.height - 1 - bar_px, x1, c.height - 1, color);
}

// A bar growing sideways from x_units (right for positive values), in the middle of the strip.
void horizontal_bar(const Canvas& c, int strip_top, float x_units, float unit_px, float signed_fraction,
                    float max_units, sim::Color color) {
  const int x_origin = static_cast<int>(std::lround(x_units * unit_px));
  const int length_px = static_cast<int>(std::lround(signed_fraction * max_units * unit_px));
  const int mid = (strip_top + c.height) / 2;
  const int half_thickness = std::max(1, (c.height - strip_top) / 6);
  c.fill(std::min(x_origin, x_origin + length_px), mid - half_thickness, std::max(x_origin, x_origin + length_px),
         mid + half_thickness, color);
}

}  // namespace

Spec pixel_obs_spec(const PixelConfig& pixels) {
  Spec spec;
  spec.shape = {pixels.height, pixels.width, pixels.grayscale ? 1 : 3};
  spec.dtype = DType::u8;
  spec.low.assign(spec.size(), 0.0f);
  spec.high.assign(spec.size(), 255.0f);
  return spec;
}

void render_pixels(const PixelConfig& pixels, const sim::World& world, sim::DrawList& draw_list, uint8_t* out) {
  draw_list.clear_all();
  world.draw(draw_list);
  const sim::CarState& car = world.car();
  const raster::Camera camera = raster::ego_camera(car.position_m, car.heading_rad, zoom_now(pixels, world));
  // Grayscale rasterizes in RGB (the rasterizer and the HUD know one format) into a per-thread scratch
  // image, then keeps the luminance: the frame is small, so the extra pass costs little beside rasterizing.
  thread_local std::vector<uint8_t> rgb_scratch;
  uint8_t* rgb = out;
  const size_t pixel_count = static_cast<size_t>(pixels.width) * pixels.height;
  if (pixels.grayscale) {
    rgb_scratch.resize(pixel_count * 3);
    rgb = rgb_scratch.data();
  }
  raster::rasterize(draw_list, camera, pixels.width, pixels.height, rgb);
  if (pixels.hud) draw_hud(world, pixels.width, pixels.height, rgb);
  if (pixels.grayscale)
    for (size_t i = 0; i < pixel_count; ++i) {
      const uint8_t* p = rgb + 3 * i;
      // ITU-R BT.601 luma in 8-bit fixed point: 0.299 R + 0.587 G + 0.114 B.
      out[i] = static_cast<uint8_t>((77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8);
    }
}

void draw_hud(const sim::World& world, int width, int height, uint8_t* rgb) {
  const Canvas canvas{width, height, rgb};
  const int strip_top = height - std::max(2, height * 5 / 40);
  const float unit_px = width / 40.0f;  // CarRacing lays the bars out on a 40-unit grid
  canvas.fill(0, strip_top, width, height, {0, 0, 0});
  const sim::CarState& car = world.car();
  vertical_bar(canvas, strip_top, 5, unit_px, unit(car.speed_mps, kHudSpeed_mps), {255, 255, 255});
  for (int w = 0; w < 4; ++w) {
    const sim::Color color = w < 2 ? sim::Color{0, 0, 255} : sim::Color{51, 0, 255};
    vertical_bar(canvas, strip_top, 7 + w, unit_px, unit(car.wheel_speed_radps[w], kHudWheel_radps), color);
  }
  const float steer = std::clamp(car.steer_angle_rad / world.config().car.max_steer_rad, -1.0f, 1.0f);
  horizontal_bar(canvas, strip_top, 20, unit_px, steer, 6, {0, 255, 0});
  const float yaw = std::clamp(car.yaw_rate_radps / kHudYawRate_radps, -1.0f, 1.0f);
  horizontal_bar(canvas, strip_top, 30, unit_px, -yaw, 6, {255, 0, 0});
}

}  // namespace dl::envs
