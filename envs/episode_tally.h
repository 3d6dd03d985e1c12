// drivelab/envs: which finished episodes of a vector env an evaluation counts, and their statistics.
// Env i runs quota[i] episodes (episodes / N, the first episodes % N envs one more), so with the same
// env config and reset seed every evaluator drives the same tracks in the same order; results come out
// env by env, each env's episodes in the order they ended.
#pragma once
#include <vector>

#include "envs/env.h"

namespace dl::envs {

struct EpisodeRecord {
  double episode_return = 0;
  int length = 0;
  float lap_time_s = -1;  // -1 if the lap was not completed
  float progress = 0;     // lap progress reported on the step that ended the episode
  bool lap_complete = false;
  int laps = 0;                 // laps completed (more than 1 in multi-lap envs: track-laps)
  float later_lap_time_s = -1;  // mean time of laps 2, 3, ...; -1 with fewer than 2 laps
};

class EpisodeTally {
 public:
  EpisodeTally(int num_envs, int episodes) : quota_(num_envs, episodes / num_envs), per_env_(num_envs), remaining_(episodes) {
    for (int i = 0; i < episodes % num_envs; ++i) ++quota_[i];
  }
  int remaining() const { return remaining_; }
  // After a vector step: counts each env's ended episode while that env is below its quota.
  void record(const std::vector<Info>& infos) {
    for (size_t i = 0; i < infos.size() && i < per_env_.size(); ++i) {
      if (!infos[i].episode_done || static_cast<int>(per_env_[i].size()) >= quota_[i]) continue;
      per_env_[i].push_back({infos[i].episode_return, infos[i].episode_length, infos[i].episode_lap_time_s,
                             infos[i].lap_progress, infos[i].episode_lap_complete, infos[i].episode_laps,
                             infos[i].episode_later_lap_time_s});
      --remaining_;
    }
  }
  std::vector<EpisodeRecord> episodes() const {
    std::vector<EpisodeRecord> all;
    for (const auto& env : per_env_) all.insert(all.end(), env.begin(), env.end());
    return all;
  }

 private:
  std::vector<int> quota_;
  std::vector<std::vector<EpisodeRecord>> per_env_;
  int remaining_;
};

}  // namespace dl::envs
