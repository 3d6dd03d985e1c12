// drivelab/video: how a viewer looks at the world: camera modes and zoom, and the world rendered
// through render/raster into an RGB image.
#pragma once
#include <string>

#include "render/raster/raster.h"
#include "video/hud.h"
#include "sim/draw.h"
#include "sim/world.h"

namespace dl::video {

enum class CameraMode {
  follow,    // centred on the car, north up
  rotating,  // behind the car, the car pointing up (as the carracing observation sees it)
  track,     // the whole track, fitted to the image
};
CameraMode next_camera_mode(CameraMode mode);
const char* camera_mode_name(CameraMode mode);

struct View {
  CameraMode camera = CameraMode::follow;
  float pixels_per_m = 8;  // zoom of the follow and rotating cameras (8: ~120 m across 960 px)
  bool lidar = false;      // draw the lidar rays
};

inline constexpr float kMinZoom_ppm = 0.5f;
inline constexpr float kMaxZoom_ppm = 40.f;
// One zoom step (a wheel notch, a bracket key) multiplies or divides the scale by this.
inline constexpr float kZoomStep = 1.25f;
float zoomed(float pixels_per_m, int notches);

raster::Camera scene_camera(const sim::World& world, const View& view, int width, int height);

// Draws the world (track, cars, obstacles, optionally lidar) into `image`, whose size is kept.
// `scratch` is reused between frames to avoid reallocating the draw list.
void render_world(const sim::World& world, const View& view, sim::DrawList& scratch, raster::Image& image);

// A whole frame: the world, then the HUD over it when `hud` is given. The window, screenshots and videos
// all come from here, so they show the same pixels.
void render_frame(const sim::World& world, const View& view, const HudState* hud, sim::DrawList& scratch,
                  raster::Image& image);

}  // namespace dl::video
