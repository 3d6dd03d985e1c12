// drivelab/app: the sweep file, its proposals (grid and random) and the early-stopping rules.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/run_config.h"
#include "app/sweep/sweep.h"
#include "io/names.h"
#include "sim/rng.h"

namespace fs = std::filesystem;

namespace dl::app {
namespace {

int line_of(const YAML::Node& node) { return node.IsDefined() && node.Mark().line >= 0 ? node.Mark().line + 1 : 0; }

std::string flow_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

std::string format_number(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.7g", x);
  return buf;
}

// Error messages in the run-config style: "FILE:LINE: key 'a.b': message".
struct SweepFile {
  std::string file;

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key, const std::string& msg) const {
    const int line = line_of(node);
    throw ConfigError(file + (line > 0 ? ":" + std::to_string(line) : "") + ": key '" + key + "': " + msg);
  }

  void check_keys(const YAML::Node& map, const std::string& prefix, const std::vector<std::string>& known) const {
    for (const auto& kv : map) {
      const std::string key = kv.first.as<std::string>();
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      fail(kv.first, io::join_path(prefix, key), io::unknown_key_message(key, known, prefix));
    }
  }

  template <class T>
  T scalar(const YAML::Node& node, const std::string& key, const char* expected) const {
    if (!node.IsScalar()) fail(node, key, std::string("expected ") + expected);
    try {
      if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>)
        if (node.Scalar().find('-') != std::string::npos) throw YAML::BadConversion(node.Mark());
      return node.as<T>();
    } catch (const YAML::BadConversion&) {
      fail(node, key, std::string("expected ") + expected + ", got '" + node.Scalar() + "'");
    }
  }

  template <class T>
  T choice(const YAML::Node& node, const std::string& key,
           std::initializer_list<std::pair<const char*, T>> options) const {
    T value{};
    const std::string error = io::pick_choice(scalar<std::string>(node, key, "a name"), options, value);
    if (!error.empty()) fail(node, key, error);
    return value;
  }

  int integer(const YAML::Node& node, const std::string& key, int lo, int hi) const {
    const int v = scalar<int>(node, key, "an integer");
    if (v < lo || v > hi)
      fail(node, key,
           "value " + std::to_string(v) + " is out of range: expected an integer in [" + std::to_string(lo) + ", " +
               std::to_string(hi) + "]");
    return v;
  }
};

// An inline base mapping keeps its line numbers in messages: the base block's lines are kept in place,
// de-indented, and every other line of the sweep file is blanked.
std::string inline_base_text(const std::string& sweep_text, const YAML::Node& base_key, const YAML::Node& base) {
  std::vector<std::string> lines;
  std::stringstream in(sweep_text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  const int key_line = base_key.Mark().line, value_line = base.Mark().line;
  if (value_line <= key_line || base.Style() == YAML::EmitterStyle::Flow) return YAML::Dump(base);  // flow style
  size_t end = value_line;
  for (; end < lines.size(); ++end) {
    const std::string& l = lines[end];
    const auto first = l.find_first_not_of(' ');
    if (first == 0 && l[0] != '#') break;  // the next top-level key
  }
  const size_t indent = lines[value_line].find_first_not_of(' ');
  std::string text;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i >= static_cast<size_t>(value_line) && i < end && lines[i].size() > indent) text += lines[i].substr(indent);
    text += "\n";
  }
  return text;
}

// parse_run_config's messages about an override start with "command-line override 'k=v': "; in a sweep the
// override is a parameter value, which the caller names.
std::string strip_override_prefix(std::string msg) {
  const std::string prefix = "command-line override '";
  if (msg.rfind(prefix, 0) == 0) {
    const auto end = msg.find("': ");
    if (end != std::string::npos) msg = msg.substr(end + 3);
  }
  return msg;
}

void validate_parameter(const SweepFile& f, const YAML::Node& key_node, const SweepSpec& spec, const ParamSpec& p) {
  std::vector<std::string> candidates = p.values;
  if (p.dist == Distribution::int_uniform) {
    candidates = {std::to_string(static_cast<long long>(p.min)), std::to_string(static_cast<long long>(p.max))};
  } else if (p.dist == Distribution::uniform || p.dist == Distribution::log_uniform) {
    candidates = {format_number(p.min), format_number(p.max)};
  }
  for (const auto& value : candidates) {
    try {
      parse_run_config(spec.base_text, spec.base_origin, {p.path + "=" + value});
    } catch (const ConfigError& e) {
      f.fail(key_node, "parameters." + p.path,
             "value " + value + " does not fit the base config: " + strip_override_prefix(e.what()));
    }
  }
}

