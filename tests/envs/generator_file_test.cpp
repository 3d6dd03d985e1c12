// The track generator file's CRC: any damage to a version-2 file is an error naming the file; version-1
// files (written before the CRC) still load.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "envs/track_generator.h"

using namespace dl::envs;

namespace {

TrackGenerator small_generator() {
  TrackGenerator g;
  g.latent_dim = 4;
  g.samples = 16;
  GeneratorLayer layer;
  layer.in = 4;
  layer.out = 17;
  for (int i = 0; i < 4 * 17; ++i) layer.weight.push_back(0.01f * static_cast<float>(i % 7 - 3));
  layer.bias.assign(17, 0.f);
  g.layers = {layer};
  g.output_mean.assign(17, 0.39f);
  g.output_scale.assign(17, 0.05f);
  g.note = "crc test";
  return g;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("drivelab_genfile_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

TEST_CASE("a flipped bit anywhere in a generator file is found by its CRC", "[generator]") {
  const std::string path = temp_path("good.dltg"), bad = temp_path("bad.dltg");
  save_generator(small_generator(), path);
  const std::string bytes = read_bytes(path);
  REQUIRE(bytes.size() > 300);
  REQUIRE_NOTHROW(load_generator(path));
  int refused = 0, tried = 0;
  for (size_t at = 12; at < bytes.size(); at += 7) {  // past magic and version
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x04);
    write_bytes(bad, damaged);
    ++tried;
    try {
      load_generator(bad);
    } catch (const std::runtime_error& e) {
      CHECK_THAT(e.what(), Catch::Contains(bad));
      ++refused;
    }
  }
  CHECK(refused == tried);
  std::filesystem::remove(path);
  std::filesystem::remove(bad);
}

TEST_CASE("a version-1 generator file (no CRC) still loads", "[generator]") {
  const std::string path = temp_path("v1.dltg");
  save_generator(small_generator(), path);
  std::string bytes = read_bytes(path);
  bytes.resize(bytes.size() - 4);  // drop the CRC
  const uint32_t one = 1;
  std::memcpy(bytes.data() + 8, &one, 4);  // the version after the 8-byte magic
  write_bytes(path, bytes);
  const TrackGenerator g = load_generator(path);
  CHECK(g.note == "crc test");
  CHECK(g.forward(std::vector<float>(4, 0.5f)).size() == 17);
  std::filesystem::remove(path);
}
