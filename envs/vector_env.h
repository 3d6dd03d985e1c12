// drivelab/envs: N environments stepped on a pool of worker threads, results in contiguous arrays.
//
// Autoreset mode: SAME-STEP. When env i's episode ends in step(), it is reset in that same call:
//   obs[i]        holds the first observation of the new episode,
//   final_obs[i]  holds the last observation of the finished episode (valid only where done[i]),
//   terminated[i] / truncated[i] say how it ended, and info[i].episode_* carry its statistics.
// An agent bootstraps a truncated episode from final_obs[i].
//
// Seeding: reset(seed) seeds env i with seed + i; every later episode seed is drawn from env i's own RNG,
// so results are identical whatever the number of threads.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "envs/env.h"

namespace dl::envs {

class VectorEnv {
 public:
  using Factory = std::function<std::unique_ptr<Env>(int index)>;
  VectorEnv(const Factory& make, int num_envs, int num_threads);
  ~VectorEnv();

  int num_envs() const;
  const Spec& observation_spec() const;
  const ActionSpec& action_spec() const;

  void reset(uint64_t seed);
  // actions: [N, action_dim] floats. Throws ActionError (naming the env index) on a bad action.
  void step(const float* actions);

  // [N, obs...] as float or uint8 per observation_spec().dtype
  void* obs();
  void* final_obs();
  const float* rewards() const;
  const uint8_t* terminated() const;
  const uint8_t* truncated() const;
  const std::vector<Info>& infos() const;
  Env& env(int i);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dl::envs
