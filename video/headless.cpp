#include "video/headless.h"

#include <stdexcept>

#include "video/video.h"

namespace dl::video {

HeadlessResult run_headless(const envs::EnvConfig& config, const DriverFn& driver, const HeadlessOptions& options) {
  if (options.episodes < 1) throw std::invalid_argument("episodes must be at least 1");
  if (options.record_every < 1) throw std::invalid_argument("record_every must be at least 1");
  EpisodeRunner runner(config);
  raster::Image frame{options.width, options.height, {}};
  sim::DrawList scratch;
  std::unique_ptr<VideoWriter> video;
  if (!options.record.empty())
    video = open_video(options.record, options.width, options.height, runner.step_s() * options.record_every);
  bool screenshot_due = !options.screenshot.empty();
  std::vector<float> action(static_cast<size_t>(runner.action_spec().dim()));

  const auto draw = [&] {
    HudState hud = runner.hud();
    hud.driver = options.driver_label;
    render_frame(runner.world(), options.view, options.hud ? &hud : nullptr, scratch, frame);
  };

  HeadlessResult result;
  for (int episode = 0; episode < options.episodes; ++episode) {
    runner.reset(options.seed + static_cast<uint64_t>(episode));
    if (options.on_episode_start) options.on_episode_start();
    int steps = 0;
    bool ended = false;
    while (!ended) {
      const bool record_now = video && steps % options.record_every == 0;
      const bool shoot_now = screenshot_due && steps == options.screenshot_step;
      if (record_now || shoot_now) draw();
      if (record_now) video->add_frame(frame);
      if (shoot_now) write_image(frame, options.screenshot), screenshot_due = false;
      const std::optional<float> value = driver(runner.obs(), action.data());
      ended = runner.step(action.data(), value);
      if (options.on_reward) options.on_reward(runner.hud().reward);
      ++steps;
      if (options.max_steps > 0 && steps >= options.max_steps) ended = true;
    }
    // The final state, so a video ends on the crash or the finish line and a short episode still gets
    // its screenshot.
    if (video || screenshot_due) draw();
    if (video) video->add_frame(frame);
    if (screenshot_due) write_image(frame, options.screenshot), screenshot_due = false;
    result.returns.push_back(runner.hud().episode_return);
    result.lengths.push_back(steps);
  }
  if (video) {
    result.frames_recorded = video->frames();
    video->finish();
  }
  return result;
}

}  // namespace dl::video
