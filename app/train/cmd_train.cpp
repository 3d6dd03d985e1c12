// drivelab/app: `drivelab train`.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>

#include "agents/algorithm.h"
#include "agents/checkpoint.h"
#include "agents/trainer.h"
#include "app/commands.h"
#include "app/run_config.h"
#include "app/run_dir.h"
#include "app/train/metrics.h"
#include "app/train/plot.h"
#include "app/train/rollout_video.h"
#include "app/train/tensorboard.h"
#include "app/tracks/track_commands.h"
#include "app/train/train_workers.h"
#include "agents/distributed.h"

namespace fs = std::filesystem;

namespace dl::app {
namespace {
// TensorBoard's text tab renders markdown: indent the YAML four spaces so it shows as a code block.
std::string tensorboard_code_block(const std::string& text) {
  std::string out = "    ";
  for (char c : text) {
    out += c;
    if (c == '\n') out += "    ";
  }
  return out;
}
}  // namespace

namespace {

// Removes temp files a killed run left beside the files it writes (metrics.csv.tmp.PID,
// checkpoints/latest.pt.tmp.PID, ...): they are never read, and a resumed run writes its own.
void remove_stale_temp_files(const fs::path& run_dir) {
  static const char* const kWritten[] = {"metrics.csv.tmp", "config.yaml.tmp", "latest.pt.tmp", "best.pt.tmp",
                                         "learning_curve.png.tmp", "expert_use.png.tmp", "final_policy.gif.tmp"};
  std::error_code ec;
  for (const fs::path& dir : {run_dir, run_dir / "checkpoints"})
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      for (const char* prefix : kWritten)
        if (name.rfind(prefix, 0) == 0 && entry.is_regular_file(ec)) fs::remove(entry.path(), ec);
    }
}

}  // namespace

int cmd_train(const TrainArgs& args) {
  // Everything that can be wrong with the input is found before anything is written.
  RunConfig config;
  std::string run_dir, config_origin = args.config.empty() ? "<embedded default config>" : args.config;
  if (!args.resume.empty()) {
    const fs::path config_path = fs::path(args.resume) / "config.yaml";
    if (!fs::is_regular_file(config_path))
      throw ConfigError(args.resume + ": not a run folder (no config.yaml in it)");
    if (!args.config.empty())
      throw ConfigError(args.config + ": --resume takes its config from the run folder; give overrides only");
    config = load_run_config(config_path.string(), args.overrides);
    run_dir = args.resume;
    config_origin = config_path.string();
  } else {
    config = load_run_config(args.config, args.overrides);
  }
  const std::string resolved = to_yaml(config);
  if (args.print_config) {
    std::printf("%s", resolved.c_str());
    return kExitOk;
  }

  agents::TrainJob job;
  job.env = config.env;
  job.agent = config.agent;
  job.train = config.train;
  job.resolved_config = resolved;
  job.resume = !args.resume.empty();
  // On --resume the record is cut back to the checkpoint the run continues from. A run killed before its
  // first checkpoint starts again from step 0 (its record so far is dropped); an algorithm that restarts
  // anyway (bc, dagger) does the same. The world model resumes by stage files and keeps its rows.
  int64_t keep_through_step = -1;
  const agents::Algorithm* algorithm = nullptr;
  try {
    algorithm = &agents::find_algorithm(config.agent.algo);
  } catch (const io::InputError& e) {
    throw ConfigError(config_origin + ": " + e.what());
  }
  if (job.resume) {
    const fs::path latest = fs::path(run_dir) / "checkpoints" / "latest.pt";
    remove_stale_temp_files(run_dir);
    const bool from_latest = algorithm->resume == agents::Resume::from_latest;
    if (algorithm->resume == agents::Resume::by_stages) {
      keep_through_step = std::numeric_limits<int64_t>::max();
    } else if (from_latest && fs::exists(latest)) {
      keep_through_step = agents::checkpoint_step(latest.string());  // also checks the file (CRC)
    } else {
      if (from_latest)
        std::printf("%s: no checkpoint yet; starting the run from step 0\n", run_dir.c_str());
      job.resume = false;
    }
  }
  try {
    check_data_parallel(job, config_origin);
    agents::check_train_job(job);
  } catch (const ConfigError&) {
    throw;
  } catch (const io::InputError& e) {
    throw ConfigError(config_origin + ": " + e.what());
  }
  // Data-parallel (torchrun variables or --nproc): rank 0 alone writes; the others learn its run folder.
  join_data_parallel(job);
  if (agents::dist::rank() != 0) return train_as_worker(job);

  if (run_dir.empty())
    run_dir = make_run_dir(config.run.dir, config.env.id, config.agent.algo, config.train.seed, config.run.name,
                           args.run_dir);
  else
    fs::create_directories(fs::path(run_dir) / "checkpoints");
  io::write_file_atomic((fs::path(run_dir) / "config.yaml").string(), resolved);
  std::printf("run folder: %s\n", run_dir.c_str());
  std::fflush(stdout);
  agents::dist::share_from_rank0("run_dir", run_dir);

  CsvMetrics metrics((fs::path(run_dir) / "metrics.csv").string(), args.progress, keep_through_step);
  // TensorBoard sees the same scalars, the config as text and, at the end, the curve and the GIF.
  std::unique_ptr<TensorBoardWriter> tensorboard;
  try {
    tensorboard = std::make_unique<TensorBoardWriter>(run_dir);
    tensorboard->text(0, "config", tensorboard_code_block(resolved));
    metrics.mirror_to(tensorboard.get());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "drivelab: no TensorBoard events: %s\n", e.what());
  }
  job.run_dir = run_dir;
  job.metrics = &metrics;

  agents::TrainResult result;
  try {
    result = agents::train(job);
  } catch (...) {
    metrics.flush();  // keep the curve up to the failure
    throw;
  }
  metrics.flush();

  const std::string title = config.env.id + " / " + config.agent.algo + " / seed " + std::to_string(config.train.seed);
  try {
    if (algorithm->curve == agents::LearningCurve::gan_losses) plot_gan_curve(metrics.rows(), title, (fs::path(run_dir) / "learning_curve.png").string());
    else plot_learning_curve(metrics.rows(), title, (fs::path(run_dir) / "learning_curve.png").string());
    plot_expert_use(metrics.rows(), title, (fs::path(run_dir) / "expert_use.png").string());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "drivelab: no learning curve: %s\n", e.what());
  }
  // A short GIF of the final policy on an unseen track, so a run folder shows what was learned.
  const fs::path latest = fs::path(run_dir) / "checkpoints" / "latest.pt";
  if (args.video && algorithm->load_actor && fs::exists(latest)) {  // only an algorithm that drives can be filmed
    try {
      write_policy_gif(latest.string(), (fs::path(run_dir) / "final_policy.gif").string(), 300);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "drivelab: no rollout GIF: %s\n", e.what());
    }
  }
  if (tensorboard) {
    tensorboard->image_file(result.steps, "learning_curve", (fs::path(run_dir) / "learning_curve.png").string());
    tensorboard->image_file(result.steps, "final_policy", (fs::path(run_dir) / "final_policy.gif").string());
    tensorboard->flush();
  }
  std::printf("done: %lld steps in %.1f s; final eval return %.1f, best %.1f\n",
              static_cast<long long>(result.steps), result.wall_s, result.final_eval_return, result.best_eval_return);
  std::printf("run folder: %s\n", run_dir.c_str());
  return kExitOk;
}

}  // namespace dl::app
