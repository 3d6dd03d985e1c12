// drivelab/agents: Proximal Policy Optimization (Schulman et al. 2017), after CleanRL's ppo_continuous_action.
//
// Config (agents/config.h, AgentConfig):
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
#include <cmath>

#include "agents/session.h"

namespace dl::agents {

TrainResult train_ppo(const TrainJob& job) {
  const AgentConfig& cfg = job.agent;
  const int64_t T = cfg.num_steps, N = job.train.num_envs;
  const int64_t batch_size = T * N;
  const int64_t minibatch_size = std::max<int64_t>(1, batch_size / cfg.num_minibatches);

  Session session(job, "ppo", T);
  session.start(session.make_optimizer("adam", /*adam_eps=*/1e-5));  // eps 1e-5: a PPO implementation detail
  auto& policy = session.policy;
  const auto device = session.device;

  while (!session.done()) {
    const double lr = session.anneal_learning_rate();
    session.collect(T);

    Stopwatch update_clock;
    auto& s = session.rollout->storage();
    auto advantages = compute_gae(s.rewards, s.values, s.dones, s.last_value, cfg.gamma, cfg.gae_lambda)
                          .to(device);
    auto returns = advantages + s.values;

    // Flatten [T, N, ...] into the batch.
    auto b_obs = s.obs.flatten(0, 1);
    auto b_actions = s.actions.flatten(0, 1);
    auto b_log_probs = s.log_probs.flatten(0, 1);
    auto b_advantages = advantages.flatten(0, 1);
    auto b_returns = returns.flatten(0, 1);
    auto b_values = s.values.flatten(0, 1);

    // Sums over minibatches of: policy loss, value loss, entropy, approx KL, old approx KL, clip fraction.
    auto sums = torch::zeros({6}, torch::TensorOptions().device(device));
    int64_t minibatches = 0;
    int epochs_run = 0;
    bool stopped_early = false;
    for (int epoch = 0; epoch < cfg.update_epochs && !stopped_early; ++epoch) {
      auto order = torch::randperm(batch_size, torch::TensorOptions().dtype(torch::kLong).device(device));
      torch::Tensor approx_kl;
      for (int64_t start = 0; start + minibatch_size <= batch_size; start += minibatch_size) {
        auto mb = order.slice(0, start, start + minibatch_size);
        auto eval = policy->evaluate(b_obs.index_select(0, mb), b_actions.index_select(0, mb));
        auto log_ratio = eval.log_prob - b_log_probs.index_select(0, mb);
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
        auto mb_adv = b_advantages.index_select(0, mb);
        if (cfg.norm_adv && minibatch_size > 1) mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8);

        // Clipped surrogate: the pessimistic (max of losses) of the raw and the clipped ratio.
        auto pg_loss1 = -mb_adv * ratio;
        auto pg_loss2 = -mb_adv * torch::clamp(ratio, 1.0 - cfg.clip_coef, 1.0 + cfg.clip_coef);
        auto pg_loss = torch::max(pg_loss1, pg_loss2).mean();

        auto mb_returns = b_returns.index_select(0, mb);
        torch::Tensor v_loss;
        if (cfg.clip_vloss) {
          auto mb_values = b_values.index_select(0, mb);
          auto v_unclipped = (eval.value - mb_returns).pow(2);
          auto v_clipped = mb_values + torch::clamp(eval.value - mb_values, -cfg.clip_coef, cfg.clip_coef);
          v_loss = 0.5 * torch::max(v_unclipped, (v_clipped - mb_returns).pow(2)).mean();
        } else {
          v_loss = 0.5 * (eval.value - mb_returns).pow(2).mean();
        }
        auto entropy = eval.entropy.mean();
        auto loss = pg_loss - cfg.ent_coef * entropy + cfg.vf_coef * v_loss;

        session.gradient_step(loss, cfg.max_grad_norm);

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
    session.end_update(update_clock.seconds());
  }
  return session.finish();
}

}  // namespace dl::agents
