// drivelab/video: one env driven step by step for watching, playing and recording, with the
// numbers a HUD shows. Who drives is a DriverFn: the agent's policy in `watch`, the keyboard in `play`.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "envs/env_config.h"
#include "envs/env.h"
#include "video/hud.h"
#include "sim/world.h"

namespace dl::video {

// Writes action_spec().dim() floats for the observation; returns the value estimate when there is one.
using DriverFn = std::function<std::optional<float>(const void* obs, float* action)>;

class EpisodeRunner {
 public:
  explicit EpisodeRunner(const envs::EnvConfig& config);

  void reset(uint64_t seed);
  // One agent step with this action (action_spec().dim() floats). Returns true when the episode ended.
  bool step(const float* action, std::optional<float> value = std::nullopt);

  const envs::Env& env() const { return *env_; }
  const sim::World& world() const { return *world_; }
  const void* obs() const { return obs_.data(); }
  const envs::ActionSpec& action_spec() const { return env_->action_spec(); }
  // Simulated seconds per agent step (dt times action repeat): the viewer's fixed step.
  float step_s() const { return step_s_; }
  bool done() const { return done_; }
  uint64_t seed() const { return seed_; }
  const envs::Info& info() const { return info_; }
  // HUD numbers for the current state (the viewer fills in its own fields); episode counts resets from 1.
  HudState hud() const { return hud_; }

 private:
  envs::EnvConfig config_;
  std::unique_ptr<envs::Env> env_;
  const sim::World* world_ = nullptr;
  std::vector<uint8_t> obs_;
  std::vector<float> action_;
  envs::Info info_;
  float step_s_;
  uint64_t seed_ = 0;
  bool done_ = false;
  int episodes_ = 0;
  HudState hud_;
};

// The sim action an env action means (discrete index or continuous triple), clipped to the bounds.
sim::Action to_sim_action(const envs::ActionSpec& spec, const float* action);

}  // namespace dl::video
