// PPO with a transformer-memory policy (net.policy: gtrxl) and with mixture-of-experts bodies (net.moe):
// memory across episode boundaries, the sequence update against the rollout, checkpoints, and a task
// only memory solves.
#include "catch_torch.h"

#include <filesystem>
#include <random>

#include "agent_test_util.h"
#include "agents/checkpoint.h"
#include "agents/rollout.h"
#include "agents/trainer.h"
#include "cue_env.h"
#include "point_mass.h"

using namespace dl::agents;
using dl::testing::max_diff;
using dl::testing::point_mass_factory;
using dl::testing::rollout_job;
using dl::testing::CueEnv;
using dl::testing::RecordingSink;
namespace fs = std::filesystem;

namespace {

NetConfig gtrxl_net(int memory_length, int sequence_length) {
  NetConfig net;
  net.policy = "gtrxl";
  net.gtrxl.d_model = 32;
  net.gtrxl.n_heads = 2;
  net.gtrxl.n_layers = 2;
  net.gtrxl.memory_length = memory_length;
  net.gtrxl.sequence_length = sequence_length;
  return net;
}


fs::path fresh_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("drivelab_gtrxl_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("GTrXL rollout forgets each env's memory when its episode ends", "[gtrxl]") {
  torch::set_num_threads(1);
  torch::manual_seed(5);
  const auto net = gtrxl_net(/*memory_length=*/16, /*sequence_length=*/8);
  auto job = rollout_job(net, 24, /*max_steps=*/7);  // episodes of 7 steps: several ends per env
  auto probe = point_mass_factory()(job.env, 0);
  ActorCritic policy(probe->observation_spec(), probe->action_spec(), net);
  Rollout rollout(job, job.agent.ppo, policy, torch::kCPU, 24);
  rollout.reset_envs(3);
  rollout.collect(24);
  const auto& s = rollout.storage();
  torch::NoGradGuard no_grad;
  const int64_t n = 1, t0 = 7;  // the first step of env 1's second episode
  REQUIRE(s.dones[t0 - 1][n].item<float>() == 1.f);
  const int64_t k = 5;
  const auto obs = s.obs.slice(0, t0, t0 + k).select(1, n).unsqueeze(0);       // [1, k, 2]
  const auto actions = s.actions.slice(0, t0, t0 + k).select(1, n).unsqueeze(0);
  // From a fresh memory, the new episode's steps give exactly what the rollout recorded.
  const auto fresh = policy->evaluate_sequence(obs, actions, policy->initial_memory(1, torch::kCPU), {});
  CHECK(max_diff(fresh.value, s.values.slice(0, t0, t0 + k).select(1, n)) < 1e-5);
  CHECK(max_diff(fresh.log_prob, s.log_probs.slice(0, t0, t0 + k).select(1, n)) < 1e-5);
  // Seeing the previous episode (no start mark) would have changed them: the check above can fail.
  const auto carried = policy->evaluate_sequence(s.obs.slice(0, 0, t0 + k).select(1, n).unsqueeze(0),
                                                 s.actions.slice(0, 0, t0 + k).select(1, n).unsqueeze(0),
                                                 policy->initial_memory(1, torch::kCPU), {});
  CHECK(max_diff(carried.value.slice(0, t0, t0 + k), s.values.slice(0, t0, t0 + k).select(1, n)) > 1e-4);
}

TEST_CASE("the PPO sequence update reproduces the rollout's log-probs and values before any step",
          "[gtrxl]") {
  torch::set_num_threads(1);
  torch::manual_seed(6);
  // Memory shorter than the rollout (the window slides), chunks of 4, episodes of 5 steps that start
  // inside chunks, and a second rollout that starts from the memory the first left behind.
  const auto net = gtrxl_net(/*memory_length=*/6, /*sequence_length=*/4);
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
    CHECK(max_diff(e.log_prob, s.log_probs) < 1e-4);  // ratio 1: exp(1e-4) - 1 ~ 1e-4
    CHECK(max_diff(e.value, s.values) < 1e-4);
  }
}

