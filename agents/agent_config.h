// drivelab/agents: agent and training configuration, plain structs with documented defaults.
// Described to the YAML loader (app/) by visit_fields, as envs/env_config.h explains.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "agents/distill_config.h"
#include "agents/track_gan_config.h"
#include "agents/world_model_config.h"
#include "agents/net_config.h"

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
  // > 0 (ppo): weight of an auxiliary loss in which a linear head on the actor's features predicts the road
  // ahead, the env's look-ahead curvatures (env.lookahead.points of them) as the observation writes them,
  // read from the simulation on every step, also where the observation hides them (track-laps' later laps
  // with memory.first_lap_lookahead). A privileged target in training only; acting never reads the head.
  float road_ahead_coef = 0.0f;
};

// Policies that carry a memory between steps (trained by PPO on sequences).
inline bool recurrent_policy(const NetConfig& net) { return net.policy == "gtrxl" || net.policy == "lstm"; }
// Steps per PPO training sequence of a recurrent policy (its section's sequence_length).
inline int sequence_length(const NetConfig& net) {
  return net.policy == "lstm" ? net.lstm.sequence_length : net.gtrxl.sequence_length;
}

// What every policy-gradient algorithm reads (agent.ppo, agent.a2c, agent.reinforce): discounting, reward
// scaling and the loss weights. num_steps and gae_lambda are read by ppo and a2c; reinforce plays whole
// episodes with Monte-Carlo returns, so its section does not show them.
struct PolicyGradientConfig {
  float gamma = 0.99f;
  bool normalize_reward = true;    // scale rewards by the std of the discounted return
  float clip_reward = 10.0f;
  bool norm_adv = true;
  float ent_coef = 0.0f;
  float vf_coef = 0.5f;
  int num_steps = 128;             // rollout length per env (ppo, a2c)
  float gae_lambda = 0.95f;        // 1 = Monte Carlo returns with baseline (ppo, a2c)
};

struct PPOConfig : PolicyGradientConfig {
  int num_minibatches = 4;
  int update_epochs = 4;
  float clip_coef = 0.2f;
  bool clip_vloss = true;
  float target_kl = 0.0f;          // 0 = no early stop
  std::string init_from;           // start from this BC/DAgger/PPO run's actor and normalizer (folder or .pt)
  int value_warmup = 0;            // with init_from: first updates train only the critic
};

struct A2CConfig : PolicyGradientConfig {};
struct ReinforceConfig : PolicyGradientConfig {};

// Behaviour cloning (agent.bc; DAgger reads it too).
struct BCConfig {
  std::string data;                // dataset file written by `drivelab collect`
  int batch_size = 256;            // minibatch size
  int epochs = 30;                 // most passes over the training episodes
  float val_fraction = 0.1f;       // episodes held out for validation and early stopping
  int patience = 5;                // epochs without a better validation loss before stopping
  float obs_noise = 0.0f;          // augmentation: Gaussian noise on normalized state observations
  int shift_pad = 0;               // augmentation: random shift of pixel observations (0 = off)
};

// DAgger's rounds (agent.dagger), on top of agent.bc.
struct DAggerConfig {
  int iterations = 4;              // rounds of learner rollouts labelled by the expert
  int episodes = 8;                // learner episodes per round
};

// Decision Transformer (agent.dt; agents/decision_transformer.h).
struct DTConfig {
  std::string data;                // dataset file written by `drivelab collect`
  int batch_size = 256;            // context windows per batch
  int context_length = 20;         // steps the model sees (3 tokens each)
  int d_model = 128;               // transformer width
  int n_heads = 4;                 // attention heads (d_model must be a multiple)
  int n_layers = 3;                // transformer blocks
  float target_return = 0.0f;      // return asked for at evaluation (0 = best return in the data)
  int gradient_steps = 20000;      // optimizer steps
  int64_t eval_every_gradient_steps = 100'000;        // 0 = only at the end
  int64_t checkpoint_every_gradient_steps = 100'000;  // 0 = only at the end
};

