// drivelab/envs: domain randomization. Before each episode the env draws a world configuration around its
// base one from its own RNG (so a seed fixes the draw), then resets the world with it.
#pragma once
#include "envs/env_config.h"
#include "sim/rng.h"
#include "sim/world.h"

namespace dl::envs {

// Returns `base` with grip, engine power, mass, palette and track parameters drawn per `randomize`.
// Draws nothing for disabled terms, so turning randomization off leaves the other draws unchanged.
sim::WorldOptions randomized_world(const sim::WorldOptions& base, const RandomizeConfig& randomize, sim::Rng& rng);

}  // namespace dl::envs
