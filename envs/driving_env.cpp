#include "envs/driving_env.h"

#include <algorithm>
#include <stdexcept>

#include "envs/pixels.h"
#include "envs/randomize.h"
#include "sim/track_start.h"

namespace dl::envs {
namespace {

ActionSpec make_action_spec(const std::string& kind) {
  ActionSpec spec;
  if (kind == "discrete") {
    spec.discrete = true;
    spec.n = sim::kNumDiscreteActions;
    spec.box.shape = {1};
    spec.box.low = {0};
    spec.box.high = {static_cast<float>(sim::kNumDiscreteActions - 1)};
    return spec;
  }
  if (kind != "continuous")
    throw std::invalid_argument("action: unknown action space '" + kind + "' (expected continuous or discrete)");
  spec.box.shape = {3};  // steer, gas, brake
  spec.box.low = {-1, 0, 0};
  spec.box.high = {1, 1, 1};
  return spec;
}

int ego_collisions(const sim::StepEvents& events) {
  return static_cast<int>(std::count_if(events.collisions.begin(), events.collisions.end(),
                                        [](const sim::Collision& c) { return c.car_a == 0; }));
}

}  // namespace

sim::WorldOptions world_config(const EnvConfig& config) {
  sim::WorldOptions w;
  w.track = config.track;
  w.car = config.car;
  w.grip = config.grip;
  w.lidar = config.lidar;
  w.lookahead = config.lookahead;
  w.traffic = config.traffic;
  w.dt_s = config.dt_s;
  return w;
}

DrivingEnv::DrivingEnv(const EnvConfig& config)
    : config_(config),
      base_world_(world_config(config)),
      world_(std::make_unique<sim::World>(base_world_)),
      tracks_(config),
      pixels_(config.id == "carracing"),
      layout_(vector_obs_layout(config, base_world_)),
      obs_spec_(pixels_ ? pixel_obs_spec(config.pixels) : vector_obs_spec(layout_)),
      action_spec_(make_action_spec(config.action)),
      circuit_params_(sim::track_preset(sim::TrackPreset::circuit)) {
  if (config.action_repeat < 1)
    throw std::invalid_argument("action_repeat must be >= 1, got " + std::to_string(config.action_repeat));
}

const sim::Track& DrivingEnv::procedural_track(uint64_t track_id) {
  const sim::TrackConfig& params = world_->mutable_config().track;
  if (!random_start_track_ || random_start_track_->seed != track_id || random_start_params_ != params) {
    random_start_track_ = sim::generate_track(track_id, params);
    random_start_params_ = params;
  }
  return *random_start_track_;
}

void DrivingEnv::reset(uint64_t seed, void* obs, Info& info) {
  rng_.reseed(seed);
  world_->mutable_config() = randomized_world(base_world_, config_.randomize, rng_);
  if (tracks_.from_files()) {
    const sim::Track& track = tracks_.next_file(rng_);
    world_->reset(rng_.next_u64(), track);
  } else {
    const uint64_t track_id = tracks_.next_id(rng_);
    // A share of train episodes on real-circuit-scale layouts; the draw is made only when asked for, so
    // other configs keep their random stream.
    if (config_.circuit_fraction > 0 && config_.tracks == "train" && rng_.uniform() < config_.circuit_fraction)
      world_->mutable_config().track = circuit_params_;
    const sim::Track* generated = tracks_.generated(track_id, rng_);
    const uint64_t world_seed = rng_.next_u64();
    if (config_.random_start && config_.tracks == "train") {
      // The start point is drawn after the world seed, so a run without random starts keeps its stream.
      const sim::Track& track = generated ? *generated : procedural_track(track_id);
      const int start = static_cast<int>(rng_.uniform_int(0, track.num_tiles() - 1));
      world_->reset(world_seed, sim::started_at(track, start));
    } else if (generated) {
      world_->reset(world_seed, *generated);
    } else {
      world_->reset(world_seed, track_id);
    }
  }
  started_ = true;
  info = Info{};
  fill_info(info);
  write_obs(obs);
}

StepResult DrivingEnv::step(const float* action, void* obs, Info& info) {
  if (!started_) throw std::logic_error("env '" + config_.id + "': step() called before reset()");
  const sim::Action sim_action = to_sim_action(action);
  StepResult result;
  info = Info{};
  // CarRacing's step penalty is per frame the agent sees, i.e. per env step, whatever the action repeat.
  result.reward = -config_.reward.step_penalty;
  left_playfield_ = false;
  for (int i = 0; i < config_.action_repeat && !result.terminated; ++i) {
    const float reward = physics_step(sim_action, result.terminated, info);
    // As CarRacing: leaving the playfield replaces the whole step's reward.
    if (left_playfield_) result.reward = reward;
    else result.reward += reward;
  }
  fill_info(info);
  if (info.lap_complete) {
    // The sim starts counting the next lap at once; report the lap just finished.
    info.tiles_visited = world_->track().num_tiles();
    info.lap_progress = 1;
  }
  write_obs(obs);
  return result;
}

sim::Action DrivingEnv::to_sim_action(const float* action) const {
  float checked[3];
  std::copy(action, action + action_spec_.dim(), checked);
  const int index = check_action(action_spec_, checked);
  if (action_spec_.discrete) return sim::discrete_action(index);
  return {checked[0], checked[1], checked[2]};
}

float DrivingEnv::physics_step(const sim::Action& action, bool& terminated, Info& info) {
  const sim::StepEvents& events = world_->step(action);
  const RewardConfig& r = config_.reward;
  const int tiles = std::max(1, world_->track().num_tiles());
  const int collisions = ego_collisions(events);
  const float lap_reward = r.tile_reward_per_km > 0 ? r.tile_reward_per_km * world_->track().length_m / 1000 : r.tile_reward;
  float reward = lap_reward * static_cast<float>(events.new_tiles) / tiles;
  if (!events.on_road) reward -= r.offtrack_penalty;
  reward += r.speed_bonus * world_->car().speed_mps;
  reward -= r.collision_penalty * static_cast<float>(collisions);
  info.collisions += collisions;
  info.off_track = !events.on_road;
  if (events.lap_complete) {
    reward += r.lap_bonus;
    info.lap_complete = true;
    terminated = true;
  }
  if (r.terminate_on_collision && collisions > 0) terminated = true;
  if (events.off_playfield) {
    // As CarRacing: leaving the playfield replaces the step's reward.
    reward = r.off_playfield;
    left_playfield_ = true;
    terminated = true;
  }
  return reward;
}

void DrivingEnv::write_obs(void* obs) {
  if (pixels_) {
    render_pixels(config_.pixels, *world_, draw_list_, static_cast<uint8_t*>(obs));
  } else {
    write_vector_obs(layout_, *world_, static_cast<float*>(obs));
  }
}

void DrivingEnv::fill_info(Info& info) const {
  const int tiles = std::max(1, world_->track().num_tiles());
  info.speed_mps = world_->car().speed_mps;
  info.tiles_visited = world_->tiles_visited();
  info.lap_progress = std::clamp(static_cast<float>(info.tiles_visited) / tiles, 0.0f, 1.0f);
}

}  // namespace dl::envs
