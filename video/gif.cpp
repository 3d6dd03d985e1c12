#include "video/gif.h"

#include <fcntl.h>
#include <gif_lib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include <unistd.h>

#include "io/files.h"

namespace dl::video {
namespace {

constexpr int kCubeLevels = 6;    // 0, 51, ..., 255 per channel
constexpr int kCubeStep = 51;
constexpr int kCubeSize = kCubeLevels * kCubeLevels * kCubeLevels;  // 216
constexpr int kGreyLevels = 256 - kCubeSize;                        // 40
constexpr int kPaletteSize = 256;

std::array<sim::Color, kPaletteSize> make_palette() {
  std::array<sim::Color, kPaletteSize> p{};
  for (int r = 0; r < kCubeLevels; ++r)
    for (int g = 0; g < kCubeLevels; ++g)
      for (int b = 0; b < kCubeLevels; ++b)
        p[(r * kCubeLevels + g) * kCubeLevels + b] = {uint8_t(r * kCubeStep), uint8_t(g * kCubeStep), uint8_t(b * kCubeStep)};
  for (int i = 0; i < kGreyLevels; ++i) {
    const auto v = static_cast<uint8_t>((i * 255 + (kGreyLevels - 1) / 2) / (kGreyLevels - 1));
    p[kCubeSize + i] = {v, v, v};
  }
  return p;
}

const std::array<sim::Color, kPaletteSize>& palette() {
  static const auto p = make_palette();
  return p;
}

int cube_level(int v) { return (v + kCubeStep / 2) / kCubeStep; }

int error2(sim::Color c, int r, int g, int b) {
  const int dr = c.r - r, dg = c.g - g, db = c.b - b;
  return dr * dr + dg * dg + db * db;
}

}  // namespace

uint8_t gif_palette_index(uint8_t r, uint8_t g, uint8_t b) {
  const int cube = (cube_level(r) * kCubeLevels + cube_level(g)) * kCubeLevels + cube_level(b);
  const int grey_value = (r + g + b + 1) / 3;
  const int grey = kCubeSize + (grey_value * (kGreyLevels - 1) + 127) / 255;
  const auto& p = palette();
  return static_cast<uint8_t>(error2(p[grey], r, g, b) < error2(p[cube], r, g, b) ? grey : cube);
}

sim::Color gif_palette_color(uint8_t index) { return palette()[index]; }

GifWriter::GifWriter(const std::string& path, int width, int height, int delay_cs)
    : path_(path), tmp_path_(path + ".tmp"), width_(width), height_(height), delay_cs_(delay_cs) {
  if (width <= 0 || height <= 0 || width > 65535 || height > 65535)
    throw std::invalid_argument(path + ": GIF frame size must be 1..65535 pixels a side");
  if (delay_cs < 0 || delay_cs > 65535) throw std::invalid_argument(path + ": GIF frame delay out of range");
  io::check_replaceable(path);  // before the frames are made, not after
  // Opened here rather than by EGifOpenFileName, which creates files readable by their owner only.
  const int fd = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) throw std::runtime_error(path + ": cannot write GIF: cannot create " + tmp_path_);
  int error = 0;
  gif_ = EGifOpenFileHandle(fd, &error);  // owns fd from here: EGifCloseFile closes it
  if (!gif_) {
    ::close(fd);
    std::remove(tmp_path_.c_str());
    throw std::runtime_error(path + ": cannot write GIF: " + GifErrorString(error));
  }
  indices_.resize(static_cast<size_t>(width) * height);

  std::array<GifColorType, kPaletteSize> colors;
  for (int i = 0; i < kPaletteSize; ++i) colors[i] = {palette()[i].r, palette()[i].g, palette()[i].b};
  ColorMapObject* map = GifMakeMapObject(kPaletteSize, colors.data());
  EGifSetGifVersion(gif_, true);
  const int put = EGifPutScreenDesc(gif_, width, height, 8, 0, map);
  GifFreeMapObject(map);
  if (put == GIF_ERROR) fail("screen descriptor", gif_->Error);

  // NETSCAPE2.0 application extension: loop count 0 = forever.
  static const unsigned char kNetscape[] = "NETSCAPE2.0";
  static const unsigned char kLoopForever[] = {1, 0, 0};
  if (EGifPutExtensionLeader(gif_, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
      EGifPutExtensionBlock(gif_, 11, kNetscape) == GIF_ERROR ||
      EGifPutExtensionBlock(gif_, 3, kLoopForever) == GIF_ERROR || EGifPutExtensionTrailer(gif_) == GIF_ERROR)
    fail("loop extension", gif_->Error);
}

GifWriter::~GifWriter() {
  if (!gif_) return;
  int error = 0;
  EGifCloseFile(gif_, &error);
  std::remove(tmp_path_.c_str());
}

void GifWriter::fail(const std::string& what, int error) {
  int ignored = 0;
  EGifCloseFile(gif_, &ignored);
  gif_ = nullptr;
  std::remove(tmp_path_.c_str());
  throw std::runtime_error(path_ + ": GIF " + what + " failed: " + GifErrorString(error));
}

void GifWriter::add_frame(const raster::Image& image) {
  if (image.width != width_ || image.height != height_)
    throw std::invalid_argument(path_ + ": frame is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                                ", the GIF is " + std::to_string(width_) + "x" + std::to_string(height_));
  add_frame(image.rgb.data());
}

void GifWriter::add_frame(const uint8_t* rgb) {
  if (!gif_) throw std::logic_error(path_ + ": GIF already finished");
  for (size_t i = 0; i < indices_.size(); ++i) indices_[i] = gif_palette_index(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
  GraphicsControlBlock gcb{};
  gcb.DisposalMode = DISPOSE_DO_NOT;
  gcb.UserInputFlag = false;
  gcb.DelayTime = delay_cs_;
  gcb.TransparentColor = NO_TRANSPARENT_COLOR;
  GifByteType ext[4];
  const size_t ext_len = EGifGCBToExtension(&gcb, ext);
  if (EGifPutExtension(gif_, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(ext_len), ext) == GIF_ERROR)
    fail("frame timing", gif_->Error);
  if (EGifPutImageDesc(gif_, 0, 0, width_, height_, false, nullptr) == GIF_ERROR) fail("image descriptor", gif_->Error);
  for (int y = 0; y < height_; ++y)
    if (EGifPutLine(gif_, indices_.data() + static_cast<size_t>(y) * width_, width_) == GIF_ERROR)
      fail("pixel data", gif_->Error);
  ++frames_;
}

void GifWriter::finish() {
  if (!gif_) throw std::logic_error(path_ + ": GIF already finished");
  int error = 0;
  const int closed = EGifCloseFile(gif_, &error);
  gif_ = nullptr;
  if (closed == GIF_ERROR) {
    std::remove(tmp_path_.c_str());
    throw std::runtime_error(path_ + ": GIF close failed: " + GifErrorString(error));
  }
  io::commit_temp_file(tmp_path_, path_);
}

}  // namespace dl::video
