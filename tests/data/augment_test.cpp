#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "data/augment.h"

using namespace dl::data;

TEST_CASE("random shift moves the image by at most the padding and repeats the edge", "[data]") {
  const ImageLayout layout{1, 8, 8, 1};
  std::vector<uint8_t> img(64);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) img[y * 8 + x] = static_cast<uint8_t>(10 * x + y);
  dl::sim::Rng rng(3);
  bool moved = false;
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<uint8_t> out = img;
    random_shift(out.data(), 1, layout, 2, rng);
    // Each output pixel is the input pixel at one common offset, clamped to the image.
    const int dx = out[3 * 8 + 3] / 10 - 3, dy = out[3 * 8 + 3] % 10 - 3;
    CHECK(std::abs(dx) <= 2);
    CHECK(std::abs(dy) <= 2);
    moved = moved || dx != 0 || dy != 0;
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x) {
        const int sx = std::clamp(x + dx, 0, 7), sy = std::clamp(y + dy, 0, 7);
        CHECK(out[y * 8 + x] == img[sy * 8 + sx]);
      }
  }
  CHECK(moved);
}

TEST_CASE("random shift moves every frame of a stacked sample alike", "[data]") {
  const ImageLayout layout{2, 6, 6, 3};
  std::vector<uint8_t> img(layout.sample_bytes());
  for (size_t i = 0; i < img.size() / 2; ++i) img[i] = img[i + img.size() / 2] = static_cast<uint8_t>(i);
  dl::sim::Rng rng(5);
  random_shift(img.data(), 1, layout, 3, rng);
  for (size_t i = 0; i < img.size() / 2; ++i) CHECK(img[i] == img[i + img.size() / 2]);
}

TEST_CASE("colour jitter changes colours but stays within bytes", "[data]") {
  const ImageLayout layout{1, 4, 4, 3};
  std::vector<uint8_t> img(48, 128);
  img[0] = 0;
  img[1] = 255;
  dl::sim::Rng rng(1);
  std::vector<uint8_t> out = img;
  color_jitter(out.data(), 1, layout, ColorJitter{0.3f, 0.3f, 0.2f}, rng);
  CHECK(out != img);
  ColorJitter none{0, 0, 0};
  std::vector<uint8_t> same = img;
  color_jitter(same.data(), 1, layout, none, rng);
  CHECK(same == img);
}

TEST_CASE("gaussian noise has the asked standard deviation", "[data]") {
  std::vector<float> v(20000, 1.f);
  dl::sim::Rng rng(2);
  gaussian_noise(v.data(), static_cast<int64_t>(v.size()), 0.5f, rng);
  double sum = 0, sq = 0;
  for (float x : v) sum += x, sq += (x - 1) * (x - 1);
  CHECK(sum / v.size() == Approx(1).margin(0.02));
  CHECK(std::sqrt(sq / v.size()) == Approx(0.5).margin(0.02));
}
