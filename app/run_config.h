// drivelab/app: run configuration. The one place YAML is parsed.
//
// A run config has four sections: env (envs::EnvConfig), agent (agents::AgentConfig), train
// (agents::TrainConfig) and run (RunSection). Each struct describes its fields through visit_fields; the
// reader here walks the YAML tree with the same description, so every field is documented, type-checked
// and range-checked in one way, and unknown keys are found (with the nearest known key suggested).
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "agents/agent_config.h"
#include "envs/env_config.h"
#include "io/files.h"
#include "io/names.h"

namespace dl::app {

struct RunSection {
  std::string name;          // optional label added to the run folder name
  std::string dir = "runs";  // parent folder of run folders
};

template <class V>
void visit_fields(RunSection& c, V& v) {
  v.field("name", c.name, "label added to the run folder name");
  v.field("dir", c.dir, "parent folder of run folders");
}

struct RunConfig {
  envs::EnvConfig env;
  agents::AgentConfig agent;
  agents::TrainConfig train;
  RunSection run;
};

// A config error names where it comes from: "FILE:LINE: key 'a.b': message".
// Bad input: exit code 2, as every io::InputError.
struct ConfigError : io::InputError {
  using io::InputError::InputError;
};

// Loads a run config from a YAML file ("" = the embedded default, configs/ppo_track.yaml) and applies
// `key.path=value` overrides. The embedded default is the base: what the file leaves out keeps its
// embedded value (a different env id or algorithm starts from that env's or algorithm's own defaults).
// One document; no repeated keys; at most io::kMaxConfigBytes. Throws ConfigError.
RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides = {});
// Same, from YAML text; `origin` names the text in messages.
RunConfig parse_run_config(const std::string& yaml_text, const std::string& origin,
                           const std::vector<std::string>& overrides = {});

// Checks YAML text as every config file is checked (one document, a mapping at the top, no repeated keys,
// no list or mapping as a key). Throws ConfigError naming `origin` and the line. For other YAML inputs
// (sweep files) that read their own keys.
void check_yaml_text(const std::string& yaml_text, const std::string& origin);
// Reads a config-like file (at most io::kMaxConfigBytes). Throws ConfigError naming it.
std::string read_config_text(const std::string& path, const std::string& what);

// The resolved config as YAML (every field, defaults included).
std::string to_yaml(RunConfig& config);

// One env config as YAML (for `drivelab envs`).
std::string env_config_yaml(envs::EnvConfig& config);

// The embedded default config text (configs/ppo_track.yaml at build time).
const std::string& embedded_default_config();

// The nearest of `candidates` to `word` by edit distance, or "" if none is close (io/names.h).
using io::nearest_key;

}  // namespace dl::app
