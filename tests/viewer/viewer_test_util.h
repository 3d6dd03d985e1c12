// Helpers shared by the viewer tests.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "render/raster/raster.h"

namespace dl::viewer::testing {

// FNV-1a over the pixels: a stable fingerprint for golden images.
inline uint64_t pixel_hash(const raster::Image& image) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : image.rgb) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

// A fresh folder under the system temp dir, removed with the object.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() / ("drivelab_viewer_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// SDL reads its video driver from the environment when video starts.
inline void use_offscreen_video() { ::setenv("SDL_VIDEODRIVER", "offscreen", 1); }

}  // namespace dl::viewer::testing
