// Helpers shared by the viewer tests.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "render/raster/raster.h"
#include "tests/temp_folder.h"

namespace dl::viewer::testing {

// FNV-1a over the pixels: a stable fingerprint for golden images.
inline uint64_t pixel_hash(const raster::Image& image) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : image.rgb) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

using TempDir = dl::testing::TempFolder;

// SDL reads its video driver from the environment when video starts.
inline void use_offscreen_video() { ::setenv("SDL_VIDEODRIVER", "offscreen", 1); }

}  // namespace dl::viewer::testing
