// drivelab/app: run folders. (Files are written atomically through io::write_file_atomic, io/files.h.)
#pragma once
#include <string>

namespace dl::app {

// Creates runs/<env>__<algo>__<seed>__<time>[__name]/ (or `explicit_dir` when given); returns its path.
std::string make_run_dir(const std::string& parent, const std::string& env_id, const std::string& algo,
                         unsigned long long seed, const std::string& name, const std::string& explicit_dir);

}  // namespace dl::app
