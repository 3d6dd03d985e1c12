// drivelab/agents: REINFORCE with a learned value baseline (Williams 1992; Sutton & Barto 13.4).
//
// Each update plays one whole episode in every env: the envs restart (fresh seeds from the update counter),
// run until each has finished its first episode, and the steps after an env's first episode are masked
// out. Returns are Monte-Carlo (GAE with lambda = 1 from the episode end; a time-limit truncation is
// bootstrapped from V(final obs), as in every algorithm here). The rollout holds env.max_steps steps, the
// longest an episode can last.
//
// Config (agents/agent_config.h), agent.reinforce: gamma; norm_adv (normalize G - V over the batch); ent_coef,
// vf_coef, normalize_reward, clip_reward; shared: max_grad_norm, anneal_lr, learning_rate; optimizer auto =
// Adam. No num_steps or gae_lambda: whole episodes, Monte-Carlo returns.
#include "agents/distributed.h"
#include "agents/session.h"
#include "agents/algorithm.h"

namespace dl::agents {

TrainResult train_reinforce(const TrainJob& job) {
  const AgentConfig& agent = job.agent;
  const ReinforceConfig& cfg = agent.reinforce;
  const int64_t max_episode_steps = job.env.max_steps;

  Session session(job, "reinforce", cfg, max_episode_steps);
  session.start(session.make_optimizer("adam", /*adam_eps=*/1e-8));
  auto& policy = session.policy;
  const auto device = session.device;

  while (!session.done()) {
    const double lr = session.anneal_learning_rate();
    if (session.update > 0) session.reset_envs_for_update();
    session.collect(max_episode_steps, /*first_episode_only=*/true);

    Stopwatch update_clock;
    auto& s = session.rollout->storage();
    const int64_t T = s.steps;
    auto rewards = s.rewards.slice(0, 0, T), dones = s.dones.slice(0, 0, T);
    auto values = s.values.slice(0, 0, T);
    auto advantages = compute_gae(rewards, values, dones, s.last_value, cfg.gamma, /*lambda=*/1.0).to(device);
    auto returns = (advantages + values).flatten(0, 1);
    advantages = advantages.flatten(0, 1);
    auto valid = s.valid.slice(0, 0, T).flatten(0, 1).to(device);
    // Data-parallel: means over every rank's valid steps (the ranks' episodes differ in length). Each rank's
    // loss is its share of the global mean times W, so the averaged gradient is the global mean's.
    const auto count = dist::sum_over_ranks(valid.sum()).clamp_min(1.0);
    const double ranks = dist::world_size();
    if (cfg.norm_adv) {
      auto mean = dist::sum_over_ranks((advantages * valid).sum()) / count;
      auto var = dist::sum_over_ranks(((advantages - mean).pow(2) * valid).sum()) / count;
      advantages = (advantages - mean) / (var.sqrt() + 1e-8);
    }

    auto eval = policy->evaluate(s.obs.slice(0, 0, T).flatten(0, 1), s.actions.slice(0, 0, T).flatten(0, 1));
    auto pg_loss = -ranks * (advantages * eval.log_prob * valid).sum() / count;
    auto v_loss = ranks * 0.5 * ((eval.value - returns).pow(2) * valid).sum() / count;
    auto entropy = ranks * (eval.entropy * valid).sum() / count;
    session.actor_critic_step(pg_loss, v_loss, entropy, lr);
    session.end_update(update_clock.seconds());
  }
  return session.finish();
}

Algorithm reinforce_algorithm() {
  return actor_critic_algorithm("reinforce", "REINFORCE with a learned baseline, one full episode per env per update",
                                train_reinforce);
}

}  // namespace dl::agents
