// drivelab/envs: named environments.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "envs/env_config.h"
#include "envs/env.h"
#include "envs/vector_env.h"

namespace dl::envs {

struct EnvInfo {
  std::string id;
  std::string summary;  // one line for `drivelab envs`
};

const std::vector<EnvInfo>& registered_envs();
bool is_registered(const std::string& id);

// The defaults of a named env (its id set, preset parameters applied).
EnvConfig default_env_config(const std::string& id);
// Applies the preset named in config.preset to config.track. The YAML loader calls it before reading the
// `track:` section so explicit values override the preset.
void apply_preset(EnvConfig& config);

// Builds the env with all the layers the config asks for (action repeat, frame stack, time limit,
// episode statistics). `index` is the env's position in a vector env.
std::unique_ptr<Env> make_env(const EnvConfig& config, int index = 0);

// num_envs envs made by make_env(config, i), stepped on num_threads threads (see vector_env.h). Call
// reset(seed) before the first step.
std::unique_ptr<VectorEnv> make_vector_env(const EnvConfig& config, int num_envs, int num_threads);

}  // namespace dl::envs
