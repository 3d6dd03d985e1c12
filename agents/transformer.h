// drivelab/agents: causal transformer blocks for agents with memory, after GTrXL (Parisotto et al. 2019)
// on top of Transformer-XL's segment memory (Dai et al. 2019).
//
//   block(x):  y = x  (+)  relu(attention(LN(x), LN([memory; x])))     (+) = a GRU-type gate, or a sum
//              z = y  (+)  relu(W2 relu(W1 LN(y)))
//
// Gates. Each (+) is GTrXL's GRU gate g(x, y) = (1 - u) x + u tanh(W_h y + U_h (r * x)), with
// u = sigmoid(W_u y + U_u x - b) and r = sigmoid(W_r y + U_r x). The bias b (gate_bias, 2 as in the
// paper) keeps u small at initialisation, so every block starts close to the identity and a deep stack
// behaves like a shallow one until the attention has learned something worth passing on; that is what
// makes GTrXL trainable by RL's noisy gradients where an ungated post-LN transformer is not.
//
// Positions are relative: a learned bias per head and per query-key distance (distances past
// max_distance share the last entry), initialised to ALiBi's slopes (Press et al. 2022) so that a fresh
// model already prefers recent steps. Relative positions are what make cached memory reusable: a step's
// cached hidden state means the same thing whichever segment later attends to it.
//
// Memory (Transformer-XL). memory_length > 0: each layer keeps the hidden states that entered it at the
// last memory_length steps, detached (no gradient flows into earlier segments), and queries attend to
// [memory; current segment]. A batch element's memory can be forgotten on its own (TransformerMemory::
// forget), which a rollout does at episode boundaries. Within a segment, `starts` [B, T] marks steps
// that begin a new episode: they and the steps after them see nothing before them. With memory, each
// step attends to at most memory_length steps back, in a segment as across segments (a sliding window). With causal masks
// and relative positions, running a sequence in segments with enough memory gives the same outputs as
// running it whole (tested).
//
// Attention runs through at::scaled_dot_product_attention (fused kernels on CPU and CUDA); the mask
// (causality, episode starts, invalid memory) and the relative bias travel as one additive float mask.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace dl::agents {

struct TransformerOptions {
  int64_t d_model = 64;
  int64_t n_heads = 4;
  int64_t n_layers = 2;
  int64_t d_ff = 0;             // feed-forward width; 0 = 4 * d_model
  int64_t memory_length = 0;    // cached steps per layer (0 = no memory)
  int64_t max_distance = 256;   // relative distances beyond this share one learned bias
  bool gated = true;            // GTrXL's GRU gates; false = plain pre-LN residual sums
  double gate_bias = 2.0;       // initial update-gate bias b: larger starts nearer the identity
  double dropout = 0.0;         // on attention weights and sublayer outputs, training mode only
};

// The per-layer cache of a batch. hidden[l] is [B, M, d_model] (the inputs of layer l at the last M
// steps, oldest first); valid [B, M] says which slots hold a step of the current episode.
struct TransformerMemory {
  std::vector<torch::Tensor> hidden;
  torch::Tensor valid;
  // Inference cache (one step per call, no gradient: rollouts, evaluation, watch): per layer, the keys and
  // values [B, M, 2 D] its attention made of the memory slots, so a step projects only its own token
  // instead of all M + 1. It belongs to the transformer that wrote it and holds for the parameter versions
  // it saw (key_values_owner, key_values_version); any other forward recomputes them from `hidden`, so a
  // cache that outlived an optimizer step is never read. Rows of forgotten slots are stale but masked.
  std::vector<torch::Tensor> key_values;
  const void* key_values_owner = nullptr;
  int64_t key_values_version = -1;

  bool defined() const { return valid.defined(); }
  int64_t length() const { return valid.defined() ? valid.size(1) : 0; }
  // Forgets the memory of the elements where mask [B] (bool) is true; the others keep theirs.
  void forget(const torch::Tensor& mask);
  // Rows `index` [b] of every tensor (minibatches over sequences).
  TransformerMemory select(const torch::Tensor& index) const;
  TransformerMemory to(torch::Device device) const;
};

// GTrXL's GRU-type gate (see the header comment), or a plain residual sum when not gated.
class GRUGateImpl : public torch::nn::Module {
 public:
  GRUGateImpl(int64_t d_model, double bias);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& y);

 private:
  torch::nn::Linear w_{nullptr};   // W_r, W_u, W_h applied to y in one matmul
  torch::nn::Linear u_ru_{nullptr};  // U_r, U_u applied to x
  torch::nn::Linear u_h_{nullptr};   // U_h applied to r * x
  torch::Tensor bias_;               // b, subtracted inside the update gate
};
TORCH_MODULE(GRUGate);

