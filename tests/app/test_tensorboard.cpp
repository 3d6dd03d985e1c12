// TensorBoard event files: CRC-32C, the TFRecord framing and hand-encoded protobuf bytes. TensorBoard's own
// reader reads a real run's events in python/tests/test_tensorboard.py.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "app/train/metrics.h"
#include "app/train/tensorboard.h"

namespace fs = std::filesystem;
using namespace dl::app;

namespace {
std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}
uint32_t read_u32(const std::string& s, size_t at) {
  uint32_t v;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}
uint64_t read_u64(const std::string& s, size_t at) {
  uint64_t v;
  std::memcpy(&v, s.data() + at, 8);
  return v;
}
}  // namespace

TEST_CASE("crc32c matches the Castagnoli check values", "[tensorboard]") {
  const std::string digits = "123456789";
  CHECK(crc32c(digits.data(), digits.size()) == 0xE3069283u);
  const std::string zeros(32, '\0');
  CHECK(crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);  // RFC 3720 B.4
  const std::string ones(32, '\xff');
  CHECK(crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
  // Continuing a CRC over two pieces equals one pass.
  CHECK(crc32c(digits.data() + 4, 5, crc32c(digits.data(), 4)) == 0xE3069283u);
}

TEST_CASE("a TFRecord frames data with its length and masked CRCs", "[tensorboard]") {
  const std::string data = "hello";
  const std::string record = tf_record(data);
  REQUIRE(record.size() == 8 + 4 + data.size() + 4);
  CHECK(read_u64(record, 0) == data.size());
  const uint32_t length_crc = read_u32(record, 8);
  CHECK(length_crc == masked_crc32c(record.data(), 8));
  CHECK(record.substr(12, data.size()) == data);
  CHECK(read_u32(record, 12 + data.size()) == masked_crc32c(data.data(), data.size()));
  // The mask: rotate right by 15, add the constant.
  const uint32_t c = crc32c(data.data(), data.size());
  CHECK(masked_crc32c(data.data(), data.size()) == ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST_CASE("a scalar event encodes wall time, step and a tagged simple value", "[tensorboard]") {
  const std::string event = tb_scalar_event(1.5, 300, "charts/SPS", 2.0f);
  std::string expected = bytes({0x09});  // field 1, 64-bit
  expected += bytes({0, 0, 0, 0, 0, 0, 0xF8, 0x3F});  // 1.5 as a little-endian double
  expected += bytes({0x10, 0xAC, 0x02});              // field 2 varint 300
  // field 5 (summary), length 19: value (field 1), length 17: tag "charts/SPS" (1, len 10) + float (2) 2.0
  expected += bytes({0x2A, 19, 0x0A, 17, 0x0A, 10});
  expected += "charts/SPS";
  expected += bytes({0x15, 0, 0, 0, 0x40});
  CHECK(event == expected);
}

TEST_CASE("the writer starts with the file version and mirrors CsvMetrics scalars", "[tensorboard]") {
  const fs::path dir = fs::temp_directory_path() / ("drivelab_test_tb_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string path;
  {
    TensorBoardWriter tb(dir.string());
    path = tb.path();
    CsvMetrics metrics((dir / "metrics.csv").string(), /*progress=*/false);
    metrics.mirror_to(&tb);
    metrics.scalar(10, "charts/episodic_return", 12.5);
    metrics.flush();
  }
  CHECK(fs::path(path).filename().string().rfind("events.out.tfevents.", 0) == 0);
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  // Two records: the version event, then the scalar.
  const uint64_t first = read_u64(text, 0);
  REQUIRE(text.size() > 16 + first);
  CHECK(text.find("brain.Event:2") != std::string::npos);
  const size_t second_at = 8 + 4 + first + 4;
  const uint64_t second = read_u64(text, second_at);
  CHECK(text.size() == second_at + 8 + 4 + second + 4);
  CHECK(text.find("charts/episodic_return") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("image_file reads PNG and GIF sizes and refuses other files", "[tensorboard]") {
  const fs::path dir = fs::temp_directory_path() / ("drivelab_test_tbimg_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  // A GIF header is enough for the size: "GIF89a", width 40, height 30.
  std::ofstream(dir / "a.gif", std::ios::binary) << std::string("GIF89a\x28\x00\x1e\x00", 10);
  std::ofstream(dir / "b.txt") << "not an image";
  TensorBoardWriter tb(dir.string());
  CHECK(tb.image_file(1, "gif", (dir / "a.gif").string()));
  CHECK_FALSE(tb.image_file(1, "txt", (dir / "b.txt").string()));
  CHECK_FALSE(tb.image_file(1, "missing", (dir / "missing.png").string()));
  const std::string event = tb_image_event(0, 0, "t", "xx", 40, 30);
  CHECK(event.find(bytes({0x08, 30, 0x10, 40, 0x18, 3})) != std::string::npos);  // height, width, RGB
  fs::remove_all(dir);
}
