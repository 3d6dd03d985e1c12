#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <vector>

#include "envs/vector_env.h"
#include "envs/wrappers.h"
#include "fake_env.h"
#include "sim/rng.h"

using namespace dl::envs;
using dl::envs::testing::LineEnv;

namespace {

constexpr int kNumEnvs = 7;

VectorEnv::Factory line_envs(int max_steps) {
  return [max_steps](int) {
    return std::make_unique<EpisodeStats>(std::make_unique<TimeLimit>(std::make_unique<LineEnv>(4), max_steps), 0.02f);
  };
}

// Everything a rollout produced, to compare runs bit for bit.
struct Trace {
  std::vector<float> obs, final_obs, rewards;
  std::vector<uint8_t> terminated, truncated;
  bool operator==(const Trace&) const = default;
};

Trace rollout(int num_threads, int steps) {
  VectorEnv venv(line_envs(9), kNumEnvs, num_threads);
  venv.reset(42);
  dl::sim::Rng rng(7);
  std::vector<float> actions(kNumEnvs * 2);
  Trace t;
  for (int s = 0; s < steps; ++s) {
    for (auto& a : actions) a = static_cast<float>(rng.uniform(-1.5, 1.5));
    venv.step(actions.data());
    const auto* obs = static_cast<const float*>(venv.obs());
    const auto* fin = static_cast<const float*>(venv.final_obs());
    t.obs.insert(t.obs.end(), obs, obs + kNumEnvs * 3);
    for (int i = 0; i < kNumEnvs; ++i) {
      const bool done = venv.terminated()[i] || venv.truncated()[i];
      for (int k = 0; k < 3; ++k) t.final_obs.push_back(done ? fin[i * 3 + k] : 0.0f);
    }
    t.rewards.insert(t.rewards.end(), venv.rewards(), venv.rewards() + kNumEnvs);
    t.terminated.insert(t.terminated.end(), venv.terminated(), venv.terminated() + kNumEnvs);
    t.truncated.insert(t.truncated.end(), venv.truncated(), venv.truncated() + kNumEnvs);
  }
  return t;
}

}  // namespace

TEST_CASE("vector env results are identical with 0 or 1 or 2 or 3 threads", "[envs][vector]") {
  const Trace inline_run = rollout(0, 300);
  CHECK(rollout(1, 300) == inline_run);
  CHECK(rollout(2, 300) == inline_run);
  CHECK(rollout(3, 300) == inline_run);
}

TEST_CASE("vector env seeds env i with seed + i", "[envs][vector]") {
  VectorEnv venv(line_envs(9), 3, 2);
  venv.reset(100);
  for (int i = 0; i < 3; ++i) {
    LineEnv single(4);
    std::vector<float> obs(3);
    Info info;
    single.reset(100 + i, obs.data(), info);
    CHECK(std::memcmp(obs.data(), static_cast<const float*>(venv.obs()) + i * 3, 12) == 0);
  }
}

TEST_CASE("autoreset in the same step keeps the final observation and the episode info", "[envs][vector]") {
  VectorEnv venv(line_envs(1000), 2, 2);
  venv.reset(5);
  const std::vector<float> actions = {1, 0, 0, 0};  // env 0 runs to the goal, env 1 stays
  for (int s = 0; s < 10; ++s) {
    venv.step(actions.data());
    if (!venv.terminated()[0]) continue;
    const auto* fin = static_cast<const float*>(venv.final_obs());
    const auto* obs = static_cast<const float*>(venv.obs());
    CHECK(fin[0] >= 4.0f);               // the goal was reached in the final observation
    CHECK(fin[1] == static_cast<float>(s + 1));
    CHECK(obs[1] == 0.0f);               // the new episode has taken no step
    CHECK(venv.infos()[0].episode_done);
    CHECK(venv.infos()[0].episode_length == s + 1);
    CHECK_FALSE(venv.terminated()[1]);
    return;
  }
  FAIL("env 0 never reached its goal");
}

TEST_CASE("a bad action in a vector env throws ActionError naming the env", "[envs][vector]") {
  for (int threads : {1, 3}) {
    VectorEnv venv(line_envs(9), 4, threads);
    venv.reset(1);
    std::vector<float> actions(8, 0.0f);
    actions[2 * 2 + 1] = std::numeric_limits<float>::quiet_NaN();
    REQUIRE_THROWS_AS(venv.step(actions.data()), ActionError);
    REQUIRE_THROWS_WITH(venv.step(actions.data()), Catch::StartsWith("env 2:"));
    actions[5] = 0;
    REQUIRE_NOTHROW(venv.step(actions.data()));
  }
}

TEST_CASE("vector env actions are clipped per env", "[envs][vector]") {
  VectorEnv venv([](int) { return std::make_unique<LineEnv>(1000); }, 2, 1);
  venv.reset(0);
  const std::vector<float> actions = {9, 0, -9, 0};
  venv.step(actions.data());
  CHECK(venv.rewards()[0] == 1.0f);
  CHECK(venv.rewards()[1] == -1.0f);
}
