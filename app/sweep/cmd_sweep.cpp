// drivelab/app: `drivelab sweep`, its options and what it prints.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "app/commands.h"
#include "app/run_config.h"
#include "app/sweep/sweep.h"
#include "app/sweep/sweep_runner.h"
#include "app/sweep/sweep_store.h"

namespace fs = std::filesystem;

namespace dl::app {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }

struct SweepArgs {
  std::string sweep_file;
  std::string out;
  std::string resume;
  std::vector<std::string> run_trial;  // DIR N
  std::string report;
  int extend = 0;
  int parallel = 0;
  bool worker = false;
  bool prepare = false;
  bool progress = true;
};

int run_sweep_command(const SweepArgs& a) {
  const int modes = !a.sweep_file.empty() + !a.resume.empty() + !a.run_trial.empty() + !a.report.empty();
  if (modes != 1)
    throw ConfigError(
        "give one of: a sweep file, --resume DIR, --run-trial DIR N, --report DIR (see drivelab sweep --help)");
  if (!a.report.empty()) {
    write_sweep_report(a.report, true);
    return kExitOk;
  }
  if (a.extend > 0 && a.resume.empty())
    throw ConfigError("--extend N adds trials to an existing sweep: use it with --resume DIR");
  if (a.worker && a.resume.empty()) throw ConfigError("--worker joins an existing sweep: use it with --resume DIR");
  if (!a.out.empty() && a.sweep_file.empty())
    throw ConfigError("--out names the folder of a new sweep; a resumed sweep stays in its folder");

  std::string dir;
  SweepRunOptions options;
  options.parallel = a.parallel;
  options.progress = a.progress;
  options.stop = &g_stop;
  bool requeue = false;
  if (!a.sweep_file.empty()) {
    dir = create_sweep(a.sweep_file, a.out);
    SweepStore store((fs::path(dir) / "sweep.db").string());
    std::printf("sweep folder: %s (%d trials)\n", dir.c_str(), store.count("pending"));
    if (a.prepare) {
      std::printf(
          "prepared; run the trials with `drivelab sweep --resume %s`, `--resume %s --worker` on each node,\n"
          "or `drivelab sweep --run-trial %s N` for N in 1..%d\n",
          dir.c_str(), dir.c_str(), dir.c_str(), store.count("pending"));
      return kExitOk;
    }
  } else if (!a.resume.empty()) {
    dir = a.resume;
    load_sweep_dir(dir);  // a clear error for a folder that is not a sweep
    if (a.extend > 0) {
      extend_sweep(dir, a.extend);
      std::printf("added %d configuration(s) to %s\n", a.extend, dir.c_str());
    }
    requeue = !a.worker;
  } else {
    dir = a.run_trial[0];
    load_sweep_dir(dir);
    try {
      options.only_trial = std::stoll(a.run_trial[1]);
    } catch (const std::exception&) {
      throw ConfigError("--run-trial DIR N: N must be a trial number, got '" + a.run_trial[1] + "'");
    }
  }

  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  const SweepCounts counts = run_sweep(dir, options, requeue);
  write_sweep_report(dir, true);
  std::printf("sweep folder: %s: %d done, %d failed, %d pruned, %d pending, %d running elsewhere\n", dir.c_str(),
              counts.done, counts.failed, counts.pruned, counts.pending, counts.running);
  if (g_stop.load()) return kExitFailure;
  if (options.only_trial) {
    SweepStore store((fs::path(dir) / "sweep.db").string());
    const auto t = store.trial(*options.only_trial);
    return t && (t->status == "done" || t->status == "pruned") ? kExitOk : kExitFailure;
  }
  return counts.done > 0 || counts.failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace

CommandHook add_sweep_command(CLI::App& app) {
  auto args = std::make_shared<SweepArgs>();
  auto* cmd = app.add_subcommand("sweep", "Run a hyperparameter sweep: many trainings, a table and the best config.");
  cmd->add_option("sweep", args->sweep_file, "Sweep YAML (see configs/sweeps/ and docs/sweeps.md)");
  cmd->add_option("--out", args->out, "Sweep folder (default sweeps/<name>__<time>/)");
  cmd->add_option("--parallel", args->parallel, "Trial processes at once (default: the sweep file's `parallel`)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--resume", args->resume, "Continue the sweep in DIR: trials cut off by a kill are run again");
  cmd->add_option("--extend", args->extend, "With --resume: add N random configurations first")
      ->check(CLI::Range(1, 100000));
  cmd->add_flag("--worker", args->worker,
                "With --resume: join a sweep other workers are running (take pending trials only, requeue nothing)");
  cmd->add_option("--run-trial", args->run_trial, "Run trial N of the sweep in DIR (one cluster array task)")
      ->expected(2)
      ->type_name("DIR N");
  cmd->add_flag("--prepare", args->prepare, "Create the sweep folder and its trials, run nothing");
  cmd->add_option("--report", args->report, "Rewrite the results, best.yaml and plots of the sweep in DIR");
  cmd->add_flag("!--no-progress", args->progress, "Print no per-trial lines");
  cmd->footer(
      "Each trial is a `drivelab train` process writing DIR/trials/NNN/ (log.txt holds its output). The state is\n"
      "in DIR/sweep.db (SQLite). Results: DIR/results.md, results.csv, best.yaml, sweep*.png, best_curves.png.\n"
      "Exit codes: 0 done (at least one trial finished), 1 every trial failed or the sweep was stopped, 2 bad input.");
  return {cmd, [args] { return run_sweep_command(*args); }};
}

}  // namespace dl::app
