#include "envs/normalize.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dl::envs {
namespace {

void expect_size(const char* what, size_t got, size_t want) {
  if (got != want)
    throw std::invalid_argument(std::string(what) + ": state has " + std::to_string(got) + " values, expected " +
                                std::to_string(want) + " (was it saved for another observation size?)");
}

template <class T>
void batch_moments(const T* batch, int n, int dim, std::vector<double>& mean, std::vector<double>& var) {
  mean.assign(dim, 0.0);
  var.assign(dim, 0.0);
  for (int row = 0; row < n; ++row)
    for (int d = 0; d < dim; ++d) mean[d] += batch[row * dim + d];
  for (auto& m : mean) m /= n;
  // Two passes: one-pass sums of squares lose precision when |mean| >> std.
  for (int row = 0; row < n; ++row)
    for (int d = 0; d < dim; ++d) {
      const double dev = batch[row * dim + d] - mean[d];
      var[d] += dev * dev;
    }
  for (auto& v : var) v /= n;
}

}  // namespace

// ---- RunningMeanStd -------------------------------------------------------------------------------------

// Before any data the statistics are the identity transform (mean 0, variance 1).
RunningMeanStd::RunningMeanStd(int dim) : mean_(dim, 0.0), var_(dim, 1.0) {
  if (dim < 1) throw std::invalid_argument("RunningMeanStd: dim must be >= 1, got " + std::to_string(dim));
}

void RunningMeanStd::update(const float* batch, int n) {
  if (n <= 0) return;
  std::vector<double> m, v;
  batch_moments(batch, n, dim(), m, v);
  merge(m, v, n);
}

void RunningMeanStd::update(const double* batch, int n) {
  if (n <= 0) return;
  std::vector<double> m, v;
  batch_moments(batch, n, dim(), m, v);
  merge(m, v, n);
}

void RunningMeanStd::merge(const std::vector<double>& batch_mean, const std::vector<double>& batch_var, double n) {
  const double total = count_ + n;
  for (int d = 0; d < dim(); ++d) {
    const double delta = batch_mean[d] - mean_[d];
    const double m2 = var_[d] * count_ + batch_var[d] * n + delta * delta * count_ * n / total;
    mean_[d] += delta * n / total;
    var_[d] = m2 / total;
  }
  count_ = total;
}

std::vector<double> RunningMeanStd::state() const {
  std::vector<double> s{count_};
  s.insert(s.end(), mean_.begin(), mean_.end());
  s.insert(s.end(), var_.begin(), var_.end());
  return s;
}

void RunningMeanStd::load_state(const std::vector<double>& state) {
  expect_size("RunningMeanStd", state.size(), 1 + 2 * mean_.size());
  count_ = state[0];
  std::copy(state.begin() + 1, state.begin() + 1 + dim(), mean_.begin());
  std::copy(state.begin() + 1 + dim(), state.end(), var_.begin());
}

// ---- ObsNormalizer --------------------------------------------------------------------------------------

ObsNormalizer::ObsNormalizer(int dim, float clip, double epsilon) : rms_(dim), clip_(clip), epsilon_(epsilon) {}

void ObsNormalizer::update(const float* batch, int n) { rms_.update(batch, n); }

void ObsNormalizer::normalize(float* inout, int n) const {
  const int dim = rms_.dim();
  std::vector<double> inv_std(dim);
  for (int d = 0; d < dim; ++d) inv_std[d] = 1.0 / std::sqrt(rms_.var()[d] + epsilon_);
  for (int row = 0; row < n; ++row)
    for (int d = 0; d < dim; ++d) {
      float& x = inout[row * dim + d];
      const double z = (x - rms_.mean()[d]) * inv_std[d];
      x = static_cast<float>(std::clamp(z, -static_cast<double>(clip_), static_cast<double>(clip_)));
    }
}

std::vector<double> ObsNormalizer::state() const { return rms_.state(); }
void ObsNormalizer::load_state(const std::vector<double>& state) { rms_.load_state(state); }

// ---- RewardScaler ---------------------------------------------------------------------------------------

RewardScaler::RewardScaler(int num_envs, double gamma, float clip, double epsilon)
    : rms_(1), returns_(num_envs, 0.0), gamma_(gamma), clip_(clip), epsilon_(epsilon) {}

void RewardScaler::scale(float* rewards, const uint8_t* done, bool update) {
  const int n = num_envs();
  for (int i = 0; i < n; ++i) returns_[i] = returns_[i] * gamma_ + rewards[i];
  if (update) rms_.update(returns_.data(), n);
  const double factor = scale_factor();
  for (int i = 0; i < n; ++i) {
    const double scaled = rewards[i] * factor;
    rewards[i] = static_cast<float>(std::clamp(scaled, -static_cast<double>(clip_), static_cast<double>(clip_)));
    if (done[i]) returns_[i] = 0.0;
  }
}

double RewardScaler::scale_factor() const { return 1.0 / std::sqrt(rms_.var()[0] + epsilon_); }

std::vector<double> RewardScaler::state() const {
  std::vector<double> s = rms_.state();
  s.insert(s.end(), returns_.begin(), returns_.end());
  return s;
}

void RewardScaler::load_state(const std::vector<double>& state) {
  const size_t rms_size = rms_.state().size();
  expect_size("RewardScaler", state.size(), rms_size + returns_.size());
  rms_.load_state(std::vector<double>(state.begin(), state.begin() + rms_size));
  std::copy(state.begin() + rms_size, state.end(), returns_.begin());
}

}  // namespace dl::envs
