// drivelab/envs: the conformance checker (after Gymnasium's env checker). Every registered env passes it
// in tests/envs; run it on any new env or wrapper.
//
// check_env throws EnvCheckError naming the first violation:
//   - specs: positive shapes, bounds of the right size with low <= high, a usable action spec;
//   - every observation matches the spec (finite floats within [low, high]);
//   - reset(seed) twice gives the same observation and info;
//   - the same seed and the same actions give bitwise the same observations, rewards and flags;
//   - rewards are finite over a long run of random actions (out-of-range ones included, to exercise
//     clipping) and bad actions (NaN, inf, bad discrete index) throw ActionError;
//   - `truncated` comes only from the time limit (exactly at max_steps, never with `terminated`);
//   - the documented Info keys hold sane values, and episode statistics match the steps seen.
#pragma once
#include <cstdint>
#include <stdexcept>

#include "envs/env.h"

namespace dl::envs {

struct EnvCheckError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CheckOptions {
  int max_steps = 0;           // > 0: the env has this time limit; 0: it must never truncate
  bool episode_stats = false;  // the env has the EpisodeStats layer (make_env's envs do)
};

void check_env(Env& env, uint64_t seed, int steps, const CheckOptions& options);
// Default options: the env must never truncate and need not fill episode statistics. For make_env's envs
// pass {config.max_steps, true}.
void check_env(Env& env, uint64_t seed, int steps);

}  // namespace dl::envs
