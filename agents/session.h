// drivelab/agents: what every algorithm shares around its own update: seeding, device, envs and rollout,
// the policy, learning-rate annealing, metrics, periodic evaluation, checkpoints and resume. An algorithm
// file reads: make a Session, give it an optimizer, then loop collect -> update -> end_update.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/checkpoint.h"
#include "agents/policy.h"
#include "agents/rollout.h"
#include "agents/trainer.h"

namespace dl::agents {

// The policy network for `env`'s spaces, built from a probe env. torch_threads >= 0 also sets LibTorch's
// intra-op threads by set_torch_threads' rule (-1 leaves them).
ActorCritic build_policy(const envs::EnvConfig& env, const NetConfig& net, const EnvFactory& factory,
                         int torch_threads = -1);
// An observation normalizer restored from its saved state ([count, mean..., var...]); null for none.
std::unique_ptr<envs::ObsNormalizer> normalizer_from_state(const std::vector<double>& state, float clip);

class Session {
 public:
  // pg: the algorithm's section (job.agent.ppo, .a2c, .reinforce); rollout_capacity: most vector steps one
  // collect may take.
  Session(const TrainJob& job, std::string algo, const PolicyGradientConfig& pg, int64_t rollout_capacity);

  // Adam or RMSprop, per agent.optimizer (`fallback` when "auto"), over ONE flat tensor that every policy
  // parameter is a view of (and the gradients likewise). A PPO minibatch on a 64x64 MLP is a few hundred
  // tiny ops; per-parameter Adam and gradient clipping were most of them. With the flat layout they are a
  // handful of ops whatever the number of layers. Use zero_grad() and clip_grad_norm() below: the
  // optimizer's own zero_grad() would drop the shared gradient buffer.
  std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::string& fallback, double adam_eps);
  void zero_grad();
  void clip_grad_norm(double max_norm);  // no-op when max_norm <= 0
  // One gradient step on `loss`: zero the flat gradients, backward, clip, optimizer step. The algorithms
  // call this rather than the three pieces, so none can reach the optimizer's own zero_grad().
  void gradient_step(const torch::Tensor& loss, double max_grad_norm);
  // A2C's and REINFORCE's update: one gradient step on pg_loss - pg.ent_coef * entropy + pg.vf_coef *
  // value_loss (clipped at agent.max_grad_norm), then the learning rate and the three losses logged.
  void actor_critic_step(const torch::Tensor& pg_loss, const torch::Tensor& value_loss, const torch::Tensor& entropy,
                         double learning_rate);
  // Takes the optimizer, resumes from run_dir/checkpoints/latest.pt when the job asks, resets the envs.
  void start(std::unique_ptr<torch::optim::Optimizer> optimizer);

  bool done() const { return global_step >= job.train.total_steps; }
  // Linear decay to 0 over total_steps when agent.anneal_lr (by env steps, so resume and REINFORCE's
  // variable batches follow the same schedule). Applies the rate to the optimizer and returns it.
  double anneal_learning_rate();
  // Runs a rollout and advances global_step; logs the episodes that ended in it.
  void collect(int64_t steps, bool first_episode_only = false);
  void reset_envs_for_update();  // REINFORCE: fresh episodes with a seed derived from the update counter

  void scalar(const std::string& name, double value);
  // Logs the losses (any non-finite one stops training, see trainer.h), timing shares and SPS, then
  // evaluates and checkpoints when due, and tells the sink the update ended.
  void end_update(double update_seconds);
  TrainResult finish();

  const TrainJob& job;
  const std::string algo;
  const PolicyGradientConfig& pg;
  torch::Device device;
  ActorCritic policy{nullptr};
  std::unique_ptr<Rollout> rollout;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  int64_t global_step = 0;
  int64_t update = 0;

 private:
  void evaluate_now();
  void save(const std::string& name);
  std::string checkpoint_path(const std::string& name) const;

  void flatten_parameters();
  torch::Tensor flat_params_, flat_grads_;
  int64_t start_step_ = 0;
  int64_t last_logged_step_ = 0;
  Stopwatch wall_;
  double update_start_s_ = 0, env_s_mark_ = 0, inference_s_mark_ = 0;
  std::vector<std::pair<std::string, double>> pending_;
  bool has_best_ = false;
  double best_eval_ = 0, last_eval_ = 0;
  bool has_eval_ = false;
};

}  // namespace dl::agents
