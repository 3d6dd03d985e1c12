// drivelab/app: a trained policy as a driver for the viewer and for videos. Loads a checkpoint through
// agents/checkpoint.h (the env config, the network, the observation normalizer) and acts on single
// observations: the mean action, plus the critic's value estimate in return units. Decision Transformer
// checkpoints (agent.algo decision_transformer) drive too, conditioned on their stored target return.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "envs/config.h"
#include "render/video/episode.h"

namespace dl::app {

// A run folder means its checkpoints/best.pt, else latest.pt; a file means itself. Throws ConfigError.
std::string find_checkpoint(const std::string& run_or_checkpoint);

class AgentDriver {
 public:
  // Throws ConfigError for a missing or unreadable checkpoint.
  explicit AgentDriver(const std::string& run_or_checkpoint, const std::string& device = "cpu");
  ~AgentDriver();
  AgentDriver(const AgentDriver&) = delete;
  AgentDriver& operator=(const AgentDriver&) = delete;

  const std::string& checkpoint_path() const;
  // The env the agent was trained with.
  const envs::EnvConfig& env_config() const;
  // That env with another registered id's defaults (traffic, obstacles, reward), keeping what the
  // network depends on (lidar, pixels, action set, frame stack, action repeat). Throws ConfigError when
  // the observation or action specs still differ from the network's.
  envs::EnvConfig env_config_for(const std::string& id) const;

  // Writes the env action for one observation (laid out as the env's observation spec) and returns the
  // value estimate. Deterministic: the distribution's mode.
  // A policy with memory (net.policy gtrxl) carries it from step to step; new_episode() clears it.
  std::optional<float> act(const void* obs, float* action);
  void new_episode();
  video::DriverFn driver();
  // new_episode as a callback for HeadlessOptions / WindowOptions::on_episode_start.
  std::function<void()> episode_start_hook();
  // A Decision Transformer checkpoint conditions on the return still to go: it needs each step's reward
  // (HeadlessOptions / WindowOptions::on_reward). Other policies ignore it.
  void observe_reward(float reward);
  std::function<void(float)> reward_hook();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dl::app
