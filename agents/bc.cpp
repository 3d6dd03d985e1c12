// drivelab/agents: behaviour cloning, and PPO started from a behaviour-cloned policy.
//
// BC (agent.algo: bc) fits the same ActorCritic PPO trains, so PPO can start from it:
//   data          a dataset written by `drivelab collect` (data/dataset.h), or `expert:N`: N episodes of
//                 the scripted expert recorded on the run's own train env first (one config, no collect)
//   val_fraction  episodes held out (by episode, never by step: consecutive steps are near copies)
//   loss          negative log-likelihood of the recorded actions under the policy's distribution
//                 (Gaussian or categorical), minibatches of batch_size, Adam at learning_rate
//   epochs        at most this many passes; early stopping after `patience` epochs without a better
//                 validation loss, keeping the best weights
//   obs_noise, shift_pad   augmentation: Gaussian noise on normalized state observations, random shift
//                 (pad + crop, as DrQ/RAD) of pixel observations
//   observations  normalized with statistics of the training episodes, saved as the checkpoint's obs_norm,
//                 so `drivelab eval`, `collect --policy RUN` and PPO read them as from any run
// Logs losses/bc_train, losses/bc_val, losses/bc_val_mse per epoch and eval/return_mean on test tracks.
//
// PPO from BC (agent.algo: ppo with agent.init_from: RUN): the actor and the observation normalizer come
// from the BC run; the critic starts untrained, so value_warmup updates first fit only the critic on the
// BC policy's own rollouts (a random critic would give PPO meaningless advantages and wreck the actor in
// its first updates). Then an ordinary PPO run resumes from that state.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include <unistd.h>

#include "agents/actor.h"
#include "agents/checkpoint.h"
#include "agents/session.h"
#include "agents/algorithm.h"
#include "data/augment.h"
#include "data/collect.h"
#include "data/curate.h"
#include "data/dataset.h"
#include "envs/expert.h"
#include "envs/normalize.h"
#include "io/files.h"

namespace fs = std::filesystem;

