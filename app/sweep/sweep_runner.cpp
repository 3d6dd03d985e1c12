// drivelab/app: the sweep scheduler: trial processes, polling, early stopping.
//
// One loop, no threads: start trials (fork + exec) while there are free slots and pending trials, reap
// the finished ones (waitpid WNOHANG, every 0.1 s), and every poll_s read the running ones' metrics.csv
// and ask the early-stopping rule about them. A pruned trial gets SIGTERM and is recorded as pruned when it has
// exited. Every state change goes to sweep.db at once, so a sweep killed at any point resumes from the
// database alone.
#include "app/sweep/sweep_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "app/run_config.h"
#include "io/files.h"
#include "app/train/metrics.h"
#include "app/sweep/sweep_store.h"

namespace fs = std::filesystem;

namespace dl::app {
namespace {

struct Running {
  TrialRecord trial;
  pid_t pid = -1;
  int slot = 0;
  bool pruned = false;
  std::string prune_reason;
  Curve curve;
  std::set<int64_t> rungs_decided;  // ASHA decides once per rung
};

std::string db_path(const std::string& dir) { return (fs::path(dir) / "sweep.db").string(); }

std::string default_worker_name() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid());
}

std::string self_executable() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "drivelab" : p.string();
}

Curve read_curve(const std::string& metrics_csv, const std::string& metric) {
  Curve c;
  std::vector<MetricRow> rows;
  try {
    rows = read_metrics_csv(metrics_csv);
  } catch (const std::exception&) {
    return c;  // a file from a crashed writer; the trial's end decides
  }
  for (const auto& r : rows)
    if (r.name == metric && std::isfinite(r.value)) {
      if (!c.empty() && c.back().first == r.step)
        c.back().second = r.value;
      else
        c.emplace_back(r.step, r.value);
    }
  return c;
}

