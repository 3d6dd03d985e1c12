// drivelab/agents: Decision Transformer (Chen et al. 2021), offline RL as sequence modelling.
//
// A trajectory becomes tokens (R_1, s_1, a_1, R_2, s_2, a_2, ...), where R_t is the return-to-go (the
// sum of rewards from t to the end of the episode). Each token type has its own linear embedding, every
// token of step t also gets a learned embedding of the episode timestep t, and a causal transformer
// (agents/transformer.h, no memory) reads the last K steps (3K tokens). The output at s_t's token
// predicts a_t: continuous actions through tanh into the action bounds, trained by mean squared error;
// discrete actions as logits, trained by cross-entropy. Because a_t's prediction can see R_t, asking for
// a high return at evaluation (target_return) steers the policy towards the behaviour that earned high
// returns in the data.
//
// Data (DTDataset): DLDS episodes (data/dataset.h) with float observations. States are normalized with
// the dataset's mean and std, returns-to-go divided by rtg_scale (the largest |episode return|), so both
// sit near unit scale; both statistics travel in the checkpoint. Training windows of K steps start at a
// uniform step of an episode chosen in proportion to its length; windows that run past the episode end
// are right-padded and the padding is masked out of the loss (with causal attention no real token sees
// the padding after it).
//
// Evaluation keeps each env's last K steps; shorter histories are left-padded, and an episode start
// marker (transformer.h's `starts`) hides the padding from the real tokens. R_1 = target_return, and
// R_{t+1} = R_t - r_t as the rewards come in.
//
// agent.algo: decision_transformer (train_decision_transformer) reads agent.dt.data and writes
// checkpoints/latest.pt and best.pt in its own format (read_dt_checkpoint); `drivelab eval` of a PPO-style
// checkpoint does not read them.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/actor.h"
#include "agents/trainer.h"
#include "agents/transformer.h"
#include "data/dataset.h"
#include "envs/env.h"

namespace dl::agents {

struct DecisionTransformerOptions {
  int64_t context_length = 20;   // K: steps the model sees (3K tokens)
  int64_t max_timestep = 4096;   // timestep embeddings; later steps share the last one
  TransformerOptions transformer; // memory_length must stay 0
};

// A batch of K-step windows. Padding steps have mask 0 and zero contents.
struct DTBatch {
  torch::Tensor rtg;        // [B, K] scaled returns-to-go
  torch::Tensor states;     // [B, K, S] normalized
  torch::Tensor actions;    // [B, K, A] env actions (discrete: [B, K, 1] holding the index)
  torch::Tensor timesteps;  // [B, K] int64
  torch::Tensor mask;       // [B, K] float: 1 real step, 0 padding
  DTBatch to(torch::Device device) const;
};

class DecisionTransformerImpl : public torch::nn::Module {
 public:
  DecisionTransformerImpl(int64_t state_dim, const envs::ActionSpec& action_spec,
                          const DecisionTransformerOptions& options);

  // Per-step predictions [B, K, P]: continuous actions in env units (P = action dim) or logits (P = n).
  // starts [B, K] bool (optional) marks each row's first real step after left padding.
  torch::Tensor forward(const DTBatch& batch, const torch::Tensor& starts = {});
  // Masked MSE (continuous) or cross-entropy (discrete) of the predictions against batch.actions.
  torch::Tensor loss(const DTBatch& batch);
  // The env action [B, A] from predictions at one step [B, P]: the mean, or the most likely index.
  torch::Tensor to_env_action(const torch::Tensor& prediction) const;

  const DecisionTransformerOptions& options() const { return options_; }
  int64_t state_dim() const { return state_dim_; }
  bool discrete() const { return discrete_; }

 private:
  torch::Tensor embed_actions(const torch::Tensor& actions);

  DecisionTransformerOptions options_;
  int64_t state_dim_ = 0, action_dim_ = 1, num_actions_ = 0;
  bool discrete_ = false, bounded_ = false;
  torch::Tensor action_low_, action_range_;  // buffers: continuous bounds
  torch::nn::Linear embed_rtg_{nullptr}, embed_state_{nullptr}, embed_action_{nullptr}, head_{nullptr};
  torch::nn::Embedding embed_timestep_{nullptr};
  torch::nn::LayerNorm embed_norm_{nullptr};
  GatedTransformer transformer_{nullptr};
};
TORCH_MODULE(DecisionTransformer);

// Episodes as flat tensors plus the statistics a DT needs.
class DTDataset {
 public:
  // Float observations only (throws std::invalid_argument for pixel datasets or an empty set).
  DTDataset(const std::vector<data::Episode>& episodes, const data::DatasetSpec& spec);
  DTBatch sample(int64_t batch, int64_t context_length, int64_t max_timestep, std::mt19937_64& rng) const;

  int64_t state_dim() const { return state_dim_; }
  int64_t steps() const { return states_.size(0); }
  int64_t longest_episode() const;
  torch::Tensor state_mean, state_std;  // [S]
  double rtg_scale = 1;                 // returns-to-go are divided by this
  double best_return = 0;               // the best episode return in the data (default target)

 private:
  int64_t state_dim_ = 0;
  torch::Tensor states_, actions_, rtg_;  // all steps of all episodes, concatenated
  std::vector<int64_t> offsets_, lengths_;
  std::discrete_distribution<size_t> pick_episode_;
};

// What a trained DT needs at evaluation besides its weights.
struct DTRuntime {
  torch::Tensor state_mean, state_std;
  double rtg_scale = 1;
  double target_return = 0;  // unscaled
};

// Acts for `envs` envs at once, each keeping its last K steps (left-padded, hidden behind an episode-start
// marker) and its return to go, R_1 = target_return and R_{t+1} = R_t - r_t. Call act() with the raw
// (unnormalized) observations [envs, S], then observe() each env's reward and whether its episode ended.
class DTActor {
 public:
  DTActor(DecisionTransformer model, DTRuntime runtime, int envs, int64_t action_dim, torch::Device device);
  torch::Tensor act(const float* raw_obs);  // env actions [envs, A] on the CPU
  void observe(int env, float reward, bool episode_ended);
  void new_episode(int env);

 private:
  struct History {  // newest last, at most K steps: scaled R, normalized s, action, timestep
    std::vector<torch::Tensor> rtg, states, actions;
    std::vector<int64_t> timesteps;
    double to_go = 0;
    int64_t t = 0;
  };
  DecisionTransformer model_;
  DTRuntime runtime_;
  torch::Device device_;
  int64_t action_dim_;
  torch::Tensor mean_, std_;
  std::vector<History> hist_;
};

// The DT as an Actor (agents/actor.h) for `env`, whose action spec is `action_spec`. The model should be in
// eval mode.
std::unique_ptr<Actor> make_dt_actor(DecisionTransformer model, DTRuntime runtime, const envs::EnvConfig& env,
                                     const envs::ActionSpec& action_spec, torch::Device device);

// Checkpoint: weights, options, runtime statistics, the run's configs as text (checkpoint.h), written
// atomically.
void save_dt_checkpoint(const std::string& path, DecisionTransformer& model, const DTRuntime& runtime,
                        const envs::EnvConfig& env, const AgentConfig& agent, const TrainConfig& train,
                        const envs::ActionSpec& action_spec);
struct DTCheckpoint {
  DecisionTransformer model{nullptr};
  DTRuntime runtime;
  envs::EnvConfig env;
  AgentConfig agent;
  TrainConfig train;
};
DTCheckpoint read_dt_checkpoint(const std::string& path);

// agent.algo: decision_transformer.
TrainResult train_decision_transformer(const TrainJob& job);

}  // namespace dl::agents
