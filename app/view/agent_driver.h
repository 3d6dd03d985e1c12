// drivelab/app: a trained agent as a driver for the viewer, `collect --policy RUN` and videos: any run or
// checkpoint loaded through the algorithm table (agents/algorithm.h) as an Actor for one env, acting on
// single observations (deterministic), plus the critic's value estimate in return units where there is one.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "envs/env_config.h"
#include "video/episode.h"

namespace dl::app {

class AgentDriver {
 public:
  // Throws agents::CheckpointError (exit code 2) for a missing, unreadable or non-driving checkpoint.
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
  // An actor with memory (a recurrent policy, a Decision Transformer, a world model) carries it from step to
  // step; new_episode() clears it.
  std::optional<float> act(const void* obs, float* action);
  void new_episode();
  video::DriverFn driver();
  // new_episode as a callback for HeadlessOptions / WindowOptions::on_episode_start.
  std::function<void()> episode_start_hook();
  // Each step's reward (HeadlessOptions / WindowOptions::on_reward): a Decision Transformer conditions on the
  // return still to go. Other actors ignore it.
  void observe_reward(float reward);
  std::function<void(float)> reward_hook();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dl::app
