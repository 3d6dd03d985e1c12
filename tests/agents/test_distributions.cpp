#include "catch_torch.h"

#include <cmath>

#include "agents/distributions.h"
#include "agents/rollout.h"

using namespace dl::agents;

namespace {
constexpr double kPi = 3.14159265358979323846;
double normal_log_pdf(double x, double mu, double sigma) {
  const double z = (x - mu) / sigma;
  return -0.5 * z * z - std::log(sigma) - 0.5 * std::log(2 * kPi);
}
double normal_cdf(double x, double mu, double sigma) {
  return 0.5 * std::erfc(-(x - mu) / (sigma * std::sqrt(2.0)));
}
}  // namespace

TEST_CASE("Gaussian log_prob and entropy match the closed forms", "[distributions]") {
  auto mean = torch::tensor({{0.5, -1.0}, {2.0, 0.0}}, torch::kFloat64);
  auto log_std = torch::tensor({std::log(0.3), std::log(2.0)}, torch::kFloat64);
  DiagGaussian dist(mean, log_std);
  auto x = torch::tensor({{0.1, 1.5}, {2.0, -3.0}}, torch::kFloat64);
  auto lp = dist.log_prob(x);
  REQUIRE(lp.sizes() == torch::IntArrayRef({2}));
  const double sig[2] = {0.3, 2.0};
  for (int b = 0; b < 2; ++b) {
    double expected = 0;
    for (int d = 0; d < 2; ++d)
      expected += normal_log_pdf(x[b][d].item<double>(), mean[b][d].item<double>(), sig[d]);
    CHECK(lp[b].item<double>() == Approx(expected).epsilon(1e-12));
  }
  // Entropy of N(mu, s^2) is 0.5 log(2 pi e s^2), summed over independent components.
  const double h = 0.5 * std::log(2 * kPi * std::exp(1.0) * 0.09) + 0.5 * std::log(2 * kPi * std::exp(1.0) * 4.0);
  CHECK(dist.entropy()[0].item<double>() == Approx(h).epsilon(1e-12));
  CHECK(dist.entropy()[1].item<double>() == Approx(h).epsilon(1e-12));
}

TEST_CASE("Gaussian samples have the asked mean and std", "[distributions]") {
  torch::manual_seed(3);
  auto mean = torch::full({20000, 1}, 1.5);
  DiagGaussian dist(mean, torch::full({1}, std::log(0.5)));
  auto s = dist.sample();
  CHECK(s.mean().item<double>() == Approx(1.5).margin(0.02));
  CHECK(s.std().item<double>() == Approx(0.5).margin(0.02));
}

TEST_CASE("tanh-squashed log_prob equals a numeric change of variables", "[distributions]") {
  const double mu = 0.3, sigma = 0.8;
  DiagGaussian dist(torch::full({1, 1}, mu, torch::kFloat64), torch::full({1}, std::log(sigma), torch::kFloat64),
                    /*squash=*/true);
  for (double u : {-2.5, -0.7, 0.0, 0.4, 1.9}) {
    const double a = std::tanh(u), h = 1e-6;
    // density of a = tanh(u) from the Gaussian CDF through atanh, differentiated numerically
    const double p = (normal_cdf(std::atanh(a + h), mu, sigma) - normal_cdf(std::atanh(a - h), mu, sigma)) / (2 * h);
    auto lp = dist.log_prob(torch::full({1, 1}, u, torch::kFloat64)).item<double>();
    CHECK(lp == Approx(std::log(p)).epsilon(1e-5));
    CHECK(dist.to_action(torch::full({1}, u, torch::kFloat64)).item<double>() == Approx(a));
  }
}

