// drivelab/viewer: a person's keys turned into the same sim::Action an agent produces. Plain C++
// (no SDL), so the mapping is tested without a window.
#pragma once
#include "sim/car.h"

namespace dl::viewer {

// Driving keys held down (arrows or WASD).
struct KeyState {
  bool left = false;   // Left / A
  bool right = false;  // Right / D
  bool gas = false;    // Up / W
  bool brake = false;  // Down / S
};

// Steering ramps towards full lock while a steer key is held and recentres when none (or both) is, so
// a tap gives a small correction instead of a full-lock jerk.
inline constexpr float kSteerRampPerS = 4.0f;    // full lock in 0.25 s
inline constexpr float kSteerReturnPerS = 6.0f;  // back to centre faster than it winds in
// Below the car's wheel-lock threshold (0.9 by default), so braking hard still steers, as CarRacing's
// discrete brake (0.8) does.
inline constexpr float kKeyboardBrake = 0.8f;

// The action for one step of dt_s seconds, given the previous step's action.
sim::Action keyboard_action(const KeyState& keys, const sim::Action& prev, float dt_s = 0.02f);

}  // namespace dl::viewer
