// drivelab/app: `drivelab eval`.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "agents/trainer.h"
#include "agents/world_model.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/stats.h"

namespace fs = std::filesystem;

namespace dl::app {
namespace {
// A run folder means its best checkpoint, or its latest if no evaluation has picked a best yet.
std::string resolve_checkpoint(const std::string& target) {
  if (!fs::exists(target)) throw ConfigError(target + ": no such run folder or checkpoint file");
  if (!fs::is_directory(target)) return target;
  for (const char* name : {"best.pt", "latest.pt"}) {
    const fs::path p = fs::path(target) / "checkpoints" / name;
    if (fs::exists(p)) return p.string();
  }
  throw ConfigError(target + ": the run folder has no checkpoint (checkpoints/best.pt or latest.pt)");
}
}  // namespace

int cmd_eval(const EvalArgs& args) {
  // A world-model run folder has no checkpoints/*.pt but world_model/controller.pt (agents/world_model.h).
  const bool world_model = fs::is_directory(args.target) && fs::exists(fs::path(args.target) / "world_model" / "controller.pt");
  const std::string checkpoint = world_model ? (fs::path(args.target) / "world_model" / "controller.pt").string()
                                             : resolve_checkpoint(args.target);
  agents::EvalOptions options;
  options.episodes = args.episodes;
  options.tracks = args.tracks;
  options.seed = args.seed;
  options.deterministic = !args.stochastic;
  options.device = args.device;
  const agents::EvalResult result =
      world_model ? agents::evaluate_world_model(
                        args.target, load_run_config((fs::path(args.target) / "config.yaml").string(), {}).env, options)
                  : agents::evaluate(checkpoint, options);
  const ReturnStats stats = summarize_returns(result.returns);
  double mean_length = 0;
  for (int l : result.lengths) mean_length += l;
  if (!result.lengths.empty()) mean_length /= result.lengths.size();
  const double lap_rate = result.returns.empty() ? 0.0 : double(result.laps_completed) / result.returns.size();
  if (args.json) {
    nlohmann::json j = {{"checkpoint", checkpoint},
                        {"tracks", args.tracks},
                        {"episodes", stats.episodes},
                        {"return_mean", stats.mean},
                        {"return_std", stats.stddev},
                        {"return_iqm", stats.iqm},
                        {"return_iqm_ci95", {stats.iqm_ci_low, stats.iqm_ci_high}},
                        {"length_mean", mean_length},
                        {"lap_completion_rate", lap_rate},
                        {"returns", result.returns}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("checkpoint  %s\n", checkpoint.c_str());
    std::printf("episodes    %d on %s tracks\n", stats.episodes, args.tracks.c_str());
    std::printf("return      mean %.1f +- %.1f (std)\n", stats.mean, stats.stddev);
    std::printf("IQM         %.1f  (95%% bootstrap CI %.1f .. %.1f)\n", stats.iqm, stats.iqm_ci_low, stats.iqm_ci_high);
    std::printf("laps        %.0f%% completed, mean length %.0f steps\n", 100 * lap_rate, mean_length);
  }
  return kExitOk;
}

}  // namespace dl::app
