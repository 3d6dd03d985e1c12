// drivelab/render/raster: a pure-C++ rasterizer of sim draw lists into RGB buffers. No SDL.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/draw.h"

namespace dl::raster {

struct Camera {
  sim::Vec2 center_m;     // world point shown at the anchor
  float angle_rad = 0;    // world rotation: the camera's "up" direction in world radians minus pi/2
  float pixels_per_m = 4; // zoom
  float anchor_x = 0.5f;  // where center_m lands on the image, as fractions of width and height
  float anchor_y = 0.5f;  // (CarRacing's ego view: car near the bottom, anchor_y = 0.75)
};

// Ego view as CarRacing draws it: the car near the bottom, the world rotated so the car points up.
Camera ego_camera(sim::Vec2 car_position_m, float car_heading_rad, float pixels_per_m);

// Renders into rgb (width * height * 3 bytes, row-major, top row first).
void rasterize(const sim::DrawList& list, const Camera& camera, int width, int height, uint8_t* rgb);

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
};
Image render(const sim::DrawList& list, const Camera& camera, int width, int height);
// Writes a binary PPM (P6), atomically. For tests and debugging; PNG/GIF writing lives in app/.
void write_ppm(const Image& image, const std::string& path);

}  // namespace dl::raster
