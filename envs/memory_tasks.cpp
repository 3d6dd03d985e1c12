#include "envs/memory_tasks.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace dl::envs {
namespace {

// Salts, so these streams differ from the env's own stream seeded with the same number.
constexpr uint64_t kBlackoutSalt = 0x626c61636b6f7574ULL;
constexpr uint64_t kCueSalt = 0x6375655f7461736bULL;

Spec appended(const Spec& inner, const std::vector<std::pair<float, float>>& bounds) {
  if (inner.dtype != DType::f32 || inner.shape.size() != 1)
    throw std::invalid_argument("memory tasks need the lidar env's float vector observation");
  Spec spec = inner;
  spec.shape[0] += static_cast<int64_t>(bounds.size());
  for (const auto& [lo, hi] : bounds) {
    spec.low.push_back(lo);
    spec.high.push_back(hi);
  }
  return spec;
}

std::vector<std::pair<float, float>> lap_bounds(const MemoryTaskConfig& config) {
  std::vector<std::pair<float, float>> bounds{{0.f, 1.f}};  // laps completed / laps
  for (int k = 0; k < 2 * config.progress_features; ++k) bounds.emplace_back(-1.f, 1.f);
  return bounds;
}

}  // namespace

void validate_memory_task(const EnvConfig& config) {
  const MemoryTaskConfig& m = config.memory;
  if (config.id == "track-blackout") {
    if (m.blackout_min_s > m.blackout_max_s)
      throw std::invalid_argument("memory.blackout_min_s (" + std::to_string(m.blackout_min_s) +
                                  ") exceeds memory.blackout_max_s (" + std::to_string(m.blackout_max_s) + ")");
    if (m.clear_min_s > m.clear_max_s)
      throw std::invalid_argument("memory.clear_min_s (" + std::to_string(m.clear_min_s) +
                                  ") exceeds memory.clear_max_s (" + std::to_string(m.clear_max_s) + ")");
  }
  if (config.id == "track-laps") {
    if (config.lookahead.points > 0 && !m.first_lap_lookahead)
      throw std::invalid_argument("lookahead.points (" + std::to_string(config.lookahead.points) +
                                  ") must be 0 in track-laps unless memory.first_lap_lookahead is true: the road "
                                  "ahead is what the policy has to remember");
    if (m.first_lap_lookahead && config.lookahead.points == 0)
      throw std::invalid_argument("memory.first_lap_lookahead needs lookahead.points > 0 (it is 0): there is no "
                                  "look-ahead to show on lap 1");
    if (m.later_lidar_m > config.lidar.range_m)
      throw std::invalid_argument("memory.later_lidar_m (" + std::to_string(m.later_lidar_m) +
                                  ") exceeds lidar.range_m (" + std::to_string(config.lidar.range_m) +
                                  "): the later laps' lidar can only be shorter than lap 1's");
  }
  if (config.id == "track-cue") {
    if (m.cue_steps >= m.gate_step)
      throw std::invalid_argument("memory.cue_steps (" + std::to_string(m.cue_steps) +
                                  ") must be below memory.gate_step (" + std::to_string(m.gate_step) + ")");
    if (m.gate_step + m.gate_steps > config.max_steps)
      throw std::invalid_argument("memory.gate_step + memory.gate_steps (" + std::to_string(m.gate_step + m.gate_steps) +
                                  ") exceeds max_steps (" + std::to_string(config.max_steps) + ")");
  }
}

// ---- SensorBlackout -------------------------------------------------------------------------------------

MemoryTask::MemoryTask(std::unique_ptr<Env> inner, const VectorObsLayout& layout, const MemoryTaskConfig& config,
                       const std::vector<std::pair<float, float>>& appended_bounds, const char* task)
    : Wrapper(std::move(inner)), layout_(layout), config_(config) {
  spec_ = appended(inner_->observation_spec(), appended_bounds);
  if (inner_->observation_spec().size() != layout.size())
    throw std::invalid_argument(std::string(task) + ": the observation does not have the lidar layout");
  inner_obs_.resize(static_cast<size_t>(layout.size()));
}

SensorBlackout::SensorBlackout(std::unique_ptr<Env> inner, const VectorObsLayout& layout,
                               const MemoryTaskConfig& config, float step_s)
    : MemoryTask(std::move(inner), layout, config, {{0.f, 1.f}}, "SensorBlackout"), step_s_(step_s) {}

int SensorBlackout::draw_steps(float min_s, float max_s) {
  const double s = rng_.uniform(min_s, max_s);
  return std::max(1, static_cast<int>(std::lround(s / step_s_)));
}

void SensorBlackout::advance() {
  if (--remaining_ > 0) return;
  blackout_ = !blackout_;
  remaining_ = blackout_ ? draw_steps(config_.blackout_min_s, config_.blackout_max_s)
                         : draw_steps(config_.clear_min_s, config_.clear_max_s);
}

void SensorBlackout::reset(uint64_t seed, void* obs, Info& info) {
  rng_.reseed(sim::Rng::mix(seed, kBlackoutSalt));
  blackout_ = false;  // every episode starts with the sensors on
  remaining_ = draw_steps(config_.clear_min_s, config_.clear_max_s);
  inner_->reset(seed, inner_obs_.data(), info);
  write(obs);
}

