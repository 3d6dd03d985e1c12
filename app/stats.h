// drivelab/app: summary statistics of evaluation returns.
#pragma once
#include <cstdint>
#include <vector>

namespace dl::app {

struct ReturnStats {
  double mean = 0, stddev = 0, iqm = 0;
  double iqm_ci_low = 0, iqm_ci_high = 0;  // 95% percentile-bootstrap interval of the IQM
  int episodes = 0;
};

// Interquartile mean: the mean of the middle 50% (fractional weights at the cut points, as in rliable).
double interquartile_mean(std::vector<double> values);
ReturnStats summarize_returns(const std::vector<double>& returns, int bootstrap_samples = 2000, uint64_t seed = 7);

}  // namespace dl::app
