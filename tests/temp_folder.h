// A temporary folder for tests of any layer (no project includes, so sim/envs/data/viewer tests can use it).
#pragma once
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace dl::testing {

// A fresh folder under the system's temporary directory, named by `tag`, the process id and a counter (so
// two folders of one process never clash), removed with everything in it at the end of the scope.
struct TempFolder {
  std::filesystem::path path;
  explicit TempFolder(const std::string& tag = "test") {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("dl_" + tag + "_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
};

}  // namespace dl::testing
