// drivelab/agents: Proximal Policy Optimization (Schulman et al. 2017), after CleanRL's ppo_continuous_action.
//
// Config (agents/agent_config.h): agent.ppo.* and the shared agent keys (net, optimizer, learning_rate,
// anneal_lr, max_grad_norm, normalize_obs, clip_obs):
//   num_steps        rollout length per env; batch = num_steps * num_envs
//   num_minibatches  minibatches per epoch; update_epochs passes over the batch per update
//   gamma, gae_lambda  discount and GAE(lambda) for advantages
//   clip_coef        ratio clip of the surrogate objective; clip_vloss clips the value update the same way
//   norm_adv         advantages normalized per minibatch
//   ent_coef, vf_coef  entropy bonus and value loss weights
//   max_grad_norm    global gradient-norm clip
//   anneal_lr        linear learning-rate decay to 0
//   target_kl        stop the epochs of an update early once approx KL exceeds it (0 = never)
// Loop: collect a rollout -> GAE -> update_epochs x shuffled minibatches of the clipped objective -> log.
//
// Recurrent policies (net.policy: gtrxl or lstm) train on sequences: the rollout [T, N] is cut into chunks
// of net.gtrxl.sequence_length (net.lstm.sequence_length) steps per env, each starting from the memory the rollout had there, with
// episode starts inside a chunk masked; minibatches shuffle whole sequences. Before the first gradient
// step this reproduces the rollout's log-probs and values (tested). MoE bodies (net.moe) add
// aux_coef * their load-balancing loss and log each expert's share as moe/actor_expert_<i>, ...
// net.road_ahead_coef > 0 adds that weight times the mean squared error of the road-ahead head against the
// road ahead stored with each step (agents/policy.h), logged as losses/road_ahead.
#include <cmath>
#include <stdexcept>

#include "agents/distributed.h"
#include "agents/session.h"
#include "agents/algorithm.h"

