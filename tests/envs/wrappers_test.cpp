#include <catch2/catch.hpp>
#include <algorithm>
#include <memory>
#include <vector>

#include "envs/wrappers.h"
#include "fake_env.h"

using namespace dl::envs;
using dl::envs::testing::LineEnv;

TEST_CASE("frame stack puts k frames on a leading axis oldest first", "[envs][wrappers]") {
  FrameStack env(std::make_unique<LineEnv>(100), 3);
  REQUIRE(env.observation_spec().shape == std::vector<int64_t>{3, 3});
  REQUIRE(env.observation_spec().low.size() == 9);
  std::vector<float> obs(9);
  Info info;
  env.reset(1, obs.data(), info);
  // After reset every slot holds the first frame (step count 0).
  CHECK(obs[1] == 0);
  CHECK(obs[4] == 0);
  CHECK(obs[7] == 0);
  const float action[2] = {0.5f, 0};
  env.step(action, obs.data(), info);
  env.step(action, obs.data(), info);
  CHECK(obs[1] == 0);
  CHECK(obs[4] == 1);
  CHECK(obs[7] == 2);
  env.step(action, obs.data(), info);
  CHECK(obs[1] == 1);
  CHECK(obs[4] == 2);
  CHECK(obs[7] == 3);
}

TEST_CASE("time limit truncates exactly at max_steps", "[envs][wrappers]") {
  TimeLimit env(std::make_unique<LineEnv>(1000), 4);
  std::vector<float> obs(3);
  Info info;
  env.reset(2, obs.data(), info);
  const float action[2] = {0.1f, 0};
  for (int i = 1; i <= 3; ++i) CHECK_FALSE(env.step(action, obs.data(), info).truncated);
  const StepResult last = env.step(action, obs.data(), info);
  CHECK(last.truncated);
  CHECK_FALSE(last.terminated);
  env.reset(3, obs.data(), info);
  CHECK_FALSE(env.step(action, obs.data(), info).truncated);
}

TEST_CASE("a step that terminates at the time limit is not also truncated", "[envs][wrappers]") {
  TimeLimit env(std::make_unique<LineEnv>(3), 4);
  std::vector<float> obs(3);
  Info info;
  // A start in [-1, 0) moving +1 a step reaches the goal 3 on step 4 exactly, the time limit.
  uint64_t seed = 0;
  do env.reset(++seed, obs.data(), info);
  while (obs[0] >= 0);
  const float action[2] = {1, 0};
  for (int i = 0; i < 3; ++i) REQUIRE_FALSE(env.step(action, obs.data(), info).terminated);
  const StepResult r = env.step(action, obs.data(), info);
  CHECK(r.terminated);
  CHECK_FALSE(r.truncated);
}

TEST_CASE("episode statistics report the return and length when the episode ends", "[envs][wrappers]") {
  EpisodeStats env(std::make_unique<TimeLimit>(std::make_unique<LineEnv>(1000), 5), 0.02f);
  std::vector<float> obs(3);
  Info info;
  env.reset(5, obs.data(), info);
  const float action[2] = {0.25f, 0};
  for (int i = 0; i < 4; ++i) {
    env.step(action, obs.data(), info);
    CHECK_FALSE(info.episode_done);
  }
  env.step(action, obs.data(), info);
  REQUIRE(info.episode_done);
  CHECK(info.episode_length == 5);
  CHECK(info.episode_return == Approx(1.25));
  CHECK(info.episode_lap_time_s == -1);
  CHECK_FALSE(info.episode_lap_complete);
}

TEST_CASE("lidar dropout blanks the slice on some steps deterministically per seed", "[envs][wrappers]") {
  auto run = [](uint64_t seed) {
    LidarDropout env(std::make_unique<LineEnv>(1e6f), 2, 1, 0.5f);
    std::vector<float> obs(3);
    Info info;
    env.reset(seed, obs.data(), info);
    std::vector<float> noise;
    const float action[2] = {0, 0};
    for (int i = 0; i < 200; ++i) {
      env.step(action, obs.data(), info);
      noise.push_back(obs[2]);
    }
    return noise;
  };
  const auto a = run(9), b = run(9);
  CHECK(a == b);
  const auto blanked = std::count(a.begin(), a.end(), 0.0f);
  CHECK(blanked > 60);
  CHECK(blanked < 140);
}