StepResult SensorBlackout::step(const float* action, void* obs, Info& info) {
  const StepResult r = inner_->step(action, inner_obs_.data(), info);
  advance();
  write(obs);
  return r;
}

void SensorBlackout::write(void* obs) const {
  auto* out = static_cast<float*>(obs);
  std::copy(inner_obs_.begin(), inner_obs_.end(), out);
  if (blackout_) {
    std::fill(out + layout_.lidar_first(), out + layout_.lidar_first() + layout_.lidar_rays, 0.0f);
    // Lateral offset, heading error and everything ahead; the lap progress (last) stays.
    std::fill(out + layout_.track_first(), out + layout_.size() - 1, 0.0f);
  }
  out[layout_.size()] = blackout_ ? 1.0f : 0.0f;
}

// ---- CueTask --------------------------------------------------------------------------------------------

CueTask::CueTask(std::unique_ptr<Env> inner, const VectorObsLayout& layout, const MemoryTaskConfig& config)
    : MemoryTask(std::move(inner), layout, config, {{-1.f, 1.f}, {0.f, 1.f}}, "CueTask") {}

void CueTask::reset(uint64_t seed, void* obs, Info& info) {
  rng_.reseed(sim::Rng::mix(seed, kCueSalt));
  cue_ = rng_.uniform() < 0.5 ? -1.0f : 1.0f;
  steps_ = 0;
  inner_->reset(seed, inner_obs_.data(), info);
  write(obs);
}

StepResult CueTask::step(const float* action, void* obs, Info& info) {
  StepResult r = inner_->step(action, inner_obs_.data(), info);
  const float per_step = config_.cue_reward / static_cast<float>(config_.gate_steps);
  const float offset = inner_obs_[static_cast<size_t>(layout_.track_first())];  // lateral offset / half width
  // The step just taken is step number steps_ (0-based) of the episode.
  const bool in_gate = steps_ >= config_.gate_step && steps_ < config_.gate_step + config_.gate_steps;
  if (in_gate && offset * cue_ > config_.lane_band) r.reward += per_step;
  if (steps_ < config_.gate_step && std::abs(offset) > config_.lane_band)
    r.reward -= config_.centre_penalty * per_step;
  ++steps_;
  write(obs);
  return r;
}

void CueTask::write(void* obs) const {
  auto* out = static_cast<float*>(obs);
  std::copy(inner_obs_.begin(), inner_obs_.end(), out);
  out[layout_.size()] = steps_ < config_.cue_steps ? cue_ : 0.0f;
  // The flag is up for the observations the gate's steps are chosen from.
  out[layout_.size() + 1] = steps_ >= config_.gate_step && steps_ < config_.gate_step + config_.gate_steps ? 1.0f : 0.0f;
}

// ---- LapMemory ------------------------------------------------------------------------------------------

LapMemory::LapMemory(std::unique_ptr<Env> inner, const VectorObsLayout& layout, const MemoryTaskConfig& config,
                     float lidar_range_m)
    : MemoryTask(std::move(inner), layout, config, lap_bounds(config), "LapMemory"), lidar_range_m_(lidar_range_m) {}

void LapMemory::reset(uint64_t seed, void* obs, Info& info) {
  laps_ = 0;
  inner_->reset(seed, inner_obs_.data(), info);
  write(obs);
}

StepResult LapMemory::step(const float* action, void* obs, Info& info) {
  StepResult r = inner_->step(action, inner_obs_.data(), info);
  // The step that completes lap 1 still belongs to lap 1.
  if (laps_ == 0) r.reward *= config_.first_lap_scale;
  if (info.lap_complete) {
    ++laps_;
    // The driving env ends an episode at a completed lap; the sim has already started counting the next
    // one, so going on is all it takes. (Leaving the playfield in the very step that completes a lap would
    // be lost here; the start line is on the road, far from the playfield's edge.)
    if (laps_ < config_.laps) r.terminated = false;
  }
  write(obs);
  return r;
}

void LapMemory::write(void* obs) const {
  auto* out = static_cast<float*>(obs);
  std::copy(inner_obs_.begin(), inner_obs_.end(), out);
  if (laps_ > 0 && config_.later_lidar_m > 0 && config_.later_lidar_m < lidar_range_m_) {
    const float scale = lidar_range_m_ / config_.later_lidar_m;  // a fraction of the long reach -> of the short
    for (int i = 0; i < layout_.lidar_rays; ++i) out[layout_.lidar_first() + i] = std::min(out[layout_.lidar_first() + i] * scale, 1.0f);
  }
  // The look-ahead (curvatures, then widths) sits between the heading error and the lap progress.
  if (laps_ > 0 && config_.first_lap_lookahead)
    std::fill(out + layout_.track_first() + 2, out + layout_.size() - 1, 0.0f);
  out[layout_.size()] = static_cast<float>(laps_) / static_cast<float>(config_.laps);
  const double phase = 2 * std::numbers::pi * static_cast<double>(inner_obs_[static_cast<size_t>(layout_.size() - 1)]);
  for (int k = 1; k <= config_.progress_features; ++k) {
    out[layout_.size() + 2 * k - 1] = static_cast<float>(std::sin(k * phase));
    out[layout_.size() + 2 * k] = static_cast<float>(std::cos(k * phase));
  }
}

}  // namespace dl::envs
