#include "envs/registry.h"

#include <algorithm>
#include <stdexcept>

#include "envs/driving_env.h"
#include "envs/memory_tasks.h"
#include "envs/wrappers.h"

namespace dl::envs {
namespace {

std::string registered_list() {
  std::string names;
  for (const auto& e : registered_envs()) names += (names.empty() ? "" : ", ") + e.id;
  return names;
}

void require_registered(const std::string& id) {
  if (!is_registered(id))
    throw std::invalid_argument("unknown env id '" + id + "' (registered: " + registered_list() + ")");
}

void require_choice(const char* key, const std::string& value, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed)
    if (value == a) return;
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  throw std::invalid_argument(std::string(key) + ": '" + value + "' is not one of " + list);
}

void validate(const EnvConfig& config) {
  require_registered(config.id);
  require_choice("tracks", config.tracks, {"train", "test"});
  require_choice("action", config.action, {"continuous", "discrete"});
  if (config.max_steps < 1) throw std::invalid_argument("max_steps must be >= 1");
  if (config.frame_stack < 1) throw std::invalid_argument("frame_stack must be >= 1");
  if (config.action_repeat < 1) throw std::invalid_argument("action_repeat must be >= 1");
  if (config.num_tracks < 0) throw std::invalid_argument("num_tracks must be >= 0");
  validate_memory_task(config);
}

}  // namespace

const std::vector<EnvInfo>& registered_envs() {
  static const std::vector<EnvInfo> envs = {
      {"track", "follow a procedural track from lidar and car state; CarRacing's reward"},
      {"carracing", "CarRacing-v3 compatible: 96x96 RGB ego view, -0.1 a step, +1000/N a new tile"},
      {"traffic", "the track env with other cars and obstacles; collisions are penalized"},
      {"track-pomdp", "the track env without velocities and with lidar dropout: needs memory"},
      {"track-blackout", "the track env with every road sensor blacked out for 1-3 s at a time: drive from memory"},
      {"track-cue", "a cue in the first steps names the side of the road that pays 120 steps later"},
      {"track-laps", "3 laps of one unseen track, short lidar, no look-ahead: remember lap 1 to drive laps 2-3 faster"},
  };
  return envs;
}

std::vector<std::pair<std::string, std::string>> env_id_choices() {
  std::vector<std::pair<std::string, std::string>> choices;
  for (const EnvInfo& e : registered_envs()) choices.emplace_back(e.id, e.id);
  return choices;
}

std::vector<std::pair<std::string, std::string>> preset_choices() {
  std::vector<std::pair<std::string, std::string>> choices;
  for (const auto& [name, preset] : sim::track_presets()) choices.emplace_back(name, name);
  return choices;
}

bool is_registered(const std::string& id) {
  const auto& envs = registered_envs();
  return std::any_of(envs.begin(), envs.end(), [&](const EnvInfo& e) { return e.id == id; });
}

void apply_preset(EnvConfig& config) {
  sim::TrackPreset preset;
  if (!sim::parse_track_preset(config.preset, &preset))
  {
    std::string expected;
    for (const auto& [name, p] : sim::track_presets()) expected += (expected.empty() ? "" : ", ") + name;
    throw std::invalid_argument("preset: unknown track preset '" + config.preset + "' (expected one of " + expected + ")");
  }
  config.track = sim::track_preset(preset);
}

EnvConfig default_env_config(const std::string& id) {
  require_registered(id);
  EnvConfig config;
  config.id = id;
  apply_preset(config);
  // The lidar envs decide every 2 physics steps (25 Hz): 1000 steps are 40 s, a lap of a preset track.
  // carracing keeps CarRacing's one frame per step.
  if (id != "carracing") config.action_repeat = 2;
  if (id == "traffic") {
    config.traffic.cars = 6;
    config.traffic.obstacles = 4;
    config.lidar.rays = 24;
    config.reward.collision_penalty = 10;
  } else if (id == "track-pomdp") {
    config.pomdp_dropout = 0.3f;
  } else if (id == "track-blackout") {
    // Easy tracks and 20 s episodes keep the task cheap to learn; the blackouts make it hard.
    config.preset = "easy";
    apply_preset(config);
    config.max_steps = 500;
  } else if (id == "track-cue") {
    // The driving is easy and short; the cue's gate carries most of the reward (docs/envs.md).
    config.preset = "easy";
    apply_preset(config);
    config.max_steps = config.memory.gate_step + config.memory.gate_steps;
    config.reward.tile_reward = 100;
  } else if (id == "track-laps") {
    // Medium tracks have bends a short lidar sees too late at speed; 30 s per lap (750 steps) is
    // generous for a competent driver (a preset lap is 340-400 m).
    config.lidar.range_m = 20;
    config.lookahead.points = 0;
    config.max_steps = 750 * config.memory.laps;
  }
  return config;
}

std::unique_ptr<Env> make_env(const EnvConfig& config, int /*index*/) {
  validate(config);
  auto driving = std::make_unique<DrivingEnv>(config);
  const VectorObsLayout layout = driving->layout();
  std::unique_ptr<Env> env = std::move(driving);
  if (config.id == "track-pomdp" && config.pomdp_dropout > 0)
    env = std::make_unique<LidarDropout>(std::move(env), layout.lidar_first(), layout.lidar_rays, config.pomdp_dropout);
  if (config.id == "track-blackout")
    env = std::make_unique<SensorBlackout>(std::move(env), layout, config.memory, config.dt_s * config.action_repeat);
  if (config.id == "track-cue") env = std::make_unique<CueTask>(std::move(env), layout, config.memory);
  if (config.id == "track-laps") env = std::make_unique<LapMemory>(std::move(env), layout, config.memory, config.lidar.range_m);
  if (config.frame_stack > 1) env = std::make_unique<FrameStack>(std::move(env), config.frame_stack);
  env = std::make_unique<TimeLimit>(std::move(env), config.max_steps);
  return std::make_unique<EpisodeStats>(std::move(env), config.dt_s * config.action_repeat);
}

std::unique_ptr<VectorEnv> make_vector_env(const EnvConfig& config, int num_envs, int num_threads) {
  validate(config);
  return std::make_unique<VectorEnv>([config](int index) { return make_env(config, index); }, num_envs, num_threads);
}

}  // namespace dl::envs
