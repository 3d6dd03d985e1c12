// drivelab/agents: what acts in an env. Every algorithm that drives (PPO, A2C, REINFORCE, BC, DAgger, the
// Decision Transformer, the world model) loads its checkpoint as an Actor (agents/algorithm.h), and every
// consumer drives through this interface only: evaluation (run_episodes below), `drivelab watch` and
// `play`, `collect --policy RUN`, the run's GIF. An actor holds its own per-env memory (a recurrent
// policy's state, a Decision Transformer's context and return to go, a world model's LSTM state).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "agents/policy.h"
#include "agents/trainer.h"
#include "envs/env_config.h"
#include "envs/env.h"
#include "envs/normalize.h"

namespace dl::agents {

class Actor {
 public:
  virtual ~Actor() = default;
  // The algorithm that wrote the checkpoint (agent.algo) and the env it was trained with.
  virtual const std::string& algo() const = 0;
  virtual const envs::EnvConfig& env_config() const = 0;
  // Throws io::InputError saying what differs when an env with these spaces cannot feed this actor.
  virtual void check_spaces(const envs::Spec& observation, const envs::ActionSpec& action) const = 0;
  // Prepares for n envs, each starting an episode (memory cleared).
  virtual void reset(int n) = 0;
  // obs: [n, obs...] raw env observations on the host (the actor normalizes them itself). Returns the env
  // actions [n, A], float32, contiguous, on the host. Deterministic: the distribution's mode.
  virtual torch::Tensor act(const torch::Tensor& obs, bool deterministic) = 0;
  // After the env step that followed act(): each env's reward, and whether its episode ended (the next
  // observation then starts a new one: its memory is cleared).
  virtual void observe(const float* rewards, const uint8_t* episode_ended) {}
  // The value estimate of each env's last observation, in the env's reward units ([n], host); undefined
  // for actors without a critic.
  virtual torch::Tensor values() const { return {}; }
};

// Runs `episodes` episodes of `actor` on envs built from `env` (normally the test tracks). Episodes are
// spread over up to kMaxEvalEnvs envs with fixed per-env quotas (envs/episode_tally.h), so the result does
// not depend on which env finishes first; results come env by env. The one evaluation loop of drivelab.
EvalResult run_episodes(Actor& actor, const envs::EnvConfig& env, const EnvFactoryFn& factory, int episodes,
                        uint64_t seed, bool deterministic, int num_threads);

// The evaluation along a training run, the same for every algorithm: job.train.eval_episodes episodes of
// `actor` on the test tracks of job.env from train.seed + kEvalSeedOffset, logged at `step` as
// eval/return_mean and eval/laps (the caller ends the metrics row). Returns the mean return.
double evaluate_during_training(Actor& actor, const TrainJob& job, int64_t step, bool deterministic);

// ---- The actor of the actor-critic family (ppo, a2c, reinforce, bc, dagger) --------------------------------
// Observations normalized with frozen statistics (`obs_norm` may be null), the policy's mode or a sample,
// its memory for recurrent nets. value_scale turns critic outputs back into reward units.
// obs_spec and action_spec: the spaces of `env` (the policy's input and output).
std::unique_ptr<Actor> make_policy_actor(std::string algo, const envs::EnvConfig& env, const envs::Spec& obs_spec,
                                         const envs::ActionSpec& action_spec, ActorCritic policy,
                                         std::shared_ptr<const envs::ObsNormalizer> obs_norm,
                                         torch::Device device, float value_scale = 1);
// Loads a checkpoint written by save_checkpoint (agents/checkpoint.h); its env is built by `factory` (empty =
// envs::make_env) to learn the spaces. Throws CheckpointError.
std::unique_ptr<Actor> load_policy_actor(const std::string& checkpoint, torch::Device device,
                                         const EnvFactoryFn& factory = {});

}  // namespace dl::agents
