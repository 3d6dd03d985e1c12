// A tiny deterministic Env for testing wrappers, the vector env and the checker without the simulator.
#pragma once
#include <cmath>
#include <string>

#include "envs/env.h"
#include "sim/rng.h"

namespace dl::envs::testing {

// A point on a line: the action moves it; the episode terminates when |position| reaches the goal.
// obs = {position, steps taken, noise drawn from the env's RNG}. reward = the move made.
class LineEnv : public Env {
 public:
  explicit LineEnv(float goal = 5, bool discrete = false) : goal_(goal) {
    obs_spec_.shape = {3};
    obs_spec_.low = {-goal - 1, 0, 0};
    obs_spec_.high = {goal + 1, 1e9f, 1};
    action_spec_.discrete = discrete;
    if (discrete) {
      action_spec_.n = 3;  // left, stay, right
      action_spec_.box.shape = {1};
      action_spec_.box.low = {0};
      action_spec_.box.high = {2};
    } else {
      action_spec_.box.shape = {2};
      action_spec_.box.low = {-1, -1};
      action_spec_.box.high = {1, 1};
    }
  }
  const Spec& observation_spec() const override { return obs_spec_; }
  const ActionSpec& action_spec() const override { return action_spec_; }
  std::string id() const override { return "line"; }

  void reset(uint64_t seed, void* obs, Info& info) override {
    rng_.reseed(seed);
    position_ = static_cast<float>(rng_.uniform(-1, 1));
    steps_ = 0;
    info = Info{};
    write(obs);
  }

  StepResult step(const float* action, void* obs, Info& info) override {
    float a[2] = {action[0], action_spec_.discrete ? 0.0f : action[1]};
    const int index = check_action(action_spec_, a);
    const float move = action_spec_.discrete ? static_cast<float>(index - 1) : a[0];
    last_action_ = a[0];
    position_ += move;
    ++steps_;
    info = Info{};
    info.speed_mps = move;
    write(obs);
    return {move, std::fabs(position_) >= goal_, false};
  }

  float last_action() const { return last_action_; }

 private:
  void write(void* obs) {
    auto* o = static_cast<float*>(obs);
    o[0] = position_;
    o[1] = static_cast<float>(steps_);
    o[2] = static_cast<float>(rng_.uniform());
  }
  float goal_;
  Spec obs_spec_;
  ActionSpec action_spec_;
  sim::Rng rng_;
  float position_ = 0;
  int steps_ = 0;
  float last_action_ = 0;
};

}  // namespace dl::envs::testing
