// drivelab/data: looking at and curating datasets: statistics, cleaning rules, train/validation splits
// and merges. Each works episode by episode through DatasetReader/DatasetWriter, so a dataset never has
// to fit in memory.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace dl::data {

// ---- Statistics -----------------------------------------------------------------------------------------

struct ActionHistogram {
  std::string name;             // "steer", "gas", "brake", "a3", or "discrete"
  float low = 0, high = 0;      // continuous: the bin range (the spec's bounds, or the data's when unbounded)
  std::vector<int64_t> counts;  // bins; discrete: one per action
};

struct DatasetStats {
  int64_t episodes = 0, steps = 0;
  int64_t laps_completed = 0, crashed = 0;
  double return_mean = 0;
  // Return quantiles at kQuantiles (min, 10%, 25%, median, 75%, 90%, max); empty without episodes.
  std::vector<double> return_quantiles;
  int64_t length_min = 0, length_max = 0;
  std::vector<std::pair<std::string, int64_t>> policies;  // episodes per policy name
  std::vector<ActionHistogram> actions;
};

inline constexpr double kQuantiles[] = {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0};

// Linear-interpolated quantile q in [0, 1] of values (sorted inside). NaN for no values.
double quantile(std::vector<double> values, double q);
DatasetStats dataset_stats(const DatasetReader& reader, int histogram_bins = 10);
// The report `drivelab dataset stats` prints: counts, return quantiles and text action histograms.
std::string format_stats(const DatasetStats& stats, const DatasetSpec& spec);

// ---- Cleaning -------------------------------------------------------------------------------------------

struct CleanRules {
  bool drop_non_finite = true;      // any NaN or inf in observations, actions or rewards
  int64_t min_length = 2;           // drop episodes with fewer steps (0 = keep all)
  bool drop_crashed = false;        // episodes that ended off the playfield
  bool drop_duplicates = true;      // identical episodes (same observations, actions and rewards)
  double outlier_iqr = 0;           // drop returns outside [Q1 - k IQR, Q3 + k IQR] (0 = off)
  bool use_min_return = false;
  double min_return = 0;            // with use_min_return: drop episodes below it
};

// Each dropped episode is counted once, under the first rule (in this order) that drops it.
struct CleanReport {
  int64_t input = 0, kept = 0;
  int64_t non_finite = 0, too_short = 0, crashed = 0, duplicates = 0, outliers = 0, below_min_return = 0;
  double outlier_low = 0, outlier_high = 0;  // the return range the outlier rule kept
};

CleanReport clean_dataset(const std::string& in_path, const std::string& out_path, const CleanRules& rules,
                          OpenMode mode = OpenMode::strict);
std::string format_clean_report(const CleanReport& report, const CleanRules& rules);

// ---- Splits and merges ----------------------------------------------------------------------------------

// Which episodes go to validation: round(fraction * n) of them (at least one and at most n - 1 when n >= 2
// and 0 < fraction < 1), drawn by a seeded shuffle that is the same on every platform.
std::vector<bool> validation_mask(int64_t episodes, double fraction, uint64_t seed);

struct SplitReport {
  int64_t train_episodes = 0, train_steps = 0, val_episodes = 0, val_steps = 0;
};
SplitReport split_dataset(const std::string& in_path, const std::string& train_path, const std::string& val_path,
                          double val_fraction, uint64_t seed);

// Concatenates datasets with equal specs (throws DatasetError naming the first file that differs and how).
// Returns the number of episodes written.
int64_t merge_datasets(const std::vector<std::string>& in_paths, const std::string& out_path);

}  // namespace dl::data
