// Helpers shared by the agents tests: a metrics sink that keeps every scalar, a temporary folder and the
// learning tests' small CPU run.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "agents/trainer.h"
#include "tests/temp_folder.h"

namespace dl::testing {

// Keeps every scalar, in order, so runs can be compared exactly.
struct RecordingSink : agents::MetricsSink {
  struct Row {
    int64_t step;
    std::string name;
    double value;
  };
  std::vector<Row> rows;
  int updates = 0;
  int64_t last_step = 0;
  void scalar(int64_t step, const std::string& name, double value) override {
    rows.push_back({step, name, value});
  }
  void end_update(int64_t step, int64_t) override {
    ++updates;
    last_step = step;
  }
  // The values logged under `name`, in order (empty when never logged).
  std::vector<double> values(const std::string& name) const {
    std::vector<double> v;
    for (const auto& r : rows)
      if (r.name == name) v.push_back(r.value);
    return v;
  }
  bool has(const std::string& name) const {
    for (const auto& r : rows)
      if (r.name == name) return true;
    return false;
  }
};

// The learning tests' small CPU run: 8 envs stepped on one thread, one torch thread, seed 1, no evaluation
// during training and `eval_episodes` at the end (final_eval_return).
inline void small_cpu_run(agents::TrainConfig& train, int64_t total_steps, int eval_episodes) {
  train.total_steps = total_steps;
  train.num_envs = 8;
  train.num_threads = 1;
  train.torch_threads = 1;
  train.seed = 1;
  train.device = "cpu";
  train.eval_every_steps = 0;
  train.eval_episodes = eval_episodes;
}

}  // namespace dl::testing
