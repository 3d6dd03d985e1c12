#include <catch2/catch.hpp>

#include <vector>

#include "data/collect.h"
#include "data/dataset.h"
#include "data_test_util.h"
#include "envs/expert.h"
#include "envs/registry.h"

using namespace dl::envs;

namespace {

// Enough time for a slow lap of the longest preset (a medium lap takes about 2300 steps).
constexpr int kLapStepLimit = 6000;

struct LapResult {
  bool lap = false;
  int steps = 0;
  double episode_return = 0;
};

LapResult drive_expert(const std::string& preset, uint64_t seed, int step_limit = kLapStepLimit) {
  EnvConfig c = default_env_config("track");
  c.preset = preset;
  apply_preset(c);
  c.tracks = "test";
  c.max_steps = step_limit;
  auto env = make_env(c);
  std::vector<float> obs(env->observation_spec().size());
  Info info;
  env->reset(seed, obs.data(), info);
  const dl::sim::World* world = find_world(*env);
  REQUIRE(world != nullptr);
  ExpertDriver expert;
  for (;;) {
    const dl::sim::Action a = expert.act(*world);
    const float action[3] = {a.steer, a.gas, a.brake};
    const StepResult r = env->step(action, obs.data(), info);
    if (r.terminated || r.truncated) break;
  }
  return {info.episode_lap_complete, info.episode_length, info.episode_return};
}

}  // namespace

TEST_CASE("the expert completes a lap on easy, medium and hard tracks", "[data][expert]") {
  for (const char* preset : {"easy", "medium", "hard"}) {
    for (uint64_t seed : {1u, 2u, 3u}) {
      INFO("preset " << preset << ", seed " << seed);
      const LapResult r = drive_expert(preset, seed);
      CHECK(r.lap);
      CHECK(r.episode_return > 600);
    }
  }
}

TEST_CASE("the expert laps 100 circuit test layouts at full power", "[data][expert]") {
  // 2-7 km laps at 25 decisions a second: a 7 km lap at a slow 25 m/s average is 7000 steps.
  int laps = 0;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    const LapResult r = drive_expert("circuit", seed, 8000);
    INFO("circuit test seed " << seed << ": " << r.steps << " steps, return " << r.episode_return);
    CHECK(r.lap);
    laps += r.lap;
  }
  CHECK(laps == 100);
}

TEST_CASE("the world is found through every wrapper make_env adds", "[data][expert]") {
  EnvConfig c = default_env_config("track-pomdp");
  c.frame_stack = 2;
  auto env = make_env(c);
  CHECK(find_world(*env) != nullptr);
}

TEST_CASE("collect records the asked mix of policies into a readable dataset", "[data][expert]") {
  TempDir dir;
  EnvConfig c = default_env_config("track");
  c.max_steps = 60;
  dl::data::ExpertPolicy expert(make_env(c)->action_spec(), expert_params());
  dl::data::CollectOptions o;
  o.episodes = 10;
  o.seed = 4;
  o.noise = 0.1f;
  o.random_fraction = 0.2f;
  o.weak_fraction = 0.3f;
  const std::string path = dir.file("c.dlds");
  const auto report = dl::data::collect(c, expert, o, path);
  CHECK(report.episodes == 10);
  CHECK(report.random_episodes == 2);
  CHECK(report.weak_episodes == 3);
  CHECK(report.main_episodes == 5);
  CHECK(report.steps == 600);
  dl::data::DatasetReader r(path);
  CHECK(r.num_episodes() == 10);
  CHECK(r.num_steps() == 600);
  CHECK(r.spec().observation.shape == make_env(c)->observation_spec().shape);
  int random = 0, noisy_expert = 0;
  for (int i = 0; i < 10; ++i) {
    const auto e = r.episode(i);
    CHECK(e.meta.seed == 4u + i);
    CHECK(e.truncated.back() == 1);
    random += e.meta.policy == "random";
    noisy_expert += e.meta.policy == "expert+noise0.1";
    for (size_t k = 0; k < e.actions.size(); k += 3) {
      CHECK(e.actions[k] >= -1.f);
      CHECK(e.actions[k] <= 1.f);
    }
  }
  CHECK(random == 2);
  CHECK(noisy_expert == 5);
}

TEST_CASE("collect drives discrete envs with the nearest discrete action", "[data][expert]") {
  CHECK(dl::data::nearest_discrete_action(0, 0, 0.9f) == 4);
  CHECK(dl::data::nearest_discrete_action(-0.8f, 1, 0) == 1);
  CHECK(dl::data::nearest_discrete_action(0.8f, 1, 0) == 2);
  CHECK(dl::data::nearest_discrete_action(0.1f, 1, 0) == 3);
  CHECK(dl::data::nearest_discrete_action(0, 0, 0) == 0);
}
