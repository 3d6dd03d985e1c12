// drivelab/envs: the carracing pixel observation: the ego view rasterized from the sim's draw list, with
// CarRacing's indicator bars along the bottom.
#pragma once
#include <cstdint>

#include "envs/env_config.h"
#include "envs/env.h"
#include "sim/draw.h"
#include "sim/world.h"

namespace dl::envs {

Spec pixel_obs_spec(const PixelConfig& pixels);

// Renders the world into out (height x width x 3 RGB, or x 1 luminance with pixels.grayscale). `draw_list`
// is scratch reused between calls.
void render_pixels(const PixelConfig& pixels, const sim::World& world, sim::DrawList& draw_list, uint8_t* out);

// CarRacing's bottom strip: a black band of height * 5/40 rows with bars for speed, the four wheel
// speeds, the steering angle and the yaw rate.
void draw_hud(const sim::World& world, int width, int height, uint8_t* rgb);

}  // namespace dl::envs
