// drivelab/io: "did you mean" for names (config keys, choices, commands), below every layer so the YAML
// reader, the CLI, the sweep and the Python package suggest with one rule.
#pragma once
#include <string>
#include <vector>

namespace dl::io {

// The nearest of `candidates` to `word` by edit distance (Levenshtein), or "" if none is within
// max(2, |word| / 3) edits.
std::string nearest_key(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace dl::io
