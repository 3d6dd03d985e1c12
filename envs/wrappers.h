// drivelab/envs: wrappers, as Env decorators. make_env stacks them in this order (inner to outer):
//   driving env (action repeat inside) -> LidarDropout (track-pomdp) | SensorBlackout (track-blackout)
//   | CueTask (track-cue) | LapMemory (track-laps) (envs/memory_tasks.h) -> FrameStack -> TimeLimit -> EpisodeStats
// so the time limit counts agent steps (after repeat), and the statistics see the truncation.
// Action repeat lives inside the driving env rather than here: it repeats physics steps, so a pixel env
// renders once per agent step and an episode ending mid-repeat still gets its final observation.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "envs/env.h"
#include "sim/rng.h"

namespace dl::envs {

// Forwards everything to the wrapped env; wrappers override what they change.
class Wrapper : public Env {
 public:
  explicit Wrapper(std::unique_ptr<Env> inner) : inner_(std::move(inner)) {}
  const Spec& observation_spec() const override { return inner_->observation_spec(); }
  const ActionSpec& action_spec() const override { return inner_->action_spec(); }
  void reset(uint64_t seed, void* obs, Info& info) override { inner_->reset(seed, obs, info); }
  StepResult step(const float* action, void* obs, Info& info) override {
    return inner_->step(action, obs, info);
  }
  std::string id() const override { return inner_->id(); }
  Env& inner() { return *inner_; }

 protected:
  std::unique_ptr<Env> inner_;
};

// Blanks (sets to 0) the lidar slice [first, first + count) of a float observation with probability p per
// step. Its RNG is reseeded from the reset seed, so it is as deterministic as the env.
class LidarDropout : public Wrapper {
 public:
  LidarDropout(std::unique_ptr<Env> inner, int first, int count, float probability);
  void reset(uint64_t seed, void* obs, Info& info) override;
  StepResult step(const float* action, void* obs, Info& info) override;

 private:
  void maybe_blank(void* obs);
  int first_, count_;
  float probability_;
  sim::Rng rng_;
};

// Stacks the last k observations on a new leading axis: shape [k, ...], oldest first. After reset every
// slot holds the first observation.
class FrameStack : public Wrapper {
 public:
  FrameStack(std::unique_ptr<Env> inner, int k);
  const Spec& observation_spec() const override { return spec_; }
  void reset(uint64_t seed, void* obs, Info& info) override;
  StepResult step(const float* action, void* obs, Info& info) override;

 private:
  void write_stack(void* obs) const;
  int k_;
  size_t frame_bytes_;
  Spec spec_;
  std::vector<uint8_t> ring_;  // k frames; newest_ is the slot of the latest
  int newest_ = 0;
};

// The only layer that sets `truncated`: after max_steps steps of an episode that has not terminated.
class TimeLimit : public Wrapper {
 public:
  TimeLimit(std::unique_ptr<Env> inner, int max_steps);
  void reset(uint64_t seed, void* obs, Info& info) override;
  StepResult step(const float* action, void* obs, Info& info) override;

 private:
  int max_steps_;
  int steps_ = 0;
};

// Fills Info::episode_* on the step that ends an episode (terminated or truncated).
class EpisodeStats : public Wrapper {
 public:
  // step_s: simulated seconds per agent step (dt * action repeat), for the lap time.
  EpisodeStats(std::unique_ptr<Env> inner, float step_s);
  void reset(uint64_t seed, void* obs, Info& info) override;
  StepResult step(const float* action, void* obs, Info& info) override;

 private:
  float step_s_;
  double return_ = 0;
  int length_ = 0;
  float lap_time_s_ = -1;   // the first lap's
  int laps_ = 0;             // laps completed
  int last_lap_end_ = 0;     // step at which the last lap was completed
};

}  // namespace dl::envs
