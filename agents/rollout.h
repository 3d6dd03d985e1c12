// drivelab/agents: rollouts from a vector env into preallocated [T, N, ...] storage, and GAE.
//
// Pipeline per step (one thread drives it; the vector env's workers step the envs):
//   obs (host, normalized) -> device -> policy.act (inference mode) -> env actions to host ->
//   VectorEnv::step -> rewards scaled, truncations bootstrapped -> next obs normalized on the host.
// A recurrent policy's memory rides along: act() advances it, and an env's row is forgotten after the step
// that ended its episode (autoreset: the next obs already begins the new episode).
// The env workers run while torch is idle and torch runs while they wait, so on a small machine both
// may use every core (train.num_threads and train.torch_threads default to the core count).
//
// Observations reach torch through torch::from_blob over host arrays (no copy on CPU); on CUDA they go
// through a pinned host buffer and a non-blocking copy. Rewards, dones and GAE stay on the host, where a
// plain loop beats T small kernels; the result moves to the device once per update.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/policy.h"
#include "agents/trainer.h"
#include "envs/normalize.h"
#include "envs/vector_env.h"

namespace dl::agents {

// Generalized advantage estimation over [T, N] tensors (any device; computed on the host).
// dones[t] = 1 when the episode ended at step t (after action t); a truncation's bootstrap value is
// expected in rewards[t] already. last_value [N] is V(obs after step T-1).
//   delta_t = r_t + gamma * V_{t+1} * (1 - d_t) - V_t,   A_t = delta_t + gamma * lambda * (1 - d_t) A_{t+1}
// lambda = 1 gives Monte-Carlo returns minus the baseline (returns = advantages + values).
torch::Tensor compute_gae(const torch::Tensor& rewards, const torch::Tensor& values,
                          const torch::Tensor& dones, const torch::Tensor& last_value, double gamma,
                          double lambda);

// "auto" -> cuda when available, else cpu; "cpu"; "cuda"; "cuda:N". Throws std::runtime_error when CUDA is
// asked for but absent, or the string is not one of these.
torch::Device resolve_device(const std::string& name);

// LibTorch's intra-op threads follow one rule in every command, set through these two functions:
//   - acting on one observation at a time (collect --policy RUN, watch, the run's GIF): 1 thread, always
//     (set_inference_threads). A batch of one has nothing to split, and OpenMP's idle threads spin for
//     their next task: on a loaded 2-core machine most of `collect`'s time went to that spinning.
//   - training and batched evaluation: train.torch_threads when set, else set_torch_threads' auto rule.
void set_inference_threads();
// Sets LibTorch's intra-op threads for the whole process. 0 = auto: 1 for vector (MLP) policies, one per
// core for pixel (CNN) policies. Measured on the 2-core machine (PPO, track env, other jobs running): a
// 64x64 MLP with 2 threads ran at 1.1k SPS (16 envs) and 117 SPS (CleanRL's 1-env settings) against 39k
// and 5.3k with 1 thread: its ops are microseconds long, and OpenMP's hand-offs and spinning threads
// (competing with the env workers) cost far more than they split.
void set_torch_threads(int threads, bool image_policy);

using EnvFactory = EnvFactoryFn;
EnvFactory env_factory_or_default(const EnvFactory& factory);

struct RolloutStorage {
  torch::Tensor obs;        // [T, N, obs...] on the device, the policy's input dtype
  torch::Tensor actions;    // [T, N, A] raw actions (see policy.h)
  torch::Tensor log_probs;  // [T, N]
  torch::Tensor values;     // [T, N]
  torch::Tensor rewards;    // [T, N] host: scaled, truncations bootstrapped
  torch::Tensor dones;      // [T, N] host: 1 where the episode ended at that step
  torch::Tensor valid;      // [T, N] host: 0 for steps after an env's first episode (first_episode_only)
  torch::Tensor last_value; // [N] device: V(obs after the last step)
  torch::Tensor road_ahead; // [T, N, K] device, with a road-ahead head: the road ahead of each obs (policy.h)
  int64_t steps = 0;        // rows filled by the last collect
  // Recurrent policies: the memory of every env before step k * sequence_length (inference tensors:
  // clone them before autograd sees them). An episode that starts inside a sequence is marked by the
  // dones of the step before it.
  int64_t sequence_length = 0;
  std::vector<TransformerMemory> sequence_memory;
};

// Statistics of the episodes that ended during a collect.
struct EpisodeSummary {
  int count = 0;
  double return_sum = 0, length_sum = 0;
  int laps = 0;
  double mean_return() const { return count ? return_sum / count : 0; }
  double mean_length() const { return count ? length_sum / count : 0; }
};

class Rollout {
 public:
  Rollout(const TrainJob& job, const PolicyGradientConfig& pg, ActorCritic policy, torch::Device device,
          int64_t max_steps);

