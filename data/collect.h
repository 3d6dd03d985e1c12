// drivelab/data: recording episodes into a dataset, with mixed-quality options so offline methods see
// realistic data: Gaussian noise on the main policy's actions, a fraction of uniformly random episodes,
// and a fraction of "weak expert" episodes (a short-sighted, over-eager driver with extra noise).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "data/dataset.h"
#include "envs/env_config.h"
#include "envs/env.h"
#include "envs/expert.h"
#include "sim/rng.h"

namespace dl::data {

// Anything that drives during collection. Learned policies read the observation; the expert reads the
// world (null for envs without one).
class CollectPolicy {
 public:
  virtual ~CollectPolicy() = default;
  virtual std::string name() const = 0;
  virtual void begin_episode(uint64_t seed) {}
  // Writes action_spec.dim() floats: continuous values, or the discrete index as a float.
  virtual void act(const void* obs, const sim::World* world, float* action) = 0;
  // The reward of the step that followed act() (a return-conditioned policy counts it down).
  virtual void observe_reward(float reward) {}
};

class ExpertPolicy : public CollectPolicy {
 public:
  ExpertPolicy(const envs::ActionSpec& spec, const envs::ExpertOptions& params, std::string name = "expert");
  std::string name() const override { return name_; }
  void begin_episode(uint64_t seed) override;
  void act(const void* obs, const sim::World* world, float* action) override;

 private:
  envs::ActionSpec spec_;
  envs::ExpertOptions params_;
  std::string name_;
  std::unique_ptr<envs::ExpertDriver> driver_;
};

class RandomPolicy : public CollectPolicy {
 public:
  explicit RandomPolicy(const envs::ActionSpec& spec);
  std::string name() const override { return "random"; }
  void begin_episode(uint64_t seed) override { rng_.reseed(seed ^ 0x5EEDull); }
  void act(const void* obs, const sim::World* world, float* action) override;

 private:
  envs::ActionSpec spec_;
  sim::Rng rng_;
};

// The discrete action (CarRacing's 5) closest in intent to a continuous one: brake first, then steering,
// then gas. The expert drives discrete envs through it.
int nearest_discrete_action(float steer, float gas, float brake);

struct CollectOptions {
  int episodes = 10;
  uint64_t seed = 1;             // episode i resets with seed + i; the mix is drawn from it too
  float noise = 0;               // std of Gaussian noise on the main policy's continuous actions
  float random_fraction = 0;     // episodes driven by RandomPolicy
  float weak_fraction = 0;       // episodes driven by the weak expert
  float weak_noise = 0.3f;       // std of the noise on weak-expert actions
  std::string notes;             // stored in the dataset header (the command line, the env config)
};

struct CollectReport {
  int64_t episodes = 0, steps = 0, laps = 0, crashed = 0;
  double return_mean = 0;
  int64_t main_episodes = 0, weak_episodes = 0, random_episodes = 0;
  double main_return_mean = 0;
};

// Records options.episodes episodes of make_env(env_config) into a new dataset at out_path (atomically).
// `progress` (may be empty) is called after each episode with (done, total, return).
CollectReport collect(const envs::EnvConfig& env_config, CollectPolicy& policy, const CollectOptions& options,
                      const std::string& out_path,
                      const std::function<void(int, int, double)>& progress = {});

}  // namespace dl::data
