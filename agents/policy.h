// drivelab/agents: the actor-critic built from an env's observation and action specs.
//
//   float observation [D]          -> separate actor and critic MLPs (as CleanRL's continuous PPO)
//   uint8 image [H, W, C] or stacked [K, H, W, C] -> one shared CNN encoder, actor and critic heads
//   continuous actions             -> DiagGaussian (state-independent log std by default)
//   discrete actions               -> Categorical
//
// "Raw" actions are what the storage keeps and evaluate() takes back: the Gaussian sample u (before any
// tanh), or the discrete index as a float. env_action is what the env receives: u, tanh(u) scaled to the
// action bounds when squashed, or the index. Unsquashed actions leave the bounds to the env, which clips.
#pragma once
#include <torch/torch.h>

#include "agents/config.h"
#include "agents/distributions.h"
#include "agents/nn.h"
#include "envs/env.h"

namespace dl::agents {

struct ActOutput {
  torch::Tensor action;      // raw, [B, A]
  torch::Tensor env_action;  // [B, A]
  torch::Tensor log_prob;    // [B]
  torch::Tensor value;       // [B]
};

struct EvalOutput {
  torch::Tensor log_prob;  // [B]
  torch::Tensor entropy;   // [B]
  torch::Tensor value;     // [B]
};

class ActorCriticImpl : public torch::nn::Module {
 public:
  ActorCriticImpl(const envs::Spec& obs_spec, const envs::ActionSpec& action_spec, const NetConfig& net);

  // obs: [B, obs...] as the spec's dtype (normalized floats or raw uint8 pixels).
  ActOutput act(const torch::Tensor& obs, bool deterministic = false);
  EvalOutput evaluate(const torch::Tensor& obs, const torch::Tensor& raw_actions);
  torch::Tensor value(const torch::Tensor& obs);

  bool discrete() const { return discrete_; }
  int64_t action_dim() const { return action_dim_; }  // components of a raw action (1 if discrete)

 private:
  struct Heads {
    torch::Tensor actor_out;  // logits or Gaussian mean
    torch::Tensor log_std;    // Gaussian only
    torch::Tensor value;      // [B]
  };
  Heads heads(const torch::Tensor& obs, bool need_value = true);
  torch::Tensor critic_only(const torch::Tensor& obs);

  bool image_ = false, discrete_ = false, squash_ = false, state_dependent_std_ = false;
  int64_t action_dim_ = 1;
  int64_t obs_features_ = 0;
  torch::Tensor action_low_, action_scale_;  // squashed: env action = low + (tanh(u) + 1) / 2 * range
  CNNEncoder cnn_{nullptr};
  MLP actor_body_{nullptr}, critic_body_{nullptr};
  torch::nn::Linear actor_head_{nullptr}, critic_head_{nullptr}, log_std_head_{nullptr};
  torch::Tensor log_std_;  // state-independent log std parameter [A]
};
TORCH_MODULE(ActorCritic);

}  // namespace dl::agents
