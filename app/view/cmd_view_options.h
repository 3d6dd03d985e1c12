// drivelab/app: the options `watch` and `play` share (camera, window, recording, screenshots).
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "envs/env_config.h"
#include "video/scene.h"

namespace dl::app {

struct ViewArgs {
  std::string env;            // env id ("" = the checkpoint's / track)
  uint64_t seed = 1;
  std::string tracks = "test";
  int max_steps = 0;          // 0 = the env's own time limit
  std::string record;
  int record_every = 2;
  std::string screenshot;
  int screenshot_step = 100;
  std::string camera = "follow";  // follow | rotating | track
  float zoom_ppm = 8;
  bool lidar = false;
  int width = 960, height = 720;
};

inline void add_view_options(CLI::App* cmd, ViewArgs& a) {
  cmd->add_option("--seed", a.seed, "Seed of the first episode; each later episode (and R) takes the next");
  cmd->add_option("--tracks", a.tracks, "Track set: test (unseen in training) or train")
      ->check(CLI::IsMember({"test", "train"}));
  cmd->add_option("--max-steps", a.max_steps, "Episode time limit in agent steps (default: the env's)")
      ->check(CLI::Range(1, 100000000));
  cmd->add_option("--record", a.record, "Record a video: FILE.gif, or FILE.mp4 when ffmpeg is installed");
  cmd->add_option("--record-every", a.record_every, "Record every k-th simulated step (default 2: 25 fps)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--screenshot", a.screenshot, "Save the frame at --screenshot-step as FILE.png or FILE.ppm, then quit");
  cmd->add_option("--screenshot-step", a.screenshot_step, "Agent step of the first episode to save")
      ->check(CLI::Range(0, 100000000));
  cmd->add_option("--camera", a.camera, "Starting camera: follow (default), rotating or track")
      ->check(CLI::IsMember({"follow", "rotating", "track"}));
  cmd->add_option("--zoom", a.zoom_ppm, "Starting zoom in pixels per metre")->check(CLI::Range(video::kMinZoom_ppm, video::kMaxZoom_ppm));
  cmd->add_flag("--lidar", a.lidar, "Start with the lidar rays shown");
  cmd->add_option("--width", a.width, "Window / video width in pixels")->check(CLI::Range(64, 4096));
  cmd->add_option("--height", a.height, "Window / video height in pixels")->check(CLI::Range(64, 4096));
}

inline video::View view_of(const ViewArgs& a) {
  video::View v;
  v.camera = a.camera == "rotating" ? video::CameraMode::rotating
             : a.camera == "track"  ? video::CameraMode::track
                                    : video::CameraMode::follow;
  v.pixels_per_m = a.zoom_ppm;
  v.lidar = a.lidar;
  return v;
}

inline void apply_view_args(const ViewArgs& a, envs::EnvConfig& env) {
  env.tracks = a.tracks;
  if (a.max_steps > 0) env.max_steps = a.max_steps;
}

}  // namespace dl::app
