// drivelab/app: `drivelab plot`, metrics of one or more runs against env steps in one PNG (PLplot), and
// the expert-use picture `drivelab train` writes for mixture-of-experts runs.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "app/commands.h"
#include "app/run_config.h"
#include "app/train/metrics.h"
#include "app/train/plot.h"

namespace fs = std::filesystem;

namespace dl::app {

namespace {

// "name" matches itself; "prefix*" matches every metric that starts with prefix.
bool matches(const std::string& pattern, const std::string& name) {
  if (!pattern.empty() && pattern.back() == '*') return name.rfind(pattern.substr(0, pattern.size() - 1), 0) == 0;
  return pattern == name;
}

struct PlotArgs {
  std::vector<std::string> runs;
  std::vector<std::string> metrics = {"eval/return_mean"};
  std::vector<std::string> labels;
  std::string out;
  std::string title;
};

}  // namespace

std::vector<Series> metric_series(const std::vector<MetricRow>& rows, const std::vector<std::string>& patterns,
                                  const std::string& label_prefix) {
  std::map<std::string, Series> by_name;
  for (const auto& r : rows) {
    bool wanted = false;
    for (const auto& p : patterns) wanted = wanted || matches(p, r.name);
    if (!wanted) continue;
    Series& s = by_name[r.name];
    s.label = label_prefix.empty() ? r.name : label_prefix + " " + r.name;
    s.x.push_back(static_cast<double>(r.step));
    s.y.push_back(r.value);
  }
  std::vector<Series> out;
  for (auto& [name, s] : by_name) out.push_back(std::move(s));
  return out;
}

void plot_expert_use(const std::vector<MetricRow>& rows, const std::string& title, const std::string& png_path) {
  auto series = metric_series(rows, {"moe/actor_expert_*"}, "");
  if (series.empty()) return;
  plot_series(series, title + ": actor expert use", "env steps", "share of routing slots", png_path);
}

namespace {

int run_plot(const PlotArgs& a) {
  if (!a.labels.empty() && a.labels.size() != a.runs.size())
    throw ConfigError("--label: give one label per run (" + std::to_string(a.runs.size()) + ")");
  std::vector<Series> all;
  for (size_t i = 0; i < a.runs.size(); ++i) {
    const fs::path csv = fs::is_directory(a.runs[i]) ? fs::path(a.runs[i]) / "metrics.csv" : fs::path(a.runs[i]);
    if (!fs::exists(csv)) throw ConfigError(a.runs[i] + ": no metrics.csv");
    const std::string label =
        a.runs.size() == 1 ? "" : (a.labels.empty() ? fs::path(a.runs[i]).filename().string() : a.labels[i]);
    auto series = metric_series(read_metrics_csv(csv.string()), a.metrics, label);
    if (series.empty()) throw ConfigError(csv.string() + ": no metric matches the --metric patterns");
    all.insert(all.end(), series.begin(), series.end());
  }
  std::string y_label = a.metrics.size() == 1 ? a.metrics[0] : "value";
  plot_series(all, a.title.empty() ? y_label : a.title, "env steps", y_label, a.out);
  std::printf("wrote %s (%zu series)\n", a.out.c_str(), all.size());
  return kExitOk;
}

}  // namespace

CommandHook add_plot_command(CLI::App& app) {
  auto args = std::make_shared<PlotArgs>();
  CLI::App* cmd = app.add_subcommand("plot", "Plot metrics of one or more runs against env steps into a PNG.");
  cmd->add_option("runs", args->runs, "Run folders (their metrics.csv) or metrics.csv files")->required();
  cmd->add_option("--metric", args->metrics,
                  "Metric names; a trailing * matches a prefix, e.g. 'moe/actor_expert_*' (default eval/return_mean)");
  cmd->add_option("--label", args->labels, "A legend label per run (default: the folder names)");
  cmd->add_option("--title", args->title, "Chart title");
  cmd->add_option("--out", args->out, "PNG file to write")->required();
  return {cmd, [args] { return run_plot(*args); }};
}

}  // namespace dl::app
