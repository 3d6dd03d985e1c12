// drivelab/app: `env.key=value` overrides on top of a trained run's env (eval, collect, watch).
#pragma once
#include <string>
#include <vector>

#include "envs/env_config.h"

namespace dl::app {

// The run's env with each override applied on top: only the fields the overrides name change, every other
// field keeps the run's value (lidar rays, preset, rewards, ...), so the network still fits. Overrides
// are checked as config overrides are (unknown keys, types, ranges: ConfigError naming the override);
// only env.* keys are allowed, and not env.id (another env is --env's job where a command has it).
// env.preset=P also takes preset P's track parameters, before any env.track.* override.
envs::EnvConfig env_with_overrides(const envs::EnvConfig& run_env, const std::vector<std::string>& overrides);

}  // namespace dl::app