// The agent section: what several algorithms read (algo, network, optimizer, observation normalization),
// then one section per algorithm. Which of these keys an algorithm reads is in the algorithm table
// (Algorithm::agent_keys); a config that sets a key its algorithm does not read is an error.
struct AgentConfig {
  std::string algo = "ppo";        // a name in the algorithm table (agents/algorithms.cpp)
  NetConfig net;
  std::string optimizer = "auto";  // auto (Adam; RMSprop for a2c) | adam | rmsprop
  float learning_rate = 3e-4f;
  bool anneal_lr = true;           // linear decay to 0 over the run
  float max_grad_norm = 0.5f;
  bool normalize_obs = true;       // running mean/std of observations (saved with checkpoints)
  float clip_obs = 10.0f;
  PPOConfig ppo;
  A2CConfig a2c;
  ReinforceConfig reinforce;
  BCConfig bc;
  DAggerConfig dagger;
  DTConfig dt;
  TrackGanConfig gan;              // track_gan: WGAN-GP track generator (agents/track_gan_config.h)
  WorldModelConfig world_model;    // world_model: stages, VAE, MDN-RNN, CMA-ES (agents/world_model.h)
  DistillConfig distill;           // distill: teacher-student distillation (agents/distill_config.h)
};

// Where a key of the flat agent section (before per-algorithm sections) or a renamed key now lives, for
// `algo` (old keys shared by several algorithms moved to that algorithm's section): "agent.num_steps" ->
// "agent.ppo.num_steps"; "" for a key that did not move. Config files get an error naming the new key;
// old checkpoints' config text is read through it.
std::string moved_config_key(const std::string& path, const std::string& algo);

struct TrainConfig {
  int64_t total_steps = 1'000'000; // env steps (all envs together)
  int num_envs = 16;
  int num_threads = 0;             // env worker threads, 0 = one per core
  int torch_threads = 0;           // LibTorch intra-op threads, 0 = auto (1 for MLPs, cores for CNNs)
  uint64_t seed = 1;
  std::string device = "auto";     // auto | cpu | cuda | cuda:N
  int64_t eval_every_steps = 100'000;        // env steps between evaluations (0 = only at the end)
  int eval_episodes = 10;          // on test tracks
  int64_t checkpoint_every_steps = 100'000;  // env steps between checkpoints (0 = only at the end)
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
  v.field("road_ahead_coef", c.road_ahead_coef,
          "ppo: > 0: weight of an auxiliary loss predicting the road ahead (env.lookahead) from the policy's features",
          0.f, 1000.f);
}

// The algorithm table's names as choice options (agents/algorithm.cpp): the table is the one list.
std::vector<std::pair<std::string, std::string>> algorithm_choices();
// The agent keys an algorithm reads besides algo (Algorithm::agent_keys). Throws io::InputError for an
// unknown name.
std::vector<std::string> algorithm_agent_keys(const std::string& algo);
// Whether it reads train.total_steps, eval_every_steps and checkpoint_every_steps (Algorithm::env_step_budget).
bool algorithm_counts_env_steps(const std::string& algo);

// The keys every policy-gradient section shows; num_steps and gae_lambda only where they are read.
template <class V>
void visit_policy_gradient(PolicyGradientConfig& c, V& v, bool bootstrapped) {
  if (bootstrapped) {
    v.field("num_steps", c.num_steps, "rollout steps per env per update", 1, 1 << 20);
    v.field("gae_lambda", c.gae_lambda, "GAE lambda", 0.f, 1.f);
  }
  v.field("gamma", c.gamma, "discount", 0.f, 1.f);
  v.field("norm_adv", c.norm_adv, "normalize advantages");
  v.field("ent_coef", c.ent_coef, "entropy bonus", 0.f, 10.f);
  v.field("vf_coef", c.vf_coef, "value loss weight", 0.f, 100.f);
  v.field("normalize_reward", c.normalize_reward, "reward scaling by return std");
  v.field("clip_reward", c.clip_reward, "scaled reward clip", 0.f, 1e6f);
}

template <class V>
void visit_fields(PPOConfig& c, V& v) {
  visit_policy_gradient(c, v, true);
  v.field("num_minibatches", c.num_minibatches, "minibatches per epoch", 1, 1 << 16);
  v.field("update_epochs", c.update_epochs, "epochs per update", 1, 1000);
  v.field("clip_coef", c.clip_coef, "ratio clip", 0.f, 10.f);
  v.field("clip_vloss", c.clip_vloss, "value clipping");
  v.field("target_kl", c.target_kl, "early stop KL (0 = off)", 0.f, 10.f);
  v.field("init_from", c.init_from, "BC, DAgger or PPO run folder or checkpoint to start from");
  v.field("value_warmup", c.value_warmup, "with init_from: critic-only updates first", 0, 1 << 20);
}