namespace dl::agents {

namespace {

struct Pairs {
  torch::Tensor obs;      // [M, obs...] host: normalized float32, or raw uint8
  torch::Tensor actions;  // [M, A] host: raw actions (see policy.h)
  int64_t size() const { return obs.defined() ? obs.size(0) : 0; }
};

// Recorded env actions to the policy's raw actions.
torch::Tensor raw_actions(const torch::Tensor& env_actions, const envs::ActionSpec& spec, bool squash) {
  if (spec.discrete || !squash) return env_actions;
  const auto low = torch::tensor(spec.box.low), high = torch::tensor(spec.box.high);
  const auto unit =
      ((env_actions - low) / (high - low) * 2 - 1).clamp(-1 + kSquashTargetEdge, 1 - kSquashTargetEdge);
  return torch::atanh(unit);
}

Pairs make_pairs(const std::vector<data::Episode>& episodes, const std::vector<bool>& in_set, bool want,
                 const data::DatasetSpec& spec, const envs::ObsNormalizer* norm, bool squash) {
  int64_t m = 0;
  for (size_t i = 0; i < episodes.size(); ++i)
    if (in_set[i] == want) m += episodes[i].length();
  Pairs p;
  if (m == 0) return p;
  std::vector<int64_t> shape = {m};
  shape.insert(shape.end(), spec.observation.shape.begin(), spec.observation.shape.end());
  const bool pixels = spec.observation.dtype == envs::DType::u8;
  p.obs = torch::empty(shape, pixels ? torch::kUInt8 : torch::kFloat32);
  p.actions = torch::empty({m, spec.action_dim()}, torch::kFloat32);
  auto* obs_out = static_cast<uint8_t*>(p.obs.data_ptr());
  float* act_out = p.actions.data_ptr<float>();
  const size_t obs_bytes = spec.obs_bytes();
  for (size_t i = 0; i < episodes.size(); ++i) {
    if (in_set[i] != want) continue;
    const auto& e = episodes[i];
    // obs[t] is the state action[t] was taken in; the final observation has no action.
    const size_t n = static_cast<size_t>(e.length());
    std::copy_n(e.obs.data(), n * obs_bytes, obs_out);
    std::copy_n(e.actions.data(), e.actions.size(), act_out);
    obs_out += n * obs_bytes;
    act_out += e.actions.size();
  }
  if (norm) norm->normalize(p.obs.data_ptr<float>(), static_cast<int>(m));
  p.actions = raw_actions(p.actions, spec.action, squash);
  return p;
}

std::unique_ptr<envs::ObsNormalizer> fit_normalizer(const std::vector<data::Episode>& episodes,
                                                    const std::vector<bool>& is_val,
                                                    const data::DatasetSpec& spec, float clip) {
  const int dim = static_cast<int>(spec.observation.size());
  auto norm = std::make_unique<envs::ObsNormalizer>(dim, clip);
  for (size_t i = 0; i < episodes.size(); ++i)
    if (!is_val[i])
      norm->update(reinterpret_cast<const float*>(episodes[i].obs.data()), static_cast<int>(episodes[i].length() + 1));
  return norm;
}

// Mean NLL and mean squared error of the deterministic action over a set, in batches, without gradients.
std::pair<double, double> evaluate_loss(ActorCritic& policy, const Pairs& set, const envs::ActionSpec& spec,
                                        int64_t batch, torch::Device device) {
  torch::NoGradGuard no_grad;
  policy->eval();
  double nll = 0, mse = 0;
  for (int64_t start = 0; start < set.size(); start += batch) {
    const int64_t end = std::min(set.size(), start + batch);
    const auto obs = set.obs.slice(0, start, end).to(device);
    const auto act = set.actions.slice(0, start, end).to(device);
    nll += -policy->evaluate(obs, act).log_prob.sum().item<double>();
    const auto mean = policy->act(obs, /*deterministic=*/true).action;
    if (!spec.discrete) mse += (mean - act).pow(2).mean(1).sum().item<double>();
    else mse += (mean != act).to(torch::kFloat32).sum().item<double>();  // error rate for discrete
  }
  policy->train();
  return {nll / std::max<int64_t>(1, set.size()), mse / std::max<int64_t>(1, set.size())};
}

std::vector<torch::Tensor> snapshot(ActorCritic& policy) {
  std::vector<torch::Tensor> out;
  for (const auto& p : policy->parameters()) out.push_back(p.detach().clone());
  for (const auto& b : policy->buffers()) out.push_back(b.detach().clone());
  return out;
}

void restore(ActorCritic& policy, const std::vector<torch::Tensor>& saved) {
  torch::NoGradGuard no_grad;
  size_t i = 0;
  for (auto& p : policy->parameters()) p.copy_(saved[i++]);
  for (auto& b : policy->buffers()) b.copy_(saved[i++]);
}

// Augments one minibatch in place on the host.
void augment(torch::Tensor& obs, const AgentConfig& cfg, const data::DatasetSpec& spec, sim::Rng& rng) {
  if (spec.observation.dtype == envs::DType::u8) {
    if (cfg.bc.shift_pad <= 0) return;
    const auto& s = spec.observation.shape;  // [H, W, C] or [K, H, W, C]
    data::ImageLayout layout;
    layout.frames = s.size() == 4 ? static_cast<int>(s[0]) : 1;
    layout.height = static_cast<int>(s[s.size() - 3]);
    layout.width = static_cast<int>(s[s.size() - 2]);
    layout.channels = static_cast<int>(s[s.size() - 1]);
    data::random_shift(obs.data_ptr<uint8_t>(), static_cast<int>(obs.size(0)), layout, cfg.bc.shift_pad, rng);
  } else {
    data::gaussian_noise(obs.data_ptr<float>(), obs.numel(), cfg.bc.obs_noise, rng);
  }
}

void save_bc(const TrainJob& job, ActorCritic& policy, torch::optim::Optimizer& optimizer,
             const envs::ObsNormalizer* norm, int64_t step, double eval_return, bool has_eval) {
  if (job.run_dir.empty()) return;
  CheckpointData d = checkpoint_data(job, step);
  d.best_eval_return = eval_return;
  d.has_best_eval = has_eval;
  if (norm) d.obs_norm = norm->state();
  const fs::path dir = fs::path(job.run_dir) / "checkpoints";
  fs::create_directories(dir);
  // BC keeps its best weights already (early stopping), so best and latest are the same model.
  save_checkpoint((dir / "latest.pt").string(), policy, &optimizer, d);
  save_checkpoint((dir / "best.pt").string(), policy, &optimizer, d);
}

// Epochs of minibatch NLL on `train`, early-stopped on `val`; leaves the best weights in the policy.
struct FitResult {
  double best_val = std::numeric_limits<double>::infinity();
  int64_t seen = 0;  // samples processed
};

FitResult fit(ActorCritic& policy, torch::optim::Optimizer& optimizer, const Pairs& train_set, const Pairs& val_set,
              const AgentConfig& cfg, const data::DatasetSpec& spec, torch::Device device, sim::Rng& augment_rng,
              MetricsSink* metrics, int64_t seen_before, int64_t total) {
  FitResult fit;
  fit.seen = seen_before;
  const int64_t batch = std::min<int64_t>(cfg.bc.batch_size, train_set.size());
  std::vector<torch::Tensor> best_weights = snapshot(policy);
  int stale = 0;
  for (int epoch = 0; epoch < cfg.bc.epochs && stale < cfg.bc.patience; ++epoch) {
    const auto order = torch::randperm(train_set.size(), torch::kLong);
    double loss_sum = 0;
    int64_t batches = 0;
    for (int64_t start = 0; start + batch <= train_set.size(); start += batch) {
      const auto idx = order.slice(0, start, start + batch);
      torch::Tensor obs = train_set.obs.index_select(0, idx);
      augment(obs, cfg, spec, augment_rng);
      const auto act = train_set.actions.index_select(0, idx).to(device);
      const auto loss = -policy->evaluate(obs.to(device), act).log_prob.mean();
      optimizer.zero_grad();
      loss.backward();
      if (cfg.max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(policy->parameters(), cfg.max_grad_norm);
      optimizer.step();
      loss_sum += loss.item<double>();
      ++batches;
      fit.seen += batch;
    }
    const double train_loss = loss_sum / std::max<int64_t>(1, batches);
    if (!std::isfinite(train_loss))
      throw std::runtime_error("bc: the training loss became non-finite at epoch " + std::to_string(epoch + 1));
    const auto [val_loss, val_mse] = evaluate_loss(policy, val_set, spec.action, 4096, device);
    if (val_loss < fit.best_val) {
      fit.best_val = val_loss;
      best_weights = snapshot(policy);
      stale = 0;
    } else {
      ++stale;
    }
    if (metrics) {
      metrics->scalar(fit.seen, "losses/bc_train", train_loss);
      metrics->scalar(fit.seen, "losses/bc_val", val_loss);
      metrics->scalar(fit.seen, spec.action.discrete ? "losses/bc_val_error_rate" : "losses/bc_val_mse", val_mse);
      metrics->end_update(fit.seen, total);
    }
  }
  restore(policy, best_weights);
  return fit;
}

// Mean return of the policy on test tracks (evaluate_during_training), ending the metrics row.
double evaluate_on_test(ActorCritic& policy, const envs::ObsNormalizer* norm, const TrainJob& job,
                        torch::Device device, int64_t step, int64_t total) {
  policy->eval();
  const auto probe = env_factory_or_default(job.env_factory)(job.env, 0);
  const std::shared_ptr<const envs::ObsNormalizer> frozen(norm, [](const envs::ObsNormalizer*) {});
  const auto actor = make_policy_actor(job.agent.algo, job.env, probe->observation_spec(), probe->action_spec(),
                                       policy, frozen, device);
  const double mean = evaluate_during_training(*actor, job, step, job.train.deterministic_eval);
  policy->train();
  if (job.metrics) job.metrics->end_update(step, total);
  return mean;
}

// agent.bc.data "expert:N": instead of a file, N episodes of the scripted expert recorded on the run's own
// train env before training, so one config trains without a `drivelab collect` step. Episode i resets
// with seed train.seed * 1,000,000 + i, exactly as `drivelab collect --policy expert --episodes N --seed
// <that>` with the same env would record them. Returns 0 for a file path.
constexpr const char* kExpertSource = "expert:";
constexpr uint64_t kExpertSeedStride = 1'000'000;

int expert_source_episodes(const std::string& data) {
  if (data.rfind(kExpertSource, 0) != 0) return 0;
  const std::string count = data.substr(std::string(kExpertSource).size());
  const bool digits = !count.empty() && count.size() <= 8 &&
                      std::all_of(count.begin(), count.end(), [](char c) { return c >= '0' && c <= '9'; });
  const int n = digits ? std::stoi(count) : 0;
  if (n < 2)
    throw io::InputError("agent.bc.data: '" + data + "': expert:N needs N >= 2 episodes (train and validation)");
  return n;
}

std::vector<data::Episode> record_expert(const TrainJob& job, int episodes, data::DatasetSpec* spec) {
  envs::EnvConfig env = job.env;
  env.tracks = "train";
  const auto probe = env_factory_or_default(job.env_factory)(env, 0);
  if (!envs::find_world(*probe))
    throw io::InputError("agent.bc.data: expert:N needs a driving env (env '" + env.id + "' exposes no world)");
  data::ExpertPolicy expert(probe->action_spec(), envs::expert_params());
  data::CollectOptions o;
  o.episodes = episodes;
  o.seed = job.train.seed * kExpertSeedStride;
  o.notes = "recorded by agent.bc.data: expert:" + std::to_string(episodes);
  // data::collect writes a file; it lives only until it has been read back.
  const fs::path path = fs::temp_directory_path() /
                        ("drivelab_expert_" + std::to_string(::getpid()) + "_" + std::to_string(job.train.seed) + ".dlds");
  struct Remove {
    fs::path p;
    ~Remove() {
      std::error_code ec;
      fs::remove(p, ec);
    }
  } remove{path};
  data::collect(env, expert, o, path.string());
  return data::read_all(path.string(), spec);
}

// What BC and DAgger start from: the dataset, checked against the env, its split and normalizer.
struct Demonstrations {
  data::DatasetSpec spec;
  std::vector<data::Episode> episodes;
  std::vector<bool> is_val;
  std::unique_ptr<envs::ObsNormalizer> norm;
};

Demonstrations load_demonstrations(const TrainJob& job, const envs::Env& probe) {
  const AgentConfig& cfg = job.agent;
  if (cfg.bc.data.empty())
    throw io::InputError("agent.bc.data: " + cfg.algo + " needs a dataset (drivelab collect --out FILE)");
  Demonstrations d;
  try {
    if (const int n = expert_source_episodes(cfg.bc.data)) d.episodes = record_expert(job, n, &d.spec);
    else d.episodes = data::read_all(cfg.bc.data, &d.spec);
  } catch (const data::DatasetError& e) {
    throw io::InputError(std::string("agent.bc.data: ") + e.what());
  }
  if (d.episodes.size() < 2)
    throw io::InputError("agent.bc.data: " + cfg.bc.data + " has " + std::to_string(d.episodes.size()) +
                             " episode(s); behaviour cloning needs at least 2 (train and validation)");
  data::DatasetSpec env_spec;
  env_spec.observation = probe.observation_spec();
  env_spec.action = probe.action_spec();
  if (const std::string why = data::spec_mismatch(env_spec, d.spec); !why.empty())
    throw io::InputError("agent.bc.data: " + cfg.bc.data + " does not fit env '" + job.env.id + "': " + why);
  d.is_val = data::validation_mask(static_cast<int64_t>(d.episodes.size()), cfg.bc.val_fraction, job.train.seed);
  if (cfg.normalize_obs && d.spec.observation.dtype == envs::DType::f32)
    d.norm = fit_normalizer(d.episodes, d.is_val, d.spec, cfg.clip_obs);
  return d;
}

}  // namespace

TrainResult train_bc(const TrainJob& job) {
  const AgentConfig& cfg = job.agent;
  Stopwatch wall;
  auto probe = env_factory_or_default(job.env_factory)(job.env, 0);
  Demonstrations demo = load_demonstrations(job, *probe);
  set_torch_threads(job.train.torch_threads, probe->observation_spec().dtype == envs::DType::u8);
  torch::manual_seed(job.train.seed);
  const torch::Device device = resolve_device(job.train.device);
  ActorCritic policy(probe->observation_spec(), probe->action_spec(), cfg.net);
  policy->to(device);

  const bool squash = cfg.net.tanh_squash;
  const Pairs train_set = make_pairs(demo.episodes, demo.is_val, false, demo.spec, demo.norm.get(), squash);
  const Pairs val_set = make_pairs(demo.episodes, demo.is_val, true, demo.spec, demo.norm.get(), squash);
  demo.episodes.clear();
  demo.episodes.shrink_to_fit();
  if (train_set.size() == 0 || val_set.size() == 0)
    throw io::InputError("agent.bc.data: the split left no steps for training or validation (agent.bc.val_fraction " +
                             std::to_string(cfg.bc.val_fraction) + ")");

  torch::optim::Adam optimizer(policy->parameters(), torch::optim::AdamOptions(cfg.learning_rate));
  sim::Rng augment_rng(job.train.seed ^ 0xB0Cull);
  const int64_t total = static_cast<int64_t>(cfg.bc.epochs) * train_set.size();
  const FitResult fitted = fit(policy, optimizer, train_set, val_set, cfg, demo.spec, device, augment_rng,
                               job.metrics, 0, total);
  if (job.metrics) job.metrics->scalar(fitted.seen, "losses/bc_best_val", fitted.best_val);

  TrainResult result;
  result.steps = fitted.seen;
  const bool has_eval = job.train.eval_episodes > 0;
  if (has_eval)
    result.final_eval_return = result.best_eval_return =
        evaluate_on_test(policy, demo.norm.get(), job, device, fitted.seen, total);
  save_bc(job, policy, optimizer, demo.norm.get(), fitted.seen, result.final_eval_return, has_eval);
  result.wall_s = wall.seconds();
  return result;
}

namespace {

// One DAgger episode on a train track: the executed action is the expert's with probability beta and the
// learner's otherwise; every visited state is labelled with the expert's action.
data::Episode dagger_episode(envs::Env& env, ActorCritic& policy, const envs::ObsNormalizer* norm,
                             const data::DatasetSpec& spec, double beta, sim::Rng& rng, uint64_t seed,
                             torch::Device device) {
  const sim::World* world = envs::find_world(env);
  if (!world) throw std::runtime_error("dagger: the expert needs a driving env (this env exposes no world)");
  if (!spec.action.discrete && spec.action_dim() != 3)
    throw std::runtime_error("dagger: the expert labels (steer, gas, brake) actions, the env has " +
                             std::to_string(spec.action_dim()));
  envs::ExpertDriver expert;
  const size_t obs_bytes = spec.obs_bytes();
  const int dim = spec.action_dim();
  data::Episode e;
  e.meta.policy = "dagger";
  e.meta.env_id = env.id();
  e.meta.seed = seed;
  e.obs.resize(obs_bytes);
  envs::Info info;
  env.reset(seed, e.obs.data(), info);
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), spec.observation.shape.begin(), spec.observation.shape.end());
  std::vector<uint8_t> current(obs_bytes), next(obs_bytes);
  std::copy_n(e.obs.data(), obs_bytes, current.data());
  std::vector<float> label(dim), executed(dim);
  for (;;) {
    const sim::Action a = expert.act(*world);
    if (spec.action.discrete) label[0] = static_cast<float>(data::nearest_discrete_action(a.steer, a.gas, a.brake));
    else label = {a.steer, a.gas, a.brake};
    if (rng.uniform() < beta) {
      executed = label;
    } else {
      torch::NoGradGuard no_grad;
      torch::Tensor input;
      if (spec.observation.dtype == envs::DType::u8) {
        input = torch::from_blob(current.data(), shape, torch::kUInt8).clone();
      } else {
        std::vector<float> x(reinterpret_cast<const float*>(current.data()),
                             reinterpret_cast<const float*>(current.data()) + spec.observation.size());
        if (norm) norm->normalize(x.data(), 1);
        input = torch::from_blob(x.data(), shape, torch::kFloat32).clone();
      }
      const auto out = policy->act(input.to(device), /*deterministic=*/true).env_action.to(torch::kCPU).contiguous();
      std::copy_n(out.data_ptr<float>(), dim, executed.data());
    }
    const envs::StepResult r = env.step(executed.data(), next.data(), info);
    e.actions.insert(e.actions.end(), label.begin(), label.end());
    e.rewards.push_back(r.reward);
    e.terminated.push_back(r.terminated);
    e.truncated.push_back(r.truncated);
    e.obs.insert(e.obs.end(), next.begin(), next.end());
    e.meta.episode_return += r.reward;
    current.swap(next);
    if (r.terminated || r.truncated) break;
  }
  return e;
}

}  // namespace

