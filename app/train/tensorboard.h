// drivelab/app: TensorBoard event files, written without TensorFlow or a protobuf library.
//
// An event file is a TFRecord stream: each record is
//     uint64 length (little-endian) | uint32 masked CRC-32C of the length bytes | data | uint32 masked CRC of data
// where data is one serialized `tensorflow.Event` protobuf, and mask(c) = ((c >> 15) | (c << 17)) + 0xa282ead8.
// We encode the few protobuf messages TensorBoard reads by hand (varint keys and lengths, see tensorboard.cpp):
//   Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }
//   Summary.Value { string tag = 1; float simple_value = 2; Image image = 4; TensorProto tensor = 8;
//                   SummaryMetadata metadata = 9; }
// Why by hand: a scalar, a text and an image event are ~100 lines of encoding, tested against TensorBoard's
// own reader (python/tests), while libprotobuf would add a dependency and a .proto code-generation step to
// the build for three message types.
//
// The file is named events.out.tfevents.<unix seconds>.<host>.<pid>.drivelab, so `tensorboard --logdir runs`
// finds it, and a resumed run adds a second file beside the first instead of rewriting it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace dl::app {

// CRC-32C (Castagnoli), as TFRecord uses; `crc` continues an earlier value.
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);
uint32_t masked_crc32c(const void* data, size_t size);

// Serialized Event messages (exposed for tests).
std::string tb_file_version_event(double wall_time_s);
std::string tb_scalar_event(double wall_time_s, int64_t step, const std::string& tag, float value);
// Text for TensorBoard's text plugin (a string tensor with plugin "text"); markdown is rendered.
std::string tb_text_event(double wall_time_s, int64_t step, const std::string& tag, const std::string& text);
// An encoded image (PNG or GIF bytes) for the images tab.
std::string tb_image_event(double wall_time_s, int64_t step, const std::string& tag, const std::string& encoded,
                           int width, int height);
// One TFRecord around `data`.
std::string tf_record(const std::string& data);

class TensorBoardWriter {
 public:
  // Creates the event file in `dir` (which must exist). Throws std::runtime_error naming the path.
  explicit TensorBoardWriter(const std::string& dir);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  void scalar(int64_t step, const std::string& tag, double value);
  void text(int64_t step, const std::string& tag, const std::string& text);
  // An image file's bytes (PNG or GIF); width and height are read from its header. Returns false (and
  // writes nothing) when the file is missing or not a PNG/GIF.
  bool image_file(int64_t step, const std::string& tag, const std::string& path);
  void flush();
  const std::string& path() const { return path_; }

 private:
  void write(const std::string& event);
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace dl::app
