// drivelab/envs: driving tasks that need memory longer than a frame stack, as Env decorators over the lidar
// driving env (docs/envs.md has the observation layouts and why k stacked frames do not solve them).
//
//   SensorBlackout (track-blackout): for stretches of blackout_min_s..blackout_max_s, every element that
//     shows the road (lidar, lateral offset, heading error, curvature and widths ahead) reads 0, and a
//     last element, appended, says 1. Between blackouts the sensors work for clear_min_s..clear_max_s.
//     What the car did and the road seen before the blackout are all it has to steer by.
//   CueTask (track-cue): at reset a cue of -1 or +1 is drawn; it is in the observation for the first
//     cue_steps steps only. From gate_step on, for gate_steps steps, each step on the cued side of the
//     road (lateral offset beyond lane_band of the half width, + = left) earns cue_reward / gate_steps.
//     Before the gate, each step outside the centre band costs centre_penalty times that, so the car
//     cannot park the cue in its lateral position. Two elements are appended: the cue (0 once hidden)
//     and a gate flag.
//
//   LapMemory (track-laps): several laps of one track per episode (memory.laps), seen through a short
//     lidar and no curvature look-ahead, so the road beyond a few tens of metres is known only to a
//     policy that remembers the earlier laps. The inner env's lap completion ends the episode only after
//     the last lap; the steps of lap 1 earn memory.first_lap_scale of their reward, so the return is
//     scored mostly on the later laps. Appended: laps completed / laps, then, with
//     memory.progress_features K > 0, sin and cos of 2 pi k p for k = 1..K of the lap progress p: a phase
//     that attention can match against the same point of an earlier lap (a dot product of two such
//     vectors peaks where the progresses are equal, which no linear function of p alone does). With
//     memory.later_lidar_m > 0, laps 2.. see through a lidar of that reach (readings as fractions of
//     it): lap 1 is the look at the road, the later laps have to be driven from it. With
//     memory.first_lap_lookahead, lookahead.points > 0 is allowed and the look-ahead (curvatures, widths)
//     shows on lap 1 only, reading 0 from lap 2 on: the road ahead at a point of a later lap is what lap 1
//     showed at the same progress.
//
// The first two draw from their own generator seeded by the reset seed (salted), so an episode is a function of
// the seed and the actions, and count their own steps from the reset (they sit inside the time limit).
#pragma once
#include <memory>
#include <utility>
#include <vector>

#include "envs/env_config.h"
#include "envs/observation.h"
#include "envs/wrappers.h"

namespace dl::envs {

// What the three tasks share: the lidar env inside, its observation copied into inner_obs_, and a spec of
// that observation with `appended` elements (their bounds) at the end. Throws std::invalid_argument naming
// `task` when the inner env's observation is not the lidar layout.
class MemoryTask : public Wrapper {
 public:
  const Spec& observation_spec() const override { return spec_; }

 protected:
  MemoryTask(std::unique_ptr<Env> inner, const VectorObsLayout& layout, const MemoryTaskConfig& config,
             const std::vector<std::pair<float, float>>& appended, const char* task);

  VectorObsLayout layout_;
  MemoryTaskConfig config_;
  Spec spec_;
  std::vector<float> inner_obs_;
};

class SensorBlackout : public MemoryTask {
 public:
  // step_s: simulated seconds per agent step (dt * action repeat).
  SensorBlackout(std::unique_ptr<Env> inner, const VectorObsLayout& layout, const MemoryTaskConfig& config,
                 float step_s);
  void reset(uint64_t seed, void* obs, Info& info) override;
  StepResult step(const float* action, void* obs, Info& info) override;
  bool blacked_out() const { return blackout_; }

 private:
  int draw_steps(float min_s, float max_s);
  void advance();  // one step of the clear/blackout schedule
  void write(void* obs) const;

  float step_s_;
  sim::Rng rng_;
  bool blackout_ = false;
  int remaining_ = 0;  // steps left in the current stretch
};

class CueTask : public MemoryTask {
 public:
  CueTask(std::unique_ptr<Env> inner, const VectorObsLayout& layout, const MemoryTaskConfig& config);
  void reset(uint64_t seed, void* obs, Info& info) override;
  StepResult step(const float* action, void* obs, Info& info) override;
  float cue() const { return cue_; }

 private:
  void write(void* obs) const;

  sim::Rng rng_;
  float cue_ = 1;
  int steps_ = 0;  // steps since reset
};

class LapMemory : public MemoryTask {
 public:
  // lidar_range_m: the inner env's lidar reach, which memory.later_lidar_m shortens from lap 2 on.
  LapMemory(std::unique_ptr<Env> inner, const VectorObsLayout& layout, const MemoryTaskConfig& config,
            float lidar_range_m);
  void reset(uint64_t seed, void* obs, Info& info) override;
  StepResult step(const float* action, void* obs, Info& info) override;
  int laps_completed() const { return laps_; }

 private:
  void write(void* obs) const;

  float lidar_range_m_;
  int laps_ = 0;  // laps completed since reset
};

// Checks a memory-task config against the episode length; throws std::invalid_argument naming the key.
void validate_memory_task(const EnvConfig& config);

}  // namespace dl::envs
