// drivelab/app: files written so that nothing a user had is lost: temp file, then rename.
#pragma once
#include <string>

namespace dl::app {

// Writes `content` to `path` atomically (a temp file beside it, flushed, then renamed over it).
void write_file_atomic(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);  // throws std::runtime_error naming the path

// Creates runs/<env>__<algo>__<seed>__<time>[__name]/ (or `explicit_dir` when given); returns its path.
std::string make_run_dir(const std::string& parent, const std::string& env_id, const std::string& algo,
                         unsigned long long seed, const std::string& name, const std::string& explicit_dir);

}  // namespace dl::app