// DAgger (Ross et al. 2011) with the scripted expert as the labeller: behaviour cloning on the dataset,
// then agent.dagger.iterations rounds of driving with the learner (mixed with the expert with probability
// 0.5^round), labelling every visited state with the expert's action, aggregating and refitting. The
// validation set stays the dataset's held-out expert episodes, so losses are comparable across rounds.
TrainResult train_dagger(const TrainJob& job) {
  const AgentConfig& cfg = job.agent;
  Stopwatch wall;
  const auto factory = env_factory_or_default(job.env_factory);
  auto env = factory(job.env, 0);
  Demonstrations demo = load_demonstrations(job, *env);
  set_torch_threads(job.train.torch_threads, env->observation_spec().dtype == envs::DType::u8);
  torch::manual_seed(job.train.seed);
  const torch::Device device = resolve_device(job.train.device);
  ActorCritic policy(env->observation_spec(), env->action_spec(), cfg.net);
  policy->to(device);
  const bool squash = cfg.net.tanh_squash;
  const Pairs val_set = make_pairs(demo.episodes, demo.is_val, true, demo.spec, demo.norm.get(), squash);
  if (val_set.size() == 0) throw io::InputError("agent.bc.data: the split left no validation steps");

  torch::optim::Adam optimizer(policy->parameters(), torch::optim::AdamOptions(cfg.learning_rate));
  sim::Rng rng(job.train.seed ^ 0xDA66E2ull);
  // For the progress line only: the aggregate grows each round, so this is an estimate.
  const int64_t total = static_cast<int64_t>(cfg.bc.epochs) * (cfg.dagger.iterations + 1) *
                        static_cast<int64_t>(std::count(demo.is_val.begin(), demo.is_val.end(), false)) *
                        job.env.max_steps;
  int64_t seen = 0;
  double eval_return = 0;
  uint64_t episode_seed = job.train.seed * 1'000'003ull;
  for (int round = 0; round <= cfg.dagger.iterations; ++round) {
    if (round > 0) {
      const double beta = std::pow(0.5, round);
      policy->eval();
      int64_t steps = 0;
      double ret = 0;
      for (int k = 0; k < cfg.dagger.episodes; ++k) {
        demo.episodes.push_back(dagger_episode(*env, policy, demo.norm.get(), demo.spec, beta, rng, ++episode_seed, device));
        demo.is_val.push_back(false);
        steps += demo.episodes.back().length();
        ret += demo.episodes.back().meta.episode_return;
      }
      policy->train();
      if (job.metrics) {
        job.metrics->scalar(seen, "charts/dagger_round", round);
        job.metrics->scalar(seen, "charts/dagger_beta", beta);
        job.metrics->scalar(seen, "charts/episodic_return", ret / std::max(1, cfg.dagger.episodes));
        job.metrics->scalar(seen, "charts/dagger_labelled_steps", static_cast<double>(steps));
      }
    }
    const Pairs train_set = make_pairs(demo.episodes, demo.is_val, false, demo.spec, demo.norm.get(), squash);
    seen = fit(policy, optimizer, train_set, val_set, cfg, demo.spec, device, rng, job.metrics, seen, total).seen;
    if (job.train.eval_episodes > 0) eval_return = evaluate_on_test(policy, demo.norm.get(), job, device, seen, total);
  }
  save_bc(job, policy, optimizer, demo.norm.get(), seen, eval_return, job.train.eval_episodes > 0);
  TrainResult result;
  result.steps = seen;
  result.final_eval_return = result.best_eval_return = eval_return;
  result.wall_s = wall.seconds();
  return result;
}

