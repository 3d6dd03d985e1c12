// A tiny track-cue (envs/memory_tasks.h) on the real driving sim: the cue shown for 2 steps, the gate 18
// steps later. PPO with a memory policy earns the gate's reward on the cued side; a memoryless MLP can only
// guess a side. Small budgets, so the test stays in CI's time.
#include "catch_torch.h"

#include "agents/trainer.h"
#include "envs/registry.h"

using namespace dl::agents;

namespace {

dl::envs::EnvConfig tiny_cue() {
  auto env = dl::envs::default_env_config("track-cue");
  env.action_repeat = 5;  // 0.1 s a step: the car gets moving within the episode
  env.memory.cue_steps = 2;
  env.memory.gate_step = 20;
  env.memory.gate_steps = 10;
  env.memory.cue_reward = 30;
  env.memory.lane_band = 0.03f;  // a quarter metre to one side
  env.memory.centre_penalty = 0;
  env.max_steps = 30;
  env.reward.tile_reward = 10;
  return env;
}

TrainResult train_tiny(const std::string& policy, int64_t steps) {
  TrainJob job;
  job.env = tiny_cue();
  job.agent.net.policy = policy;
  job.agent.net.hidden = {32, 32};
  job.agent.net.gtrxl.d_model = 32;
  job.agent.net.gtrxl.n_heads = 4;
  job.agent.net.gtrxl.n_layers = 1;
  job.agent.net.gtrxl.d_ff = 64;
  job.agent.net.gtrxl.memory_length = 30;
  job.agent.net.gtrxl.sequence_length = 10;
  job.agent.net.lstm.hidden_size = 32;
  job.agent.net.lstm.sequence_length = 10;
  job.agent.ppo.num_steps = 30;
  job.agent.learning_rate = 1e-3f;
  job.agent.ppo.gamma = 0.99f;
  job.train.total_steps = steps;
  job.train.num_envs = 8;
  job.train.num_threads = 1;
  job.train.torch_threads = 1;
  job.train.seed = 1;
  job.train.device = "cpu";
  job.train.eval_every_steps = 0;
  job.train.eval_episodes = 40;
  return train(job);
}

}  // namespace

TEST_CASE("on a tiny track-cue, GTrXL earns the cued side's reward and a memoryless MLP cannot",
          "[memory][learning]") {
  const int64_t steps = 24'000;
  const double gate = tiny_cue().memory.cue_reward;
  const auto gtrxl = train_tiny("gtrxl", steps);
  const auto mlp = train_tiny("mlp", steps);
  INFO("gtrxl " << gtrxl.final_eval_return << ", mlp "
                << mlp.final_eval_return << " (gate worth " << gate << ")");
  // Measured while writing the test (seed 1): gtrxl 27.6, mlp 18.0; the LSTM (BPTT 10) stayed at the
  // MLP's 18 even at 40k steps, so it is not asked to solve this one at CI's budget.
  CHECK(gtrxl.final_eval_return > mlp.final_eval_return + 0.2 * gate);
  CHECK(mlp.final_eval_return < 0.8 * gate);
}
