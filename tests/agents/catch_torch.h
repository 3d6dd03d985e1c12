// Catch2 after LibTorch: c10's glog-style CHECK would otherwise replace Catch's CHECK (silently: a torch
// CHECK aborts on failure and is never counted). Include this instead of catch.hpp in torch tests.
#pragma once
#include <torch/torch.h>
#undef CHECK
#include <catch2/catch.hpp>

namespace dl::testing {

// The largest absolute difference between two tensors of one shape.
inline double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace dl::testing
