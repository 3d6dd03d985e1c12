// drivelab/data: data augmentation on raw observation buffers (no torch), for behaviour cloning and
// offline methods.
//
//   random_shift   pad each image by `pad` pixels (repeating the edge) and crop back at a random offset,
//                  as DrQ and RAD do: the policy learns that a few pixels of jitter change nothing
//   color_jitter   random brightness, contrast and per-channel gain per image
//   gaussian_noise additive noise on float state vectors
//
// Images are uint8, channels last: one sample is [H, W, C] or a frame stack [K, H, W, C]; every frame of a
// sample gets the same shift and the same colours, so motion between frames stays intact.
#pragma once
#include <cstdint>

#include "sim/rng.h"

namespace dl::data {

struct ImageLayout {
  int frames = 1;  // K of a stacked observation
  int height = 0, width = 0, channels = 3;
  int64_t sample_bytes() const { return static_cast<int64_t>(frames) * height * width * channels; }
};

// In place on `batch` samples laid out back to back.
void random_shift(uint8_t* images, int batch, const ImageLayout& layout, int pad, sim::Rng& rng);

struct ColorJitter {
  float brightness = 0.2f;  // added offset up to +-brightness * 255
  float contrast = 0.2f;    // scale around the mean by U[1 - c, 1 + c]
  float channel_gain = 0.1f;  // each channel scaled by U[1 - g, 1 + g]
};
void color_jitter(uint8_t* images, int batch, const ImageLayout& layout, const ColorJitter& jitter, sim::Rng& rng);

// values[i] += N(0, sigma) for i < count.
void gaussian_noise(float* values, int64_t count, float sigma, sim::Rng& rng);

}  // namespace dl::data
