// drivelab/app: YAML -> config structs, through the visit_fields descriptions.
#include "app/run_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>

#include "drivelab_default_config.h"
#include "envs/registry.h"
#include "io/files.h"
#include "io/names.h"

namespace dl::app {
namespace {

using io::join_path;

std::string node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    default: return "an undefined value";
  }
}

template <class T>
std::string type_name() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  else if constexpr (std::is_same_v<T, std::string>) return "a string";
  else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) return "a non-negative integer";
  else if constexpr (std::is_integral_v<T>) return "an integer";
  else if constexpr (std::is_floating_point_v<T>) return "a number";
  else return "a list of integers";
}

template <class T>
std::string to_text(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// Where a key came from, and the error text for it.
struct Origin {
  std::string file;                          // the file (or "<embedded default>")
  std::map<std::string, std::string> overrides;  // path -> "path=value" given on the command line
  std::string algo = "ppo";                  // the algorithm the tree configures (for renamed keys)

  std::string where(const std::string& path, const YAML::Node& node) const {
    auto it = overrides.find(path);
    if (it != overrides.end()) return "command-line override '" + it->second + "'";
    if (node.IsDefined() && node.Mark().line >= 0)
      return file + ":" + std::to_string(node.Mark().line + 1);
    return file;
  }
  [[noreturn]] void fail(const std::string& path, const YAML::Node& node, const std::string& msg) const {
    throw ConfigError(where(path, node) + ": key '" + path + "': " + msg);
  }
};

// Reads one YAML mapping into a struct, then reports keys the struct does not have.
class Reader {
 public:
  Reader(const YAML::Node& map, std::string prefix, const Origin& origin)
      : map_(map), prefix_(std::move(prefix)), origin_(origin) {}

  template <class T>
  void field(const char* name, T& value, const char* /*doc*/) {
    known_.push_back(name);
    if (const YAML::Node node = map_[name]) value = parse<T>(name, node);
  }

  template <class T>
  void field(const char* name, T& value, const char* /*doc*/, T lo, T hi) {
    known_.push_back(name);
    const YAML::Node node = map_[name];
    if (!node) return;
    const T parsed = parse<T>(name, node);
    if (!(parsed >= lo && parsed <= hi))  // also rejects NaN
      origin_.fail(join_path(prefix_, name), node,
                   "value " + to_text(parsed) + " is out of range: expected " + type_name<T>() +
                       " in [" + to_text(lo) + ", " + to_text(hi) + "]");
    value = parsed;
  }

  template <class T>
  void choice(const char* name, T& value, const std::vector<std::pair<std::string, T>>& options,
              const char* /*doc*/) {
    known_.push_back(name);
    const YAML::Node node = map_[name];
    if (!node) return;
    const std::string error = io::pick_choice(parse<std::string>(name, node), options, value);
    if (!error.empty()) origin_.fail(join_path(prefix_, name), node, error);
  }

  template <class S>
  void section(const char* name, S& sub, const char* /*doc*/) {
    known_.push_back(name);
    const YAML::Node node = map_[name];
    if (!node || node.IsNull()) return;
    const std::string path = join_path(prefix_, name);
    if (!node.IsMap()) origin_.fail(path, node, "expected a mapping of keys, got " + node_kind(node));
    Reader reader(node, path, origin_);
    visit_fields(sub, reader);
    reader.check_unknown();
  }

  void check_unknown() const {
    for (const auto& kv : map_) {
      const std::string key = kv.first.as<std::string>();
      if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
      const std::string moved = agents::moved_config_key(join_path(prefix_, key), origin_.algo);
      if (!moved.empty())
        origin_.fail(join_path(prefix_, key), kv.first,
                     "this key is now '" + moved + "' (the agent section is split by algorithm; docs/config.md)");
      origin_.fail(join_path(prefix_, key), kv.first, io::unknown_key_message(key, known_, prefix_));
    }
  }

 private:
  template <class T>
  T parse(const char* name, const YAML::Node& node) const {
    const std::string path = join_path(prefix_, name);
    constexpr bool is_list = !std::is_arithmetic_v<T> && !std::is_same_v<T, std::string>;
    if constexpr (is_list) {
      if (!node.IsSequence()) origin_.fail(path, node, "expected " + type_name<T>() + ", got " + node_kind(node));
    } else if (!node.IsScalar()) {
      origin_.fail(path, node, "expected " + type_name<T>() + ", got " + node_kind(node));
    }
    try {
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        // yaml-cpp reads "-1" as a huge unsigned number; reject signs for unsigned fields ourselves.
        if (std::is_unsigned_v<T> && node.Scalar().find('-') != std::string::npos) throw YAML::BadConversion(node.Mark());
      }
      T value = node.as<T>();
      if constexpr (std::is_same_v<T, std::vector<int>>) check_widths(path, node, value);
      return value;
    } catch (const YAML::BadConversion&) {
      origin_.fail(path, node, "expected " + type_name<T>() + ", got " + node_kind(node));
    }
  }

  // Every list field is a list of layer widths (agents/agent_config.h bounds them).
  void check_widths(const std::string& path, const YAML::Node& node, const std::vector<int>& widths) const {
    if (widths.size() > static_cast<size_t>(agents::kMaxHiddenLayers))
      origin_.fail(path, node, std::to_string(widths.size()) + " layers: at most " +
                                   std::to_string(agents::kMaxHiddenLayers) + " are allowed");
    for (const int w : widths)
      if (w < 1 || w > agents::kMaxLayerWidth)
        origin_.fail(path, node, "layer width " + std::to_string(w) + " is out of range: expected an integer in [1, " +
                                     std::to_string(agents::kMaxLayerWidth) + "]");
  }

  YAML::Node map_;
  std::string prefix_;
  const Origin& origin_;
  std::vector<std::string> known_;
};

