#include "io/names.h"

#include <algorithm>

namespace dl::io {

std::string nearest_key(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::string::npos;
  for (const auto& cand : candidates) {
    // Edit distance with two rows of the table.
    std::vector<size_t> prev(cand.size() + 1), cur(cand.size() + 1);
    for (size_t j = 0; j <= cand.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= cand.size(); ++j)
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (word[i - 1] == cand[j - 1] ? 0 : 1)});
      std::swap(prev, cur);
    }
    if (prev[cand.size()] < best_distance) {
      best_distance = prev[cand.size()];
      best = cand;
    }
  }
  const size_t limit = std::max<size_t>(2, word.size() / 3);
  return best_distance <= limit ? best : "";
}

std::string join_path(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

namespace {
std::string comma_list(const std::vector<std::string>& names) {
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  return all;
}
}  // namespace

std::string unknown_value_message(const std::string& value, const std::vector<std::string>& allowed) {
  std::string msg = "unknown value '" + value + "': expected one of " + comma_list(allowed);
  const std::string near = nearest_key(value, allowed);
  if (!near.empty()) msg += " (did you mean '" + near + "'?)";
  return msg;
}

std::string unknown_key_message(const std::string& key, const std::vector<std::string>& known,
                                const std::string& prefix) {
  const std::string near = nearest_key(key, known);
  if (!near.empty()) return "unknown key (did you mean '" + join_path(prefix, near) + "'?)";
  return "unknown key; known keys here: " + comma_list(known);
}

}  // namespace dl::io