TEST_CASE("MoE policy bodies: the update reproduces the rollout and reports expert use", "[moe][gtrxl]") {
  torch::set_num_threads(1);
  torch::manual_seed(7);
  NetConfig net;
  net.hidden = {16, 16};
  net.moe.experts = 4;
  net.moe.top_k = 2;
  auto job = rollout_job(net, 16, 20);
  auto probe = point_mass_factory()(job.env, 0);
  ActorCritic policy(probe->observation_spec(), probe->action_spec(), net);
  REQUIRE(policy->has_moe());
  Rollout rollout(job, job.agent.ppo, policy, torch::kCPU, 16);
  rollout.reset_envs(4);
  rollout.collect(16);
  const auto& s = rollout.storage();
  const auto e = evaluate_rollout(policy, s);
  CHECK(max_diff(e.log_prob.view_as(s.log_probs), s.log_probs) < 1e-5);
  const auto aux = policy->moe_aux_loss();
  CHECK(aux.requires_grad());
  CHECK(aux.item<double>() >= 0.99);  // Switch's loss is at least 1 (uniform routing)
  const auto usage = policy->moe_last_usage();
  REQUIRE(usage.size() == 2);
  CHECK(usage[0].second.sum().item<double>() == Approx(1.0));

  // Through train(): the aux loss and per-expert shares are logged with flat names.
  TrainJob train_job;
  train_job.env.max_steps = 20;
  train_job.agent.net = net;
  train_job.agent.ppo.num_steps = 16;
  train_job.train.total_steps = 2 * 16 * 4;
  train_job.train.num_envs = 4;
  train_job.train.num_threads = 1;
  train_job.train.torch_threads = 1;
  train_job.train.device = "cpu";
  train_job.train.eval_episodes = 0;
  train_job.env_factory = point_mass_factory();
  RecordingSink sink;
  train_job.metrics = &sink;
  train(train_job);
  CHECK(sink.values("losses/moe_aux").size() == 2);
  double share = 0;
  for (int i = 0; i < 4; ++i) {
    const auto v = sink.values("moe/actor_expert_" + std::to_string(i));
    REQUIRE(v.size() == 2);
    share += v.back();
  }
  CHECK(share == Approx(1.0));
  CHECK(sink.values("moe/critic_expert_3").size() == 2);
}

TEST_CASE("a GTrXL checkpoint round trip gives the same actions step after step", "[gtrxl][checkpoint]") {
  torch::set_num_threads(1);
  auto dir = fresh_dir("roundtrip");
  dl::envs::EnvConfig env;
  env.max_steps = 50;
  auto probe = point_mass_factory()(env, 0);
  const auto net = gtrxl_net(8, 4);
  torch::manual_seed(11);
  ActorCritic saved(probe->observation_spec(), probe->action_spec(), net);
  CheckpointData data;
  data.env = env;
  data.agent.net = net;
  data.algo = "ppo";
  const std::string path = (dir / "ckpt.pt").string();
  save_checkpoint(path, saved, nullptr, data);
  auto back = read_checkpoint_data(path);
  CHECK(back.agent.net.policy == "gtrxl");
  CHECK(back.agent.net.gtrxl.memory_length == 8);
  CHECK(back.agent.net.gtrxl.sequence_length == 4);
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
  // The memory matters: the same observation after a different history gives another action.
  auto m3 = saved->initial_memory(4, torch::kCPU);
  const auto obs = torch::randn({4, 2});
  CHECK(max_diff(saved->act(obs, true, &m1).action, saved->act(obs, true, &m3).action) > 1e-6);
  fs::remove_all(dir);
}

TEST_CASE("PPO with a GTrXL policy learns a cue it must remember and an MLP cannot", "[gtrxl][learning]") {
  static constexpr int kLength = 6;
  auto job_for = [&](const std::string& policy) {
    TrainJob job;
    job.agent.net.policy = policy;
    job.agent.net.hidden = {32, 32};
    job.agent.net.gtrxl = gtrxl_net(kLength, 6).gtrxl;
    job.agent.net.gtrxl.n_layers = 1;
    job.agent.ppo.num_steps = 24;
    job.agent.learning_rate = 1e-3f;
    job.agent.ppo.normalize_reward = false;
    dl::testing::small_cpu_run(job.train, 20'000, 32);
    job.env_factory = [](const dl::envs::EnvConfig&, int) { return std::make_unique<CueEnv>(kLength); };
    return job;
  };
  const auto gtrxl = train(job_for("gtrxl"));
  const auto mlp = train(job_for("mlp"));
  INFO("gtrxl " << gtrxl.final_eval_return << ", mlp " << mlp.final_eval_return << " (best " << kLength << ")");
  CHECK(gtrxl.final_eval_return > 0.8 * kLength);
  CHECK(mlp.final_eval_return < 0.5 * kLength);
}

TEST_CASE("a recurrent policy asks for agent.algo ppo and a sequence length dividing num_steps", "[gtrxl]") {
  TrainJob job = rollout_job(gtrxl_net(8, 5), 16, 20);
  job.train.total_steps = 64;
  job.train.eval_episodes = 0;
  CHECK_THROWS_WITH(train(job), Catch::Contains("sequence_length 5 must divide agent.ppo.num_steps 16"));
  job.agent.algo = "a2c";
  CHECK_THROWS_WITH(train(job), Catch::Contains("ppo only"));
}
