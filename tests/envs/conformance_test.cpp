#include <catch2/catch.hpp>
#include <memory>

#include "envs/checker.h"
#include "envs/registry.h"
#include "envs/wrappers.h"
#include "fake_env.h"

using namespace dl::envs;
using dl::envs::testing::LineEnv;

namespace {

// Breaks one promise of the Env API at a time, to show the checker notices.
class BrokenEnv : public LineEnv {
 public:
  enum class Fault { nondeterministic, out_of_bounds, truncates, swallows_nan };
  explicit BrokenEnv(Fault fault) : LineEnv(1e6f), fault_(fault) {}
  StepResult step(const float* action, void* obs, Info& info) override {
    float a[2] = {action[0], action[1]};
    if (fault_ == Fault::swallows_nan && std::isnan(a[1])) a[1] = 0;
    StepResult r = LineEnv::step(a, obs, info);
    auto* o = static_cast<float*>(obs);
    if (fault_ == Fault::nondeterministic) r.reward += static_cast<float>(++calls_ % 3);
    if (fault_ == Fault::out_of_bounds) o[2] = 2.0f;
    if (fault_ == Fault::truncates) r.truncated = true;
    return r;
  }

 private:
  Fault fault_;
  int calls_ = 0;
};

}  // namespace

TEST_CASE("the checker passes a correct env with and without the standard layers", "[envs][checker]") {
  LineEnv bare(4);
  CHECK_NOTHROW(check_env(bare, 1, 500));
  LineEnv discrete(4, true);
  CHECK_NOTHROW(check_env(discrete, 1, 500));
  EpisodeStats layered(std::make_unique<TimeLimit>(std::make_unique<LineEnv>(4), 6), 0.02f);
  CHECK_NOTHROW(check_env(layered, 1, 500, {6, true}));
}

TEST_CASE("the checker names each broken promise", "[envs][checker]") {
  using F = BrokenEnv::Fault;
  BrokenEnv nondeterministic(F::nondeterministic);
  CHECK_THROWS_WITH(check_env(nondeterministic, 1, 100), Catch::Contains("deterministic"));
  BrokenEnv out_of_bounds(F::out_of_bounds);
  CHECK_THROWS_WITH(check_env(out_of_bounds, 1, 100), Catch::Contains("outside"));
  BrokenEnv truncates(F::truncates);
  CHECK_THROWS_WITH(check_env(truncates, 1, 100), Catch::Contains("truncated"));
  BrokenEnv swallows_nan(F::swallows_nan);
  CHECK_THROWS_WITH(check_env(swallows_nan, 1, 100), Catch::Contains("NaN"));
}

TEST_CASE("every registered env passes the conformance checks", "[envs][checker][conformance]") {
  for (const auto& entry : registered_envs()) {
    for (const char* action : {"continuous", "discrete"}) {
      DYNAMIC_SECTION(entry.id << " " << action) {
        EnvConfig config = default_env_config(entry.id);
        config.action = action;
        config.max_steps = 300;  // several episodes, so resets and truncations are exercised
        auto env = make_env(config);
        const int steps = entry.id == "track" ? 4000 : 2000;
        CHECK_NOTHROW(check_env(*env, 17, steps, {config.max_steps, true}));
      }
    }
  }
}
