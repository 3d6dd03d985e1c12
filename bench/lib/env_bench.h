// drivelab/bench: environment throughput, shared by `drivelab bench` and dl_bench.
//
// First the Box2D floor (env "box2d-floor": bare Box2D stepping our scene with a 16-ray lidar, the
// ceiling for `track`). Then for each env: steps per second of one env on one thread (random actions from a fixed seed, resets
// included as they come), the median reset time, and the vector env's total steps per second with
// num_envs envs on 1, 2, ... threads. Numbers are reported, never asserted. For `track`, three more
// single-env entries show that a step costs the same on a 7 km circuit and off the road.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "envs/env_config.h"

namespace dl::bench {

struct BenchOptions {
  double seconds_per_case = 1.0;  // measuring time of each entry
  int num_envs = 16;              // envs in the vectorized cases
  std::vector<int> threads;       // vectorized thread counts; empty = {1, 2, hardware threads}
  std::vector<std::string> envs;  // env ids; empty = every registered env
  int reset_samples = 21;         // resets timed for the median
  uint64_t seed = 1;
  bool box2d_floor = true;        // add the "box2d-floor" entry: bare Box2D with our scene (box2d_floor.h)
};

struct BenchEntry {
  std::string env;
  int threads = 1;
  int num_envs = 1;
  double steps_per_s = 0;  // env steps (all envs together) per wall second, median of 7 blocks
  double reset_ms = 0;     // median reset time of one env; 0 for vectorized entries
};

std::vector<BenchEntry> run_env_benchmarks(const BenchOptions& options);

// Single cases, for the Google Benchmark wrappers and for callers that want one number.
BenchEntry bench_single_env(const std::string& env_id, const BenchOptions& options);
// One env of any config under `name`; off_road drives a full-lock circle onto the grass instead of random
// actions. `drivelab bench` adds track/off-road, track/circuit and track/circuit/off-road this way.
BenchEntry bench_single_env_config(const std::string& name, const envs::EnvConfig& config, bool off_road,
                                   const BenchOptions& options);
BenchEntry bench_vector_env(const std::string& env_id, int threads, const BenchOptions& options);

}  // namespace dl::bench
