#include "viewer/viewer.h"

#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "video/video.h"
#include "viewer/controls.h"
#include "viewer/keyboard.h"
#include "viewer/window.h"

namespace dl::viewer {
namespace {

// Everything one run of the loop owns, so the loop body reads as the steps of a frame.
class Loop {
 public:
  Loop(const envs::EnvConfig& config, const video::DriverFn& driver, const WindowOptions& options)
      : options_(options), driver_(driver), runner_(config), window_(options.title, options.width, options.height),
        clock_(runner_.step_s()) {
    if (!driver_ && runner_.action_spec().discrete)
      throw std::invalid_argument("play needs continuous actions (env.action: continuous)");
    state_.view = options.view;
    state_.legend = options.legend;
    frame_ = raster::Image{options.width, options.height, {}};
    action_.resize(static_cast<size_t>(runner_.action_spec().dim()));
    if (!options.record.empty())
      video_ = video::open_video(options.record, options.width, options.height, runner_.step_s() * options.record_every);
    screenshot_due_ = !options.screenshot.empty();
    runner_.reset(next_seed());
    if (options_.on_episode_start) options_.on_episode_start();
  }

  WindowResult run() {
    double last_s = window_.now_s();
    while (!state_.quit) {
      const double frame_start_s = window_.now_s();
      commands_.clear();
      window_.poll(commands_, keys_);
      for (Command c : commands_) apply_command(c, state_);
      if (state_.restart) {
        state_.restart = false;
        start_episode();
      }
      int steps = clock_.advance(frame_start_s - last_s, state_.paused ? 0.0 : state_.speed_multiplier());
      last_s = frame_start_s;
      if (state_.paused) steps = std::exchange(state_.pending_steps, 0);
      for (int i = 0; i < steps && !state_.quit; ++i) step_once();
      if (state_.quit) break;
      draw();
      window_.present(frame_);
      window_.wait_frame(frame_start_s, 1.0 / options_.fps);
    }
    if (video_) {
      result_.frames_recorded = video_->frames();
      video_->finish();
    }
    return result_;
  }

 private:
  uint64_t next_seed() { return options_.seed + seeds_used_++; }

  void start_episode() {
    runner_.reset(next_seed());
    if (options_.on_episode_start) options_.on_episode_start();
    prev_action_ = {};
    clock_.reset();
  }

  void step_once() {
    if (runner_.done()) {
      ++result_.episodes_done;
      if (options_.episodes > 0 && result_.episodes_done >= options_.episodes) {
        state_.quit = true;
        return;
      }
      start_episode();
    }
    if (video_ && runner_.hud().step % options_.record_every == 0) record();
    std::optional<float> value;
    if (driver_) {
      value = driver_(runner_.obs(), action_.data());
    } else {
      prev_action_ = keyboard_action(keys_, prev_action_, runner_.step_s());
      action_[0] = prev_action_.steer, action_[1] = prev_action_.gas, action_[2] = prev_action_.brake;
    }
    runner_.step(action_.data(), value);
    if (options_.on_reward) options_.on_reward(runner_.hud().reward);
    const bool first_episode = seeds_used_ == 1;
    if (screenshot_due_ && first_episode && (runner_.hud().step >= options_.screenshot_step || runner_.done()))
      take_screenshot();
    if (video_ && runner_.done()) record();  // end on the crash or the finish line
  }

  video::HudState hud() const {
    video::HudState h = runner_.hud();
    h.driver = driver_ ? "agent" : "you";
    h.paused = state_.paused;
    h.speed_multiplier = state_.speed_multiplier();
    h.camera = video::camera_mode_name(state_.view.camera);
    h.hint = "H: keys";
    return h;
  }

  void draw() {
    const video::HudState h = hud();
    video::render_frame(runner_.world(), state_.view, &h, scratch_, frame_);
    if (state_.legend) video::draw_key_legend(frame_, driver_ ? "drivelab watch" : "drivelab play", key_legend(!driver_));
  }

  void record() {
    draw();
    video_->add_frame(frame_);
  }

  // Saved from the window's own pixels, which are the rasterized frame.
  void take_screenshot() {
    draw();
    window_.present(frame_);
    video::write_image(window_.read_back(), options_.screenshot);
    screenshot_due_ = false;
    state_.quit = true;
  }

  const WindowOptions& options_;
  video::DriverFn driver_;
  video::EpisodeRunner runner_;
  Window window_;
  FixedStepClock clock_;
  ViewerState state_;
  KeyState keys_;
  sim::Action prev_action_;
  std::vector<float> action_;
  std::vector<Command> commands_;
  raster::Image frame_;
  sim::DrawList scratch_;
  std::unique_ptr<video::VideoWriter> video_;
  bool screenshot_due_ = false;
  uint64_t seeds_used_ = 0;
  WindowResult result_;
};

}  // namespace

WindowResult run_window(const envs::EnvConfig& config, const video::DriverFn& driver, const WindowOptions& options) {
  Loop loop(config, driver, options);
  return loop.run();
}

}  // namespace dl::viewer
