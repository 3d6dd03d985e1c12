#include "envs/state_view.h"

#include <stdexcept>


namespace dl::envs {

StateView::StateView(const EnvConfig& state_env, const sim::WorldOptions& world) {
  if (state_env.id == "carracing")
    throw std::invalid_argument("a state view needs a lidar env id (track, traffic, track-pomdp); got carracing");
  if (state_env.id == "track-blackout" || state_env.id == "track-cue" || state_env.id == "track-laps")
    throw std::invalid_argument("a state view cannot replay the memory task of '" + state_env.id + "'");
  if (state_env.frame_stack > 1)
    throw std::invalid_argument("a state view writes one step; the teacher's env stacks " +
                                std::to_string(state_env.frame_stack) + " frames");
  layout_ = vector_obs_layout(state_env, world);
  spec_ = vector_obs_spec(layout_);
  // Same sizes are not enough: a ray of another range or a look-ahead of another spacing would feed the
  // teacher numbers it never saw.
  const sim::LidarConfig& a = state_env.lidar;
  const sim::LidarConfig& b = world.lidar;
  const sim::LookaheadConfig& la = state_env.lookahead;
  const sim::LookaheadConfig& lb = world.lookahead;
  if (a.rays != b.rays || a.fov_rad != b.fov_rad || a.range_m != b.range_m)
    mismatch_ = "the teacher's lidar (" + std::to_string(a.rays) + " rays) differs from this env's (" +
                std::to_string(b.rays) + " rays); set env.lidar.* as the teacher's env had them";
  else if (la.points != lb.points || la.spacing_m != lb.spacing_m || la.horizon_s != lb.horizon_s ||
           la.min_horizon_m != lb.min_horizon_m || la.widths != lb.widths)
    mismatch_ = "the teacher's look-ahead (" + std::to_string(la.points) + " points) differs from this env's (" +
                std::to_string(lb.points) + " points); set env.lookahead.* as the teacher's env had them";
}

}  // namespace dl::envs
