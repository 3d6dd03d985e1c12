#include "agents/nn.h"

#include <stdexcept>

namespace dl::agents {

Activation parse_activation(const std::string& name) {
  if (name == "tanh") return Activation::tanh;
  if (name == "relu") return Activation::relu;
  if (name == "gelu") return Activation::gelu;
  throw std::invalid_argument("unknown activation '" + name + "' (expected tanh, relu or gelu)");
}

torch::Tensor activate(const torch::Tensor& x, Activation a) {
  switch (a) {
    case Activation::tanh: return torch::tanh(x);
    case Activation::relu: return torch::relu(x);
    case Activation::gelu: return torch::gelu(x);
  }
  return x;
}

void orthogonal_init(torch::nn::Linear layer, double gain) {
  torch::NoGradGuard no_grad;
  torch::nn::init::orthogonal_(layer->weight, gain);
  if (layer->bias.defined()) layer->bias.zero_();
}

void orthogonal_init(torch::nn::Conv2d layer, double gain) {
  torch::NoGradGuard no_grad;
  torch::nn::init::orthogonal_(layer->weight, gain);
  if (layer->bias.defined()) layer->bias.zero_();
}

MLPImpl::MLPImpl(int64_t in_features, const std::vector<int>& hidden, Activation activation,
                 bool residual)
    : activation_(activation), residual_(residual), out_features_(in_features) {
  if (hidden.empty()) throw std::invalid_argument("MLP: hidden needs at least one width");
  for (int w : hidden)
    if (w <= 0) throw std::invalid_argument("MLP: hidden widths must be positive");
  if (residual) {
    for (int w : hidden)
      if (w != hidden[0])
        throw std::invalid_argument("MLP: residual blocks need equal hidden widths");
  }
  int64_t in = in_features;
  for (size_t i = 0; i < hidden.size(); ++i) {
    auto layer = register_module("linear" + std::to_string(i), torch::nn::Linear(in, hidden[i]));
    orthogonal_init(layer, kHiddenGain);
    layers_.push_back(layer);
    if (residual && i > 0)
      norms_.push_back(register_module("norm" + std::to_string(i),
                                       torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden[i]}))));
    in = hidden[i];
  }
  if (residual)
    norms_.push_back(
        register_module("norm_out", torch::nn::LayerNorm(torch::nn::LayerNormOptions({in}))));
  out_features_ = in;
}

torch::Tensor MLPImpl::forward(torch::Tensor x) {
  if (!residual_) {
    for (auto& layer : layers_) x = activate(layer->forward(x), activation_);
    return x;
  }
  x = layers_[0]->forward(x);
  for (size_t i = 1; i < layers_.size(); ++i)
    x = x + layers_[i]->forward(activate(norms_[i - 1]->forward(x), activation_));
  return activate(norms_.back()->forward(x), activation_);
}

CNNEncoderImpl::CNNEncoderImpl(const std::vector<int64_t>& image_shape, int64_t features, bool small)
    : features_(small ? 256 : features), stacked_(image_shape.size() == 4) {
  if (image_shape.size() != 3 && image_shape.size() != 4)
    throw std::invalid_argument("CNN encoder: images must be [H, W, C] or [K, H, W, C]");
  const size_t h = stacked_ ? 1 : 0;
  const int64_t height = image_shape[h], width = image_shape[h + 1];
  const int64_t channels = image_shape[h + 2] * (stacked_ ? image_shape[0] : 1);
  if (height < 36 || width < 36)
    throw std::invalid_argument("CNN encoder: images need at least 36x36 pixels for its strides");
  using torch::nn::Conv2dOptions;
  const int64_t c1 = small ? 16 : 32, c2 = small ? 32 : 64;
  conv1_ = register_module("conv1", torch::nn::Conv2d(Conv2dOptions(channels, c1, 8).stride(4)));
  conv2_ = register_module("conv2", torch::nn::Conv2d(Conv2dOptions(c1, c2, 4).stride(2)));
  orthogonal_init(conv1_, kHiddenGain);
  orthogonal_init(conv2_, kHiddenGain);
  if (!small) {
    conv3_ = register_module("conv3", torch::nn::Conv2d(Conv2dOptions(c2, 64, 3).stride(1)));
    orthogonal_init(conv3_, kHiddenGain);
  }
  // The flattened size depends on the image size: run one dummy image through the convolutions.
  int64_t flat = 0;
  {
    torch::NoGradGuard no_grad;
    auto probe = conv2_->forward(conv1_->forward(torch::zeros({1, channels, height, width})));
    if (conv3_) probe = conv3_->forward(probe);
    flat = probe.numel();
  }
  fc_ = register_module("fc", torch::nn::Linear(flat, features_));
  orthogonal_init(fc_, kHiddenGain);
}

torch::Tensor CNNEncoderImpl::forward(torch::Tensor x) {
  // [B, H, W, C] or [B, K, H, W, C] uint8 -> [B, K * C, H, W] float in [0, 1]
  if (stacked_) x = x.permute({0, 1, 4, 2, 3}).flatten(1, 2);
  else x = x.permute({0, 3, 1, 2});
  x = x.to(torch::kFloat32).div(255.0);
  x = torch::relu(conv1_->forward(x));
  x = torch::relu(conv2_->forward(x));
  if (conv3_) x = torch::relu(conv3_->forward(x));
  return torch::relu(fc_->forward(x.flatten(1)));
}

}  // namespace dl::agents
