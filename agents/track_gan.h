// drivelab/agents: a WGAN-GP (Gulrajani et al. 2017) over track shapes (agent.algo: track_gan).
//
// Data: procedural train tracks 0 .. gan.train_tracks-1 of the env's track parameters, encoded as
// turning-angle vectors (envs/track_shape.h) and standardized per feature. Generator and critic are MLPs
// with leaky ReLUs (no normalization layers: the penalty is per sample, and the generator must export to
// the plain forward of envs/track_generator.h). Each generator step follows gan.critic_steps critic steps
// on  D(fake) - D(real) + lambda (|grad D(x_hat)| - 1)^2,  x_hat on random interpolates; the generator
// then minimises -D(fake).
//
// A run folder gets metrics (losses/critic, losses/generator, losses/gradient_penalty,
// losses/wasserstein = E D(real) - E D(fake), gan/validity_rate and gan/validity_rate_raw over
// gan.eval_tracks decoded tracks, gan/repair_passes, gan/feature_gap), checkpoints/latest.pt (both
// networks, both optimizers, step, RNG; `--resume` continues) and generator.dltg, the exported generator
// for `env.track_source: gan:RUN/generator.dltg` and `drivelab tracks sample`.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "envs/track_generator.h"

namespace dl::agents {

// lambda * mean over the batch of (|d critic / d x at x_hat| - 1)^2, x_hat = alpha real + (1 - alpha) fake
// with alpha of shape [B, 1]. Differentiable in the critic's parameters (create_graph).
torch::Tensor gradient_penalty(const std::function<torch::Tensor(const torch::Tensor&)>& critic,
                               const torch::Tensor& real, const torch::Tensor& fake, const torch::Tensor& alpha,
                               double lambda);

struct WganOptions {
  int data_dim = 0;
  int latent_dim = 32;
  std::vector<int> hidden = {256, 256};
  int critic_steps = 5;
  double gp_lambda = 10;
  double learning_rate = 1e-4;
  double beta1 = 0.0, beta2 = 0.9;
};

struct WganLosses {
  double critic = 0;            // last critic step, penalty included
  double gradient_penalty = 0;  // last critic step
  double wasserstein = 0;       // E D(real) - E D(fake), last critic step
  double generator = 0;
};

// The two networks, their optimizers and one training step. CPU or CUDA by `device`.
class Wgan {
 public:
  Wgan(const WganOptions& options, torch::Device device);
  // sample_real(batch) returns [batch, data_dim] real samples on the device.
  WganLosses step(const std::function<torch::Tensor(int64_t)>& sample_real, int64_t batch);
  torch::Tensor generate(int64_t n);  // [n, data_dim], no gradient
  torch::Tensor sample_latent(int64_t n) const;

  // The generator as envs/ evaluates it; features = mean + scale * output.
  envs::TrackGenerator export_generator(int samples, const std::vector<float>& mean,
                                        const std::vector<float>& scale, const std::string& note) const;

  const WganOptions& options() const { return options_; }
  torch::nn::Sequential generator{nullptr}, critic{nullptr};
  std::unique_ptr<torch::optim::Adam> generator_optimizer, critic_optimizer;

 private:
  WganOptions options_;
  torch::Device device_;
};

}  // namespace dl::agents
