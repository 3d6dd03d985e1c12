// See agents/gloo_names/README.md: names only, for torch/csrc/distributed/c10d/ProcessGroupGloo.hpp.
#pragma once
#include <chrono>

namespace gloo {
// Made and used inside libtorch_cpu; the c10d header's inline setTimeout names this member.
class Context {
 public:
  void setTimeout(std::chrono::milliseconds timeout);
};
}  // namespace gloo
