// drivelab/app: the tree-structured Parzen estimator (TPE) proposals of `method: tpe`.
//
// TPE splits the finished trials into the best gamma fraction (good) and the rest (bad), models each
// parameter's density in both groups, l(x) and g(x), and proposes the draw from l with the largest l/g.
// Parameters are modelled independently (the original TPE; no joint model). Numbers are modelled in the
// space they were declared in (log space for log_uniform) with truncated Gaussian kernels plus a uniform
// prior component, so the estimate stays broad while there are few trials; lists by smoothed counts.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "app/sweep/sweep.h"
#include "sim/rng.h"

namespace dl::app {
namespace {

constexpr double kPi = 3.141592653589793;
// Proposals for TPE use their own stream, so they differ from the random draw of the same index.
constexpr uint64_t kTpeStream = 0x7f4a7c15b5ad4dcdULL;

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// A mixture of Gaussians truncated to [lo, hi], one per point, and a uniform prior, equally weighted.
class Parzen {
 public:
  Parzen(double lo, double hi, std::vector<double> points) : lo_(lo), hi_(hi), mu_(std::move(points)) {
    const double range = hi - lo;
    const double n = static_cast<double>(mu_.size());
    double sd = 0;
    if (mu_.size() >= 2) {
      double mean = 0;
      for (double m : mu_) mean += m / n;
      for (double m : mu_) sd += (m - mean) * (m - mean) / (n - 1);
      sd = std::sqrt(sd);
    }
    // Scott's rule, kept between range / (n + 1) (as Optuna clips it) and the whole range: few or
    // clustered points must not make a kernel so narrow that l/g explodes next to one lucky trial.
    sigma_ = std::clamp(1.06 * sd * std::pow(std::max(n, 1.0), -0.2), range / std::min(100.0, n + 1), range);
    for (double m : mu_) mass_.push_back(normal_cdf((hi - m) / sigma_) - normal_cdf((lo - m) / sigma_));
  }

  double density(double x) const {
    const double components = static_cast<double>(mu_.size()) + 1;
    double p = 1.0 / (hi_ - lo_);
    for (size_t i = 0; i < mu_.size(); ++i) {
      const double z = (x - mu_[i]) / sigma_;
      p += std::exp(-0.5 * z * z) / (sigma_ * std::sqrt(2 * kPi) * std::max(mass_[i], 1e-12));
    }
    return p / components;
  }

  double sample(sim::Rng& rng) const {
    const auto k = static_cast<size_t>(rng.uniform_int(0, static_cast<int64_t>(mu_.size())));
    if (k == mu_.size()) return rng.uniform(lo_, hi_);
    for (int tries = 0; tries < 64; ++tries) {
      const double x = rng.normal(mu_[k], sigma_);
      if (x >= lo_ && x <= hi_) return x;
    }
    return std::clamp(mu_[k], lo_, hi_);
  }