ParamSpec parse_parameter(const SweepFile& f, const YAML::Node& key_node, const YAML::Node& node) {
  ParamSpec p;
  p.path = key_node.as<std::string>();
  p.line = line_of(key_node);
  const std::string key = "parameters." + p.path;
  if (p.path == "train.seed")
    f.fail(key_node, key, "the sweep sets train.seed itself (base seed + k for each of `seeds` seeds)");
  auto read_values = [&](const YAML::Node& list, const std::string& list_key) {
    if (!list.IsSequence() || list.size() == 0) f.fail(list, list_key, "expected a non-empty list of values");
    for (const auto& v : list) p.values.push_back(flow_text(v));
  };
  if (node.IsSequence()) {  // shorthand: `path: [a, b]`
    read_values(node, key);
    return p;
  }
  if (!node.IsMap()) f.fail(node, key, "expected `values: [...]` or `{distribution: ..., min: ..., max: ...}`");
  f.check_keys(node, key, {"values", "distribution", "min", "max"});
  if (const YAML::Node d = node["distribution"])
    p.dist = f.choice<Distribution>(d, key + ".distribution",
                                    {{"uniform", Distribution::uniform},
                                     {"log_uniform", Distribution::log_uniform},
                                     {"int_uniform", Distribution::int_uniform},
                                     {"categorical", Distribution::categorical}});
  const bool listed = p.dist == Distribution::values || p.dist == Distribution::categorical;
  if (listed) {
    if (!node["values"]) f.fail(node, key, "needs `values: [...]`");
    if (node["min"] || node["max"])
      f.fail(node["min"] ? node["min"] : node["max"], key,
             "min/max belong to uniform, log_uniform and int_uniform; a list takes `values`");
    read_values(node["values"], key + ".values");
    return p;
  }
  if (node["values"])
    f.fail(node["values"], key + ".values",
           "a " + node["distribution"].Scalar() + " distribution takes min and max, not values");
  if (!node["min"] || !node["max"])
    f.fail(node, key, "a " + node["distribution"].Scalar() + " distribution needs both min and max");
  p.min = f.scalar<double>(node["min"], key + ".min", "a number");
  p.max = f.scalar<double>(node["max"], key + ".max", "a number");
  if (!std::isfinite(p.min) || !std::isfinite(p.max) || !(p.min <= p.max))
    f.fail(node["min"], key + ".min",
           "expected finite min <= max, got min " + format_number(p.min) + ", max " + format_number(p.max));
  if (p.dist == Distribution::log_uniform && p.min <= 0)
    f.fail(node["min"], key + ".min", "log_uniform needs min > 0, got " + format_number(p.min));
  if (p.dist == Distribution::int_uniform && (p.min != std::floor(p.min) || p.max != std::floor(p.max)))
    f.fail(node["min"], key, "int_uniform needs integer min and max");
  return p;
}

}  // namespace