// Writes a struct as YAML through the same description.
class Writer {
 public:
  explicit Writer(YAML::Emitter& out) : out_(out) {}
  template <class T>
  void field(const char* name, T& value, const char*) {
    out_ << YAML::Key << name << YAML::Value;
    if constexpr (std::is_same_v<T, std::vector<int>>) out_ << YAML::Flow << value;
    else out_ << value;
  }
  template <class T>
  void field(const char* name, T& value, const char* doc, T, T) {
    field(name, value, doc);
  }
  template <class T>
  void choice(const char* name, T& value, const std::vector<std::pair<std::string, T>>& options, const char*) {
    const std::string chosen = io::choice_name(options, value);
    if (!chosen.empty()) out_ << YAML::Key << name << YAML::Value << chosen;
  }
  template <class S>
  void section(const char* name, S& sub, const char*) {
    out_ << YAML::Key << name << YAML::Value << YAML::BeginMap;
    visit_fields(sub, *this);
    out_ << YAML::EndMap;
  }

 private:
  YAML::Emitter& out_;
};

// A section as its algorithm reads it: the agent keys of Algorithm::agent_keys (and algo), the train
// section without the env-step budget for algorithms that count something else. So a resolved config
// feeds back into `drivelab train`, where a key the algorithm does not read is an error.
class FilteredWriter {
 public:
  FilteredWriter(YAML::Emitter& out, std::function<bool(const std::string&)> shown)
      : writer_(out), shown_(std::move(shown)) {}
  template <class T, class... Rest>
  void field(const char* name, T& value, const char* doc, Rest... bounds) {
    if (shown_(name)) writer_.field(name, value, doc, bounds...);
  }
  template <class T>
  void choice(const char* name, T& value, const std::vector<std::pair<std::string, T>>& options, const char* doc) {
    if (shown_(name)) writer_.choice(name, value, options, doc);
  }
  template <class S>
  void section(const char* name, S& sub, const char* doc) {
    if (shown_(name)) writer_.section(name, sub, doc);
  }

 private:
  Writer writer_;
  std::function<bool(const std::string&)> shown_;
};

bool is_env_step_key(const std::string& key) {
  return key == "total_steps" || key == "eval_every_steps" || key == "checkpoint_every_steps";
}

template <class V>
void visit_fields(RunConfig& c, V& v) {
  v.section("env", c.env, "environment");
  v.section("agent", c.agent, "agent and hyperparameters");
  v.section("train", c.train, "training budget, seed, device, evaluation");
  v.section("run", c.run, "run folder");
}

// yaml-cpp keeps every entry of a mapping but `map[key]` finds the first, so a repeated key would be
// silently ignored; and a list or mapping used as a key cannot name a field. Both are errors, found by
// walking the whole tree once before anything reads it.
void check_tree(const YAML::Node& node, const std::string& origin_name) {
  auto where = [&](const YAML::Node& n) {
    return origin_name + (n.Mark().line >= 0 ? ":" + std::to_string(n.Mark().line + 1) : std::string());
  };
  if (node.IsSequence()) {
    for (const auto& item : node) check_tree(item, origin_name);
    return;
  }
  if (!node.IsMap()) return;
  std::set<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar())
      throw ConfigError(where(kv.first) + ": " + node_kind(kv.first) +
                        " used as a key (keys are plain names such as 'env' or 'learning_rate')");
    if (!seen.insert(kv.first.Scalar()).second)
      throw ConfigError(where(kv.first) + ": key '" + kv.first.Scalar() +
                        "' appears twice in the same mapping (the first would win; remove one)");
    check_tree(kv.second, origin_name);
  }
}

