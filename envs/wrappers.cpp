#include "envs/wrappers.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace dl::envs {

// ---- LidarDropout ---------------------------------------------------------------------------------------

namespace {
// Salt so the dropout stream differs from the env's own stream seeded with the same number.
constexpr uint64_t kDropoutSalt = 0x6c69646172ULL;
}  // namespace

LidarDropout::LidarDropout(std::unique_ptr<Env> inner, int first, int count, float probability)
    : Wrapper(std::move(inner)), first_(first), count_(count), probability_(probability) {
  const Spec& spec = observation_spec();
  if (spec.dtype != DType::f32 || first < 0 || count < 0 || first + count > spec.size())
    throw std::invalid_argument("LidarDropout: slice [" + std::to_string(first) + ", " +
                                std::to_string(first + count) + ") does not fit a float observation of " +
                                std::to_string(spec.size()) + " values");
}

void LidarDropout::reset(uint64_t seed, void* obs, Info& info) {
  rng_.reseed(sim::Rng::mix(seed, kDropoutSalt));
  inner_->reset(seed, obs, info);
  maybe_blank(obs);
}

StepResult LidarDropout::step(const float* action, void* obs, Info& info) {
  const StepResult r = inner_->step(action, obs, info);
  maybe_blank(obs);
  return r;
}

void LidarDropout::maybe_blank(void* obs) {
  // Draw every step, blanked or not, so the stream does not depend on the probability's outcome history.
  const bool blank = rng_.uniform() < probability_;
  if (!blank) return;
  float* lidar = static_cast<float*>(obs) + first_;
  std::fill(lidar, lidar + count_, 0.0f);
}

// ---- FrameStack -----------------------------------------------------------------------------------------

FrameStack::FrameStack(std::unique_ptr<Env> inner, int k) : Wrapper(std::move(inner)), k_(k) {
  if (k < 1) throw std::invalid_argument("frame_stack must be >= 1, got " + std::to_string(k));
  const Spec& frame = inner_->observation_spec();
  frame_bytes_ = frame.bytes();
  spec_ = frame;
  spec_.shape.insert(spec_.shape.begin(), k);
  spec_.low.clear();
  spec_.high.clear();
  for (int i = 0; i < k; ++i) {
    spec_.low.insert(spec_.low.end(), frame.low.begin(), frame.low.end());
    spec_.high.insert(spec_.high.end(), frame.high.begin(), frame.high.end());
  }
  ring_.resize(frame_bytes_ * k);
}

void FrameStack::reset(uint64_t seed, void* obs, Info& info) {
  newest_ = 0;
  inner_->reset(seed, ring_.data(), info);
  for (int i = 1; i < k_; ++i) std::memcpy(ring_.data() + i * frame_bytes_, ring_.data(), frame_bytes_);
  write_stack(obs);
}

StepResult FrameStack::step(const float* action, void* obs, Info& info) {
  newest_ = (newest_ + 1) % k_;
  const StepResult r = inner_->step(action, ring_.data() + newest_ * frame_bytes_, info);
  write_stack(obs);
  return r;
}

void FrameStack::write_stack(void* obs) const {
  auto* out = static_cast<uint8_t*>(obs);
  for (int i = 0; i < k_; ++i) {
    const int slot = (newest_ + 1 + i) % k_;  // oldest first
    std::memcpy(out + i * frame_bytes_, ring_.data() + slot * frame_bytes_, frame_bytes_);
  }
}

// ---- TimeLimit ------------------------------------------------------------------------------------------

TimeLimit::TimeLimit(std::unique_ptr<Env> inner, int max_steps) : Wrapper(std::move(inner)), max_steps_(max_steps) {
  if (max_steps < 1) throw std::invalid_argument("max_steps must be >= 1, got " + std::to_string(max_steps));
}

void TimeLimit::reset(uint64_t seed, void* obs, Info& info) {
  steps_ = 0;
  inner_->reset(seed, obs, info);
}

StepResult TimeLimit::step(const float* action, void* obs, Info& info) {
  StepResult r = inner_->step(action, obs, info);
  ++steps_;
  // A terminal step is reported as terminated only: bootstrapping must not treat it as a cut.
  r.truncated = !r.terminated && steps_ >= max_steps_;
  return r;
}

// ---- EpisodeStats ---------------------------------------------------------------------------------------

EpisodeStats::EpisodeStats(std::unique_ptr<Env> inner, float step_s) : Wrapper(std::move(inner)), step_s_(step_s) {}

void EpisodeStats::reset(uint64_t seed, void* obs, Info& info) {
  return_ = 0;
  length_ = 0;
  lap_time_s_ = -1;
  laps_ = 0;
  last_lap_end_ = 0;
  inner_->reset(seed, obs, info);
  info.episode_done = false;
}

StepResult EpisodeStats::step(const float* action, void* obs, Info& info) {
  const StepResult r = inner_->step(action, obs, info);
  return_ += r.reward;
  ++length_;
  if (info.lap_complete) {
    if (lap_time_s_ < 0) lap_time_s_ = static_cast<float>(length_ * step_s_);
    info.lap_time_s = static_cast<float>((length_ - last_lap_end_) * step_s_);
    last_lap_end_ = length_;
    ++laps_;
  }
  info.episode_done = r.terminated || r.truncated;
  if (info.episode_done) {
    info.episode_return = return_;
    info.episode_length = length_;
    info.episode_lap_time_s = lap_time_s_;
    info.episode_lap_complete = lap_time_s_ >= 0;
    info.episode_laps = laps_;
    if (laps_ >= 2)
      info.episode_later_lap_time_s = static_cast<float>((last_lap_end_ * step_s_ - lap_time_s_) / (laps_ - 1));
  }
  return r;
}

}  // namespace dl::envs
