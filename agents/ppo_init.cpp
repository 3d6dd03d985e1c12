// drivelab/agents: PPO that starts from another run's weights (agent.ppo.init_from: a BC or DAgger run, or any
// actor-critic run with the same net): the actor and normalizer are loaded, the critic alone is warmed up
// for agent.ppo.value_warmup updates, then PPO continues as a resume from the checkpoint that hand-over writes.
#include <filesystem>

#include "agents/algorithm.h"
#include "agents/checkpoint.h"
#include "agents/session.h"
#include "io/files.h"

namespace fs = std::filesystem;

namespace dl::agents {

TrainResult train_ppo(const TrainJob& job);  // agents/ppo.cpp

std::string init_checkpoint_path(const std::string& target) {
  try {
    return resolve_checkpoint(target);
  } catch (const io::InputError& e) {
    throw io::InputError(std::string("agent.ppo.init_from: ") + e.what());
  }
}

void check_init_from(const TrainJob& job, const envs::Env& probe) {
  const std::string source = init_checkpoint_path(job.agent.ppo.init_from);
  try {
    read_checkpoint_data(source);
    ActorCritic policy(probe.observation_spec(), probe.action_spec(), job.agent.net);
    load_checkpoint_state(source, policy, nullptr, /*restore_rng=*/false);  // the run's net must fit it
  } catch (const io::InputError& e) {
    const std::string what = e.what();
    throw io::InputError("agent.ppo.init_from: " + io::first_line(what) +
                         " (agent.net must match the network of the run it starts from)");
  }
}

TrainResult train_ppo_from_init(const TrainJob& job) {
  if (job.resume) return train_ppo(job);  // the BC weights are in the run's own checkpoints already
  if (job.run_dir.empty()) throw io::InputError("agent.ppo.init_from: the job needs a run folder");
  const std::string source = init_checkpoint_path(job.agent.ppo.init_from);
  const CheckpointData init = read_checkpoint_data(source);
  const AgentConfig& agent = job.agent;
  const PPOConfig& cfg = agent.ppo;

  Session session(job, "ppo", cfg, cfg.num_steps);
  // Weights and normalizer go in before start(), which resets the envs and normalizes their first
  // observations.
  try {
    load_checkpoint_state(source, session.policy, nullptr, /*restore_rng=*/false);
  } catch (const std::exception& e) {
    throw io::InputError("agent.ppo.init_from: " + std::string(e.what()) +
                             " (agent.net must match the network of the run it starts from)");
  }
  session.policy->to(session.device);
  if (auto* n = session.rollout->obs_normalizer(); n && !init.obs_norm.empty()) n->load_state(init.obs_norm);

  // The critic's own parameters: everything outside the actor's body and heads. With pixels the CNN is
  // shared, and stays frozen with the actor.
  std::vector<torch::Tensor> critic;
  for (const auto& item : session.policy->named_parameters())
    if (item.key().rfind("critic", 0) == 0) critic.push_back(item.value());
  session.start(std::make_unique<torch::optim::Adam>(critic, torch::optim::AdamOptions(agent.learning_rate).eps(1e-5)));

  const int64_t batch_size = static_cast<int64_t>(cfg.num_steps) * job.train.num_envs;
  const int64_t minibatch = std::max<int64_t>(1, batch_size / cfg.num_minibatches);
  for (int k = 0; k < cfg.value_warmup && !session.done(); ++k) {
    Stopwatch clock;
    session.collect(cfg.num_steps);
    auto& s = session.rollout->storage();
    const auto returns = (compute_gae(s.rewards, s.values, s.dones, s.last_value, cfg.gamma, cfg.gae_lambda)
                              .to(session.device) + s.values).flatten(0, 1);
    const auto obs = s.obs.flatten(0, 1);
    double loss_sum = 0;
    int64_t batches = 0;
    for (int epoch = 0; epoch < cfg.update_epochs; ++epoch) {
      const auto order = torch::randperm(batch_size, torch::TensorOptions().dtype(torch::kLong).device(session.device));
      for (int64_t start = 0; start + minibatch <= batch_size; start += minibatch) {
        const auto mb = order.slice(0, start, start + minibatch);
        const auto loss = 0.5 * (session.policy->value(obs.index_select(0, mb)) - returns.index_select(0, mb)).pow(2).mean();
        session.optimizer->zero_grad();
        loss.backward();
        if (agent.max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(critic, agent.max_grad_norm);
        session.optimizer->step();
        loss_sum += loss.item<double>();
        ++batches;
      }
    }
    session.scalar("losses/value_warmup", loss_sum / std::max<int64_t>(1, batches));
    ++session.update;
    session.end_update(clock.seconds());
  }

  // Hand over to PPO as a resume: the checkpoint holds the BC actor, the warmed-up critic, the
  // normalizers, the step counters and a fresh optimizer over every parameter.
  // Made as PPO makes its own (one flat parameter tensor, see session.h), so the resume loads it.
  const auto fresh = session.make_optimizer("adam", /*adam_eps=*/1e-5);
  CheckpointData d = checkpoint_data(job, session.global_step);
  d.update = session.update;
  d.algo = "ppo";
  if (auto* n = session.rollout->obs_normalizer()) d.obs_norm = n->state();
  if (auto* r = session.rollout->reward_scaler()) d.reward_scaler = r->state();
  fs::create_directories(fs::path(job.run_dir) / "checkpoints");
  save_checkpoint((fs::path(job.run_dir) / "checkpoints" / "latest.pt").string(), session.policy, fresh.get(), d);
  TrainJob ppo_job = job;
  ppo_job.resume = true;
  return train_ppo(ppo_job);
}

}  // namespace dl::agents