 private:
  double lo_, hi_, sigma_ = 1;
  std::vector<double> mu_, mass_;
};

// The interval a number parameter is modelled on, and the maps between its values and that interval.
struct Axis {
  double lo, hi;
  const ParamSpec& p;
  double to_axis(double v) const { return p.dist == Distribution::log_uniform ? std::log(v) : v; }
  std::string from_axis(double x) const {
    char buf[40];
    if (p.dist == Distribution::int_uniform) {
      const double v = std::clamp(std::round(x), p.min, p.max);
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    } else {
      std::snprintf(buf, sizeof buf, "%.7g", p.dist == Distribution::log_uniform ? std::exp(x) : x);
    }
    return buf;
  }
};

Axis axis_of(const ParamSpec& p) {
  if (p.dist == Distribution::log_uniform) return {std::log(p.min), std::log(p.max), p};
  if (p.dist == Distribution::int_uniform) return {p.min - 0.5, p.max + 0.5, p};  // each integer gets width 1
  return {p.min, p.max, p};
}

std::string propose_listed(const ParamSpec& p, size_t i, const std::vector<const Observation*>& good,
                           const std::vector<const Observation*>& bad, sim::Rng& rng, int candidates) {
  std::vector<std::string> names;
  for (const auto& v : p.values) names.push_back(canonical_value(v));
  // Counts with one prior observation of every value: nothing seen is ever impossible.
  auto weights = [&](const std::vector<const Observation*>& group) {
    std::vector<double> w(names.size(), 1.0);
    for (const auto* o : group) {
      const auto it = std::find(names.begin(), names.end(), canonical_value(o->assignment[i].second));
      if (it != names.end()) w[it - names.begin()] += 1;
    }
    double sum = 0;
    for (double x : w) sum += x;
    for (double& x : w) x /= sum;
    return w;
  };
  const std::vector<double> l = weights(good), g = weights(bad);
  size_t best = 0;
  double best_score = -std::numeric_limits<double>::infinity();
  for (int c = 0; c < candidates; ++c) {
    double u = rng.uniform();
    size_t k = 0;
    while (k + 1 < l.size() && u >= l[k]) u -= l[k++];
    const double score = std::log(l[k]) - std::log(g[k]);
    if (score > best_score) best_score = score, best = k;
  }
  return p.values[best];
}

std::string propose_number(const ParamSpec& p, size_t i, const std::vector<const Observation*>& good,
                           const std::vector<const Observation*>& bad, sim::Rng& rng, int candidates) {
  const Axis axis = axis_of(p);
  auto points = [&](const std::vector<const Observation*>& group) {
    std::vector<double> xs;
    for (const auto* o : group) {
      char* end = nullptr;
      const double v = std::strtod(o->assignment[i].second.c_str(), &end);
      if (*end == '\0' && std::isfinite(v) && (p.dist != Distribution::log_uniform || v > 0))
        xs.push_back(std::clamp(axis.to_axis(v), axis.lo, axis.hi));
    }
    return xs;
  };
  const Parzen l(axis.lo, axis.hi, points(good)), g(axis.lo, axis.hi, points(bad));
  double best = 0, best_score = -std::numeric_limits<double>::infinity();
  for (int c = 0; c < candidates; ++c) {
    const double x = l.sample(rng);
    const double score = std::log(l.density(x)) - std::log(g.density(x));
    if (score > best_score) best_score = score, best = x;
  }
  return axis.from_axis(best);
}

}  // namespace

Assignment tpe_propose(const SweepSpec& spec, const std::vector<Observation>& history, uint64_t index) {
  std::vector<const Observation*> finished, pruned;
  for (const auto& o : history) {
    if (o.assignment.size() != spec.parameters.size()) continue;  // from another version of the sweep file
    if (o.pruned)
      pruned.push_back(&o);
    else if (std::isfinite(o.value))
      finished.push_back(&o);
  }
  if (static_cast<int>(finished.size() + pruned.size()) < spec.tpe.startup || finished.empty())
    return sample_assignment(spec, index);
  std::stable_sort(finished.begin(), finished.end(),
                   [&](const Observation* a, const Observation* b) { return worse(b->value, a->value, spec.goal); });
  const size_t total = finished.size() + pruned.size();
  const size_t n_good =
      std::min(finished.size(), std::max<size_t>(1, static_cast<size_t>(std::ceil(spec.tpe.gamma * total))));
  const std::vector<const Observation*> good(finished.begin(), finished.begin() + n_good);
  std::vector<const Observation*> bad(finished.begin() + n_good, finished.end());
  bad.insert(bad.end(), pruned.begin(), pruned.end());

  sim::Rng rng(sim::Rng::mix(sim::Rng::mix(spec.seed, index), kTpeStream));
  Assignment a;
  for (size_t i = 0; i < spec.parameters.size(); ++i) {
    const ParamSpec& p = spec.parameters[i];
    const bool listed = p.dist == Distribution::values || p.dist == Distribution::categorical;
    a.emplace_back(p.path, listed ? propose_listed(p, i, good, bad, rng, spec.tpe.candidates)
                                  : propose_number(p, i, good, bad, rng, spec.tpe.candidates));
  }
  return a;
}

}  // namespace dl::app
