// drivelab/app: `drivelab watch`: a trained agent driving, in a window or headless into files.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/view/agent_driver.h"
#include "app/view/cmd_view_options.h"
#include "app/run_config.h"
#include "app/env_overrides.h"
#include "app/view/viewer_commands.h"
#include "video/headless.h"
#ifdef DRIVELAB_WITH_SDL
#include "viewer/controls.h"
#include "viewer/viewer.h"
#endif

namespace dl::app {
namespace {

struct WatchArgs {
  std::string target;
  int episodes = 0;  // 0: until quit in a window, 1 headless
  bool headless = false;
  std::string device = "cpu";
  ViewArgs view;
  std::vector<std::string> overrides;  // env.key=value, on top of the run's env
};

std::string keys_footer() {
#ifdef DRIVELAB_WITH_SDL
  std::string text = "Keys:\n";
  for (const auto& [key, what] : viewer::key_legend(false)) {
    text += "  " + key + std::string(key.size() < 18 ? 18 - key.size() : 1, ' ') + what + "\n";
  }
  return text + "With no display, use --headless (or SDL_VIDEODRIVER=offscreen).";
#else
  return "Built without SDL: only --headless is available.";
#endif
}

int run_watch(const WatchArgs& a) {
  AgentDriver agent(a.target, a.device);
  envs::EnvConfig env = env_with_overrides(agent.env_config_for(a.view.env), a.overrides);
  apply_view_args(a.view, env);
  std::printf("watching %s on %s (%s tracks, seed %llu)\n", agent.checkpoint_path().c_str(), env.id.c_str(),
              env.tracks.c_str(), static_cast<unsigned long long>(a.view.seed));
  if (a.headless) {
    if (a.view.record.empty() && a.view.screenshot.empty())
      throw ConfigError("--headless writes files: give --record FILE.gif and/or --screenshot FILE.png");
    video::HeadlessOptions o;
    o.seed = a.view.seed;
    o.episodes = a.episodes > 0 ? a.episodes : 1;
    o.width = a.view.width;
    o.height = a.view.height;
    o.view = view_of(a.view);
    o.record = a.view.record;
    o.record_every = a.view.record_every;
    o.screenshot = a.view.screenshot;
    o.screenshot_step = a.view.screenshot_step;
    o.on_episode_start = agent.episode_start_hook();
    o.on_reward = agent.reward_hook();
    const video::HeadlessResult r = video::run_headless(env, agent.driver(), o);
    for (size_t i = 0; i < r.returns.size(); ++i)
      std::printf("episode %zu: return %.1f, %d steps\n", i + 1, r.returns[i], r.lengths[i]);
    if (!o.record.empty()) std::printf("wrote %s (%d frames)\n", o.record.c_str(), r.frames_recorded);
    if (!o.screenshot.empty()) std::printf("wrote %s\n", o.screenshot.c_str());
    return kExitOk;
  }
#ifdef DRIVELAB_WITH_SDL
  viewer::WindowOptions w;
  w.title = "drivelab watch - " + agent.checkpoint_path();
  w.width = a.view.width;
  w.height = a.view.height;
  w.seed = a.view.seed;
  w.episodes = a.episodes;
  w.view = view_of(a.view);
  w.record = a.view.record;
  w.record_every = a.view.record_every;
  w.screenshot = a.view.screenshot;
  w.screenshot_step = a.view.screenshot_step;
  w.on_episode_start = agent.episode_start_hook();
  w.on_reward = agent.reward_hook();
  const viewer::WindowResult r = viewer::run_window(env, agent.driver(), w);
  if (!w.record.empty()) std::printf("wrote %s (%d frames)\n", w.record.c_str(), r.frames_recorded);
  if (!w.screenshot.empty()) std::printf("wrote %s\n", w.screenshot.c_str());
  return kExitOk;
#else
  throw ConfigError("this drivelab was built without SDL: use --headless");
#endif
}

}  // namespace

CommandHook add_watch_command(CLI::App& app) {
  auto args = std::make_shared<WatchArgs>();
  CLI::App* cmd = app.add_subcommand("watch", "Watch a trained agent drive: a window with a HUD, or --headless into a GIF/PNG.");
  cmd->add_option("target", args->target, "Run folder (checkpoints/best.pt, else latest.pt) or checkpoint file")->required();
  cmd->add_option("overrides", args->overrides, "env.key=value overrides, applied on top of the run's own env");
  cmd->add_option("--env", args->view.env, "Env id to drive in (default: the one it was trained on; the observations must match)");
  cmd->add_option("--episodes", args->episodes, "Quit after N episodes (default: until quit; 1 with --headless)")
      ->check(CLI::Range(0, 100000));
  cmd->add_flag("--headless", args->headless, "No window: render through the rasterizer into --record/--screenshot files");
  cmd->add_option("--device", args->device, "Where the policy runs: cpu (default), cuda, auto");
  add_view_options(cmd, args->view);
  cmd->footer(keys_footer());
  return {cmd, [args] { return run_watch(*args); }};
}

}  // namespace dl::app
