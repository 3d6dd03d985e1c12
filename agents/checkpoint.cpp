#include "agents/checkpoint.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "agents/trainer.h"
#include "io/crc32.h"
#include "io/files.h"
#include "io/names.h"

namespace dl::agents {

namespace {

// 2: the file ends with the CRC trailer (version 1 files have none and still load).
constexpr int64_t kFormatVersion = 2;
constexpr int64_t kOldestReadableVersion = 1;

constexpr char kTrailerMagic[4] = {'D', 'L', 'C', 'K'};
constexpr size_t kTrailerBytes = 16;  // uint64 payload size, uint32 CRC-32, magic (little-endian)

// ---- configs as `path=value` text ---------------------------------------------------------------------

std::string format_value(bool v) { return v ? "true" : "false"; }
std::string format_value(const std::string& v) { return v; }
std::string format_value(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}
template <class T>
std::enable_if_t<std::is_integral_v<T>, std::string> format_value(T v) {
  return std::to_string(v);
}
template <class T>
std::enable_if_t<std::is_floating_point_v<T>, std::string> format_value(T v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(v));  // round-trips exactly
  return buf;
}

class TextWriter {
 public:
  explicit TextWriter(std::string prefix) : prefix_(std::move(prefix)) {}
  template <class T>
  void field(const std::string& name, T& value, const std::string& = {}) {
    out_ += prefix_ + name + "=" + format_value(value) + "\n";
  }
  template <class T, class L, class H>
  void field(const std::string& name, T& value, const std::string& doc, L, H) {
    field(name, value, doc);
  }
  template <class T>
  void choice(const std::string& name, T& value,
              const std::vector<std::pair<std::string, T>>& options, const std::string& doc = {}) {
    const std::string chosen = io::choice_name(options, value);
    if (!chosen.empty()) out_ += prefix_ + name + "=" + chosen + "\n";
  }
  template <class S>
  void section(const std::string& name, S& sub, const std::string& = {}) {
    TextWriter inner(prefix_ + name + ".");
    visit_fields(sub, inner);
    out_ += inner.out_;
  }
  std::string out_;

 private:
  std::string prefix_;
};

[[noreturn]] void bad_value(const std::string& key, const std::string& value) {
  throw std::runtime_error("config text: cannot read '" + value + "' for " + key);
}

void parse_value(const std::string& key, const std::string& s, bool& v) {
  if (s == "true") v = true;
  else if (s == "false") v = false;
  else bad_value(key, s);
}
void parse_value(const std::string&, const std::string& s, std::string& v) { v = s; }
void parse_value(const std::string& key, const std::string& s, std::vector<int>& v) {
  v.clear();
  std::stringstream ss(s);
  std::string item;
  try {
    while (std::getline(ss, item, ',')) v.push_back(std::stoi(item));
  } catch (const std::exception&) {
    bad_value(key, s);
  }
}
template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> parse_value(const std::string& key, const std::string& s, T& v) {
  try {
    size_t used = 0;
    if constexpr (std::is_floating_point_v<T>) v = static_cast<T>(std::stod(s, &used));
    else if constexpr (std::is_unsigned_v<T>) v = static_cast<T>(std::stoull(s, &used));
    else v = static_cast<T>(std::stoll(s, &used));
    if (used != s.size()) bad_value(key, s);
  } catch (const std::logic_error&) {
    bad_value(key, s);
  }
}

class TextReader {
 public:
  TextReader(std::map<std::string, std::string>& values, std::string prefix)
      : values_(values), prefix_(std::move(prefix)) {}
  template <class T>
  void field(const std::string& name, T& value, const std::string& = {}) {
    auto it = values_.find(prefix_ + name);
    if (it == values_.end()) return;  // older checkpoints may lack newer fields: keep the default
    parse_value(it->first, it->second, value);
    values_.erase(it);
  }
  template <class T, class L, class H>
  void field(const std::string& name, T& value, const std::string& doc, L, H) {
    field(name, value, doc);
  }
  template <class T>
  void choice(const std::string& name, T& value,
              const std::vector<std::pair<std::string, T>>& options, const std::string& = {}) {
    auto it = values_.find(prefix_ + name);
    if (it == values_.end()) return;
    if (!io::pick_choice(it->second, options, value).empty()) bad_value(it->first, it->second);
    values_.erase(it);
  }
  template <class S>
  void section(const std::string& name, S& sub, const std::string& = {}) {
    TextReader inner(values_, prefix_ + name + ".");
    visit_fields(sub, inner);
  }

