// drivelab/agents: a world model after Ha & Schmidhuber, "World Models" (2018): V, M and C.
//
//   V  ConvVAE: 64x64x3 frame -> z (z_dim, 32 in the paper) and back. Encoder: four 4x4 stride-2 ReLU
//      convolutions (c, 2c, 4c, 8c channels; 64 -> 31 -> 14 -> 6 -> 2), then linear heads for mu and
//      log sigma^2. Decoder: a linear layer to 32c features seen as a 1x1 image, then 5x5, 5x5, 6x6, 6x6
//      stride-2 transposed convolutions (1 -> 5 -> 13 -> 30 -> 64) and a sigmoid. Trained on
//        recon = sum over pixels of (x - x')^2      (Ha's L2 on [0, 1] pixels, per frame)
//        kl    = max(KL(q(z|x) || N(0, I)), kl_tolerance * z_dim)   per frame ("free bits", Ha's choice)
//        loss  = recon + beta * kl                  (beta = 1 is Ha's recipe)
//      with z = mu + sigma * eps (the reparameterization trick).
//   M  MDN-RNN: an LSTM over [z_t, a_t]; from its output h_{t+1} a linear head gives, for every latent
//      dimension separately, a mixture of K Gaussians for z_{t+1} (logits pi, means mu, log sigma), plus
//      the reward r_t and a done logit. Loss: the mixture's negative log-likelihood averaged over latent
//      dimensions (nats per dimension), plus weighted reward MSE and done cross-entropy. Sampling at
//      temperature tau divides the logits by tau and multiplies sigma by sqrt(tau), as Ha does.
//   C  Controller: a = squash(W [z_t, h_t] + b), one linear layer, squashed into each action's bounds by
//      low + (high - low) * (tanh(x) + 1) / 2 (tanh for steering, a sigmoid for gas and brake). Its
//      weights are a flat vector for CMA-ES (agents/cmaes.h): W row-major, then b.
//
// The training pipeline (collect -> vae -> mdnrnn -> controller, each stage a file under
// RUN/world_model/) is train_world_model in world_model_stages.cpp; docs/world_model.md has the commands.
#pragma once
#include <cstdint>
#include <string>
#include <tuple>

#include <torch/torch.h>

#include "agents/trainer.h"
#include "envs/env_config.h"
#include "envs/env.h"

namespace dl::agents {

inline constexpr int64_t kWorldModelImageSize = 64;  // the VAE's frames are 64x64x3

struct VAEOptions {
  int64_t z_dim = 32;
  int64_t channels = 32;
};

class ConvVAEImpl : public torch::nn::Module {
 public:
  explicit ConvVAEImpl(const VAEOptions& options);
  struct Encoded {
    torch::Tensor mu, logvar;  // [B, z_dim]
  };
  struct Output {
    torch::Tensor reconstruction, mu, logvar;  // [B, 3, 64, 64] in [0, 1]; [B, z_dim] twice
  };
  // frames: uint8 [B, 64, 64, 3] (channels last, as the env gives them) or float [B, 3, 64, 64] in [0, 1].
  Encoded encode(const torch::Tensor& frames);
  torch::Tensor decode(const torch::Tensor& z);  // [B, 3, 64, 64] in [0, 1]
  // Encodes, draws z = mu + sigma * eps (or takes mu when !sample) and decodes.
  Output forward(const torch::Tensor& frames, bool sample = true);
  const VAEOptions& options() const { return options_; }

