// drivelab/app: the sweep database (SQLite C API, a statement wrapper of our own).
#include "app/sweep/sweep_store.h"

#include <sqlite3.h>

#include <cmath>
#include <ctime>
#include <stdexcept>

namespace dl::app {
namespace {

// Other workers may hold the write lock for a moment; wait for it rather than fail.
constexpr int kBusyTimeout_ms = 30000;

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
      throw std::runtime_error("sweep.db: " + std::string(sqlite3_errmsg(db)) + " in: " + sql);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement& bind(int i, int64_t v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
  Statement& bind(int i, const std::string& v) {
    return check(sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  Statement& bind(int i, std::optional<double> v) {
    return check(v && std::isfinite(*v) ? sqlite3_bind_double(stmt_, i, *v) : sqlite3_bind_null(stmt_, i));
  }
  // true while there is a row.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error("sweep.db: " + std::string(sqlite3_errmsg(db_)));
  }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  bool null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? reinterpret_cast<const char*>(p) : "";
  }

 private:
  Statement& check(int rc) {
    if (rc != SQLITE_OK) throw std::runtime_error("sweep.db: " + std::string(sqlite3_errmsg(db_)));
    return *this;
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

constexpr const char* kTrialColumns =
    "id, config_id, params, seed, status, metric, run_dir, log_path, device, worker, error, attempts, started, ended";

TrialRecord read_trial(const Statement& s) {
  TrialRecord t;
  t.id = s.integer(0);
  t.config_id = s.integer(1);
  t.params = s.text(2);
  t.seed = static_cast<uint64_t>(s.integer(3));
  t.status = s.text(4);
  if (!s.null(5)) t.metric = s.real(5);
  t.run_dir = s.text(6);
  t.log_path = s.text(7);
  t.device = s.text(8);
  t.worker = s.text(9);
  t.error = s.text(10);
  t.attempts = static_cast<int>(s.integer(11));
  t.started = s.text(12);
  t.ended = s.text(13);
  return t;
}

std::string trial_folder(int64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "trials/%03lld", static_cast<long long>(id));
  return buf;
}

}  // namespace

std::string utc_now_iso() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

SweepStore::SweepStore(const std::string& path) : path_(path) {
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error(path + ": cannot open the sweep database: " + msg);
  }
  sqlite3_busy_timeout(db_, kBusyTimeout_ms);
  exec(
      "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS trials("
      "  id INTEGER PRIMARY KEY, config_id INTEGER NOT NULL, params TEXT NOT NULL, seed INTEGER NOT NULL,"
      "  status TEXT NOT NULL CHECK(status IN ('pending','running','done','failed','pruned')),"
      "  metric REAL, run_dir TEXT NOT NULL, log_path TEXT NOT NULL, device TEXT NOT NULL DEFAULT '',"
      "  worker TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0,"
      "  started TEXT NOT NULL DEFAULT '', ended TEXT NOT NULL DEFAULT '');"
      "CREATE TABLE IF NOT EXISTS metrics(trial_id INTEGER NOT NULL, step INTEGER NOT NULL, value REAL NOT NULL,"
      "  PRIMARY KEY(trial_id, step));");
}

SweepStore::~SweepStore() { sqlite3_close(db_); }

void SweepStore::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error(path_ + ": " + msg);
  }
}

void SweepStore::set_meta(const std::string& key, const std::string& value) {
  Statement(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)").bind(1, key).bind(2, value).step();
}

std::string SweepStore::meta(const std::string& key, const std::string& fallback) const {
  Statement s(db_, "SELECT value FROM meta WHERE key = ?");
  s.bind(1, key);
  return s.step() ? s.text(0) : fallback;
}

