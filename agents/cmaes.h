// drivelab/agents: CMA-ES, the covariance matrix adaptation evolution strategy (Hansen & Ostermeier 2001;
// the constants and update order of Hansen's tutorial "The CMA Evolution Strategy", 2016), minimizing.
//
//   ask()  -> popsize candidates x_k = m + sigma * B D z_k,  z_k ~ N(0, I)
//   tell(f) with the candidates' values (lower is better):
//     m      <- the weighted mean of the best mu = popsize/2 (log-linear weights)
//     p_sigma, sigma: cumulative step-size adaptation
//     p_c, C: the rank-one update (evolution path) plus the rank-mu update (the best steps' spread)
//
// Full covariance keeps C = B D^2 B^T, re-decomposed (Jacobi eigenvalues) once the updates since the last
// decomposition add up to a tenth of the dimension's worth of learning (the tutorial's lazy rule), which
// keeps the O(n^3) work rare. `separable` keeps only the diagonal (sep-CMA-ES, Ros & Hansen 2008, with its
// faster learning rates): O(n) per candidate, for controllers with thousands of weights.
//
// Deterministic: the normal draws come from a seeded std::mt19937_64 through our own Box-Muller, so the
// same seed gives the same search on every standard library. No torch here.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

namespace dl::agents {

struct CMAESOptions {
  int popsize = 0;         // 0 = 4 + floor(3 ln n), the tutorial's default
  double sigma = 0.5;      // initial step size
  uint64_t seed = 1;
  bool separable = false;  // diagonal covariance
};

class CMAES {
 public:
  // x0: the initial mean (its size is the dimension, at least 1).
  CMAES(const std::vector<double>& x0, const CMAESOptions& options);

  // The next population, popsize vectors (the same ones until tell()).
  const std::vector<std::vector<double>>& ask();
  // values[k] belongs to ask()[k]; lower is better. Throws std::invalid_argument on a size mismatch, or
  // when called before ask(). Non-finite values rank last.
  void tell(const std::vector<double>& values);

  int dimension() const { return n_; }
  int popsize() const { return lambda_; }
  int generation() const { return generation_; }
  double sigma() const { return sigma_; }
  const std::vector<double>& mean() const { return mean_; }
  // The best candidate told so far and its value.
  const std::vector<double>& best() const { return best_x_; }
  double best_value() const { return best_f_; }

 private:
  double normal();
  void decompose();  // C -> B, D (full covariance)

  int n_, lambda_, mu_;
  bool separable_;
  std::vector<double> weights_;
  double mu_eff_, c_sigma_, d_sigma_, c_c_, c1_, c_mu_, chi_n_;
  std::vector<double> mean_, p_sigma_, p_c_;
  double sigma_;
  std::vector<double> C_, B_, D_;  // full: n x n row-major C and B, D = sqrt(eigenvalues); separable: C_ = diagonal
  double updates_since_decompose_ = 0;
  std::vector<std::vector<double>> population_, steps_;  // x_k and y_k = (x_k - m) / sigma
  bool asked_ = false;
  int generation_ = 0;
  std::vector<double> best_x_;
  double best_f_;
  std::mt19937_64 rng_;
  bool has_spare_ = false;
  double spare_ = 0;
};

// Eigen-decomposition of a symmetric n x n row-major matrix by cyclic Jacobi rotations: a = V diag(w) V^T,
// eigenvectors in V's columns. Exposed for the tests.
void symmetric_eigen(std::vector<double> a, int n, std::vector<double>& eigenvalues,
                     std::vector<double>& eigenvectors);

}  // namespace dl::agents