SweepSpec parse_sweep(const std::string& yaml_text, const std::string& origin, const std::string& base_dir,
                      const std::string& base_file) {
  const SweepFile f{origin};
  check_yaml_text(yaml_text, origin);  // one document, no repeated keys, no list or mapping as a key
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ": malformed YAML: " + e.msg);
  }
  if (!root.IsMap()) throw ConfigError(origin + ": expected a mapping with base, method, metric and parameters");
  f.check_keys(root, "",
               {"name", "base", "overrides", "method", "metric", "parameters", "trials", "parallel", "seeds", "seed",
                "early_stop", "tpe"});
  SweepSpec spec;
  spec.name = root["name"] ? f.scalar<std::string>(root["name"], "name", "a string") : fs::path(origin).stem().string();

  // The base config: a file (relative to the sweep file), an inline mapping, or the embedded default.
  if (!base_file.empty()) {
    spec.base_text = read_config_text(base_file, "sweep's base config");
    spec.base_origin = base_file;
  } else if (const YAML::Node base = root["base"]; base && base.IsMap()) {
    YAML::Node base_key;
    for (const auto& kv : root)
      if (kv.first.as<std::string>() == "base") base_key = kv.first;
    spec.base_text = inline_base_text(yaml_text, base_key, base);
    spec.base_origin = origin;
  } else if (base && !base.IsNull()) {
    const fs::path path = fs::path(base_dir) / f.scalar<std::string>(base, "base", "a config file path or a mapping");
    std::ifstream in(path, std::ios::binary);
    if (!in) f.fail(base, "base", "cannot open the base config " + path.string());
    std::stringstream ss;
    ss << in.rdbuf();
    spec.base_text = ss.str();
    spec.base_origin = path.lexically_normal().string();
  } else {
    spec.base_text = embedded_default_config();
    spec.base_origin = "<embedded default config>";
  }
  parse_run_config(spec.base_text, spec.base_origin);  // the base's own errors name the base's file and line

  // `overrides:` change the base for every trial; they are folded into the base text, so the sweep folder's
  // base.yaml is exactly what the trials start from.
  if (const YAML::Node ov = root["overrides"]; ov && !ov.IsNull()) {
    if (!ov.IsMap())
      f.fail(ov, "overrides", "expected a mapping of config paths to values, e.g. train.total_steps: 10000");
    YAML::Node merged = YAML::Load(spec.base_text);
    if (!merged.IsMap()) merged = YAML::Node(YAML::NodeType::Map);
    for (const auto& kv : ov) {
      const std::string path = kv.first.as<std::string>();
      const std::string text = path + "=" + flow_text(kv.second);
      try {
        parse_run_config(spec.base_text, spec.base_origin, {text});
      } catch (const ConfigError& e) {
        f.fail(kv.first, "overrides." + path, strip_override_prefix(e.what()));
      }
      std::vector<std::string> parts;
      std::stringstream ss(path);
      for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
      YAML::Node node = merged;
      for (size_t i = 0; i + 1 < parts.size(); ++i) {
        if (!node[parts[i]].IsMap()) node[parts[i]] = YAML::Node(YAML::NodeType::Map);
        node.reset(node[parts[i]]);
      }
      node[parts.back()] = YAML::Clone(kv.second);
    }
    spec.base_text = "# " + spec.base_origin + " with the sweep's overrides\n" + YAML::Dump(merged) + "\n";
    spec.base_origin += " (with the sweep's overrides)";
    parse_run_config(spec.base_text, spec.base_origin);
  }

  if (root["method"])
    spec.method = f.choice<SweepMethod>(
        root["method"], "method",
        {{"grid", SweepMethod::grid}, {"random", SweepMethod::random}, {"tpe", SweepMethod::tpe}});
  if (const YAML::Node t = root["tpe"]) {
    if (!t.IsMap()) f.fail(t, "tpe", "expected {startup: N, gamma: G, candidates: N}");
    f.check_keys(t, "tpe", {"startup", "gamma", "candidates"});
    if (t["startup"]) spec.tpe.startup = f.integer(t["startup"], "tpe.startup", 1, 100000);
    if (t["candidates"]) spec.tpe.candidates = f.integer(t["candidates"], "tpe.candidates", 1, 100000);
    if (t["gamma"]) {
      spec.tpe.gamma = f.scalar<double>(t["gamma"], "tpe.gamma", "a number");
      if (!(spec.tpe.gamma > 0 && spec.tpe.gamma < 1)) f.fail(t["gamma"], "tpe.gamma", "expected a fraction in (0, 1)");
    }
  }
  if (const YAML::Node m = root["metric"]) {
    if (m.IsScalar()) {
      spec.metric = m.Scalar();
    } else {
      if (!m.IsMap()) f.fail(m, "metric", "expected {name: METRIC, goal: maximize|minimize}");
      f.check_keys(m, "metric", {"name", "goal"});
      if (m["name"])
        spec.metric = f.scalar<std::string>(m["name"], "metric.name", "a metric name such as eval/return_mean");
      if (m["goal"])
        spec.goal =
            f.choice<Goal>(m["goal"], "metric.goal", {{"maximize", Goal::maximize}, {"minimize", Goal::minimize}});
    }
    if (spec.metric.empty() || spec.metric.find(',') != std::string::npos)
      f.fail(m, "metric.name", "expected a metrics.csv name such as eval/return_mean");
  }
  if (root["trials"]) spec.trials = f.integer(root["trials"], "trials", 1, 100000);
  if (root["parallel"]) spec.parallel = f.integer(root["parallel"], "parallel", 1, 1024);
  if (root["seeds"]) spec.seeds = f.integer(root["seeds"], "seeds", 1, 1000);
  if (root["seed"]) spec.seed = f.scalar<uint64_t>(root["seed"], "seed", "a non-negative integer");

  if (const YAML::Node es = root["early_stop"]) {
    if (!es.IsMap()) f.fail(es, "early_stop", "expected {method: none|median|asha, min_steps: N, ...}");
    f.check_keys(es, "early_stop", {"method", "min_steps", "min_trials", "reduction_factor"});
    auto& e = spec.early_stop;
    if (es["method"])
      e.method = f.choice<EarlyStopMethod>(
          es["method"], "early_stop.method",
          {{"none", EarlyStopMethod::none}, {"median", EarlyStopMethod::median}, {"asha", EarlyStopMethod::asha}});
    if (es["min_steps"]) {
      e.min_steps = f.scalar<int64_t>(es["min_steps"], "early_stop.min_steps", "a non-negative integer");
      if (e.min_steps < 0) f.fail(es["min_steps"], "early_stop.min_steps", "expected a non-negative integer");
    }
    if (es["min_trials"]) e.min_trials = f.integer(es["min_trials"], "early_stop.min_trials", 1, 100000);
    if (es["reduction_factor"])
      e.reduction_factor = f.integer(es["reduction_factor"], "early_stop.reduction_factor", 2, 100);
    if (e.method == EarlyStopMethod::asha && e.min_steps <= 0)
      f.fail(es, "early_stop.min_steps", "asha needs min_steps > 0 (the first rung, in env steps)");
  }

  const YAML::Node params = root["parameters"];
  if (!params || !params.IsMap() || params.size() == 0)
    f.fail(params ? params : root, "parameters",
           "expected a mapping of config paths to `values: [...]` or distributions");
  for (const auto& kv : params) {
    ParamSpec p = parse_parameter(f, kv.first, kv.second);
    if (spec.method == SweepMethod::grid && p.dist != Distribution::values && p.dist != Distribution::categorical)
      f.fail(kv.first, "parameters." + p.path, "a grid needs listed values; use method: random for distributions");
    for (const auto& q : spec.parameters)
      if (q.path == p.path) f.fail(kv.first, "parameters." + p.path, "listed twice");
    validate_parameter(f, kv.first, spec, p);
    spec.parameters.push_back(std::move(p));
  }
  return spec;
}

