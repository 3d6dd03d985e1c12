#include "catch_torch.h"

#include <cmath>
#include <vector>

#include "agents/cmaes.h"

using dl::agents::CMAES;
using dl::agents::CMAESOptions;

namespace {

double rosenbrock(const std::vector<double>& x) {
  double f = 0;
  for (size_t i = 0; i + 1 < x.size(); ++i)
    f += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(1 - x[i], 2);
  return f;
}

// An ill-conditioned quadratic: axis scales from 1 to 1e3, centred at 3.
double ellipsoid(const std::vector<double>& x) {
  const double n = static_cast<double>(x.size());
  double f = 0;
  for (size_t i = 0; i < x.size(); ++i) f += std::pow(1e3, 2.0 * i / (n - 1)) * std::pow(x[i] - 3, 2);
  return f;
}

template <class F>
CMAES minimize(F f, std::vector<double> x0, CMAESOptions o, int max_generations, double target) {
  CMAES es(x0, o);
  for (int g = 0; g < max_generations && es.best_value() > target; ++g) {
    const auto& pop = es.ask();
    std::vector<double> values;
    for (const auto& x : pop) values.push_back(f(x));
    es.tell(values);
  }
  return es;
}

}  // namespace

TEST_CASE("cmaes minimizes the Rosenbrock function to tolerance", "[agents][cmaes]") {
  CMAESOptions o;
  o.sigma = 0.5;
  o.seed = 7;
  const CMAES es = minimize(rosenbrock, std::vector<double>(6, 0.0), o, 4000, 1e-10);
  REQUIRE(es.best_value() < 1e-10);
  for (double x : es.best()) CHECK(std::abs(x - 1.0) < 1e-4);
}

TEST_CASE("cmaes learns the scaling of an ill-conditioned quadratic", "[agents][cmaes]") {
  CMAESOptions o;
  o.sigma = 1.0;
  o.seed = 3;
  const CMAES es = minimize(ellipsoid, std::vector<double>(8, 0.0), o, 3000, 1e-12);
  REQUIRE(es.best_value() < 1e-12);
  for (double x : es.best()) CHECK(std::abs(x - 3.0) < 1e-4);
  // An isotropic search would need thousands of generations on a 1e6 condition number.
  CHECK(es.generation() < 1500);
}

TEST_CASE("separable cmaes minimizes an axis-aligned quadratic", "[agents][cmaes]") {
  CMAESOptions o;
  o.sigma = 1.0;
  o.seed = 11;
  o.separable = true;
  const CMAES es = minimize(ellipsoid, std::vector<double>(40, 0.0), o, 5000, 1e-10);
  REQUIRE(es.best_value() < 1e-10);
  for (double x : es.best()) CHECK(std::abs(x - 3.0) < 1e-3);
}

TEST_CASE("cmaes with the same seed makes the same search", "[agents][cmaes]") {
  CMAESOptions o;
  o.sigma = 0.3;
  o.seed = 5;
  o.popsize = 10;
  const CMAES a = minimize(rosenbrock, {0.5, -0.5, 0.2}, o, 60, 0.0);
  const CMAES b = minimize(rosenbrock, {0.5, -0.5, 0.2}, o, 60, 0.0);
  REQUIRE(a.generation() == 60);
  CHECK(a.best_value() == b.best_value());
  CHECK(a.mean() == b.mean());
  CHECK(a.sigma() == b.sigma());
  o.seed = 6;
  const CMAES c = minimize(rosenbrock, {0.5, -0.5, 0.2}, o, 60, 0.0);
  CHECK(c.mean() != a.mean());
}

TEST_CASE("cmaes refuses a wrong number of values", "[agents][cmaes]") {
  CMAESOptions o;
  o.popsize = 6;
  CMAES es({0.0, 0.0}, o);
  CHECK_THROWS_AS(es.tell(std::vector<double>(6, 1.0)), std::invalid_argument);  // before ask()
  es.ask();
  CHECK_THROWS_AS(es.tell(std::vector<double>(5, 1.0)), std::invalid_argument);
  // Non-finite values rank last instead of poisoning the mean.
  std::vector<double> values(6, 1.0);
  values[0] = std::nan("");
  es.tell(values);
  for (double m : es.mean()) CHECK(std::isfinite(m));
}

TEST_CASE("symmetric eigen decomposition reconstructs the matrix", "[agents][cmaes]") {
  const int n = 4;
  const std::vector<double> a = {4, 1, 0.5, 0, 1, 3, 0.2, 0.1, 0.5, 0.2, 2, 0.3, 0, 0.1, 0.3, 1};
  std::vector<double> w, v;
  dl::agents::symmetric_eigen(a, n, w, v);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      double s = 0;
      for (int k = 0; k < n; ++k) s += v[r * n + k] * w[k] * v[c * n + k];
      CHECK(std::abs(s - a[r * n + c]) < 1e-10);
    }
}
