#include "envs/checker.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "sim/rng.h"

namespace dl::envs {
namespace {

constexpr uint64_t kActionSalt = 0x616374696f6eULL;

template <class... Parts>
[[noreturn]] void fail(const Env& env, const Parts&... parts) {
  std::ostringstream out;
  out << "env '" << env.id() << "' fails the check: ";
  (out << ... << parts);
  throw EnvCheckError(out.str());
}

void check_bounds_shape(const Env& env, const Spec& spec, const char* what) {
  if (spec.shape.empty()) fail(env, what, " spec has an empty shape");
  for (auto d : spec.shape)
    if (d <= 0) fail(env, what, " spec has a non-positive dimension ", d);
  const auto n = static_cast<size_t>(spec.size());
  if (spec.low.size() != spec.high.size() || (!spec.low.empty() && spec.low.size() != n))
    fail(env, what, " spec bounds have ", spec.low.size(), "/", spec.high.size(), " entries for ", n, " elements");
  for (size_t i = 0; i < spec.low.size(); ++i)
    if (!(spec.low[i] <= spec.high[i])) fail(env, what, " spec element ", i, " has low > high");
}

void check_specs(const Env& env) {
  check_bounds_shape(env, env.observation_spec(), "observation");
  const ActionSpec& a = env.action_spec();
  if (a.discrete) {
    if (a.n < 1) fail(env, "discrete action spec has n = ", a.n);
    if (a.box.size() != 1) fail(env, "discrete action spec must have shape {1}");
    return;
  }
  if (a.box.dtype != DType::f32) fail(env, "continuous action spec must be float32");
  check_bounds_shape(env, a.box, "action");
  if (a.box.low.empty()) fail(env, "continuous action spec must be bounded");
  for (size_t i = 0; i < a.box.low.size(); ++i)
    if (!std::isfinite(a.box.low[i]) || !std::isfinite(a.box.high[i]))
      fail(env, "action bound ", i, " is not finite");
}

void check_observation(const Env& env, const void* obs, int64_t step) {
  const Spec& spec = env.observation_spec();
  if (spec.dtype == DType::u8) {
    if (spec.low.empty()) return;
    const auto* px = static_cast<const uint8_t*>(obs);
    for (int64_t i = 0; i < spec.size(); ++i)
      if (px[i] < spec.low[i] || px[i] > spec.high[i])
        fail(env, "step ", step, ": observation element ", i, " = ", int(px[i]), " outside its bounds");
    return;
  }
  const auto* x = static_cast<const float*>(obs);
  for (int64_t i = 0; i < spec.size(); ++i) {
    if (!std::isfinite(x[i])) fail(env, "step ", step, ": observation element ", i, " is ", x[i]);
    if (!spec.low.empty() && (x[i] < spec.low[i] || x[i] > spec.high[i]))
      fail(env, "step ", step, ": observation element ", i, " = ", x[i], " outside [", spec.low[i], ", ",
           spec.high[i], "]");
  }
}

void check_info(const Env& env, const Info& info, int64_t step) {
  if (!std::isfinite(info.speed_mps)) fail(env, "step ", step, ": info.speed_mps is ", info.speed_mps);
  if (!(info.lap_progress >= 0 && info.lap_progress <= 1))
    fail(env, "step ", step, ": info.lap_progress = ", info.lap_progress, " outside [0, 1]");
  if (info.tiles_visited < 0) fail(env, "step ", step, ": info.tiles_visited is negative");
  if (info.collisions < 0) fail(env, "step ", step, ": info.collisions is negative");
}

// Random actions, a fraction of them outside the bounds so clipping is exercised.
void random_action(const ActionSpec& spec, sim::Rng& rng, std::vector<float>& action) {
  if (spec.discrete) {
    action[0] = static_cast<float>(rng.uniform_int(0, spec.n - 1));
    return;
  }
  for (int i = 0; i < spec.dim(); ++i) {
    const double lo = spec.box.low[i], hi = spec.box.high[i], span = hi - lo;
    action[i] = static_cast<float>(rng.uniform(lo - 0.25 * span, hi + 0.25 * span));
  }
}

uint64_t fnv1a(uint64_t h, const void* data, size_t bytes) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

uint64_t digest(const void* obs, size_t obs_bytes, StepResult r) {
  uint64_t h = fnv1a(0xcbf29ce484222325ULL, obs, obs_bytes);
  h = fnv1a(h, &r.reward, sizeof r.reward);
  const uint8_t flags = static_cast<uint8_t>(r.terminated | (r.truncated << 1));
  return fnv1a(h, &flags, 1);
}

struct EpisodeTally {
  int length = 0;
  double reward_sum = 0;
};

void check_episode_end(const Env& env, const CheckOptions& options, const StepResult& r, const Info& info,
                       const EpisodeTally& tally, int64_t step) {
  const bool done = r.terminated || r.truncated;
  if (r.terminated && r.truncated) fail(env, "step ", step, ": both terminated and truncated");
  if (options.max_steps <= 0 && r.truncated) fail(env, "step ", step, ": truncated without a time limit");
  if (options.max_steps > 0) {
    if (r.truncated && tally.length != options.max_steps)
      fail(env, "step ", step, ": truncated after ", tally.length, " steps, the limit is ", options.max_steps);
    if (!done && tally.length >= options.max_steps)
      fail(env, "step ", step, ": episode runs past the time limit of ", options.max_steps);
  }
  if (info.episode_done && !done) fail(env, "step ", step, ": info.episode_done on a step that does not end");
  if (!options.episode_stats) return;
  if (done != info.episode_done) fail(env, "step ", step, ": info.episode_done does not match the flags");
  if (!done) return;
  if (info.episode_length != tally.length)
    fail(env, "step ", step, ": info.episode_length = ", info.episode_length, ", counted ", tally.length);
  if (std::abs(info.episode_return - tally.reward_sum) > 1e-3 * (1 + std::abs(tally.reward_sum)))
    fail(env, "step ", step, ": info.episode_return = ", info.episode_return, ", summed ", tally.reward_sum);
}

// One checked run; returns a digest per step so two runs can be compared.
std::vector<uint64_t> checked_run(Env& env, uint64_t seed, int steps, const CheckOptions& options) {
  const Spec& spec = env.observation_spec();
  std::vector<uint8_t> obs(spec.bytes());
  std::vector<float> action(env.action_spec().dim());
  sim::Rng rng(sim::Rng::mix(seed, kActionSalt));
  Info info;
  env.reset(seed, obs.data(), info);
  check_observation(env, obs.data(), 0);
  check_info(env, info, 0);
  std::vector<uint64_t> digests{digest(obs.data(), obs.size(), {})};
  EpisodeTally tally;
  for (int64_t step = 1; step <= steps; ++step) {
    random_action(env.action_spec(), rng, action);
    const StepResult r = env.step(action.data(), obs.data(), info);
    if (!std::isfinite(r.reward)) fail(env, "step ", step, ": reward is ", r.reward);
    ++tally.length;
    tally.reward_sum += r.reward;
    check_observation(env, obs.data(), step);
    check_info(env, info, step);
    check_episode_end(env, options, r, info, tally, step);
    digests.push_back(digest(obs.data(), obs.size(), r));
    if (r.terminated || r.truncated) {
      env.reset(rng.next_u64(), obs.data(), info);
      check_observation(env, obs.data(), step);
      tally = {};
    }
  }
  return digests;
}

void check_reset_determinism(Env& env, uint64_t seed) {
  std::vector<uint8_t> a(env.observation_spec().bytes()), b(a.size());
  Info info_a, info_b;
  env.reset(seed, a.data(), info_a);
  env.reset(seed, b.data(), info_b);
  if (std::memcmp(a.data(), b.data(), a.size()) != 0)
    fail(env, "two resets with seed ", seed, " give different observations");
  if (info_a.tiles_visited != info_b.tiles_visited || info_a.speed_mps != info_b.speed_mps ||
      info_a.lap_progress != info_b.lap_progress)
    fail(env, "two resets with seed ", seed, " give different infos");
}

template <class Mutate>
void expect_action_error(Env& env, const char* what, Mutate mutate) {
  std::vector<uint8_t> obs(env.observation_spec().bytes());
  std::vector<float> action(env.action_spec().dim(), 0.0f);
  mutate(action);
  Info info;
  try {
    env.step(action.data(), obs.data(), info);
  } catch (const ActionError&) {
    return;
  }
  fail(env, "an action with ", what, " did not throw ActionError");
}

void check_bad_actions(Env& env, uint64_t seed) {
  std::vector<uint8_t> obs(env.observation_spec().bytes());
  Info info;
  env.reset(seed, obs.data(), info);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  expect_action_error(env, "NaN", [&](auto& a) { a.back() = nan; });
  expect_action_error(env, "inf", [&](auto& a) { a[0] = -inf; });
  if (!env.action_spec().discrete) return;
  const int n = env.action_spec().n;
  expect_action_error(env, "a fractional discrete index", [&](auto& a) { a[0] = 0.5f; });
  expect_action_error(env, "discrete index n", [&](auto& a) { a[0] = static_cast<float>(n); });
  expect_action_error(env, "discrete index -1", [&](auto& a) { a[0] = -1.0f; });
}

}  // namespace

void check_env(Env& env, uint64_t seed, int steps, const CheckOptions& options) {
  check_specs(env);
  check_reset_determinism(env, seed);
  check_bad_actions(env, seed);
  const auto first = checked_run(env, seed, steps, options);
  const auto second = checked_run(env, seed, steps, options);
  for (size_t i = 0; i < first.size(); ++i)
    if (first[i] != second[i])
      fail(env, "not deterministic: the same seed and actions differ at step ", i, " (observation, reward or flags)");
}

void check_env(Env& env, uint64_t seed, int steps) { check_env(env, seed, steps, CheckOptions{}); }

}  // namespace dl::envs
