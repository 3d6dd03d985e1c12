// drivelab/agents: teacher-student distillation (agent.algo: distill), after "Learning by Cheating" (Chen et
// al. 2019): a privileged teacher drives from the state of the simulation, a pixel student (the CNN
// ActorCritic PPO trains) learns its actions on the student's own states, DAgger style (Ross et al. 2011).
//
//   teacher   agent.distill.teacher: `expert` (the scripted driver, envs/expert.h) or a run whose actor reads a
//             lidar env's state observation (a `track` PPO run). It reads the world of the very env the
//             student sees as pixels (envs/state_view.h): one step, two observations.
//   rounds    each round collects steps_per_round env steps on train tracks; at each step every env is driven
//             by the teacher with probability beta = beta0 * beta_decay^round (noise on its steering), else
//             by the student's mode, and every visited state is labelled with the teacher's action (and its
//             value when value_coef > 0 and the teacher has a critic). Labels go to a ring buffer of
//             buffer_steps; then `epochs` passes of minibatch NLL of the teacher's actions (as BC) train the
//             student, Adam at agent.learning_rate.
//   eval      after each round on train.eval_episodes test tracks (run_episodes); checkpoints/latest.pt after
//             every round and best.pt at the best evaluation. The checkpoint is an ordinary actor-critic one:
//             eval, watch, collect and export read it, and PPO fine-tunes it with agent.init_from.
// Logs losses/distill_nll, losses/distill_action_mse, losses/distill_value, charts/distill_beta,
// charts/episodic_return (the round's finished episodes), time/wall_s and eval/return_mean against env steps.
#pragma once
#include <memory>
#include <string>

#include <torch/torch.h>

#include "agents/trainer.h"
#include "envs/env_config.h"
#include "envs/env.h"
#include "envs/vector_env.h"

namespace dl::agents {

// Labels the current state of each env of a vector env. Built from agent.distill.teacher.
class Teacher {
 public:
  virtual ~Teacher() = default;
  virtual void reset(int n) = 0;
  // actions: [n, A] env actions written for env i's current state (its world, after the last step);
  // values: [n] teacher values in reward units, or nullptr. Returns whether values were written.
  virtual bool label(envs::VectorEnv& envs, float* actions, float* values) = 0;
  virtual void observe(const float* rewards, const uint8_t* episode_ended) {}
  virtual bool has_value() const { return false; }
};

// `expert`, or a run folder / checkpoint. student_env: the env the student trains on. Throws io::InputError
// starting "agent.distill.teacher: " for a missing or unreadable run, a teacher that reads pixels or a memory
// task, or one whose observation or action spaces the student's env cannot give it.
std::unique_ptr<Teacher> make_teacher(const std::string& teacher, const envs::EnvConfig& student_env,
                                      const envs::ActionSpec& student_actions, torch::Device device);

TrainResult train_distill(const TrainJob& job);

}  // namespace dl::agents
