// drivelab/agents: the one evaluation loop, and the actor of the actor-critic family.
#include "agents/actor.h"

#include <cmath>
#include <cstring>
#include <thread>

#include "agents/checkpoint.h"
#include "agents/eval_tally.h"
#include "agents/rollout.h"
#include "agents/session.h"
#include "envs/episode_tally.h"
#include "envs/vector_env.h"

namespace dl::agents {
namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

class PolicyActor final : public Actor {
 public:
  PolicyActor(std::string algo, const envs::EnvConfig& env, const envs::Spec& obs_spec,
              const envs::ActionSpec& action_spec, ActorCritic policy,
              std::shared_ptr<const envs::ObsNormalizer> obs_norm, torch::Device device, float value_scale)
      : algo_(std::move(algo)), env_(env), policy_(std::move(policy)), obs_norm_(std::move(obs_norm)),
        device_(device), value_scale_(value_scale), obs_spec_(obs_spec), action_spec_(action_spec) {}
  const std::string& algo() const override { return algo_; }
  const envs::EnvConfig& env_config() const override { return env_; }
  void check_spaces(const envs::Spec& obs, const envs::ActionSpec& action) const override {
    if (obs.shape != obs_spec_.shape || obs.dtype != obs_spec_.dtype)
      throw io::InputError("the env's observations are " + shape_text(obs.shape) + ", the " + algo_ +
                           " policy (trained on " + env_.id + ") takes " + shape_text(obs_spec_.shape));
    if (action.discrete != action_spec_.discrete || action.dim() != action_spec_.dim())
      throw io::InputError("the env's action set differs from the one the " + algo_ + " policy (trained on " + env_.id +
                           ") was trained with");
  }
  void reset(int n) override {
    n_ = n;
    memory_ = policy_->initial_memory(n, device_);
    std::vector<int64_t> shape{n};
    shape.insert(shape.end(), obs_spec_.shape.begin(), obs_spec_.shape.end());
    host_obs_ = torch::empty(shape, obs_spec_.dtype == envs::DType::u8 ? torch::kUInt8 : torch::kFloat32);
    ended_.assign(n, 0);
  }
  torch::Tensor act(const torch::Tensor& obs, bool deterministic) override {
    torch::InferenceMode inference;
    std::memcpy(host_obs_.data_ptr(), obs.contiguous().data_ptr(), host_obs_.nbytes());
    if (obs_norm_ && obs_spec_.dtype == envs::DType::f32) obs_norm_->normalize(host_obs_.data_ptr<float>(), n_);
    const ActOutput out = policy_->act(host_obs_.to(device_), deterministic, memory_.defined() ? &memory_ : nullptr);
    values_ = out.value.to(torch::kCPU, torch::kFloat32) * value_scale_;
    return out.env_action.to(torch::kCPU, torch::kFloat32).contiguous();
  }
  void observe(const float*, const uint8_t* episode_ended) override {
    if (!memory_.defined()) return;
    bool any = false;
    for (int i = 0; i < n_; ++i) any = any || episode_ended[i];
    if (!any) return;
    torch::InferenceMode inference;
    auto mask = torch::from_blob(const_cast<uint8_t*>(episode_ended), {n_}, torch::kUInt8).ne(0).to(device_);
    memory_.forget(mask);
  }
  torch::Tensor values() const override { return values_; }

 private:
  std::string algo_;
  envs::EnvConfig env_;
  ActorCritic policy_;
  std::shared_ptr<const envs::ObsNormalizer> obs_norm_;
  torch::Device device_;
  float value_scale_;
  envs::Spec obs_spec_;
  envs::ActionSpec action_spec_;
  int n_ = 0;
  TransformerMemory memory_;
  torch::Tensor host_obs_, values_;
  std::vector<uint8_t> ended_;
};

}  // namespace

std::unique_ptr<Actor> make_policy_actor(std::string algo, const envs::EnvConfig& env, const envs::Spec& obs_spec,
                                         const envs::ActionSpec& action_spec, ActorCritic policy,
                                         std::shared_ptr<const envs::ObsNormalizer> obs_norm, torch::Device device,
                                         float value_scale) {
  return std::make_unique<PolicyActor>(std::move(algo), env, obs_spec, action_spec, std::move(policy),
                                       std::move(obs_norm), device, value_scale);
}

std::unique_ptr<Actor> load_policy_actor(const std::string& checkpoint, torch::Device device,
                                         const EnvFactoryFn& factory) {
  CheckpointData data = read_checkpoint_data(checkpoint);
  const auto probe = env_factory_or_default(factory)(data.env, 0);
  ActorCritic policy(probe->observation_spec(), probe->action_spec(), data.agent.net);
  load_checkpoint_state(checkpoint, policy, nullptr, /*restore_rng=*/false);
  policy->to(device);
  policy->eval();
  std::shared_ptr<const envs::ObsNormalizer> obs_norm = normalizer_from_state(data.obs_norm, data.agent.clip_obs);
  // Critic outputs are in units of the scaled reward when training normalized rewards; the scaler's return
  // std turns them back into the env's own reward units.
  const float value_scale =
      data.reward_scaler.size() >= 3 ? static_cast<float>(std::sqrt(data.reward_scaler[2] + 1e-8)) : 1.0f;
  return make_policy_actor(data.algo, data.env, probe->observation_spec(), probe->action_spec(), policy,
                           std::move(obs_norm), device, value_scale);
}

EvalResult run_episodes(Actor& actor, const envs::EnvConfig& env, const EnvFactoryFn& factory_in, int episodes,
                        uint64_t seed, bool deterministic, int num_threads) {
  EvalResult result;
  if (episodes <= 0) return result;
  torch::InferenceMode inference;
  EnvFactory factory = env_factory_or_default(factory_in);
  const int M = std::min(episodes, kMaxEvalEnvs);
  envs::VectorEnv vec([&](int i) { return factory(env, i); }, M,
                      num_threads > 0 ? num_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  const auto& spec = vec.observation_spec();
  actor.check_spaces(spec, vec.action_spec());
  envs::EpisodeTally tally(M, episodes);
  std::vector<int64_t> shape{M};
  shape.insert(shape.end(), spec.shape.begin(), spec.shape.end());
  vec.reset(seed);
  actor.reset(M);
  std::vector<uint8_t> ended(M);
  while (tally.remaining() > 0) {
    const auto obs = torch::from_blob(vec.obs(), shape,
                                      spec.dtype == envs::DType::u8 ? torch::kUInt8 : torch::kFloat32);
    const torch::Tensor actions = actor.act(obs, deterministic);
    vec.step(actions.data_ptr<float>());
    for (int i = 0; i < M; ++i) ended[i] = vec.terminated()[i] || vec.truncated()[i];
    actor.observe(vec.rewards(), ended.data());
    tally.record(vec.infos());
  }
  fill_eval_result(tally, result);
  return result;
}

double evaluate_during_training(Actor& actor, const TrainJob& job, int64_t step, bool deterministic) {
  envs::EnvConfig test_env = job.env;
  test_env.tracks = "test";
  const EvalResult r = run_episodes(actor, test_env, job.env_factory, job.train.eval_episodes,
                                    job.train.seed + kEvalSeedOffset, deterministic, job.train.num_threads);
  double mean = 0;
  for (double x : r.returns) mean += x;
  mean /= static_cast<double>(std::max<size_t>(1, r.returns.size()));
  if (job.metrics) {
    job.metrics->scalar(step, "eval/return_mean", mean);
    job.metrics->scalar(step, "eval/laps", r.laps_completed);
  }
  return mean;
}

}  // namespace dl::agents
