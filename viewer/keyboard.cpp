#include "viewer/keyboard.h"

#include <algorithm>

namespace dl::viewer {

sim::Action keyboard_action(const KeyState& keys, const sim::Action& prev, float dt_s) {
  const float target = (keys.right ? 1.f : 0.f) - (keys.left ? 1.f : 0.f);  // steer > 0 is right
  const float current = std::clamp(prev.steer, -1.f, 1.f);
  // Steering through centre towards the other side first recentres at the return rate.
  const bool returning = target == 0 || (current != 0 && (current > 0) != (target > 0));
  const float rate = returning ? kSteerReturnPerS : kSteerRampPerS;
  const float max_change = rate * dt_s;
  const float goal = returning ? 0.f : target;
  float steer = current + std::clamp(goal - current, -max_change, max_change);
  sim::Action a;
  a.steer = std::clamp(steer, -1.f, 1.f);
  a.gas = keys.gas ? 1.f : 0.f;
  a.brake = keys.brake ? kKeyboardBrake : 0.f;
  return a;
}

}  // namespace dl::viewer
