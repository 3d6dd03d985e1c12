// drivelab/viewer: the interactive loop behind `drivelab watch` and `drivelab play`.
//
// The simulation advances in fixed agent steps (dt times action repeat: 50 Hz by default) through a
// FixedStepClock, so a slow or fast display changes how often frames are drawn, never the physics; the
// speed keys scale simulated time against real time. Recording takes every k-th simulated step, so a
// video plays back in real time whatever the viewer's speed or frame rate was.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "envs/env_config.h"
#include "video/episode.h"
#include "video/scene.h"

namespace dl::viewer {

struct WindowOptions {
  std::string title = "drivelab";
  int width = 960, height = 720;
  uint64_t seed = 1;            // episode i (and each restart) uses the next seed
  int episodes = 0;             // quit after this many episodes have ended (0 = run until quit)
  video::View view;
  bool legend = false;          // show the key legend at start
  std::string record;           // video file (.gif, .mp4), "" = none
  int record_every = 2;         // record every k-th simulated step
  std::string screenshot;       // save the frame at screenshot_step of the first episode here, then quit
  int screenshot_step = 100;
  double fps = 60;              // frame-rate cap when the display has no vsync
  std::function<void()> on_episode_start;  // called after each reset (a driver with memory forgets it)
  std::function<void(float)> on_reward;    // each step's reward (a return-conditioned driver needs it)
};

struct WindowResult {
  int episodes_done = 0;
  int frames_recorded = 0;
};

// Runs the window until quit. `driver` drives (watch); when empty, the keyboard does (play) and the env's
// actions must be continuous. Throws ViewerError when no window can be opened.
WindowResult run_window(const envs::EnvConfig& config, const video::DriverFn& driver, const WindowOptions& options);

}  // namespace dl::viewer
