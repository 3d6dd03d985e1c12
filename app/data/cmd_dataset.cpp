// drivelab/app: `drivelab dataset stats|clean|split|merge`: look at and curate datasets (data/curate.h).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/data/data_commands.h"
#include "data/curate.h"

namespace dl::app {
namespace {

struct DatasetArgs {
  // stats
  std::string stats_file;
  int bins = 10;
  bool stats_recover = false;
  // clean
  std::string clean_in, clean_out;
  data::CleanRules rules;
  bool keep_non_finite = false, keep_duplicates = false;
  double min_return = 0;
  bool clean_recover = false;
  // split
  std::string split_in, train_out, val_out;
  double val_fraction = 0.1;
  unsigned long long split_seed = 1;
  // merge
  std::vector<std::string> merge_in;
  std::string merge_out;
};

void print_problems(const std::vector<std::string>& problems) {
  for (const auto& p : problems) std::fprintf(stderr, "recovery: %s\n", p.c_str());
}

int run_stats(const DatasetArgs& a) {
  data::DatasetReader reader(a.stats_file, a.stats_recover ? data::OpenMode::recover : data::OpenMode::strict);
  print_problems(reader.problems());
  const data::DatasetStats s = data::dataset_stats(reader, a.bins);
  std::printf("%s", data::format_stats(s, reader.spec()).c_str());
  return kExitOk;
}

int run_clean(DatasetArgs& a, CLI::App* cmd) {
  a.rules.drop_non_finite = !a.keep_non_finite;
  a.rules.drop_duplicates = !a.keep_duplicates;
  a.rules.use_min_return = cmd->count("--min-return") > 0;
  a.rules.min_return = a.min_return;
  const auto mode = a.clean_recover ? data::OpenMode::recover : data::OpenMode::strict;
  if (a.clean_recover) print_problems(data::DatasetReader(a.clean_in, mode).problems());
  const data::CleanReport r = data::clean_dataset(a.clean_in, a.clean_out, a.rules, mode);
  std::printf("%s", data::format_clean_report(r, a.rules).c_str());
  std::printf("wrote %s\n", a.clean_out.c_str());
  return kExitOk;
}

int run_split(const DatasetArgs& a) {
  const data::SplitReport r = data::split_dataset(a.split_in, a.train_out, a.val_out, a.val_fraction, a.split_seed);
  std::printf("train: %s  %lld episodes, %lld steps\n", a.train_out.c_str(), static_cast<long long>(r.train_episodes),
              static_cast<long long>(r.train_steps));
  std::printf("val:   %s  %lld episodes, %lld steps\n", a.val_out.c_str(), static_cast<long long>(r.val_episodes),
              static_cast<long long>(r.val_steps));
  return kExitOk;
}

int run_merge(const DatasetArgs& a) {
  const int64_t n = data::merge_datasets(a.merge_in, a.merge_out);
  std::printf("wrote %s: %lld episodes from %zu datasets\n", a.merge_out.c_str(), static_cast<long long>(n),
              a.merge_in.size());
  return kExitOk;
}

}  // namespace

CommandHook add_dataset_command(CLI::App& app) {
  auto a = std::make_shared<DatasetArgs>();
  auto* cmd = app.add_subcommand("dataset", "Inspect and curate trajectory datasets: stats, clean, split, merge.");
  cmd->require_subcommand(1);
  cmd->footer("Exit codes: 0 done, 2 bad input (a missing, corrupt or mismatched dataset, a bad option).");

  auto* stats = cmd->add_subcommand("stats", "Episodes, steps, return quantiles and action histograms.");
  stats->add_option("file", a->stats_file, "Dataset file")->required();
  stats->add_option("--bins", a->bins, "Histogram bins of continuous actions")->check(CLI::Range(1, 1000));
  stats->add_flag("--recover", a->stats_recover, "Skip damaged chunks (listed on stderr) instead of failing");

  auto* clean = cmd->add_subcommand("clean", "Drop bad episodes by rule; each drop is counted and reported.");
  clean->add_option("in", a->clean_in, "Input dataset")->required();
  clean->add_option("--out", a->clean_out, "Cleaned dataset to write")->required();
  clean->add_option("--min-length", a->rules.min_length, "Drop episodes with fewer steps (0 = keep all)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  clean->add_flag("--drop-crashed", a->rules.drop_crashed, "Drop episodes that ended off the playfield");
  clean->add_option("--outlier-iqr", a->rules.outlier_iqr,
                    "Drop returns outside [Q1 - K*IQR, Q3 + K*IQR] (0 = off; 1.5 is Tukey's rule)")
      ->check(CLI::Range(0.0, 1e6));
  clean->add_option("--min-return", a->min_return, "Drop episodes with a lower return");
  clean->add_flag("--keep-non-finite", a->keep_non_finite, "Keep episodes with NaN or inf values");
  clean->add_flag("--keep-duplicates", a->keep_duplicates, "Keep repeated identical episodes");
  clean->add_flag("--recover", a->clean_recover, "Read a damaged input, keeping its intact chunks");

  auto* split = cmd->add_subcommand("split", "Split into train and validation sets by episode (no episode in both).");
  split->add_option("in", a->split_in, "Input dataset")->required();
  split->add_option("--train", a->train_out, "Train dataset to write")->required();
  split->add_option("--val", a->val_out, "Validation dataset to write")->required();
  split->add_option("--val-fraction", a->val_fraction, "Fraction of episodes for validation")->check(CLI::Range(0.0, 1.0));
  split->add_option("--seed", a->split_seed, "Seed of the episode shuffle");

  auto* merge = cmd->add_subcommand("merge", "Concatenate datasets with the same observation and action specs.");
  merge->add_option("inputs", a->merge_in, "Input datasets")->required()->expected(1, -1);
  merge->add_option("--out", a->merge_out, "Merged dataset to write")->required();

  return {cmd, [a, stats, clean, split, merge] {
            try {
              if (*stats) return run_stats(*a);
              if (*clean) return run_clean(*a, clean);
              if (*split) return run_split(*a);
              if (*merge) return run_merge(*a);
            } catch (const data::DatasetError& e) {
              std::fprintf(stderr, "drivelab: dataset error: %s\n", e.what());
              return kExitBadInput;
            }
            return kExitBadInput;
          }};
}

}  // namespace dl::app
