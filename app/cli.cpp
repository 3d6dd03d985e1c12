// drivelab/app: the command line (CLI11). Parsing only; the work is in cmd_*.cpp.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>

#include "app/commands.h"
#include "app/run_config.h"
#include "app/data/data_commands.h"
#include "app/view/viewer_commands.h"
#include "app/sweep/sweep.h"
#include "app/tracks/track_commands.h"
#include "app/train/train_workers.h"
#include "io/files.h"
#include "sim/track.h"

namespace dl::app {
namespace {

// An error message on one line whatever a key, a value or a file held: control characters escaped.
std::string one_line(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += ' ';
    else if (u < 0x20 || u == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"drivelab: a driving-RL workbench. Box2D driving environments and LibTorch agents.", "drivelab"};
  app.require_subcommand(1);
  app.footer("Run `drivelab COMMAND --help` for a command's options.");

  TrainArgs train;
  auto* train_cmd = app.add_subcommand("train", "Train an agent headless; writes a run folder under runs/.");
  train_cmd->add_option("config", train.config, "Run config YAML (default: the embedded configs/ppo_track.yaml)");
  train_cmd->add_option("overrides", train.overrides, "key.path=value overrides, e.g. train.seed=3 agent.learning_rate=1e-3");
  train_cmd->add_option("--run-dir", train.run_dir, "Write the run here instead of runs/<env>__<algo>__<seed>__<time>/");
  train_cmd->add_option("--resume", train.resume, "Continue a killed run from RUN/checkpoints/latest.pt");
  train_cmd->add_flag("!--no-progress", train.progress, "Print no progress line");
  train_cmd->add_flag("--print-config", train.print_config, "Print the resolved config and exit");
  train_cmd->add_flag("!--no-video", train.video, "Write no final_policy.gif at the end");
  int train_nproc = 1;
  train_cmd->add_option("--nproc", train_nproc,
                        "Data-parallel: start N local worker processes (Gloo on CPU, NCCL on CUDA; docs/scaling.md)")
      ->check(CLI::Range(1, 1024));
  train_cmd->footer(
      "A config argument containing '=' is taken as an override, so `drivelab train train.seed=2` trains the\n"
      "default config with seed 2. With the torchrun variables set (MASTER_ADDR, MASTER_PORT, RANK,\n"
      "WORLD_SIZE, LOCAL_RANK) each process is one rank of a data-parallel run: train.num_envs envs per rank,\n"
      "train.total_steps over all ranks; rank 0 writes the run folder. DRIVELAB_DIST_TIMEOUT_S (default 300)\n"
      "bounds every collective. Exit codes: 0 done, 1 failed (e.g. NaN loss, a lost rank), 2 bad input.");

  EvalArgs eval;
  auto* eval_cmd = app.add_subcommand("eval", "Evaluate a trained agent on unseen test tracks, or on given track files.");
  eval_cmd->add_option("target", eval.target,
                       "Run folder (uses checkpoints/best.pt, else latest.pt), checkpoint file, or 'expert' (the "
                       "scripted expert on the default track env)")
      ->required();
  eval_cmd->add_option("overrides", eval.overrides, "env.key=value overrides, applied on top of the run's own env");
  eval_cmd->add_option("--episodes", eval.episodes, "Episodes to run (with --track-files: per track, default 1)")
      ->check(CLI::Range(1, 100000));
  eval_cmd->add_option("--track-files", eval.track_files,
                       "Track files or folders of them: drive each track and report its lap, lap time and progress")
      ->expected(1, -1);
  eval_cmd->add_option("--tracks", eval.tracks, "Track set")->check(CLI::IsMember({"test", "train"}));
  eval_cmd->add_option("--seed", eval.seed, "Evaluation seed");
  eval_cmd->add_option("--device", eval.device, "auto | cpu | cuda | cuda:N");
  eval_cmd->add_flag("--stochastic", eval.stochastic, "Sample actions instead of taking the mean");
  eval_cmd->add_flag("--json", eval.json, "Print one JSON object");
  eval_cmd->footer(
      "Overrides change only the fields they name; everything else is the run's env (so the observations\n"
      "still fit the network). env.preset=P also brings preset P's track parameters.\n"
      "'expert' drives the same tracks an agent with the same env and --seed is evaluated on, so lap times\n"
      "compare: drivelab eval expert env.preset=circuit env.max_steps=8000 --episodes 100\n"
      "Exit codes: 0 done, 1 failed, 2 bad input (a bad track file is named with its line).");

  bool envs_json = false;
  auto* envs_cmd = app.add_subcommand("envs", "List the registered environments with their specs and defaults.");
  envs_cmd->add_flag("--json", envs_json, "Print JSON");

  BenchArgs bench;
  auto* bench_cmd = app.add_subcommand("bench", "Measure environment steps/s (1..N threads), reset time and the Box2D floor.");
  bench_cmd->add_flag("--json", bench.json, "Print one JSON object with a `results` list");
  bench_cmd->add_option("--seconds", bench.seconds, "Measuring time of each entry")->check(CLI::Range(0.05, 600.0));
  bench_cmd->add_option("--num-envs", bench.num_envs, "Envs in the vectorized entries")->check(CLI::Range(1, 4096));
  bench_cmd->add_option("--env", bench.envs, "Only these envs (repeatable)");
  bench_cmd->add_option("--max-threads", bench.max_threads, "Most threads to try (0 = cores)")->check(CLI::Range(0, 1024));
  bench_cmd->add_flag("--ppo", bench.ppo,
                      "Instead: PPO training wall time per env step of each policy (default sizes, 1 env and 1 torch "
                      "thread, CPU; --env picks the env, default track-blackout) and the ratio to the first");
  bench_cmd->add_option("--policy", bench.policies, "--ppo: policies to time (repeatable; default mlp gtrxl lstm)");
  bench_cmd->add_option("--config", bench.configs, "--ppo: a run config (ppo) timed as one more entry (repeatable)");
  bench_cmd->add_option("--ppo-steps", bench.ppo_steps, "--ppo: env steps per training run")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  bench_cmd->add_option("--repeats", bench.repeats, "--ppo: runs of each policy (alternating; medians reported)")
      ->check(CLI::Range(1, 1000));

  auto* version_cmd = app.add_subcommand("version", "Print the versions of drivelab, LibTorch, Box2D and SDL, and CUDA.");

  // Commands that keep their options in their own files (app/cmd_*.cpp): each adds its subcommand and
  // returns it with the function that runs it. Add one line per command here.
  std::vector<CommandHook> hooks;
  // (hooks.push_back(add_xxx_command(app));)
  hooks.push_back(add_collect_command(app));
  hooks.push_back(add_dataset_command(app));
  hooks.push_back(add_watch_command(app));
  hooks.push_back(add_play_command(app));
  hooks.push_back(add_sweep_command(app));
  hooks.push_back(add_tracks_command(app));
  hooks.push_back(add_plot_command(app));
  hooks.push_back(add_export_command(app));

  // CLI11 would only say "a subcommand is required" for `drivelab fly`: name the word and the nearest command.
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      std::string msg = "drivelab: unknown command '" + std::string(argv[1]) + "'";
      const std::string near = nearest_key(argv[1], names);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      std::fprintf(stderr, "%s\nRun `drivelab --help` for the commands.\n", msg.c_str());
      return kExitBadInput;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadInput;
  }

