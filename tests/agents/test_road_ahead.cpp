// The road-ahead auxiliary loss (agent.net.road_ahead_coef, agents/policy.h): its targets are the road
// ahead of the very observation they are stored with, PPO learns to predict them, checkpoints keep the head,
// and settings it cannot serve are errors.
#include "catch_torch.h"

#include <filesystem>

#include "agent_test_util.h"
#include "agents/rollout.h"
#include "agents/trainer.h"
#include "envs/driving_env.h"
#include "envs/observation.h"
#include "envs/registry.h"
#include "io/files.h"

using namespace dl::agents;
using dl::testing::RecordingSink;
namespace fs = std::filesystem;

namespace {

TrainJob track_job(int64_t total_steps) {
  TrainJob job;
  job.env = dl::envs::default_env_config("track");
  job.env.max_steps = 40;  // short episodes: the rollouts below cross several autoresets
  job.agent.net.hidden = {32, 32};
  job.agent.net.road_ahead_coef = 1;
  job.agent.ppo.num_steps = 64;
  dl::testing::small_cpu_run(job.train, total_steps, /*eval_episodes=*/2);
  job.train.checkpoint_every_steps = 0;
  return job;
}

}  // namespace

TEST_CASE("road-ahead targets are the look-ahead of the observation stored with them", "[road_ahead]") {
  torch::set_num_threads(1);
  torch::manual_seed(3);
  auto job = track_job(0);
  job.agent.normalize_obs = false;  // the stored observations are then the env's own
  auto probe = dl::envs::make_env(job.env);
  const int64_t K = road_ahead_outputs(job.env, job.agent.net);
  REQUIRE(K == job.env.lookahead.points);
  REQUIRE(K > 0);
  ActorCritic policy(probe->observation_spec(), probe->action_spec(), job.agent.net, K);
  REQUIRE(policy->road_ahead_outputs() == K);
  Rollout rollout(job, job.agent.ppo, policy, torch::kCPU, 96);
  rollout.reset_envs(5);
  rollout.collect(96);
  const auto& s = rollout.storage();
  REQUIRE(s.road_ahead.defined());
  REQUIRE(s.road_ahead.sizes() == std::vector<int64_t>({96, 8, K}));
  const auto layout = dl::envs::vector_obs_layout(job.env, dl::envs::world_config(job.env));
  const int64_t first = layout.track_first() + 2;  // the curvatures ahead in the observation
  const auto shown = s.obs.slice(2, first, first + K);
  CHECK(torch::equal(s.road_ahead, shown));  // every step, also the first ones of new episodes
  CHECK(s.dones.sum().item<float>() >= 8);     // and there were such steps (40-step episodes)
  CHECK(shown.ne(0).sum().item<int64_t>() > 96 * 8);  // bends, not only straights
  // The update's evaluation gives the head's prediction per row.
  torch::NoGradGuard no_grad;
  const auto e = policy->evaluate(s.obs.flatten(0, 1), s.actions.flatten(0, 1));
  REQUIRE(e.road_ahead.defined());
  CHECK(e.road_ahead.sizes() == std::vector<int64_t>({96 * 8, K}));
}

TEST_CASE("PPO with road_ahead_coef learns to predict the road ahead and checkpoints the head", "[road_ahead]") {
  const auto dir = fs::temp_directory_path() / ("drivelab_road_ahead_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto job = track_job(8 * 64 * 12);  // 12 updates
  job.run_dir = dir.string();
  RecordingSink sink;
  job.metrics = &sink;
  train(job);
  const auto loss = sink.values("losses/road_ahead");
  REQUIRE(loss.size() == 12);
  INFO("road-ahead loss, first and last update: " << loss.front() << " " << loss.back());
  CHECK(loss.back() < 0.5 * loss.front());
  // Without the head nothing is logged.
  auto plain = track_job(8 * 64 * 2);
  plain.agent.net.road_ahead_coef = 0;
  RecordingSink plain_sink;
  plain.metrics = &plain_sink;
  train(plain);
  CHECK(!plain_sink.has("losses/road_ahead"));
  // The checkpoint carries the head: evaluation rebuilds the policy with it and loads every weight.
  EvalOptions options;
  options.episodes = 2;
  options.seed = 9;
  const auto a = evaluate((dir / "checkpoints" / "latest.pt").string(), options);
  const auto b = evaluate((dir / "checkpoints" / "latest.pt").string(), options);
  REQUIRE(a.returns.size() == 2);
  CHECK(a.returns == b.returns);
  fs::remove_all(dir);
}

TEST_CASE("road_ahead_coef needs ppo and an env look-ahead", "[road_ahead]") {
  auto job = track_job(64 * 8);
  job.agent.algo = "a2c";
  CHECK_THROWS_AS(train(job), dl::io::InputError);
  CHECK_THROWS_WITH(train(job), Catch::Contains("agent.net.road_ahead_coef") && Catch::Contains("a2c"));
  job.agent.algo = "ppo";
  job.env.lookahead.points = 0;
  CHECK_THROWS_WITH(train(job), Catch::Contains("agent.net.road_ahead_coef") &&
                                    Catch::Contains("env.lookahead.points"));
}
