#include "video/scene.h"

#include <algorithm>
#include <cmath>

#include "video/overlay.h"

namespace dl::video {
namespace {
// Room left around the track in the whole-track view, as a fraction of the image.
constexpr float kTrackViewMargin = 0.06f;
}  // namespace

CameraMode next_camera_mode(CameraMode mode) {
  switch (mode) {
    case CameraMode::follow: return CameraMode::rotating;
    case CameraMode::rotating: return CameraMode::track;
    case CameraMode::track: return CameraMode::follow;
  }
  return CameraMode::follow;
}

const char* camera_mode_name(CameraMode mode) {
  switch (mode) {
    case CameraMode::follow: return "follow";
    case CameraMode::rotating: return "rotating";
    case CameraMode::track: return "whole track";
  }
  return "?";
}

float zoomed(float pixels_per_m, int notches) {
  return std::clamp(pixels_per_m * std::pow(kZoomStep, static_cast<float>(notches)), kMinZoom_ppm, kMaxZoom_ppm);
}

raster::Camera scene_camera(const sim::World& world, const View& view, int width, int height) {
  const sim::CarState& car = world.car();
  switch (view.camera) {
    case CameraMode::rotating:
      return raster::ego_camera(car.position_m, car.heading_rad, view.pixels_per_m);
    case CameraMode::track: {
      const auto& center = world.track().center;
      sim::Vec2 lo = car.position_m, hi = car.position_m;
      for (const sim::Vec2& p : center) {
        lo = {std::min(lo.x, p.x), std::min(lo.y, p.y)};
        hi = {std::max(hi.x, p.x), std::max(hi.y, p.y)};
      }
      // The road extends half a width beyond the centre line.
      const float pad_m = world.config().track.width_m;
      const float span_x = hi.x - lo.x + 2 * pad_m, span_y = hi.y - lo.y + 2 * pad_m;
      const float usable = 1 - 2 * kTrackViewMargin;
      raster::Camera cam;
      cam.center_m = (lo + hi) * 0.5f;
      cam.pixels_per_m = std::min(width * usable / span_x, height * usable / span_y);
      return cam;
    }
    case CameraMode::follow:
    default: {
      raster::Camera cam;
      cam.center_m = car.position_m;
      cam.pixels_per_m = view.pixels_per_m;
      return cam;
    }
  }
}

void render_world(const sim::World& world, const View& view, sim::DrawList& scratch, raster::Image& image) {
  scratch.clear_all();
  world.draw(scratch, view.lidar);
  image.rgb.resize(static_cast<size_t>(image.width) * image.height * 3);
  raster::rasterize(scratch, scene_camera(world, view, image.width, image.height), image.width, image.height,
                    image.rgb.data());
}

// In the whole-track view the car is a few pixels long; a ring around it shows where it is.
void mark_car(const sim::World& world, const View& view, raster::Image& image) {
  const raster::Camera cam = scene_camera(world, view, image.width, image.height);
  const sim::Vec2 d = world.car().position_m - cam.center_m;  // the track camera never rotates
  const int x = static_cast<int>(std::lround(cam.anchor_x * image.width + d.x * cam.pixels_per_m));
  const int y = static_cast<int>(std::lround(cam.anchor_y * image.height - d.y * cam.pixels_per_m));
  const int r = std::max(6, image.width / 60), t = std::max(1, r / 4);
  const sim::Color c{255, 255, 0};
  fill_rect(image, x - r, y - r, 2 * r, t, c);
  fill_rect(image, x - r, y + r - t, 2 * r, t, c);
  fill_rect(image, x - r, y - r, t, 2 * r, c);
  fill_rect(image, x + r - t, y - r, t, 2 * r, c);
}

void render_frame(const sim::World& world, const View& view, const HudState* hud, sim::DrawList& scratch,
                  raster::Image& image) {
  render_world(world, view, scratch, image);
  if (view.camera == CameraMode::track) mark_car(world, view, image);
  if (hud) draw_hud(image, *hud);
}

}  // namespace dl::video
