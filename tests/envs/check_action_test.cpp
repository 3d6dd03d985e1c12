#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "envs/env.h"

using namespace dl::envs;

namespace {
ActionSpec continuous_spec() {
  ActionSpec s;
  s.box.shape = {3};
  s.box.low = {-1, 0, 0};
  s.box.high = {1, 1, 1};
  return s;
}
ActionSpec discrete_spec(int n) {
  ActionSpec s;
  s.discrete = true;
  s.n = n;
  s.box.shape = {1};
  return s;
}
}  // namespace

TEST_CASE("continuous actions outside the bounds are clipped to them", "[envs][action]") {
  float a[3] = {-3.0f, 0.5f, 7.0f};
  CHECK(check_action(continuous_spec(), a) == -1);
  CHECK(a[0] == -1.0f);
  CHECK(a[1] == 0.5f);
  CHECK(a[2] == 1.0f);
}

TEST_CASE("a NaN or infinite action element throws ActionError naming the element", "[envs][action]") {
  float nan_action[3] = {0, std::numeric_limits<float>::quiet_NaN(), 0};
  REQUIRE_THROWS_AS(check_action(continuous_spec(), nan_action), ActionError);
  REQUIRE_THROWS_WITH(check_action(continuous_spec(), nan_action), Catch::Contains("element 1"));
  float inf_action[3] = {0, 0, std::numeric_limits<float>::infinity()};
  REQUIRE_THROWS_WITH(check_action(continuous_spec(), inf_action), Catch::Contains("element 2") && Catch::Contains("inf"));
}

TEST_CASE("a rejected action is left unclipped", "[envs][action]") {
  float a[3] = {5.0f, 0, std::numeric_limits<float>::quiet_NaN()};
  REQUIRE_THROWS_AS(check_action(continuous_spec(), a), ActionError);
  CHECK(a[0] == 5.0f);
}

TEST_CASE("discrete actions must be integral indices from 0 to n-1", "[envs][action]") {
  float ok[1] = {4.0f};
  CHECK(check_action(discrete_spec(5), ok) == 4);
  float zero[1] = {0.0f};
  CHECK(check_action(discrete_spec(5), zero) == 0);
  for (float bad : {5.0f, -1.0f, 1.5f, std::numeric_limits<float>::quiet_NaN()}) {
    float a[1] = {bad};
    CHECK_THROWS_AS(check_action(discrete_spec(5), a), ActionError);
  }
  float out_of_range[1] = {7.0f};
  REQUIRE_THROWS_WITH(check_action(discrete_spec(5), out_of_range), Catch::Contains("[0, 5)"));
}
