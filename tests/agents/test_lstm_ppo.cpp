// PPO with an LSTM memory policy (net.policy: lstm): its state rides in the rollout's memory like the
// transformer's, is forgotten at episode ends, and the sequence update reproduces the rollout.
#include "catch_torch.h"

#include <filesystem>

#include "agent_test_util.h"
#include "agents/checkpoint.h"
#include "agents/lstm.h"
#include "agents/rollout.h"
#include "agents/trainer.h"
#include "cue_env.h"
#include "point_mass.h"

using namespace dl::agents;
using dl::testing::CueEnv;
using dl::testing::max_diff;
using dl::testing::point_mass_factory;
using dl::testing::rollout_job;
namespace fs = std::filesystem;

namespace {

NetConfig lstm_net(int sequence_length, int layers = 1) {
  NetConfig net;
  net.policy = "lstm";
  net.lstm.hidden_size = 24;
  net.lstm.layers = layers;
  net.lstm.sequence_length = sequence_length;
  return net;
}


}  // namespace

TEST_CASE("LSTM memory: a start inside a segment equals a fresh state, and forget clears only its rows",
          "[lstm]") {
  torch::manual_seed(3);
  RecurrentLSTM lstm(5, 8, 2);
  const auto x = torch::randn({3, 10, 5});
  auto starts = torch::zeros({3, 10}, torch::kBool);
  starts[1][6] = true;
  torch::NoGradGuard no_grad;
  const auto whole = lstm->forward(x, nullptr, starts);
  const auto fresh = lstm->forward(x.slice(1, 6, 10).slice(0, 1, 2));
  CHECK(max_diff(whole.output[1].slice(0, 6, 10), fresh.output[0]) < 1e-6);
  CHECK(max_diff(whole.output[1].slice(0, 0, 6), lstm->forward(x).output[1].slice(0, 0, 6)) == 0);
  // In two segments, carrying the memory, the outputs are those of the whole sequence.
  const auto first = lstm->forward(x.slice(1, 0, 4), nullptr, starts.slice(1, 0, 4));
  const auto second = lstm->forward(x.slice(1, 4, 10), &first.memory, starts.slice(1, 4, 10));
  CHECK(max_diff(second.output, whole.output.slice(1, 4, 10)) < 1e-6);
  auto memory = first.memory;
  memory.forget(torch::tensor({false, true, false}));
  CHECK(memory.hidden[0][1].abs().max().item<float>() == 0);
  CHECK(memory.hidden[1][1].abs().max().item<float>() == 0);
  CHECK(torch::equal(memory.hidden[0][0], first.memory.hidden[0][0]));
  CHECK(torch::equal(memory.hidden[1][2], first.memory.hidden[1][2]));
}

TEST_CASE("LSTM rollout forgets each env's state when its episode ends", "[lstm]") {
  torch::set_num_threads(1);
  torch::manual_seed(5);
  const auto net = lstm_net(8);
  auto job = rollout_job(net, 24, /*max_steps=*/7);
  auto probe = point_mass_factory()(job.env, 0);
  ActorCritic policy(probe->observation_spec(), probe->action_spec(), net);
  REQUIRE(policy->recurrent());
  Rollout rollout(job, job.agent.ppo, policy, torch::kCPU, 24);
  rollout.reset_envs(3);
  rollout.collect(24);
  const auto& s = rollout.storage();
  torch::NoGradGuard no_grad;
  const int64_t n = 1, t0 = 7, k = 5;  // the first steps of env 1's second episode
  REQUIRE(s.dones[t0 - 1][n].item<float>() == 1.f);
  const auto obs = s.obs.slice(0, t0, t0 + k).select(1, n).unsqueeze(0);
  const auto actions = s.actions.slice(0, t0, t0 + k).select(1, n).unsqueeze(0);
  const auto fresh = policy->evaluate_sequence(obs, actions, policy->initial_memory(1, torch::kCPU), {});
  CHECK(max_diff(fresh.value, s.values.slice(0, t0, t0 + k).select(1, n)) < 1e-5);
  CHECK(max_diff(fresh.log_prob, s.log_probs.slice(0, t0, t0 + k).select(1, n)) < 1e-5);
  // Carrying the previous episode's state would have changed them: the check above can fail.
  const auto carried = policy->evaluate_sequence(s.obs.slice(0, 0, t0 + k).select(1, n).unsqueeze(0),
                                                 s.actions.slice(0, 0, t0 + k).select(1, n).unsqueeze(0),
                                                 policy->initial_memory(1, torch::kCPU), {});
  CHECK(max_diff(carried.value.slice(0, t0, t0 + k), s.values.slice(0, t0, t0 + k).select(1, n)) > 1e-4);
}

