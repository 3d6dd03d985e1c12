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

}  // namespace dl::io
