// drivelab/agents: GTrXL-style transformer blocks with Transformer-XL segment memory (see transformer.h).
#include "agents/transformer.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace dl::agents {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// The last `length` steps of [B, S, ...] along dim 1, left-padded with `fill` when S is shorter (a memory
// that has not yet seen memory_length steps).
torch::Tensor keep_last(const torch::Tensor& t, int64_t length, double fill) {
  const int64_t s = t.size(1);
  if (s >= length) return t.narrow(1, s - length, length);
  auto shape = t.sizes().vec();
  shape[1] = length - s;
  return torch::cat({torch::full(shape, fill, t.options()), t}, 1);
}

}  // namespace

void TransformerMemory::forget(const torch::Tensor& mask) {
  if (!defined()) return;
  const auto keep = mask.logical_not().to(valid.device());
  valid = valid.logical_and(keep.unsqueeze(1));
  const auto scale = keep.to(torch::kFloat32).view({-1, 1, 1});
  for (auto& h : hidden) h = h * scale.to(h.dtype());
}

TransformerMemory TransformerMemory::select(const torch::Tensor& index) const {
  TransformerMemory m;
  if (!defined()) return m;
  const auto idx = index.to(valid.device());
  m.valid = valid.index_select(0, idx);
  for (const auto& h : hidden) m.hidden.push_back(h.index_select(0, idx));
  for (const auto& kv : key_values) m.key_values.push_back(kv.index_select(0, idx));
  m.key_values_owner = key_values_owner;
  m.key_values_version = key_values_version;
  return m;
}

TransformerMemory TransformerMemory::to(torch::Device device) const {
  TransformerMemory m;
  if (!defined()) return m;
  m.valid = valid.to(device);
  for (const auto& h : hidden) m.hidden.push_back(h.to(device));
  for (const auto& kv : key_values) m.key_values.push_back(kv.to(device));
  m.key_values_owner = key_values_owner;
  m.key_values_version = key_values_version;
  return m;
}

GRUGateImpl::GRUGateImpl(int64_t d_model, double bias) {
  w_ = register_module("w", torch::nn::Linear(torch::nn::LinearOptions(d_model, 3 * d_model).bias(false)));
  u_ru_ = register_module("u_ru", torch::nn::Linear(torch::nn::LinearOptions(d_model, 2 * d_model).bias(false)));
  u_h_ = register_module("u_h", torch::nn::Linear(torch::nn::LinearOptions(d_model, d_model).bias(false)));
  bias_ = register_parameter("bias", torch::full({d_model}, bias));
}

torch::Tensor GRUGateImpl::forward(const torch::Tensor& x, const torch::Tensor& y) {
  const auto wy = w_(y).chunk(3, -1);
  const auto ux = u_ru_(x).chunk(2, -1);
  const auto r = torch::sigmoid(wy[0] + ux[0]);
  const auto u = torch::sigmoid(wy[1] + ux[1] - bias_);
  const auto h = torch::tanh(wy[2] + u_h_(r * x));
  return (1 - u) * x + u * h;
}

MultiHeadAttentionImpl::MultiHeadAttentionImpl(int64_t d_model, int64_t n_heads, double dropout)
    : n_heads_(n_heads), dropout_(dropout) {
  if (n_heads < 1 || d_model % n_heads != 0)
    throw std::invalid_argument("transformer: d_model " + std::to_string(d_model) +
                                " must be a positive multiple of n_heads " + std::to_string(n_heads));
  q_ = register_module("q", torch::nn::Linear(d_model, d_model));
  kv_ = register_module("kv", torch::nn::Linear(d_model, 2 * d_model));
  out_ = register_module("out", torch::nn::Linear(d_model, d_model));
}

torch::Tensor MultiHeadAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context,
                                              const torch::Tensor& mask) {
  return attend(x, kv_(context), mask);
}