namespace dl::agents {

namespace {

// The update's view of a rollout: `rows` independent units, each tensor led by the row index. Flat for
// feed-forward policies (a row is one step); [S, L] sequences for recurrent ones.
struct UpdateBatch {
  int64_t rows = 0;
  torch::Tensor obs, actions, log_probs, advantages, returns, values;
  torch::Tensor road_ahead;   // with a road-ahead head: its targets, rows like the rest
  torch::Tensor starts;       // recurrent: [S, L] bool
  TransformerMemory memory;   // recurrent: [S] rows, the memory before each sequence
};

// [T, N, ...] -> [T / L * N, L, ...]: sequence (c, n) holds steps c L .. c L + L - 1 of env n.
torch::Tensor to_sequences(const torch::Tensor& x, int64_t length) {
  const int64_t t = x.size(0);
  auto shape = x.sizes().vec();
  shape[0] = length;
  shape.insert(shape.begin(), t / length);  // [C, L, N, ...]
  return x.reshape(shape).transpose(1, 2).flatten(0, 1);
}

UpdateBatch make_batch(const RolloutStorage& s, int64_t T, const torch::Tensor& advantages,
                       const torch::Tensor& returns, bool recurrent, torch::Device device) {
  UpdateBatch b;
  if (!recurrent) {
    b.rows = T * s.obs.size(1);
    b.obs = s.obs.flatten(0, 1);
    b.actions = s.actions.flatten(0, 1);
    b.log_probs = s.log_probs.flatten(0, 1);
    b.advantages = advantages.flatten(0, 1);
    b.returns = returns.flatten(0, 1);
    b.values = s.values.flatten(0, 1);
    if (s.road_ahead.defined()) b.road_ahead = s.road_ahead.flatten(0, 1);
    return b;
  }
  const int64_t L = s.sequence_length;
  b.obs = to_sequences(s.obs, L);
  b.actions = to_sequences(s.actions, L);
  b.log_probs = to_sequences(s.log_probs, L);
  b.advantages = to_sequences(advantages, L);
  b.returns = to_sequences(returns, L);
  b.values = to_sequences(s.values, L);
  if (s.road_ahead.defined()) b.road_ahead = to_sequences(s.road_ahead, L);
  // A step starts an episode when the step before it ended one; a chunk's first step needs no mark (its
  // stored memory was forgotten already).
  auto starts = torch::zeros_like(s.dones);
  starts.slice(0, 1, s.dones.size(0)).copy_(s.dones.slice(0, 0, s.dones.size(0) - 1));
  b.starts = to_sequences(starts, L).ne(0).to(device);
  b.rows = b.obs.size(0);
  // Stack the chunk memories in the same (chunk, env) order; cloning makes them ordinary tensors.
  const int64_t chunks = T / L;
  std::vector<torch::Tensor> valid;
  for (int64_t c = 0; c < chunks; ++c) valid.push_back(s.sequence_memory[c].valid);
  b.memory.valid = torch::cat(valid, 0).clone();
  for (size_t l = 0; l < s.sequence_memory[0].hidden.size(); ++l) {
    std::vector<torch::Tensor> hidden;
    for (int64_t c = 0; c < chunks; ++c) hidden.push_back(s.sequence_memory[c].hidden[l]);
    b.memory.hidden.push_back(torch::cat(hidden, 0).clone());
  }
  return b;
}

}  // namespace

EvalOutput evaluate_rollout(ActorCritic& policy, const RolloutStorage& s) {
  const int64_t T = s.steps;
  auto zeros = torch::zeros_like(s.values);
  auto b = make_batch(s, T, zeros, zeros, policy->recurrent(), s.values.device());
  if (!policy->recurrent()) return policy->evaluate(b.obs, b.actions);
  auto e = policy->evaluate_sequence(b.obs, b.actions, b.memory, b.starts);
  // Back from sequence order to [T, N].
  const int64_t N = s.values.size(1), L = s.sequence_length;
  auto back = [&](const torch::Tensor& x) {
    return x.view({T / L, N, L}).transpose(1, 2).reshape({T, N});
  };
  return {back(e.log_prob), back(e.entropy), back(e.value), {}};
}

TrainResult train_ppo(const TrainJob& job) {
  const AgentConfig& agent = job.agent;
  const PPOConfig& cfg = agent.ppo;
  const int64_t T = cfg.num_steps, N = job.train.num_envs;
  Session session(job, "ppo", cfg, T);
  session.start(session.make_optimizer("adam", /*adam_eps=*/1e-5));  // eps 1e-5: a PPO implementation detail
  auto& policy = session.policy;
  const auto device = session.device;
  const bool recurrent = policy->recurrent();
  const int64_t L = recurrent ? sequence_length(agent.net) : 1;
  if (recurrent && T % L != 0)
    throw std::runtime_error("agent.net." + agent.net.policy + ".sequence_length " + std::to_string(L) +
                             " must divide agent.ppo.num_steps " + std::to_string(T));
  const int64_t rows = T * N / L;  // steps, or sequences of L steps
  const int64_t minibatch_rows = std::max<int64_t>(1, rows / cfg.num_minibatches);
  const double aux_coef = agent.net.moe.aux_coef;
  const double road_ahead_coef = agent.net.road_ahead_coef;

  while (!session.done()) {
    const double lr = session.anneal_learning_rate();
    session.collect(T);

    Stopwatch update_clock;
    auto& s = session.rollout->storage();
    auto advantages = compute_gae(s.rewards, s.values, s.dones, s.last_value, cfg.gamma, cfg.gae_lambda)
                          .to(device);
    auto returns = advantages + s.values;

    auto b = make_batch(s, T, advantages, returns, recurrent, device);
    auto b_returns = b.returns.flatten();
    auto b_values = b.values.flatten();
    std::vector<std::pair<std::string, torch::Tensor>> usage_sums;
    auto aux_sum = torch::zeros({}, torch::TensorOptions().device(device));
    auto road_ahead_sum = torch::zeros({}, torch::TensorOptions().device(device));

    // Sums over minibatches of: policy loss, value loss, entropy, approx KL, old approx KL, clip fraction.
    auto sums = torch::zeros({6}, torch::TensorOptions().device(device));
    int64_t minibatches = 0;
    int epochs_run = 0;
    bool stopped_early = false;
    for (int epoch = 0; epoch < cfg.update_epochs && !stopped_early; ++epoch) {
      auto order = torch::randperm(rows, torch::TensorOptions().dtype(torch::kLong).device(device));
      torch::Tensor approx_kl;
      for (int64_t start = 0; start + minibatch_rows <= rows; start += minibatch_rows) {
        auto mb = order.slice(0, start, start + minibatch_rows);
        auto pick = [&](const torch::Tensor& x) { return x.index_select(0, mb).flatten(0, recurrent ? 1 : 0); };
        auto eval = recurrent ? policy->evaluate_sequence(b.obs.index_select(0, mb), b.actions.index_select(0, mb),
                                                          b.memory.select(mb), b.starts.index_select(0, mb))
                              : policy->evaluate(b.obs.index_select(0, mb), b.actions.index_select(0, mb));
        auto log_ratio = eval.log_prob - pick(b.log_probs);
        auto ratio = log_ratio.exp();
        torch::Tensor old_approx_kl, clipfrac;
        {
          torch::NoGradGuard no_grad;
          // KL estimators from http://joschu.net/blog/kl-approx.html: (ratio - 1) - log ratio is unbiased
          // and never negative.
          old_approx_kl = (-log_ratio).mean();
          approx_kl = ((ratio - 1) - log_ratio).mean();
          clipfrac = ((ratio - 1.0).abs() > cfg.clip_coef).to(torch::kFloat32).mean();
        }
        auto mb_adv = pick(b.advantages);
        // Data-parallel: over every rank's minibatch, the 1-process minibatch of W times the rows.
        if (cfg.norm_adv && mb_adv.numel() > 1) mb_adv = dist::normalize_over_ranks(mb_adv, 1e-8);

        // Clipped surrogate: the pessimistic (max of losses) of the raw and the clipped ratio.
        auto pg_loss1 = -mb_adv * ratio;
        auto pg_loss2 = -mb_adv * torch::clamp(ratio, 1.0 - cfg.clip_coef, 1.0 + cfg.clip_coef);
        auto pg_loss = torch::max(pg_loss1, pg_loss2).mean();

        auto mb_returns = pick(b.returns);
        torch::Tensor v_loss;
        if (cfg.clip_vloss) {
          auto mb_values = pick(b.values);
          auto v_unclipped = (eval.value - mb_returns).pow(2);
          auto v_clipped = mb_values + torch::clamp(eval.value - mb_values, -cfg.clip_coef, cfg.clip_coef);
          v_loss = 0.5 * torch::max(v_unclipped, (v_clipped - mb_returns).pow(2)).mean();
        } else {
          v_loss = 0.5 * (eval.value - mb_returns).pow(2).mean();
        }
        auto entropy = eval.entropy.mean();
        auto loss = pg_loss - cfg.ent_coef * entropy + cfg.vf_coef * v_loss;
        if (policy->has_moe()) {
          auto aux = policy->moe_aux_loss();
          loss = loss + aux_coef * aux;
          aux_sum += aux.detach();
          auto usage = policy->moe_last_usage();
          if (usage_sums.empty()) usage_sums = usage;
          else
            for (size_t i = 0; i < usage.size(); ++i) usage_sums[i].second = usage_sums[i].second + usage[i].second;
        }

        if (eval.road_ahead.defined()) {
          auto road_ahead_loss = (eval.road_ahead - pick(b.road_ahead)).pow(2).mean();
          loss = loss + road_ahead_coef * road_ahead_loss;
          road_ahead_sum += road_ahead_loss.detach();
        }

        session.gradient_step(loss, agent.max_grad_norm);

        sums += torch::stack({pg_loss.detach(), v_loss.detach(), entropy.detach(), approx_kl, old_approx_kl,
                              clipfrac});
        ++minibatches;
      }
      ++epochs_run;
      if (cfg.target_kl > 0 && approx_kl.defined() && approx_kl.item<double>() > cfg.target_kl)
        stopped_early = true;
    }

    auto means = (sums / std::max<int64_t>(minibatches, 1)).to(torch::kCPU);
    const float* m = means.data_ptr<float>();
    // Explained variance: 1 = the value function predicts returns perfectly, <= 0 = no better than a constant.
    auto var_returns = b_returns.var().item<double>();
    auto explained_var =
        var_returns == 0 ? std::nan("") : 1.0 - (b_returns - b_values).var().item<double>() / var_returns;

    session.scalar("charts/learning_rate", lr);
    session.scalar("losses/policy", m[0]);
    session.scalar("losses/value", m[1]);
    session.scalar("losses/entropy", m[2]);
    session.scalar("losses/approx_kl", m[3]);
    session.scalar("losses/old_approx_kl", m[4]);
    session.scalar("losses/clipfrac", m[5]);
    if (std::isfinite(explained_var)) session.scalar("losses/explained_variance", explained_var);
    session.scalar("losses/epochs", epochs_run);  // fewer than update_epochs after a target_kl stop
    if (policy->has_moe() && minibatches > 0) {
      session.scalar("losses/moe_aux", aux_sum.item<double>() / static_cast<double>(minibatches));
      // Each body's share of routing slots per expert over this update's minibatches.
      for (const auto& [body, sum] : usage_sums) {
        const auto share = (sum / static_cast<double>(minibatches)).to(torch::kCPU, torch::kFloat64).contiguous();
        for (int64_t e = 0; e < share.numel(); ++e)
          session.scalar("moe/" + body + "_expert_" + std::to_string(e), share.data_ptr<double>()[e]);
      }
    }
    if (policy->road_ahead_outputs() > 0 && minibatches > 0)
      session.scalar("losses/road_ahead", road_ahead_sum.item<double>() / static_cast<double>(minibatches));
    session.end_update(update_clock.seconds());
  }
  return session.finish();
}

TrainResult train_ppo_from_init(const TrainJob& job);             // agents/ppo_init.cpp
void check_init_from(const TrainJob& job, const envs::Env& probe);  // agents/ppo_init.cpp

Algorithm ppo_algorithm() {
  Algorithm a = actor_critic_algorithm(
      "ppo", "PPO (clipped surrogate, GAE); MLP, CNN, GTrXL, LSTM or MoE policies; agent.ppo.init_from starts from another run",
      [](const TrainJob& job) { return job.agent.ppo.init_from.empty() ? train_ppo(job) : train_ppo_from_init(job); });
  a.check = [](const TrainJob& job, const envs::Env& probe) {
    check_policy_net(job, probe);
    if (!job.agent.ppo.init_from.empty()) check_init_from(job, probe);
  };
  a.recurrent_policies = true;
  a.road_ahead_loss = true;
  return a;
}

}  // namespace dl::agents
