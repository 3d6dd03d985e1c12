// drivelab/app: metrics.csv and the progress line.
//
// metrics.csv is in long form, one scalar a row: `step,wall_s,name,value`. Metric names are flat and
// stable (charts/episodic_return, charts/SPS, losses/policy, ...), and a new metric never changes the
// columns. The file is rewritten atomically (at most every few seconds, before every latest.pt checkpoint and
// at the end), so a reader never sees half a row, and a run killed at any point holds every row up to its
// latest checkpoint: --resume keeps exactly those and the resumed run appends from there, so steps never go
// backwards and no row is repeated.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agents/trainer.h"

namespace dl::app {

class TensorBoardWriter;

struct MetricRow {
  int64_t step;
  double wall_s;
  std::string name;
  double value;
};

class CsvMetrics : public agents::MetricsSink {
 public:
  // keep_through_step >= 0 (on --resume): the rows of the existing metrics.csv up to that step (the
  // checkpoint's) are kept and later ones dropped, since the resumed run logs them again. -1: a new file.
  explicit CsvMetrics(std::string path, bool progress = true, int64_t keep_through_step = -1);
  void scalar(int64_t step, const std::string& name, double value) override;
  void end_update(int64_t step, int64_t total_steps) override;
  void before_checkpoint(int64_t step) override { flush(); }
  void flush();
  // Every scalar is also written to `tensorboard` (app/train/tensorboard.h), flushed with the CSV; null = none.
  void mirror_to(TensorBoardWriter* tensorboard) { tensorboard_ = tensorboard; }
  const std::vector<MetricRow>& rows() const { return rows_; }
  // Last value of a metric, or NaN.
  double last(const std::string& name) const;

 private:
  void progress_line(int64_t step, int64_t total_steps, bool final_line);
  std::string path_;
  bool progress_;
  bool tty_;
  std::vector<MetricRow> rows_;
  std::map<std::string, double> last_;
  std::chrono::steady_clock::time_point start_, last_flush_, last_print_;
  double wall_offset_s_ = 0;  // wall time of the resumed run
  int64_t start_step_ = -1;
  TensorBoardWriter* tensorboard_ = nullptr;
};

std::vector<MetricRow> read_metrics_csv(const std::string& path);

}  // namespace dl::app