torch::Tensor MultiHeadAttentionImpl::attend(const torch::Tensor& x, const torch::Tensor& key_values,
                                             const torch::Tensor& mask) {
  const int64_t b = x.size(0), t = x.size(1), s = key_values.size(1), d = x.size(2);
  const int64_t dh = d / n_heads_;
  const auto q = q_(x).view({b, t, n_heads_, dh}).transpose(1, 2);
  const auto kv = key_values.view({b, s, 2, n_heads_, dh});
  const auto k = kv.select(2, 0).transpose(1, 2);
  const auto v = kv.select(2, 1).transpose(1, 2);
  const double p = is_training() ? dropout_ : 0.0;
  const auto y = at::scaled_dot_product_attention(q, k, v, mask.to(q.dtype()), p);
  return out_(y.transpose(1, 2).reshape({b, t, d}));
}

TransformerBlockImpl::TransformerBlockImpl(const TransformerOptions& c)
    : gated_(c.gated), dropout_(c.dropout) {
  const int64_t d_ff = c.d_ff > 0 ? c.d_ff : 4 * c.d_model;
  norm_attn_ = register_module("norm_attn", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})));
  norm_ff_ = register_module("norm_ff", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})));
  attention_ = register_module("attention", MultiHeadAttention(c.d_model, c.n_heads, c.dropout));
  ff1_ = register_module("ff1", torch::nn::Linear(c.d_model, d_ff));
  ff2_ = register_module("ff2", torch::nn::Linear(d_ff, c.d_model));
  if (gated_) {
    gate_attn_ = register_module("gate_attn", GRUGate(c.d_model, c.gate_bias));
    gate_ff_ = register_module("gate_ff", GRUGate(c.d_model, c.gate_bias));
  }
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& memory,
                                            const torch::Tensor& mask) {
  const auto h = norm_attn_(x);
  const auto context = memory.defined() ? torch::cat({norm_attn_(memory), h}, 1) : h;
  return after_attention(x, attention_(h, context, mask));
}

std::pair<torch::Tensor, torch::Tensor> TransformerBlockImpl::forward_cached(const torch::Tensor& x,
                                                                             const torch::Tensor& memory_kv,
                                                                             const torch::Tensor& mask) {
  const auto h = norm_attn_(x);
  auto kv = torch::cat({memory_kv, attention_->key_values(h)}, 1);
  auto out = after_attention(x, attention_->attend(h, kv, mask));
  return {std::move(out), std::move(kv)};
}

torch::Tensor TransformerBlockImpl::after_attention(const torch::Tensor& x, const torch::Tensor& attention_out) {
  auto a = torch::dropout(attention_out, dropout_, is_training());
  // GTrXL puts a ReLU on each sublayer's output before the gate; the ungated block is a plain pre-LN one.
  const auto y = gated_ ? gate_attn_(x, torch::relu(a)) : x + a;
  auto f = torch::dropout(ff2_(torch::relu(ff1_(norm_ff_(y)))), dropout_, is_training());
  return gated_ ? gate_ff_(y, torch::relu(f)) : y + f;
}

GatedTransformerImpl::GatedTransformerImpl(const TransformerOptions& config) : config_(config) {
  if (config.n_layers < 1) throw std::invalid_argument("transformer: n_layers must be at least 1");
  if (config.memory_length < 0) throw std::invalid_argument("transformer: memory_length must be >= 0");
  if (config.max_distance < 1) throw std::invalid_argument("transformer: max_distance must be >= 1");
  for (int64_t l = 0; l < config.n_layers; ++l)
    blocks_.push_back(register_module("block" + std::to_string(l), TransformerBlock(config)));
  final_norm_ = register_module("final_norm",
                                torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.d_model})));
  // ALiBi's geometric slopes: head h penalises distance by 2^(-8 (h + 1) / H), so heads range from
  // looking at the last few steps to looking far back.
  auto bias = torch::empty({config.n_heads, config.max_distance + 1});
  const auto distance = torch::arange(config.max_distance + 1, torch::kFloat32);
  for (int64_t h = 0; h < config.n_heads; ++h) {
    const double slope = std::pow(2.0, -8.0 * static_cast<double>(h + 1) / static_cast<double>(config.n_heads));
    bias[h] = -slope * distance;
  }
  relative_bias_ = register_parameter("relative_bias", bias);
}