// An override as messages show it: on one line, control characters escaped ("a=- 1\n- 2" -> "a=- 1\\n- 2").
std::string shown_override(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20) out += '?';
    else out += c;
  }
  return out;
}

// Sets root[a][b][c] = value for "a.b.c=value", creating mappings on the way.
void apply_override(YAML::Node& root, const std::string& raw_text, Origin& origin) {
  const std::string text = shown_override(raw_text);  // for messages; the value is parsed from raw_text
  const auto eq = raw_text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("command-line override '" + text + "': expected key.path=value");
  const std::string path = raw_text.substr(0, eq);
  const std::string value_text = raw_text.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(value_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError("command-line override '" + text + "': the value is not valid YAML: " + e.msg);
  }
  std::vector<std::string> parts;
  size_t begin = 0;
  for (;;) {  // split on '.', keeping empty parts ("train.seed." has one at the end)
    const size_t dot = path.find('.', begin);
    parts.push_back(path.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin));
    if (parts.back().empty())
      throw ConfigError("command-line override '" + text + "': empty key in '" + shown_override(path) +
                        "' (expected key.path=value, e.g. train.seed=3)");
    if (dot == std::string::npos) break;
    begin = dot + 1;
  }
  check_tree(value, "command-line override '" + text + "'");
  YAML::Node node = root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node child = node[parts[i]];
    if (!child.IsMap()) {
      node[parts[i]] = YAML::Node(YAML::NodeType::Map);
      child.reset(node[parts[i]]);
    }
    node.reset(child);
  }
  node[parts.back()] = value;
  origin.overrides[path] = text;
}

}  // namespace

const std::string& embedded_default_config() {
  static const std::string text = kEmbeddedDefaultConfig;
  return text;
}

namespace {

// Parses one YAML document (a second one is an error: it would be ignored) and checks its tree.
YAML::Node load_document(const std::string& yaml_text, const std::string& origin_name) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin_name + ":" + std::to_string(e.mark.line + 1) + ": malformed YAML: " + e.msg);
  }
  if (documents.size() > 1)
    throw ConfigError(origin_name + ":" + std::to_string(documents[1].Mark().line + 1) +
                      ": a second YAML document (after '---'); a run config is one document");
  YAML::Node root = documents.empty() ? YAML::Node(YAML::NodeType::Map) : documents.front();
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap())
    throw ConfigError(origin_name + ":" + std::to_string(root.Mark().line + 1) +
                      ": expected a mapping with env, agent, train and run sections, got " + node_kind(root));
  check_tree(root, origin_name);
  return root;
}

// Reads one config tree over `config`: only the keys the tree has change it. A different env id starts
// the env section from that env's registry defaults, and a different algorithm the agent section from the
// struct defaults, since the values a tree was layered over were chosen for another env or algorithm.
// `embedded`: the tree is the embedded default config (with the command line's overrides when no file is
// given).
void read_tree(RunConfig& config, const YAML::Node& root, Origin& origin, bool embedded) {
  if (const YAML::Node env = root["env"]; env && env.IsMap()) {
    Reader head(env, "env", origin);
    std::string id = config.env.id;
    head.choice("id", id, envs::env_id_choices(), "");
    if (id != config.env.id) config.env = envs::default_env_config(id);
    if (env["preset"]) {
      head.choice("preset", config.env.preset, envs::preset_choices(), "");
      envs::apply_preset(config.env);  // the preset sets the track; the env section's other keys follow
    }
  }
  const YAML::Node agent = root["agent"];
  if (agent && agent.IsMap()) {
    Reader head(agent, "agent", origin);
    std::string algo = config.agent.algo;
    head.choice("algo", algo, agents::algorithm_choices(), "");
    if (algo != config.agent.algo) config.agent = agents::AgentConfig{};
    config.agent.algo = algo;
  }
  origin.algo = config.agent.algo;
  Reader reader(root, "", origin);
  visit_fields(config, reader);
  reader.check_unknown();
  // Every agent key the tree sets must be one its algorithm reads: another algorithm's section, or a shared
  // key this one ignores (track_gan has its own learning rate), would be silently unused.
  if (agent && agent.IsMap()) {
    const std::vector<std::string> reads = agents::algorithm_agent_keys(config.agent.algo);
    for (const auto& kv : agent) {
      const std::string key = kv.first.Scalar();
      if (key == "algo" || std::find(reads.begin(), reads.end(), key) != reads.end()) continue;
      std::string path = "agent." + key;  // or the command-line override that set it (or a key inside it)
      bool overridden = false;
      for (const auto& [p, text] : origin.overrides)
        if (p == path || p.rfind(path + ".", 0) == 0) {
          path = p;
          overridden = true;
          break;
        }
      // `drivelab train agent.algo=a2c` without a file: the embedded default's PPO keys are not the user's.
      if (embedded && !overridden) continue;
      std::string list;
      for (const auto& k : reads) list += (list.empty() ? "agent." : ", agent.") + k;
      origin.fail(path, kv.first,
                  "agent.algo " + config.agent.algo + " does not read this key (it reads " + list + ")");
    }
  }
  // The env-step budget and intervals, for the algorithms that count something else.
  const YAML::Node train = root["train"];
  if (train && train.IsMap() && !agents::algorithm_counts_env_steps(config.agent.algo))
    for (const auto& kv : train) {
      const std::string key = kv.first.Scalar();
      const std::string path = "train." + key;
      if (!is_env_step_key(key) || (embedded && origin.overrides.count(path) == 0)) continue;
      origin.fail(path, kv.first,
                  "agent.algo " + config.agent.algo +
                      " does not count env steps; its budget and intervals are in its own section (docs/config.md)");
    }
}

