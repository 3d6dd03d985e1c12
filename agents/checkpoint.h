// drivelab/agents: checkpoints. One file per checkpoint, a torch::serialize archive holding
//   model/       the actor-critic's parameters and buffers
//   optimizer/   the optimizer state (Adam moments, RMSprop square averages, step counts)
//   obs_norm, reward_scaler   normalizer states (double vectors)
//   counters     global_step, update, best eval return
//   rng          the default CPU generator's state (the CUDA generator is not saved)
//   config_text  env, agent and train config as `path=value` lines, written and read back by visitors over
//                visit_fields, so agents/ can rebuild a run without a YAML parser
//   resolved_config  the app's YAML text, for people
// It is written to `<path>.tmp` and renamed over `path`, so a crash mid-write never leaves a torn file.
// LibTorch's zip reader does not check the CRCs its writer stores, so a damaged file could load with wrong
// weights: every torch archive drivelab writes (these checkpoints, the DT's, track_gan's and the world
// model's) goes through save_archive, which appends a 16-byte trailer (payload size, CRC-32 of the payload,
// "DLCK"), and load_archive checks it. Tensors are checked for shape and for NaN/inf when loaded.
// The envs' own state (positions, RNGs) is not saved: a resumed run resets its envs with a seed derived
// from train.seed and the update counter, so it continues at the same step but on fresh episodes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/agent_config.h"
#include "agents/policy.h"
#include "envs/env_config.h"
#include "io/files.h"

namespace dl::agents {

// A checkpoint or model file that cannot be used: missing, damaged, or written for another network. Bad
// input (exit code 2); the message names the file and, where there is one, the entry or tensor.
struct CheckpointError : io::InputError {
  using io::InputError::InputError;
};

// Writes an archive atomically with the CRC trailer. Throws CheckpointError naming `path`.
void save_archive(torch::serialize::OutputArchive& archive, const std::string& path);
// Reads an archive written by save_archive (at most io::kMaxModelBytes), checking its CRC. Files without
// a trailer (written before it existed) load unchecked; returns whether the file carried one. Throws
// CheckpointError naming `path`.
bool load_archive(const std::string& path, torch::serialize::InputArchive& archive);
// Throws CheckpointError "checkpoint PATH: tensor 'NAME' has NaN or infinite values" for such a tensor.
void check_finite(const std::string& path, const std::string& name, const torch::Tensor& tensor);
// check_finite for every parameter and buffer of a module.
void check_module_finite(const std::string& path, const torch::nn::Module& module);

// The step a checkpoint was written at (global_step, or a track_gan's generator step).
int64_t checkpoint_step(const std::string& path);

// Configs as text: one `section.path=value` line per field (env.*, agent.*, train.*).
std::string configs_to_text(const envs::EnvConfig& env, const AgentConfig& agent, const TrainConfig& train);
// Throws std::runtime_error naming the line on unknown keys or unparsable values.
void configs_from_text(const std::string& text, envs::EnvConfig& env, AgentConfig& agent,
                       TrainConfig& train);

struct CheckpointData {
  envs::EnvConfig env;
  AgentConfig agent;
  TrainConfig train;
  std::string resolved_config;
  int64_t global_step = 0;
  int64_t update = 0;
  double best_eval_return = 0;
  bool has_best_eval = false;
  std::vector<double> obs_norm;       // empty = none
  std::vector<double> reward_scaler;  // empty = none
  std::string algo;
};

struct TrainJob;
// What every checkpoint of a training job records: its env, agent and train configs, the resolved YAML and
// agent.algo, at `global_step`. The caller adds its counters, best evaluation and normalizer states.
CheckpointData checkpoint_data(const TrainJob& job, int64_t global_step);

// Writes atomically; the optimizer may be null.
void save_checkpoint(const std::string& path, ActorCritic& policy, torch::optim::Optimizer* optimizer,
                     const CheckpointData& data);

// The algorithm a checkpoint was written by ("ppo", ..., "decision_transformer": the DT's own format,
// agents/decision_transformer.h). Throws std::runtime_error naming the file when it is unreadable.
std::string checkpoint_algo(const std::string& path);

// Reads everything but the tensors (to build the policy first). Throws std::runtime_error naming the file.
CheckpointData read_checkpoint_data(const std::string& path);
// Loads the model (and optimizer, when given) state and restores the CPU RNG when restore_rng.
void load_checkpoint_state(const std::string& path, ActorCritic& policy,
                           torch::optim::Optimizer* optimizer, bool restore_rng);

}  // namespace dl::agents
