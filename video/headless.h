// drivelab/video: episodes run and rendered with no window (servers, CI, the video at the end of
// `drivelab train`). Everything goes through render/raster; nothing here touches SDL.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "envs/env_config.h"
#include "video/episode.h"
#include "video/scene.h"

namespace dl::video {

struct HeadlessOptions {
  uint64_t seed = 1;           // episode i runs with seed + i
  int episodes = 1;
  int max_steps = 0;           // per-episode cap on agent steps (0 = until the episode ends)
  int width = 640, height = 480;
  View view;
  bool hud = true;
  std::string driver_label = "agent";
  std::string record;          // video file (.gif, .mp4), "" = none
  int record_every = 2;        // record every k-th agent step
  std::string screenshot;      // still image (.png, .ppm), "" = none
  int screenshot_step = 100;   // agent step of the first episode to save (its last frame if it ends sooner)
  std::function<void()> on_episode_start;  // called after each reset (a driver with memory forgets it)
  std::function<void(float)> on_reward;    // each step's reward (a return-conditioned driver needs it)
};

struct HeadlessResult {
  std::vector<double> returns;
  std::vector<int> lengths;
  int frames_recorded = 0;
};

HeadlessResult run_headless(const envs::EnvConfig& config, const DriverFn& driver, const HeadlessOptions& options);

}  // namespace dl::video
