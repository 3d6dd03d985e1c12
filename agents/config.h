// drivelab/agents: agent and training configuration, plain structs with documented defaults.
// Described to the YAML loader (app/) by visit_fields, as envs/config.h explains.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "agents/distill_config.h"
#include "agents/track_gan_config.h"
#include "agents/world_model_config.h"
#include "agents/net_options.h"

namespace dl::agents {

// Bounds of every list of layer widths (net.hidden, gan.hidden), checked when a config is read, so a typo
// such as [100000000, 100000000] is an error instead of tens of GB of weights: a 4096-wide layer holds 16.8M
// weights (64 MiB; Adam keeps two more copies), so 16 of them stay near 1 GiB of weights.
inline constexpr int kMaxLayerWidth = 4096;
inline constexpr int kMaxHiddenLayers = 16;

struct NetConfig {
  std::vector<int> hidden = {64, 64};  // MLP widths
  std::string activation = "tanh";     // tanh | relu | gelu
  bool residual = false;               // residual blocks with LayerNorm
  std::string policy = "mlp";          // mlp | cnn (pixels) | gtrxl (transformer memory, ppo) | lstm (ppo)
  std::string cnn = "nature";          // policy cnn: nature (32-64-64 convs, 512 features) | small (16-32, 256; CPU)
  float log_std_init = 0.0f;           // Gaussian policies: initial log standard deviation
  bool state_dependent_std = false;
  bool tanh_squash = false;            // squash Gaussian samples with tanh (log-det corrected)
  GTrXLConfig gtrxl;                   // policy: gtrxl
  LSTMConfig lstm;                     // policy: lstm
  MoEConfig moe;                       // mixture-of-experts MLP bodies (experts 0 = dense)
};

// Policies that carry a memory between steps (trained by PPO on sequences).
inline bool recurrent_policy(const NetConfig& net) { return net.policy == "gtrxl" || net.policy == "lstm"; }
// Steps per PPO training sequence of a recurrent policy (its section's sequence_length).
inline int sequence_length(const NetConfig& net) {
  return net.policy == "lstm" ? net.lstm.sequence_length : net.gtrxl.sequence_length;
}

struct AgentConfig {
  std::string algo = "ppo";        // a name in the algorithm table (agents/algorithms.cpp)
  NetConfig net;
  std::string optimizer = "auto";  // auto (Adam; RMSprop for a2c) | adam | rmsprop
  float learning_rate = 3e-4f;
  bool anneal_lr = true;           // linear decay to 0 over the run
  float gamma = 0.99f;
  float gae_lambda = 0.95f;        // 1 = Monte Carlo returns with baseline
  int num_steps = 128;             // rollout length per env
  int num_minibatches = 4;         // PPO
  int update_epochs = 4;           // PPO
  bool norm_adv = true;
  float clip_coef = 0.2f;          // PPO
  bool clip_vloss = true;          // PPO
  float ent_coef = 0.0f;
  float vf_coef = 0.5f;
  float max_grad_norm = 0.5f;
  float target_kl = 0.0f;          // 0 = no early stop
  bool normalize_obs = true;       // running mean/std of observations (saved with checkpoints)
  bool normalize_reward = true;    // scale rewards by the std of the discounted return
  float clip_obs = 10.0f;
  float clip_reward = 10.0f;
  // Behaviour cloning (algo: bc | dagger, agents/bc.cpp) and PPO started from a BC run.
  std::string data;                // bc: dataset file written by `drivelab collect`
  int batch_size = 256;            // bc: minibatch size
  int epochs = 30;                 // bc: most passes over the training episodes
  float val_fraction = 0.1f;       // bc: episodes held out for validation and early stopping
  int patience = 5;                // bc: epochs without a better validation loss before stopping
  float obs_noise = 0.0f;          // bc: augmentation, Gaussian noise on normalized state observations
  int shift_pad = 0;               // bc: augmentation, random shift of pixel observations (0 = off)
  std::string init_from;           // ppo: start from this BC run's actor and normalizer (run folder or .pt)
  int value_warmup = 0;            // ppo with init_from: first updates train only the critic
  int dagger_iterations = 4;       // dagger: rounds of learner rollouts labelled by the expert
  int dagger_episodes = 8;         // dagger: learner episodes per round
  // Decision Transformer (algo: decision_transformer, agents/decision_transformer.h); reads `data` and
  // `batch_size` above.
  int context_length = 20;         // dt: steps the model sees (3 tokens each)
  int d_model = 128;               // dt: transformer width
  int n_heads = 4;                 // dt: attention heads (d_model must be a multiple)
  int n_layers = 3;                // dt: transformer blocks
  float target_return = 0.0f;      // dt: return asked for at evaluation (0 = best return in the data)
  int gradient_steps = 20000;      // dt: optimizer steps (train.eval_every/checkpoint_every count these)
  TrackGanConfig gan;              // track_gan: WGAN-GP track generator (agents/track_gan_config.h)
  WorldModelConfig world_model;    // world_model: stages, VAE, MDN-RNN, CMA-ES (agents/world_model.h)
  DistillConfig distill;           // distill: teacher-student distillation (agents/distill_config.h)
};

struct TrainConfig {
  int64_t total_steps = 1'000'000; // env steps (all envs together)
  int num_envs = 16;
  int num_threads = 0;             // env worker threads, 0 = one per core
  int torch_threads = 0;           // LibTorch intra-op threads, 0 = auto (1 for MLPs, cores for CNNs)
  uint64_t seed = 1;
  std::string device = "auto";     // auto | cpu | cuda | cuda:N
  int64_t eval_every = 100'000;    // env steps between evaluations (0 = only at the end)
  int eval_episodes = 10;          // on test tracks
  int64_t checkpoint_every = 100'000;
  bool deterministic_eval = true;  // evaluate the mean action
};

template <class V>
void visit_fields(NetConfig& c, V& v) {
  v.field("hidden", c.hidden, "hidden layer widths");
  v.choice("activation", c.activation, {{"tanh", "tanh"}, {"relu", "relu"}, {"gelu", "gelu"}},
           "activation");
  v.field("residual", c.residual, "residual blocks with LayerNorm");
  v.choice("policy", c.policy, {{"mlp", "mlp"}, {"cnn", "cnn"}, {"gtrxl", "gtrxl"}, {"lstm", "lstm"}},
           "network body");
  v.choice("cnn", c.cnn, {{"nature", "nature"}, {"small", "small"}},
           "policy cnn: nature (Nature-CNN) | small (two convolutions, 256 features: the CPU size)");
  v.field("log_std_init", c.log_std_init, "initial log std of Gaussian policies", -5.f, 2.f);
  v.field("state_dependent_std", c.state_dependent_std, "log std output by the network");
  v.field("tanh_squash", c.tanh_squash, "tanh-squashed Gaussian");
  v.section("gtrxl", c.gtrxl, "transformer memory policy (policy: gtrxl)");
  v.section("lstm", c.lstm, "LSTM memory policy (policy: lstm)");
  v.section("moe", c.moe, "mixture-of-experts bodies");
}

// The algorithm table's names as choice options (agents/algorithm.cpp): the table is the one list.
std::vector<std::pair<std::string, std::string>> algorithm_choices();

template <class V>
void visit_fields(AgentConfig& c, V& v) {
  v.choice("algo", c.algo, algorithm_choices(), "algorithm (agents/algorithms.cpp)");
  v.section("net", c.net, "network");
  v.choice("optimizer", c.optimizer, {{"auto", "auto"}, {"adam", "adam"}, {"rmsprop", "rmsprop"}},
           "auto (Adam; RMSprop for a2c) | adam | rmsprop");
  v.field("learning_rate", c.learning_rate, "optimizer learning rate", 1e-7f, 1.f);
  v.field("anneal_lr", c.anneal_lr, "linear learning-rate decay to 0");
  v.field("gamma", c.gamma, "discount", 0.f, 1.f);
  v.field("gae_lambda", c.gae_lambda, "GAE lambda", 0.f, 1.f);
  v.field("num_steps", c.num_steps, "rollout steps per env per update", 1, 1 << 20);
  v.field("num_minibatches", c.num_minibatches, "PPO minibatches per epoch", 1, 1 << 16);
  v.field("update_epochs", c.update_epochs, "PPO epochs per update", 1, 1000);
  v.field("norm_adv", c.norm_adv, "normalize advantages per minibatch");
  v.field("clip_coef", c.clip_coef, "PPO ratio clip", 0.f, 10.f);
  v.field("clip_vloss", c.clip_vloss, "PPO value clipping");
  v.field("ent_coef", c.ent_coef, "entropy bonus", 0.f, 10.f);
  v.field("vf_coef", c.vf_coef, "value loss weight", 0.f, 100.f);
  v.field("max_grad_norm", c.max_grad_norm, "gradient clipping (0 = off)", 0.f, 1e6f);
  v.field("target_kl", c.target_kl, "PPO early stop KL (0 = off)", 0.f, 10.f);
  v.field("normalize_obs", c.normalize_obs, "running observation normalization");
  v.field("normalize_reward", c.normalize_reward, "reward scaling by return std");
  v.field("clip_obs", c.clip_obs, "normalized observation clip", 0.f, 1e6f);
  v.field("clip_reward", c.clip_reward, "scaled reward clip", 0.f, 1e6f);
  v.field("data", c.data, "bc: dataset file (drivelab collect)");
  v.field("batch_size", c.batch_size, "bc: minibatch size", 1, 1 << 20);
  v.field("epochs", c.epochs, "bc: most passes over the training episodes", 1, 100000);
  v.field("val_fraction", c.val_fraction, "bc: episodes held out for validation", 0.f, 0.9f);
  v.field("patience", c.patience, "bc: epochs without a better validation loss before stopping", 1, 100000);
  v.field("obs_noise", c.obs_noise, "bc: Gaussian noise on normalized state observations", 0.f, 10.f);
  v.field("shift_pad", c.shift_pad, "bc: random-shift padding of pixel observations (0 = off)", 0, 64);
  v.field("init_from", c.init_from, "ppo: BC run folder or checkpoint to start from");
  v.field("value_warmup", c.value_warmup, "ppo with init_from: critic-only updates first", 0, 1 << 20);
  v.field("dagger_iterations", c.dagger_iterations, "dagger: rounds of expert-labelled learner rollouts", 0, 10000);
  v.field("dagger_episodes", c.dagger_episodes, "dagger: learner episodes per round", 1, 100000);
  v.field("context_length", c.context_length, "dt: steps of context (K)", 1, 4096);
  v.field("d_model", c.d_model, "dt: transformer width", 4, 8192);
  v.field("n_heads", c.n_heads, "dt: attention heads (divide d_model)", 1, 256);
  v.field("n_layers", c.n_layers, "dt: transformer blocks", 1, 256);
  v.field("target_return", c.target_return, "dt: return asked for at evaluation (0 = best in the data)",
          -1e9f, 1e9f);
  v.field("gradient_steps", c.gradient_steps, "dt: optimizer steps", 1, 1 << 30);
  v.section("gan", c.gan, "track_gan: WGAN-GP track generator");
  v.section("world_model", c.world_model, "world_model: VAE + MDN-RNN + CMA-ES controller");
  v.section("distill", c.distill, "distill: a state teacher taught to a pixel student (DAgger)");
}

template <class V>
void visit_fields(TrainConfig& c, V& v) {
  v.field("total_steps", c.total_steps, "env steps, all envs together", int64_t{1}, int64_t{1} << 40);
  v.field("num_envs", c.num_envs, "parallel envs", 1, 4096);
  v.field("num_threads", c.num_threads, "env worker threads (0 = cores)", 0, 1024);
  v.field("torch_threads", c.torch_threads, "LibTorch threads (0 = 1 for MLPs, cores for CNNs)", 0, 1024);
  v.field("seed", c.seed, "seed of everything", uint64_t{0}, ~uint64_t{0});
  v.field("device", c.device, "auto | cpu | cuda | cuda:N");
  v.field("eval_every", c.eval_every, "env steps between evaluations (0 = end only)", int64_t{0},
          int64_t{1} << 40);
  v.field("eval_episodes", c.eval_episodes, "evaluation episodes on test tracks", 0, 100000);
  v.field("checkpoint_every", c.checkpoint_every, "env steps between checkpoints", int64_t{0},
          int64_t{1} << 40);
  v.field("deterministic_eval", c.deterministic_eval, "evaluate the mean action");
}

}  // namespace dl::agents
