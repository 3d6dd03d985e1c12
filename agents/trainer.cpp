// drivelab/agents: train() dispatch, the Session every algorithm shares, and evaluate().
#include "agents/trainer.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "agents/checkpoint.h"
#include "agents/decision_transformer.h"
#include "agents/session.h"
#include "data/dataset.h"
#include "io/files.h"

namespace dl::agents {

TrainResult train_ppo(const TrainJob& job);
TrainResult train_a2c(const TrainJob& job);
TrainResult train_reinforce(const TrainJob& job);
TrainResult train_bc(const TrainJob& job);             // agents/bc.cpp
TrainResult train_dagger(const TrainJob& job);         // agents/bc.cpp
TrainResult train_ppo_from_init(const TrainJob& job);  // agents/bc.cpp: ppo with agent.init_from
TrainResult train_decision_transformer(const TrainJob& job);  // agents/decision_transformer.cpp
TrainResult train_track_gan(const TrainJob& job);             // agents/track_gan.cpp
TrainResult train_world_model(const TrainJob& job);           // agents/world_model_stages.cpp

TrainResult train(const TrainJob& job) {
  if (job.agent.net.policy == "gtrxl" && job.agent.algo != "ppo")
    throw io::InputError("agent.net.policy: gtrxl (a recurrent policy) trains with agent.algo: ppo only, not " +
                             job.agent.algo);
  if (job.agent.algo == "ppo" && !job.agent.init_from.empty()) return train_ppo_from_init(job);
  if (job.agent.algo == "bc") return train_bc(job);
  if (job.agent.algo == "dagger") return train_dagger(job);
  if (job.agent.algo == "ppo") return train_ppo(job);
  if (job.agent.algo == "a2c") return train_a2c(job);
  if (job.agent.algo == "reinforce") return train_reinforce(job);
  if (job.agent.algo == "decision_transformer") return train_decision_transformer(job);
  if (job.agent.algo == "track_gan") return train_track_gan(job);
  if (job.agent.algo == "world_model") return train_world_model(job);
  throw io::InputError("agent.algo: unknown algorithm '" + job.agent.algo +
                           "' (expected ppo, a2c, reinforce, bc, dagger, decision_transformer, track_gan or world_model)");
}

std::string init_checkpoint_path(const std::string& target);  // agents/bc.cpp

bool resumes_from_latest(const std::string& algo) {
  return algo == "ppo" || algo == "a2c" || algo == "reinforce" || algo == "track_gan";
}

void check_train_job(const TrainJob& job) {
  const AgentConfig& agent = job.agent;
  auto first_line = [](const std::string& text) { return text.substr(0, text.find('\n')); };
  resolve_device(job.train.device);
  if (agent.net.policy == "gtrxl" && agent.algo != "ppo")
    throw io::InputError("agent.net.policy: gtrxl (a recurrent policy) trains with agent.algo: ppo only, not " +
                         agent.algo);
  if (agent.algo == "decision_transformer" && agent.d_model % agent.n_heads != 0)
    throw io::InputError("agent.n_heads: " + std::to_string(agent.n_heads) + " does not divide agent.d_model " +
                         std::to_string(agent.d_model));
  // The env as the run builds it: bad track files, generator files and env options are found here.
  std::unique_ptr<envs::Env> probe;
  try {
    probe = env_factory_or_default(job.env_factory)(job.env, 0);
  } catch (const std::exception& e) {
    throw io::InputError("env: " + first_line(e.what()));
  }
  const bool actor_critic = agent.algo == "ppo" || agent.algo == "a2c" || agent.algo == "reinforce" ||
                            agent.algo == "bc" || agent.algo == "dagger";
  if (actor_critic) {
    try {
      torch::NoGradGuard no_grad;
      ActorCritic(probe->observation_spec(), probe->action_spec(), agent.net);
    } catch (const std::exception& e) {
      throw io::InputError("agent.net: " + first_line(e.what()));
    }
  }
  if (agent.algo == "bc" || agent.algo == "dagger" || agent.algo == "decision_transformer") {
    if (agent.data.empty())
      throw io::InputError("agent.data: " + agent.algo + " needs a dataset (drivelab collect --out FILE)");
    try {
      data::DatasetReader reader(agent.data);  // the header and the index: a missing or damaged file fails here
      data::DatasetSpec env_spec;
      env_spec.observation = probe->observation_spec();
      env_spec.action = probe->action_spec();
      if (const std::string why = data::spec_mismatch(env_spec, reader.spec()); !why.empty())
        throw io::InputError(agent.data + " does not fit env '" + job.env.id + "': " + why);
      // Every chunk's CRC, one episode at a time: training reads them all anyway, and a damaged one found
      // then would leave a run folder behind.
      for (int64_t i = 0; i < reader.num_episodes(); ++i) reader.episode(i);
      if (agent.algo != "decision_transformer" && reader.num_episodes() < 2)
        throw io::InputError(agent.data + " has " + std::to_string(reader.num_episodes()) +
                             " episode(s); behaviour cloning needs at least 2 (train and validation)");
      if (reader.num_steps() == 0) throw io::InputError(agent.data + " has no steps");
    } catch (const io::InputError& e) {
      throw io::InputError(std::string("agent.data: ") + e.what());
    }
  }
  if (agent.algo == "ppo" && !agent.init_from.empty()) {
    const std::string source = init_checkpoint_path(agent.init_from);
    try {
      read_checkpoint_data(source);
      ActorCritic policy(probe->observation_spec(), probe->action_spec(), agent.net);
      load_checkpoint_state(source, policy, nullptr, /*restore_rng=*/false);  // the run's net must fit it
    } catch (const io::InputError& e) {
      throw io::InputError("agent.init_from: " + first_line(e.what()) +
                           " (agent.net must match the network of the run it starts from)");
    }
  }
}

namespace {

// Seeds for the envs: training starts at train.seed; a resumed run and every REINFORCE batch start fresh
// episodes from a seed mixed with the update counter, so no two updates replay the same episodes.
uint64_t env_seed(uint64_t seed, int64_t update) {
  return update == 0 ? seed : seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(update);
}
// Evaluation episodes use the same seeds every time, so evaluations along a run are comparable.
constexpr uint64_t kEvalSeedOffset = 1'000'003;

ActorCritic build_policy(const envs::EnvConfig& env, const NetConfig& net, const EnvFactory& factory_in,
                         int torch_threads = -1) {
  auto probe = env_factory_or_default(factory_in)(env, 0);
  if (torch_threads >= 0) set_torch_threads(torch_threads, probe->observation_spec().dtype == envs::DType::u8);
  return ActorCritic(probe->observation_spec(), probe->action_spec(), net);
}

std::unique_ptr<envs::ObsNormalizer> normalizer_from_state(const std::vector<double>& state, float clip) {
  if (state.empty()) return nullptr;
  // state = [count, mean..., var...]
  const int dim = static_cast<int>((state.size() - 1) / 2);
  auto n = std::make_unique<envs::ObsNormalizer>(dim, clip);
  n->load_state(state);
  return n;
}

}  // namespace

Session::Session(const TrainJob& job_in, std::string algo_in, int64_t rollout_capacity)
    : job(job_in), algo(std::move(algo_in)), device(resolve_device(job_in.train.device)) {
  if (job.train.num_envs < 1) throw io::InputError("train.num_envs must be at least 1");
  // One place seeds everything torch draws: weight init, action sampling, minibatch shuffles.
  torch::manual_seed(job.train.seed);
  if (device.is_cuda()) torch::cuda::manual_seed_all(job.train.seed);
  policy = build_policy(job.env, job.agent.net, job.env_factory, job.train.torch_threads);
  policy->to(device);
  rollout = std::make_unique<Rollout>(job, policy, device, rollout_capacity);
}

void Session::flatten_parameters() {
  torch::NoGradGuard no_grad;
  auto params = policy->parameters();
  int64_t total = 0;
  for (const auto& p : params) total += p.numel();
  auto options = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  flat_params_ = torch::empty({total}, options);
  flat_grads_ = torch::zeros({total}, options);
  int64_t offset = 0;
  for (auto& p : params) {
    const int64_t n = p.numel();
    auto slot = flat_params_.slice(0, offset, offset + n);
    slot.copy_(p.detach().reshape({n}));
    p.set_data(slot.view(p.sizes()));
    // Autograd accumulates into an existing gradient in place, so backward() fills flat_grads_.
    p.mutable_grad() = flat_grads_.slice(0, offset, offset + n).view(p.sizes());
    offset += n;
  }
  flat_params_.mutable_grad() = flat_grads_;
}

void Session::zero_grad() { flat_grads_.zero_(); }

void Session::gradient_step(const torch::Tensor& loss, double max_grad_norm) {
  zero_grad();
  loss.backward();
  clip_grad_norm(max_grad_norm);
  optimizer->step();
}

void Session::clip_grad_norm(double max_norm) {
  if (max_norm <= 0) return;
  torch::NoGradGuard no_grad;
  // clip_grad_norm_'s rule, without a host sync: scale = min(1, max_norm / (norm + 1e-6)).
  flat_grads_.mul_((max_norm / (flat_grads_.norm() + 1e-6)).clamp_max(1.0));
}

std::unique_ptr<torch::optim::Optimizer> Session::make_optimizer(const std::string& fallback,
                                                                 double adam_eps) {
  const std::string kind = job.agent.optimizer == "auto" ? fallback : job.agent.optimizer;
  if (kind != "adam" && kind != "rmsprop")
    throw io::InputError("agent.optimizer: unknown optimizer '" + kind + "' (expected adam or rmsprop)");
  flatten_parameters();
  std::vector<torch::Tensor> flat{flat_params_};
  if (kind == "adam")
    return std::make_unique<torch::optim::Adam>(flat, torch::optim::AdamOptions(job.agent.learning_rate).eps(adam_eps));
  if (kind == "rmsprop")
    // alpha 0.99 and eps 1e-5 as in the A2C paper's implementations (SB3, baselines)
    return std::make_unique<torch::optim::RMSprop>(
        flat, torch::optim::RMSpropOptions(job.agent.learning_rate).alpha(0.99).eps(1e-5));
  throw io::InputError("agent.optimizer: unknown optimizer '" + kind + "' (expected adam or rmsprop)");
}

std::string Session::checkpoint_path(const std::string& name) const {
  return (std::filesystem::path(job.run_dir) / "checkpoints" / name).string();
}

void Session::start(std::unique_ptr<torch::optim::Optimizer> opt) {
  optimizer = std::move(opt);
  if (job.resume) {
    if (job.run_dir.empty()) throw std::runtime_error("resume: the job has no run folder");
    const std::string path = checkpoint_path("latest.pt");
    CheckpointData data = read_checkpoint_data(path);
    if (data.algo != algo)
      throw CheckpointError("checkpoint " + path + ": written by " + data.algo + ", cannot resume with " + algo);
    load_checkpoint_state(path, policy, optimizer.get(), /*restore_rng=*/true);  // in place: views stay
    if (auto* n = rollout->obs_normalizer(); n && !data.obs_norm.empty()) n->load_state(data.obs_norm);
    if (auto* r = rollout->reward_scaler(); r && !data.reward_scaler.empty()) r->load_state(data.reward_scaler);
    global_step = data.global_step;
    update = data.update;
    has_best_ = data.has_best_eval;
    best_eval_ = data.best_eval_return;
  }
  start_step_ = last_logged_step_ = global_step;
  rollout->reset_envs(env_seed(job.train.seed, update));
  wall_ = Stopwatch();
  update_start_s_ = 0;
}

double Session::anneal_learning_rate() {
  double lr = job.agent.learning_rate;
  if (job.agent.anneal_lr) {
    const double frac = 1.0 - static_cast<double>(global_step) / static_cast<double>(job.train.total_steps);
    lr *= std::max(frac, 0.0);
  }
  for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
  return lr;
}

void Session::reset_envs_for_update() { rollout->reset_envs(env_seed(job.train.seed, update + 1)); }

void Session::collect(int64_t steps, bool first_episode_only) {
  global_step += rollout->collect(steps, first_episode_only);
  const auto& e = rollout->episodes();
  if (e.count > 0) {
    // The mean over the episodes that ended during this rollout: one row per update in metrics.csv.
    scalar("charts/episodic_return", e.mean_return());
    scalar("charts/episodic_length", e.mean_length());
    scalar("charts/episodes", e.count);
  }
}

void Session::scalar(const std::string& name, double value) { pending_.emplace_back(name, value); }

bool Session::crossed(int64_t every, int64_t before) const {
  return every > 0 && global_step / every != before / every;
}

void Session::end_update(double update_seconds) {
  ++update;
  for (const auto& [name, value] : pending_)
    if (!std::isfinite(value))
      throw std::runtime_error(name + " is " + std::to_string(value) + " at step " +
                               std::to_string(global_step) + " (update " + std::to_string(update) +
                               "): training stopped; the last good checkpoint" +
                               (job.run_dir.empty() ? "" : " " + checkpoint_path("latest.pt")) +
                               " was kept. Try a lower learning rate or max_grad_norm.");
  const double now = wall_.seconds();
  const double span = std::max(now - update_start_s_, 1e-9);
  const double env_s = rollout->env_seconds() - env_s_mark_;
  const double inference_s = rollout->inference_seconds() - inference_s_mark_;
  scalar("charts/SPS", static_cast<double>(global_step - start_step_) / std::max(now, 1e-9));
  scalar("time/env_share", env_s / span);
  scalar("time/inference_share", inference_s / span);
  scalar("time/update_share", update_seconds / span);
  if (job.metrics)
    for (const auto& [name, value] : pending_) job.metrics->scalar(global_step, name, value);
  pending_.clear();

  const int64_t before = last_logged_step_;
  last_logged_step_ = global_step;
  const bool eval_due = job.train.eval_episodes > 0 && (crossed(job.train.eval_every, before) || done());
  if (eval_due) evaluate_now();
  if (!job.run_dir.empty() && (crossed(job.train.checkpoint_every, before) || done())) {
    if (job.metrics) job.metrics->before_checkpoint(global_step);
    save("latest.pt");
  }
  if (job.metrics) job.metrics->end_update(global_step, job.train.total_steps);
  update_start_s_ = wall_.seconds();
  env_s_mark_ = rollout->env_seconds();
  inference_s_mark_ = rollout->inference_seconds();
}

void Session::evaluate_now() {
  envs::EnvConfig env = job.env;
  env.tracks = "test";
  policy->eval();
  EvalResult r = run_episodes(policy, rollout->obs_normalizer(), env, job.env_factory,
                              job.train.eval_episodes, job.train.seed + kEvalSeedOffset,
                              job.train.deterministic_eval, device, job.train.num_threads);
  policy->train();
  double mean = 0;
  for (double x : r.returns) mean += x;
  mean /= std::max<size_t>(r.returns.size(), 1);
  last_eval_ = mean;
  has_eval_ = true;
  if (job.metrics) {
    job.metrics->scalar(global_step, "eval/return_mean", mean);
    job.metrics->scalar(global_step, "eval/laps", r.laps_completed);
  }
  if (!has_best_ || mean > best_eval_) {
    has_best_ = true;
    best_eval_ = mean;
    if (!job.run_dir.empty()) save("best.pt");
  }
}

void Session::save(const std::string& name) {
  {
    torch::NoGradGuard no_grad;
    for (const auto& p : policy->parameters())
      if (!torch::isfinite(p).all().item<bool>())
        throw std::runtime_error("the model has non-finite weights at step " + std::to_string(global_step) +
                                 ": not writing " + checkpoint_path(name) + "; the last good one was kept");
  }
  CheckpointData d;
  d.env = job.env;
  d.agent = job.agent;
  d.train = job.train;
  d.resolved_config = job.resolved_config;
  d.global_step = global_step;
  d.update = update;
  d.best_eval_return = best_eval_;
  d.has_best_eval = has_best_;
  d.algo = algo;
  if (auto* n = rollout->obs_normalizer()) d.obs_norm = n->state();
  if (auto* r = rollout->reward_scaler()) d.reward_scaler = r->state();
  save_checkpoint(checkpoint_path(name), policy, optimizer.get(), d);
}

TrainResult Session::finish() {
  TrainResult r;
  r.steps = global_step;
  r.final_eval_return = has_eval_ ? last_eval_ : 0;
  r.best_eval_return = has_best_ ? best_eval_ : 0;
  r.wall_s = wall_.seconds();
  return r;
}

EvalResult evaluate(const std::string& checkpoint_path, const EvalOptions& options,
                    const envs::EnvConfig* env_override) {
  if (checkpoint_algo(checkpoint_path) == "decision_transformer") {
    DTCheckpoint dt = read_dt_checkpoint(checkpoint_path);
    envs::EnvConfig env = env_override ? *env_override : dt.env;
    if (!env_override) env.tracks = options.tracks;
    const torch::Device device = resolve_device(options.device);
    dt.model->to(device);
    return run_dt_episodes(dt.model, dt.runtime, env, options.env_factory, options.episodes, options.seed, device,
                           options.num_threads);
  }
  CheckpointData data = read_checkpoint_data(checkpoint_path);
  envs::EnvConfig env = env_override ? *env_override : data.env;
  if (!env_override) env.tracks = options.tracks;
  const torch::Device device = resolve_device(options.device);
  ActorCritic policy = build_policy(env, data.agent.net, options.env_factory, /*torch_threads=*/0);  // batched
  load_checkpoint_state(checkpoint_path, policy, nullptr, /*restore_rng=*/false);
  policy->to(device);
  policy->eval();
  auto obs_norm = normalizer_from_state(data.obs_norm, data.agent.clip_obs);
  torch::manual_seed(options.seed);  // sampled (non-deterministic) evaluation draws from it
  return run_episodes(policy, obs_norm.get(), env, options.env_factory, options.episodes, options.seed,
                      options.deterministic, device, options.num_threads);
}

}  // namespace dl::agents
