// drivelab/agents: Decision Transformer: model, dataset windows, evaluation, checkpoints, training entry
// (see decision_transformer.h).
#include "agents/decision_transformer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "agents/algorithm.h"
#include "agents/checkpoint.h"
#include "agents/rollout.h"
#include "envs/vector_env.h"
#include "io/files.h"

namespace fs = std::filesystem;

namespace dl::agents {

namespace {

// Token slots within a step: R_t, s_t, a_t.
constexpr int64_t kTokensPerStep = 3;
constexpr int64_t kStateToken = 1;
// States whose dataset std is below this are treated as constant (divided by 1, not by ~0).
constexpr double kMinStateStd = 1e-6;

bool finite_bounds(const envs::ActionSpec& spec) {
  if (spec.discrete || spec.box.low.empty() || spec.box.high.empty()) return false;
  for (size_t i = 0; i < spec.box.low.size(); ++i)
    if (!std::isfinite(spec.box.low[i]) || !std::isfinite(spec.box.high[i])) return false;
  return true;
}

}  // namespace

DTBatch DTBatch::to(torch::Device device) const {
  return {rtg.to(device), states.to(device), actions.to(device), timesteps.to(device), mask.to(device)};
}

// ---- model ------------------------------------------------------------------------------------------------

DecisionTransformerImpl::DecisionTransformerImpl(int64_t state_dim, const envs::ActionSpec& action_spec,
                                                 const DecisionTransformerOptions& options)
    : options_(options), state_dim_(state_dim), discrete_(action_spec.discrete) {
  if (options.context_length < 1) throw std::invalid_argument("decision transformer: context_length must be >= 1");
  if (options.transformer.memory_length != 0)
    throw std::invalid_argument("decision transformer: the transformer must have no memory (it sees K steps)");
  const int64_t d = options.transformer.d_model;
  action_dim_ = discrete_ ? 1 : action_spec.dim();
  num_actions_ = discrete_ ? action_spec.n : 0;
  const int64_t action_in = discrete_ ? num_actions_ : action_dim_;
  embed_rtg_ = register_module("embed_rtg", torch::nn::Linear(1, d));
  embed_state_ = register_module("embed_state", torch::nn::Linear(state_dim, d));
  embed_action_ = register_module("embed_action", torch::nn::Linear(action_in, d));
  embed_timestep_ = register_module("embed_timestep", torch::nn::Embedding(options.max_timestep, d));
  embed_norm_ = register_module("embed_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  transformer_ = register_module("transformer", GatedTransformer(options.transformer));
  head_ = register_module("head", torch::nn::Linear(d, discrete_ ? num_actions_ : action_dim_));
  bounded_ = finite_bounds(action_spec);
  if (bounded_) {
    const auto low = torch::tensor(action_spec.box.low), high = torch::tensor(action_spec.box.high);
    action_low_ = register_buffer("action_low", low);
    action_range_ = register_buffer("action_range", high - low);
  }
}

torch::Tensor DecisionTransformerImpl::embed_actions(const torch::Tensor& actions) {
  if (!discrete_) return embed_action_->forward(actions);
  const auto index = actions.squeeze(-1).to(torch::kLong).clamp(0, num_actions_ - 1);
  return embed_action_->forward(torch::one_hot(index, num_actions_).to(torch::kFloat32));
}

torch::Tensor DecisionTransformerImpl::forward(const DTBatch& batch, const torch::Tensor& starts) {
  const int64_t b = batch.states.size(0), k = batch.states.size(1), d = options_.transformer.d_model;
  const auto time = embed_timestep_(batch.timesteps.clamp(0, options_.max_timestep - 1));
  const auto tokens = torch::stack({embed_rtg_(batch.rtg.unsqueeze(-1)) + time,
                                    embed_state_(batch.states) + time, embed_actions(batch.actions) + time},
                                   2)
                          .view({b, k * kTokensPerStep, d});
  torch::Tensor token_starts;
  if (starts.defined())
    // A step's start marker goes on its R token, so its s and a tokens belong to the same episode.
    token_starts = torch::stack({starts, torch::zeros_like(starts), torch::zeros_like(starts)}, 2)
                       .view({b, k * kTokensPerStep});
  const auto h = transformer_->forward(embed_norm_(tokens), nullptr, token_starts).output;
  const auto at_states = h.view({b, k, kTokensPerStep, d}).select(2, kStateToken);
  auto out = head_(at_states);
  if (!discrete_ && bounded_) out = action_low_ + (torch::tanh(out) + 1) * 0.5 * action_range_;
  return out;
}

torch::Tensor DecisionTransformerImpl::loss(const DTBatch& batch) {
  const auto pred = forward(batch);
  const auto mask = batch.mask;
  const auto denom = mask.sum().clamp_min(1);
  if (discrete_) {
    const auto target = batch.actions.squeeze(-1).to(torch::kLong).clamp(0, num_actions_ - 1);
    const auto nll = -torch::log_softmax(pred, -1).gather(-1, target.unsqueeze(-1)).squeeze(-1);
    return (nll * mask).sum() / denom;
  }
  const auto se = (pred - batch.actions).pow(2).mean(-1);
  return (se * mask).sum() / denom;
}

torch::Tensor DecisionTransformerImpl::to_env_action(const torch::Tensor& prediction) const {
  if (discrete_) return prediction.argmax(-1, /*keepdim=*/true).to(torch::kFloat32);
  return prediction;
}

// ---- dataset ----------------------------------------------------------------------------------------------

DTDataset::DTDataset(const std::vector<data::Episode>& episodes, const data::DatasetSpec& spec) {
  if (spec.observation.dtype != envs::DType::f32)
    throw std::invalid_argument("decision transformer: needs float (vector) observations; pixel datasets are "
                                "not supported");
  state_dim_ = spec.observation.size();
  const int64_t action_dim = spec.action_dim();
  const size_t obs_bytes = spec.obs_bytes();
  int64_t total = 0;
  std::vector<double> weights;
  for (const auto& e : episodes) {
    if (e.length() == 0) continue;
    offsets_.push_back(total);
    lengths_.push_back(e.length());
    weights.push_back(static_cast<double>(e.length()));
    total += e.length();
  }
  if (total == 0) throw std::invalid_argument("decision transformer: the dataset has no steps");
  states_ = torch::empty({total, state_dim_});
  actions_ = torch::empty({total, action_dim});
  rtg_ = torch::empty({total});
  float* s = states_.data_ptr<float>();
  float* a = actions_.data_ptr<float>();
  float* r = rtg_.data_ptr<float>();
  double best = -std::numeric_limits<double>::infinity(), largest = 0;
  for (const auto& e : episodes) {
    const int64_t n = e.length();
    if (n == 0) continue;
    // obs[t] is where action t was taken; the final observation has no action and is not a DT step.
    std::memcpy(s, e.obs.data(), static_cast<size_t>(n) * obs_bytes);
    std::copy(e.actions.begin(), e.actions.end(), a);
    double to_go = 0;
    for (int64_t t = n - 1; t >= 0; --t) {
      to_go += e.rewards[t];
      r[t] = static_cast<float>(to_go);
    }
    best = std::max(best, to_go);
    largest = std::max(largest, std::abs(to_go));
    s += n * state_dim_;
    a += n * action_dim;
    r += n;
  }
  best_return = best;
  rtg_scale = largest > 0 ? largest : 1.0;
  rtg_ = rtg_ / rtg_scale;
  state_mean = states_.mean(0);
  state_std = states_.std(0, /*unbiased=*/false).clamp_min(kMinStateStd);
  state_std = torch::where(state_std <= kMinStateStd, torch::ones_like(state_std), state_std);
  states_ = (states_ - state_mean) / state_std;
  pick_episode_ = std::discrete_distribution<size_t>(weights.begin(), weights.end());
}

int64_t DTDataset::longest_episode() const {
  return lengths_.empty() ? 0 : *std::max_element(lengths_.begin(), lengths_.end());
}

DTBatch DTDataset::sample(int64_t batch, int64_t k, int64_t max_timestep, std::mt19937_64& rng) const {
  auto index = torch::empty({batch, k}, torch::kLong);
  auto timesteps = torch::empty({batch, k}, torch::kLong);
  auto mask = torch::empty({batch, k});
  auto* idx = index.data_ptr<int64_t>();
  auto* ts = timesteps.data_ptr<int64_t>();
  auto* m = mask.data_ptr<float>();
  auto pick = pick_episode_;
  for (int64_t i = 0; i < batch; ++i) {
    const size_t e = pick(rng);
    const int64_t start = std::uniform_int_distribution<int64_t>(0, lengths_[e] - 1)(rng);
    for (int64_t j = 0; j < k; ++j) {
      const bool real = start + j < lengths_[e];
      // Padding reads the window's first step (any valid row) and is zeroed below.
      idx[i * k + j] = offsets_[e] + (real ? start + j : start);
      ts[i * k + j] = real ? std::min(start + j, max_timestep - 1) : 0;
      m[i * k + j] = real ? 1.f : 0.f;
    }
  }
  const auto flat = index.flatten();
  DTBatch b;
  b.mask = mask;
  b.timesteps = timesteps;
  b.rtg = rtg_.index_select(0, flat).view({batch, k}) * mask;
  b.states = states_.index_select(0, flat).view({batch, k, state_dim_}) * mask.unsqueeze(-1);
  b.actions = actions_.index_select(0, flat).view({batch, k, -1}) * mask.unsqueeze(-1);
  return b;
}

// ---- evaluation -------------------------------------------------------------------------------------------

DTActor::DTActor(DecisionTransformer model, DTRuntime runtime, int envs, int64_t action_dim, torch::Device device)
    : model_(std::move(model)), runtime_(std::move(runtime)), device_(device), action_dim_(action_dim),
      hist_(envs) {
  mean_ = runtime_.state_mean.cpu();
  std_ = runtime_.state_std.cpu();
  for (int i = 0; i < envs; ++i) new_episode(i);
}

void DTActor::new_episode(int i) {
  hist_[i] = History();
  hist_[i].to_go = runtime_.target_return;
}

torch::Tensor DTActor::act(const float* raw_obs) {
  torch::InferenceMode inference;
  const int n = static_cast<int>(hist_.size());
  const int64_t k = model_->options().context_length, s_dim = model_->state_dim();
  const auto obs = torch::from_blob(const_cast<float*>(raw_obs), {n, s_dim}, torch::kFloat32);
  const auto states = (obs - mean_) / std_;
  DTBatch batch;
  batch.rtg = torch::zeros({n, k});
  batch.states = torch::zeros({n, k, s_dim});
  batch.actions = torch::zeros({n, k, action_dim_});
  batch.timesteps = torch::zeros({n, k}, torch::kLong);
  batch.mask = torch::zeros({n, k});
  auto starts = torch::zeros({n, k}, torch::kBool);
  for (int i = 0; i < n; ++i) {
    auto& h = hist_[i];
    h.rtg.push_back(torch::tensor(static_cast<float>(h.to_go / runtime_.rtg_scale)));
    h.states.push_back(states[i].clone());
    h.actions.push_back(torch::zeros({action_dim_}));  // a placeholder: a_t's token comes after s_t's
    h.timesteps.push_back(h.t);
    if (static_cast<int64_t>(h.states.size()) > k) {
      h.rtg.erase(h.rtg.begin());
      h.states.erase(h.states.begin());
      h.actions.erase(h.actions.begin());
      h.timesteps.erase(h.timesteps.begin());
    }
    const int64_t len = static_cast<int64_t>(h.states.size()), pad = k - len;
    for (int64_t j = 0; j < len; ++j) {
      batch.rtg[i][pad + j] = h.rtg[j];
      batch.states[i][pad + j] = h.states[j];
      batch.actions[i][pad + j] = h.actions[j];
      batch.timesteps[i][pad + j] = std::min(h.timesteps[j], model_->options().max_timestep - 1);
      batch.mask[i][pad + j] = 1;
    }
    starts[i][pad] = true;
  }
  const auto pred = model_->forward(batch.to(device_), starts.to(device_)).select(1, k - 1);
  const auto actions = model_->to_env_action(pred).cpu().contiguous();
  for (int i = 0; i < n; ++i) hist_[i].actions.back() = actions[i].clone();
  return actions;
}

void DTActor::observe(int i, float reward, bool episode_ended) {
  if (episode_ended) return new_episode(i);
  hist_[i].to_go -= reward;
  ++hist_[i].t;
}

namespace {

// The Decision Transformer as an Actor: one DTActor context per env, conditioned on the runtime's target
// return; deterministic always (it predicts actions, it does not sample them).
class DecisionTransformerActor final : public Actor {
 public:
  DecisionTransformerActor(DecisionTransformer model, DTRuntime runtime, const envs::EnvConfig& env,
                           const envs::ActionSpec& action_spec, torch::Device device)
      : model_(std::move(model)), runtime_(std::move(runtime)), env_(env), action_spec_(action_spec), device_(device) {}
  const std::string& algo() const override { return algo_; }
  const envs::EnvConfig& env_config() const override { return env_; }
  void check_spaces(const envs::Spec& observation, const envs::ActionSpec& action) const override {
    if (observation.dtype != envs::DType::f32 || observation.size() != model_->state_dim())
      throw io::InputError("the env's observations do not match the decision transformer's states (" +
                           std::to_string(model_->state_dim()) + " floats)");
    if (action.discrete != action_spec_.discrete || action.dim() != action_spec_.dim())
      throw io::InputError("the env's action set differs from the decision transformer's");
  }
  void reset(int n) override {
    n_ = n;
    actor_ = std::make_unique<DTActor>(model_, runtime_, n, action_spec_.dim(), device_);
  }
  torch::Tensor act(const torch::Tensor& obs, bool) override {
    const torch::Tensor host = obs.contiguous();
    return actor_->act(host.data_ptr<float>());
  }
  void observe(const float* rewards, const uint8_t* episode_ended) override {
    for (int i = 0; i < n_; ++i) actor_->observe(i, rewards[i], episode_ended[i] != 0);
  }

 private:
  std::string algo_ = "decision_transformer";
  DecisionTransformer model_;
  DTRuntime runtime_;
  envs::EnvConfig env_;
  envs::ActionSpec action_spec_;
  torch::Device device_;
  int n_ = 0;
  std::unique_ptr<DTActor> actor_;
};

}  // namespace

std::unique_ptr<Actor> make_dt_actor(DecisionTransformer model, DTRuntime runtime, const envs::EnvConfig& env,
                                     const envs::ActionSpec& action_spec, torch::Device device) {
  return std::make_unique<DecisionTransformerActor>(std::move(model), std::move(runtime), env, action_spec, device);
}

// ---- checkpoints ------------------------------------------------------------------------------------------

void save_dt_checkpoint(const std::string& path, DecisionTransformer& model, const DTRuntime& runtime,
                        const envs::EnvConfig& env, const AgentConfig& agent, const TrainConfig& train,
                        const envs::ActionSpec& action_spec) {
  const auto& o = model->options();
  const auto& t = o.transformer;
  torch::serialize::OutputArchive archive;
  archive.write("algo", c10::IValue(std::string("decision_transformer")));
  archive.write("config_text", c10::IValue(configs_to_text(env, agent, train)));
  archive.write("dt/shape", torch::tensor({model->state_dim(), o.context_length, o.max_timestep, t.d_model,
                                           t.n_heads, t.n_layers, t.d_ff, t.max_distance,
                                           static_cast<int64_t>(t.gated)}));
  archive.write("dt/gate_bias", c10::IValue(t.gate_bias));
  archive.write("dt/action", torch::tensor({static_cast<int64_t>(action_spec.discrete),
                                            static_cast<int64_t>(action_spec.n), action_spec.box.size()}));
  archive.write("dt/action_low", torch::tensor(action_spec.box.low.empty() ? std::vector<float>{0.f} : action_spec.box.low));
  archive.write("dt/action_high", torch::tensor(action_spec.box.high.empty() ? std::vector<float>{0.f} : action_spec.box.high));
  archive.write("dt/has_bounds", c10::IValue(!action_spec.box.low.empty()));
  archive.write("dt/state_mean", runtime.state_mean.cpu());
  archive.write("dt/state_std", runtime.state_std.cpu());
  archive.write("dt/rtg_scale", c10::IValue(runtime.rtg_scale));
  archive.write("dt/target_return", c10::IValue(runtime.target_return));
  torch::serialize::OutputArchive weights;
  model->save(weights);
  archive.write("model", weights);
  save_archive(archive, path);
}

DTCheckpoint read_dt_checkpoint(const std::string& path) {
  auto fail = [&](const std::string& what) -> CheckpointError {
    return CheckpointError("checkpoint " + path + ": " + what);
  };
  torch::serialize::InputArchive archive;
  load_archive(path, archive);
  auto read_value = [&](const std::string& key) {
    c10::IValue v;
    if (!archive.try_read(key, v)) throw fail("missing entry '" + key + "'");
    return v;
  };
  auto read_tensor = [&](const std::string& key) {
    torch::Tensor t;
    if (!archive.try_read(key, t)) throw fail("missing entry '" + key + "'");
    check_finite(path, key, t);
    return t;
  };
  if (read_value("algo").toStringRef() != "decision_transformer")
    throw fail("not a decision transformer checkpoint");
  DTCheckpoint c;
  try {
    configs_from_text(read_value("config_text").toStringRef(), c.env, c.agent, c.train);
  } catch (const std::runtime_error& e) {
    throw fail(e.what());
  }
  const auto shape = read_tensor("dt/shape");
  // The sizes of the model to build: checked before anything is allocated from them.
  constexpr int64_t kMaxSize[9] = {1 << 20, 4096, 1 << 24, 8192, 256, 256, 1 << 16, 1 << 16, 1};
  if (shape.scalar_type() != torch::kInt64 || shape.dim() != 1 || shape.numel() != 9)
    throw fail("tensor 'dt/shape' must hold 9 integers");
  const auto* s = shape.data_ptr<int64_t>();
  for (int i = 0; i < 9; ++i)
    if (s[i] < (i == 6 || i == 8 ? 0 : 1) || s[i] > kMaxSize[i])
      throw fail("tensor 'dt/shape' entry " + std::to_string(i) + " is " + std::to_string(s[i]) + ", out of range");
  DecisionTransformerOptions o;
  o.context_length = s[1];
  o.max_timestep = s[2];
  o.transformer.d_model = s[3];
  o.transformer.n_heads = s[4];
  o.transformer.n_layers = s[5];
  o.transformer.d_ff = s[6];
  o.transformer.max_distance = s[7];
  o.transformer.gated = s[8] != 0;
  o.transformer.gate_bias = read_value("dt/gate_bias").toDouble();
  const auto act = read_tensor("dt/action");
  if (act.scalar_type() != torch::kInt64 || act.numel() != 3 || act[1].item<int64_t>() < 0 ||
      act[1].item<int64_t>() > 1024 || act[2].item<int64_t>() < 1 || act[2].item<int64_t>() > 1024)
    throw fail("tensor 'dt/action' must hold 3 integers (discrete, n, dims) in range");
  envs::ActionSpec spec;
  spec.discrete = act[0].item<int64_t>() != 0;
  spec.n = static_cast<int>(act[1].item<int64_t>());
  spec.box.shape = {act[2].item<int64_t>()};
  if (read_value("dt/has_bounds").toBool()) {
    const auto low = read_tensor("dt/action_low").contiguous(), high = read_tensor("dt/action_high").contiguous();
    if (low.scalar_type() != torch::kFloat32 || high.scalar_type() != torch::kFloat32 ||
        low.numel() != act[2].item<int64_t>() || high.numel() != low.numel())
      throw fail("tensors 'dt/action_low' and 'dt/action_high' must hold one float per action dimension");
    spec.box.low.assign(low.data_ptr<float>(), low.data_ptr<float>() + low.numel());
    spec.box.high.assign(high.data_ptr<float>(), high.data_ptr<float>() + high.numel());
  }
  c.model = DecisionTransformer(s[0], spec, o);
  torch::serialize::InputArchive weights;
  if (!archive.try_read("model", weights)) throw fail("missing entry 'model'");
  try {
    c.model->load(weights);
  } catch (const c10::Error& e) {
    std::string msg = e.what();
    throw fail("the model does not match its stated sizes: " + io::first_line(msg));
  }
  check_module_finite(path, *c.model);
  c.runtime.state_mean = read_tensor("dt/state_mean");
  c.runtime.state_std = read_tensor("dt/state_std");
  if (c.runtime.state_mean.numel() != s[0] || c.runtime.state_std.numel() != s[0])
    throw fail("tensors 'dt/state_mean' and 'dt/state_std' must hold " + std::to_string(s[0]) + " values");
  c.runtime.rtg_scale = read_value("dt/rtg_scale").toDouble();
  c.runtime.target_return = read_value("dt/target_return").toDouble();
  return c;
}

// ---- training (agent.algo: decision_transformer) ----------------------------------------------------------

namespace {

// The DT paper's regularisation: dropout 0.1 and a little weight decay, with a linear warm-up of the
// learning rate (a transformer's first Adam steps are otherwise large enough to derail it).
constexpr double kDropout = 0.1;
constexpr double kWeightDecay = 1e-4;
constexpr int64_t kMaxWarmupSteps = 1000;
// Metric rows per run: losses are averaged over this many equal spans of the gradient steps.
constexpr int64_t kLogRows = 100;


}  // namespace

TrainResult train_decision_transformer(const TrainJob& job) {
  const AgentConfig& cfg = job.agent;
  Stopwatch wall;
  if (job.resume) throw io::InputError("decision_transformer: --resume is not supported (offline runs restart)");
  if (cfg.dt.data.empty())
    throw io::InputError("agent.dt.data: the decision transformer trains offline from a dataset "
                             "(drivelab collect --out FILE)");
  data::DatasetSpec spec;
  std::vector<data::Episode> episodes;
  try {
    episodes = data::read_all(cfg.dt.data, &spec);
  } catch (const std::exception& e) {
    throw io::InputError(std::string("agent.dt.data: ") + e.what());
  }
  const EnvFactory factory = env_factory_or_default(job.env_factory);
  {
    const auto probe = factory(job.env, 0);
    data::DatasetSpec env_spec;
    env_spec.observation = probe->observation_spec();
    env_spec.action = probe->action_spec();
    if (const auto why = data::spec_mismatch(spec, env_spec); !why.empty())
      throw io::InputError("agent.dt.data: " + cfg.dt.data + " does not fit env '" + job.env.id + "': " + why);
  }
  std::unique_ptr<DTDataset> dataset;
  try {
    dataset = std::make_unique<DTDataset>(episodes, spec);
  } catch (const std::invalid_argument& e) {
    throw io::InputError("agent.dt.data: " + cfg.dt.data + ": " + e.what());
  }
  episodes.clear();

  // Batches of 3K-token sequences keep every core busy, as a CNN policy's do (MLPs are run on one).
  set_torch_threads(job.train.torch_threads, /*image_policy=*/true);
  torch::manual_seed(job.train.seed);
  const torch::Device device = resolve_device(job.train.device);
  DecisionTransformerOptions options;
  options.context_length = cfg.dt.context_length;
  options.max_timestep = std::max<int64_t>(job.env.max_steps, dataset->longest_episode()) + 1;
  options.transformer.d_model = cfg.dt.d_model;
  options.transformer.n_heads = cfg.dt.n_heads;
  options.transformer.n_layers = cfg.dt.n_layers;
  options.transformer.dropout = kDropout;
  options.transformer.max_distance = kTokensPerStep * cfg.dt.context_length;
  DecisionTransformer model(dataset->state_dim(), spec.action, options);
  model->to(device);
  torch::optim::AdamW optimizer(model->parameters(),
                                torch::optim::AdamWOptions(cfg.learning_rate).weight_decay(kWeightDecay));
  DTRuntime runtime{dataset->state_mean, dataset->state_std, dataset->rtg_scale,
                    cfg.dt.target_return != 0 ? static_cast<double>(cfg.dt.target_return) : dataset->best_return};

  const int64_t steps = cfg.dt.gradient_steps;
  const int64_t warmup = std::min(kMaxWarmupSteps, std::max<int64_t>(1, steps / 10));
  const int64_t log_every = std::max<int64_t>(1, steps / kLogRows);
  std::mt19937_64 rng(job.train.seed);
  TrainResult result;
  bool has_best = false;
  double loss_sum = 0;
  int64_t loss_count = 0;
  auto checkpoint = [&](const std::string& name) {
    if (job.run_dir.empty()) return;
    save_dt_checkpoint((fs::path(job.run_dir) / "checkpoints" / name).string(), model, runtime, job.env, cfg,
                       job.train, spec.action);
  };
  for (int64_t step = 1; step <= steps; ++step) {
    const double lr = cfg.learning_rate * std::min(1.0, static_cast<double>(step) / static_cast<double>(warmup));
    for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
    const auto batch = dataset->sample(cfg.dt.batch_size, options.context_length, options.max_timestep, rng);
    const auto loss = model->loss(batch.to(device));
    optimizer.zero_grad();
    loss.backward();
    if (cfg.max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), cfg.max_grad_norm);
    optimizer.step();
    const double value = loss.item<double>();
    if (!std::isfinite(value))
      throw std::runtime_error("losses/dt_action is " + std::to_string(value) + " at gradient step " +
                               std::to_string(step) + ": training stopped. Try a lower learning rate.");
    loss_sum += value;
    ++loss_count;

    const bool last = step == steps;
    if (job.metrics && (step % log_every == 0 || last)) {
      job.metrics->scalar(step, spec.action.discrete ? "losses/dt_cross_entropy" : "losses/dt_action_mse",
                          loss_sum / static_cast<double>(loss_count));
      job.metrics->scalar(step, "charts/learning_rate", lr);
      loss_sum = 0;
      loss_count = 0;
    }
    if (job.train.eval_episodes > 0 && (passed_multiple(job.agent.dt.eval_every_gradient_steps, step - 1, step) || last)) {
      model->eval();
      const auto actor = make_dt_actor(model, runtime, job.env, spec.action, device);
      const double mean = evaluate_during_training(*actor, job, step, /*deterministic=*/true);
      model->train();
      result.final_eval_return = mean;
      if (!has_best || mean > result.best_eval_return) {
        has_best = true;
        result.best_eval_return = mean;
        checkpoint("best.pt");
      }
    }
    if (passed_multiple(job.agent.dt.checkpoint_every_gradient_steps, step - 1, step) || last) checkpoint("latest.pt");
    if (job.metrics && (step % log_every == 0 || last)) job.metrics->end_update(step, steps);
  }
  result.steps = steps;
  result.wall_s = wall.seconds();
  return result;
}

Algorithm decision_transformer_algorithm() {
  Algorithm a;
  a.name = "decision_transformer";
  a.summary = "Decision Transformer: return-conditioned sequence model trained on a dataset (agent.dt.data)";
  a.agent_keys = {"learning_rate", "max_grad_norm", "dt"};
  a.train = train_decision_transformer;
  a.check = [](const TrainJob& job, const envs::Env& probe) {
    if (job.agent.dt.d_model % job.agent.dt.n_heads != 0)
      throw io::InputError("agent.dt.n_heads: " + std::to_string(job.agent.dt.n_heads) + " does not divide agent.dt.d_model " +
                           std::to_string(job.agent.dt.d_model));
    check_dataset(job, probe, job.agent.dt.data, "agent.dt.data", 1);
  };
  a.load_actor = [](const std::string& path, torch::Device device, const EnvFactoryFn& factory) {
    DTCheckpoint dt = read_dt_checkpoint(path);
    dt.model->to(device);
    dt.model->eval();
    const auto probe = env_factory_or_default(factory)(dt.env, 0);
    return make_dt_actor(dt.model, dt.runtime, dt.env, probe->action_spec(), device);
  };
  return a;
}

}  // namespace dl::agents
