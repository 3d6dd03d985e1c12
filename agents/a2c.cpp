// drivelab/agents: Advantage Actor-Critic (A2C, the synchronous A3C of Mnih et al. 2016).
//
// Config (agents/agent_config.h): agent.a2c.* and the shared agent keys:
//   num_steps      n of the n-step returns: rollout length per env; one gradient step per rollout
//   gamma          discount
//   gae_lambda     1 = plain n-step returns (the original A2C); < 1 = GAE(lambda) advantages
//   norm_adv       normalize advantages over the batch (off in the original)
//   ent_coef, vf_coef, max_grad_norm, anneal_lr, learning_rate as in PPO
//   optimizer      auto = RMSprop (alpha 0.99, eps 1e-5) as the paper's implementations use
// Loop: collect a rollout -> advantages -> one step on policy + value + entropy loss -> log.
#include "agents/distributed.h"
#include "agents/session.h"
#include "agents/algorithm.h"

namespace dl::agents {

TrainResult train_a2c(const TrainJob& job) {
  const AgentConfig& agent = job.agent;
  const A2CConfig& cfg = agent.a2c;
  const int64_t T = cfg.num_steps;

  Session session(job, "a2c", cfg, T);
  session.start(session.make_optimizer("rmsprop", /*adam_eps=*/1e-5));
  auto& policy = session.policy;
  const auto device = session.device;

  while (!session.done()) {
    const double lr = session.anneal_learning_rate();
    session.collect(T);

    Stopwatch update_clock;
    auto& s = session.rollout->storage();
    auto advantages =
        compute_gae(s.rewards, s.values, s.dones, s.last_value, cfg.gamma, cfg.gae_lambda).to(device);
    auto returns = (advantages + s.values).flatten(0, 1);
    advantages = advantages.flatten(0, 1);
    if (cfg.norm_adv && advantages.numel() > 1)
      advantages = dist::normalize_over_ranks(advantages, 1e-8);  // data-parallel: over every rank's batch

    auto eval = policy->evaluate(s.obs.flatten(0, 1), s.actions.flatten(0, 1));
    auto pg_loss = -(advantages * eval.log_prob).mean();
    auto v_loss = 0.5 * (eval.value - returns).pow(2).mean();
    auto entropy = eval.entropy.mean();
    session.actor_critic_step(pg_loss, v_loss, entropy, lr);
    session.end_update(update_clock.seconds());
  }
  return session.finish();
}

Algorithm a2c_algorithm() {
  return actor_critic_algorithm("a2c", "synchronous advantage actor-critic (n-step returns, RMSprop)", train_a2c);
}

}  // namespace dl::agents
