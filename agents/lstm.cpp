// drivelab/agents: stacked LSTM cells carrying their state in a TransformerMemory (see lstm.h).
#include "agents/lstm.h"

#include <stdexcept>
#include <string>

namespace dl::agents {

RecurrentLSTMImpl::RecurrentLSTMImpl(int64_t input_size, int64_t hidden_size, int64_t layers)
    : hidden_size_(hidden_size), layers_(layers) {
  if (hidden_size < 1 || layers < 1)
    throw std::invalid_argument("lstm: hidden_size and layers must be at least 1");
  for (int64_t l = 0; l < layers; ++l) {
    auto cell = torch::nn::LSTMCell(l == 0 ? input_size : hidden_size, hidden_size);
    cells_.push_back(register_module("cell" + std::to_string(l), cell));
    // Forget-gate bias 1 (Jozefowicz et al. 2015): a fresh cell keeps its state rather than dropping it.
    torch::NoGradGuard no_grad;
    cell->bias_ih.slice(0, hidden_size, 2 * hidden_size).fill_(1.0);
    cell->bias_hh.slice(0, hidden_size, 2 * hidden_size).zero_();
  }
}

TransformerMemory RecurrentLSTMImpl::initial_memory(int64_t batch, torch::Device device) const {
  TransformerMemory m;
  const auto options = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  m.hidden = {torch::zeros({batch, layers_, hidden_size_}, options), torch::zeros({batch, layers_, hidden_size_}, options)};
  m.valid = torch::zeros({batch, 1}, torch::TensorOptions().dtype(torch::kBool).device(device));
  return m;
}

TransformerOutput RecurrentLSTMImpl::forward(const torch::Tensor& x, const TransformerMemory* memory,
                                             const torch::Tensor& starts) {
  const int64_t batch = x.size(0), steps = x.size(1);
  const TransformerMemory start = memory && memory->defined() ? *memory : initial_memory(batch, x.device());
  if (start.hidden.size() != 2 || start.hidden[0].size(1) != layers_ || start.hidden[0].size(2) != hidden_size_)
    throw std::logic_error("lstm: the memory is not this LSTM's state (expected h and c of [B, " +
                           std::to_string(layers_) + ", " + std::to_string(hidden_size_) + "])");
  std::vector<torch::Tensor> h(layers_), c(layers_);
  for (int64_t l = 0; l < layers_; ++l) {
    h[l] = start.hidden[0].select(1, l);
    c[l] = start.hidden[1].select(1, l);
  }
  auto valid = start.valid;
  // keep[t] [B, 1]: 0 where step t starts an episode, so the state entering it is the zero state.
  const auto keep = starts.defined() ? starts.logical_not().to(x.scalar_type()).unsqueeze(-1) : torch::Tensor();
  std::vector<torch::Tensor> outputs;
  outputs.reserve(static_cast<size_t>(steps));
  for (int64_t t = 0; t < steps; ++t) {
    auto input = x.select(1, t);
    if (keep.defined()) {
      const auto k = keep.select(1, t);
      for (int64_t l = 0; l < layers_; ++l) {
        h[l] = h[l] * k;
        c[l] = c[l] * k;
      }
    }
    for (int64_t l = 0; l < layers_; ++l) {
      auto [h_new, c_new] = cells_[static_cast<size_t>(l)]->forward(input, std::make_tuple(h[l], c[l]));
      h[l] = h_new;
      c[l] = c_new;
      input = h_new;
    }
    outputs.push_back(input);
  }
  TransformerOutput out;
  out.output = torch::stack(outputs, 1);
  // The memory handed on is detached: the next segment's gradient stops here (truncated BPTT).
  out.memory.hidden = {torch::stack(h, 1).detach(), torch::stack(c, 1).detach()};
  out.memory.valid = torch::ones_like(valid);
  return out;
}

}  // namespace dl::agents
