// A tiny memory task for the agents tests (no driving sim): PPO with a memory policy learns it in seconds.
#pragma once
#include <algorithm>
#include <random>

#include "envs/env.h"

namespace dl::testing {

// The first observation says which way to push (cue +-1); every later one is blank. Reward per step:
// cue * action (action clipped to [-1, 1]), so an episode of `length` steps is worth up to `length`.
// Without memory only the first step can be right: a feed-forward policy gets about 1 (0 on the
// others by symmetry), one that remembers the cue gets about `length`.
class CueEnv : public envs::Env {
 public:
  explicit CueEnv(int length) : length_(length) {
    obs_spec_.shape = {2};
    action_spec_.box.shape = {1};
    action_spec_.box.low = {-1.f};
    action_spec_.box.high = {1.f};
  }
  const envs::Spec& observation_spec() const override { return obs_spec_; }
  const envs::ActionSpec& action_spec() const override { return action_spec_; }
  std::string id() const override { return "cue"; }
  void reset(uint64_t seed, void* obs, envs::Info& info) override {
    rng_.seed(seed);
    new_episode(obs, info);
  }
  envs::StepResult step(const float* action, void* obs, envs::Info& info) override {
    envs::StepResult r;
    r.reward = cue_ * std::clamp(action[0], -1.f, 1.f);
    return_ += r.reward;
    ++t_;
    info = envs::Info{};
    r.terminated = t_ >= length_;
    if (r.terminated) {
      info.episode_done = true;
      info.episode_return = return_;
      info.episode_length = t_;
    }
    write(obs);
    return r;
  }

 private:
  void new_episode(void* obs, envs::Info& info) {
    cue_ = std::bernoulli_distribution(0.5)(rng_) ? 1.f : -1.f;
    t_ = 0;
    return_ = 0;
    info = envs::Info{};
    write(obs);
  }
  void write(void* obs) const {
    auto* o = static_cast<float*>(obs);
    o[0] = t_ == 0 ? cue_ : 0.f;
    o[1] = t_ == 0 ? 1.f : 0.f;
  }
  envs::Spec obs_spec_;
  envs::ActionSpec action_spec_;
  int length_;
  std::mt19937_64 rng_;
  float cue_ = 1;
  int t_ = 0;
  double return_ = 0;
};

}  // namespace dl::testing