int64_t SweepStore::add_configuration(const Assignment& a, uint64_t base_seed, int seeds, int64_t max_configs) {
  exec("BEGIN IMMEDIATE");
  try {
    Statement next(db_, "SELECT COALESCE(MAX(config_id), -1) + 1, COALESCE(MAX(id), 0) FROM trials");
    next.step();
    const int64_t config_id = next.integer(0);
    if (max_configs >= 0 && config_id >= max_configs) {
      exec("ROLLBACK");
      return -1;
    }
    int64_t id = next.integer(1);
    const std::string params = assignment_json(a);
    for (int k = 0; k < seeds; ++k) {
      ++id;
      const std::string dir = trial_folder(id);
      Statement(db_,
                "INSERT INTO trials(id, config_id, params, seed, status, run_dir, log_path) "
                "VALUES(?, ?, ?, ?, 'pending', ?, ?)")
          .bind(1, id)
          .bind(2, config_id)
          .bind(3, params)
          .bind(4, static_cast<int64_t>(base_seed + k))
          .bind(5, dir)
          .bind(6, dir + "/log.txt")
          .step();
    }
    exec("COMMIT");
    return config_id;
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

int64_t SweepStore::configuration_count() const {
  Statement s(db_, "SELECT COUNT(DISTINCT config_id) FROM trials");
  s.step();
  return s.integer(0);
}

std::optional<TrialRecord> SweepStore::claim(const std::string& worker, std::optional<int64_t> only_id) {
  exec("BEGIN IMMEDIATE");
  try {
    Statement pick(db_, std::string("SELECT ") + kTrialColumns + " FROM trials WHERE status = 'pending'" +
                            (only_id ? " AND id = ?" : "") + " ORDER BY id LIMIT 1");
    if (only_id) pick.bind(1, *only_id);
    std::optional<TrialRecord> t;
    if (pick.step()) {
      t = read_trial(pick);
      t->status = "running";
      t->worker = worker;
      t->started = utc_now_iso();
      t->attempts += 1;
      Statement(db_,
                "UPDATE trials SET status = 'running', worker = ?, started = ?, ended = '', error = '', "
                "metric = NULL, attempts = attempts + 1 WHERE id = ?")
          .bind(1, worker)
          .bind(2, t->started)
          .bind(3, t->id)
          .step();
      Statement(db_, "DELETE FROM metrics WHERE trial_id = ?").bind(1, t->id).step();
    }
    exec("COMMIT");
    return t;
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

void SweepStore::set_device(int64_t id, const std::string& device) {
  Statement(db_, "UPDATE trials SET device = ? WHERE id = ?").bind(1, device).bind(2, id).step();
}

void SweepStore::finish(int64_t id, const std::string& status, std::optional<double> metric, const std::string& error) {
  Statement(db_, "UPDATE trials SET status = ?, metric = ?, error = ?, ended = ? WHERE id = ?")
      .bind(1, status)
      .bind(2, metric)
      .bind(3, error)
      .bind(4, utc_now_iso())
      .bind(5, id)
      .step();
}

int SweepStore::requeue_running() {
  Statement(db_, "UPDATE trials SET status = 'pending' WHERE status = 'running'").step();
  return sqlite3_changes(db_);
}

void SweepStore::requeue(int64_t id) {
  Statement(db_, "UPDATE trials SET status = 'pending' WHERE id = ?").bind(1, id).step();
}

void SweepStore::record_curve(int64_t id, const Curve& curve) {
  exec("BEGIN IMMEDIATE");
  try {
    for (const auto& [step, value] : curve) {
      if (!std::isfinite(value)) continue;
      Statement(db_, "INSERT OR REPLACE INTO metrics(trial_id, step, value) VALUES(?, ?, ?)")
          .bind(1, id)
          .bind(2, step)
          .bind(3, value)
          .step();
    }
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

Curve SweepStore::curve(int64_t id) const {
  Statement s(db_, "SELECT step, value FROM metrics WHERE trial_id = ? ORDER BY step");
  s.bind(1, id);
  Curve c;
  while (s.step()) c.emplace_back(s.integer(0), s.real(1));
  return c;
}

std::vector<TrialRecord> SweepStore::trials() const {
  Statement s(db_, std::string("SELECT ") + kTrialColumns + " FROM trials ORDER BY id");
  std::vector<TrialRecord> out;
  while (s.step()) out.push_back(read_trial(s));
  return out;
}

std::optional<TrialRecord> SweepStore::trial(int64_t id) const {
  Statement s(db_, std::string("SELECT ") + kTrialColumns + " FROM trials WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_trial(s);
}

int SweepStore::count(const std::string& status) const {
  Statement s(db_, "SELECT COUNT(*) FROM trials WHERE status = ?");
  s.bind(1, status);
  s.step();
  return static_cast<int>(s.integer(0));
}

}  // namespace dl::app
