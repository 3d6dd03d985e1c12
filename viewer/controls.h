// drivelab/viewer: what the viewer's keys do, as plain state changes (no SDL), and the fixed-step
// clock that keeps the simulation at its own rate whatever the frame rate.
#pragma once
#include <vector>

#include "video/hud.h"
#include "video/scene.h"

namespace dl::viewer {

enum class Command {
  toggle_pause,
  single_step,
  faster,
  slower,
  restart,        // a new episode on the next seed
  cycle_camera,
  zoom_in,
  zoom_out,
  toggle_lidar,
  toggle_legend,
  quit,
};

// Simulation speed multipliers that faster/slower step through; index kRealTimeSpeed is 1x.
inline constexpr float kSpeeds[] = {0.125f, 0.25f, 0.5f, 1.f, 2.f, 4.f, 8.f, 16.f};
inline constexpr int kRealTimeSpeed = 3;

struct ViewerState {
  bool paused = false;
  int pending_steps = 0;  // single steps asked for while paused
  int speed_index = kRealTimeSpeed;
  video::View view;
  bool legend = false;
  bool restart = false;   // consumed by the loop
  bool quit = false;
  float speed_multiplier() const { return kSpeeds[speed_index]; }
};

void apply_command(Command command, ViewerState& state);

// The key legend shown by H and printed by --help; `play` adds the driving keys.
video::KeyLegend key_legend(bool play);

// Fixed-timestep accumulator: real time (scaled by the speed multiplier) is banked and spent in whole
// simulation steps. After a stall (a dragged window, a slow frame) at most max_steps_per_frame run and
// the rest of the backlog is dropped, so the viewer slows down rather than freezing to catch up.
class FixedStepClock {
 public:
  explicit FixedStepClock(double step_s, int max_steps_per_frame = 64);
  int advance(double real_elapsed_s, double speed_multiplier);
  void reset() { accumulator_s_ = 0; }

 private:
  double step_s_;
  int max_steps_;
  double accumulator_s_ = 0;
};

}  // namespace dl::viewer
