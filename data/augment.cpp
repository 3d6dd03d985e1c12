#include "data/augment.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace dl::data {

void random_shift(uint8_t* images, int batch, const ImageLayout& l, int pad, sim::Rng& rng) {
  if (pad <= 0) return;
  const int64_t row = static_cast<int64_t>(l.width) * l.channels;
  const int64_t frame = row * l.height;
  std::vector<uint8_t> copy(frame);
  for (int b = 0; b < batch; ++b) {
    // The crop offset in the padded image, minus the padding: a shift in [-pad, pad] on each axis.
    const int dy = static_cast<int>(rng.uniform_int(-pad, pad));
    const int dx = static_cast<int>(rng.uniform_int(-pad, pad));
    for (int k = 0; k < l.frames; ++k) {
      uint8_t* img = images + b * l.sample_bytes() + k * frame;
      std::copy(img, img + frame, copy.begin());
      for (int y = 0; y < l.height; ++y) {
        // Reading outside the image repeats its edge, which is what replicate padding then cropping gives.
        const int sy = std::clamp(y + dy, 0, l.height - 1);
        for (int x = 0; x < l.width; ++x) {
          const int sx = std::clamp(x + dx, 0, l.width - 1);
          std::copy_n(copy.data() + sy * row + sx * l.channels, l.channels, img + y * row + x * l.channels);
        }
      }
    }
  }
}

void color_jitter(uint8_t* images, int batch, const ImageLayout& l, const ColorJitter& j, sim::Rng& rng) {
  const int64_t pixels = static_cast<int64_t>(l.frames) * l.height * l.width;
  std::vector<float> gain(l.channels);
  for (int b = 0; b < batch; ++b) {
    uint8_t* img = images + b * l.sample_bytes();
    const float offset = static_cast<float>(rng.uniform(-j.brightness, j.brightness)) * 255.f;
    const float contrast = static_cast<float>(rng.uniform(1 - j.contrast, 1 + j.contrast));
    for (auto& g : gain) g = static_cast<float>(rng.uniform(1 - j.channel_gain, 1 + j.channel_gain));
    double sum = 0;
    for (int64_t i = 0; i < pixels * l.channels; ++i) sum += img[i];
    const float mean = static_cast<float>(sum / static_cast<double>(std::max<int64_t>(1, pixels * l.channels)));
    for (int64_t p = 0; p < pixels; ++p)
      for (int c = 0; c < l.channels; ++c) {
        uint8_t& v = img[p * l.channels + c];
        const float out = ((v - mean) * contrast + mean) * gain[c] + offset;
        v = static_cast<uint8_t>(std::clamp(std::lround(out), 0l, 255l));
      }
  }
}

void gaussian_noise(float* values, int64_t count, float sigma, sim::Rng& rng) {
  if (sigma <= 0) return;
  for (int64_t i = 0; i < count; ++i) values[i] += static_cast<float>(rng.normal(0, sigma));
}

}  // namespace dl::data
