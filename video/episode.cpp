#include "video/episode.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "envs/expert.h"
#include "envs/registry.h"

namespace dl::video {

sim::Action to_sim_action(const envs::ActionSpec& spec, const float* action) {
  if (spec.discrete) {
    const float index = action[0];
    if (!std::isfinite(index) || index < 0 || index >= sim::kNumDiscreteActions) return {};
    return sim::discrete_action(static_cast<int>(index));
  }
  const auto clip = [](float v, float lo, float hi) { return std::isfinite(v) ? std::clamp(v, lo, hi) : 0.f; };
  return {clip(action[0], -1, 1), clip(action[1], 0, 1), clip(action[2], 0, 1)};
}

EpisodeRunner::EpisodeRunner(const envs::EnvConfig& config)
    : config_(config), env_(envs::make_env(config)), step_s_(config.dt_s * config.action_repeat) {
  world_ = envs::find_world(*env_);
  if (!world_) throw std::runtime_error("env '" + config.id + "' has no sim world to show");
  obs_.resize(env_->observation_spec().bytes());
  action_.resize(static_cast<size_t>(env_->action_spec().dim()));
}

void EpisodeRunner::reset(uint64_t seed) {
  seed_ = seed;
  done_ = false;
  info_ = envs::Info{};
  env_->reset(seed, obs_.data(), info_);
  hud_ = HudState{};
  hud_.episode = ++episodes_;
  hud_.speed_mps = world_->car().speed_mps;
}

bool EpisodeRunner::step(const float* action, std::optional<float> value) {
  if (done_) throw std::logic_error("EpisodeRunner::step after the episode ended; reset first");
  // The env validates and may clip its copy; keep the caller's action intact.
  std::copy(action, action + action_.size(), action_.begin());
  const envs::StepResult r = env_->step(action_.data(), obs_.data(), info_);
  hud_.action = to_sim_action(env_->action_spec(), action);
  hud_.reward = r.reward;
  hud_.episode_return += r.reward;
  hud_.step += 1;
  hud_.time_s = static_cast<float>(hud_.step) * step_s_;
  hud_.speed_mps = world_->car().speed_mps;
  hud_.lap_progress = info_.lap_progress;
  hud_.value = value;
  if (info_.lap_complete) hud_.last_lap_s = hud_.time_s;
  done_ = r.terminated || r.truncated;
  return done_;
}

}  // namespace dl::video
