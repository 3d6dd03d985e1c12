#include "envs/randomize.h"

#include <algorithm>
#include <cmath>

namespace dl::envs {
namespace {

constexpr int kColorJitter = 24;  // per channel, so roads stay grey-ish and grass green-ish

float scale_factor(float fraction, sim::Rng& rng) {
  return static_cast<float>(rng.uniform(1.0 - fraction, 1.0 + fraction));
}

void jitter(sim::Color& c, sim::Rng& rng) {
  for (uint8_t* channel : {&c.r, &c.g, &c.b}) {
    const int value = *channel + static_cast<int>(rng.uniform_int(-kColorJitter, kColorJitter));
    *channel = static_cast<uint8_t>(std::clamp(value, 0, 255));
  }
}

void jitter_palette(sim::Palette& p, sim::Rng& rng) {
  for (sim::Color* c : {&p.background, &p.grass_stripe, &p.road, &p.road_alt, &p.kerb_a, &p.kerb_b, &p.wall,
                        &p.car, &p.wheel, &p.traffic_car, &p.obstacle})
    jitter(*c, rng);
}

// Around the preset: the loop's shape changes, the road width stays (it sets the task's difficulty).
void draw_track_params(sim::TrackConfig& t, sim::Rng& rng) {
  t.checkpoints = std::clamp(t.checkpoints + static_cast<int>(rng.uniform_int(-3, 3)), 6, 64);
  t.radius_m *= scale_factor(0.2f, rng);
  t.radius_noise = std::clamp(t.radius_noise * scale_factor(0.5f, rng), 0.0f, 0.9f);
  t.angle_noise = std::clamp(t.angle_noise * scale_factor(0.5f, rng), 0.0f, 0.9f);
}

}  // namespace

sim::WorldOptions randomized_world(const sim::WorldOptions& base, const RandomizeConfig& randomize, sim::Rng& rng) {
  sim::WorldOptions w = base;
  if (randomize.friction > 0) {
    const float f = scale_factor(randomize.friction, rng);
    w.grip.road *= f;
    w.grip.kerb *= f;
    w.grip.grass *= f;
  }
  if (randomize.power > 0) w.car.engine_power_w *= scale_factor(randomize.power, rng);
  if (randomize.mass > 0) w.car.mass_kg *= scale_factor(randomize.mass, rng);
  if (randomize.colors) jitter_palette(w.palette, rng);
  if (randomize.track_params) draw_track_params(w.track, rng);
  return w;
}

}  // namespace dl::envs
