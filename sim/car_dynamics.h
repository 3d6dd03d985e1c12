// drivelab/sim internal: the tyre model acting on a car's Box2D body. Not part of the public API.
#pragma once
#include <array>

#include "sim/car.h"

class b2Body;
class b2World;

namespace dl::sim {

// What the tyre model keeps between steps beyond the Box2D body.
struct CarPhysics {
  float steer_rad = 0;
  std::array<float, 4> wheel_speed_radps{};
};

inline constexpr float kGravity_mps2 = 9.81f;
inline constexpr float kWheelRadius_m = 0.35f;

// Wheel contact points in the car frame (x forward, y left): FL, FR, RL, RR.
std::array<Vec2, 4> wheel_offsets(const CarConfig& params);

b2Body* create_car_body(b2World* world, const CarConfig& params, Vec2 position_m, float heading_rad);

// Applies one step's tyre, drive, brake and drag forces to the body (Box2D integrates them in Step).
void apply_car_forces(b2Body* body, const CarConfig& params, const SurfaceGrip& grip,
                      const std::array<Surface, 4>& surfaces, Action action, float dt_s, CarPhysics* physics);

CarState read_car_state(const b2Body* body, const CarPhysics& physics, const std::array<Surface, 4>& surfaces);

Action clip_action(Action a);

}  // namespace dl::sim
