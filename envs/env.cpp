#include "envs/env.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace dl::envs {
namespace {

std::string describe(float value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

[[noreturn]] void reject(const std::string& what) { throw ActionError("bad action: " + what); }

int check_discrete(const ActionSpec& spec, float value) {
  if (!std::isfinite(value)) reject("element 0 is " + describe(value) + " (a discrete index must be finite)");
  if (value != std::floor(value))
    reject("element 0 is " + describe(value) + ", not an integer discrete index");
  if (value < 0 || value >= static_cast<float>(spec.n))
    reject("discrete index " + describe(value) + " is outside [0, " + std::to_string(spec.n) + ")");
  return static_cast<int>(value);
}

void check_continuous(const ActionSpec& spec, float* action) {
  const int dim = spec.dim();
  // Reject every non-finite element before clipping any, so a rejected action leaves the buffer as it was.
  for (int i = 0; i < dim; ++i) {
    if (!std::isfinite(action[i]))
      reject("element " + std::to_string(i) + " is " + describe(action[i]) + " (must be finite)");
  }
  const bool bounded = static_cast<int>(spec.box.low.size()) == dim;
  if (!bounded) return;
  for (int i = 0; i < dim; ++i) action[i] = std::clamp(action[i], spec.box.low[i], spec.box.high[i]);
}

}  // namespace

int check_action(const ActionSpec& spec, float* action) {
  if (spec.discrete) return check_discrete(spec, action[0]);
  check_continuous(spec, action);
  return -1;
}

}  // namespace dl::envs
