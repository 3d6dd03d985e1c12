#include "app/train/tensorboard.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dl::app {
namespace {

// ---- CRC-32C -----------------------------------------------------------------------------------------

constexpr uint32_t kCastagnoliReflected = 0x82F63B78u;
constexpr uint32_t kCrcMaskDelta = 0xa282ead8u;  // TFRecord's mask constant

std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kCastagnoliReflected : c >> 1;
    table[i] = c;
  }
  return table;
}

// ---- Protobuf wire format --------------------------------------------------------------------------------

enum Wire : uint32_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void put_key(std::string& out, uint32_t field, Wire wire) { put_varint(out, (uint64_t{field} << 3) | wire); }
void put_bytes(std::string& out, uint32_t field, const std::string& bytes) {
  put_key(out, field, kBytes);
  put_varint(out, bytes.size());
  out += bytes;
}
template <class T>
void put_little_endian(std::string& out, T value) {
  unsigned char raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));  // x86 and ARM Linux are little-endian, as protobuf's fixed fields
  out.append(reinterpret_cast<const char*>(raw), sizeof(T));
}
void put_double(std::string& out, uint32_t field, double v) {
  put_key(out, field, kFixed64);
  put_little_endian(out, v);
}
void put_float(std::string& out, uint32_t field, float v) {
  put_key(out, field, kFixed32);
  put_little_endian(out, v);
}
void put_int(std::string& out, uint32_t field, int64_t v) {
  put_key(out, field, kVarint);
  put_varint(out, static_cast<uint64_t>(v));  // negative int64 take 10 bytes, as protobuf writes them
}

// Field numbers, from tensorflow/core/util/event.proto and framework/summary.proto, tensor.proto.
namespace event { constexpr uint32_t wall_time = 1, step = 2, file_version = 3, summary = 5; }
namespace summary { constexpr uint32_t value = 1; }
namespace value { constexpr uint32_t tag = 1, simple_value = 2, image = 4, tensor = 8, metadata = 9; }
namespace image { constexpr uint32_t height = 1, width = 2, colorspace = 3, encoded = 4; }
namespace metadata { constexpr uint32_t plugin_data = 1; }
namespace plugin { constexpr uint32_t name = 1; }
namespace tensor { constexpr uint32_t dtype = 1, shape = 2, string_val = 8; }
constexpr int64_t kDtypeString = 7;  // tensorflow.DataType.DT_STRING
constexpr int64_t kColorspaceRgb = 3;

std::string event_with_value(double wall_time_s, int64_t step, const std::string& value_bytes) {
  std::string summary_bytes;
  put_bytes(summary_bytes, summary::value, value_bytes);
  std::string out;
  put_double(out, event::wall_time, wall_time_s);
  put_int(out, event::step, step);
  put_bytes(out, event::summary, summary_bytes);
  return out;
}

double unix_now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

uint32_t read_be32(const unsigned char* p) { return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]; }

}  // namespace

uint32_t crc32c(const void* data, size_t size, uint32_t crc) {
  static const std::array<uint32_t, 256> table = make_crc_table();
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint32_t masked_crc32c(const void* data, size_t size) {
  const uint32_t c = crc32c(data, size);
  return ((c >> 15) | (c << 17)) + kCrcMaskDelta;
}

std::string tf_record(const std::string& data) {
  std::string out;
  std::string length;
  put_little_endian(length, static_cast<uint64_t>(data.size()));
  out += length;
  put_little_endian(out, masked_crc32c(length.data(), length.size()));
  out += data;
  put_little_endian(out, masked_crc32c(data.data(), data.size()));
  return out;
}

std::string tb_file_version_event(double wall_time_s) {
  std::string out;
  put_double(out, event::wall_time, wall_time_s);
  put_int(out, event::step, 0);
  put_bytes(out, event::file_version, "brain.Event:2");
  return out;
}

std::string tb_scalar_event(double wall_time_s, int64_t step, const std::string& tag, float v) {
  std::string value_bytes;
  put_bytes(value_bytes, value::tag, tag);
  put_float(value_bytes, value::simple_value, v);
  return event_with_value(wall_time_s, step, value_bytes);
}

std::string tb_text_event(double wall_time_s, int64_t step, const std::string& tag, const std::string& text) {
  std::string tensor_bytes;
  put_int(tensor_bytes, tensor::dtype, kDtypeString);
  put_bytes(tensor_bytes, tensor::shape, "");  // a scalar: a shape with no dimensions
  put_bytes(tensor_bytes, tensor::string_val, text);
  std::string plugin_bytes;
  put_bytes(plugin_bytes, plugin::name, "text");
  std::string metadata_bytes;
  put_bytes(metadata_bytes, metadata::plugin_data, plugin_bytes);
  std::string value_bytes;
  put_bytes(value_bytes, value::tag, tag);
  put_bytes(value_bytes, value::tensor, tensor_bytes);
  put_bytes(value_bytes, value::metadata, metadata_bytes);
  return event_with_value(wall_time_s, step, value_bytes);
}

std::string tb_image_event(double wall_time_s, int64_t step, const std::string& tag, const std::string& encoded,
                           int width, int height) {
  std::string image_bytes;
  put_int(image_bytes, image::height, height);
  put_int(image_bytes, image::width, width);
  put_int(image_bytes, image::colorspace, kColorspaceRgb);
  put_bytes(image_bytes, image::encoded, encoded);
  std::string value_bytes;
  put_bytes(value_bytes, value::tag, tag);
  put_bytes(value_bytes, value::image, image_bytes);
  return event_with_value(wall_time_s, step, value_bytes);
}

TensorBoardWriter::TensorBoardWriter(const std::string& dir) {
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = '\0';
  const double now = unix_now_s();
  std::ostringstream name;
  name << "events.out.tfevents." << static_cast<long long>(now) << "." << host << "." << ::getpid() << ".drivelab";
  path_ = (std::filesystem::path(dir) / name.str()).string();
  file_ = std::fopen(path_.c_str(), "wb");
  if (!file_) throw std::runtime_error(path_ + ": cannot create the TensorBoard event file");
  write(tb_file_version_event(now));
  flush();
}

TensorBoardWriter::~TensorBoardWriter() {
  if (file_) std::fclose(file_);
}

void TensorBoardWriter::write(const std::string& event) {
  const std::string record = tf_record(event);
  std::fwrite(record.data(), 1, record.size(), file_);
}

void TensorBoardWriter::scalar(int64_t step, const std::string& tag, double v) {
  write(tb_scalar_event(unix_now_s(), step, tag, static_cast<float>(v)));
}

void TensorBoardWriter::text(int64_t step, const std::string& tag, const std::string& text) {
  write(tb_text_event(unix_now_s(), step, tag, text));
}

bool TensorBoardWriter::image_file(int64_t step, const std::string& tag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string bytes = buffer.str();
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  int width = 0, height = 0;
  if (bytes.size() >= 24 && std::memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) {
    width = static_cast<int>(read_be32(p + 16));
    height = static_cast<int>(read_be32(p + 20));
  } else if (bytes.size() >= 10 && (std::memcmp(p, "GIF87a", 6) == 0 || std::memcmp(p, "GIF89a", 6) == 0)) {
    width = p[6] | (p[7] << 8);
    height = p[8] | (p[9] << 8);
  } else {
    return false;
  }
  write(tb_image_event(unix_now_s(), step, tag, bytes, width, height));
  return true;
}

void TensorBoardWriter::flush() {
  if (file_) std::fflush(file_);
}

}  // namespace dl::app
