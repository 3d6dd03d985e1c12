// drivelab/agents: teacher-student distillation's configuration (agent.algo: distill, agent.distill.*).
// Its own header so the keys stay out of the shared AgentConfig but one member and one section; the shared
// keys it reads are agent.learning_rate, agent.net (the student) and agent.max_grad_norm.
#pragma once
#include <cstdint>
#include <string>

namespace dl::agents {

struct DistillConfig {
  // Who labels the student's states: `expert` (the scripted driver, envs/expert.h: zero training time) or a
  // run folder / checkpoint whose actor reads the state observation of a lidar env (`track`). The teacher
  // acts on the state observation of the same simulation the student sees as pixels (envs/state_view.h).
  std::string teacher = "expert";
  int rounds = 8;                   // DAgger rounds: collect steps_per_round, then train on the aggregate
  int64_t steps_per_round = 20000;  // env steps (all envs together) collected per round
  // Share of steps driven by the teacher in round r: beta0 * beta_decay^r (round 0 drives with beta0).
  // Every step is labelled by the teacher whoever drives it, so later rounds teach recovery from the
  // student's own mistakes (Ross et al. 2011; Chen et al. 2019, "Learning by Cheating").
  float beta0 = 1.0f;
  float beta_decay = 0.5f;
  float teacher_noise = 0.1f;       // std of Gaussian noise on teacher-driven steer (0 = none): off-centre states
  int epochs = 2;                   // passes over the aggregate after each round
  int batch_size = 256;             // minibatch size of the student update
  int64_t buffer_steps = 150000;    // most labelled steps kept (oldest dropped first): bounds the memory
  float value_coef = 0.0f;          // weight of the value auxiliary (student critic -> teacher value); 0 = off
  float value_scale = 0.01f;        // teacher values are multiplied by this before the squared error
};

template <class V>
void visit_fields(DistillConfig& c, V& v) {
  v.field("teacher", c.teacher, "expert | a run folder or checkpoint of a state-observation policy");
  v.field("rounds", c.rounds, "DAgger rounds (collect, then train on the aggregate)", 1, 100000);
  v.field("steps_per_round", c.steps_per_round, "env steps collected per round (all envs)", int64_t{1},
          int64_t{1} << 40);
  v.field("beta0", c.beta0, "share of teacher-driven steps in round 0", 0.f, 1.f);
  v.field("beta_decay", c.beta_decay, "beta multiplied by this each round", 0.f, 1.f);
  v.field("teacher_noise", c.teacher_noise, "std of noise on teacher-driven steering", 0.f, 2.f);
  v.field("epochs", c.epochs, "passes over the aggregate per round", 1, 100000);
  v.field("batch_size", c.batch_size, "student minibatch size", 1, 1 << 20);
  v.field("buffer_steps", c.buffer_steps, "most labelled steps kept (oldest dropped)", int64_t{1},
          int64_t{1} << 40);
  v.field("value_coef", c.value_coef, "weight of the teacher-value auxiliary loss (0 = off)", 0.f, 1e4f);
  v.field("value_scale", c.value_scale, "teacher value multiplied by this as the target", 1e-6f, 1e6f);
}

}  // namespace dl::agents
