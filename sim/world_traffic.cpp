// Traffic: each car follows its lane by pure pursuit and keeps its distance by the intelligent driver
// model (IDM), then drives through the same tyre model as the ego car.
#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/world_impl.h"

namespace dl::sim {
namespace {

// IDM parameters (Treiber et al.): comfortable acceleration/deceleration, time headway, jam distance.
constexpr float kIdmAccel_mps2 = 2.0f;
constexpr float kIdmDecel_mps2 = 3.0f;
constexpr float kIdmHeadway_s = 1.5f;
constexpr float kIdmJamGap_m = 4.0f;
// Pedal calibration: roughly the car's acceleration at full gas / full (unlocked) brake.
constexpr float kFullGasAccel_mps2 = 4.0f;
constexpr float kFullBrakeDecel_mps2 = 9.0f;
constexpr float kMaxTrafficBrake = 0.85f;  // stay below the lock threshold
// Pure-pursuit look-ahead grows with speed; the floor keeps it stable when starting.
constexpr float kMinLookahead_m = 8.0f;
constexpr float kLookaheadTime_s = 0.8f;
// Something whose centre is closer to a car's lane than the car width plus this is in its way.
constexpr float kLaneClearance_m = 0.5f;

float idm_accel(float speed, float desired, float gap_m, float lead_speed) {
  const float free = 1 - std::pow(speed / std::max(desired, 0.1f), 4.f);
  if (!std::isfinite(gap_m)) return kIdmAccel_mps2 * free;
  const float dv = speed - lead_speed;
  const float wanted = kIdmJamGap_m + std::max(0.f, speed * kIdmHeadway_s + speed * dv / (2 * std::sqrt(kIdmAccel_mps2 * kIdmDecel_mps2)));
  const float ratio = wanted / std::max(gap_m, 0.1f);
  return kIdmAccel_mps2 * (free - ratio * ratio);
}

float forward_gap(float from_arc, float to_arc, float length) {
  float d = std::fmod(to_arc - from_arc, length);
  return d < 0 ? d + length : d;
}

}  // namespace

Action traffic_action(const Vehicle& v, const TrackQuery& q, const CarConfig& car, float gap_m, float lead_speed_mps) {
  const float speed = std::max(0.f, v.state.speed_mps);
  const float lookahead = std::max(kMinLookahead_m, kLookaheadTime_s * speed);
  const Vec2 target = q.point_at(v.arc_m + lookahead, v.lane_m);
  const Vec2 rel = target - v.state.position_m;
  const float h = v.state.heading_rad;
  const float local_x = rel.x * std::cos(h) + rel.y * std::sin(h);
  const float local_y = -rel.x * std::sin(h) + rel.y * std::cos(h);
  const float alpha = std::atan2(local_y, local_x);
  const float wheelbase = 0.6f * car.length_m;
  const float wheel_angle = std::atan2(2 * wheelbase * std::sin(alpha), rel.length());
  Action a;
  a.steer = std::clamp(-wheel_angle / car.max_steer_rad, -1.f, 1.f);
  const float accel = idm_accel(speed, v.desired_speed_mps, gap_m, lead_speed_mps);
  a.gas = std::clamp(accel / kFullGasAccel_mps2, 0.f, 1.f);
  a.brake = std::clamp(-accel / kFullBrakeDecel_mps2, 0.f, kMaxTrafficBrake);
  return a;
}

void World::Impl::step_traffic() {
  const float length = track.length_m;
  const float car_len = active.car.length_m;
  const float lane_half_m = active.car.width_m + kLaneClearance_m;
  for (Vehicle& v : traffic) {
    float gap = std::numeric_limits<float>::infinity(), lead_speed = 0;
    auto consider = [&](float arc, float lateral, float speed, float extent_m) {
      if (std::fabs(lateral - v.lane_m) > lane_half_m) return;  // beside this lane: no need to slow
      const float g = forward_gap(v.arc_m, arc, length) - extent_m;
      if (g < gap) gap = g, lead_speed = speed;
    };
    consider(ego.arc_m, ego.lateral_m, ego.state.speed_mps, car_len);
    for (const Vehicle& o : traffic)
      if (&o != &v) consider(o.arc_m, o.lateral_m, o.state.speed_mps, car_len);
    for (const Obstacle& o : obstacles)
      consider(o.arc_m, o.lateral_m, 0, 0.5f * (car_len + active.traffic.obstacle_size_m));
    // A gap "ahead" of almost a whole lap is really a car just behind: ignore it.
    if (gap > 0.5f * length) gap = std::numeric_limits<float>::infinity();
    apply_car_forces(v.body, active.car, active.grip, v.surfaces, traffic_action(v, query, active.car, gap, lead_speed),
                     active.dt_s, &v.physics);
  }
}

}  // namespace dl::sim
