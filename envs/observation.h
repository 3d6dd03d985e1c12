// drivelab/envs: the float observation of the lidar envs (track, traffic, track-pomdp), element by element
// in docs/envs.md. Scales map typical values to about [-1, 1]; quantities without a physical bound have
// infinite spec bounds rather than a silent clamp.
#pragma once
#include "envs/env_config.h"
#include "envs/env.h"
#include "sim/world.h"

namespace dl::envs {

inline constexpr float kSpeedScale_mps = 30;        // speed / 30 m/s
inline constexpr float kYawRateScale_radps = 3;     // yaw rate / 3 rad/s
inline constexpr float kWheelSpeedScale_radps = 100;
inline constexpr float kCurvatureScale_m = 10;      // curvature * 10 m (1 at a 10 m radius bend)
inline constexpr float kWidthScale_m = 20;          // road width ahead / 20 m

struct VectorObsLayout {
  int lidar_rays = 0;
  bool velocities = true;  // false for track-pomdp: no speed, yaw rate, slip or wheel speeds
  int lookahead_points = 0;
  bool lookahead_widths = false;  // a road width per look-ahead window after the curvatures

  int lidar_first() const { return 0; }
  int car_first() const { return lidar_rays; }
  int car_size() const { return velocities ? 8 : 1; }  // speed, yaw, slip, steer, 4 wheels | steer
  int track_first() const { return car_first() + car_size(); }
  int size() const { return track_first() + 2 + lookahead_points * (lookahead_widths ? 2 : 1) + 1; }
};

VectorObsLayout vector_obs_layout(const EnvConfig& config, const sim::WorldOptions& world);
Spec vector_obs_spec(const VectorObsLayout& layout);
void write_vector_obs(const VectorObsLayout& layout, const sim::World& world, float* out);
// The look-ahead curvatures as the observation writes them (scaled; 0 past what the world computes):
// `points` floats. The road ahead whether or not an env's observation shows it.
void write_road_ahead(const sim::World& world, int points, float* out);

}  // namespace dl::envs
