#include "bench/lib/env_bench.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "bench/lib/box2d_floor.h"
#include "envs/registry.h"
#include "envs/vector_env.h"
#include "sim/rng.h"

namespace dl::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Enough pre-drawn actions that drawing them stays out of the timed loop.
constexpr int kActionRows = 4096;
// Steps between clock reads: reading the clock every step would show up in the track env's numbers.
constexpr int kStepsPerClockCheck = 64;
constexpr int kBlocks = 7;
// Sizes the floor measurement (which takes a step count) to about the time of one case.
constexpr double kFloorStepsPerSecondGuess = 150e3;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs `work` (returning the env steps it made) for about `seconds` in kBlocks blocks and returns the median
// block's steps per second: a noisy neighbour spoils a block, not the number.
template <class Work>
double median_block_rate(double seconds, Work work) {
  std::vector<double> rates;
  for (int b = 0; b < kBlocks; ++b) {
    int64_t steps = 0;
    const auto start = Clock::now();
    double elapsed_s = 0;
    while (elapsed_s < seconds / kBlocks) {
      steps += work();
      elapsed_s = seconds_since(start);
    }
    rates.push_back(steps / elapsed_s);
  }
  std::nth_element(rates.begin(), rates.begin() + kBlocks / 2, rates.end());
  return rates[kBlocks / 2];
}

std::vector<float> random_actions(const envs::ActionSpec& spec, int rows, uint64_t seed) {
  sim::Rng rng(seed);
  std::vector<float> actions(static_cast<size_t>(rows) * spec.dim());
  for (int r = 0; r < rows; ++r)
    for (int d = 0; d < spec.dim(); ++d) {
      float& a = actions[static_cast<size_t>(r) * spec.dim() + d];
      a = spec.discrete ? static_cast<float>(rng.uniform_int(0, spec.n - 1))
                        : static_cast<float>(rng.uniform(spec.box.low[d], spec.box.high[d]));
    }
  return actions;
}

double median_reset_ms(envs::Env& env, int samples, uint64_t seed) {
  std::vector<uint8_t> obs(env.observation_spec().bytes());
  envs::Info info;
  std::vector<double> ms;
  for (int i = 0; i < std::max(1, samples); ++i) {
    const auto start = Clock::now();
    env.reset(seed + i, obs.data(), info);
    ms.push_back(1e3 * seconds_since(start));
  }
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

std::vector<std::string> env_ids(const BenchOptions& options) {
  if (!options.envs.empty()) return options.envs;
  std::vector<std::string> ids;
  for (const auto& e : envs::registered_envs()) ids.push_back(e.id);
  return ids;
}

std::vector<int> thread_counts(const BenchOptions& options) {
  if (!options.threads.empty()) return options.threads;
  std::vector<int> counts{1, 2};
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  if (hardware > 2) counts.push_back(hardware);
  return counts;
}

}  // namespace

BenchEntry bench_single_env(const std::string& env_id, const BenchOptions& options) {
  return bench_single_env_config(env_id, envs::default_env_config(env_id), false, options);
}

BenchEntry bench_single_env_config(const std::string& name, const envs::EnvConfig& config, bool off_road,
                                   const BenchOptions& options) {
  auto env = envs::make_env(config);
  auto actions = random_actions(env->action_spec(), kActionRows, options.seed);
  const int dim = env->action_spec().dim();
  // Off road: full lock and some gas drive a tight circle that leaves the road within seconds and stays
  // on the grass (the case where the car's nearest track point must be searched for, not followed).
  if (off_road && !env->action_spec().discrete)
    for (int r = 0; r < kActionRows; ++r) {
      actions[static_cast<size_t>(r) * dim + 0] = 1;
      actions[static_cast<size_t>(r) * dim + 1] = 0.5f;
      actions[static_cast<size_t>(r) * dim + 2] = 0;
    }
  std::vector<uint8_t> obs(env->observation_spec().bytes());
  envs::Info info;
  BenchEntry entry{name, 1, 1, 0, median_reset_ms(*env, options.reset_samples, options.seed)};
  env->reset(options.seed, obs.data(), info);
  sim::Rng episode_seeds(options.seed);
  int64_t steps = 0;
  entry.steps_per_s = median_block_rate(options.seconds_per_case, [&] {
    for (int i = 0; i < kStepsPerClockCheck; ++i, ++steps) {
      const float* action = actions.data() + (steps % kActionRows) * dim;
      const envs::StepResult r = env->step(action, obs.data(), info);
      if (r.terminated || r.truncated) env->reset(episode_seeds.next_u64(), obs.data(), info);
    }
    return kStepsPerClockCheck;
  });
  return entry;
}

BenchEntry bench_vector_env(const std::string& env_id, int threads, const BenchOptions& options) {
  const envs::EnvConfig config = envs::default_env_config(env_id);
  envs::VectorEnv venv([&](int index) { return envs::make_env(config, index); }, options.num_envs, threads);
  const int rows_per_step = options.num_envs;
  const auto actions = random_actions(venv.action_spec(), kActionRows * rows_per_step / 16 + rows_per_step,
                                      options.seed);
  const size_t step_floats = static_cast<size_t>(rows_per_step) * venv.action_spec().dim();
  const size_t action_steps = actions.size() / step_floats;
  venv.reset(options.seed);
  int64_t vector_steps = 0;
  const double steps_per_s = median_block_rate(options.seconds_per_case, [&] {
    venv.step(actions.data() + (vector_steps % action_steps) * step_floats);
    ++vector_steps;
    return options.num_envs;
  });
  return {env_id, threads, options.num_envs, steps_per_s, 0};
}

std::vector<BenchEntry> run_env_benchmarks(const BenchOptions& options) {
  std::vector<BenchEntry> entries;
  if (options.box2d_floor) {
    // About seconds_per_case of work at the floor's typical ~150k steps/s.
    const int steps = std::max(7000, static_cast<int>(options.seconds_per_case * kFloorStepsPerSecondGuess));
    entries.push_back({"box2d-floor", 1, 1, measure_box2d_floor_steps_per_s(steps), 0});
  }
  for (const auto& id : env_ids(options)) {
    entries.push_back(bench_single_env(id, options));
    for (int threads : thread_counts(options)) entries.push_back(bench_vector_env(id, threads, options));
    if (id != "track") continue;
    // Cost flat in track length: the same env on 2-7 km circuits (up to ~1,200 points) and off the road.
    envs::EnvConfig circuit = envs::default_env_config("track");
    circuit.preset = "circuit";
    envs::apply_preset(circuit);
    circuit.max_steps = 6000;
    entries.push_back(bench_single_env_config("track/off-road", envs::default_env_config("track"), true, options));
    entries.push_back(bench_single_env_config("track/circuit", circuit, false, options));
    entries.push_back(bench_single_env_config("track/circuit/off-road", circuit, true, options));
  }
  return entries;
}

}  // namespace dl::bench
