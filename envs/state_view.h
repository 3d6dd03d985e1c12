// drivelab/envs: the privileged view of a driving env. A teacher trained on a lidar env (`track`) reads the
// state observation of the very simulation a pixel student sees (`carracing`), step by step: one world, one
// step, two observations, no second simulation to keep in sync (agents/distill.cpp).
//
// The state observation is written from the env's world exactly as the lidar env writes its own
// (envs/observation.h), with the world's sensors: a `track` env and a `carracing` env with the same seed and
// actions give bitwise the same state observations (tests/envs/state_view_test.cpp).
#pragma once
#include <string>

#include "envs/env_config.h"
#include "envs/env.h"
#include "envs/observation.h"
#include "sim/world.h"

namespace dl::envs {

class StateView {
 public:
  // state_env: the env config the teacher was trained on (a lidar env id); world: the world config of the env
  // it will read (world_config(student_env)). Throws std::invalid_argument for a pixel or memory-task id, or
  // a frame stack (the teacher sees one step).
  StateView(const EnvConfig& state_env, const sim::WorldOptions& world);
  // The observation spec the teacher's env had, and the one this view writes: they differ when the
  // student's world has other sensors (lidar rays, look-ahead) than the teacher's env.
  const Spec& spec() const { return spec_; }
  // Empty when the view writes what the teacher's own env wrote, else why not (for a one-line error).
  const std::string& mismatch() const { return mismatch_; }
  // Writes spec().size() floats.
  void write(const sim::World& world, float* out) const { write_vector_obs(layout_, world, out); }

 private:
  VectorObsLayout layout_;
  Spec spec_;
  std::string mismatch_;
};

}  // namespace dl::envs
