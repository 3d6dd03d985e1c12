// drivelab/agents: teacher-student distillation (agent.algo: distill). The shape and the keys are in
// agents/distill.h and agents/distill_config.h; docs/distill.md has the figures.
#include "agents/distill.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <thread>

#include "agents/actor.h"
#include "agents/algorithm.h"
#include "agents/checkpoint.h"
#include "agents/policy.h"
#include "agents/rollout.h"
#include "data/collect.h"
#include "envs/driving_env.h"
#include "envs/expert.h"
#include "envs/state_view.h"
#include "io/files.h"

namespace fs = std::filesystem;

namespace dl::agents {
namespace {

constexpr const char* kTeacherKey = "agent.distill.teacher: ";


const sim::World& world_of(envs::VectorEnv& envs, int i) {
  const sim::World* world = envs::find_world(envs.env(i));
  if (!world) throw std::runtime_error("distill: the teacher reads the simulation; env " + std::to_string(i) +
                                       " exposes no driving world");
  return *world;
}

// The scripted expert: privileged by construction (the whole centre line), no training time.
class ExpertTeacher final : public Teacher {
 public:
  explicit ExpertTeacher(bool discrete) : discrete_(discrete) {}
  void reset(int n) override { drivers_.assign(n, envs::ExpertDriver()); }
  bool label(envs::VectorEnv& envs, float* actions, float*) override {
    const int dim = discrete_ ? 1 : 3;
    for (int i = 0; i < envs.num_envs(); ++i) {
      const sim::Action a = drivers_[i].act(world_of(envs, i));
      if (discrete_) actions[i] = static_cast<float>(data::nearest_discrete_action(a.steer, a.gas, a.brake));
      else std::copy_n(std::array<float, 3>{a.steer, a.gas, a.brake}.data(), dim, actions + i * dim);
    }
    return false;
  }

 private:
  bool discrete_;
  std::vector<envs::ExpertDriver> drivers_;
};

// A trained state policy reading each env's world through a StateView.
class PolicyTeacher final : public Teacher {
 public:
  PolicyTeacher(std::unique_ptr<Actor> actor, envs::StateView view)
      : actor_(std::move(actor)), view_(std::move(view)) {}
  void reset(int n) override {
    n_ = n;
    actor_->reset(n);
    obs_.assign(static_cast<size_t>(n) * view_.spec().size(), 0.0f);
  }
  bool label(envs::VectorEnv& envs, float* actions, float* values) override {
    const int64_t dim = static_cast<int64_t>(view_.spec().size());
    for (int i = 0; i < n_; ++i) view_.write(world_of(envs, i), obs_.data() + i * dim);
    const auto obs = torch::from_blob(obs_.data(), {n_, dim}, torch::kFloat32);
    const torch::Tensor a = actor_->act(obs, /*deterministic=*/true);
    std::memcpy(actions, a.data_ptr<float>(), a.numel() * sizeof(float));
    const torch::Tensor v = actor_->values();
    if (!values || !v.defined()) return false;
    std::memcpy(values, v.contiguous().data_ptr<float>(), n_ * sizeof(float));
    return true;
  }
  void observe(const float* rewards, const uint8_t* ended) override { actor_->observe(rewards, ended); }
  bool has_value() const override { return true; }

