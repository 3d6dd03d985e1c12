// Helpers shared by the agents tests: a metrics sink that keeps every scalar, and a temporary folder.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
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

}  // namespace dl::testing