 private:
  std::map<std::string, std::string>& values_;
  std::string prefix_;
};

// ---- archive helpers -----------------------------------------------------------------------------------

torch::Tensor doubles_to_tensor(const std::vector<double>& v) {
  return torch::tensor(v.empty() ? std::vector<double>{} : v, torch::kFloat64).clone();
}
std::vector<double> tensor_to_doubles(const torch::Tensor& t) {
  auto c = t.to(torch::kCPU, torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

[[noreturn]] void checkpoint_error(const std::string& path, const std::string& what) {
  throw CheckpointError("checkpoint " + path + ": " + what);
}


template <class T>
T read_ivalue(torch::serialize::InputArchive& archive, const std::string& path, const std::string& key) {
  c10::IValue value;
  if (!archive.try_read(key, value)) checkpoint_error(path, "missing entry '" + key + "'");
  try {
    return value.to<T>();
  } catch (const std::exception&) {
    checkpoint_error(path, "entry '" + key + "' has the wrong type");
  }
}

torch::Tensor read_tensor(torch::serialize::InputArchive& archive, const std::string& path,
                          const std::string& key) {
  torch::Tensor t;
  if (!archive.try_read(key, t)) checkpoint_error(path, "missing entry '" + key + "'");
  check_finite(path, key, t);
  return t;
}

}  // namespace

void save_archive(torch::serialize::OutputArchive& archive, const std::string& path) {
  namespace fs = std::filesystem;
  std::string bytes;
  try {
    archive.save_to([&bytes](const void* data, size_t size) {
      bytes.append(static_cast<const char*>(data), size);
      return size;
    });
  } catch (const std::exception& e) {
    checkpoint_error(path, "could not serialize: " + io::first_line(e.what()));
  }
  const uint64_t payload = bytes.size();
  const uint32_t crc = io::crc32(bytes.data(), bytes.size());
  char trailer[kTrailerBytes];
  std::memcpy(trailer, &payload, 8);  // little-endian hosts only, as the rest of our binary formats
  std::memcpy(trailer + 8, &crc, 4);
  std::memcpy(trailer + 12, kTrailerMagic, 4);
  bytes.append(trailer, kTrailerBytes);
  try {
    const fs::path target(path);
    if (target.has_parent_path()) fs::create_directories(target.parent_path());
    io::write_file_atomic(path, bytes);
  } catch (const io::InputError& e) {
    throw CheckpointError(e.what());
  } catch (const std::exception& e) {
    checkpoint_error(path, std::string("could not write: ") + e.what());
  }
}

bool load_archive(const std::string& path, torch::serialize::InputArchive& archive) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) checkpoint_error(path, "file not found");
  std::string bytes;
  try {
    bytes = io::read_file_limited(path, io::kMaxModelBytes, "checkpoint");
  } catch (const io::InputError& e) {
    throw CheckpointError(std::string("checkpoint ") + e.what());
  }
  size_t size = bytes.size();
  bool checked = false;
  if (size >= kTrailerBytes && std::memcmp(bytes.data() + size - 4, kTrailerMagic, 4) == 0) {
    uint64_t payload = 0;
    uint32_t stored = 0;
    std::memcpy(&payload, bytes.data() + size - kTrailerBytes, 8);
    std::memcpy(&stored, bytes.data() + size - kTrailerBytes + 8, 4);
    if (payload != size - kTrailerBytes)
      checkpoint_error(path, "damaged: the trailer says " + std::to_string(payload) + " bytes, the file has " +
                                 std::to_string(size - kTrailerBytes) + " (truncated or extended?)");
    const uint32_t actual = io::crc32(bytes.data(), payload);
    if (actual != stored) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "damaged: CRC-32 %08x, the trailer says %08x", actual, stored);
      checkpoint_error(path, buf);
    }
    size = payload;
    checked = true;
  }
  try {
    archive.load_from(bytes.data(), size);
  } catch (const std::exception& e) {
    checkpoint_error(path, "not a readable drivelab checkpoint (corrupt or truncated?): " + io::first_line(e.what()));
  }
  return checked;
}

