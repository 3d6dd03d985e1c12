// See agents/gloo_names/README.md: names only, for torch/csrc/distributed/c10d/ProcessGroupGloo.hpp.
#pragma once
namespace gloo::transport {
class Device;         // opaque: made by ProcessGroupGloo::createDefaultDevice inside libtorch_cpu
class UnboundBuffer;  // opaque
}  // namespace gloo::transport