 private:
  std::unique_ptr<Actor> actor_;
  envs::StateView view_;
  int n_ = 0;
  std::vector<float> obs_;
};

// Labelled student observations, the oldest overwritten once full.
struct LabelBuffer {
  torch::Tensor obs;      // [C, obs...] uint8
  torch::Tensor actions;  // [C, A] raw actions (the policy's evaluate() takes these)
  torch::Tensor values;   // [C] teacher values (scaled), NaN where none
  int64_t size = 0, next = 0;
  int64_t capacity() const { return obs.size(0); }
  size_t obs_bytes = 0;
};

LabelBuffer make_buffer(int64_t capacity, const envs::Spec& spec, int64_t action_dim) {
  LabelBuffer b;
  std::vector<int64_t> shape{capacity};
  shape.insert(shape.end(), spec.shape.begin(), spec.shape.end());
  b.obs = torch::empty(shape, torch::kUInt8);
  b.actions = torch::empty({capacity, action_dim}, torch::kFloat32);
  b.values = torch::full({capacity}, std::numeric_limits<float>::quiet_NaN());
  b.obs_bytes = spec.size();
  return b;
}

// Env actions to the policy's raw actions (unsquashed Gaussians and discrete indices are their own).
float raw_component(float env_action, float low, float high, bool squash) {
  if (!squash) return env_action;
  const double unit =
      std::clamp((env_action - low) / (high - low) * 2.0 - 1.0, -1 + kSquashTargetEdge, 1 - kSquashTargetEdge);
  return static_cast<float>(std::atanh(unit));
}

struct FitStats {
  double nll = 0, mse = 0, value = 0;
  double samples = 0;  // minibatch rows trained on (forward and backward)
};

// `epochs` passes of minibatch NLL (+ value auxiliary) over the buffer.
FitStats fit_student(ActorCritic& student, torch::optim::Optimizer& optimizer, const LabelBuffer& buffer,
                     const AgentConfig& agent, torch::Device device) {
  const DistillConfig& cfg = agent.distill;
  FitStats stats;
  const int64_t batch = std::min<int64_t>(cfg.batch_size, buffer.size);
  int64_t batches = 0;
  for (int epoch = 0; epoch < cfg.epochs; ++epoch) {
    const auto order = torch::randperm(buffer.size, torch::kLong);
    for (int64_t start = 0; start + batch <= buffer.size; start += batch) {
      const auto idx = order.slice(0, start, start + batch);
      const auto obs = buffer.obs.index_select(0, idx).to(device);
      const auto act = buffer.actions.index_select(0, idx).to(device);
      const EvalOutput out = student->evaluate(obs, act);
      torch::Tensor loss = -out.log_prob.mean();
      stats.nll += loss.item<double>();
      if (cfg.value_coef > 0) {
        const auto target = buffer.values.index_select(0, idx).to(device);
        const auto known = torch::isfinite(target);
        const auto err = torch::where(known, out.value - torch::nan_to_num(target), torch::zeros_like(target));
        const auto value_loss = err.pow(2).sum() / known.sum().clamp_min(1);
        loss = loss + cfg.value_coef * value_loss;
        stats.value += value_loss.item<double>();
      }
      optimizer.zero_grad();
      loss.backward();
      if (agent.max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(student->parameters(), agent.max_grad_norm);
      optimizer.step();
      if (!student->discrete()) {
        torch::NoGradGuard no_grad;
        stats.mse += (student->act(obs, true).action - act).pow(2).mean().item<double>();
      }
      ++batches;
      stats.samples += static_cast<double>(batch);
    }
  }
  const double b = static_cast<double>(std::max<int64_t>(1, batches));
  stats.nll /= b, stats.mse /= b, stats.value /= b;
  if (!std::isfinite(stats.nll))
    throw std::runtime_error("distill: the imitation loss became non-finite; try a lower agent.learning_rate");
  return stats;
}

double evaluate_student(ActorCritic& student, const TrainJob& job, const envs::Spec& obs_spec,
                        const envs::ActionSpec& action_spec, torch::Device device, int64_t step) {
  student->eval();
  const auto actor = make_policy_actor(job.agent.algo, job.env, obs_spec, action_spec, student, nullptr, device);
  const double mean = evaluate_during_training(*actor, job, step, job.train.deterministic_eval);
  student->train();
  return mean;
}

void save_student(const TrainJob& job, ActorCritic& student, torch::optim::Optimizer& optimizer, int64_t step,
                  int64_t round, double best, bool has_best, const std::string& name) {
  if (job.run_dir.empty()) return;
  CheckpointData d = checkpoint_data(job, step);
  d.update = round;
  d.best_eval_return = best;
  d.has_best_eval = has_best;
  const fs::path dir = fs::path(job.run_dir) / "checkpoints";
  fs::create_directories(dir);
  save_checkpoint((dir / name).string(), student, &optimizer, d);
}

void check_distill(const TrainJob& job, const envs::Env& probe) {
  if (probe.observation_spec().dtype != envs::DType::u8)
    throw io::InputError("env.id: distill teaches a pixel student; '" + job.env.id +
                         "' observes state (use env.id: carracing)");
  check_policy_net(job, probe);
  make_teacher(job.agent.distill.teacher, job.env, probe.action_spec(), torch::kCPU);
}

}  // namespace

std::unique_ptr<Teacher> make_teacher(const std::string& teacher, const envs::EnvConfig& student_env,
                                      const envs::ActionSpec& student_actions, torch::Device device) {
  if (teacher == "expert") {
    if (!student_actions.discrete && student_actions.dim() != 3)
      throw io::InputError(std::string(kTeacherKey) + "the expert labels (steer, gas, brake); the env's actions have " +
                           std::to_string(student_actions.dim()) + " components");
    return std::make_unique<ExpertTeacher>(student_actions.discrete);
  }
  if (teacher.empty()) throw io::InputError(std::string(kTeacherKey) + "empty (expected expert or a run folder)");
  std::unique_ptr<Actor> actor;
  try {
    actor = load_actor(teacher, device.is_cuda() ? "cuda" : "cpu");
  } catch (const std::exception& e) {
    throw io::InputError(kTeacherKey + io::first_line(e.what()));
  }
  std::unique_ptr<envs::StateView> view;
  try {
    view = std::make_unique<envs::StateView>(actor->env_config(), envs::world_config(student_env));
  } catch (const std::exception& e) {
    throw io::InputError(kTeacherKey + teacher + ": " + io::first_line(e.what()));
  }
  if (!view->mismatch().empty()) throw io::InputError(kTeacherKey + teacher + ": " + view->mismatch());
  try {
    actor->check_spaces(view->spec(), student_actions);
  } catch (const std::exception& e) {
    throw io::InputError(kTeacherKey + teacher + ": " + io::first_line(e.what()));
  }
  return std::make_unique<PolicyTeacher>(std::move(actor), std::move(*view));
}

TrainResult train_distill(const TrainJob& job) {
  const DistillConfig& cfg = job.agent.distill;
  Stopwatch wall;
  const auto factory = env_factory_or_default(job.env_factory);
  const int n = job.train.num_envs;
  const int threads = job.train.num_threads > 0 ? job.train.num_threads
                                                : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  envs::VectorEnv vec([&](int i) { return factory(job.env, i); }, n, threads);
  const envs::Spec obs_spec = vec.observation_spec();
  const envs::ActionSpec action_spec = vec.action_spec();
  check_distill(job, vec.env(0));
  set_torch_threads(job.train.torch_threads, /*image_policy=*/true);
  torch::manual_seed(job.train.seed);
  const torch::Device device = resolve_device(job.train.device);
  ActorCritic student(obs_spec, action_spec, job.agent.net);
  student->to(device);
  torch::optim::Adam optimizer(student->parameters(), torch::optim::AdamOptions(job.agent.learning_rate));
  auto teacher = make_teacher(cfg.teacher, job.env, action_spec, device);
  const bool want_values = cfg.value_coef > 0 && teacher->has_value();

  const int64_t dim = action_spec.discrete ? 1 : action_spec.dim();
  const bool squash = !action_spec.discrete && job.agent.net.tanh_squash;
  const int64_t collected_total = cfg.rounds * ((cfg.steps_per_round + n - 1) / n) * n;
  LabelBuffer buffer = make_buffer(std::min(cfg.buffer_steps, collected_total), obs_spec, dim);
  sim::Rng rng(job.train.seed ^ 0xD157111ull);
  std::vector<float> labels(n * dim), values(n), executed(n * dim);
  std::vector<uint8_t> ended(n);
  std::vector<int64_t> obs_shape{n};
  obs_shape.insert(obs_shape.end(), obs_spec.shape.begin(), obs_spec.shape.end());
  vec.reset(job.train.seed);
  teacher->reset(n);

  int64_t step = 0;
  double best = -std::numeric_limits<double>::infinity(), last_eval = 0;
  bool has_best = false;
  for (int round = 0; round < cfg.rounds; ++round) {
    const double beta = cfg.beta0 * std::pow(cfg.beta_decay, round);
    double episode_return_sum = 0;
    int episodes = 0;
    int64_t teacher_steps = 0, round_steps = 0;
    student->eval();
    const Stopwatch collect_clock;
    for (int64_t collected = 0; collected < cfg.steps_per_round; collected += n) {
      const bool got_values = teacher->label(vec, labels.data(), want_values ? values.data() : nullptr);
      torch::Tensor student_actions;
      if (beta < 1) {
        torch::InferenceMode inference;
        const auto obs = torch::from_blob(vec.obs(), obs_shape, torch::kUInt8).to(device);
        student_actions = student->act(obs, /*deterministic=*/true).env_action.to(torch::kCPU).contiguous();
      }
      const auto* obs_rows = static_cast<const uint8_t*>(vec.obs());
      for (int i = 0; i < n; ++i) {
        float* label = labels.data() + i * dim;
        if (!action_spec.discrete)
          for (int k = 0; k < dim; ++k)
            label[k] = std::clamp(label[k], action_spec.box.low[k], action_spec.box.high[k]);
        float* act = executed.data() + i * dim;
        if (rng.uniform() < beta) {
          std::copy_n(label, dim, act);
          if (!action_spec.discrete && cfg.teacher_noise > 0)
            act[0] = std::clamp(static_cast<float>(act[0] + rng.normal(0, cfg.teacher_noise)), action_spec.box.low[0],
                                action_spec.box.high[0]);
          ++teacher_steps;
        } else {
          std::copy_n(student_actions.data_ptr<float>() + i * dim, dim, act);
        }
        // Store the state and its label.
        const int64_t slot = buffer.next;
        std::memcpy(static_cast<uint8_t*>(buffer.obs.data_ptr()) + slot * buffer.obs_bytes,
                    obs_rows + i * buffer.obs_bytes, buffer.obs_bytes);
        float* raw = buffer.actions.data_ptr<float>() + slot * dim;
        for (int k = 0; k < dim; ++k)
          raw[k] = action_spec.discrete ? label[k]
                                        : raw_component(label[k], action_spec.box.low[k], action_spec.box.high[k], squash);
        buffer.values.data_ptr<float>()[slot] =
            got_values ? values[i] * cfg.value_scale : std::numeric_limits<float>::quiet_NaN();
        buffer.next = (buffer.next + 1) % buffer.capacity();
        buffer.size = std::min(buffer.size + 1, buffer.capacity());
      }
      vec.step(executed.data());
      for (int i = 0; i < n; ++i) {
        ended[i] = vec.terminated()[i] || vec.truncated()[i];
        if (ended[i]) {
          episode_return_sum += vec.infos()[i].episode_return;
          ++episodes;
        }
      }
      teacher->observe(vec.rewards(), ended.data());
      step += n;
      round_steps += n;
    }
    const double collect_s = collect_clock.seconds();
    const Stopwatch fit_clock;
    student->train();
    const FitStats fit = fit_student(student, optimizer, buffer, job.agent, device);
    const double fit_s = fit_clock.seconds();
    if (job.metrics) {
      job.metrics->scalar(step, "charts/distill_round", round);
      job.metrics->scalar(step, "charts/distill_beta", beta);
      job.metrics->scalar(step, "charts/distill_teacher_share", static_cast<double>(teacher_steps) / round_steps);
      job.metrics->scalar(step, "charts/distill_buffer", static_cast<double>(buffer.size));
      if (episodes > 0) job.metrics->scalar(step, "charts/episodic_return", episode_return_sum / episodes);
      job.metrics->scalar(step, "losses/distill_nll", fit.nll);
      if (!student->discrete()) job.metrics->scalar(step, "losses/distill_action_mse", fit.mse);
      if (want_values) job.metrics->scalar(step, "losses/distill_value", fit.value);
      job.metrics->scalar(step, "time/collect_s", collect_s);
      job.metrics->scalar(step, "time/fit_s", fit_s);
      job.metrics->scalar(step, "time/fit_samples_per_s", fit.samples / std::max(1e-9, fit_s));
      job.metrics->scalar(step, "time/collect_SPS", round_steps / std::max(1e-9, collect_s));
    }
    if (job.train.eval_episodes > 0) {
      last_eval = evaluate_student(student, job, obs_spec, action_spec, device, step);
      if (!has_best || last_eval > best) {
        best = last_eval;
        has_best = true;
        save_student(job, student, optimizer, step, round + 1, best, has_best, "best.pt");
      }
    }
    if (job.metrics) {
      job.metrics->scalar(step, "time/wall_s", wall.seconds());
      job.metrics->scalar(step, "charts/SPS", step / std::max(1e-9, wall.seconds()));
      job.metrics->before_checkpoint(step);
    }
    save_student(job, student, optimizer, step, round + 1, has_best ? best : 0, has_best, "latest.pt");
    if (job.metrics) job.metrics->end_update(step, cfg.rounds * cfg.steps_per_round);
  }
  TrainResult result;
  result.steps = step;
  result.final_eval_return = last_eval;
  result.best_eval_return = has_best ? best : 0;
  result.wall_s = wall.seconds();
  return result;
}

Algorithm distill_algorithm() {
  Algorithm a = actor_critic_algorithm(
      "distill", "teacher-student distillation: a state teacher (expert or a run) labels a pixel student's states (DAgger)",
      train_distill);
  a.agent_keys = {"net", "learning_rate", "max_grad_norm", "distill"};  // Adam; pixels are not normalized
  a.check = check_distill;
  a.resume = Resume::restart;
  a.data_parallel = false;
  a.env_step_budget = false;  // agent.distill.rounds x steps_per_round
  return a;
}

}  // namespace dl::agents
