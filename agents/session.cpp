// drivelab/agents: the Session every gradient-based algorithm shares (session.h).
#include "agents/session.h"

#include "agents/actor.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "agents/distributed.h"
#include "io/files.h"

namespace dl::agents {

namespace {

// Seeds for the envs: training starts at train.seed; a resumed run and every REINFORCE batch start fresh
// episodes from a seed mixed with the update counter, so no two updates replay the same episodes.
uint64_t env_seed(uint64_t seed, int64_t update) {
  return update == 0 ? seed : seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(update);
}
}  // namespace

ActorCritic build_policy(const envs::EnvConfig& env, const NetConfig& net, const EnvFactory& factory_in,
                         int torch_threads) {
  auto probe = env_factory_or_default(factory_in)(env, 0);
  if (torch_threads >= 0) set_torch_threads(torch_threads, probe->observation_spec().dtype == envs::DType::u8);
  return ActorCritic(probe->observation_spec(), probe->action_spec(), net, road_ahead_outputs(env, net));
}

std::unique_ptr<envs::ObsNormalizer> normalizer_from_state(const std::vector<double>& state, float clip) {
  if (state.empty()) return nullptr;
  // state = [count, mean..., var...]
  const int dim = static_cast<int>((state.size() - 1) / 2);
  auto n = std::make_unique<envs::ObsNormalizer>(dim, clip);
  n->load_state(state);
  return n;
}


Session::Session(const TrainJob& job_in, std::string algo_in, const PolicyGradientConfig& pg_in,
                 int64_t rollout_capacity)
    : job(job_in), algo(std::move(algo_in)), pg(pg_in), device(dist::join_from_env(resolve_device(job_in.train.device))) {
  if (job.train.num_envs < 1) throw io::InputError("train.num_envs must be at least 1");
  // One place seeds everything torch draws: weight init, action sampling, minibatch shuffles.
  torch::manual_seed(job.train.seed);
  if (device.is_cuda()) torch::cuda::manual_seed_all(job.train.seed);
  policy = build_policy(job.env, job.agent.net, job.env_factory, job.train.torch_threads);
  policy->to(device);
  rollout = std::make_unique<Rollout>(job, pg, policy, device, rollout_capacity);
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
  dist::all_reduce_mean(flat_grads_);  // data-parallel: every rank steps with the mean gradient (no-op alone)
  clip_grad_norm(max_grad_norm);
  optimizer->step();
}

void Session::actor_critic_step(const torch::Tensor& pg_loss, const torch::Tensor& value_loss,
                                const torch::Tensor& entropy, double learning_rate) {
  gradient_step(pg_loss - pg.ent_coef * entropy + pg.vf_coef * value_loss, job.agent.max_grad_norm);
  scalar("charts/learning_rate", learning_rate);
  scalar("losses/policy", pg_loss.item<double>());
  scalar("losses/value", value_loss.item<double>());
  scalar("losses/entropy", entropy.item<double>());
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
  if (dist::active() && dist::rank() == 0)
    std::printf("data-parallel: %d ranks on %s; one all-reduce of %lld gradients (%.1f KiB) per gradient step\n",
                dist::world_size(), device.is_cuda() ? "cuda (nccl)" : "cpu (gloo)",
                static_cast<long long>(flat_grads_.numel()), flat_grads_.numel() * 4 / 1024.0);
  std::fflush(stdout);
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
  const int64_t taken = rollout->collect(steps, first_episode_only);
  EpisodeSummary e = rollout->episodes();
  std::vector<double> sums{static_cast<double>(taken), static_cast<double>(e.count),
                           e.return_sum, e.length_sum, static_cast<double>(e.laps)};
  dist::all_reduce_sum(sums);  // data-parallel: steps and episodes of every rank (no-op alone)
  global_step += static_cast<int64_t>(sums[0]);
  e.count = static_cast<int>(sums[1]);
  e.return_sum = sums[2];
  e.length_sum = sums[3];
  e.laps = static_cast<int>(sums[4]);
  if (e.count > 0) {
    // The mean over the episodes that ended during this rollout: one row per update in metrics.csv.
    scalar("charts/episodic_return", e.mean_return());
    scalar("charts/episodic_length", e.mean_length());
    scalar("charts/episodes", e.count);
  }
}

void Session::scalar(const std::string& name, double value) { pending_.emplace_back(name, value); }


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
  // Data-parallel: rank 0 alone evaluates and writes (the others wait at their next collective).
  const bool eval_due = job.train.eval_episodes > 0 && dist::rank() == 0 &&
                        (passed_multiple(job.train.eval_every_steps, before, global_step) || done());
  if (eval_due) evaluate_now();
  const bool checkpoint_due = passed_multiple(job.train.checkpoint_every_steps, before, global_step) || done();
  if (checkpoint_due) dist::check_identical(flat_params_, global_step);  // data-parallel only
  if (!job.run_dir.empty() && checkpoint_due) {
    if (job.metrics) job.metrics->before_checkpoint(global_step);
    save("latest.pt");
  }
  if (job.metrics) job.metrics->end_update(global_step, job.train.total_steps);
  update_start_s_ = wall_.seconds();
  env_s_mark_ = rollout->env_seconds();
  inference_s_mark_ = rollout->inference_seconds();
}

void Session::evaluate_now() {
  policy->eval();
  // The live normalizer, frozen while the episodes run (the actor only reads it).
  const std::shared_ptr<const envs::ObsNormalizer> obs_norm(rollout->obs_normalizer(), [](const envs::ObsNormalizer*) {});
  const auto actor = make_policy_actor(algo, job.env, rollout->observation_spec(), rollout->action_spec(), policy,
                                       obs_norm, device);
  const double mean = evaluate_during_training(*actor, job, global_step, job.train.deterministic_eval);
  policy->train();
  last_eval_ = mean;
  has_eval_ = true;
  if (!has_best_ || mean > best_eval_) {
    has_best_ = true;
    best_eval_ = mean;
    if (!job.run_dir.empty()) save("best.pt");
  }
}

void Session::save(const std::string& name) {
  if (dist::rank() != 0) return;
  {
    torch::NoGradGuard no_grad;
    for (const auto& p : policy->parameters())
      if (!torch::isfinite(p).all().item<bool>())
        throw std::runtime_error("the model has non-finite weights at step " + std::to_string(global_step) +
                                 ": not writing " + checkpoint_path(name) + "; the last good one was kept");
  }
  CheckpointData d = checkpoint_data(job, global_step);
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

}  // namespace dl::agents