  void reset_envs(uint64_t seed);
  // Runs up to `steps` vector steps into storage. first_episode_only (REINFORCE): marks steps after each
  // env's first episode invalid and stops early once every env has finished one. Returns env steps taken.
  int64_t collect(int64_t steps, bool first_episode_only = false);

  RolloutStorage& storage() { return storage_; }
  const EpisodeSummary& episodes() const { return episodes_; }
  const envs::ObsNormalizer* obs_normalizer() const { return obs_norm_.get(); }
  envs::ObsNormalizer* obs_normalizer() { return obs_norm_.get(); }
  envs::RewardScaler* reward_scaler() { return reward_scaler_.get(); }
  const envs::Spec& observation_spec() const { return vec_->observation_spec(); }
  const envs::ActionSpec& action_spec() const { return vec_->action_spec(); }
  int num_envs() const { return num_envs_; }
  double env_seconds() const { return env_s_; }
  double inference_seconds() const { return inference_s_; }

 private:
  // raw env obs -> host_obs_ (normalized). Data-parallel: all_rows holds every rank's raw obs (else gathered).
  void load_obs(const void* raw, bool update_stats, const float* all_rows = nullptr);
  // Data-parallel: shares this step's raw rewards, dones and obs with the other ranks, applies the global
  // reward scaler, keeps the gathered obs for load_obs; returns whether every rank's envs all finished.
  bool exchange_step(bool all_finished);
  torch::Tensor device_obs();
  // With a road-ahead head: each env's road ahead, read from its world, into host_road_ahead_.
  void load_road_ahead();
  void bootstrap_truncations(float* rewards);

  const TrainJob& job_;
  const PolicyGradientConfig& pg_;
  ActorCritic policy_;
  torch::Device device_;
  int num_envs_;
  int64_t world_envs_ = 0, first_env_ = 0;  // data-parallel: all ranks' envs, and this rank's first
  std::vector<float> exchange_row_, exchanged_obs_;
  std::unique_ptr<envs::VectorEnv> vec_;
  std::unique_ptr<envs::ObsNormalizer> obs_norm_;
  std::unique_ptr<envs::RewardScaler> reward_scaler_;
  RolloutStorage storage_;
  torch::Tensor host_obs_;     // [N, obs...] normalized current obs (pinned on CUDA)
  torch::Tensor host_actions_; // [N, A] env actions
  torch::Tensor host_road_ahead_;  // [N, K] the road ahead of the current obs (road-ahead head only)
  TransformerMemory memory_;   // recurrent policies: each env's memory, forgotten when its episode ends
  std::vector<float> rewards_;
  std::vector<uint8_t> dones_;
  EpisodeSummary episodes_;
  double env_s_ = 0, inference_s_ = 0;
};

// What PPO's update computes for every step of the last rollout before any gradient step (sequences and
// their stored memories for recurrent policies), as [T, N] log-probs, entropies and values. Defined in
// agents/ppo.cpp; the tests compare it with the rollout's own log-probs and values.
EvalOutput evaluate_rollout(ActorCritic& policy, const RolloutStorage& storage);

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace dl::agents
