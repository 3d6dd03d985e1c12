// drivelab/agents: the entry points the app calls. One file per algorithm implements train_*.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agents/agent_config.h"
#include "envs/env_config.h"
#include "envs/env.h"

namespace dl::agents {

// Where metrics go (app/ writes metrics.csv and the progress line). Names are flat and stable:
// charts/episodic_return, charts/episodic_length, charts/SPS, losses/policy, losses/value,
// losses/entropy, losses/approx_kl, losses/clipfrac, eval/return_mean, ...
class MetricsSink {
 public:
  virtual ~MetricsSink() = default;
  virtual void scalar(int64_t step, const std::string& name, double value) = 0;
  // Called once per update after its scalars: lets the sink write a CSV row and a progress line.
  virtual void end_update(int64_t step, int64_t total_steps) = 0;
  // Called just before checkpoints/latest.pt is written at `step`: the sink makes every row so far durable,
  // so a run killed at any point and resumed from its latest checkpoint has a complete record up to it.
  virtual void before_checkpoint(int64_t step) {}
};

// Builds env `index` of a vector env. Empty = envs::make_env; tests plug in small envs of their own.
using EnvFactoryFn = std::function<std::unique_ptr<envs::Env>(const envs::EnvConfig&, int index)>;

struct TrainJob {
  envs::EnvConfig env;
  AgentConfig agent;
  TrainConfig train;
  std::string run_dir;             // checkpoints go to run_dir/checkpoints/
  std::string resolved_config;     // YAML text stored inside checkpoints
  bool resume = false;             // continue from run_dir/checkpoints/latest.pt
  MetricsSink* metrics = nullptr;
  EnvFactoryFn env_factory;        // empty = envs::make_env
};

struct TrainResult {
  int64_t steps = 0;
  double final_eval_return = 0;
  double best_eval_return = 0;
  double wall_s = 0;
};

// Checks what can be checked before a run folder is made: the device, the algorithm name, the env (track and
// generator files), then the algorithm's own checks (the policy network against the env's spaces, datasets
// (agent.bc.data), agent.ppo.init_from). Throws io::InputError with the config key first ("agent.bc.data: ...").
void check_train_job(const TrainJob& job);

// Runs job.agent.algo's train function from the algorithm table (agents/algorithm.h). Throws std::runtime_error with a clear message on NaN/inf losses (after
// keeping the last good checkpoint), bad devices, or unreadable checkpoints.
TrainResult train(const TrainJob& job);

// Whether a counter that moved from `before` to `now` passed a multiple of `every` (never when every <= 0):
// the one rule for "evaluate / checkpoint every N" whatever N counts (env steps, gradient steps, ...).
inline bool passed_multiple(int64_t every, int64_t before, int64_t now) {
  return every > 0 && now / every != before / every;
}

// Evaluation episodes start from train.seed + kEvalSeedOffset (and `drivelab eval` from its --seed), apart
// from every training seed, and the same every time, so evaluations along a run are comparable.
inline constexpr uint64_t kEvalSeedOffset = 1'000'003;

struct EvalOptions {
  int episodes = 10;
  std::string tracks = "test";
  uint64_t seed = 12345;
  bool deterministic = true;
  std::string device = "cpu";
  int num_threads = 0;             // env worker threads (0 = one per core)
  EnvFactoryFn env_factory;        // empty = envs::make_env
};
// Evaluation runs at most this many envs at once; env i of an evaluation of `episodes` episodes runs
// episodes / M of them (M = min(episodes, kMaxEvalEnvs); the first episodes % M envs one more), and the
// results list env 0's episodes first, then env 1's, ...
inline constexpr int kMaxEvalEnvs = 16;

struct EvalResult {
  std::vector<double> returns;
  std::vector<int> lengths;
  int laps_completed = 0;
  // Per episode, in the order of `returns` (empty where an evaluation loop does not record them):
  std::vector<float> lap_times_s;  // time of the first completed lap, -1 for none
  std::vector<float> progress;     // fraction of the lap's tiles visited when the episode ended (1 = lap)
  std::vector<int> laps;           // laps completed (multi-lap envs: track-laps)
  std::vector<float> later_lap_times_s;  // mean time of laps 2, 3, ...; -1 with fewer than 2 laps
};
// Loads a run folder or checkpoint as an Actor (agents/algorithm.h: load_actor; its env comes from inside it,
// or env_override) and runs episodes with run_episodes (agents/actor.h).
EvalResult evaluate(const std::string& checkpoint_path, const EvalOptions& options,
                    const envs::EnvConfig* env_override = nullptr);

}  // namespace dl::agents
