// drivelab/agents: a stacked LSTM with the memory interface of GatedTransformer (agents/transformer.h),
// so the policy, the rollout and PPO's sequence update treat both recurrent bodies alike.
//
// Its state travels in a TransformerMemory: hidden = {h, c}, each [B, layers, hidden_size] (batch first,
// like the transformer's caches, so forget/select/cat work row by row), and valid [B, 1] (true once the row
// has seen a step of its episode). forget() zeroes a row's h and c: the LSTM's initial state.
//
// forward(x [B, T, D], memory, starts [B, T]) runs the cells step by step; a step with starts true begins
// from the zero state, as a forgotten row does. Gradients flow through the whole segment and stop at the
// memory it started from (truncated backpropagation through time over PPO's sequences).
#pragma once
#include <vector>

#include <torch/torch.h>

#include "agents/transformer.h"

namespace dl::agents {

class RecurrentLSTMImpl : public torch::nn::Module {
 public:
  RecurrentLSTMImpl(int64_t input_size, int64_t hidden_size, int64_t layers);

  // memory: from initial_memory() or an earlier forward (nullptr = zero state). output [B, T, hidden].
  TransformerOutput forward(const torch::Tensor& x, const TransformerMemory* memory = nullptr,
                            const torch::Tensor& starts = {});
  TransformerMemory initial_memory(int64_t batch, torch::Device device) const;
  int64_t hidden_size() const { return hidden_size_; }

 private:
  int64_t hidden_size_, layers_;
  std::vector<torch::nn::LSTMCell> cells_;
};
TORCH_MODULE(RecurrentLSTM);

}  // namespace dl::agents
