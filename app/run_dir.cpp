#include "app/run_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace fs = std::filesystem;

namespace dl::app {

std::string make_run_dir(const std::string& parent, const std::string& env_id, const std::string& algo,
                         unsigned long long seed, const std::string& name, const std::string& explicit_dir) {
  fs::path dir;
  if (!explicit_dir.empty()) {
    dir = explicit_dir;
  } else {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    std::string leaf = env_id + "__" + algo + "__" + std::to_string(seed) + "__" + stamp;
    if (!name.empty()) leaf += "__" + name;
    // mkdir is the test and the claim in one step, so two runs started in the same second (or two
    // processes racing) never share a folder: the loser takes the next suffix.
    if (!parent.empty()) fs::create_directories(parent);
    for (int i = 1;; ++i) {
      dir = fs::path(parent) / (i == 1 ? leaf : leaf + "-" + std::to_string(i));
      if (::mkdir(dir.c_str(), 0777) == 0) break;
      if (errno != EEXIST)
        throw std::runtime_error(dir.string() + ": cannot create the run folder: " + std::strerror(errno));
      if (i >= 100000) throw std::runtime_error(dir.string() + ": too many run folders with this name");
    }
  }
  fs::create_directories(dir / "checkpoints");
  return dir.string();
}

}  // namespace dl::app