double elapsed_s(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

class Scheduler {
 public:
  Scheduler(std::string dir, const SweepRunOptions& options)
      : dir_(fs::absolute(dir).string()), options_(options), spec_(load_sweep_dir(dir_)), store_(db_path(dir_)) {
    parallel_ = options.only_trial ? 1 : (options.parallel > 0 ? options.parallel : spec_.parallel);
    exe_ = options.executable.empty() ? self_executable() : options.executable;
    worker_ = options.worker.empty() ? default_worker_name() : options.worker;
    const RunConfig base = parse_run_config(spec_.base_text, spec_.base_origin);
    base_seed_ = base.train.seed;
    bool sets_device = false, sets_threads = false, sets_torch_threads = false;
    for (const auto& p : spec_.parameters) {
      sets_device |= p.path == "train.device";
      sets_threads |= p.path == "train.num_threads";
      sets_torch_threads |= p.path == "train.torch_threads";
    }
    // Trials share the machine: unless the config says otherwise, each gets an equal share of the cores
    // rather than all of them (N trials x all cores threads would thrash).
    const int cores = std::max(1u, std::thread::hardware_concurrency());
    const int share = std::max(1, cores / parallel_);
    if (base.train.num_threads == 0 && !sets_threads) extra_.push_back("train.num_threads=" + std::to_string(share));
    if (base.train.torch_threads == 0 && !sets_torch_threads)
      extra_.push_back("train.torch_threads=" + std::to_string(share));
    const bool wants_cuda = base.train.device == "auto" || base.train.device == "cuda";
    gpus_ = options.gpus >= 0 ? options.gpus : (wants_cuda && !sets_device ? cuda_device_count() : 0);
    if (sets_device || !wants_cuda) gpus_ = 0;
  }

  SweepCounts run() {
    start_ = std::chrono::steady_clock::now();
    auto last_poll = start_;
    while (true) {
      if (options_.stop && options_.stop->load()) {
        stop_all();
        break;
      }
      bool claimed = false;
      while (static_cast<int>(running_.size()) < parallel_ && !no_more_pending_) {
        auto t = store_.claim(worker_, options_.only_trial);
        if (!t && spec_.method == SweepMethod::tpe && !options_.only_trial && propose()) t = store_.claim(worker_);
        if (!t) {
          no_more_pending_ = true;
          break;
        }
        launch(*t);
        claimed = true;
        if (options_.only_trial) no_more_pending_ = true;
      }
      if (running_.empty()) break;
      if (!claimed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      reap();
      if (elapsed_s(last_poll) >= options_.poll_s) {
        last_poll = std::chrono::steady_clock::now();
        poll_metrics();
      }
    }
    SweepCounts c;
    c.pending = store_.count("pending");
    c.running = store_.count("running");
    c.done = store_.count("done");
    c.failed = store_.count("failed");
    c.pruned = store_.count("pruned");
    return c;
  }

 private:
  // TPE proposes as results come in: a new configuration whenever a slot is free and nothing is pending,
  // until the sweep has its target number of configurations. false when it has.
  bool propose() {
    const int64_t target = std::stoll(store_.meta("target_configs", "0"));
    std::vector<Observation> history;
    for (const auto& t : store_.trials()) {
      if (t.status != "done" && t.status != "pruned") continue;
      history.push_back({assignment_from_json(t.params), t.metric.value_or(std::nan("")), t.status == "pruned"});
    }
    const Assignment a = tpe_propose(spec_, history, static_cast<uint64_t>(store_.configuration_count()));
    return store_.add_configuration(a, base_seed_, spec_.seeds, target) >= 0;
  }

  int free_slot() const {
    for (int s = 0;; ++s) {
      bool used = false;
      for (const auto& [pid, r] : running_) used |= r.slot == s;
      if (!used) return s;
    }
  }

  void launch(const TrialRecord& trial) {
    Running r;
    r.trial = trial;
    r.slot = free_slot();
    const fs::path run_dir = fs::path(dir_) / trial.run_dir;
    const fs::path log_path = fs::path(dir_) / trial.log_path;
    fs::remove_all(run_dir);  // a rerun starts clean: no metrics of the attempt that was cut off
    fs::create_directories(run_dir);

    std::vector<std::string> args = {exe_, "train", (fs::path(dir_) / "base.yaml").string()};
    for (const auto& o : assignment_overrides(assignment_from_json(trial.params))) args.push_back(o);
    args.push_back("train.seed=" + std::to_string(trial.seed));
    for (const auto& e : extra_) args.push_back(e);
    std::string device;
    if (gpus_ > 1) {
      device = "cuda:" + std::to_string(r.slot % gpus_);
      args.push_back("train.device=" + device);
    }
    store_.set_device(trial.id, device);
    // A GIF per trial would cost seconds and disk for every configuration; the best one is rerun anyway.
    args.insert(args.end(), {"--run-dir", run_dir.string(), "--no-progress", "--no-video"});

    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log_text = log_path.string();
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
      // In the child only async-signal-safe calls until exec. PDEATHSIG: a trial dies with its sweep (even
      // a SIGKILLed one), so a resumed sweep never races an orphan writing the same folder.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);
      const int log_fd = ::open(log_text.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int null_fd = ::open("/dev/null", O_RDONLY);
      if (log_fd < 0 || null_fd < 0) ::_exit(127);
      ::dup2(null_fd, 0);
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
      ::execv(argv[0], argv.data());
      const char msg[] = "drivelab sweep: cannot start the trial command (exec failed)\n";
      [[maybe_unused]] const auto n = ::write(2, msg, sizeof msg - 1);
      ::_exit(127);
    }
    if (pid < 0) {
      const std::string err = std::string("cannot start a trial process: ") + std::strerror(errno);
      store_.finish(trial.id, "failed", std::nullopt, err);
      say("trial " + name(trial) + " failed: " + err);
      return;
    }
    r.pid = pid;
    say("trial " + name(trial) + " started: " + assignment_label(assignment_from_json(trial.params)) + " seed " +
        std::to_string(trial.seed) + (device.empty() ? "" : " on " + device));
    running_.emplace(pid, std::move(r));
  }

  void reap() {
    for (auto it = running_.begin(); it != running_.end();) {
      int status = 0;
      const pid_t p = ::waitpid(it->first, &status, WNOHANG);
      if (p == 0) {
        ++it;
        continue;
      }
      finish(it->second, p < 0 ? -1 : status);
      it = running_.erase(it);
    }
  }

  void finish(Running& r, int status) {
    const TrialRecord& t = r.trial;
    if (options_.stop && options_.stop->load() && !r.pruned) {
      store_.requeue(t.id);  // Ctrl-C reached the trial before the scheduler saw it: not the trial's fault
      ++requeued_;
      return;
    }
    r.curve = read_curve((fs::path(dir_) / t.run_dir / "metrics.csv").string(), spec_.metric);
    store_.record_curve(t.id, r.curve);
    const std::optional<double> final_value =
        r.curve.empty() ? std::nullopt : std::optional<double>(r.curve.back().second);
    const bool exited_ok = status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    std::string state, error;
    if (r.pruned) {
      state = "pruned";
      error = r.prune_reason;
    } else if (exited_ok && final_value) {
      state = "done";
    } else {
      state = "failed";
      if (exited_ok)
        error = "finished without reporting " + spec_.metric;
      else if (status >= 0 && WIFSIGNALED(status))
        error = "killed by signal " + std::to_string(WTERMSIG(status));
      else if (status >= 0)
        error = "exit code " + std::to_string(WEXITSTATUS(status));
      else
        error = "lost track of the process";
      error += "; see " + t.log_path;
    }
    store_.finish(t.id, state, final_value, error);
    std::string line = "trial " + name(t) + " " + state;
    if (final_value) line += ": " + spec_.metric + " " + format(*final_value);
    if (!error.empty()) line += " (" + error + ")";
    say(line + "  [" + tally() + "]");
    try {
      write_sweep_report(dir_, false, false);
    } catch (const std::exception& e) {
      say(std::string("cannot write the results yet: ") + e.what());
    }
  }

  void poll_metrics() {
    if (spec_.early_stop.method == EarlyStopMethod::none) return;
    // Curves of all other trials, from the database, so trials of other workers count too.
    std::vector<Curve> completed;
    std::map<int64_t, Curve> all;
    for (const auto& t : store_.trials()) {
      if (t.status == "pending") continue;
      Curve c = store_.curve(t.id);
      if (t.status == "done") completed.push_back(c);
      all[t.id] = std::move(c);
    }
    for (auto& [pid, r] : running_) {
      if (r.pruned) continue;
      Curve c = read_curve((fs::path(dir_) / r.trial.run_dir / "metrics.csv").string(), spec_.metric);
      if (c.size() != r.curve.size()) store_.record_curve(r.trial.id, c);
      r.curve = std::move(c);
      if (r.curve.empty()) continue;
      std::string reason;
      if (spec_.early_stop.method == EarlyStopMethod::median) {
        if (median_rule_stops(r.curve, completed, spec_.goal, spec_.early_stop))
          reason = "below the median of completed trials at step " + std::to_string(r.curve.back().first);
      } else {
        for (int64_t rung : asha_rungs(spec_.early_stop, r.curve.back().first)) {
          if (!r.rungs_decided.insert(rung).second) continue;
          std::vector<double> others;
          for (const auto& [id, c2] : all)
            if (id != r.trial.id && !c2.empty() && c2.back().first >= rung) others.push_back(value_at(c2, rung));
          if (!asha_keeps(value_at(r.curve, rung), others, spec_.goal, spec_.early_stop.reduction_factor)) {
            reason = "not in the best 1/" + std::to_string(spec_.early_stop.reduction_factor) + " at ASHA rung " +
                     std::to_string(rung);
            break;
          }
        }
      }
      if (!reason.empty()) {
        r.pruned = true;
        r.prune_reason = reason;
        ::kill(pid, SIGTERM);  // reported when it has exited, in finish()
      }
    }
  }

  // Ctrl-C or SIGTERM: the trials stop, and go back to pending so that --resume runs them again.
  void stop_all() {
    for (auto& [pid, r] : running_) ::kill(pid, SIGTERM);
    for (auto& [pid, r] : running_) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      store_.requeue(r.trial.id);
      ++requeued_;
    }
    say("stopped; " + std::to_string(requeued_) +
        " running trial(s) put back to pending. Continue with: "
        "drivelab sweep --resume " +
        dir_);
    running_.clear();
  }

  std::string tally() const {
    return std::to_string(store_.count("done")) + " done, " + std::to_string(store_.count("failed")) + " failed, " +
           std::to_string(store_.count("pruned")) + " pruned, " + std::to_string(store_.count("running")) +
           " running, " + std::to_string(store_.count("pending")) + " pending";
  }

  static std::string name(const TrialRecord& t) { return fs::path(t.run_dir).filename().string(); }
  static std::string format(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
  }
  void say(const std::string& line) const {
    if (!options_.progress) return;
    const long s = static_cast<long>(elapsed_s(start_));
    std::printf("[sweep %s %ldm%02lds] %s\n", spec_.name.c_str(), s / 60, s % 60, line.c_str());
    std::fflush(stdout);
  }

  std::string dir_;
  SweepRunOptions options_;
  SweepSpec spec_;
  SweepStore store_;
  int parallel_ = 1;
  int gpus_ = 0;
  uint64_t base_seed_ = 1;
  std::string exe_, worker_;
  std::vector<std::string> extra_;  // overrides every trial gets (thread shares)
  std::map<pid_t, Running> running_;
  bool no_more_pending_ = false;
  int requeued_ = 0;
  std::chrono::steady_clock::time_point start_;
};

std::string timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  return stamp;
}

}  // namespace

