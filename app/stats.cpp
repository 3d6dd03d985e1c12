#include "app/stats.h"

#include <algorithm>
#include <cmath>

#include "sim/rng.h"

namespace dl::app {

double interquartile_mean(std::vector<double> values) {
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  // Weight each sorted value by how much of its 1/n slice lies inside [0.25, 0.75].
  const double n = static_cast<double>(values.size());
  double sum = 0, weight = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const double lo = i / n, hi = (i + 1) / n;
    const double w = std::max(0.0, std::min(hi, 0.75) - std::max(lo, 0.25));
    sum += w * values[i];
    weight += w;
  }
  return sum / weight;
}

ReturnStats summarize_returns(const std::vector<double>& returns, int bootstrap_samples, uint64_t seed) {
  ReturnStats s;
  s.episodes = static_cast<int>(returns.size());
  if (returns.empty()) return s;
  double sum = 0;
  for (double r : returns) sum += r;
  s.mean = sum / returns.size();
  double sq = 0;
  for (double r : returns) sq += (r - s.mean) * (r - s.mean);
  s.stddev = returns.size() > 1 ? std::sqrt(sq / (returns.size() - 1)) : 0;
  s.iqm = interquartile_mean(returns);
  sim::Rng rng(seed);
  std::vector<double> iqms(bootstrap_samples), sample(returns.size());
  for (auto& iqm : iqms) {
    for (auto& x : sample) x = returns[rng.uniform_int(0, static_cast<int64_t>(returns.size()) - 1)];
    iqm = interquartile_mean(sample);
  }
  std::sort(iqms.begin(), iqms.end());
  s.iqm_ci_low = iqms[static_cast<size_t>(0.025 * (bootstrap_samples - 1))];
  s.iqm_ci_high = iqms[static_cast<size_t>(0.975 * (bootstrap_samples - 1))];
  return s;
}

}  // namespace dl::app