void check_finite(const std::string& path, const std::string& name, const torch::Tensor& tensor) {
  if (!tensor.defined() || !tensor.is_floating_point() || tensor.numel() == 0) return;
  if (!torch::isfinite(tensor).all().item<bool>())
    checkpoint_error(path, "tensor '" + name + "' has NaN or infinite values");
}

void check_module_finite(const std::string& path, const torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (const auto& item : module.named_parameters()) check_finite(path, item.key(), item.value());
  for (const auto& item : module.named_buffers()) check_finite(path, item.key(), item.value());
}

int64_t checkpoint_step(const std::string& path) {
  torch::serialize::InputArchive archive;
  load_archive(path, archive);
  c10::IValue value;
  for (const char* key : {"global_step", "step"})
    if (archive.try_read(key, value) && value.isInt()) return value.toInt();
  checkpoint_error(path, "has no step counter (global_step or step)");
}

std::string configs_to_text(const envs::EnvConfig& env, const AgentConfig& agent, const TrainConfig& train) {
  envs::EnvConfig e = env;
  AgentConfig a = agent;
  TrainConfig t = train;
  TextWriter w("");
  w.section("env", e);
  w.section("agent", a);
  w.section("train", t);
  return w.out_;
}

void configs_from_text(const std::string& text, envs::EnvConfig& env, AgentConfig& agent,
                       TrainConfig& train) {
  std::map<std::string, std::string> values;
  std::stringstream ss(text);
  std::string line;
  int line_no = 0;
  while (std::getline(ss, line)) {
    ++line_no;
    if (line.empty()) continue;
    auto eq = line.find('=');
    if (eq == std::string::npos)
      throw std::runtime_error("config text line " + std::to_string(line_no) + ": no '=' in '" + line + "'");
    values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  // Checkpoints written before the agent section was split by algorithm hold the old flat keys.
  const auto algo = values.find("agent.algo");
  const std::string algo_name = algo == values.end() ? "ppo" : algo->second;
  std::map<std::string, std::string> moved;
  for (auto& [key, value] : values) {
    const std::string to = moved_config_key(key, algo_name);
    moved[to.empty() ? key : to] = std::move(value);
  }
  values = std::move(moved);
  TextReader r(values, "");
  r.section("env", env);
  r.section("agent", agent);
  r.section("train", train);
  if (!values.empty()) throw std::runtime_error("config text: unknown key '" + values.begin()->first + "'");
}

void save_checkpoint(const std::string& path, ActorCritic& policy, torch::optim::Optimizer* optimizer,
                     const CheckpointData& data) {
  namespace fs = std::filesystem;
  torch::serialize::OutputArchive archive;
  archive.write("format_version", c10::IValue(kFormatVersion));
  archive.write("algo", c10::IValue(data.algo));
  archive.write("config_text", c10::IValue(configs_to_text(data.env, data.agent, data.train)));
  archive.write("resolved_config", c10::IValue(data.resolved_config));
  archive.write("global_step", c10::IValue(data.global_step));
  archive.write("update", c10::IValue(data.update));
  archive.write("best_eval_return", c10::IValue(data.best_eval_return));
  archive.write("has_best_eval", c10::IValue(data.has_best_eval));
  archive.write("obs_norm", doubles_to_tensor(data.obs_norm));
  archive.write("reward_scaler", doubles_to_tensor(data.reward_scaler));
  {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    archive.write("rng", generator.get_state());
  }
  // Tensors by full name, copied out: training makes parameters views of one flat buffer (session.h), and
  // a view would drag that whole buffer into the file once per parameter.
  torch::serialize::OutputArchive model;
  std::string names;
  int64_t index = 0;
  for (const auto& [items, is_buffer] : {std::pair{policy->named_parameters(), false},
                                         std::pair{policy->named_buffers(), true}})
    for (const auto& item : items) {
      names += item.key() + "\n";
      model.write("t" + std::to_string(index++), item.value().detach().to(torch::kCPU).clone(), is_buffer);
    }
  model.write("names", c10::IValue(names));
  archive.write("model", model);
  if (optimizer) {
    torch::serialize::OutputArchive opt;
    optimizer->save(opt);
    archive.write("optimizer", opt);
  }
  save_archive(archive, path);
}

std::string checkpoint_algo(const std::string& path) {
  torch::serialize::InputArchive archive;
  load_archive(path, archive);
  return read_ivalue<std::string>(archive, path, "algo");
}

CheckpointData checkpoint_data(const TrainJob& job, int64_t global_step) {
  CheckpointData d;
  d.env = job.env;
  d.agent = job.agent;
  d.train = job.train;
  d.resolved_config = job.resolved_config;
  d.global_step = global_step;
  d.algo = job.agent.algo;
  return d;
}

CheckpointData read_checkpoint_data(const std::string& path) {
  torch::serialize::InputArchive archive;
  const bool checked = load_archive(path, archive);
  const auto version = read_ivalue<int64_t>(archive, path, "format_version");
  if (version < kOldestReadableVersion || version > kFormatVersion)
    checkpoint_error(path, "format version " + std::to_string(version) + ", this build reads " +
                               std::to_string(kOldestReadableVersion) + " to " + std::to_string(kFormatVersion));
  if (version >= 2 && !checked) checkpoint_error(path, "damaged: its CRC trailer is missing (truncated?)");
  CheckpointData d;
  d.algo = read_ivalue<std::string>(archive, path, "algo");
  try {
    configs_from_text(read_ivalue<std::string>(archive, path, "config_text"), d.env, d.agent, d.train);
  } catch (const std::runtime_error& e) {
    checkpoint_error(path, e.what());
  }
  d.resolved_config = read_ivalue<std::string>(archive, path, "resolved_config");
  d.global_step = read_ivalue<int64_t>(archive, path, "global_step");
  d.update = read_ivalue<int64_t>(archive, path, "update");
  d.best_eval_return = read_ivalue<double>(archive, path, "best_eval_return");
  d.has_best_eval = read_ivalue<bool>(archive, path, "has_best_eval");
  d.obs_norm = tensor_to_doubles(read_tensor(archive, path, "obs_norm"));
  d.reward_scaler = tensor_to_doubles(read_tensor(archive, path, "reward_scaler"));
  return d;
}

void load_checkpoint_state(const std::string& path, ActorCritic& policy,
                           torch::optim::Optimizer* optimizer, bool restore_rng) {
  torch::serialize::InputArchive archive;
  load_archive(path, archive);
  try {
    torch::serialize::InputArchive model;
    if (!archive.try_read("model", model)) checkpoint_error(path, "missing entry 'model'");
    c10::IValue names_value;
    if (!model.try_read("names", names_value)) checkpoint_error(path, "missing entry 'model/names'");
    std::map<std::string, torch::Tensor> saved;
    std::stringstream names(names_value.toStringRef());
    std::string name;
    for (int64_t index = 0; std::getline(names, name); ++index) {
      torch::Tensor t;
      if (!model.try_read("t" + std::to_string(index), t) &&
          !model.try_read("t" + std::to_string(index), t, /*is_buffer=*/true))
        checkpoint_error(path, "missing tensor of " + name);
      check_finite(path, name, t);
      saved[name] = t;
    }
    // Copied into the existing tensors (not swapped in), so views of a flat buffer keep aliasing it.
    torch::NoGradGuard no_grad;
    for (const auto& [items, kind] : {std::pair{policy->named_parameters(), "parameter"},
                                      std::pair{policy->named_buffers(), "buffer"}})
      for (const auto& item : items) {
        auto it = saved.find(item.key());
        if (it == saved.end())
          checkpoint_error(path, std::string("has no ") + kind + " '" + item.key() +
                                     "': it was written for another network configuration");
        if (it->second.sizes() != item.value().sizes())
          checkpoint_error(path, std::string(kind) + " '" + item.key() + "' has shape " +
                                     c10::str(it->second.sizes()) + ", this network needs " +
                                     c10::str(item.value().sizes()));
        item.value().copy_(it->second);
      }
    if (optimizer) {
      torch::serialize::InputArchive opt;
      if (!archive.try_read("optimizer", opt)) checkpoint_error(path, "missing entry 'optimizer'");
      optimizer->load(opt);
    }
  } catch (const std::runtime_error&) {
    throw;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    checkpoint_error(path, "model or optimizer do not match this config: " + io::first_line(msg));
  }
  if (restore_rng) {
    at::Generator generator = at::detail::getDefaultCPUGenerator();  // a handle to the shared generator
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(read_tensor(archive, path, "rng"));
  }
}

}  // namespace dl::agents
