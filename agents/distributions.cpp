#include "agents/distributions.h"

#include <cmath>

namespace dl::agents {

namespace {
constexpr double kLog2Pi = 1.8378770664093453;  // log(2 pi)
}

DiagGaussian::DiagGaussian(torch::Tensor mean, torch::Tensor log_std, bool squash)
    : mean_(std::move(mean)), log_std_(std::move(log_std)), squash_(squash) {
  log_std_ = log_std_.expand_as(mean_);
}

torch::Tensor DiagGaussian::sample() const {
  return mean_ + torch::randn_like(mean_) * log_std_.exp();
}

torch::Tensor log1m_tanh_sq(const torch::Tensor& u) {
  return 2.0 * (std::log(2.0) - u - torch::softplus(-2.0 * u));
}

torch::Tensor DiagGaussian::log_prob(const torch::Tensor& raw) const {
  auto z = (raw - mean_) * (-log_std_).exp();
  auto lp = (-0.5 * z * z - log_std_ - 0.5 * kLog2Pi).sum(-1);
  if (squash_) lp = lp - log1m_tanh_sq(raw).sum(-1);
  return lp;
}

torch::Tensor DiagGaussian::entropy() const {
  return (log_std_ + 0.5 * (1.0 + kLog2Pi)).sum(-1);
}

torch::Tensor DiagGaussian::to_action(const torch::Tensor& raw) const {
  return squash_ ? torch::tanh(raw) : raw;
}

Categorical::Categorical(const torch::Tensor& logits)
    : log_probs_(logits - logits.logsumexp(-1, /*keepdim=*/true)) {}

torch::Tensor Categorical::sample() const {
  return torch::multinomial(log_probs_.exp(), 1, /*replacement=*/true).squeeze(-1);
}

torch::Tensor Categorical::mode() const { return log_probs_.argmax(-1); }

torch::Tensor Categorical::log_prob(const torch::Tensor& index) const {
  auto idx = index.to(torch::kLong).reshape({-1, 1});
  return log_probs_.gather(-1, idx).squeeze(-1);
}

torch::Tensor Categorical::entropy() const {
  // p log p with p = 0 is 0; exp(-inf) * -inf would give NaN, so clamp the log first.
  auto lp = log_probs_.clamp_min(std::numeric_limits<float>::lowest());
  return -(lp.exp() * lp).sum(-1);
}

}  // namespace dl::agents