template <class V>
void visit_fields(A2CConfig& c, V& v) {
  visit_policy_gradient(c, v, true);
}

template <class V>
void visit_fields(ReinforceConfig& c, V& v) {
  visit_policy_gradient(c, v, false);
}

template <class V>
void visit_fields(BCConfig& c, V& v) {
  v.field("data", c.data, "dataset file (drivelab collect)");
  v.field("batch_size", c.batch_size, "minibatch size", 1, 1 << 20);
  v.field("epochs", c.epochs, "most passes over the training episodes", 1, 100000);
  v.field("val_fraction", c.val_fraction, "episodes held out for validation", 0.f, 0.9f);
  v.field("patience", c.patience, "epochs without a better validation loss before stopping", 1, 100000);
  v.field("obs_noise", c.obs_noise, "Gaussian noise on normalized state observations", 0.f, 10.f);
  v.field("shift_pad", c.shift_pad, "random-shift padding of pixel observations (0 = off)", 0, 64);
}

template <class V>
void visit_fields(DAggerConfig& c, V& v) {
  v.field("iterations", c.iterations, "rounds of expert-labelled learner rollouts", 0, 10000);
  v.field("episodes", c.episodes, "learner episodes per round", 1, 100000);
}

template <class V>
void visit_fields(DTConfig& c, V& v) {
  v.field("data", c.data, "dataset file (drivelab collect)");
  v.field("batch_size", c.batch_size, "context windows per batch", 1, 1 << 20);
  v.field("context_length", c.context_length, "steps of context (K)", 1, 4096);
  v.field("d_model", c.d_model, "transformer width", 4, 8192);
  v.field("n_heads", c.n_heads, "attention heads (divide d_model)", 1, 256);
  v.field("n_layers", c.n_layers, "transformer blocks", 1, 256);
  v.field("target_return", c.target_return, "return asked for at evaluation (0 = best in the data)", -1e9f, 1e9f);
  v.field("gradient_steps", c.gradient_steps, "optimizer steps", 1, 1 << 30);
  v.field("eval_every_gradient_steps", c.eval_every_gradient_steps,
          "gradient steps between evaluations (0 = end only)", int64_t{0}, int64_t{1} << 40);
  v.field("checkpoint_every_gradient_steps", c.checkpoint_every_gradient_steps,
          "gradient steps between checkpoints (0 = end only)", int64_t{0}, int64_t{1} << 40);
}

template <class V>
void visit_fields(AgentConfig& c, V& v) {
  v.choice("algo", c.algo, algorithm_choices(), "algorithm (agents/algorithms.cpp)");
  v.section("net", c.net, "network");
  v.choice("optimizer", c.optimizer, {{"auto", "auto"}, {"adam", "adam"}, {"rmsprop", "rmsprop"}},
           "auto (Adam; RMSprop for a2c) | adam | rmsprop");
  v.field("learning_rate", c.learning_rate, "optimizer learning rate", 1e-7f, 1.f);
  v.field("anneal_lr", c.anneal_lr, "linear learning-rate decay to 0");
  v.field("max_grad_norm", c.max_grad_norm, "gradient clipping (0 = off)", 0.f, 1e6f);
  v.field("normalize_obs", c.normalize_obs, "running observation normalization");
  v.field("clip_obs", c.clip_obs, "normalized observation clip", 0.f, 1e6f);
  v.section("ppo", c.ppo, "ppo: rollouts, GAE, clipped surrogate");
  v.section("a2c", c.a2c, "a2c: rollouts, GAE");
  v.section("reinforce", c.reinforce, "reinforce: whole-episode returns");
  v.section("bc", c.bc, "bc and dagger: dataset, minibatches, early stopping, augmentation");
  v.section("dagger", c.dagger, "dagger: expert-labelled rounds");
  v.section("dt", c.dt, "decision_transformer: dataset, context, model size");
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
  v.field("eval_every_steps", c.eval_every_steps, "env steps between evaluations (0 = end only)", int64_t{0},
          int64_t{1} << 40);
  v.field("eval_episodes", c.eval_episodes, "evaluation episodes on test tracks", 0, 100000);
  v.field("checkpoint_every_steps", c.checkpoint_every_steps, "env steps between checkpoints (0 = end only)", int64_t{0},
          int64_t{1} << 40);
  v.field("deterministic_eval", c.deterministic_eval, "evaluate the mean action");
}

}  // namespace dl::agents
