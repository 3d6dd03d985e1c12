#include "envs/observation.h"

#include <algorithm>
#include <cmath>

namespace dl::envs {
namespace {

constexpr float kPi = 3.14159265358979f;

void push(Spec& spec, int count, float low, float high) {
  spec.low.insert(spec.low.end(), count, low);
  spec.high.insert(spec.high.end(), count, high);
}

float symmetric_unit(float x) { return std::clamp(x, -1.0f, 1.0f); }

// Curvatures ahead, scaled, 0 past what the world computed.
float* write_curvatures(const sim::TrackFeatures& f, int points, float* x) {
  for (int k = 0; k < points; ++k)
    *x++ = k < static_cast<int>(f.curvature_ahead.size()) ? f.curvature_ahead[k] * kCurvatureScale_m : 0.0f;
  return x;
}

}  // namespace

VectorObsLayout vector_obs_layout(const EnvConfig& config, const sim::WorldOptions& world) {
  VectorObsLayout layout;
  layout.lidar_rays = world.lidar.rays;
  layout.velocities = config.id != "track-pomdp";
  layout.lookahead_points = world.lookahead.points;
  layout.lookahead_widths = world.lookahead.widths && world.lookahead.horizon_s > 0;
  return layout;
}

Spec vector_obs_spec(const VectorObsLayout& layout) {
  Spec spec;
  spec.shape = {layout.size()};
  spec.dtype = DType::f32;
  push(spec, layout.lidar_rays, 0, 1);
  if (layout.velocities) {
    push(spec, 2, -kInf, kInf);  // speed, yaw rate
    push(spec, 2, -1, 1);        // slip angle / pi, steer angle / max
    push(spec, 4, -kInf, kInf);  // wheel speeds
  } else {
    push(spec, 1, -1, 1);  // steer angle / max
  }
  push(spec, 1, -kInf, kInf);                    // lateral offset / half width
  push(spec, 1, -1, 1);                          // heading error / pi
  push(spec, layout.lookahead_points, -kInf, kInf);  // curvature ahead
  if (layout.lookahead_widths) push(spec, layout.lookahead_points, 0, kInf);  // width ahead / 20 m
  push(spec, 1, 0, 1);                           // lap progress
  return spec;
}

void write_road_ahead(const sim::World& world, int points, float* out) {
  write_curvatures(world.track_features(), points, out);
}

void write_vector_obs(const VectorObsLayout& layout, const sim::World& world, float* out) {
  world.lidar(out + layout.lidar_first());
  const sim::CarState& car = world.car();
  float* x = out + layout.car_first();
  const float steer = symmetric_unit(car.steer_angle_rad / world.config().car.max_steer_rad);
  if (layout.velocities) {
    *x++ = car.speed_mps / kSpeedScale_mps;
    *x++ = car.yaw_rate_radps / kYawRateScale_radps;
    *x++ = symmetric_unit(car.slip_angle_rad / kPi);
    *x++ = steer;
    for (float w : car.wheel_speed_radps) *x++ = w / kWheelSpeedScale_radps;
  } else {
    *x++ = steer;
  }
  const sim::TrackFeatures f = world.track_features();
  *x++ = f.lateral_offset_m / std::max(f.half_width_m, 0.1f);
  *x++ = symmetric_unit(f.heading_error_rad / kPi);
  x = write_curvatures(f, layout.lookahead_points, x);
  if (layout.lookahead_widths)
    for (int k = 0; k < layout.lookahead_points; ++k)
      *x++ = k < static_cast<int>(f.width_ahead.size()) ? f.width_ahead[k] / kWidthScale_m : 0.0f;
  *x++ = std::clamp(f.lap_progress, 0.0f, 1.0f);
}

}  // namespace dl::envs
