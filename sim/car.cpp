// The car: a Box2D rigid body moved by four tyre forces we compute (friction-circle model).
//
// Box2D has no notion of tyres in a top-down world, so the body has zero gravity and no damping, and
// every step we apply at each wheel: a lateral force from the slip angle, a longitudinal force from the
// engine/brakes/rolling resistance, both limited together to mu * load (the friction circle).
#include <box2d/box2d.h>

#include <algorithm>
#include <cmath>

#include "sim/car_dynamics.h"

namespace dl::sim {
namespace {

// Cornering stiffness per wheel as a multiple of its load (N/rad per N): about 10 for road tyres.
constexpr float kCorneringStiffnessPerLoad = 10.f;
// A locked wheel slides with this fraction of the surface grip.
constexpr float kSlidingGripFraction = 0.8f;
// Fraction of a wheel's mass share whose velocity a tyre may cancel in one step. Below 1 so that the
// four wheels together (which also couple through rotation) never overshoot: this is what keeps the
// car from oscillating at very low speed, where slip angles are meaningless.
constexpr float kDeadbeatFraction = 0.8f;
// Below this speed the slip angle uses this speed in its denominator.
constexpr float kSlipBlendSpeed_mps = 1.0f;

struct WheelFrame {
  Vec2 forward, left;  // unit vectors, world frame
  float v_long = 0, v_lat = 0;
};

float mu_of(const SurfaceGrip& grip, Surface s) {
  switch (s) {
    case Surface::road: return grip.road;
    case Surface::kerb: return grip.kerb;
    case Surface::grass: return grip.grass;
  }
  return grip.road;
}

float steer_toward(float current, float target, float max_step) {
  return current + std::clamp(target - current, -max_step, max_step);
}

WheelFrame wheel_frame(const b2Body* body, b2Vec2 world_point, float wheel_angle) {
  const float a = body->GetAngle() + wheel_angle;
  WheelFrame f;
  f.forward = {std::cos(a), std::sin(a)};
  f.left = {-f.forward.y, f.forward.x};
  const b2Vec2 v = body->GetLinearVelocityFromWorldPoint(world_point);
  f.v_long = v.x * f.forward.x + v.y * f.forward.y;
  f.v_lat = v.x * f.left.x + v.y * f.left.y;
  return f;
}

// Force opposing a velocity component, never larger than what stops it within this step.
float resist(float velocity, float force_n, float cancel_n_per_mps) {
  const float cap = cancel_n_per_mps * std::fabs(velocity);
  return -std::copysign(std::min(force_n, cap), velocity);
}

Vec2 friction_circle(float f_long, float f_lat, float limit_n) {
  const float mag = std::sqrt(f_long * f_long + f_lat * f_lat);
  if (mag <= limit_n || mag == 0) return {f_long, f_lat};
  const float s = limit_n / mag;
  return {f_long * s, f_lat * s};
}

}  // namespace

Action discrete_action(int index) {
  switch (index) {
    case 1: return {-1, 0, 0};
    case 2: return {1, 0, 0};
    case 3: return {0, 1, 0};
    case 4: return {0, 0, 0.8f};
    default: return {0, 0, 0};
  }
}

Action clip_action(Action a) {
  return {std::clamp(a.steer, -1.f, 1.f), std::clamp(a.gas, 0.f, 1.f), std::clamp(a.brake, 0.f, 1.f)};
}

std::array<Vec2, 4> wheel_offsets(const CarConfig& p) {
  const float hx = 0.3f * p.length_m, hy = 0.45f * p.width_m;
  return {Vec2{hx, hy}, Vec2{hx, -hy}, Vec2{-hx, hy}, Vec2{-hx, -hy}};
}

b2Body* create_car_body(b2World* world, const CarConfig& p, Vec2 position_m, float heading_rad) {
  b2BodyDef def;
  def.type = b2_dynamicBody;
  def.position.Set(position_m.x, position_m.y);
  def.angle = heading_rad;
  def.bullet = false;
  b2Body* body = world->CreateBody(&def);
  b2PolygonShape box;
  box.SetAsBox(0.5f * p.length_m, 0.5f * p.width_m);
  b2FixtureDef fd;
  fd.shape = &box;
  fd.density = p.mass_kg / (p.length_m * p.width_m);
  fd.friction = 0.3f;
  fd.restitution = 0.1f;
  body->CreateFixture(&fd);
  return body;
}

namespace {

// What one wheel needs to know this step, besides its own velocity.
struct WheelInput {
  float load_n;      // static share of the weight
  float mu;          // grip of the surface under it
  float resist_n;    // rolling resistance, grass drag and (unlocked) brake, opposing rolling
  float drive_n;     // engine force on this wheel
  float cancel_nps;  // force per m/s that stops the wheel's motion within one step
  bool locked;
};

// Tyre force in the wheel frame (x forward, y left), inside the friction circle.
Vec2 tyre_force(const WheelFrame& f, const WheelInput& in) {
  if (in.locked) {
    // A locked wheel slides: friction opposes the contact velocity in every direction.
    const float limit = kSlidingGripFraction * in.mu * in.load_n;
    return friction_circle(resist(f.v_long, limit, in.cancel_nps), resist(f.v_lat, limit, in.cancel_nps), limit);
  }
  const float f_long = resist(f.v_long, in.resist_n, in.cancel_nps) + in.drive_n;
  const float slip = std::atan2(f.v_lat, std::max(std::fabs(f.v_long), kSlipBlendSpeed_mps));
  const float f_lat = resist(f.v_lat, kCorneringStiffnessPerLoad * in.load_n * std::fabs(slip), in.cancel_nps);
  return friction_circle(f_long, f_lat, in.mu * in.load_n);
}

}  // namespace

void apply_car_forces(b2Body* body, const CarConfig& p, const SurfaceGrip& grip, const std::array<Surface, 4>& surfaces,
                      Action action, float dt_s, CarPhysics* phys) {
  action = clip_action(action);
  phys->steer_rad = steer_toward(phys->steer_rad, -action.steer * p.max_steer_rad, p.steer_rate_radps * dt_s);
  const b2Vec2 v = body->GetLinearVelocity();
  const float speed = v.Length();
  const float drive_total = action.gas * std::min(p.max_drive_force_n, p.engine_power_w / std::max(speed, 0.1f));
  const int driven_wheels = p.drive == Drive::all ? 4 : 2;
  const auto offsets = wheel_offsets(p);
  for (int w = 0; w < 4; ++w) {
    const bool front = w < 2;
    WheelInput in;
    in.load_n = 0.25f * p.mass_kg * kGravity_mps2;
    in.mu = mu_of(grip, surfaces[w]);
    in.cancel_nps = kDeadbeatFraction * 0.25f * p.mass_kg / dt_s;
    in.locked = action.brake > p.brake_lock_threshold;
    in.resist_n = in.load_n * (p.rolling_resistance + (surfaces[w] == Surface::grass ? grip.grass_drag : 0.f)) +
                  0.25f * action.brake * p.max_brake_force_n;
    in.drive_n = (p.drive == Drive::all || !front) ? drive_total / driven_wheels : 0.f;
    const b2Vec2 pos = body->GetWorldPoint({offsets[w].x, offsets[w].y});
    const WheelFrame f = wheel_frame(body, pos, front ? phys->steer_rad : 0.f);
    const Vec2 fw = tyre_force(f, in);
    const Vec2 force = f.forward * fw.x + f.left * fw.y;
    body->ApplyForce({force.x, force.y}, pos, true);
    phys->wheel_speed_radps[w] = in.locked ? 0.f : f.v_long / kWheelRadius_m;
  }
  const float drag = p.drag_coeff * speed;
  body->ApplyForceToCenter({-drag * v.x, -drag * v.y}, true);
}

CarState read_car_state(const b2Body* body, const CarPhysics& phys, const std::array<Surface, 4>& surfaces) {
  CarState s;
  const b2Vec2 p = body->GetPosition(), v = body->GetLinearVelocity();
  s.position_m = {p.x, p.y};
  s.heading_rad = std::remainder(body->GetAngle(), 6.283185307179586f);
  s.velocity_mps = {v.x, v.y};
  const Vec2 fwd{std::cos(s.heading_rad), std::sin(s.heading_rad)};
  s.speed_mps = s.velocity_mps.dot(fwd);
  s.yaw_rate_radps = body->GetAngularVelocity();
  const float speed = s.velocity_mps.length();
  s.slip_angle_rad = speed > kSlipBlendSpeed_mps ? std::atan2(fwd.cross(s.velocity_mps), s.velocity_mps.dot(fwd)) : 0.f;
  s.steer_angle_rad = phys.steer_rad;
  s.wheel_speed_radps = phys.wheel_speed_radps;
  s.wheel_surface = surfaces;
  return s;
}

}  // namespace dl::sim
