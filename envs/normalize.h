// drivelab/envs: observation and reward normalization at the vector level (after SB3's VecNormalize).
//
// The trainer owns these and applies them to the vector env's arrays; envs stay unnormalized so the
// conformance checks and evaluation see raw values. Every state is a plain vector<double>, so agents can
// store it in checkpoints without knowing the layout. Statistics are in double precision: float sums drift
// after millions of steps.
#pragma once
#include <cstdint>
#include <vector>

namespace dl::envs {

// Per-dimension running mean and (population) variance, merged batch by batch with Chan et al.'s parallel
// formula, so updating with one batch of n equals n single updates.
class RunningMeanStd {
 public:
  explicit RunningMeanStd(int dim = 1);
  // batch: n rows of dim() floats.
  void update(const float* batch, int n);
  void update(const double* batch, int n);
  int dim() const { return static_cast<int>(mean_.size()); }
  double count() const { return count_; }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& var() const { return var_; }
  // [count, mean..., var...]
  std::vector<double> state() const;
  void load_state(const std::vector<double>& state);  // throws std::invalid_argument on a size mismatch

 private:
  void merge(const std::vector<double>& batch_mean, const std::vector<double>& batch_var, double n);
  std::vector<double> mean_, var_;
  double count_ = 0;
};

// Normalizes observations to (x - mean) / sqrt(var + epsilon), clipped to [-clip, clip].
class ObsNormalizer {
 public:
  explicit ObsNormalizer(int dim = 1, float clip = 10.0f, double epsilon = 1e-8);
  // batch: n observations of dim floats. Call during training only; evaluation just normalizes.
  void update(const float* batch, int n);
  void normalize(float* inout, int n) const;
  int dim() const { return rms_.dim(); }
  const RunningMeanStd& stats() const { return rms_; }
  std::vector<double> state() const;
  void load_state(const std::vector<double>& state);

 private:
  RunningMeanStd rms_;
  float clip_;
  double epsilon_;
};

// Scales rewards by the running standard deviation of each env's discounted return (not the reward's),
// as VecNormalize does: returns_i = gamma * returns_i + r_i, then r_i / sqrt(var(returns) + epsilon),
// clipped to [-clip, clip]. returns_i restarts at 0 after env i's episode ends.
class RewardScaler {
 public:
  explicit RewardScaler(int num_envs = 1, double gamma = 0.99, float clip = 10.0f, double epsilon = 1e-8);
  // rewards: [num_envs], scaled in place; done: [num_envs], nonzero where the episode ended this step.
  // update = false (evaluation) scales with the current statistics and leaves them unchanged.
  void scale(float* rewards, const uint8_t* done, bool update = true);
  double scale_factor() const;  // 1 / sqrt(var + epsilon)
  int num_envs() const { return static_cast<int>(returns_.size()); }
  // [rms state..., returns...]
  std::vector<double> state() const;
  void load_state(const std::vector<double>& state);

 private:
  RunningMeanStd rms_;
  std::vector<double> returns_;
  double gamma_;
  float clip_;
  double epsilon_;
};

}  // namespace dl::envs
