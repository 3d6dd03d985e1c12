#include "data/collect.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "envs/registry.h"

namespace dl::data {
namespace {

// Continuous inputs below these count as "not pressed" when mapping to discrete actions.
constexpr float kDiscreteBrake = 0.3f;
constexpr float kDiscreteSteer = 0.25f;
constexpr float kDiscreteGas = 0.1f;

enum class Kind : uint8_t { main, weak, random };

void clip_to_bounds(const envs::ActionSpec& spec, float* action) {
  for (int i = 0; i < spec.dim(); ++i) {
    const float lo = i < static_cast<int>(spec.box.low.size()) ? spec.box.low[i] : -envs::kInf;
    const float hi = i < static_cast<int>(spec.box.high.size()) ? spec.box.high[i] : envs::kInf;
    action[i] = std::clamp(action[i], lo, hi);
  }
}

void add_noise(const envs::ActionSpec& spec, float sigma, sim::Rng& rng, float* action) {
  if (spec.discrete || sigma <= 0) return;
  for (int i = 0; i < spec.dim(); ++i) action[i] += static_cast<float>(rng.normal(0, sigma));
  clip_to_bounds(spec, action);
}

// Which policy drives each episode: the counts follow the fractions exactly, the order is shuffled so
// a run cut short still holds a mix.
std::vector<Kind> episode_kinds(const CollectOptions& o) {
  const int n = o.episodes;
  const int random = static_cast<int>(std::lround(o.random_fraction * n));
  const int weak = std::min(n - random, static_cast<int>(std::lround(o.weak_fraction * n)));
  std::vector<Kind> kinds(n, Kind::main);
  std::fill(kinds.begin(), kinds.begin() + random, Kind::random);
  std::fill(kinds.begin() + random, kinds.begin() + random + weak, Kind::weak);
  sim::Rng rng(o.seed ^ 0x9E3779B97F4A7C15ull);
  for (int i = n - 1; i > 0; --i) std::swap(kinds[i], kinds[rng.uniform_int(0, i)]);
  return kinds;
}

std::string with_noise(const std::string& name, float sigma) {
  if (sigma <= 0) return name;
  char buf[32];
  std::snprintf(buf, sizeof buf, "+noise%g", sigma);
  return name + buf;
}

}  // namespace

int nearest_discrete_action(float steer, float gas, float brake) {
  if (brake > kDiscreteBrake) return 4;
  if (steer < -kDiscreteSteer) return 1;
  if (steer > kDiscreteSteer) return 2;
  if (gas > kDiscreteGas) return 3;
  return 0;
}

ExpertPolicy::ExpertPolicy(const envs::ActionSpec& spec, const envs::ExpertOptions& params, std::string name)
    : spec_(spec), params_(params), name_(std::move(name)) {}

void ExpertPolicy::begin_episode(uint64_t) { driver_ = std::make_unique<envs::ExpertDriver>(params_); }

void ExpertPolicy::act(const void*, const sim::World* world, float* action) {
  if (!world) throw std::invalid_argument("the expert needs a driving env (this env exposes no world)");
  if (!driver_) begin_episode(0);
  const sim::Action a = driver_->act(*world);
  if (spec_.discrete) {
    action[0] = static_cast<float>(nearest_discrete_action(a.steer, a.gas, a.brake));
    return;
  }
  if (spec_.dim() != 3) throw std::invalid_argument("the expert drives 3-dimensional (steer, gas, brake) actions");
  action[0] = a.steer;
  action[1] = a.gas;
  action[2] = a.brake;
}

RandomPolicy::RandomPolicy(const envs::ActionSpec& spec) : spec_(spec) {}

void RandomPolicy::act(const void*, const sim::World*, float* action) {
  if (spec_.discrete) {
    action[0] = static_cast<float>(rng_.uniform_int(0, spec_.n - 1));
    return;
  }
  for (int i = 0; i < spec_.dim(); ++i) {
    const float lo = i < static_cast<int>(spec_.box.low.size()) ? spec_.box.low[i] : -1.f;
    const float hi = i < static_cast<int>(spec_.box.high.size()) ? spec_.box.high[i] : 1.f;
    action[i] = static_cast<float>(rng_.uniform(std::isfinite(lo) ? lo : -1.f, std::isfinite(hi) ? hi : 1.f));
  }
}

CollectReport collect(const envs::EnvConfig& env_config, CollectPolicy& policy, const CollectOptions& options,
                      const std::string& out_path, const std::function<void(int, int, double)>& progress) {
  if (options.episodes < 1) throw std::invalid_argument("collect: episodes must be >= 1");
  if (options.random_fraction < 0 || options.weak_fraction < 0 || options.random_fraction + options.weak_fraction > 1)
    throw std::invalid_argument("collect: random and weak fractions must be >= 0 and sum to at most 1");
  if (options.noise < 0) throw std::invalid_argument("collect: noise must be >= 0");
  auto env = envs::make_env(env_config);
  const sim::World* world = envs::find_world(*env);
  const envs::ActionSpec& action_spec = env->action_spec();

  DatasetSpec spec;
  spec.observation = env->observation_spec();
  spec.action = action_spec;
  spec.env_id = env->id();
  spec.notes = options.notes;
  DatasetWriter writer(out_path, spec);

  RandomPolicy random(action_spec);
  ExpertPolicy weak(action_spec, envs::weak_expert_params(), with_noise("weak-expert", options.weak_noise));
  const std::vector<Kind> kinds = episode_kinds(options);
  std::vector<uint8_t> obs(spec.obs_bytes()), next_obs(spec.obs_bytes());
  std::vector<float> action(action_spec.dim());
  sim::Rng noise_rng(options.seed ^ 0xA11CEull);
  CollectReport report;
  double return_sum = 0, main_return_sum = 0;

  for (int i = 0; i < options.episodes; ++i) {
    const uint64_t seed = options.seed + static_cast<uint64_t>(i);
    CollectPolicy& driver = kinds[i] == Kind::random ? static_cast<CollectPolicy&>(random)
                            : kinds[i] == Kind::weak ? static_cast<CollectPolicy&>(weak)
                                                     : policy;
    const float sigma = kinds[i] == Kind::weak ? options.weak_noise : kinds[i] == Kind::main ? options.noise : 0.f;
    envs::Info info;
    env->reset(seed, obs.data(), info);
    driver.begin_episode(seed);
    EpisodeMeta meta;
    meta.policy = kinds[i] == Kind::main ? with_noise(policy.name(), sigma) : driver.name();
    meta.env_id = env->id();
    meta.seed = seed;
    writer.begin_episode(obs.data(), meta);
    uint32_t flags = 0;
    for (;;) {
      driver.act(obs.data(), world, action.data());
      add_noise(action_spec, sigma, noise_rng, action.data());
      const envs::StepResult r = env->step(action.data(), next_obs.data(), info);
      writer.step(action.data(), r.reward, r.terminated, r.truncated, next_obs.data());
      driver.observe_reward(r.reward);
      obs.swap(next_obs);
      if (r.terminated && !info.lap_complete && info.collisions == 0) flags |= kOffPlayfield;
      if (r.terminated || r.truncated) break;
    }
    if (info.episode_lap_complete) flags |= kLapComplete;
    writer.end_episode(flags);
    const double ret = info.episode_return;
    ++report.episodes;
    report.steps += info.episode_length;
    report.laps += (flags & kLapComplete) ? 1 : 0;
    report.crashed += (flags & kOffPlayfield) ? 1 : 0;
    return_sum += ret;
    if (kinds[i] == Kind::main) ++report.main_episodes, main_return_sum += ret;
    if (kinds[i] == Kind::weak) ++report.weak_episodes;
    if (kinds[i] == Kind::random) ++report.random_episodes;
    if (progress) progress(i + 1, options.episodes, ret);
  }
  writer.close();
  report.return_mean = return_sum / report.episodes;
  report.main_return_mean = report.main_episodes ? main_return_sum / report.main_episodes : 0;
  return report;
}

}  // namespace dl::data
