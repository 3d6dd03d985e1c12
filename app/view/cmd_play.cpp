// drivelab/app: `drivelab play`: a person drives with the keyboard.
#include <cstdio>
#include <memory>
#include <string>

#include "app/view/cmd_view_options.h"
#include "app/run_config.h"
#include "app/view/viewer_commands.h"
#include "envs/registry.h"
#ifdef DRIVELAB_WITH_SDL
#include "viewer/controls.h"
#include "viewer/viewer.h"
#endif

namespace dl::app {
namespace {

struct PlayArgs {
  bool no_legend = false;
  ViewArgs view;
};

std::string keys_footer() {
#ifdef DRIVELAB_WITH_SDL
  std::string text = "Keys (the keyboard makes the same sim::Action an agent does; steering ramps while held):\n";
  for (const auto& [key, what] : viewer::key_legend(true))
    text += "  " + key + std::string(key.size() < 18 ? 18 - key.size() : 1, ' ') + what + "\n";
  return text + "Needs a display (SDL_VIDEODRIVER=offscreen gives an invisible window for screenshots).";
#else
  return "Built without SDL: play is not available.";
#endif
}

int run_play(const PlayArgs& a) {
  const std::string id = a.view.env.empty() ? "track" : a.view.env;
  if (!envs::is_registered(id)) throw ConfigError("--env: unknown env id '" + id + "'");
  envs::EnvConfig env = envs::default_env_config(id);
  env.action = "continuous";  // the keyboard steers by degrees, not from CarRacing's five choices
  apply_view_args(a.view, env);
#ifdef DRIVELAB_WITH_SDL
  viewer::WindowOptions w;
  w.title = "drivelab play - " + id;
  w.width = a.view.width;
  w.height = a.view.height;
  w.seed = a.view.seed;
  w.view = view_of(a.view);
  w.legend = !a.no_legend;
  w.record = a.view.record;
  w.record_every = a.view.record_every;
  w.screenshot = a.view.screenshot;
  w.screenshot_step = a.view.screenshot_step;
  const viewer::WindowResult r = viewer::run_window(env, {}, w);
  std::printf("%d episode(s) finished\n", r.episodes_done);
  if (!w.record.empty()) std::printf("wrote %s (%d frames)\n", w.record.c_str(), r.frames_recorded);
  if (!w.screenshot.empty()) std::printf("wrote %s\n", w.screenshot.c_str());
  return kExitOk;
#else
  throw ConfigError("this drivelab was built without SDL, so there is no window to play in");
#endif
}

}  // namespace

CommandHook add_play_command(CLI::App& app) {
  auto args = std::make_shared<PlayArgs>();
  CLI::App* cmd = app.add_subcommand("play", "Drive yourself with the keyboard (arrows or WASD) in a window.");
  cmd->add_option("--env", args->view.env, "Env id (default track)");
  cmd->add_flag("--no-legend", args->no_legend, "Start without the key legend (H shows it)");
  add_view_options(cmd, args->view);
  cmd->footer(keys_footer());
  return {cmd, [args] { return run_play(*args); }};
}

}  // namespace dl::app
