#include "app/env_overrides.h"

#include <any>
#include <initializer_list>
#include <sstream>
#include <utility>

#include "app/run_config.h"

namespace dl::app {
namespace {

// Copies one field (or a whole section), named by its path, between two configs of the same type: a
// visitor over the config description (envs/env_config.h), first reading from the source, then writing into
// the destination.
class FieldCopy {
 public:
  explicit FieldCopy(std::vector<std::string> path) : path_(std::move(path)) {}
  bool found() const { return value_.has_value(); }
  void set_writing() { writing_ = true; }

  template <class T, class... Range>
  void field(const char* name, T& value, const char*, Range&&...) {
    at(name, value);
  }
  template <class T>
  void choice(const char* name, T& value, const std::vector<std::pair<std::string, T>>&, const char*) {
    at(name, value);
  }
  template <class S>
  void section(const char* name, S& sub, const char*) {
    here_.push_back(name);
    if (here_ == path_) copy(sub);
    else if (is_prefix()) visit_fields(sub, *this);
    here_.pop_back();
  }

 private:
  template <class T>
  void at(const char* name, T& value) {
    here_.push_back(name);
    if (here_ == path_) copy(value);
    here_.pop_back();
  }
  template <class T>
  void copy(T& value) {
    if (writing_) value = std::any_cast<T>(value_);
    else value_ = value;
  }
  bool is_prefix() const {
    return here_.size() < path_.size() && std::equal(here_.begin(), here_.end(), path_.begin());
  }

  std::vector<std::string> path_, here_;
  std::any value_;
  bool writing_ = false;
};

std::vector<std::string> split_path(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream ss(key);
  for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
  return parts;
}

void copy_field(const std::vector<std::string>& path, envs::EnvConfig& from, envs::EnvConfig& to) {
  FieldCopy copy(path);
  visit_fields(from, copy);
  if (!copy.found()) return;  // parse_run_config accepted it, so it names a field; nothing else to do
  copy.set_writing();
  visit_fields(to, copy);
}

}  // namespace

envs::EnvConfig env_with_overrides(const envs::EnvConfig& run_env, const std::vector<std::string>& overrides) {
  if (overrides.empty()) return run_env;
  std::vector<std::vector<std::string>> paths;
  for (const std::string& text : overrides) {
    const auto eq = text.find('=');
    const std::string key = eq == std::string::npos ? text : text.substr(0, eq);
    if (key.rfind("env.", 0) != 0 || key.size() <= 4)
      throw ConfigError("override '" + text + "': only env.KEY=VALUE overrides apply here (the run's env, changed)");
    if (key == "env.id")
      throw ConfigError("override '" + text + "': the env id is the run's; drive another env with --env where the command has it");
    std::vector<std::string> path = split_path(key.substr(4));
    paths.push_back(path);
  }
  // Checked and converted as any override is, on a config of the run's env id and preset.
  envs::EnvConfig parsed =
      parse_run_config("env: {id: " + run_env.id + ", preset: " + run_env.preset + "}", "command line", overrides).env;
  envs::EnvConfig result = run_env;
  for (const auto& path : paths) {
    // A new preset brings its track parameters; env.track.* overrides come after, in `parsed` already.
    if (path == std::vector<std::string>{"preset"}) copy_field({"track"}, parsed, result);
    copy_field(path, parsed, result);
  }
  // Track overrides given before a preset override would have been overwritten by the preset's section.
  for (const auto& path : paths)
    if (!path.empty() && path[0] == "track") copy_field(path, parsed, result);
  return result;
}

}  // namespace dl::app
