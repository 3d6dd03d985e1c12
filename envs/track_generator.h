// drivelab/envs: a trained track generator evaluated without torch, and the tracks it makes.
//
// The WGAN-GP trainer (agents/track_gan.cpp) exports its generator as a small binary file (all integers
// uint32 and floats float32, little-endian):
//   magic        8 bytes "DLTRKGEN"
//   version      2
//   latent_dim   size of the noise vector z (standard normal)
//   samples      N of the track shape (envs/track_shape.h); the network outputs N + 1 features
//   layers       count L, then per layer: in, out, activation (0 identity, 1 relu, 2 leaky relu 0.2,
//                3 tanh), out * in weights (row-major: weight[o * in + i]), out biases
//   output       N + 1 means, then N + 1 scales: shape value j = mean[j] + scale[j] * network output j
//                (the trainer standardizes the data's features; this undoes it)
//   note_length  then that many bytes of UTF-8 text (what it was trained on)
//   end          4 bytes "END."
//   crc          (version 2) CRC-32 of every byte before it; nothing may follow
// Version 1 files (no CRC) still load; every file is written as version 2.
// Layer sizes must chain from latent_dim to N + 1. Reading checks every size and names the file and what
// was wrong.
//
// Generated track `id`: z drawn from sim::Rng(mix(id, attempt)), decoded with repair (track_shape.h);
// attempts 0, 1, ... until one decodes, so the same id always gives the same track.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "envs/track_shape.h"
#include "sim/track.h"

namespace dl::envs {

enum class GenActivation : uint32_t { identity = 0, relu = 1, leaky_relu = 2, tanh = 3 };
inline constexpr float kLeakyReluSlope = 0.2f;

struct GeneratorLayer {
  int in = 0, out = 0;
  GenActivation activation = GenActivation::identity;
  std::vector<float> weight;  // out * in, row-major
  std::vector<float> bias;    // out
};

struct TrackGenerator {
  int latent_dim = 0;
  int samples = 0;                   // shape samples N; outputs are N + 1
  std::vector<GeneratorLayer> layers;
  std::vector<float> output_mean;    // N + 1
  std::vector<float> output_scale;   // N + 1
  std::string note;

  // Throws std::invalid_argument naming the first inconsistency.
  void check() const;
  // Shape values (N + 1) for a latent vector of latent_dim floats.
  std::vector<float> forward(const std::vector<float>& z) const;
  // The latent vector of generated track `id`, try `attempt`.
  std::vector<float> latent(uint64_t id, int attempt) const;
};

// Writes atomically (temp file, then rename). Throws std::runtime_error naming the path.
void save_generator(const TrackGenerator& generator, const std::string& path);
// Throws io::InputError "generator model PATH: ..." for a missing, truncated, damaged or inconsistent file.
TrackGenerator load_generator(const std::string& path);

// Decode attempts per id before giving up.
inline constexpr int kGeneratedAttempts = 16;

struct GeneratedTrack {
  sim::Track track;
  int attempt = 0;        // latent draws rejected before this one
  int repair_passes = 0;
};

// Throws sim::TrackError when no attempt decodes (naming the id and the last rejection).
GeneratedTrack generate_track_from_model(const TrackGenerator& generator, uint64_t id,
                                         const sim::TrackConfig& params);

}  // namespace dl::envs