SweepSpec load_sweep_dir(const std::string& dir) {
  const fs::path sweep_file = fs::path(dir) / "sweep.yaml";
  if (!fs::exists(sweep_file) || !fs::exists(fs::path(dir) / "sweep.db"))
    throw ConfigError(dir + ": not a sweep folder (no sweep.yaml and sweep.db in it)");
  return load_sweep(sweep_file.string(), (fs::path(dir) / "base.yaml").string());
}

std::string create_sweep(const std::string& sweep_file, const std::string& out_dir) {
  const SweepSpec spec = load_sweep(sweep_file);
  fs::path dir = out_dir.empty() ? fs::path("sweeps") / (spec.name + "__" + timestamp()) : fs::path(out_dir);
  if (out_dir.empty())
    for (int i = 2; fs::exists(dir); ++i)
      dir = fs::path("sweeps") / (spec.name + "__" + timestamp() + "-" + std::to_string(i));
  if (fs::exists(dir / "sweep.db"))
    throw ConfigError(dir.string() + ": already holds a sweep; continue it with `drivelab sweep --resume " +
                      dir.string() + "`");
  fs::create_directories(dir / "trials");
  // The folder is self-contained: a copy of the sweep file and of the base config it was read against.
  io::write_file_atomic((dir / "sweep.yaml").string(), io::read_file_limited(sweep_file, io::kMaxConfigBytes, "sweep file"));
  // An inline base keeps the sweep file's line numbers as blank lines; the copy does not need them.
  io::write_file_atomic((dir / "base.yaml").string(),
                    spec.base_text.substr(std::min(spec.base_text.size(), spec.base_text.find_first_not_of('\n'))));
  const RunConfig base = parse_run_config(spec.base_text, spec.base_origin);
  SweepStore store(db_path(dir.string()));
  store.set_meta("name", spec.name);
  store.set_meta("metric", spec.metric);
  store.set_meta("goal", spec.goal == Goal::maximize ? "maximize" : "minimize");
  store.set_meta("created", utc_now_iso());
  store.set_meta("base_seed", std::to_string(base.train.seed));
  const auto configs = initial_assignments(spec);
  for (const auto& a : configs) store.add_configuration(a, base.train.seed, spec.seeds);
  store.set_meta("next_random_index", std::to_string(spec.method == SweepMethod::random ? configs.size() : 0));
  store.set_meta("target_configs", std::to_string(spec.method == SweepMethod::grid ? configs.size() : spec.trials));
  return dir.string();
}

