// drivelab/envs: the environment configuration, as plain structs with documented defaults.
//
// Config structs are described to readers (the YAML loader in app/, `drivelab envs`, the resolved-config
// writer) by a visit_fields(struct, visitor) function. A visitor provides:
//   v.field(name, T& value, doc)               bool, std::string
//   v.field(name, T& value, doc, lo, hi)       integers and floats, inclusive range
//   v.choice(name, T& value, {{"a", A}, ...}, doc)   enums and closed sets of strings; the options are
//                                                    std::vector<std::pair<std::string, T>> (env ids,
//                                                    presets and algorithms come from their registries)
//   v.section(name, S& sub, doc)               a nested struct, itself visited with visit_fields
// so the YAML parsing stays in one place (app/) and envs/ never sees yaml-cpp.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "sim/world.h"

// The sim structs are described in their own namespace, so argument-dependent lookup finds the
// descriptions from any visitor.
namespace dl::sim {

template <class V>
void visit_fields(TrackConfig& p, V& v) {
  v.choice("layout", p.layout, {{"loop", TrackLayout::loop}, {"circuit", TrackLayout::circuit}},
           "loop: CarRacing-style spline loop; circuit: real-circuit scale (straights, hairpins, chicanes)");
  v.field("checkpoints", p.checkpoints, "control points around the loop", 4, 64);
  v.field("radius_m", p.radius_m, "mean checkpoint distance from the centre (m)", 20.f, 2000.f);
  v.field("radius_noise", p.radius_noise, "checkpoint radius jitter, fraction", 0.f, 0.9f);
  v.field("angle_noise", p.angle_noise, "checkpoint angle jitter, fraction of spacing", 0.f, 0.9f);
  v.field("width_m", p.width_m, "road width (m)", 3.f, 50.f);
  v.field("min_curve_radius_m", p.min_curve_radius_m, "tightest allowed bend (m)", 0.f, 500.f);
  v.field("point_spacing_m", p.point_spacing_m, "centre-line point spacing = tile length (m)", 1.f, 50.f);
  v.field("kerb_curvature", p.kerb_curvature, "kerbs on bends sharper than this (1/m)", 0.f, 1.f);
  v.field("walls", p.walls, "solid walls beside the road");
  v.field("wall_offset_m", p.wall_offset_m, "wall distance from the road edge (m)", 0.f, 50.f);
  v.field("clockwise_fraction", p.clockwise_fraction, "share of tracks that run clockwise", 0.f, 1.f);
  v.field("length_min_m", p.length_min_m, "circuit: shortest lap (m)", 200.f, 20000.f);
  v.field("length_max_m", p.length_max_m, "circuit: longest lap (m)", 200.f, 20000.f);
  v.field("width_variation_m", p.width_variation_m, "circuit: width varies in width_m +- this (m)", 0.f, 20.f);
}
template <class V>
void visit_fields(CarConfig& p, V& v) {
  v.field("mass_kg", p.mass_kg, "car mass (kg)", 100.f, 10000.f);
  v.field("length_m", p.length_m, "body length (m)", 1.f, 10.f);
  v.field("width_m", p.width_m, "body width (m)", 0.5f, 5.f);
  v.field("engine_power_w", p.engine_power_w, "engine power limit (W)", 1e3f, 1e6f);
  v.field("max_drive_force_n", p.max_drive_force_n, "traction force limit (N)", 100.f, 1e5f);
  v.field("max_brake_force_n", p.max_brake_force_n, "total brake force (N)", 100.f, 1e5f);
  v.field("brake_lock_threshold", p.brake_lock_threshold, "brake input that locks the wheels", 0.f, 1.f);
  v.field("max_steer_rad", p.max_steer_rad, "front wheel angle at full steer (rad)", 0.05f, 1.2f);
  v.field("steer_rate_radps", p.steer_rate_radps, "steering rate limit (rad/s)", 0.1f, 100.f);
  v.field("drag_coeff", p.drag_coeff, "aero drag, force = c v^2", 0.f, 10.f);
  v.field("rolling_resistance", p.rolling_resistance, "fraction of weight", 0.f, 1.f);
  v.choice("drive", p.drive, {{"rear", Drive::rear}, {"all", Drive::all}}, "driven wheels");
}
template <class V>
void visit_fields(SurfaceGrip& p, V& v) {
  v.field("road", p.road, "friction coefficient on road", 0.05f, 3.f);
  v.field("kerb", p.kerb, "friction coefficient on kerbs", 0.05f, 3.f);
  v.field("grass", p.grass, "friction coefficient on grass", 0.05f, 3.f);
  v.field("grass_drag", p.grass_drag, "extra rolling resistance on grass", 0.f, 2.f);
}
template <class V>
void visit_fields(LidarConfig& p, V& v) {
  v.field("rays", p.rays, "number of rays", 1, 1024);
  v.field("fov_rad", p.fov_rad, "field of view (rad), centred on the heading", 0.01f, 6.2832f);
  v.field("range_m", p.range_m, "ray length (m)", 1.f, 1000.f);
}
template <class V>
void visit_fields(LookaheadConfig& p, V& v) {
  v.field("points", p.points, "look-ahead values (windows in time mode)", 0, 64);
  v.field("spacing_m", p.spacing_m, "fixed mode: distance between curvature samples (m)", 0.5f, 500.f);
  v.field("horizon_s", p.horizon_s, "0 = fixed mode; > 0: horizon = speed * horizon_s (time mode)", 0.f, 30.f);
  v.field("min_horizon_m", p.min_horizon_m, "time mode: horizon at low speed (m)", 1.f, 2000.f);
  v.field("widths", p.widths, "time mode: also the narrowest road width of each window");
}
template <class V>
void visit_fields(TrafficConfig& p, V& v) {
  v.field("cars", p.cars, "other cars", 0, 64);
  v.field("desired_speed_mps", p.desired_speed_mps, "their IDM desired speed (m/s)", 0.f, 100.f);
  v.field("lateral_offset_m", p.lateral_offset_m, "their lane offset from the centre (m)", 0.f, 20.f);
  v.field("obstacles", p.obstacles, "static obstacles on the road", 0, 256);
  v.field("obstacle_size_m", p.obstacle_size_m, "obstacle side (m)", 0.1f, 20.f);
}
}  // namespace dl::sim

