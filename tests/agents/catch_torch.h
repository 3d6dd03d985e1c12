// Catch2 after LibTorch: c10's glog-style CHECK would otherwise replace Catch's CHECK (silently: a torch
// CHECK aborts on failure and is never counted). Include this instead of catch.hpp in torch tests.
#pragma once
#include <torch/torch.h>
#undef CHECK
#include <catch2/catch.hpp>
