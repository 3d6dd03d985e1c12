// drivelab/sim: the car. A top-down rigid body on four tyres with a friction-circle tyre model.
#pragma once
#include <array>

#include "sim/geometry.h"

namespace dl::sim {

// What a driver (agent or keyboard) asks of the car. Continuous; the discrete set maps onto it.
struct Action {
  float steer = 0;  // [-1, 1], negative = left (counter-clockwise yaw)
  float gas = 0;    // [0, 1]
  float brake = 0;  // [0, 1]
};

// CarRacing's 5 discrete actions: 0 nothing, 1 steer left, 2 steer right, 3 gas, 4 brake.
inline constexpr int kNumDiscreteActions = 5;
Action discrete_action(int index);

enum class Drive { rear, all };

struct CarConfig {
  float mass_kg = 1200;            // whole car
  float length_m = 4.4f;           // body length (wheelbase is 60% of it)
  float width_m = 1.9f;            // body width (track width is 90% of it)
  float engine_power_w = 90e3f;    // power limit at the wheels
  float max_drive_force_n = 9e3f;  // traction limit at low speed (power / speed caps it above)
  float max_brake_force_n = 14e3f; // total, all wheels
  float brake_lock_threshold = 0.9f;  // brake input above which the wheels lock (sliding friction)
  float max_steer_rad = 0.6f;      // front wheel angle at |steer| = 1
  float steer_rate_radps = 3.0f;   // how fast the front wheels can turn
  float drag_coeff = 0.4f;         // aerodynamic drag force = drag_coeff * v^2 (N)
  float rolling_resistance = 0.015f;  // fraction of weight opposing motion
  Drive drive = Drive::rear;
};

// Grip (friction coefficient mu) by surface; randomizable through WorldOptions.
struct SurfaceGrip {
  float road = 1.0f;
  float kerb = 0.9f;
  float grass = 0.45f;
  float grass_drag = 0.08f;  // extra rolling resistance on grass (fraction of weight)
};

enum class Surface : uint8_t { road = 0, kerb = 1, grass = 2 };

// What the car's sensors read (car state part of an observation).
struct CarState {
  Vec2 position_m;
  float heading_rad = 0;  // 0 = facing +x, counter-clockwise positive
  Vec2 velocity_mps;      // world frame
  float speed_mps = 0;    // signed forward speed
  float yaw_rate_radps = 0;
  float slip_angle_rad = 0;   // angle between heading and velocity (0 at low speed)
  float steer_angle_rad = 0;  // current front wheel angle
  std::array<float, 4> wheel_speed_radps{};  // FL, FR, RL, RR
  std::array<Surface, 4> wheel_surface{};
};

}  // namespace dl::sim
