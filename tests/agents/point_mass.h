// A tiny env for the agents tests: a point on a line, pushed toward 0. Learns in seconds, so the
// algorithms are tested without the driving sim.
//   obs [x, last action], x0 ~ U(-1, 1); x += 0.1 * a; reward -x^2; |x| > 2 terminates with -10;
//   config.max_steps truncates. Continuous a in [-1, 1] (1 component), or discrete {-1, 0, +1}
//   when config.action == "discrete".
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "agent_test_util.h"
#include "agents/trainer.h"
#include "envs/env_config.h"
#include "envs/env.h"

namespace dl::testing {

class PointMass : public envs::Env {
 public:
  // nan_after: steps (of this env) after which rewards become NaN, to test the NaN stop; -1 = never.
  explicit PointMass(const envs::EnvConfig& config, int64_t nan_after = -1)
      : max_steps_(config.max_steps), nan_after_(nan_after) {
    obs_spec_.shape = {2};
    if (config.action == "discrete") {
      action_spec_.discrete = true;
      action_spec_.n = 3;
      action_spec_.box.shape = {1};
    } else {
      action_spec_.box.shape = {1};
      action_spec_.box.low = {-1.f};
      action_spec_.box.high = {1.f};
    }
  }
  const envs::Spec& observation_spec() const override { return obs_spec_; }
  const envs::ActionSpec& action_spec() const override { return action_spec_; }
  std::string id() const override { return "point-mass"; }

  void reset(uint64_t seed, void* obs, envs::Info& info) override {
    rng_.seed(seed);
    x_ = std::uniform_real_distribution<float>(-1.f, 1.f)(rng_);
    last_a_ = 0;
    t_ = 0;
    return_ = 0;
    info = envs::Info{};
    write(obs);
  }

  envs::StepResult step(const float* action, void* obs, envs::Info& info) override {
    float a = action_spec_.discrete ? static_cast<float>(static_cast<int>(action[0]) - 1)
                                    : std::clamp(action[0], -1.f, 1.f);
    x_ += 0.1f * a;
    last_a_ = a;
    ++t_;
    ++total_steps_;
    envs::StepResult r;
    r.reward = -x_ * x_;
    if (std::abs(x_) > 2.f) {
      r.reward = -10.f;
      r.terminated = true;
    }
    if (nan_after_ >= 0 && total_steps_ > nan_after_) r.reward = std::numeric_limits<float>::quiet_NaN();
    r.truncated = !r.terminated && t_ >= max_steps_;
    return_ += r.reward;
    info = envs::Info{};
    if (r.terminated || r.truncated) {
      info.episode_done = true;
      info.episode_return = return_;
      info.episode_length = t_;
    }
    write(obs);
    return r;
  }

 private:
  void write(void* obs) const {
    auto* o = static_cast<float*>(obs);
    o[0] = x_;
    o[1] = last_a_;
  }
  envs::Spec obs_spec_;
  envs::ActionSpec action_spec_;
  int max_steps_;
  int64_t nan_after_;
  int64_t total_steps_ = 0;
  std::mt19937_64 rng_;
  float x_ = 0, last_a_ = 0;
  int t_ = 0;
  double return_ = 0;
};

inline agents::EnvFactoryFn point_mass_factory(int64_t nan_after = -1) {
  return [nan_after](const envs::EnvConfig& c, int) { return std::make_unique<PointMass>(c, nan_after); };
}

// A PPO job on 3 point-mass envs truncated at max_steps, with `net` and num_steps per rollout: the recurrent
// policies' rollout and sequence tests.
inline agents::TrainJob rollout_job(const agents::NetConfig& net, int num_steps, int max_steps) {
  agents::TrainJob job;
  job.env.max_steps = max_steps;
  job.agent.net = net;
  job.agent.ppo.num_steps = num_steps;
  job.train.num_envs = 3;
  job.train.num_threads = 1;
  job.train.device = "cpu";
  job.env_factory = point_mass_factory();
  return job;
}

}  // namespace dl::testing