// Multi-head attention of queries over [memory; segment] keys, with an additive float mask.
class MultiHeadAttentionImpl : public torch::nn::Module {
 public:
  MultiHeadAttentionImpl(int64_t d_model, int64_t n_heads, double dropout);
  // x [B, T, D] queries; context [B, S, D] keys and values (S >= T); mask [B or 1, H or 1, T, S] float.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context, const torch::Tensor& mask);
  // The two halves of forward: keys and values of a context [B, S, D] -> [B, S, 2 D], and attention of x
  // over them (what the inference cache of TransformerMemory keeps between steps).
  torch::Tensor key_values(const torch::Tensor& context) { return kv_(context); }
  torch::Tensor attend(const torch::Tensor& x, const torch::Tensor& key_values, const torch::Tensor& mask);

 private:
  int64_t n_heads_;
  double dropout_;
  torch::nn::Linear q_{nullptr}, kv_{nullptr}, out_{nullptr};
};
TORCH_MODULE(MultiHeadAttention);

class TransformerBlockImpl : public torch::nn::Module {
 public:
  explicit TransformerBlockImpl(const TransformerOptions& config);
  // x [B, T, D]; memory [B, M, D] or undefined; mask as MultiHeadAttention's with S = M + T.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& memory, const torch::Tensor& mask);
  // Inference with cached keys and values: x [B, T, D], memory_kv [B, M, 2 D] (memory_key_values of the
  // memory). Returns the block's output and the keys and values of [memory; x], [B, M + T, 2 D].
  std::pair<torch::Tensor, torch::Tensor> forward_cached(const torch::Tensor& x, const torch::Tensor& memory_kv,
                                                         const torch::Tensor& mask);
  torch::Tensor memory_key_values(const torch::Tensor& memory) { return attention_->key_values(norm_attn_(memory)); }

 private:
  torch::Tensor after_attention(const torch::Tensor& x, const torch::Tensor& attention_out);

  bool gated_;
  double dropout_;
  torch::nn::LayerNorm norm_attn_{nullptr}, norm_ff_{nullptr};
  MultiHeadAttention attention_{nullptr};
  torch::nn::Linear ff1_{nullptr}, ff2_{nullptr};
  GRUGate gate_attn_{nullptr}, gate_ff_{nullptr};
};
TORCH_MODULE(TransformerBlock);

struct TransformerOutput {
  torch::Tensor output;       // [B, T, D], after a final LayerNorm
  TransformerMemory memory;   // updated memory (undefined when memory_length == 0)
};

// A stack of blocks over d_model-wide inputs (embedding the inputs is the caller's business).
class GatedTransformerImpl : public torch::nn::Module {
 public:
  explicit GatedTransformerImpl(const TransformerOptions& config);

  // x [B, T, D]. memory: from initial_memory() or an earlier forward (nullptr = none: the segment sees
  // only itself). starts [B, T] bool (undefined = no episode starts inside the segment).
  TransformerOutput forward(const torch::Tensor& x, const TransformerMemory* memory = nullptr,
                            const torch::Tensor& starts = {});
  // Empty memory for a batch: zeros, every slot invalid.
  TransformerMemory initial_memory(int64_t batch, torch::Device device) const;

  const TransformerOptions& config() const { return config_; }

 private:
  // The additive mask [B, H, T, M + T] and, for the memory update, each key's episode index.
  torch::Tensor build_mask(int64_t batch, int64_t steps, const TransformerMemory* memory,
                           const torch::Tensor& starts, torch::Device device) const;
  // One step per batch row with memory and no gradient: the cached keys and values, a mask of a few ops.
  // The same outputs and memory as forward's general path (to rounding: the projections run on other shapes).
  TransformerOutput forward_step(const torch::Tensor& x, const TransformerMemory& memory);
  int64_t parameter_version() const;  // changes whenever a parameter is written in place (optimizer, load)

  TransformerOptions config_;
  std::vector<TransformerBlock> blocks_;
  torch::nn::LayerNorm final_norm_{nullptr};
  torch::Tensor relative_bias_;  // [H, max_distance + 1]
};
TORCH_MODULE(GatedTransformer);

}  // namespace dl::agents