TransformerMemory GatedTransformerImpl::initial_memory(int64_t batch, torch::Device device) const {
  TransformerMemory m;
  if (config_.memory_length == 0) return m;
  const auto opts = torch::TensorOptions().device(device);
  m.valid = torch::zeros({batch, config_.memory_length}, opts.dtype(torch::kBool));
  for (int64_t l = 0; l < config_.n_layers; ++l)
    m.hidden.push_back(torch::zeros({batch, config_.memory_length, config_.d_model}, opts.dtype(torch::kFloat32)));
  return m;
}

torch::Tensor GatedTransformerImpl::build_mask(int64_t batch, int64_t steps, const TransformerMemory* memory,
                                               const torch::Tensor& starts, torch::Device device) const {
  const int64_t m = memory && memory->defined() ? memory->length() : 0;
  const int64_t s = m + steps;
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(device);
  // Distance from each query (at position m + i of [memory; segment]) to each key j.
  const auto distance = (torch::arange(steps, long_opts) + m).unsqueeze(1) - torch::arange(s, long_opts).unsqueeze(0);
  auto allowed = distance.ge(0).unsqueeze(0).expand({batch, steps, s});
  // Episode index of every step: memory holds episode 0, each start inside the segment opens the next.
  const auto query_episode = starts.defined() ? starts.to(device).to(torch::kLong).cumsum(1)
                                              : torch::zeros({batch, steps}, long_opts);
  const auto key_episode = torch::cat({torch::zeros({batch, m}, long_opts), query_episode}, 1);
  allowed = allowed.logical_and(key_episode.unsqueeze(1).eq(query_episode.unsqueeze(2)));
  // With memory, every query sees at most memory_length steps back (a sliding window): a step then has
  // the same context whether the sequence runs one step at a time, in segments or whole, which is what
  // lets PPO recompute a rollout's log-probs exactly from chunks and their stored memories.
  if (config_.memory_length > 0) allowed = allowed.logical_and(distance.le(config_.memory_length).unsqueeze(0));
  if (m > 0) {
    const auto key_valid = torch::cat({memory->valid.to(device), torch::ones({batch, steps}, long_opts.dtype(torch::kBool))}, 1);
    allowed = allowed.logical_and(key_valid.unsqueeze(1));
  }
  const auto bias = relative_bias_.index_select(1, distance.clamp(0, config_.max_distance).flatten())
                        .view({config_.n_heads, steps, s});
  // Every query may see itself, so no row is entirely -inf and softmax never divides by zero.
  return bias.unsqueeze(0).masked_fill(allowed.logical_not().unsqueeze(1), kNegInf);
}