  try {
    if (*train_cmd) {
      // `drivelab train a=b` means overrides on the default config.
      if (train.config.find('=') != std::string::npos) {
        train.overrides.insert(train.overrides.begin(), train.config);
        train.config.clear();
      }
      if (train_nproc > 1 && !train.print_config) return launch_local_workers(argc, argv, train_nproc);
      return cmd_train(train);
    }
    if (*eval_cmd) {
      eval.episodes_given = eval_cmd->count("--episodes") > 0;
      // --track-files takes every value up to the next option: env.key=value words after it are overrides.
      for (auto it = eval.track_files.begin(); it != eval.track_files.end();) {
        if (it->find('=') != std::string::npos && !std::filesystem::exists(*it)) {
          eval.overrides.push_back(*it);
          it = eval.track_files.erase(it);
        } else {
          ++it;
        }
      }
      return cmd_eval(eval);
    }
    if (*envs_cmd) return cmd_envs(envs_json);
    if (*bench_cmd) return cmd_bench(bench);
    if (*version_cmd) return cmd_version();
    for (auto& [cmd, action] : hooks)
      if (*cmd) return action();
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "drivelab: config error: %s\n", one_line(e.what()).c_str());
    return kExitBadInput;
  } catch (const io::InputError& e) {  // a missing, damaged or refused file (checkpoints, datasets, outputs)
    const std::string what = e.what();
    std::fprintf(stderr, "drivelab: error: %s\n", one_line(io::first_line(what)).c_str());
    return kExitBadInput;
  } catch (const sim::TrackError& e) {
    // A bad track file (or generator parameters no valid track comes from) is bad input.
    std::fprintf(stderr, "drivelab: track error: %s\n", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "drivelab: error: %s\n", e.what());
    return kExitFailure;
  }
  return kExitBadInput;
}

}  // namespace dl::app
