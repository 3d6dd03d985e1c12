// drivelab/app: SWEEP/sweep.db, the state of a sweep in SQLite.
//
// Tables:
//   meta(key, value)          the sweep's name, metric, goal, seed, next configuration index
//   trials(id, config_id, params, seed, status, metric, run_dir, log_path, device, worker, error,
//          attempts, started, ended)
//                             one row per (configuration, seed); status pending|running|done|failed|pruned;
//                             run_dir and log_path relative to the sweep folder, params a JSON object
//   metrics(trial_id, step, value)   the sweep metric's intermediate values (for early stopping, plots)
//
// Every change is one transaction, and a worker claims a pending trial with BEGIN IMMEDIATE, so several
// processes (on one machine, or on several machines sharing a filesystem whose locks work) can take trials
// from one sweep without running a trial twice.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/sweep/sweep.h"

struct sqlite3;

namespace dl::app {

struct TrialRecord {
  int64_t id = 0;
  int64_t config_id = 0;
  std::string params;  // JSON
  uint64_t seed = 0;
  std::string status;
  std::optional<double> metric;
  std::string run_dir, log_path;  // relative to the sweep folder
  std::string device, worker, error;
  int attempts = 0;
  std::string started, ended;  // UTC, ISO 8601
};

class SweepStore {
 public:
  // Opens (creating if needed) the database at `path`.
  explicit SweepStore(const std::string& path);
  ~SweepStore();
  SweepStore(const SweepStore&) = delete;
  SweepStore& operator=(const SweepStore&) = delete;

  void set_meta(const std::string& key, const std::string& value);
  std::string meta(const std::string& key, const std::string& fallback = "") const;

  // Adds one configuration with `seeds` trials (seed = base_seed + k); returns the configuration id, or -1
  // when the sweep already has `max_configs` configurations (checked in the same transaction, so workers
  // proposing at once do not overshoot).
  int64_t add_configuration(const Assignment& a, uint64_t base_seed, int seeds, int64_t max_configs = -1);
  int64_t configuration_count() const;

  // Takes the lowest pending trial (or trial `only_id` if it is pending), marks it running for `worker`,
  // and returns it; nullopt when there is none.
  std::optional<TrialRecord> claim(const std::string& worker, std::optional<int64_t> only_id = std::nullopt);
  void set_device(int64_t id, const std::string& device);
  // Ends a trial: done|failed|pruned, with the final metric (if any) and an error text (if any).
  void finish(int64_t id, const std::string& status, std::optional<double> metric, const std::string& error);
  // Running trials go back to pending (a resumed sweep reruns what was cut off); returns how many.
  int requeue_running();
  // Puts one trial back to pending whatever its state (drivelab sweep --run-trial reruns it).
  void requeue(int64_t id);

  void record_curve(int64_t id, const Curve& curve);
  Curve curve(int64_t id) const;

  std::vector<TrialRecord> trials() const;
  std::optional<TrialRecord> trial(int64_t id) const;
  int count(const std::string& status) const;

 private:
  void exec(const std::string& sql);
  sqlite3* db_ = nullptr;
  std::string path_;
};

std::string utc_now_iso();

}  // namespace dl::app
