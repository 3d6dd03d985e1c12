// drivelab/agents: neural-network building blocks (MLP, CNN encoder) and orthogonal initialization.
#pragma once
#include <string>
#include <vector>

#include <torch/torch.h>

namespace dl::agents {

enum class Activation { tanh, relu, gelu };
Activation parse_activation(const std::string& name);  // throws std::invalid_argument on unknown names
torch::Tensor activate(const torch::Tensor& x, Activation a);

// Orthogonal weights with `gain`, zero bias: the init the PPO implementation details call for
// (sqrt(2) hidden layers, 0.01 policy head so the first policy is near uniform, 1 value head).
void orthogonal_init(torch::nn::Linear layer, double gain);
void orthogonal_init(torch::nn::Conv2d layer, double gain);
inline constexpr double kHiddenGain = 1.4142135623730951;  // sqrt(2)
inline constexpr double kPolicyHeadGain = 0.01;
inline constexpr double kValueHeadGain = 1.0;

// A stack of Linear + activation layers. With `residual`, the first layer projects to hidden[0] and every
// further layer is a pre-LayerNorm residual block x + W(act(LN(x))), which keeps deep stacks trainable;
// residual stacks need equal widths. The output always passes through the activation (a final LayerNorm
// first when residual), so a head can sit directly on top.
class MLPImpl : public torch::nn::Module {
 public:
  MLPImpl(int64_t in_features, const std::vector<int>& hidden, Activation activation, bool residual);
  torch::Tensor forward(torch::Tensor x);
  int64_t out_features() const { return out_features_; }

 private:
  std::vector<torch::nn::Linear> layers_;
  std::vector<torch::nn::LayerNorm> norms_;  // residual: one per block plus the final one
  Activation activation_;
  bool residual_;
  int64_t out_features_;
};
TORCH_MODULE(MLP);

// Nature-CNN encoder for channels-last uint8 images, [B, H, W, C] or frame-stacked [B, K, H, W, C] (the
// K frames become K * C input channels): scaled to [0, 1], three ReLU convolutions (32 8x8/4, 64 4x4/2,
// 64 3x3/1) and a ReLU Linear to `features` outputs. `small` is the CPU size: two convolutions (16 8x8/4,
// 32 4x4/2) and 256 features, about a fifth of the Nature-CNN's multiply-adds on a 64x64 image.
class CNNEncoderImpl : public torch::nn::Module {
 public:
  // image_shape: [H, W, C] or [K, H, W, C], as the observation spec says.
  explicit CNNEncoderImpl(const std::vector<int64_t>& image_shape, int64_t features = 512, bool small = false);
  torch::Tensor forward(torch::Tensor x);
  int64_t out_features() const { return features_; }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  torch::nn::Linear fc_{nullptr};
  int64_t features_;
  bool stacked_;
};
TORCH_MODULE(CNNEncoder);

}  // namespace dl::agents