namespace {

// BC and DAgger differ in how they train; both fit an actor-critic to a dataset (at least a train and a
// validation episode) and load like any actor-critic run.
Algorithm imitation_algorithm(std::string name, std::string summary, TrainResult (*train)(const TrainJob&)) {
  Algorithm a = actor_critic_algorithm(std::move(name), std::move(summary), train);
  // Adam without annealing: the optimizer keys are not read. Callers add their own section (dagger).
  a.agent_keys = {"net", "learning_rate", "max_grad_norm", "normalize_obs", "clip_obs", "bc"};
  a.check = [](const TrainJob& job, const envs::Env& probe) {
    check_policy_net(job, probe);
    if (expert_source_episodes(job.agent.bc.data) == 0) check_dataset(job, probe, job.agent.bc.data, "agent.bc.data", 2);
  };
  a.resume = Resume::restart;
  a.data_parallel = false;
  a.env_step_budget = false;  // epochs (and DAgger's rounds)
  return a;
}

}  // namespace

Algorithm bc_algorithm() {
  return imitation_algorithm("bc", "behaviour cloning from a dataset (agent.bc.data), validation split, augmentation",
                             train_bc);
}

Algorithm dagger_algorithm() {
  Algorithm a = imitation_algorithm("dagger",
                                    "DAgger: BC, then rounds of the learner's own states labelled by the scripted expert",
                                    train_dagger);
  a.agent_keys.push_back("dagger");
  return a;
}

}  // namespace dl::agents
