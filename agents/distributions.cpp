#include "agents/distributions.h"

#include <cmath>

#include "agents/distributed.h"

namespace dl::agents {

namespace {
constexpr double kLog2Pi = 1.8378770664093453;  // log(2 pi)

// Data-parallel runs (distributed.h): the draw is made for the global batch of every rank's rows, whatever
// their content, and this rank keeps its own rows; `like` [B, ...] -> a [total, ...] tensor of its options.
const dist::SampleRows* global_rows_for(const torch::Tensor& like) {
  const auto* rows = dist::sample_rows();
  if (!rows || like.dim() == 0 || rows->offset + like.size(0) > rows->total) return nullptr;
  return rows;
}
torch::Tensor widened(const torch::Tensor& like, int64_t total, double fill) {
  auto shape = like.sizes().vec();
  shape[0] = total;
  return torch::full(shape, fill, like.options());
}
}  // namespace

DiagGaussian::DiagGaussian(torch::Tensor mean, torch::Tensor log_std, bool squash)
    : mean_(std::move(mean)), log_std_(std::move(log_std)), squash_(squash) {
  log_std_ = log_std_.expand_as(mean_);
}

torch::Tensor DiagGaussian::sample() const {
  if (const auto* rows = global_rows_for(mean_)) {
    auto noise = torch::randn_like(widened(mean_, rows->total, 0.0)).slice(0, rows->offset, rows->offset + mean_.size(0));
    return mean_ + noise * log_std_.exp();
  }
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
  if (const auto* rows = global_rows_for(log_probs_)) {
    // Other ranks' rows are uniform stand-ins: the generator advances by the same draws whatever they hold.
    auto probs = widened(log_probs_, rows->total, 1.0 / static_cast<double>(log_probs_.size(-1)));
    probs.slice(0, rows->offset, rows->offset + log_probs_.size(0)).copy_(log_probs_.exp());
    return torch::multinomial(probs, 1, /*replacement=*/true)
        .squeeze(-1)
        .slice(0, rows->offset, rows->offset + log_probs_.size(0));
  }
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