TEST_CASE("log(1 - tanh^2) stays finite and accurate where tanh saturates", "[distributions]") {
  auto u = torch::tensor({0.0, 1.0, 20.0, -40.0}, torch::kFloat32);
  auto v = log1m_tanh_sq(u);
  CHECK(torch::isfinite(v).all().item<bool>());
  CHECK(v[0].item<double>() == Approx(0.0).margin(1e-6));
  CHECK(v[1].item<double>() == Approx(std::log(1 - std::tanh(1.0) * std::tanh(1.0))).epsilon(1e-5));
  // 1 - tanh(u)^2 = 4 e^{-2|u|} / (1 + e^{-2|u|})^2 ~ 4 e^{-2|u|} for large |u|
  CHECK(v[2].item<double>() == Approx(std::log(4.0) - 40.0).epsilon(1e-5));
  CHECK(v[3].item<double>() == Approx(std::log(4.0) - 80.0).epsilon(1e-5));
}

TEST_CASE("Categorical: uniform entropy is log n, log_prob and mode follow the logits", "[distributions]") {
  Categorical uniform(torch::zeros({3, 5}));
  for (int i = 0; i < 3; ++i) CHECK(uniform.entropy()[i].item<double>() == Approx(std::log(5.0)));
  auto logits = torch::tensor({{1.0, 2.0, 0.5}}, torch::kFloat64);
  Categorical c(logits);
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(0.5);
  CHECK(c.log_prob(torch::tensor({1.0}))[0].item<double>() == Approx(2.0 - std::log(z)));
  CHECK(c.mode()[0].item<int64_t>() == 1);
  double h = 0;
  for (double l : {1.0, 2.0, 0.5}) h -= std::exp(l) / z * (l - std::log(z));
  CHECK(c.entropy()[0].item<double>() == Approx(h));
  // A zero-probability action contributes nothing to the entropy (no NaN from 0 * log 0).
  Categorical certain(torch::tensor({{0.0, -std::numeric_limits<double>::infinity()}}));
  CHECK(certain.entropy()[0].item<double>() == Approx(0.0));
}

TEST_CASE("Categorical samples follow the probabilities", "[distributions]") {
  torch::manual_seed(5);
  auto probs = torch::tensor({0.1, 0.6, 0.3});
  Categorical c(probs.log().expand({30000, 3}));
  auto counts = torch::bincount(c.sample(), {}, 3).to(torch::kFloat64) / 30000.0;
  for (int i = 0; i < 3; ++i) CHECK(counts[i].item<double>() == Approx(probs[i].item<double>()).margin(0.015));
}

TEST_CASE("GAE matches a hand-computed 3-step case with an episode end in the middle", "[gae]") {
  // One env. Episode ends after step 1 (done[1] = 1); step 2 starts a new episode.
  const double g = 0.9, l = 0.8;
  auto rewards = torch::tensor({{1.0f}, {2.0f}, {3.0f}});
  auto values = torch::tensor({{0.5f}, {1.0f}, {1.5f}});
  auto dones = torch::tensor({{0.0f}, {1.0f}, {0.0f}});
  auto last_value = torch::tensor({2.0f});
  auto adv = compute_gae(rewards, values, dones, last_value, g, l);
  const double d2 = 3.0 + g * 2.0 - 1.5;           // bootstraps from last_value
  const double d1 = 2.0 - 1.0;                     // episode ended: no bootstrap
  const double d0 = 1.0 + g * 1.0 - 0.5;
  const double a2 = d2, a1 = d1, a0 = d0 + g * l * a1;  // nothing flows from step 2 into step 1
  CHECK(adv[2][0].item<double>() == Approx(a2));
  CHECK(adv[1][0].item<double>() == Approx(a1));
  CHECK(adv[0][0].item<double>() == Approx(a0));
}

TEST_CASE("GAE with lambda 1 gives discounted Monte-Carlo returns", "[gae]") {
  auto rewards = torch::tensor({{1.0f, 0.0f}, {1.0f, 1.0f}, {1.0f, 2.0f}});
  auto values = torch::zeros({3, 2});
  auto dones = torch::tensor({{0.0f, 0.0f}, {0.0f, 0.0f}, {1.0f, 0.0f}});
  auto adv = compute_gae(rewards, values, dones, torch::tensor({5.0f, 10.0f}), 0.5, 1.0);
  CHECK(adv[0][0].item<double>() == Approx(1 + 0.5 + 0.25));
  CHECK(adv[0][1].item<double>() == Approx(0 + 0.5 * 1 + 0.25 * 2 + 0.125 * 10));
}
