// drivelab/app: pictures of runs (PLplot, cairo PNG driver).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "app/train/metrics.h"

namespace dl::app {

struct Series {
  std::string label;
  std::vector<double> x, y;
  bool points = false;  // markers instead of a line
};

// A line chart written atomically to png_path. Throws std::runtime_error if nothing can be drawn.
void plot_series(const std::vector<Series>& series, const std::string& title, const std::string& x_label,
                 const std::string& y_label, const std::string& png_path);

// Series of the metrics matching `patterns` ("name", or "prefix*"), one per metric, labelled
// "<label_prefix> <name>" (app/train/cmd_plot.cpp).
std::vector<Series> metric_series(const std::vector<MetricRow>& rows, const std::vector<std::string>& patterns,
                                  const std::string& label_prefix);
// The share of routing slots of each actor expert (moe/actor_expert_<i>) over a run; nothing when the
// run has no such metrics.
void plot_expert_use(const std::vector<MetricRow>& rows, const std::string& title, const std::string& png_path);

// The learning curve of a run: episodic return (raw and smoothed) and evaluation returns against steps.
void plot_learning_curve(const std::vector<MetricRow>& rows, const std::string& title, const std::string& png_path);

}  // namespace dl::app