TEST_CASE("the PPO sequence update reproduces an LSTM rollout's log-probs and values", "[lstm]") {
  torch::set_num_threads(1);
  torch::manual_seed(6);
  // Two layers, chunks of 4, episodes of 5 steps starting inside chunks, two rollouts in a row.
  const auto net = lstm_net(4, 2);
  auto job = rollout_job(net, 16, /*max_steps=*/5);
  auto probe = point_mass_factory()(job.env, 0);
  ActorCritic policy(probe->observation_spec(), probe->action_spec(), net);
  Rollout rollout(job, job.agent.ppo, policy, torch::kCPU, 16);
  rollout.reset_envs(4);
  for (int round = 0; round < 2; ++round) {
    rollout.collect(16);
    const auto& s = rollout.storage();
    torch::NoGradGuard no_grad;
    const auto e = evaluate_rollout(policy, s);
    CHECK(max_diff(e.log_prob, s.log_probs) < 1e-5);
    CHECK(max_diff(e.value, s.values) < 1e-5);
  }
}

TEST_CASE("LSTM gradients reach back through the whole training sequence and stop at its memory", "[lstm]") {
  torch::manual_seed(8);
  RecurrentLSTM lstm(3, 6, 1);
  const auto x = torch::randn({2, 6, 3}, torch::requires_grad());
  auto memory = lstm->initial_memory(2, torch::kCPU);
  memory.hidden[0] = torch::randn({2, 1, 6}, torch::requires_grad());
  const auto out = lstm->forward(x, &memory);
  out.output.select(1, 5).sum().backward();
  CHECK(x.grad().select(1, 0).abs().sum().item<double>() > 0);  // the first step feeds the last output
  CHECK(!out.memory.hidden[0].requires_grad());                 // the memory handed on is detached
}

TEST_CASE("an LSTM checkpoint round trip gives the same actions step after step", "[lstm][checkpoint]") {
  torch::set_num_threads(1);
  auto dir = fs::temp_directory_path() / ("drivelab_lstm_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  dl::envs::EnvConfig env;
  env.max_steps = 50;
  auto probe = point_mass_factory()(env, 0);
  const auto net = lstm_net(4, 2);
  torch::manual_seed(11);
  ActorCritic saved(probe->observation_spec(), probe->action_spec(), net);
  CheckpointData data;
  data.env = env;
  data.agent.net = net;
  data.algo = "ppo";
  const std::string path = (dir / "ckpt.pt").string();
  save_checkpoint(path, saved, nullptr, data);
  auto back = read_checkpoint_data(path);
  CHECK(back.agent.net.policy == "lstm");
  CHECK(back.agent.net.lstm.layers == 2);
  CHECK(back.agent.net.lstm.sequence_length == 4);
  torch::manual_seed(12);
  ActorCritic loaded(probe->observation_spec(), probe->action_spec(), back.agent.net);
  load_checkpoint_state(path, loaded, nullptr, false);
  torch::NoGradGuard no_grad;
  auto m1 = saved->initial_memory(4, torch::kCPU), m2 = loaded->initial_memory(4, torch::kCPU);
  for (int t = 0; t < 12; ++t) {
    const auto obs = torch::randn({4, 2});
    const auto a = saved->act(obs, true, &m1), b = loaded->act(obs, true, &m2);
    CHECK(torch::equal(a.action, b.action));
    CHECK(torch::equal(a.value, b.value));
  }
  auto m3 = saved->initial_memory(4, torch::kCPU);
  const auto obs = torch::randn({4, 2});
  CHECK(max_diff(saved->act(obs, true, &m1).action, saved->act(obs, true, &m3).action) > 1e-6);
  fs::remove_all(dir);
}

TEST_CASE("PPO with an LSTM policy is deterministic by seed on CPU", "[lstm]") {
  torch::set_num_threads(1);
  auto run = [&](uint64_t seed) {
    TrainJob job = rollout_job(lstm_net(4), 16, 20);
    job.train.total_steps = 3 * 16 * 3;
    job.train.torch_threads = 1;
    job.train.seed = seed;
    job.train.eval_every_steps = 0;
    job.train.eval_episodes = 4;
    job.train.deterministic_eval = false;
    return train(job).final_eval_return;
  };
  CHECK(run(4) == run(4));
  CHECK(run(4) != run(5));
}

TEST_CASE("PPO with an LSTM policy learns a cue it must remember", "[lstm][learning]") {
  static constexpr int kLength = 6;
  TrainJob job;
  job.agent.net = lstm_net(6);
  job.agent.net.lstm.hidden_size = 32;
  job.agent.ppo.num_steps = 24;
  job.agent.learning_rate = 1e-3f;
  job.agent.ppo.normalize_reward = false;
  dl::testing::small_cpu_run(job.train, 20'000, 32);
  job.env_factory = [](const dl::envs::EnvConfig&, int) { return std::make_unique<CueEnv>(kLength); };
  const auto lstm = train(job);
  INFO("lstm " << lstm.final_eval_return << " (best " << kLength << "; an MLP gets about 1)");
  CHECK(lstm.final_eval_return > 0.8 * kLength);
}

TEST_CASE("net.policy lstm asks for agent.algo ppo and a sequence length dividing num_steps", "[lstm]") {
  TrainJob job = rollout_job(lstm_net(5), 16, 20);
  job.train.total_steps = 64;
  job.train.eval_episodes = 0;
  CHECK_THROWS_WITH(train(job), Catch::Contains("agent.net.lstm.sequence_length 5 must divide agent.ppo.num_steps 16"));
  job.agent.algo = "reinforce";
  CHECK_THROWS_WITH(train(job), Catch::Contains("ppo only"));
}
