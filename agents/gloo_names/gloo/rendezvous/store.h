// See agents/gloo_names/README.md: names only, for torch/csrc/distributed/c10d/ProcessGroupGloo.hpp.
// The c10d header defines an inline adapter class deriving from this abstract store and overriding these
// members; drivelab never instantiates that adapter (libtorch does, with its own Gloo), so only the member
// names and signatures matter here.
#pragma once
#include <chrono>
#include <string>
#include <vector>

namespace gloo::rendezvous {
class Store {
 public:
  virtual ~Store() = default;
  virtual void set(const std::string& key, const std::vector<char>& value) = 0;
  virtual std::vector<char> get(const std::string& key) = 0;
  virtual void wait(const std::vector<std::string>& keys) = 0;
  virtual void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) = 0;
};
}  // namespace gloo::rendezvous
