#include "app/train/rollout_video.h"

#include "app/view/agent_driver.h"
#include "video/headless.h"

namespace dl::app {
namespace {
constexpr int kGifSize_px = 192;
constexpr int kGifEvery = 2;            // 25 frames a second at the 50 Hz step: smooth enough, half the size
constexpr float kGifZoom_ppm = 2.5f;    // ~77 m across: the road ahead and the next bend
constexpr uint64_t kGifSeed = 20'000;   // a fixed seed so successive runs show the same test track
}  // namespace

void write_policy_gif(const std::string& checkpoint_path, const std::string& gif_path, int max_steps) {
  AgentDriver agent(checkpoint_path, "cpu");
  envs::EnvConfig env = agent.env_config();
  env.tracks = "test";
  video::HeadlessOptions o;
  o.seed = kGifSeed;
  o.episodes = 1;
  o.max_steps = max_steps;
  o.width = o.height = kGifSize_px;
  o.view.camera = video::CameraMode::follow;
  o.view.pixels_per_m = kGifZoom_ppm;
  o.record = gif_path;
  o.record_every = kGifEvery;
  o.on_episode_start = agent.episode_start_hook();
  o.on_reward = agent.reward_hook();
  video::run_headless(env, agent.driver(), o);
}

}  // namespace dl::app
