// drivelab/agents: the actor-critic built from an env's observation and action specs.
//
//   float observation [D]          -> separate actor and critic MLPs (as CleanRL's continuous PPO)
//   uint8 image [H, W, C] or stacked [K, H, W, C] -> one shared CNN encoder, actor and critic heads
//   float observation, policy gtrxl -> Linear to d_model, a GTrXL with segment memory shared by actor and
//                                      critic heads (recurrent: see below)
//   float observation, policy lstm  -> Linear + tanh to hidden_size, stacked LSTM cells (agents/lstm.h)
//                                      shared by actor and critic heads (recurrent, the same way)
//   net.moe.experts > 0            -> the MLP bodies are mixtures of experts (agents/moe.h)
//   net.road_ahead_coef > 0        -> a linear head on the actor's features predicts the road ahead
//                                     (EvalOutput::road_ahead), the target of PPO's auxiliary loss
//   continuous actions             -> DiagGaussian (state-independent log std by default)
//   discrete actions               -> Categorical
//
// "Raw" actions are what the storage keeps and evaluate() takes back: the Gaussian sample u (before any
// tanh), or the discrete index as a float. env_action is what the env receives: u, tanh(u) scaled to the
// action bounds when squashed, or the index. Unsquashed actions leave the bounds to the env, which clips.
//
// Recurrent policies (recurrent() true: net.policy gtrxl or lstm) act on one step per batch row and carry a
// TransformerMemory per row between calls (the LSTM's h and c ride in it too): act() reads and advances it, value() only reads it. Callers
// hold the memory (initial_memory()) and forget a row's memory when its episode ends; for other policies
// initial_memory() is empty and the memory arguments are ignored, so one loop drives both. Training uses
// evaluate_sequence() on [B, T] sequences with the memory stored at each sequence start.
#pragma once
#include <torch/torch.h>

#include "agents/agent_config.h"
#include "agents/distributions.h"
#include "agents/lstm.h"
#include "agents/moe.h"
#include "agents/nn.h"
#include "agents/transformer.h"
#include "envs/env.h"
#include "envs/env_config.h"

namespace dl::agents {

// Squashed policies sample u and act tanh(u) scaled to the bounds; a recorded action (BC, DAgger) or a
// teacher's (distillation) at a bound would need an infinite u, so their targets stay this far inside.
inline constexpr double kSquashTargetEdge = 1e-3;

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
  torch::Tensor road_ahead;  // [B, K] with a road-ahead head, else undefined
};

// The road-ahead head's outputs for a policy of `net` on `env`: env.lookahead.points when
// net.road_ahead_coef > 0, else 0 (no head).
inline int64_t road_ahead_outputs(const envs::EnvConfig& env, const NetConfig& net) {
  return net.road_ahead_coef > 0 ? env.lookahead.points : 0;
}

class ActorCriticImpl : public torch::nn::Module {
 public:
  // road_ahead_outputs > 0 adds the road-ahead head (road_ahead_outputs(env, net)).
  ActorCriticImpl(const envs::Spec& obs_spec, const envs::ActionSpec& action_spec, const NetConfig& net,
                  int64_t road_ahead_outputs = 0);

  // obs: [B, obs...] as the spec's dtype (normalized floats or raw uint8 pixels). A recurrent policy
  // needs `memory` (its rows match obs's) and advances it by this step.
  ActOutput act(const torch::Tensor& obs, bool deterministic = false, TransformerMemory* memory = nullptr);
  // Not recurrent only: a recurrent policy throws (use evaluate_sequence).
  EvalOutput evaluate(const torch::Tensor& obs, const torch::Tensor& raw_actions);
  torch::Tensor value(const torch::Tensor& obs, const TransformerMemory* memory = nullptr);
  // Recurrent only: obs [B, T, obs...], raw_actions [B, T, A], `memory` as it was before step 0, starts
  // [B, T] bool (a new episode begins at that step). Outputs are flattened to [B * T], row-major.
  EvalOutput evaluate_sequence(const torch::Tensor& obs, const torch::Tensor& raw_actions,
                               const TransformerMemory& memory, const torch::Tensor& starts);

  bool recurrent() const { return !transformer_.is_empty() || !lstm_.is_empty(); }
  // Empty memory for `batch` rows (undefined when not recurrent).
  TransformerMemory initial_memory(int64_t batch, torch::Device device) const;

  // Mixture-of-experts bodies: the sum of their load-balancing losses in the last forward (0 without MoE)
  // and each body's routing fractions in it, named "actor" and "critic".
  bool has_moe() const { return !actor_moe_.is_empty(); }
  torch::Tensor moe_aux_loss() const;
  std::vector<std::pair<std::string, torch::Tensor>> moe_last_usage() const;

  bool discrete() const { return discrete_; }
  int64_t action_dim() const { return action_dim_; }  // components of a raw action (1 if discrete)
  int64_t road_ahead_outputs() const { return road_ahead_head_ ? road_ahead_head_->options.out_features() : 0; }

 private:
  struct Heads {
    torch::Tensor actor_out;  // logits or Gaussian mean
    torch::Tensor log_std;    // Gaussian only
    torch::Tensor value;      // [B]
    torch::Tensor road_ahead; // [B, K] with the road-ahead head
  };
  // road_ahead: also the road-ahead head's output (training only; acting never reads it).
  Heads heads(const torch::Tensor& obs, bool need_value = true, bool road_ahead = false);
  torch::Tensor critic_only(const torch::Tensor& obs);
  Heads heads_from(const torch::Tensor& actor_features, const torch::Tensor& critic_features,
                   bool road_ahead = false);
  EvalOutput evaluate_heads(const Heads& h, const torch::Tensor& raw_actions);
  torch::Tensor actor_body(const torch::Tensor& x);
  torch::Tensor critic_body(const torch::Tensor& x);
  // Recurrent trunk: obs [B, T, obs...] -> features [B, T, d_model] and the memory after the last step.
  TransformerOutput trunk(const torch::Tensor& obs, const TransformerMemory* memory, const torch::Tensor& starts);
  void check_recurrent_memory(const TransformerMemory* memory, int64_t batch) const;

  bool image_ = false, discrete_ = false, squash_ = false, state_dependent_std_ = false;
  int64_t action_dim_ = 1;
  int64_t obs_features_ = 0;
  torch::Tensor action_low_, action_scale_;  // squashed: env action = low + (tanh(u) + 1) / 2 * range
  CNNEncoder cnn_{nullptr};
  MLP actor_body_{nullptr}, critic_body_{nullptr};
  MoE actor_moe_{nullptr}, critic_moe_{nullptr};
  torch::nn::Linear embed_{nullptr};
  GatedTransformer transformer_{nullptr};
  RecurrentLSTM lstm_{nullptr};
  torch::nn::Linear actor_head_{nullptr}, critic_head_{nullptr}, log_std_head_{nullptr};
  torch::nn::Linear road_ahead_head_{nullptr};
  torch::Tensor log_std_;  // state-independent log std parameter [A]
};
TORCH_MODULE(ActorCritic);

}  // namespace dl::agents
