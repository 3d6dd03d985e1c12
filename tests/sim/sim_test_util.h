// Helpers shared by the sim tests: hand-made tracks and a simple lane-keeping driver.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "sim/world.h"

namespace dl::sim::test {

// A stadium: two straights joined by half circles, counter-clockwise, starting at the beginning of
// the bottom straight heading +x. Spacing about 6 m, like generated tracks.
inline Track stadium_track(float straight_m, float radius_m, float width_m, bool walls = false) {
  std::vector<Vec2> pts;
  const float spacing = 6;
  const int n_straight = static_cast<int>(straight_m / spacing);
  const int n_arc = static_cast<int>(3.14159265f * radius_m / spacing);
  for (int i = 0; i < n_straight; ++i) pts.push_back({i * straight_m / n_straight, -radius_m});
  for (int i = 0; i < n_arc; ++i) {
    const float a = -1.5707963f + 3.14159265f * i / n_arc;
    pts.push_back({straight_m + radius_m * std::cos(a), radius_m * std::sin(a)});
  }
  for (int i = 0; i < n_straight; ++i) pts.push_back({straight_m - i * straight_m / n_straight, radius_m});
  for (int i = 0; i < n_arc; ++i) {
    const float a = 1.5707963f + 3.14159265f * i / n_arc;
    pts.push_back({radius_m * std::cos(a), radius_m * std::sin(a)});
  }
  TrackConfig p;
  p.walls = walls;
  return make_track(pts, std::vector<float>(pts.size(), width_m), p);
}

// Keeps the car near a lateral offset from the centre line at a target speed (a P controller).
inline Action lane_keeper(const World& w, float target_speed_mps, float lateral_m = 0) {
  const TrackFeatures f = w.track_features();
  Action a;
  a.steer = std::clamp(1.5f * f.heading_error_rad + 0.15f * (f.lateral_offset_m - lateral_m), -1.f, 1.f);
  const float dv = target_speed_mps - w.car().speed_mps;
  a.gas = std::clamp(0.3f * dv, 0.f, 1.f);
  a.brake = std::clamp(-0.1f * dv, 0.f, 0.8f);
  return a;
}

inline uint64_t fnv1a(const void* data, size_t bytes, uint64_t h = 1469598103934665603ULL) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

inline uint64_t hash_car(const CarState& s, uint64_t h) {
  const float v[7] = {s.position_m.x, s.position_m.y, s.heading_rad, s.velocity_mps.x, s.velocity_mps.y, s.yaw_rate_radps,
                      s.steer_angle_rad};
  return fnv1a(v, sizeof v, h);
}

}  // namespace dl::sim::test
