// drivelab/io: "did you mean" for names (config keys, choices, commands), below every layer so the YAML
// reader, the CLI, the sweep and the Python package suggest with one rule.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace dl::io {

// The nearest of `candidates` to `word` by edit distance (Levenshtein), or "" if none is within
// max(2, |word| / 3) edits.
std::string nearest_key(const std::string& word, const std::vector<std::string>& candidates);

// "prefix.key", or "key" at the top level: the dotted paths config errors name.
std::string join_path(const std::string& prefix, const std::string& key);

// The config readers' messages (YAML files, command-line overrides, Python dicts), one wording for all:
// "unknown value 'x': expected one of a, b (did you mean 'a'?)"
std::string unknown_value_message(const std::string& value, const std::vector<std::string>& allowed);
// "unknown key (did you mean 'prefix.a'?)", or "unknown key; known keys here: a, b" when nothing is near.
std::string unknown_key_message(const std::string& key, const std::vector<std::string>& known,
                                const std::string& prefix);

// Sets `value` to the option named `text` and returns "", or returns unknown_value_message. `options`: pairs
// of a name and the value it stands for.
template <class Options, class T>
std::string pick_choice(const std::string& text, const Options& options, T& value) {
  std::vector<std::string> names;
  for (const auto& [name, option] : options) {
    if (text == name) {
      value = option;
      return "";
    }
    names.push_back(name);
  }
  return unknown_value_message(text, names);
}

// The name of the option whose value is `value` (the first, if several), or "" when none is: what the config
// writers (YAML, checkpoint text, Python dicts) write for a choice.
template <class Options, class T>
std::string choice_name(const Options& options, const T& value) {
  for (const auto& [name, option] : options)
    if (option == value) return std::string(name);
  return "";
}

}  // namespace dl::io