namespace dl::envs {

inline constexpr float kInf = std::numeric_limits<float>::infinity();

struct RewardConfig {
  float tile_reward = 1000;       // spread over the track: +tile_reward / N for each newly visited tile
  float tile_reward_per_km = 0;   // > 0: replaces tile_reward by this much per km of track, so a tile is
                                  // worth the same on a 400 m loop and a 7 km circuit
  float step_penalty = 0.1f;      // subtracted every step
  float off_playfield = -100;     // reward on leaving the playfield (terminates)
  float offtrack_penalty = 0;     // shaping: per step with no wheel on road (0 = CarRacing's reward)
  float speed_bonus = 0;          // shaping: per step, times forward speed in m/s
  float collision_penalty = 0;    // per collision (traffic env)
  bool terminate_on_collision = false;
  float lap_bonus = 0;            // extra reward when the lap completes
};

struct RandomizeConfig {
  float friction = 0;  // grip scaled by U[1 - f, 1 + f] per episode
  float power = 0;     // engine power scaled by U[1 - p, 1 + p]
  float mass = 0;      // mass scaled by U[1 - m, 1 + m]
  bool colors = false; // palette jittered per episode
  bool track_params = false;  // checkpoints, radius and noise drawn per episode around the preset
};

// The memory tasks (envs/memory_tasks.h): sensor blackouts (track-blackout) and a cue that decides a
// reward much later (track-cue). Steps are agent steps (after action repeat).
struct MemoryTaskConfig {
  float blackout_min_s = 1.0f;    // track-blackout: shortest blackout (s)
  float blackout_max_s = 3.0f;    // longest blackout (s)
  float clear_min_s = 1.0f;       // shortest stretch with sensors between blackouts (s)
  float clear_max_s = 3.0f;       // longest such stretch (s)
  int cue_steps = 8;              // track-cue: steps the cue is in the observation, from the reset
  int gate_step = 120;            // first step of the gate, where the cued side of the road pays
  int gate_steps = 40;            // length of the gate (steps)
  float cue_reward = 100;         // reward for a whole gate on the cued side
  float lane_band = 0.3f;         // |lateral offset| / half width beyond which the car is on one side
  float centre_penalty = 0.5f;    // before the gate, per step outside the centre band, as a share of
                                  // cue_reward / gate_steps (so the side of the road cannot hold the cue)
  int laps = 3;                   // track-laps: laps of the same track per episode
  float first_lap_scale = 0.25f;  // track-laps: reward of lap 1's steps, as a share (later laps count 1)
  int progress_features = 0;      // track-laps: sin/cos pairs of the lap progress's phase appended (0 = none)
  float later_lidar_m = 0;        // track-laps: > 0: from lap 2 on the lidar reaches only this far (m)
  bool first_lap_lookahead = false;  // track-laps: the look-ahead (lookahead.points) shows on lap 1 only
};

struct PixelConfig {
  int width = 96;
  int height = 96;
  float pixels_per_m = 2.7f;  // CarRacing's zoom (2.7 px per world unit at 96x96 after its scaling)
  bool start_zoom = false;    // CarRacing's zoom-in over the first second; off by default
  bool hud = true;            // CarRacing's bottom indicator bars
  // One luminance channel (ITU-R BT.601 weights) instead of RGB: [H, W, 1]. Off by default (CarRacing's
  // RGB); with a 64x64 view it cuts the CNN's input 6.75-fold, the cheap-pixels setting (docs/distill.md).
  bool grayscale = false;
};

struct EnvConfig {
  std::string id = "track";          // track | carracing | traffic | track-pomdp | track-blackout | track-cue | track-laps
  std::string preset = "medium";     // easy | medium | hard | circuit: track generator parameters
  sim::TrackConfig track;            // filled from the preset, then overridden by the config
  sim::CarConfig car;
  sim::SurfaceGrip grip;
  sim::LidarConfig lidar;
  sim::LookaheadConfig lookahead;    // what the observation shows of the road ahead
  sim::TrafficConfig traffic;
  RewardConfig reward;
  RandomizeConfig randomize;
  PixelConfig pixels;
  std::string tracks = "train";      // train | test: disjoint track-seed sets
  int num_tracks = 0;                // >0: draw from a fixed pool of this many train tracks
  std::string track_files;           // a track file or a folder of them (instead of procedural tracks)
  std::string track_source = "procedural";  // procedural | gan:PATH (train tracks from a generator file)
  float generated_fraction = 1.0f;   // gan: share of train episodes on generated tracks (rest procedural)
  float circuit_fraction = 0.0f;     // share of train episodes on `circuit` preset layouts (the rest on `preset`)
  bool random_start = false;         // train episodes on procedural tracks start at a random point of the lap
  std::string action = "continuous"; // continuous | discrete
  int max_steps = 1000;              // time limit (truncation)
  int action_repeat = 1;
  int frame_stack = 1;
  float dt_s = 0.02f;
  float pomdp_dropout = 0.0f;        // track-pomdp: probability that a step's lidar scan is blanked
  MemoryTaskConfig memory;           // track-blackout, track-cue, track-laps
};

template <class V>
void visit_fields(RewardConfig& p, V& v) {
  v.field("tile_reward", p.tile_reward, "total reward for visiting every tile", 0.f, 1e6f);
  v.field("tile_reward_per_km", p.tile_reward_per_km, "> 0: tile reward per km of track instead of per track", 0.f, 1e6f);
  v.field("step_penalty", p.step_penalty, "subtracted every step", 0.f, 100.f);
  v.field("off_playfield", p.off_playfield, "reward on leaving the playfield", -1e6f, 0.f);
  v.field("offtrack_penalty", p.offtrack_penalty, "per step off the road (shaping)", 0.f, 100.f);
  v.field("speed_bonus", p.speed_bonus, "per step times forward speed (shaping)", 0.f, 100.f);
  v.field("collision_penalty", p.collision_penalty, "per collision", 0.f, 1e6f);
  v.field("terminate_on_collision", p.terminate_on_collision, "end the episode on a collision");
  v.field("lap_bonus", p.lap_bonus, "extra reward on completing the lap", 0.f, 1e6f);
}
template <class V>
void visit_fields(RandomizeConfig& p, V& v) {
  v.field("friction", p.friction, "grip scale jitter, fraction", 0.f, 0.9f);
  v.field("power", p.power, "engine power jitter, fraction", 0.f, 0.9f);
  v.field("mass", p.mass, "mass jitter, fraction", 0.f, 0.9f);
  v.field("colors", p.colors, "jitter the palette per episode");
  v.field("track_params", p.track_params, "draw track parameters per episode");
}
template <class V>
void visit_fields(MemoryTaskConfig& p, V& v) {
  v.field("blackout_min_s", p.blackout_min_s, "track-blackout: shortest blackout (s)", 0.02f, 600.f);
  v.field("blackout_max_s", p.blackout_max_s, "track-blackout: longest blackout (s)", 0.02f, 600.f);
  v.field("clear_min_s", p.clear_min_s, "track-blackout: shortest stretch with sensors (s)", 0.02f, 600.f);
  v.field("clear_max_s", p.clear_max_s, "track-blackout: longest stretch with sensors (s)", 0.02f, 600.f);
  v.field("cue_steps", p.cue_steps, "track-cue: steps the cue is shown after reset", 1, 1 << 20);
  v.field("gate_step", p.gate_step, "track-cue: first step of the gate", 1, 1 << 20);
  v.field("gate_steps", p.gate_steps, "track-cue: gate length (steps)", 1, 1 << 20);
  v.field("cue_reward", p.cue_reward, "track-cue: reward for a whole gate on the cued side", 0.f, 1e6f);
  v.field("lane_band", p.lane_band, "track-cue: |offset| / half width that counts as a side", 0.f, 1.f);
  v.field("centre_penalty", p.centre_penalty, "track-cue: pre-gate cost per step off centre, share of the gate's per-step reward", 0.f, 100.f);
  v.field("laps", p.laps, "track-laps: laps of one track per episode (scored mostly on laps 2..)", 2, 100);
  v.field("first_lap_scale", p.first_lap_scale, "track-laps: share of its reward that lap 1 earns", 0.f, 1.f);
  v.field("progress_features", p.progress_features, "track-laps: sin/cos pairs (harmonics 1..K) of the lap progress appended", 0, 16);
  v.field("later_lidar_m", p.later_lidar_m, "track-laps: > 0: the lidar's reach from lap 2 on (m); lap 1 is the look", 0.f, 1000.f);
  v.field("first_lap_lookahead", p.first_lap_lookahead, "track-laps: the road ahead (lookahead.points) is shown on lap 1 only, 0 from lap 2 on");
}
template <class V>
void visit_fields(PixelConfig& p, V& v) {
  v.field("width", p.width, "observation width (px)", 8, 1024);
  v.field("height", p.height, "observation height (px)", 8, 1024);
  v.field("pixels_per_m", p.pixels_per_m, "zoom (px per m)", 0.1f, 100.f);
  v.field("start_zoom", p.start_zoom, "CarRacing's zoom-in during the first second");
  v.field("hud", p.hud, "draw CarRacing's indicator bars");
  v.field("grayscale", p.grayscale, "one luminance channel instead of RGB ([H, W, 1])");
}
// The registered env ids and the track presets as choice options (envs/registry.cpp): the registry is
// the one list.
std::vector<std::pair<std::string, std::string>> env_id_choices();
std::vector<std::pair<std::string, std::string>> preset_choices();

template <class V>
void visit_fields(EnvConfig& c, V& v) {
  v.choice("id", c.id, env_id_choices(), "registered environment");
  v.choice("preset", c.preset, preset_choices(), "track generator preset");
  v.section("track", c.track, "track generator parameters (override the preset)");
  v.section("car", c.car, "car parameters");
  v.section("grip", c.grip, "grip by surface");
  v.section("lidar", c.lidar, "lidar sensor");
  v.section("lookahead", c.lookahead, "the road ahead in the observation (curvature, width)");
  v.section("traffic", c.traffic, "other cars and obstacles");
  v.section("reward", c.reward, "reward terms");
  v.section("randomize", c.randomize, "domain randomization per episode");
  v.section("pixels", c.pixels, "pixel observations (carracing)");
  v.choice("tracks", c.tracks, {{"train", "train"}, {"test", "test"}}, "track-seed set");
  v.field("num_tracks", c.num_tracks, "fixed pool of train tracks (0 = unlimited)", 0, 1 << 30);
  v.field("track_files", c.track_files, "track file or folder (instead of procedural tracks)");
  v.field("track_source", c.track_source, "procedural | gan:PATH: train tracks from a track generator file");
  v.field("generated_fraction", c.generated_fraction, "gan: share of train episodes on generated tracks", 0.f, 1.f);
  v.field("circuit_fraction", c.circuit_fraction, "share of train episodes on circuit-preset layouts (test tracks: none)", 0.f, 1.f);
  v.field("random_start", c.random_start, "train episodes on procedural tracks start at a random point of the lap (test tracks and track files: at the start line)");
  v.choice("action", c.action, {{"continuous", "continuous"}, {"discrete", "discrete"}}, "action space");
  v.field("max_steps", c.max_steps, "time limit in env steps (truncation)", 1, 1 << 30);
  v.field("action_repeat", c.action_repeat, "physics steps per env step", 1, 64);
  v.field("frame_stack", c.frame_stack, "observations stacked", 1, 64);
  v.field("dt_s", c.dt_s, "physics time step (s)", 0.001f, 0.1f);
  v.field("pomdp_dropout", c.pomdp_dropout, "track-pomdp: chance a step's lidar scan is blanked", 0.f, 1.f);
  v.section("memory", c.memory, "memory tasks: track-blackout's blackouts, track-cue's cue and gate, track-laps' laps");
}

}  // namespace dl::envs
