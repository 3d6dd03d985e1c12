#include "envs/expert.h"

#include <algorithm>
#include <cmath>

#include "envs/driving_env.h"
#include "envs/wrappers.h"
#include "sim/car_dynamics.h"

namespace dl::envs {
namespace {

// Below this curvature a bend limits nothing (radius beyond 10 km).
constexpr float kStraightCurvature = 1e-4f;
// Braking is planned to reach the corner speed this far before the bend point itself.
constexpr float kBrakeMargin_m = 4;
// The wheels lock above brake_lock_threshold; stay just under it to keep steering.
constexpr float kBrakeBelowLock = 0.05f;

}  // namespace

ExpertOptions expert_params() { return ExpertOptions{}; }

ExpertOptions weak_expert_params() {
  ExpertOptions p;
  p.lookahead_base_m = 2.5f;
  p.lookahead_per_mps = 0.08f;
  p.lookahead_max_m = 8;
  p.lateral_grip_use = 1.4f;
  p.braking_grip_use = 0.8f;
  return p;
}

ExpertDriver::ExpertDriver(const ExpertOptions& params) : params_(params) {}

void ExpertDriver::sync_track(const sim::Track& track) {
  if (&track == track_ && track.seed == track_seed_ && track.num_tiles() == track_tiles_ &&
      track.length_m == track_length_m_ && (track.center.empty() || (track.center[0].x == track_start_.x && track.center[0].y == track_start_.y)))
    return;
  track_ = &track;
  track_seed_ = track.seed;
  track_tiles_ = track.num_tiles();
  track_length_m_ = track.length_m;
  track_start_ = track.center.empty() ? sim::Vec2{} : track.center[0];
  query_.build(&track);
  segment_hint_ = 0;
}

float ExpertDriver::target_speed(const sim::Track& track, float arc_m, float speed_mps, float grip) const {
  const float a_lat = std::max(0.1f, params_.lateral_grip_use * grip * sim::kGravity_mps2);
  const float a_brake = std::max(0.1f, params_.braking_grip_use * grip * sim::kGravity_mps2);
  // Far enough to see every bend the car could not stop for at its current speed.
  const float horizon_m = speed_mps * speed_mps / (2 * a_brake) + 2 * kBrakeMargin_m + params_.lookahead_max_m;
  const int n = track.num_tiles();
  float target = params_.max_speed_mps;
  int i = query_.segment_at(arc_m);
  for (int visited = 0; visited < n; ++visited, i = (i + 1) % n) {
    float ahead_m = track.arc_length[i] - arc_m;
    if (ahead_m < -0.5f * track.length_m) ahead_m += track.length_m;
    if (ahead_m > horizon_m) break;
    const float k = std::max(std::fabs(track.curvature[i]), kStraightCurvature);
    // Fast bends get a wider margin: at circuit speeds a transient (an S, a bump of yaw) costs more grip
    // than the steady-state sum says, and a slide there is a spin.
    float corner_mps = std::sqrt(a_lat / k);
    if (corner_mps > params_.fast_from_mps) corner_mps = std::max(params_.fast_from_mps, std::sqrt(params_.fast_grip_share * a_lat / k));
    const float brake_room_m = std::max(0.f, ahead_m - kBrakeMargin_m);
    target = std::min(target, std::sqrt(corner_mps * corner_mps + 2 * a_brake * brake_room_m));
  }
  return target;
}

sim::Action ExpertDriver::act(const sim::World& world) {
  const sim::Track& track = world.track();
  sync_track(track);
  const sim::CarState& car = world.car();
  const sim::WorldOptions& config = world.config();

  segment_hint_ = query_.nearest(car.position_m, segment_hint_);
  const sim::TrackProjection here = query_.project(car.position_m, segment_hint_);
  const float speed = std::max(0.f, car.speed_mps);

  // Pure pursuit: the arc through the target point has curvature 2 sin(alpha) / L; a bicycle model turns
  // that into a front wheel angle. Positive wheel angles turn left, and the action's steer is the opposite
  // sign (negative = left).
  const float lookahead_m =
      std::min(params_.lookahead_max_m, params_.lookahead_base_m + params_.lookahead_per_mps * speed +
                                            params_.lookahead_fast_per_mps * std::max(0.f, speed - params_.fast_from_mps));
  const sim::Vec2 target = query_.point_at(here.arc_m + lookahead_m, 0);
  const sim::Vec2 rel = target - car.position_m;
  const sim::Vec2 forward{std::cos(car.heading_rad), std::sin(car.heading_rad)};
  const float alpha = std::atan2(forward.cross(rel), forward.dot(rel));
  const float distance_m = std::max(1.f, rel.length());
  const float wheelbase_m = 0.6f * config.car.length_m;
  const float wheel_rad = std::atan(wheelbase_m * 2 * std::sin(alpha) / distance_m);
  sim::Action action;
  action.steer = std::clamp(-wheel_rad / config.car.max_steer_rad, -1.f, 1.f);

  const float wanted = target_speed(track, here.arc_m, speed, config.grip.road);
  const float error = wanted - speed;
  if (error >= 0) {
    // Traction circle: the rear tyres share their grip between driving and cornering, so full gas in a
    // fast bend slides the tail out (a spin at 37 m/s on a 250 m radius); leave them the lateral share.
    const float k_here = std::fabs(track.curvature[here.segment]);
    const float lateral_use = speed * speed * k_here / std::max(0.1f, config.grip.road * sim::kGravity_mps2);
    const float max_gas = std::clamp(1.f - lateral_use * lateral_use * 2.f, 0.15f, 1.f);
    action.gas = std::clamp(params_.speed_gain * error, 0.f, max_gas);
  } else {
    const float max_brake = std::max(0.f, config.car.brake_lock_threshold - kBrakeBelowLock);
    action.brake = std::clamp(-params_.speed_gain * error, 0.f, max_brake);
  }
  return action;
}

const sim::World* find_world(Env& env) {
  Env* e = &env;
  while (e) {
    if (auto* driving = dynamic_cast<DrivingEnv*>(e)) return &driving->world();
    auto* wrapper = dynamic_cast<Wrapper*>(e);
    e = wrapper ? &wrapper->inner() : nullptr;
  }
  return nullptr;
}

}  // namespace dl::envs
