#include "app/train/metrics.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/files.h"
#include "app/train/tensorboard.h"

namespace dl::app {
namespace {
constexpr double kFlushEvery_s = 5.0;
constexpr double kPlainLineEvery_s = 10.0;  // progress when stdout is not a terminal

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  char buf[32];
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  return buf;
}
}  // namespace

std::vector<MetricRow> read_metrics_csv(const std::string& path) {
  std::vector<MetricRow> rows;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    MetricRow row;
    std::string step, wall, value;
    if (!std::getline(ss, step, ',') || !std::getline(ss, wall, ',') || !std::getline(ss, row.name, ',') ||
        !std::getline(ss, value))
      continue;  // not a row (a hand-edited or damaged line): skipped, as the plots would skip it
    try {
      row.step = std::stoll(step);
      row.wall_s = std::stod(wall);
      row.value = std::stod(value);
    } catch (const std::logic_error&) {
      continue;
    }
    rows.push_back(row);
  }
  return rows;
}

CsvMetrics::CsvMetrics(std::string path, bool progress, int64_t keep_through_step)
    : path_(std::move(path)), progress_(progress), tty_(::isatty(1)) {
  start_ = last_flush_ = last_print_ = std::chrono::steady_clock::now();
  if (keep_through_step >= 0 && std::filesystem::exists(path_)) {
    for (auto& row : read_metrics_csv(path_))
      if (row.step <= keep_through_step) rows_.push_back(std::move(row));
    if (!rows_.empty()) wall_offset_s_ = rows_.back().wall_s;
  }
  flush();  // the file matches the record from the start (a resumed run killed at once loses nothing)
}

void CsvMetrics::scalar(int64_t step, const std::string& name, double value) {
  const double wall = wall_offset_s_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  rows_.push_back({step, wall, name, value});
  last_[name] = value;
  if (tensorboard_) tensorboard_->scalar(step, name, value);
}

double CsvMetrics::last(const std::string& name) const {
  auto it = last_.find(name);
  return it == last_.end() ? std::nan("") : it->second;
}

void CsvMetrics::flush() {
  std::string text = "step,wall_s,name,value\n";
  char buf[96];
  for (const auto& r : rows_) {
    std::snprintf(buf, sizeof buf, "%lld,%.3f,", static_cast<long long>(r.step), r.wall_s);
    text += buf;
    text += r.name;
    std::snprintf(buf, sizeof buf, ",%.9g\n", r.value);
    text += buf;
  }
  io::write_file_atomic(path_, text);
  if (tensorboard_) tensorboard_->flush();
  last_flush_ = std::chrono::steady_clock::now();
}

void CsvMetrics::end_update(int64_t step, int64_t total_steps) {
  const auto now = std::chrono::steady_clock::now();
  if (start_step_ < 0) start_step_ = step;
  if (std::chrono::duration<double>(now - last_flush_).count() >= kFlushEvery_s || step >= total_steps) flush();
  if (progress_) progress_line(step, total_steps, step >= total_steps);
}

void CsvMetrics::progress_line(int64_t step, int64_t total_steps, bool final_line) {
  const auto now = std::chrono::steady_clock::now();
  const double since_print = std::chrono::duration<double>(now - last_print_).count();
  if (!tty_ && !final_line && since_print < kPlainLineEvery_s) return;
  if (tty_ && !final_line && since_print < 0.2) return;
  last_print_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double sps = elapsed > 0 ? (step - start_step_) / elapsed : 0;
  const double eta = sps > 0 ? (total_steps - step) / sps : NAN;
  const double ret = last("charts/episodic_return");
  const double eval = last("eval/return_mean");
  char line[256];
  std::snprintf(line, sizeof line, "step %lld/%lld (%4.1f%%)  %6.0f steps/s  return %7.1f  eval %7.1f  ETA %s",
                static_cast<long long>(step), static_cast<long long>(total_steps),
                100.0 * step / std::max<int64_t>(1, total_steps), sps, ret, eval, format_duration(eta).c_str());
  if (tty_) std::printf("\r%-100s%s", line, final_line ? "\n" : "");
  else std::printf("%s\n", line);
  std::fflush(stdout);
}

}  // namespace dl::app