 private:
  VAEOptions options_;
  torch::nn::Conv2d enc1_{nullptr}, enc2_{nullptr}, enc3_{nullptr}, enc4_{nullptr};
  torch::nn::Linear fc_mu_{nullptr}, fc_logvar_{nullptr}, fc_decode_{nullptr};
  torch::nn::ConvTranspose2d dec1_{nullptr}, dec2_{nullptr}, dec3_{nullptr}, dec4_{nullptr};
};
TORCH_MODULE(ConvVAE);

// uint8 [B, 64, 64, 3] -> float [B, 3, 64, 64] in [0, 1].
torch::Tensor frames_to_float(const torch::Tensor& frames_u8);

struct VAELoss {
  torch::Tensor total;  // recon + beta * floored KL, averaged over the batch
  torch::Tensor recon;  // sum of squared errors per frame, averaged over the batch
  torch::Tensor kl;     // KL per frame before the free-bits floor, averaged over the batch
};
VAELoss vae_loss(const ConvVAEImpl::Output& output, const torch::Tensor& target, double kl_tolerance,
                 double beta);

struct MDNRNNOptions {
  int64_t z_dim = 32;
  int64_t action_dim = 3;
  int64_t hidden = 256;
  int64_t components = 5;
};

// Mixture parameters, each [..., z_dim, K].
struct Mixture {
  torch::Tensor logit_pi, mu, log_sigma;
};

// Per-element negative log-likelihood of target [..., z_dim] under a per-dimension mixture:
//   -log sum_k softmax(logit_pi)_k N(target; mu_k, sigma_k^2), computed by log-sum-exp. Returns [..., z_dim].
torch::Tensor mdn_nll(const Mixture& mixture, const torch::Tensor& target);
// A sample at temperature tau (logits / tau, sigma * sqrt(tau)), [..., z_dim].
torch::Tensor mdn_sample(const Mixture& mixture, double temperature);

class MDNRNNImpl : public torch::nn::Module {
 public:
  explicit MDNRNNImpl(const MDNRNNOptions& options);
  using State = std::tuple<torch::Tensor, torch::Tensor>;  // (h, c), each [1, B, hidden]
  struct Output {
    Mixture next_z;          // [B, T, z_dim, K]
    torch::Tensor reward;    // [B, T]
    torch::Tensor done_logit;// [B, T]
    torch::Tensor hidden;    // [B, T, hidden]: h_{t+1}, what the controller of step t + 1 sees
    State state;             // after the last step
  };
  // z [B, T, z_dim], actions [B, T, action_dim]; state may be undefined tensors (zeros).
  Output forward(const torch::Tensor& z, const torch::Tensor& actions, const State& state = {});
  State initial_state(int64_t batch, torch::Device device) const;
  const MDNRNNOptions& options() const { return options_; }

 private:
  MDNRNNOptions options_;
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(MDNRNN);

// The controller's parameter count for `input_dim` inputs and the action spec's dimension.
int64_t controller_parameter_count(int64_t input_dim, int64_t action_dim);
// Actions [N, A] from one flat parameter vector per row (params [N, P]) and inputs [N, input_dim],
// squashed into the continuous action bounds (`low`, `high`, [A]).
torch::Tensor controller_actions(const torch::Tensor& params, const torch::Tensor& inputs,
                                 const torch::Tensor& low, const torch::Tensor& high);

// ---- stage files -------------------------------------------------------------------------------------------
// Each is a torch archive with a "kind" entry, its shape and its weights, written to PATH.tmp and renamed.
// Readers throw std::runtime_error naming the file and what was expected.

void save_vae(const std::string& path, ConvVAE& vae);
ConvVAE load_vae(const std::string& path);
void save_mdnrnn(const std::string& path, MDNRNN& rnn);
MDNRNN load_mdnrnn(const std::string& path);

struct ControllerFile {
  int64_t z_dim = 0, hidden = 0;   // hidden = 0: the controller sees z only
  int64_t action_dim = 0;
  torch::Tensor params;            // [P] the CMA-ES mean at the end (the controller used)
  torch::Tensor best_params;       // [P] the best candidate seen in training
  double best_train_return = 0;
  int64_t generations = 0;
};
void save_controller(const std::string& path, const ControllerFile& controller);
ControllerFile load_controller(const std::string& path);

}  // namespace dl::agents
