// drivelab/envs: the one driving environment behind every registered id. The physics lives in sim::World;
// this class is the thin adapter (after EnvPool's split): specs from the config, track choice and domain
// randomization from its own RNG, CarRacing's reward, and the observation (lidar vector or pixels).
//
// Action repeat is done here, as physics steps per agent step: the observation is built once per agent
// step, and an episode that ends inside the repeat stops there.
#pragma once
#include <memory>
#include <optional>
#include <vector>

#include "envs/env_config.h"
#include "envs/env.h"
#include "envs/observation.h"
#include "envs/track_source.h"
#include "sim/draw.h"
#include "sim/rng.h"
#include "sim/world.h"

namespace dl::envs {

sim::WorldOptions world_config(const EnvConfig& config);

class DrivingEnv : public Env {
 public:
  explicit DrivingEnv(const EnvConfig& config);
  const Spec& observation_spec() const override { return obs_spec_; }
  const ActionSpec& action_spec() const override { return action_spec_; }
  void reset(uint64_t seed, void* obs, Info& info) override;
  StepResult step(const float* action, void* obs, Info& info) override;
  std::string id() const override { return config_.id; }

  const sim::World& world() const { return *world_; }
  const VectorObsLayout& layout() const { return layout_; }  // meaningful for vector observations
  bool pixels() const { return pixels_; }

 private:
  sim::Action to_sim_action(const float* action) const;
  // One physics step's reward; sets terminated on lap end, off playfield or a terminating collision.
  float physics_step(const sim::Action& action, bool& terminated, Info& info);
  void write_obs(void* obs);
  void fill_info(Info& info) const;
  // The procedural track `track_id` under the world's current track parameters (random_start needs the
  // track itself to move its start; the last one is kept, as World keeps its own).
  const sim::Track& procedural_track(uint64_t track_id);

  EnvConfig config_;
  sim::WorldOptions base_world_;
  std::unique_ptr<sim::World> world_;
  sim::Rng rng_;
  TrackSource tracks_;
  bool pixels_;
  VectorObsLayout layout_;
  Spec obs_spec_;
  ActionSpec action_spec_;
  sim::TrackConfig circuit_params_;  // for config.circuit_fraction
  sim::DrawList draw_list_;
  std::optional<sim::Track> random_start_track_;  // config.random_start: the last procedural track
  sim::TrackConfig random_start_params_;
  bool left_playfield_ = false;  // set by physics_step: the step's reward is then off_playfield alone
  bool started_ = false;  // step() before the first reset() is an error, not a crash
};

}  // namespace dl::envs
