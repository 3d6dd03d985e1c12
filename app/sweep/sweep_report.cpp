// drivelab/app: what a sweep found: the results table (markdown and CSV), best.yaml and the plots.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "app/run_config.h"
#include "io/files.h"
#include "app/train/plot.h"
#include "app/sweep/sweep_runner.h"
#include "app/sweep/sweep_store.h"

namespace fs = std::filesystem;

namespace dl::app {
namespace {

// One configuration with its seeds' results.
struct ConfigResult {
  int64_t config_id = 0;
  Assignment assignment;
  std::vector<const TrialRecord*> trials;
  std::vector<double> finals;  // done trials' final metric
  double mean = NAN, stddev = NAN;
  int done = 0, pruned = 0, failed = 0, unfinished = 0;
};

std::vector<ConfigResult> group(const std::vector<TrialRecord>& trials, Goal goal) {
  std::map<int64_t, ConfigResult> by_id;
  for (const auto& t : trials) {
    ConfigResult& c = by_id[t.config_id];
    if (c.trials.empty()) {
      c.config_id = t.config_id;
      c.assignment = assignment_from_json(t.params);
    }
    c.trials.push_back(&t);
    if (t.status == "done" && t.metric) {
      ++c.done;
      c.finals.push_back(*t.metric);
    } else if (t.status == "pruned") {
      ++c.pruned;
    } else if (t.status == "failed") {
      ++c.failed;
    } else {
      ++c.unfinished;
    }
  }
  std::vector<ConfigResult> out;
  for (auto& [id, c] : by_id) {
    if (!c.finals.empty()) {
      double sum = 0;
      for (double v : c.finals) sum += v;
      c.mean = sum / c.finals.size();
      double ss = 0;
      for (double v : c.finals) ss += (v - c.mean) * (v - c.mean);
      c.stddev = c.finals.size() > 1 ? std::sqrt(ss / (c.finals.size() - 1)) : 0.0;
    }
    out.push_back(std::move(c));
  }
  // Configurations with results first, best first; the rest in the order they were proposed.
  std::stable_sort(out.begin(), out.end(), [goal](const ConfigResult& a, const ConfigResult& b) {
    const bool ha = std::isfinite(a.mean), hb = std::isfinite(b.mean);
    if (ha != hb) return ha;
    return ha && worse(b.mean, a.mean, goal);
  });
  return out;
}

std::string num(double v) {
  if (!std::isfinite(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

// Appends in place: GCC 12 warns (-Wrestrict, falsely) about chains of "literal" + std::string.
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string s;
  ((s += parts), ...);
  return s;
}

std::string trial_ids(const ConfigResult& c) {
  std::string s;
  for (const auto* t : c.trials) s += cat(s.empty() ? "" : " ", fs::path(t->run_dir).filename().string());
  return s;
}

std::string markdown_table(const SweepSpec& spec, const std::vector<ConfigResult>& results) {
  std::string md = "| rank |";
  for (const auto& p : spec.parameters) md += cat(" ", p.path, " |");
  md += cat(" ", spec.metric, " (mean ± std) | done | pruned | failed | trials |\n|---:|");
  for (size_t i = 0; i < spec.parameters.size(); ++i) md += "---|";
  md += "---:|---:|---:|---:|---|\n";
  int rank = 0;
  for (const auto& c : results) {
    md += cat("| ", std::isfinite(c.mean) ? std::to_string(++rank) : std::string("-"), " |");
    for (const auto& [path, value] : c.assignment) md += cat(" ", value, " |");
    md += cat(" ", std::isfinite(c.mean) ? cat(num(c.mean), " ± ", num(c.stddev)) : std::string("-"), " | ",
              std::to_string(c.done), " | ", std::to_string(c.pruned), " | ", std::to_string(c.failed), " | ",
              trial_ids(c), " |\n");
  }
  return md;
}

std::string csv_table(const SweepSpec& spec, const std::vector<ConfigResult>& results) {
  std::string csv = "rank,config_id";
  for (const auto& p : spec.parameters) csv += cat(",", csv_field(p.path));
  csv += ",metric,mean,std,done,pruned,failed,unfinished,trials\n";
  int rank = 0;
  for (const auto& c : results) {
    csv += cat(std::isfinite(c.mean) ? std::to_string(++rank) : std::string(""), ",", std::to_string(c.config_id));
    for (const auto& [path, value] : c.assignment) csv += cat(",", csv_field(value));
    csv += cat(",", csv_field(spec.metric), ",", num(c.mean), ",", num(c.stddev), ",", std::to_string(c.done), ",",
               std::to_string(c.pruned), ",", std::to_string(c.failed), ",", std::to_string(c.unfinished), ",",
               trial_ids(c), "\n");
  }
  return csv;
}

bool numeric(const std::string& s, double& out) {
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0' && std::isfinite(out);
}

void plot_parameters(const std::string& dir, const SweepSpec& spec, const std::vector<TrialRecord>& trials) {
  for (size_t i = 0; i < spec.parameters.size(); ++i) {
    const ParamSpec& p = spec.parameters[i];
    // Numbers on their axis (log10 for log_uniform); anything else by its position among the values seen.
    std::vector<std::string> categories;
    bool all_numeric = true;
    for (const auto& t : trials) {
      const std::string v = assignment_from_json(t.params)[i].second;
      double x;
      all_numeric &= numeric(v, x);
      if (std::find(categories.begin(), categories.end(), v) == categories.end()) categories.push_back(v);
    }
    const bool log_x = p.dist == Distribution::log_uniform && all_numeric;
    Series points{spec.metric, {}, {}, true};
    for (const auto& t : trials) {
      if (t.status != "done" || !t.metric) continue;
      const std::string v = assignment_from_json(t.params)[i].second;
      double x = 0;
      if (all_numeric)
        numeric(v, x);
      else
        x = static_cast<double>(std::find(categories.begin(), categories.end(), v) - categories.begin());
      points.x.push_back(log_x ? std::log10(x) : x);
      points.y.push_back(*t.metric);
    }
    std::string x_label = log_x ? "log10(" + p.path + ")" : p.path;
    if (!all_numeric) {
      x_label += " (";
      for (size_t k = 0; k < categories.size(); ++k)
        x_label += (k ? ", " : "") + std::to_string(k) + "=" + categories[k];
      x_label += ")";
    }
    std::string file = p.path;
    std::replace(file.begin(), file.end(), '/', '_');
    try {
      plot_series({points}, spec.name + ": " + spec.metric + " against " + p.path, x_label, spec.metric,
                  (fs::path(dir) / ("sweep_" + file + ".png")).string());
    } catch (const std::exception&) {
      // no finished trial yet: no picture
    }
  }
}

void plot_overview(const std::string& dir, const SweepSpec& spec, const std::vector<TrialRecord>& trials) {
  Series finals{"final " + spec.metric, {}, {}, true}, best{"best so far", {}, {}, false};
  double best_value = NAN;
  for (const auto& t : trials) {
    if (t.status != "done" || !t.metric) continue;
    finals.x.push_back(t.id), finals.y.push_back(*t.metric);
    if (!std::isfinite(best_value) || worse(best_value, *t.metric, spec.goal)) best_value = *t.metric;
    best.x.push_back(t.id), best.y.push_back(best_value);
  }
  try {
    plot_series({finals, best}, spec.name + ": " + spec.metric + " by trial", "trial", spec.metric,
                (fs::path(dir) / "sweep.png").string());
  } catch (const std::exception&) {
  }
}

void plot_best_curves(const std::string& dir, const SweepSpec& spec, const std::vector<ConfigResult>& results,
                      const SweepStore& store) {
  constexpr size_t kMaxCurves = 6;  // the plot's palette
  std::vector<Series> series;
  for (size_t rank = 0; rank < results.size() && rank < 3 && series.size() < kMaxCurves; ++rank) {
    if (!std::isfinite(results[rank].mean)) break;
    for (const auto* t : results[rank].trials) {
      if (series.size() >= kMaxCurves) break;
      if (t->status != "done") continue;
      Series s{cat("#", std::to_string(rank + 1), " trial ", fs::path(t->run_dir).filename().string(), " seed ",
                   std::to_string(t->seed)),
               {},
               {},
               false};
      for (const auto& [step, value] : store.curve(t->id)) s.x.push_back(step), s.y.push_back(value);
      if (s.x.size() == 1) s.points = true;  // a single evaluation is a point, not a line
      if (!s.x.empty()) series.push_back(std::move(s));
    }
  }
  if (series.empty()) return;
  try {
    plot_series(series, spec.name + ": learning curves of the best configurations", "env steps", spec.metric,
                (fs::path(dir) / "best_curves.png").string());
  } catch (const std::exception&) {
  }
}

}  // namespace

void write_sweep_report(const std::string& dir, bool print, bool plots) {
  const SweepSpec spec = load_sweep_dir(dir);
  SweepStore store((fs::path(dir) / "sweep.db").string());
  const std::vector<TrialRecord> trials = store.trials();
  const std::vector<ConfigResult> results = group(trials, spec.goal);

  const std::string table = markdown_table(spec, results);
  std::string md = "# Sweep " + spec.name + "\n\n" + spec.metric + ", " +
                   (spec.goal == Goal::maximize ? "higher" : "lower") +
                   " is better; mean ± std over the seeds that finished. Trials are in trials/NNN/.\n\n" + table;
  if (!results.empty() && std::isfinite(results.front().mean))
    md += "\nBest: " + assignment_label(results.front().assignment) + " (best.yaml)\n";
  io::write_file_atomic((fs::path(dir) / "results.md").string(), md);
  io::write_file_atomic((fs::path(dir) / "results.csv").string(), csv_table(spec, results));
  if (print) std::printf("%s", table.c_str());

  if (!results.empty() && std::isfinite(results.front().mean)) {
    const ConfigResult& best = results.front();
    std::vector<std::string> overrides = assignment_overrides(best.assignment);
    RunConfig config = load_run_config((fs::path(dir) / "base.yaml").string(), overrides);
    const std::string header = "# Best configuration of sweep " + spec.name + ": " + assignment_label(best.assignment) +
                               "\n# " + spec.metric + " " + num(best.mean) + " ± " + num(best.stddev) + " over " +
                               std::to_string(best.done) + " seed(s). Run it with: drivelab train best.yaml\n";
    io::write_file_atomic((fs::path(dir) / "best.yaml").string(), header + to_yaml(config));
    if (print)
      std::printf("best: %s  %s %s ± %s  -> %s\n", assignment_label(best.assignment).c_str(), spec.metric.c_str(),
                  num(best.mean).c_str(), num(best.stddev).c_str(), (fs::path(dir) / "best.yaml").c_str());
  }
  if (plots) {
    plot_parameters(dir, spec, trials);
    plot_overview(dir, spec, trials);
    plot_best_curves(dir, spec, results, store);
  }
}

}  // namespace dl::app
