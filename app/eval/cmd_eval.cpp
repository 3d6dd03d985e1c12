// drivelab/app: `drivelab eval`: a trained agent on unseen test tracks, or on given track files, one by
// one (lap, lap time and progress per track).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "agents/algorithm.h"
#include "agents/rollout.h"
#include "app/commands.h"
#include "app/run_config.h"
#include "app/env_overrides.h"
#include "app/eval/eval_expert.h"
#include "app/stats.h"
#include "envs/registry.h"
#include "envs/track_source.h"

namespace fs = std::filesystem;

namespace dl::app {
namespace {

// What is evaluated: a run or checkpoint of any algorithm that drives (loaded through the algorithm table as
// an Actor), or `expert`, the scripted expert on the default `track` env.
struct Target {
  std::string checkpoint;
  std::shared_ptr<agents::Actor> actor;  // null for the expert
  envs::EnvConfig env;                   // the env the agent was trained with
};

Target resolve_target(const EvalArgs& args) {
  Target t;
  if (args.target == "expert" && !fs::exists(args.target)) {
    t.checkpoint = "expert";
    t.env = envs::default_env_config("track");
    return t;
  }
  t.checkpoint = agents::resolve_checkpoint(args.target);
  t.actor = agents::load_actor(t.checkpoint, args.device);
  t.env = t.actor->env_config();
  return t;
}

agents::EvalResult run_eval(const EvalArgs& args, const Target& target, const envs::EnvConfig& env, int episodes,
                            const agents::EnvFactoryFn& factory = {}) {
  if (!target.actor) return evaluate_expert(env, episodes, args.seed, 0);
  const bool pixels = agents::env_factory_or_default(factory)(env, 0)->observation_spec().dtype == envs::DType::u8;
  agents::set_torch_threads(0, pixels);  // batched: the auto rule (agents/rollout.h)
  torch::manual_seed(args.seed);          // sampled (--stochastic) evaluation draws from it
  return agents::run_episodes(*target.actor, env, factory, episodes, args.seed, !args.stochastic, 0);
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

// Track files given as files and folders (a folder: its regular files, by name), each checked now, so a
// bad one stops the evaluation before any driving (TrackError: file and line, exit 2).
std::vector<std::string> track_files_of(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  for (const std::string& a : args) {
    try {
      for (const std::string& f : envs::list_track_files(a)) files.push_back(f);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(std::string("--track-files: ") + e.what());
    }
  }
  for (const std::string& f : files) sim::load_track(f);
  return files;
}

struct TrackRow {
  std::string file;
  int episodes = 0, laps = 0;
  double lap_time_s = -1;  // mean over the lapped episodes, -1 for none
  double progress = -1;    // mean, -1 when the loop did not record it
  double return_mean = 0;
};

TrackRow row_of(const std::string& file, const agents::EvalResult& r) {
  TrackRow row;
  row.file = file;
  row.episodes = static_cast<int>(r.returns.size());
  row.laps = r.laps_completed;
  row.return_mean = mean_of(r.returns);
  std::vector<double> times, progress;
  for (float t : r.lap_times_s)
    if (t >= 0) times.push_back(t);
  for (float p : r.progress) progress.push_back(p);
  if (!times.empty()) row.lap_time_s = mean_of(times);
  if (!progress.empty()) row.progress = mean_of(progress);
  return row;
}

// The episodes of results [first, first + count) of a result, as a result of their own.
agents::EvalResult slice(const agents::EvalResult& r, size_t first, size_t count) {
  agents::EvalResult out;
  for (size_t k = first; k < first + count; ++k) {
    out.returns.push_back(r.returns[k]);
    out.lengths.push_back(r.lengths[k]);
    if (k < r.lap_times_s.size()) out.lap_times_s.push_back(r.lap_times_s[k]);
    if (k < r.progress.size()) out.progress.push_back(r.progress[k]);
    out.laps_completed += k < r.lap_times_s.size() && r.lap_times_s[k] >= 0 ? 1 : 0;
  }
  return out;
}

int eval_track_files(const EvalArgs& args, const Target& target, const envs::EnvConfig& base_env) {
  const std::vector<std::string> files = track_files_of(args.track_files);
  const int episodes = args.episodes_given ? args.episodes : 1;
  envs::EnvConfig env = base_env;
  env.track_source = "procedural";  // a generator's tracks are train-set only; the files replace them
  std::vector<TrackRow> rows;
  auto report_progress = [&] {
    if (!args.json) std::fprintf(stderr, "\reval: %zu/%zu tracks   ", rows.size(), files.size());
  };
  if (!target.actor) {
    // The expert's loop drives one env config at a time: one track at a time.
    for (const std::string& file : files) {
      env.track_files = file;
      rows.push_back(row_of(file, run_eval(args, target, env, episodes)));
      report_progress();
    }
  } else {
    // Up to kMaxEvalEnvs tracks at once, each on its own envs: with E episodes per track, env i drives
    // track i / E of the group once (or, for E > kMaxEvalEnvs, one track on every env), and the results
    // come back env by env (agents/actor.h).
    const size_t per_group = episodes <= agents::kMaxEvalEnvs ? static_cast<size_t>(agents::kMaxEvalEnvs / episodes) : 1;
    for (size_t first = 0; first < files.size(); first += per_group) {
      const size_t count = std::min(per_group, files.size() - first);
      env.track_files = files[first];
      auto factory = [&files, first, episodes](const envs::EnvConfig& c, int i) {
        envs::EnvConfig e = c;
        e.track_files = files[first + (episodes <= agents::kMaxEvalEnvs ? static_cast<size_t>(i / episodes) : 0)];
        return envs::make_env(e, i);
      };
      const agents::EvalResult r = run_eval(args, target, env, static_cast<int>(count) * episodes, factory);
      for (size_t k = 0; k < count; ++k) rows.push_back(row_of(files[first + k], slice(r, k * episodes, episodes)));
      report_progress();
    }
  }
  if (!args.json) std::fprintf(stderr, "\n");
  int lapped = 0;
  std::vector<double> times, progress, returns;
  for (const TrackRow& r : rows) {
    lapped += r.laps == r.episodes ? 1 : 0;
    if (r.lap_time_s >= 0) times.push_back(r.lap_time_s);
    if (r.progress >= 0) progress.push_back(r.progress);
    returns.push_back(r.return_mean);
  }
  const double n = static_cast<double>(rows.size());
  if (args.json) {
    nlohmann::json tracks = nlohmann::json::array();
    for (const TrackRow& r : rows)
      tracks.push_back({{"file", r.file},
                        {"episodes", r.episodes},
                        {"laps", r.laps},
                        {"lap", r.laps == r.episodes},
                        {"lap_time_s", r.lap_time_s >= 0 ? nlohmann::json(r.lap_time_s) : nlohmann::json(nullptr)},
                        {"progress", r.progress >= 0 ? nlohmann::json(r.progress) : nlohmann::json(nullptr)},
                        {"return_mean", r.return_mean}});
    nlohmann::json j = {{"checkpoint", target.checkpoint},
                        {"episodes_per_track", episodes},
                        {"tracks", tracks},
                        {"summary",
                         {{"tracks", rows.size()},
                          {"tracks_lapped", lapped},
                          {"lap_rate", n > 0 ? lapped / n : 0.0},
                          {"lap_time_mean_s", times.empty() ? nlohmann::json(nullptr) : nlohmann::json(mean_of(times))},
                          {"progress_mean", progress.empty() ? nlohmann::json(nullptr) : nlohmann::json(mean_of(progress))},
                          {"return_mean", mean_of(returns)}}}};
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("checkpoint  %s\n", target.checkpoint.c_str());
  std::printf("%-40s %5s %10s %9s %9s\n", "track", "lap", "lap time", "progress", "return");
  for (const TrackRow& r : rows) {
    char lap[32], time[32], prog[32];
    if (r.episodes == 1) std::snprintf(lap, sizeof lap, "%s", r.laps ? "yes" : "no");
    else std::snprintf(lap, sizeof lap, "%d/%d", r.laps, r.episodes);
    if (r.lap_time_s >= 0) std::snprintf(time, sizeof time, "%.1f s", r.lap_time_s);
    else std::snprintf(time, sizeof time, "-");
    if (r.progress >= 0) std::snprintf(prog, sizeof prog, "%.3f", r.progress);
    else std::snprintf(prog, sizeof prog, "-");
    std::printf("%-40s %5s %10s %9s %9.1f\n", r.file.c_str(), lap, time, prog, r.return_mean);
  }
  std::printf("summary     %zu tracks (%d episode%s each), lapped %d (%.0f%%)", rows.size(), episodes, episodes == 1 ? "" : "s",
              lapped, n > 0 ? 100 * lapped / n : 0.0);
  if (!times.empty()) std::printf(", mean lap time %.1f s", mean_of(times));
  if (!progress.empty()) std::printf(", mean progress %.3f", mean_of(progress));
  std::printf(", mean return %.1f\n", mean_of(returns));
  return kExitOk;
}

}  // namespace

int cmd_eval(const EvalArgs& args) {
  const Target target = resolve_target(args);
  // Overrides change the run's own env (app/env_overrides.h); without any, the evaluation runs exactly
  // as the run was trained.
  const envs::EnvConfig env = env_with_overrides(target.env, args.overrides);
  if (!args.track_files.empty()) {
    envs::EnvConfig files_env = env;
    files_env.tracks = args.tracks;
    return eval_track_files(args, target, files_env);
  }
  envs::EnvConfig set_env = env;
  set_env.tracks = args.tracks;
  const agents::EvalResult result = run_eval(args, target, set_env, args.episodes);
  const ReturnStats stats = summarize_returns(result.returns);
  double mean_length = 0;
  for (int l : result.lengths) mean_length += l;
  if (!result.lengths.empty()) mean_length /= result.lengths.size();
  const double lap_rate = result.returns.empty() ? 0.0 : double(result.laps_completed) / result.returns.size();
  std::vector<double> lap_times;
  for (float t : result.lap_times_s)
    if (t >= 0) lap_times.push_back(t);
  const double lap_time_mean = lap_times.empty() ? -1.0 : mean_of(lap_times);
  // Multi-lap envs (track-laps): lap 1 against the later laps, over the episodes that drove 2 or more.
  std::vector<double> first_of_multi, later;
  for (size_t k = 0; k < result.later_lap_times_s.size(); ++k)
    if (result.later_lap_times_s[k] >= 0) {
      later.push_back(result.later_lap_times_s[k]);
      first_of_multi.push_back(result.lap_times_s[k]);
    }
  if (args.json) {
    nlohmann::json j = {{"checkpoint", target.checkpoint},
                        {"tracks", args.tracks},
                        {"episodes", stats.episodes},
                        {"return_mean", stats.mean},
                        {"return_std", stats.stddev},
                        {"return_iqm", stats.iqm},
                        {"return_iqm_ci95", {stats.iqm_ci_low, stats.iqm_ci_high}},
                        {"length_mean", mean_length},
                        {"lap_completion_rate", lap_rate},
                        {"lap_time_mean_s", lap_time_mean},
                        {"returns", result.returns},
                        {"lap_times_s", result.lap_times_s}};
    if (!result.laps.empty()) {
      j["laps"] = result.laps;
      j["later_lap_times_s"] = result.later_lap_times_s;
      j["lap1_time_mean_s_multi"] = first_of_multi.empty() ? -1.0 : mean_of(first_of_multi);
      j["later_lap_time_mean_s"] = later.empty() ? -1.0 : mean_of(later);
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("checkpoint  %s\n", target.checkpoint.c_str());
    std::printf("episodes    %d on %s tracks\n", stats.episodes, args.tracks.c_str());
    std::printf("return      mean %.1f +- %.1f (std)\n", stats.mean, stats.stddev);
    std::printf("IQM         %.1f  (95%% bootstrap CI %.1f .. %.1f)\n", stats.iqm, stats.iqm_ci_low, stats.iqm_ci_high);
    std::printf("laps        %.0f%% completed, mean length %.0f steps\n", 100 * lap_rate, mean_length);
    if (lap_time_mean >= 0) std::printf("lap time    mean %.1f s over the %zu completed laps\n", lap_time_mean, lap_times.size());
    if (!later.empty())
      std::printf("later laps  lap 1 %.1f s, laps 2+ %.1f s (means over the %zu episodes with 2 or more laps)\n",
                  mean_of(first_of_multi), mean_of(later), later.size());
  }
  return kExitOk;
}

}  // namespace dl::app
