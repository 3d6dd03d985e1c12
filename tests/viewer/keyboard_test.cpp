#include <catch2/catch.hpp>

#include "viewer/keyboard.h"

using dl::sim::Action;
using dl::viewer::KeyState;
using dl::viewer::keyboard_action;

namespace {
Action hold(const KeyState& keys, int steps, Action a = {}) {
  for (int i = 0; i < steps; ++i) a = keyboard_action(keys, a, 0.02f);
  return a;
}
}  // namespace

TEST_CASE("no keys held gives a coasting car", "[viewer][keyboard]") {
  const Action a = keyboard_action(KeyState{}, Action{}, 0.02f);
  CHECK(a.steer == 0);
  CHECK(a.gas == 0);
  CHECK(a.brake == 0);
}

TEST_CASE("gas and brake keys press the pedals fully with the brake below wheel lock", "[viewer][keyboard]") {
  KeyState keys;
  keys.gas = true;
  CHECK(keyboard_action(keys, {}, 0.02f).gas == 1.0f);
  keys = {};
  keys.brake = true;
  const Action a = keyboard_action(keys, {}, 0.02f);
  CHECK(a.brake == Approx(dl::viewer::kKeyboardBrake));
  CHECK(a.brake < 0.9f);
}

TEST_CASE("holding a steer key ramps the steering to full lock instead of jumping", "[viewer][keyboard]") {
  KeyState keys;
  keys.left = true;
  const Action first = hold(keys, 1);
  CHECK(first.steer < 0);            // left is negative steer
  CHECK(first.steer > -0.2f);        // one 20 ms step is a small correction
  CHECK(hold(keys, 5).steer < first.steer);
  CHECK(hold(keys, 100).steer == -1.0f);  // and it stops at full lock
  keys = {};
  keys.right = true;
  CHECK(hold(keys, 100).steer == 1.0f);
}

TEST_CASE("releasing the steer key recentres the wheel", "[viewer][keyboard]") {
  KeyState left;
  left.left = true;
  const Action locked = hold(left, 100);
  const Action released = hold(KeyState{}, 1, locked);
  CHECK(released.steer > locked.steer);
  CHECK(hold(KeyState{}, 100, locked).steer == 0.0f);
}

TEST_CASE("both steer keys together hold the wheel straight", "[viewer][keyboard]") {
  KeyState both;
  both.left = both.right = true;
  CHECK(hold(both, 50).steer == 0.0f);
}