SweepSpec load_sweep(const std::string& path, const std::string& base_file) {
  return parse_sweep(read_config_text(path, "sweep file"), path, fs::path(path).parent_path().string(), base_file);
}

std::vector<Assignment> expand_grid(const SweepSpec& spec) {
  for (const auto& p : spec.parameters)
    if (p.values.empty()) throw ConfigError("parameter '" + p.path + "' has no listed values to make a grid of");
  std::vector<Assignment> grid;
  std::vector<size_t> digit(spec.parameters.size(), 0);
  while (true) {
    Assignment a;
    for (size_t i = 0; i < digit.size(); ++i)
      a.emplace_back(spec.parameters[i].path, spec.parameters[i].values[digit[i]]);
    grid.push_back(std::move(a));
    // Mixed-radix increment, last parameter fastest.
    size_t i = digit.size();
    while (i > 0 && ++digit[i - 1] == spec.parameters[i - 1].values.size()) digit[--i] = 0;
    if (i == 0) break;
  }
  return grid;
}

Assignment sample_assignment(const SweepSpec& spec, uint64_t index) {
  sim::Rng rng(sim::Rng::mix(spec.seed, index));
  Assignment a;
  for (const auto& p : spec.parameters) {
    std::string value;
    switch (p.dist) {
      case Distribution::values:
      case Distribution::categorical:
        value = p.values[rng.uniform_int(0, static_cast<int64_t>(p.values.size()) - 1)];
        break;
      case Distribution::uniform:
        value = format_number(rng.uniform(p.min, p.max));
        break;
      case Distribution::log_uniform:
        value = format_number(std::exp(rng.uniform(std::log(p.min), std::log(p.max))));
        break;
      case Distribution::int_uniform:
        value = std::to_string(rng.uniform_int(static_cast<int64_t>(p.min), static_cast<int64_t>(p.max)));
        break;
    }
    a.emplace_back(p.path, value);
  }
  return a;
}

std::vector<Assignment> initial_assignments(const SweepSpec& spec) {
  if (spec.method == SweepMethod::grid) return expand_grid(spec);
  std::vector<Assignment> out;
  const int n = spec.method == SweepMethod::tpe ? std::min(spec.trials, spec.tpe.startup) : spec.trials;
  for (int i = 0; i < n; ++i) out.push_back(sample_assignment(spec, i));
  return out;
}

