// drivelab/agents: noisy top-k mixture of experts (see moe.h).
#include "agents/moe.h"

#include <stdexcept>
#include <string>

namespace dl::agents {

torch::Tensor load_balancing_loss(const torch::Tensor& probs, const torch::Tensor& chosen) {
  const int64_t experts = probs.size(1);
  // f_i counts hard assignments (no gradient); P_i carries the gradient back into the router.
  const auto counts = torch::zeros({experts}, probs.options())
                          .scatter_add_(0, chosen.flatten(), torch::ones({chosen.numel()}, probs.options()));
  const auto fraction = counts / static_cast<double>(chosen.numel());
  return experts * (fraction * probs.mean(0)).sum();
}

MoEImpl::MoEImpl(int64_t in_features, const std::vector<int>& hidden, Activation activation, bool residual,
                 const MoEOptions& options)
    : options_(options) {
  if (options.experts < 1) throw std::invalid_argument("moe: experts must be at least 1");
  if (options.top_k < 1 || options.top_k > options.experts)
    throw std::invalid_argument("moe: top_k must be in [1, experts = " + std::to_string(options.experts) + "]");
  for (int64_t e = 0; e < options.experts; ++e)
    experts_.push_back(register_module("expert" + std::to_string(e), MLP(in_features, hidden, activation, residual)));
  out_features_ = experts_.front()->out_features();
  // A zero router starts every expert equally likely, so early routing is decided by the noise and the
  // data rather than by the initial weights.
  router_ = register_module("router", torch::nn::Linear(torch::nn::LinearOptions(in_features, options.experts).bias(false)));
  noise_ = register_module("noise", torch::nn::Linear(torch::nn::LinearOptions(in_features, options.experts).bias(false)));
  torch::NoGradGuard no_grad;
  router_->weight.zero_();
  noise_->weight.zero_();
  usage_counts_ = register_buffer("usage_counts", torch::zeros({options.experts}, torch::kFloat64));
  last_usage_ = torch::full({options.experts}, 1.0 / static_cast<double>(options.experts));
}

torch::Tensor MoEImpl::router_probs(const torch::Tensor& x) { return torch::softmax(router_(x), -1); }

torch::Tensor MoEImpl::forward(torch::Tensor x) {
  const auto lead = x.sizes().slice(0, x.dim() - 1).vec();
  x = x.reshape({-1, x.size(-1)});
  const int64_t n = x.size(0), k = options_.top_k;

  auto logits = router_(x);
  if (options_.noisy && is_training())
    logits = logits + torch::randn_like(logits) * torch::softplus(noise_(x));
  const auto probs = torch::softmax(logits, -1);
  const auto [top_probs, chosen] = probs.topk(k, -1);
  const auto weights = k > 1 ? top_probs / top_probs.sum(-1, true) : top_probs;

  auto out = torch::zeros({n, out_features_}, x.options());
  for (int64_t e = 0; e < options_.experts; ++e) {
    const auto hit = chosen.eq(e);  // [n, k]: at most one true per row
    const auto rows = hit.any(-1).nonzero().squeeze(1);
    if (rows.numel() == 0) continue;
    const auto w = (weights * hit.to(weights.dtype())).sum(-1).index_select(0, rows).unsqueeze(1);
    out = out.index_add(0, rows, experts_[e](x.index_select(0, rows)) * w);
  }

  aux_loss_ = load_balancing_loss(probs, chosen);
  {
    torch::NoGradGuard no_grad;
    const auto counts = torch::bincount(chosen.flatten().cpu(), {}, options_.experts).to(torch::kFloat64);
    last_usage_ = counts / static_cast<double>(chosen.numel());
    usage_counts_.add_(counts.to(usage_counts_.device()));
  }
  auto shape = lead;
  shape.push_back(out_features_);
  return out.view(shape);
}

torch::Tensor MoEImpl::usage() const {
  const auto total = usage_counts_.sum().item<double>();
  if (total <= 0) return torch::full({options_.experts}, 1.0 / static_cast<double>(options_.experts));
  return usage_counts_.cpu() / total;
}

void MoEImpl::reset_usage() {
  torch::NoGradGuard no_grad;
  usage_counts_.zero_();
}

}  // namespace dl::agents
