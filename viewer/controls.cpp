#include "viewer/controls.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dl::viewer {

void apply_command(Command command, ViewerState& state) {
  constexpr int kLastSpeed = static_cast<int>(std::size(kSpeeds)) - 1;
  switch (command) {
    case Command::toggle_pause: state.paused = !state.paused; state.pending_steps = 0; break;
    case Command::single_step:
      // Stepping implies pausing: a step while running would be lost among the running ones.
      state.paused = true;
      ++state.pending_steps;
      break;
    case Command::faster: state.speed_index = std::min(state.speed_index + 1, kLastSpeed); break;
    case Command::slower: state.speed_index = std::max(state.speed_index - 1, 0); break;
    case Command::restart: state.restart = true; break;
    case Command::cycle_camera: state.view.camera = video::next_camera_mode(state.view.camera); break;
    case Command::zoom_in: state.view.pixels_per_m = video::zoomed(state.view.pixels_per_m, 1); break;
    case Command::zoom_out: state.view.pixels_per_m = video::zoomed(state.view.pixels_per_m, -1); break;
    case Command::toggle_lidar: state.view.lidar = !state.view.lidar; break;
    case Command::toggle_legend: state.legend = !state.legend; break;
    case Command::quit: state.quit = true; break;
  }
}

video::KeyLegend key_legend(bool play) {
  video::KeyLegend keys;
  if (play) {
    keys.push_back({"Up / W", "gas"});
    keys.push_back({"Down / S", "brake"});
    keys.push_back({"Left Right / A D", "steer (ramps while held)"});
  }
  keys.push_back({"Space", "pause / resume"});
  keys.push_back({". / N", "single step (pauses)"});
  keys.push_back({"+ / -", "faster / slower (1/8x .. 16x)"});
  keys.push_back({"R", "restart on the next seed"});
  keys.push_back({"C", "camera: follow, rotating, whole track"});
  keys.push_back({"Wheel / [ ]", "zoom"});
  keys.push_back({"L", "lidar rays on / off"});
  keys.push_back({"H", "this legend on / off"});
  keys.push_back({"Esc / Q", "quit"});
  return keys;
}

FixedStepClock::FixedStepClock(double step_s, int max_steps_per_frame) : step_s_(step_s), max_steps_(max_steps_per_frame) {
  if (!(step_s > 0)) throw std::invalid_argument("FixedStepClock: step must be positive");
  if (max_steps_per_frame < 1) throw std::invalid_argument("FixedStepClock: max steps per frame must be >= 1");
}

int FixedStepClock::advance(double real_elapsed_s, double speed_multiplier) {
  accumulator_s_ += std::max(0.0, real_elapsed_s) * std::max(0.0, speed_multiplier);
  // A hair of tolerance so 0.02 s of banked time counts as one 0.02 s step despite rounding.
  const double steps = std::floor(accumulator_s_ / step_s_ + 1e-9);
  if (steps > max_steps_) {
    accumulator_s_ = 0;
    return max_steps_;
  }
  accumulator_s_ = std::max(0.0, accumulator_s_ - steps * step_s_);
  return static_cast<int>(steps);
}

}  // namespace dl::viewer
