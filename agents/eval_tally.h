// drivelab/agents: an EvalResult from the episodes an envs::EpisodeTally counted (every evaluation loop
// that drives a vector env fills its result the same way).
#pragma once
#include "agents/trainer.h"
#include "envs/episode_tally.h"

namespace dl::agents {

inline void fill_eval_result(const envs::EpisodeTally& tally, EvalResult& result) {
  for (const envs::EpisodeRecord& e : tally.episodes()) {
    result.returns.push_back(e.episode_return);
    result.lengths.push_back(e.length);
    result.lap_times_s.push_back(e.lap_time_s);
    result.progress.push_back(e.progress);
    result.laps_completed += e.lap_complete ? 1 : 0;
    result.laps.push_back(e.laps);
    result.later_lap_times_s.push_back(e.later_lap_time_s);
  }
}

}  // namespace dl::agents
