// drivelab/agents: a mixture-of-experts layer with the MLP's interface (agents/nn.h), so it can stand
// wherever an MLP does: forward([..., in]) -> [..., out_features()].
//
// Routing is noisy top-k gating (Shazeer et al. 2017): a linear router gives logits, training adds
// Gaussian noise with a learned per-expert scale softplus(W_noise x), and each input goes to the k
// experts with the highest (noisy) logits. The output is the experts' outputs weighted by the router's
// softmax probabilities of the chosen experts, renormalised over them when k > 1; with k = 1 the weight
// is the raw probability (as Switch Transformers do), so the router still receives a gradient.
// Only the chosen experts run on an input (sparse dispatch by index), so compute grows with k, not E.
//
// Load balancing: without a penalty the router collapses onto the experts that happen to start ahead.
// aux_loss() after a forward is Switch's E * sum_i f_i * P_i, with f_i the fraction of routing slots sent
// to expert i and P_i the mean router probability of i over the batch. It is 1 for perfectly uniform
// routing and approaches E as routing collapses onto one expert; add aux_coef * aux_loss() to the loss.
//
// Usage statistics for logging: last_usage() (fraction of slots per expert in the last forward) and
// usage() (accumulated since reset_usage()).
#pragma once
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "agents/nn.h"

namespace dl::agents {

struct MoEOptions {
  int64_t experts = 4;
  int64_t top_k = 2;
  bool noisy = true;  // Shazeer's tunable Gaussian noise on the logits, in training mode only
};

// Switch's load-balancing loss from router probabilities [N, E] and chosen experts [N, k]; 1 when both
// the probabilities and the assignments are uniform, E when everything goes to one expert.
torch::Tensor load_balancing_loss(const torch::Tensor& probs, const torch::Tensor& chosen);

class MoEImpl : public torch::nn::Module {
 public:
  // Each expert is MLP(in_features, hidden, activation, residual).
  MoEImpl(int64_t in_features, const std::vector<int>& hidden, Activation activation, bool residual,
          const MoEOptions& options = {});
  torch::Tensor forward(torch::Tensor x);
  int64_t out_features() const { return out_features_; }
  int64_t num_experts() const { return options_.experts; }

  torch::Tensor aux_loss() const { return aux_loss_; }  // of the last forward (scalar, differentiable)
  torch::Tensor last_usage() const { return last_usage_; }  // [E] fractions summing to 1
  torch::Tensor usage() const;                              // [E] fractions since reset_usage()
  void reset_usage();
  // Router probabilities [N, E] (noise-free) for inputs [N, in]: which expert each input prefers.
  torch::Tensor router_probs(const torch::Tensor& x);

 private:
  MoEOptions options_;
  int64_t out_features_ = 0;
  std::vector<MLP> experts_;
  torch::nn::Linear router_{nullptr}, noise_{nullptr};
  torch::Tensor aux_loss_, last_usage_, usage_counts_;
};
TORCH_MODULE(MoE);

}  // namespace dl::agents
