// drivelab/agents: the WGAN-GP track generator's configuration (agent.algo: track_gan, agent.gan.*).
// Its own header so the GAN's fields stay out of the shared AgentConfig but one member and one section.
#pragma once
#include <cstdint>
#include <vector>

namespace dl::agents {

struct TrackGanConfig {
  int train_tracks = 4000;              // data: procedural train tracks 0 .. n-1 of env.preset, encoded
  int shape_samples = 64;               // turning-angle samples per shape (envs/track_shape.h)
  int latent_dim = 32;                  // generator noise size
  std::vector<int> hidden = {256, 256}; // generator and critic MLP widths
  int critic_steps = 5;                 // critic updates per generator update (n_critic)
  float gp_lambda = 10;                 // gradient-penalty weight (Gulrajani et al. 2017)
  float learning_rate = 1e-4f;          // Adam, both networks
  float beta1 = 0.0f;                   // Adam betas as the WGAN-GP paper: (0, 0.9)
  float beta2 = 0.9f;
  int batch_size = 64;
  int generator_steps = 20000;          // generator updates (the run's length)
  int eval_tracks = 256;                // generated tracks decoded per evaluation (gan/validity_rate)
  int64_t eval_every_generator_steps = 100'000;        // 0 = only at the end
  int64_t checkpoint_every_generator_steps = 100'000;  // 0 = only at the end
};

template <class V>
void visit_fields(TrackGanConfig& c, V& v) {
  v.field("train_tracks", c.train_tracks, "procedural train tracks encoded as data", 16, 1 << 20);
  v.field("shape_samples", c.shape_samples, "turning-angle samples per track shape", 16, 1024);
  v.field("latent_dim", c.latent_dim, "generator noise size", 1, 4096);
  v.field("hidden", c.hidden, "generator and critic hidden widths");
  v.field("critic_steps", c.critic_steps, "critic updates per generator update", 1, 100);
  v.field("gp_lambda", c.gp_lambda, "gradient-penalty weight", 0.f, 1e4f);
  v.field("learning_rate", c.learning_rate, "Adam learning rate (both networks)", 1e-7f, 1.f);
  v.field("beta1", c.beta1, "Adam beta1", 0.f, 0.999f);
  v.field("beta2", c.beta2, "Adam beta2", 0.f, 0.9999f);
  v.field("batch_size", c.batch_size, "shapes per batch", 1, 1 << 16);
  v.field("generator_steps", c.generator_steps, "generator updates", 1, 1 << 30);
  v.field("eval_tracks", c.eval_tracks, "generated tracks decoded per evaluation", 1, 1 << 20);
  v.field("eval_every_generator_steps", c.eval_every_generator_steps,
          "generator steps between evaluations (0 = end only)", int64_t{0}, int64_t{1} << 40);
  v.field("checkpoint_every_generator_steps", c.checkpoint_every_generator_steps,
          "generator steps between checkpoints (0 = end only)", int64_t{0}, int64_t{1} << 40);
}

}  // namespace dl::agents
