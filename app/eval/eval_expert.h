// drivelab/app: the scripted expert (envs/expert.h) driven through the same episodes `drivelab eval`
// drives an agent through: `drivelab eval expert [env.key=value ...]`, the baseline for lap times.
#pragma once
#include <cstdint>

#include "agents/trainer.h"
#include "envs/env_config.h"

namespace dl::app {

// Episodes on a vector env of min(episodes, 16) envs reset with `seed`, each env running its share of the
// episodes, as agents::run_episodes does: with the same env config and seed, the same tracks in the same
// order, so expert and agent lap times compare track for track.
agents::EvalResult evaluate_expert(const envs::EnvConfig& env, int episodes, uint64_t seed, int num_threads);

}  // namespace dl::app