void extend_sweep(const std::string& dir, int n) {
  const SweepSpec spec = load_sweep_dir(dir);
  SweepStore store(db_path(dir));
  if (spec.method == SweepMethod::tpe) {  // TPE proposes the new configurations as results come in
    store.set_meta("target_configs", std::to_string(std::stoll(store.meta("target_configs", "0")) + n));
    return;
  }
  const uint64_t base_seed = std::stoull(store.meta("base_seed", "1"));
  uint64_t next = std::stoull(store.meta("next_random_index", "0"));
  // A grid sweep extended draws from its grid's values at random; the draw indices are offset so they do
  // not follow the same sequence a random sweep with that seed would.
  const uint64_t offset = spec.method == SweepMethod::grid ? (1ull << 32) : 0;
  for (int i = 0; i < n; ++i, ++next)
    store.add_configuration(sample_assignment(spec, offset + next), base_seed, spec.seeds);
  store.set_meta("next_random_index", std::to_string(next));
}

SweepCounts run_sweep(const std::string& dir, const SweepRunOptions& options, bool requeue_running) {
  if (requeue_running) {
    SweepStore store(db_path(dir));
    store.requeue_running();
  }
  if (options.only_trial) {
    SweepStore store(db_path(dir));
    const auto t = store.trial(*options.only_trial);
    if (!t)
      throw ConfigError(dir + ": no trial " + std::to_string(*options.only_trial) + " (trials are numbered 1.." +
                        std::to_string(store.trials().size()) + ")");
    store.requeue(t->id);
  }
  Scheduler scheduler(dir, options);
  const SweepCounts counts = scheduler.run();
  return counts;
}

}  // namespace dl::app
