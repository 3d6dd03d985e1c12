// The learning test on the real driving env: PPO must learn to follow easy tracks in a small budget.
#include "catch_torch.h"

#include "agents/trainer.h"
#include "envs/registry.h"
#include "point_mass.h"

using namespace dl;

// Tuned on the 2-core machine: 250k steps take about 30 s of wall time with other builds running
// (about 13 s of CPU). Measured with seed 1: training return rises from -23 (the random policy's level;
// standing still scores -30) to about 60, and the deterministic evaluation on 8 unseen test tracks gives
// 69. The threshold leaves room for other seeds and libm differences while staying far above random.
TEST_CASE("PPO learns to follow easy tracks (evaluated on unseen test tracks)", "[learning][track]") {
  agents::TrainJob job;
  job.env = envs::default_env_config("track");
  job.env.preset = "easy";
  envs::apply_preset(job.env);
  job.env.max_steps = 300;
  job.agent.algo = "ppo";
  job.train.total_steps = 250'000;
  job.train.num_envs = 8;
  job.train.seed = 1;
  job.train.device = "cpu";
  job.train.eval_every_steps = 0;  // at the end only
  job.train.eval_episodes = 8;
  job.train.checkpoint_every_steps = 0;
  testing::RecordingSink sink;
  job.metrics = &sink;
  auto result = agents::train(job);
  auto returns = sink.values("charts/episodic_return");
  REQUIRE(returns.size() > 10);
  INFO("first training return " << returns.front() << ", last " << returns.back() << ", eval "
                                << result.final_eval_return);
  CHECK(returns.front() < -10.0);  // starts at the random level
  CHECK(result.final_eval_return > 30.0);
}

// Circuits with the speed-scaled look-ahead: short real-style layouts (0.8-1.5 km, hairpins, chicanes,
// both directions), 300-step episodes. A random policy stays near the start and scores about -25; a
// policy that drives the straights and follows the bends collects tiles. Threshold far above random.
TEST_CASE("PPO with the time look-ahead learns to drive circuit layouts", "[learning][track][circuit]") {
  agents::TrainJob job;
  job.env = envs::default_env_config("track");
  job.env.preset = "circuit";
  envs::apply_preset(job.env);
  job.env.track.length_min_m = 800;
  job.env.track.length_max_m = 1500;
  job.env.lookahead.points = 8;
  job.env.lookahead.horizon_s = 5;
  job.env.lookahead.widths = true;
  job.env.max_steps = 300;
  job.agent.algo = "ppo";
  job.train.total_steps = 250'000;
  job.train.num_envs = 8;
  job.train.seed = 1;
  job.train.device = "cpu";
  job.train.eval_every_steps = 0;
  job.train.eval_episodes = 8;
  job.train.checkpoint_every_steps = 0;
  testing::RecordingSink sink;
  job.metrics = &sink;
  auto result = agents::train(job);
  auto returns = sink.values("charts/episodic_return");
  REQUIRE(returns.size() > 10);
  INFO("first training return " << returns.front() << ", last " << returns.back() << ", eval "
                                << result.final_eval_return);
  CHECK(returns.front() < 0.0);
  CHECK(result.final_eval_return > 40.0);
}
