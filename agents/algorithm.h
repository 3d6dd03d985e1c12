// drivelab/agents: the algorithm table. Each algorithm registers once, with its name (agent.algo), how it
// trains, what it checks before a run folder exists, how it resumes, and how its checkpoints load as an
// Actor (agents/actor.h). `drivelab train`, eval, watch, play, collect, the run's GIF and the sweep use
// only this table. The built-in algorithms are listed in agents/algorithms.cpp, one line each; tests add
// their own with register_algorithm. docs/adding-an-algorithm.md walks through adding one.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/actor.h"
#include "agents/trainer.h"
#include "envs/env.h"

namespace dl::agents {

enum class Resume {
  from_latest,  // --resume continues from checkpoints/latest.pt (optimizer, RNG, counters)
  by_stages,    // --resume keeps the stage files already written and the metrics rows (world_model)
  restart,      // --resume starts the run again from step 0 (bc, dagger, decision_transformer)
};

enum class LearningCurve { returns, gan_losses };

struct Algorithm {
  std::string name;     // agent.algo
  std::string summary;  // one line, for `drivelab train --help` and the docs
  // The keys of the agent section it reads besides algo: shared ones (net, learning_rate, ...) and its own
  // section(s) (ppo; bc and dagger). A config that sets any other agent key is an error naming the line.
  std::vector<std::string> agent_keys;
  std::function<TrainResult(const TrainJob&)> train;
  // Checks before a run folder is made, after the common ones (device, env, algorithm name), given a probe
  // env built as the run builds its envs. Throws io::InputError with the config key first. May be empty.
  std::function<void(const TrainJob&, const envs::Env& probe)> check;
  // Loads a checkpoint this algorithm wrote as an Actor; `factory` builds the checkpoint's env when the
  // actor needs its spaces (empty = envs::make_env). Empty for an algorithm that does not drive (track_gan
  // makes tracks): eval, watch and collect then refuse its runs by name.
  std::function<std::unique_ptr<Actor>(const std::string& checkpoint, torch::Device, const EnvFactoryFn& factory)>
      load_actor;
  Resume resume = Resume::restart;
  LearningCurve curve = LearningCurve::returns;
  bool recurrent_policies = false;  // whether agent.net.policy may be a recurrent one (gtrxl, lstm)
  bool road_ahead_loss = false;     // whether its update adds agent.net.road_ahead_coef's loss (policy.h)
  bool actor_critic = false;        // its checkpoints hold an ActorCritic (save_checkpoint), as export reads
  bool data_parallel = false;       // trains across ranks (agents/distributed.h: Session all-reduces)
  // Whether train.total_steps, eval_every_steps and checkpoint_every_steps (env steps) are its budget and
  // intervals; algorithms that count epochs, gradient or generator steps name theirs in their section.
  bool env_step_budget = false;
};

// An actor-critic algorithm trained through Session (ppo, a2c, reinforce): reads the shared agent keys and
// agent.<name>, checks agent.net, loads with load_policy_actor, exports, resumes from checkpoints/latest.pt
// and trains data-parallel. Callers change what differs (BC and DAgger, for instance, restart and do not
// train data-parallel).
Algorithm actor_critic_algorithm(std::string name, std::string summary,
                                 std::function<TrainResult(const TrainJob&)> train);

// Adds an algorithm. Throws std::logic_error for an empty name, a missing train function or a name taken.
void register_algorithm(Algorithm algorithm);
// Throws io::InputError "agent.algo: unknown algorithm 'x' (expected ppo, a2c, ...)".
const Algorithm& find_algorithm(const std::string& name);
std::vector<std::string> algorithm_names();

// Checks shared by algorithms' check functions. Throw io::InputError with the config key first.
// agent.net builds a policy for the probe env's spaces:
void check_policy_net(const TrainJob& job, const envs::Env& probe);
// `path` (the config key `key`, e.g. agent.bc.data) is a readable dataset whose spaces fit the probe env,
// with at least min_episodes episodes (every chunk's CRC is checked now, so a damaged one cannot fail a
// run later):
void check_dataset(const TrainJob& job, const envs::Env& probe, const std::string& path, const std::string& key,
                   int64_t min_episodes);

// The checkpoint a run folder or file stands for: a file is itself; a run folder is its
// checkpoints/best.pt, else checkpoints/latest.pt. Throws CheckpointError (exit code 2) naming the target.
std::string resolve_checkpoint(const std::string& run_or_checkpoint);

// resolve_checkpoint, the algorithm recorded in the file, and that algorithm's load_actor. Throws
// CheckpointError naming the file for a missing, damaged or non-driving checkpoint.
std::unique_ptr<Actor> load_actor(const std::string& run_or_checkpoint, const std::string& device = "cpu",
                                  const EnvFactoryFn& factory = {});

}  // namespace dl::agents