std::vector<std::string> assignment_overrides(const Assignment& a) {
  std::vector<std::string> out;
  for (const auto& [path, value] : a) out.push_back(path + "=" + value);
  return out;
}

std::string assignment_json(const Assignment& a) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [path, text] : a) {
    // Numbers and booleans are stored as JSON numbers and booleans, so the database is easy to query.
    char* end = nullptr;
    const long long i = std::strtoll(text.c_str(), &end, 10);
    if (!text.empty() && *end == '\0') {
      j[path] = i;
      continue;
    }
    const double d = std::strtod(text.c_str(), &end);
    if (!text.empty() && *end == '\0' && std::isfinite(d)) {
      j[path] = d;
      continue;
    }
    if (text == "true" || text == "false") {
      j[path] = text == "true";
      continue;
    }
    if (!text.empty() && text[0] == '[') {
      auto parsed = nlohmann::ordered_json::parse(text, nullptr, false);
      if (!parsed.is_discarded()) {
        j[path] = parsed;
        continue;
      }
    }
    j[path] = text;
  }
  return j.dump();
}

Assignment assignment_from_json(const std::string& json) {
  const auto j = nlohmann::ordered_json::parse(json);
  Assignment a;
  for (const auto& [path, value] : j.items()) {
    if (value.is_string())
      a.emplace_back(path, value.get<std::string>());
    else if (value.is_number_float())
      a.emplace_back(path, format_number(value.get<double>()));
    else
      a.emplace_back(path, value.dump());
  }
  return a;
}

std::string canonical_value(const std::string& text) {
  return assignment_from_json(assignment_json({{"v", text}}))[0].second;
}

std::string assignment_label(const Assignment& a) {
  std::vector<std::string> names;
  for (const auto& [path, value] : a) names.push_back(path.substr(path.rfind('.') + 1));
  std::string label;
  for (size_t i = 0; i < a.size(); ++i) {
    const bool clash = std::count(names.begin(), names.end(), names[i]) > 1;
    label += (label.empty() ? "" : " ") + (clash ? a[i].first : names[i]) + "=" + a[i].second;
  }
  return label;
}

// ---- Early stopping ----------------------------------------------------------------------------------

double value_at(const Curve& curve, int64_t step) {
  double v = std::nan("");
  for (const auto& [s, value] : curve) {
    if (s > step) break;
    v = value;
  }
  return v;
}

bool worse(double a, double b, Goal goal) { return goal == Goal::maximize ? a < b : a > b; }

bool median_rule_stops(const Curve& running, const std::vector<Curve>& completed, Goal goal,
                       const EarlyStopSpec& spec) {
  if (running.empty()) return false;
  const int64_t step = running.back().first;
  if (step < spec.min_steps) return false;
  std::vector<double> others;
  for (const auto& c : completed) {
    if (c.empty() || c.back().first < step) continue;
    const double v = value_at(c, step);
    if (std::isfinite(v)) others.push_back(v);
  }
  if (others.empty() || static_cast<int>(others.size()) < spec.min_trials) return false;
  std::sort(others.begin(), others.end());
  const size_t n = others.size();
  const double median = n % 2 ? others[n / 2] : 0.5 * (others[n / 2 - 1] + others[n / 2]);
  // The running trial's best so far, so one noisy evaluation does not end it.
  double best = running.front().second;
  for (const auto& [s, v] : running)
    if (worse(best, v, goal) || !std::isfinite(best)) best = v;
  return worse(best, median, goal);
}

std::vector<int64_t> asha_rungs(const EarlyStopSpec& spec, int64_t max_step) {
  std::vector<int64_t> rungs;
  if (spec.min_steps <= 0) return rungs;
  for (int64_t r = spec.min_steps; r <= max_step; r *= spec.reduction_factor) rungs.push_back(r);
  return rungs;
}

bool asha_keeps(double value, const std::vector<double>& others_at_rung, Goal goal, int reduction_factor) {
  if (!std::isfinite(value)) return others_at_rung.empty();
  const size_t n = others_at_rung.size() + 1;
  const size_t keep = std::max<size_t>(1, n / static_cast<size_t>(reduction_factor));
  size_t better = 0;
  for (double o : others_at_rung)
    if (std::isfinite(o) && worse(value, o, goal)) ++better;
  return better < keep;
}

}  // namespace dl::app
