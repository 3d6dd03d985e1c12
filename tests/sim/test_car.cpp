#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "sim_test_util.h"

using namespace dl::sim;
using dl::sim::test::stadium_track;

namespace {

// An open field: grip does not depend on the surface, the playfield is huge.
WorldOptions open_field_config() {
  WorldOptions cfg;
  cfg.grip.grass = cfg.grip.road;
  cfg.grip.kerb = cfg.grip.road;
  cfg.grip.grass_drag = 0;
  cfg.playfield_margin_m = 2000;
  return cfg;
}

float speed_after(World& w, Action a, int steps) {
  for (int i = 0; i < steps; ++i) w.step(a);
  return w.car().speed_mps;
}

}  // namespace

TEST_CASE("discrete actions map to CarRacing's steer left, steer right, gas and brake") {
  CHECK(discrete_action(0).steer == 0);
  CHECK(discrete_action(1).steer == -1);
  CHECK(discrete_action(2).steer == 1);
  CHECK(discrete_action(3).gas == 1);
  CHECK(discrete_action(4).brake > 0);
  CHECK(discrete_action(4).brake < CarConfig{}.brake_lock_threshold);
}

TEST_CASE("full gas on a straight reaches a top speed where speed stops increasing") {
  World w(open_field_config());
  w.reset(1, stadium_track(20000, 200, 30));
  const float v1 = speed_after(w, {0, 1, 0}, 50 * 120);
  const float v2 = speed_after(w, {0, 1, 0}, 50 * 20);
  CHECK(v1 > 40);
  CHECK(v1 < 70);
  CHECK(v2 - v1 < 0.01f * v1);
  CHECK(w.car().speed_mps < 62);  // engine power balanced by drag: (P / c)^(1/3) = 60.8 m/s
}

TEST_CASE("locked-wheel braking stops within a distance consistent with friction") {
  World w(open_field_config());
  w.reset(1, stadium_track(5000, 200, 30));
  while (w.car().speed_mps < 25) w.step({0, 1, 0});
  const float v0 = w.car().speed_mps;
  const Vec2 start = w.car().position_m;
  for (int i = 0; i < 50 * 20 && w.car().speed_mps > 0.05f; ++i) w.step({0, 0, 1});
  const float distance = (w.car().position_m - start).length();
  const float ideal = v0 * v0 / (2 * w.config().grip.road * 9.81f);
  CHECK(std::fabs(w.car().speed_mps) < 0.05f);
  CHECK(distance > ideal);
  CHECK(distance < 3 * ideal);
}

TEST_CASE("constant steering drives a circle whose radius shrinks as steering grows") {
  std::vector<float> radii;
  for (float steer : {0.1f, 0.2f, 0.4f}) {
    World w(open_field_config());
    w.reset(1, stadium_track(500, 200, 30));
    for (int i = 0; i < 50 * 20; ++i) {
      const float dv = 10 - w.car().speed_mps;
      w.step({steer, std::clamp(0.5f * dv, 0.f, 1.f), std::clamp(-0.2f * dv, 0.f, 0.5f)});
    }
    CHECK(w.car().speed_mps == Approx(10).margin(0.5));
    CHECK(w.car().yaw_rate_radps < 0);  // positive steer turns right (clockwise)
    radii.push_back(w.car().speed_mps / std::fabs(w.car().yaw_rate_radps));
  }
  CHECK(radii[0] > radii[1]);
  CHECK(radii[1] > radii[2]);
  const float wheelbase = 0.6f * CarConfig{}.length_m;
  CHECK(radii[0] == Approx(wheelbase / std::tan(0.1f * CarConfig{}.max_steer_rad)).epsilon(0.3));
}

TEST_CASE("grass slows the car: lower speed after the same time at full gas") {
  WorldOptions cfg;
  cfg.playfield_margin_m = 2000;
  World road(cfg), grass(cfg);
  road.reset(1, stadium_track(5000, 200, 30));
  grass.reset(1, stadium_track(5000, 200, 0.5f));  // wheels never on the road
  const float v_road = speed_after(road, {0, 1, 0}, 50 * 30);
  const float v_grass = speed_after(grass, {0, 1, 0}, 50 * 30);
  CHECK(grass.car().wheel_surface[0] == Surface::grass);
  CHECK(road.car().wheel_surface[0] == Surface::road);
  CHECK(v_grass < 0.8f * v_road);
}

TEST_CASE("a stationary car with no input stays still without jitter") {
  World w(WorldOptions{});
  w.reset(1, 1);
  const Vec2 p0 = w.car().position_m;
  for (int i = 0; i < 500; ++i) w.step({});
  CHECK((w.car().position_m - p0).length() < 1e-4f);
  CHECK(std::fabs(w.car().yaw_rate_radps) < 1e-4f);
}

TEST_CASE("slow driving with full steering settles into a steady turn without oscillating") {
  World w(open_field_config());
  w.reset(1, stadium_track(500, 200, 30));
  float yaw_lo = 1e9f, yaw_hi = -1e9f, slip_lo = 1e9f, slip_hi = -1e9f;
  for (int i = 0; i < 50 * 10; ++i) {
    const float dv = 1.5f - w.car().speed_mps;
    w.step({1, std::clamp(dv, 0.f, 1.f), 0});
    if (i < 50 * 8) continue;
    yaw_lo = std::min(yaw_lo, w.car().yaw_rate_radps), yaw_hi = std::max(yaw_hi, w.car().yaw_rate_radps);
    slip_lo = std::min(slip_lo, w.car().slip_angle_rad), slip_hi = std::max(slip_hi, w.car().slip_angle_rad);
  }
  CHECK(yaw_hi < 0);
  CHECK(yaw_hi - yaw_lo < 0.05f * std::fabs(yaw_lo));
  CHECK(slip_hi - slip_lo < 0.02f);
}

TEST_CASE("100000 random-action steps never produce NaN or runaway speed") {
  WorldOptions cfg;
  cfg.traffic.cars = 2;
  cfg.traffic.obstacles = 2;
  World w(cfg);
  Rng actions(99);
  bool finite = true;
  float max_speed = 0;
  for (int i = 0; i < 100000; ++i) {
    if (i % 2500 == 0) w.reset(i, i / 2500);
    w.step({static_cast<float>(actions.uniform(-1, 1)), static_cast<float>(actions.uniform()),
            static_cast<float>(actions.uniform() < 0.1 ? actions.uniform() : 0.0)});
    const CarState& s = w.car();
    finite = finite && std::isfinite(s.position_m.x) && std::isfinite(s.position_m.y) && std::isfinite(s.speed_mps) &&
             std::isfinite(s.yaw_rate_radps) && std::isfinite(s.slip_angle_rad);
    max_speed = std::max(max_speed, s.velocity_mps.length());
  }
  CHECK(finite);
  CHECK(max_speed < 65);
}