// cuda:N with N small enough to be a device index (so no text of digits overflows an int later).
constexpr size_t kMaxDeviceIndexDigits = 4;

}  // namespace

RunConfig parse_run_config(const std::string& yaml_text, const std::string& origin_name,
                           const std::vector<std::string>& overrides) {
  Origin origin{origin_name, {}};
  YAML::Node root = load_document(yaml_text, origin_name);
  for (const auto& text : overrides) apply_override(root, text, origin);

  // The embedded default config is the base of every config, so a file lists only what it changes and
  // a file without an env section trains the default env, not the struct defaults.
  RunConfig config;
  config.env = envs::default_env_config(config.env.id);
  if (yaml_text != embedded_default_config()) {
    Origin embedded{"<embedded default config>", {}};
    read_tree(config, load_document(embedded_default_config(), embedded.file), embedded, true);
  }
  read_tree(config, root, origin, yaml_text == embedded_default_config());

  const std::string& device = config.train.device;
  const bool cuda_n = device.rfind("cuda:", 0) == 0 && device.size() > 5 &&
                      device.size() <= 5 + kMaxDeviceIndexDigits &&
                      std::all_of(device.begin() + 5, device.end(), ::isdigit);
  if (device != "auto" && device != "cpu" && device != "cuda" && !cuda_n)
    origin.fail("train.device", root["train"]["device"],
                "unknown device '" + device + "': expected auto, cpu, cuda or cuda:N (N a device index)");
  return config;
}

void check_yaml_text(const std::string& yaml_text, const std::string& origin) { load_document(yaml_text, origin); }

std::string read_config_text(const std::string& path, const std::string& what) {
  try {
    return io::read_file_limited(path, io::kMaxConfigBytes, what);
  } catch (const io::InputError& e) {
    throw ConfigError(e.what());
  }
}

RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides) {
  if (path.empty()) return parse_run_config(embedded_default_config(), "<embedded default config>", overrides);
  return parse_run_config(read_config_text(path, "config file"), path, overrides);
}

std::string to_yaml(RunConfig& config) {
  YAML::Emitter out;
  out.SetFloatPrecision(7);
  out << YAML::BeginMap;
  Writer writer(out);
  writer.section("env", config.env, "");
  const std::vector<std::string> keys = agents::algorithm_agent_keys(config.agent.algo);
  out << YAML::Key << "agent" << YAML::Value << YAML::BeginMap;
  FilteredWriter agent(out, [&](const std::string& key) {
    return key == "algo" || std::find(keys.begin(), keys.end(), key) != keys.end();
  });
  visit_fields(config.agent, agent);
  out << YAML::EndMap;
  const bool env_steps = agents::algorithm_counts_env_steps(config.agent.algo);
  out << YAML::Key << "train" << YAML::Value << YAML::BeginMap;
  FilteredWriter train(out, [&](const std::string& key) { return env_steps || !is_env_step_key(key); });
  visit_fields(config.train, train);
  out << YAML::EndMap;
  writer.section("run", config.run, "");
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string env_config_yaml(envs::EnvConfig& config) {
  YAML::Emitter out;
  out.SetFloatPrecision(7);
  out << YAML::BeginMap;
  Writer writer(out);
  visit_fields(config, writer);
  out << YAML::EndMap;
  return out.c_str();
}

}  // namespace dl::app
