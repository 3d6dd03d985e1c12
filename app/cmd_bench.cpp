// drivelab/app: `drivelab bench`: environment throughput, reset time and the Box2D floor (`--ppo`: training
// wall time per env step of each policy, app/bench_ppo.cpp).
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/commands.h"
#include "bench/lib/env_bench.h"

namespace dl::app {

int cmd_bench(const BenchArgs& args) {
  if (args.ppo) return bench_ppo(args);
  bench::BenchOptions options;
  options.seconds_per_case = args.seconds;
  options.envs = args.envs;
  options.num_envs = args.num_envs;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int most = args.max_threads > 0 ? args.max_threads : cores;
  for (int t = 1; t <= most; t *= 2) options.threads.push_back(t);
  if (options.threads.back() != most) options.threads.push_back(most);
  const auto results = bench::run_env_benchmarks(options);
  if (args.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : results)
      list.push_back({{"env", r.env}, {"threads", r.threads}, {"num_envs", r.num_envs},
                      {"steps_per_s", r.steps_per_s}, {"reset_ms", r.reset_ms}});
    std::printf("%s\n", nlohmann::json{{"results", list}}.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%-12s %8s %9s %14s %10s\n", "env", "threads", "num_envs", "steps/s", "reset ms");
  for (const auto& r : results)
    std::printf("%-12s %8d %9d %14.0f %10.3f\n", r.env.c_str(), r.threads, r.num_envs, r.steps_per_s, r.reset_ms);
  return kExitOk;
}

}  // namespace dl::app
