// drivelab/agents: the world model's settings (agent.world_model in YAML), a plain struct described by
// visit_fields like every config (envs/env_config.h explains the visitor). The algorithm is in world_model.h.
#pragma once
#include <string>

namespace dl::agents {

struct WorldModelConfig {
  // Stage 1, collect: episodes recorded from the env into RUN/world_model/rollouts.dlds.
  int collect_episodes = 60;        // rollouts for the VAE and the MDN-RNN
  float random_fraction = 0.2f;     // of them driven by a uniform random policy
  float weak_fraction = 0.4f;       // of them driven by the weak expert (the rest: the noisy expert)
  float expert_noise = 0.3f;        // std of the Gaussian noise on the expert's actions
  // Stage 2, VAE (vae.pt): Ha & Schmidhuber's conv VAE on 64x64x3 frames.
  int z_dim = 32;                   // latent size
  int vae_channels = 32;            // first conv width; the four encoder convs use 1x, 2x, 4x, 8x
  float kl_tolerance = 0.5f;        // Ha's free bits: KL per latent dim below this (nats) costs nothing
  float vae_beta = 1.0f;            // weight of the (tolerance-floored) KL term
  int vae_epochs = 3;               // passes over the frames
  int vae_batch_size = 64;
  float vae_learning_rate = 1e-3f;
  int vae_max_frames = 0;           // frames used for the VAE, evenly spread over the data (0 = all)
  // Stage 3, MDN-RNN (mdnrnn.pt): an LSTM over [z_t, a_t] predicting z_{t+1}, r_{t+1} and done.
  int rnn_hidden = 256;             // LSTM width
  int mdn_components = 5;           // K Gaussians per latent dimension
  int mdn_sequence_length = 32;     // training windows (steps)
  int mdn_batch_size = 32;          // windows per batch
  int mdn_epochs = 20;              // an epoch = as many windows as the data has steps / sequence length
  float mdn_learning_rate = 1e-3f;
  float reward_weight = 1.0f;       // weight of the reward head's MSE
  float done_weight = 1.0f;         // weight of the done head's cross-entropy
  float temperature = 1.15f;        // sampling temperature of the dreamed rollout (Ha: 1.15 for CarRacing)
  // Stage 4, controller (controller.pt): a = squash(W [z, h] + b) trained by CMA-ES in the real env.
  bool controller_uses_h = true;    // false: the controller sees z only (Ha's "V model only" ablation)
  int popsize = 16;                 // CMA-ES population, evaluated in parallel envs
  int generations = 20;
  int rollouts_per_candidate = 1;   // episodes averaged per candidate per generation (Ha: 16)
  float sigma_init = 0.1f;          // CMA-ES initial step size
  bool separable = false;           // diagonal covariance (sep-CMA-ES), for large controllers
  int eval_every_generations = 5;               // generations between test-track evaluations of the CMA-ES mean (0 = end)
};

template <class V>
void visit_fields(WorldModelConfig& c, V& v) {
  v.field("collect_episodes", c.collect_episodes, "collect: episodes recorded", 1, 1 << 24);
  v.field("random_fraction", c.random_fraction, "collect: fraction of random-policy episodes", 0.f, 1.f);
  v.field("weak_fraction", c.weak_fraction, "collect: fraction of weak-expert episodes", 0.f, 1.f);
  v.field("expert_noise", c.expert_noise, "collect: std of noise on the expert's actions", 0.f, 10.f);
  v.field("z_dim", c.z_dim, "vae: latent size", 1, 4096);
  v.field("vae_channels", c.vae_channels, "vae: first conv width (then 2x, 4x, 8x)", 1, 1024);
  v.field("kl_tolerance", c.kl_tolerance, "vae: free nats per latent dim (0 = plain KL)", 0.f, 100.f);
  v.field("vae_beta", c.vae_beta, "vae: weight of the KL term", 0.f, 1000.f);
  v.field("vae_epochs", c.vae_epochs, "vae: passes over the frames", 1, 100000);
  v.field("vae_batch_size", c.vae_batch_size, "vae: minibatch size", 1, 1 << 16);
  v.field("vae_learning_rate", c.vae_learning_rate, "vae: Adam learning rate", 1e-7f, 1.f);
  v.field("vae_max_frames", c.vae_max_frames, "vae: frames used (0 = all)", 0, 1 << 30);
  v.field("rnn_hidden", c.rnn_hidden, "mdnrnn: LSTM width", 1, 1 << 16);
  v.field("mdn_components", c.mdn_components, "mdnrnn: Gaussians per latent dim", 1, 256);
  v.field("mdn_sequence_length", c.mdn_sequence_length, "mdnrnn: training window (steps)", 2, 1 << 16);
  v.field("mdn_batch_size", c.mdn_batch_size, "mdnrnn: windows per batch", 1, 1 << 16);
  v.field("mdn_epochs", c.mdn_epochs, "mdnrnn: epochs", 1, 100000);
  v.field("mdn_learning_rate", c.mdn_learning_rate, "mdnrnn: Adam learning rate", 1e-7f, 1.f);
  v.field("reward_weight", c.reward_weight, "mdnrnn: reward head loss weight", 0.f, 1000.f);
  v.field("done_weight", c.done_weight, "mdnrnn: done head loss weight", 0.f, 1000.f);
  v.field("temperature", c.temperature, "mdnrnn: sampling temperature of dreams", 0.01f, 10.f);
  v.field("controller_uses_h", c.controller_uses_h, "controller: input [z, h] (false: z only)");
  v.field("popsize", c.popsize, "cmaes: population size", 2, 1 << 16);
  v.field("generations", c.generations, "cmaes: generations", 1, 1 << 20);
  v.field("rollouts_per_candidate", c.rollouts_per_candidate, "cmaes: episodes per candidate", 1, 1024);
  v.field("sigma_init", c.sigma_init, "cmaes: initial step size", 1e-6f, 100.f);
  v.field("separable", c.separable, "cmaes: diagonal covariance");
  v.field("eval_every_generations", c.eval_every_generations, "controller: generations between test evaluations (0 = end)", 0,
          1 << 20);
}

}  // namespace dl::agents
