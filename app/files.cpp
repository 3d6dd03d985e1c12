#include "app/files.h"

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

void write_file_atomic(const std::string& path, const std::string& content) {
  const fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path());
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw std::runtime_error(path + ": cannot write (" + std::strerror(errno) + ")");
    const bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size() && std::fflush(f) == 0 &&
                    ::fsync(::fileno(f)) == 0;
    std::fclose(f);
    if (!ok) {
      std::remove(tmp.c_str());
      throw std::runtime_error(path + ": write failed (disk full?)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": cannot replace the file: " + ec.message());
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open (missing or unreadable)");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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
    dir = fs::path(parent) / leaf;
    // Two runs started in the same second get distinct folders.
    for (int i = 2; fs::exists(dir); ++i) dir = fs::path(parent) / (leaf + "-" + std::to_string(i));
  }
  fs::create_directories(dir / "checkpoints");
  return dir.string();
}

}  // namespace dl::app
