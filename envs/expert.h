// drivelab/envs: a scripted expert driver with privileged access to the track geometry (the whole centre
// line, its curvature and the grip), used to collect demonstrations and to label states for DAgger.
//
// Steering is pure pursuit on the centre line: the target point lies a look-ahead distance ahead along
// the track, and the look-ahead grows with speed so fast driving stays smooth. Speed is planned from the
// curvature ahead: each point within braking distance allows a cornering speed sqrt(a_lat / |k|), and the
// car may go no faster now than it can brake down to that speed by the time it gets there.
#pragma once
#include <cstdint>

#include "envs/env.h"
#include "sim/track_query.h"
#include "sim/world.h"

namespace dl::envs {

struct ExpertOptions {
  float lookahead_base_m = 5;        // look-ahead at standstill
  float lookahead_per_mps = 0.3f;    // extra look-ahead per m/s of speed (a time headway, s)
  // Above fast_from_mps the headway grows by this much more: pure pursuit with a short look-ahead weaves
  // at circuit speeds (a 0.4 s headway at 40 m/s grew into a spin), while below it the preset tracks'
  // tight bends want the short one.
  float fast_from_mps = 20;
  float lookahead_fast_per_mps = 0.6f;
  float fast_grip_share = 0.8f;      // bends taken faster than fast_from_mps use this share of lateral_grip_use
  float lookahead_max_m = 60;
  float lateral_grip_use = 0.6f;     // fraction of road grip spent turning (the rest is margin)
  float braking_grip_use = 0.6f;     // fraction of road grip assumed available to brake
  float max_speed_mps = 45;
  float speed_gain = 0.4f;           // gas or brake per m/s of speed error
};

// The expert that completes laps on every preset.
ExpertOptions expert_params();
// A worse but still plausible driver, for mixed-quality datasets: it looks barely ahead (so it weaves and
// cuts bends) and corners too fast for the grip (so it slides off now and then).
ExpertOptions weak_expert_params();

class ExpertDriver {
 public:
  explicit ExpertDriver(const ExpertOptions& params = expert_params());
  sim::Action act(const sim::World& world);
  const ExpertOptions& params() const { return params_; }

 private:
  void sync_track(const sim::Track& track);
  float target_speed(const sim::Track& track, float arc_m, float speed_mps, float grip) const;

  ExpertOptions params_;
  sim::TrackQuery query_;
  // The world keeps one Track object and refills it on reset; these tell a new track from the old one.
  const sim::Track* track_ = nullptr;
  uint64_t track_seed_ = 0;
  int track_tiles_ = 0;
  float track_length_m_ = 0;
  sim::Vec2 track_start_;  // the same track started elsewhere (env.random_start) is a new numbering
  int segment_hint_ = 0;
};

// The driving world behind an env and its wrappers, or nullptr for envs that have none (test fakes).
// Walks the wrapper chain rather than widening the Env interface for one privileged user.
const sim::World* find_world(Env& env);

}  // namespace dl::envs
