#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "envs/normalize.h"
#include "sim/rng.h"

using namespace dl::envs;

namespace {
// Direct two-pass mean and population variance of column d.
void direct_moments(const std::vector<float>& x, int dim, int d, double& mean, double& var) {
  const size_t n = x.size() / dim;
  mean = 0;
  for (size_t i = 0; i < n; ++i) mean += x[i * dim + d];
  mean /= n;
  var = 0;
  for (size_t i = 0; i < n; ++i) var += (x[i * dim + d] - mean) * (x[i * dim + d] - mean);
  var /= n;
}

std::vector<float> samples(int rows, int dim, uint64_t seed) {
  dl::sim::Rng rng(seed);
  std::vector<float> x(rows * dim);
  for (int i = 0; i < rows; ++i)
    for (int d = 0; d < dim; ++d) x[i * dim + d] = static_cast<float>(rng.normal(100.0 * d, 1.0 + d));
  return x;
}
}  // namespace

TEST_CASE("running mean and variance over uneven batches equal the direct ones", "[envs][normalize]") {
  const int dim = 3;
  const auto x = samples(1000, dim, 1);
  RunningMeanStd rms(dim);
  int row = 0;
  for (int batch : {1, 7, 100, 392, 500}) {
    rms.update(x.data() + row * dim, batch);
    row += batch;
  }
  REQUIRE(row == 1000);
  CHECK(rms.count() == 1000);
  for (int d = 0; d < dim; ++d) {
    double mean, var;
    direct_moments(x, dim, d, mean, var);
    CHECK(rms.mean()[d] == Approx(mean).epsilon(1e-12));
    CHECK(rms.var()[d] == Approx(var).epsilon(1e-9));
  }
}

TEST_CASE("observation normalizer maps data to zero mean and unit variance with clipping", "[envs][normalize]") {
  const int dim = 2;
  auto x = samples(2000, dim, 2);
  ObsNormalizer norm(dim, 3.0f);
  norm.update(x.data(), 2000);
  norm.normalize(x.data(), 2000);
  for (int d = 0; d < dim; ++d) {
    double mean, var;
    direct_moments(x, dim, d, mean, var);
    CHECK(std::abs(mean) < 0.01);
    CHECK(var == Approx(1.0).epsilon(0.02));  // the clip at 3 sigma trims a little
  }
  for (float v : x) CHECK(std::abs(v) <= 3.0f);
}

TEST_CASE("normalizer state round-trips through a plain vector", "[envs][normalize]") {
  auto x = samples(50, 4, 3);
  ObsNormalizer a(4), b(4);
  a.update(x.data(), 50);
  b.load_state(a.state());
  auto ya = x, yb = x;
  a.normalize(ya.data(), 50);
  b.normalize(yb.data(), 50);
  CHECK(ya == yb);
  ObsNormalizer wrong(5);
  CHECK_THROWS_AS(wrong.load_state(a.state()), std::invalid_argument);
}

TEST_CASE("reward scaler divides by the std of the discounted return and restarts it on episode end",
          "[envs][normalize]") {
  const double gamma = 0.5;
  RewardScaler scaler(1, gamma, 100.0f, 0.0);
  const std::vector<float> rewards = {1, 1, 1, 1};
  const std::vector<uint8_t> done = {0, 1, 0, 0};
  // Returns: 1, 1.5 (episode ends), then restart: 1, 1.5.
  std::vector<double> returns;
  double ret = 0;
  for (size_t t = 0; t < rewards.size(); ++t) {
    ret = ret * gamma + rewards[t];
    returns.push_back(ret);
    float r = rewards[t];
    scaler.scale(&r, &done[t]);
    double mean = 0, var = 0;
    for (double g : returns) mean += g / returns.size();
    for (double g : returns) var += (g - mean) * (g - mean) / returns.size();
    if (var > 0) CHECK(r == Approx(1.0 / std::sqrt(var)));
    if (done[t]) ret = 0;
  }
  RewardScaler restored(1, gamma, 100.0f, 0.0);
  restored.load_state(scaler.state());
  CHECK(restored.scale_factor() == scaler.scale_factor());
}
