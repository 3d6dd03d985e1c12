// drivelab/app: the subcommands. Each returns the process exit code:
//   0 success, 1 runtime failure (e.g. NaN loss, I/O), 2 bad input (config, arguments, files).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace dl::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

struct TrainArgs {
  std::string config;                  // "" = embedded default
  std::vector<std::string> overrides;  // key.path=value
  std::string run_dir;                 // --run-dir
  std::string resume;                  // --resume RUN
  bool progress = true;
  bool print_config = false;           // print the resolved config and exit
  bool video = true;                   // write final_policy.gif at the end
};
int cmd_train(const TrainArgs& args);

struct EvalArgs {
  std::string target;  // run folder or checkpoint file
  int episodes = 10;
  std::string tracks = "test";
  unsigned long long seed = 12345;
  bool json = false;
  bool stochastic = false;
  std::string device = "cpu";
  std::vector<std::string> track_files;  // files and folders: evaluate on each track, one by one
  bool episodes_given = false;           // --episodes given (with track files: per track; default 1)
  std::vector<std::string> overrides;    // env.key=value, on top of the run's env
};
int cmd_eval(const EvalArgs& args);

int cmd_envs(bool json);
int cmd_version();

struct BenchArgs {
  bool json = false;
  double seconds = 1.0;  // measuring time of each entry
  int num_envs = 16;     // envs in the vectorized entries
  std::vector<std::string> envs;  // empty = all
  int max_threads = 0;            // 0 = cores
  // --ppo: PPO training wall time per env step of each policy body instead (app/bench_ppo.cpp)
  bool ppo = false;
  std::vector<std::string> policies;  // empty (and no configs) = mlp, gtrxl, lstm; ratios are to the first entry
  std::vector<std::string> configs;   // run config files as further entries
  int64_t ppo_steps = 16384;          // env steps per training run (whole updates)
  int repeats = 3;                    // runs of each policy, alternating; medians are reported
};
int cmd_bench(const BenchArgs& args);
int bench_ppo(const BenchArgs& args);  // app/bench_ppo.cpp

// A subcommand added by its own file, and the function that runs it once parsed.
using CommandHook = std::pair<CLI::App*, std::function<int()>>;

CommandHook add_plot_command(CLI::App& app);  // app/train/cmd_plot.cpp
CommandHook add_export_command(CLI::App& app);  // app/eval/cmd_export.cpp

int run_cli(int argc, char** argv);

}  // namespace dl::app
