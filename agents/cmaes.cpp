// drivelab/agents: CMA-ES (see cmaes.h).
#include "agents/cmaes.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace dl::agents {

namespace {
constexpr double kTwoPi = 6.283185307179586;
// Jacobi sweeps stop when the off-diagonal mass is this small relative to the diagonal's.
constexpr double kJacobiTolerance = 1e-14;
constexpr int kMaxJacobiSweeps = 100;
}  // namespace

void symmetric_eigen(std::vector<double> a, int n, std::vector<double>& w, std::vector<double>& v) {
  v.assign(static_cast<size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) v[i * n + i] = 1.0;
  auto at = [&](int r, int c) -> double& { return a[static_cast<size_t>(r) * n + c]; };
  for (int sweep = 0; sweep < kMaxJacobiSweeps; ++sweep) {
    double off = 0, diag = 0;
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) (r == c ? diag : off) += at(r, c) * at(r, c);
    if (off <= kJacobiTolerance * std::max(diag, 1e-300)) break;
    for (int p = 0; p < n - 1; ++p)
      for (int q = p + 1; q < n; ++q) {
        const double apq = at(p, q);
        if (apq == 0.0) continue;
        // The rotation that zeroes a[p][q] (the stable form of Numerical Recipes' Jacobi method).
        const double theta = (at(q, q) - at(p, p)) / (2.0 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (int k = 0; k < n; ++k) {  // columns p and q
          const double akp = at(k, p), akq = at(k, q);
          at(k, p) = c * akp - s * akq;
          at(k, q) = s * akp + c * akq;
        }
        for (int k = 0; k < n; ++k) {  // rows p and q
          const double apk = at(p, k), aqk = at(q, k);
          at(p, k) = c * apk - s * aqk;
          at(q, k) = s * apk + c * aqk;
        }
        for (int k = 0; k < n; ++k) {
          const double vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  w.resize(n);
  for (int i = 0; i < n; ++i) w[i] = at(i, i);
}

CMAES::CMAES(const std::vector<double>& x0, const CMAESOptions& o)
    : n_(static_cast<int>(x0.size())), separable_(o.separable), mean_(x0), sigma_(o.sigma), rng_(o.seed) {
  if (n_ < 1) throw std::invalid_argument("cmaes: the dimension must be at least 1");
  if (!(o.sigma > 0)) throw std::invalid_argument("cmaes: sigma must be positive");
  const double n = n_;
  lambda_ = o.popsize > 0 ? o.popsize : 4 + static_cast<int>(std::floor(3.0 * std::log(n)));
  if (lambda_ < 2) throw std::invalid_argument("cmaes: the population must be at least 2");
  mu_ = lambda_ / 2;
  weights_.resize(mu_);
  for (int i = 0; i < mu_; ++i) weights_[i] = std::log((lambda_ + 1) / 2.0) - std::log(i + 1.0);
  const double sum = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  double sum_sq = 0;
  for (auto& w : weights_) {
    w /= sum;
    sum_sq += w * w;
  }
  mu_eff_ = 1.0 / sum_sq;
  c_sigma_ = (mu_eff_ + 2) / (n + mu_eff_ + 5);
  d_sigma_ = 1 + 2 * std::max(0.0, std::sqrt((mu_eff_ - 1) / (n + 1)) - 1) + c_sigma_;
  c_c_ = (4 + mu_eff_ / n) / (n + 4 + 2 * mu_eff_ / n);
  c1_ = 2 / ((n + 1.3) * (n + 1.3) + mu_eff_);
  c_mu_ = std::min(1 - c1_, 2 * (mu_eff_ - 2 + 1 / mu_eff_) / ((n + 2) * (n + 2) + mu_eff_));
  if (separable_) {
    // sep-CMA-ES: a diagonal has n, not n^2 / 2, entries to learn, so it can learn (n + 2) / 3 times faster.
    c1_ = std::min(1.0, c1_ * (n + 2) / 3);
    c_mu_ = std::min(1 - c1_, c_mu_ * (n + 2) / 3);
  }
  chi_n_ = std::sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
  p_sigma_.assign(n_, 0.0);
  p_c_.assign(n_, 0.0);
  D_.assign(n_, 1.0);
  if (separable_) {
    C_.assign(n_, 1.0);
  } else {
    C_.assign(static_cast<size_t>(n_) * n_, 0.0);
    B_.assign(static_cast<size_t>(n_) * n_, 0.0);
    for (int i = 0; i < n_; ++i) C_[i * n_ + i] = B_[i * n_ + i] = 1.0;
  }
  best_f_ = std::numeric_limits<double>::infinity();
  best_x_ = mean_;
}

double CMAES::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  // Box-Muller on two uniforms in (0, 1]: the same numbers on every standard library.
  constexpr double kScale = 1.0 / 9007199254740992.0;  // 2^-53
  const double u1 = (static_cast<double>(rng_() >> 11) + 1.0) * kScale;
  const double u2 = static_cast<double>(rng_() >> 11) * kScale;
  const double r = std::sqrt(-2.0 * std::log(u1));
  spare_ = r * std::sin(kTwoPi * u2);
  has_spare_ = true;
  return r * std::cos(kTwoPi * u2);
}

const std::vector<std::vector<double>>& CMAES::ask() {
  if (asked_) return population_;
  population_.assign(lambda_, std::vector<double>(n_));
  steps_.assign(lambda_, std::vector<double>(n_));
  std::vector<double> z(n_), dz(n_);
  for (int k = 0; k < lambda_; ++k) {
    for (auto& v : z) v = normal();
    auto& y = steps_[k];
    if (separable_) {
      for (int i = 0; i < n_; ++i) y[i] = D_[i] * z[i];
    } else {
      for (int i = 0; i < n_; ++i) dz[i] = D_[i] * z[i];
      for (int i = 0; i < n_; ++i) {
        double s = 0;
        for (int j = 0; j < n_; ++j) s += B_[i * n_ + j] * dz[j];
        y[i] = s;
      }
    }
    for (int i = 0; i < n_; ++i) population_[k][i] = mean_[i] + sigma_ * y[i];
  }
  asked_ = true;
  return population_;
}

void CMAES::tell(const std::vector<double>& values) {
  if (!asked_) throw std::invalid_argument("cmaes: tell() before ask()");
  if (static_cast<int>(values.size()) != lambda_)
    throw std::invalid_argument("cmaes: tell() got " + std::to_string(values.size()) + " values for a population of " +
                                std::to_string(lambda_));
  auto rank_value = [&](int k) {
    return std::isfinite(values[k]) ? values[k] : std::numeric_limits<double>::infinity();
  };
  std::vector<int> order(lambda_);
  std::iota(order.begin(), order.end(), 0);
  // Stable: ties keep the sampling order, so the search is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return rank_value(a) < rank_value(b); });
  if (rank_value(order[0]) < best_f_) {
    best_f_ = rank_value(order[0]);
    best_x_ = population_[order[0]];
  }

  // Mean: m += sigma * y_w.
  std::vector<double> y_w(n_, 0.0);
  for (int i = 0; i < mu_; ++i)
    for (int j = 0; j < n_; ++j) y_w[j] += weights_[i] * steps_[order[i]][j];
  for (int j = 0; j < n_; ++j) mean_[j] += sigma_ * y_w[j];

  // Step-size path: p_sigma uses C^{-1/2} y_w = B D^{-1} B^T y_w.
  std::vector<double> c_inv_half_y(n_);
  if (separable_) {
    for (int j = 0; j < n_; ++j) c_inv_half_y[j] = y_w[j] / D_[j];
  } else {
    std::vector<double> t(n_);
    for (int i = 0; i < n_; ++i) {
      double s = 0;
      for (int j = 0; j < n_; ++j) s += B_[j * n_ + i] * y_w[j];
      t[i] = s / D_[i];
    }
    for (int i = 0; i < n_; ++i) {
      double s = 0;
      for (int j = 0; j < n_; ++j) s += B_[i * n_ + j] * t[j];
      c_inv_half_y[i] = s;
    }
  }
  const double ps_scale = std::sqrt(c_sigma_ * (2 - c_sigma_) * mu_eff_);
  double ps_norm_sq = 0;
  for (int j = 0; j < n_; ++j) {
    p_sigma_[j] = (1 - c_sigma_) * p_sigma_[j] + ps_scale * c_inv_half_y[j];
    ps_norm_sq += p_sigma_[j] * p_sigma_[j];
  }
  const double ps_norm = std::sqrt(ps_norm_sq);
  ++generation_;
  // h_sigma stalls the rank-one path while the step size is still growing fast (the tutorial's (45)).
  const double correction = std::sqrt(1 - std::pow(1 - c_sigma_, 2.0 * generation_));
  const bool h_sigma = ps_norm / correction < (1.4 + 2.0 / (n_ + 1)) * chi_n_;
  const double pc_scale = h_sigma ? std::sqrt(c_c_ * (2 - c_c_) * mu_eff_) : 0.0;
  for (int j = 0; j < n_; ++j) p_c_[j] = (1 - c_c_) * p_c_[j] + pc_scale * y_w[j];

  // Covariance: decay, rank-one (p_c p_c^T) and rank-mu (sum w_i y_i y_i^T) updates.
  const double delta_h = h_sigma ? 0.0 : c_c_ * (2 - c_c_);
  const double decay = 1 - c1_ - c_mu_ + c1_ * delta_h;  // the weights sum to 1
  if (separable_) {
    for (int j = 0; j < n_; ++j) {
      double rank_mu = 0;
      for (int i = 0; i < mu_; ++i) rank_mu += weights_[i] * steps_[order[i]][j] * steps_[order[i]][j];
      C_[j] = decay * C_[j] + c1_ * p_c_[j] * p_c_[j] + c_mu_ * rank_mu;
      D_[j] = std::sqrt(std::max(C_[j], 1e-300));
    }
  } else {
    for (int r = 0; r < n_; ++r)
      for (int c = 0; c <= r; ++c) {
        double rank_mu = 0;
        for (int i = 0; i < mu_; ++i) rank_mu += weights_[i] * steps_[order[i]][r] * steps_[order[i]][c];
        const double v = decay * C_[r * n_ + c] + c1_ * p_c_[r] * p_c_[c] + c_mu_ * rank_mu;
        C_[r * n_ + c] = C_[c * n_ + r] = v;
      }
    updates_since_decompose_ += 1;
    // Lazy decomposition: every lambda / ((c1 + c_mu) n 10) generations, as the tutorial suggests.
    if (updates_since_decompose_ >= lambda_ / ((c1_ + c_mu_) * n_ * 10.0)) decompose();
  }

  sigma_ *= std::exp((c_sigma_ / d_sigma_) * (ps_norm / chi_n_ - 1));
  asked_ = false;
}

void CMAES::decompose() {
  updates_since_decompose_ = 0;
  std::vector<double> eigenvalues;
  symmetric_eigen(C_, n_, eigenvalues, B_);
  for (int i = 0; i < n_; ++i) D_[i] = std::sqrt(std::max(eigenvalues[i], 1e-300));
}

}  // namespace dl::agents
