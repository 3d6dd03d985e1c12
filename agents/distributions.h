// drivelab/agents: action distributions (LibTorch has none). Batched over the leading dimension; the
// last dimension holds action components, which are independent.
#pragma once
#include <torch/torch.h>

namespace dl::agents {

// Diagonal Gaussian over `mean` [B, D] with `log_std` [B, D] or [D] (broadcast).
//
// With `squash`, an action is a = tanh(u) for u ~ N(mean, std). Samples are kept in u-space (the
// "raw" action): log_prob(u) then needs no atanh, which loses all precision as |a| -> 1. The density of a
// follows by change of variables: log p(a) = log N(u) - sum log(1 - tanh(u)^2). The entropy of a squashed
// Gaussian has no closed form; entropy() then returns the Gaussian's, the usual surrogate.
class DiagGaussian {
 public:
  DiagGaussian(torch::Tensor mean, torch::Tensor log_std, bool squash = false);
  torch::Tensor sample() const;                     // raw u, [B, D]
  torch::Tensor mode() const { return mean_; }      // raw u of the most likely pre-squash value
  torch::Tensor log_prob(const torch::Tensor& raw) const;  // [B]
  torch::Tensor entropy() const;                           // [B]
  // What the env receives for a raw sample: tanh(u) when squashed, u otherwise.
  torch::Tensor to_action(const torch::Tensor& raw) const;
  bool squashed() const { return squash_; }

 private:
  torch::Tensor mean_, log_std_;
  bool squash_;
};

// log(1 - tanh(u)^2) computed without cancellation: 2 * (log 2 - u - softplus(-2u)).
torch::Tensor log1m_tanh_sq(const torch::Tensor& u);

// Categorical over the last dimension of `logits` [B, n].
class Categorical {
 public:
  explicit Categorical(const torch::Tensor& logits);
  torch::Tensor sample() const;                               // [B] int64
  torch::Tensor mode() const;                                 // [B] int64
  torch::Tensor log_prob(const torch::Tensor& index) const;   // index [B] (any dtype), -> [B]
  torch::Tensor entropy() const;                              // [B]
  const torch::Tensor& log_probs() const { return log_probs_; }

 private:
  torch::Tensor log_probs_;  // normalized logits
};

}  // namespace dl::agents