TransformerOutput GatedTransformerImpl::forward(const torch::Tensor& x, const TransformerMemory* memory,
                                                const torch::Tensor& starts) {
  if (x.dim() != 3 || x.size(2) != config_.d_model)
    throw std::invalid_argument("transformer: expected input [B, T, " + std::to_string(config_.d_model) + "]");
  const int64_t batch = x.size(0), steps = x.size(1);
  const bool with_memory = memory && memory->defined();
  if (with_memory && (memory->valid.size(0) != batch || static_cast<int64_t>(memory->hidden.size()) != config_.n_layers))
    throw std::invalid_argument("transformer: memory does not match the batch or the layer count");
  // The rollout's and evaluation's case: one step, no gradient. Only that case may read or write the
  // key/value cache, so gradients always flow through projections of the stored hidden states.
  if (with_memory && steps == 1 && !starts.defined() && !torch::GradMode::is_enabled() &&
      memory->length() == config_.memory_length)
    return forward_step(x, *memory);
  const auto mask = build_mask(batch, steps, memory, starts, x.device());

  TransformerOutput out;
  const bool keep_memory = config_.memory_length > 0;
  auto h = x;
  for (size_t l = 0; l < blocks_.size(); ++l) {
    const torch::Tensor mem = with_memory ? memory->hidden[l] : torch::Tensor();
    if (keep_memory) {
      const auto all = with_memory ? torch::cat({mem.to(h.dtype()), h}, 1) : h;
      out.memory.hidden.push_back(keep_last(all.detach(), config_.memory_length, 0.0));
    }
    h = blocks_[l](h, mem, mask);
  }
  if (keep_memory) {
    // A slot stays valid when it belongs to the episode of the segment's last step.
    const auto opts = torch::TensorOptions().device(x.device());
    const auto query_episode = starts.defined() ? starts.to(x.device()).to(torch::kLong).cumsum(1)
                                                : torch::zeros({batch, steps}, opts.dtype(torch::kLong));
    auto key_episode = query_episode;
    auto key_valid = torch::ones({batch, steps}, opts.dtype(torch::kBool));
    if (with_memory) {
      key_episode = torch::cat({torch::zeros({batch, memory->length()}, opts.dtype(torch::kLong)), query_episode}, 1);
      key_valid = torch::cat({memory->valid.to(x.device()), key_valid}, 1);
    }
    const auto current = key_valid.logical_and(key_episode.eq(query_episode.narrow(1, steps - 1, 1)));
    out.memory.valid = keep_last(current, config_.memory_length, 0.0);
  }
  out.output = final_norm_(h);
  return out;
}

int64_t GatedTransformerImpl::parameter_version() const {
  int64_t version = 0;
  for (const auto& p : parameters()) version += static_cast<int64_t>(p._version());
  return version;
}

TransformerOutput GatedTransformerImpl::forward_step(const torch::Tensor& x, const TransformerMemory& memory) {
  const int64_t batch = x.size(0), m = config_.memory_length;
  const auto device = x.device();
  const int64_t version = parameter_version();
  const bool cached = memory.key_values_owner == this && memory.key_values_version == version &&
                      static_cast<int64_t>(memory.key_values.size()) == config_.n_layers;
  // build_mask for one query at position m: distances m .. 0 to [memory; x], every key allowed but the
  // invalid memory slots (no starts inside a one-step segment, and the window reaches exactly m back).
  const auto distance = torch::arange(m, -1, -1, torch::TensorOptions().dtype(torch::kLong).device(device))
                            .clamp(0, config_.max_distance);
  const auto key_valid = torch::cat({memory.valid.to(device), torch::ones({batch, 1}, torch::TensorOptions().dtype(torch::kBool).device(device))}, 1);
  const auto mask = relative_bias_.index_select(1, distance)
                        .view({1, config_.n_heads, 1, m + 1})
                        .masked_fill(key_valid.logical_not().view({batch, 1, 1, m + 1}), kNegInf);

  TransformerOutput out;
  auto h = x;
  for (size_t l = 0; l < blocks_.size(); ++l) {
    const auto& mem = memory.hidden[l];
    out.memory.hidden.push_back(torch::cat({mem.to(h.dtype()), h}, 1).narrow(1, 1, m));
    const auto memory_kv = cached ? memory.key_values[l] : blocks_[l]->memory_key_values(mem.to(h.dtype()));
    auto [next, kv] = blocks_[l]->forward_cached(h, memory_kv, mask);
    out.memory.key_values.push_back(kv.narrow(1, 1, m));
    h = std::move(next);
  }
  out.memory.valid = key_valid.narrow(1, 1, m);
  out.memory.key_values_owner = this;
  out.memory.key_values_version = version;
  out.output = final_norm_(h);
  return out;
}

}  // namespace dl::agents
