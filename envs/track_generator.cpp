// The track generator file, its forward pass in plain C++, and generated tracks by id.
#include "envs/track_generator.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "io/crc32.h"
#include "io/files.h"
#include "sim/rng.h"

namespace dl::envs {
namespace {

constexpr char kMagic[8] = {'D', 'L', 'T', 'R', 'K', 'G', 'E', 'N'};
constexpr char kEnd[4] = {'E', 'N', 'D', '.'};
// 2: a CRC-32 of every byte before it follows the end marker (version 1 files have none and still load).
constexpr uint32_t kVersion = 2;
constexpr uint32_t kOldestVersion = 1;
// Sanity bounds on sizes read from a file, so a corrupt count fails cleanly instead of allocating wildly.
constexpr uint32_t kMaxWidth = 1 << 16;
constexpr uint32_t kMaxLayers = 64;
constexpr uint32_t kMaxNote = 1 << 16;
// The latent stream of a track id is told apart from every other use of the id by this salt.
constexpr uint64_t kLatentSalt = 0x67616e5f74726b31ull;

float activate(GenActivation a, float x) {
  switch (a) {
    case GenActivation::identity: return x;
    case GenActivation::relu: return x > 0 ? x : 0.f;
    case GenActivation::leaky_relu: return x > 0 ? x : kLeakyReluSlope * x;
    case GenActivation::tanh: return std::tanh(x);
  }
  return x;
}

class Writer {
 public:
  void u32(uint32_t v) { bytes(&v, 4); }
  void f32s(const std::vector<float>& v) { bytes(v.data(), v.size() * 4); }
  void bytes(const void* p, size_t n) { data_.append(static_cast<const char*>(p), n); }
  const std::string& data() const { return data_; }

 private:
  std::string data_;
};

class Reader {
 public:
  Reader(std::string data, std::string path) : data_(std::move(data)), path_(std::move(path)) {}
  [[noreturn]] void fail(const std::string& what) const {
    throw io::InputError("generator model " + path_ + ": " + what);
  }
  void bytes(void* out, size_t n, const char* what) {
    if (data_.size() - pos_ < n)
      fail(std::string("truncated: the file ends inside ") + what + " (at byte " + std::to_string(pos_) + " of " +
           std::to_string(data_.size()) + ")");
    std::memcpy(out, data_.data() + pos_, n);
    pos_ += n;
  }
  uint32_t u32(const char* what) {
    uint32_t v;
    bytes(&v, 4, what);
    return v;
  }
  uint32_t u32(const char* what, uint32_t lo, uint32_t hi) {
    const uint32_t v = u32(what);
    if (v < lo || v > hi)
      fail(std::string(what) + " is " + std::to_string(v) + ", expected " + std::to_string(lo) + ".." + std::to_string(hi));
    return v;
  }
  std::vector<float> f32s(size_t n, const char* what) {
    if (remaining() / 4 < n)  // before allocating: a corrupt count must not ask for gigabytes
      fail(std::string("truncated: the file ends inside ") + what + " (" + std::to_string(n) + " numbers at byte " +
           std::to_string(pos_) + ", " + std::to_string(remaining()) + " bytes left)");
    std::vector<float> v(n);
    bytes(v.data(), n * 4, what);
    for (float x : v)
      if (!std::isfinite(x)) fail(std::string("non-finite number in ") + what);
    return v;
  }
  bool at_end() const { return pos_ == data_.size(); }
  size_t position() const { return pos_; }
  const std::string& data() const { return data_; }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  std::string data_;
  std::string path_;
  size_t pos_ = 0;
};

}  // namespace

void TrackGenerator::check() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument(what); };
  if (latent_dim < 1) bad("latent_dim must be at least 1");
  if (samples < kMinShapeSamples) bad("samples must be at least " + std::to_string(kMinShapeSamples));
  if (layers.empty()) bad("the network has no layers");
  int width = latent_dim;
  for (size_t l = 0; l < layers.size(); ++l) {
    const auto& layer = layers[l];
    const std::string name = "layer " + std::to_string(l);
    if (layer.in != width) bad(name + " takes " + std::to_string(layer.in) + " inputs, the previous width is " + std::to_string(width));
    if (layer.out < 1) bad(name + " has no outputs");
    if (layer.weight.size() != static_cast<size_t>(layer.in) * layer.out) bad(name + " has the wrong weight count");
    if (layer.bias.size() != static_cast<size_t>(layer.out)) bad(name + " has the wrong bias count");
    if (static_cast<uint32_t>(layer.activation) > 3) bad(name + " has an unknown activation");
    width = layer.out;
  }
  if (width != samples + 1)
    bad("the network outputs " + std::to_string(width) + " values, a shape of " + std::to_string(samples) +
        " samples has " + std::to_string(samples + 1));
  if (output_mean.size() != static_cast<size_t>(width) || output_scale.size() != static_cast<size_t>(width))
    bad("output mean and scale need " + std::to_string(width) + " values each");
}

std::vector<float> TrackGenerator::forward(const std::vector<float>& z) const {
  if (static_cast<int>(z.size()) != latent_dim)
    throw std::invalid_argument("generator: latent vector of " + std::to_string(z.size()) + " values, expected " +
                                std::to_string(latent_dim));
  std::vector<float> x = z, y;
  for (const auto& layer : layers) {
    y.assign(layer.out, 0.f);
    for (int o = 0; o < layer.out; ++o) {
      const float* w = layer.weight.data() + static_cast<size_t>(o) * layer.in;
      float sum = layer.bias[o];
      for (int i = 0; i < layer.in; ++i) sum += w[i] * x[i];
      y[o] = activate(layer.activation, sum);
    }
    x.swap(y);
  }
  for (size_t j = 0; j < x.size(); ++j) x[j] = output_mean[j] + output_scale[j] * x[j];
  return x;
}

std::vector<float> TrackGenerator::latent(uint64_t id, int attempt) const {
  sim::Rng rng(sim::Rng::mix(sim::Rng::mix(id, kLatentSalt), static_cast<uint64_t>(attempt)));
  std::vector<float> z(latent_dim);
  for (float& v : z) v = static_cast<float>(rng.normal());
  return z;
}

void save_generator(const TrackGenerator& g, const std::string& path) {
  try {
    g.check();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("generator model " + path + ": not written: " + e.what());
  }
  Writer w;
  w.bytes(kMagic, sizeof kMagic);
  w.u32(kVersion);
  w.u32(static_cast<uint32_t>(g.latent_dim));
  w.u32(static_cast<uint32_t>(g.samples));
  w.u32(static_cast<uint32_t>(g.layers.size()));
  for (const auto& layer : g.layers) {
    w.u32(static_cast<uint32_t>(layer.in));
    w.u32(static_cast<uint32_t>(layer.out));
    w.u32(static_cast<uint32_t>(layer.activation));
    w.f32s(layer.weight);
    w.f32s(layer.bias);
  }
  w.f32s(g.output_mean);
  w.f32s(g.output_scale);
  w.u32(static_cast<uint32_t>(g.note.size()));
  w.bytes(g.note.data(), g.note.size());
  w.bytes(kEnd, sizeof kEnd);
  w.u32(io::crc32(w.data().data(), w.data().size()));

  try {
    io::write_file_atomic(path, w.data());
  } catch (const std::exception& e) {
    throw std::runtime_error("generator model " + path + ": not written: " + e.what());
  }
}

TrackGenerator load_generator(const std::string& path) {
  std::string data;
  try {
    data = io::read_file_limited(path, io::kMaxModelBytes, "generator model");
  } catch (const io::InputError& e) {
    throw io::InputError(std::string("generator model ") + e.what());
  }
  Reader r(std::move(data), path);
  char magic[8];
  r.bytes(magic, sizeof magic, "the header");
  if (std::memcmp(magic, kMagic, sizeof magic) != 0)
    r.fail("not a drivelab track generator (the file does not start with DLTRKGEN)");
  const uint32_t version = r.u32("the header");
  if (version < kOldestVersion || version > kVersion)
    r.fail("format version " + std::to_string(version) + ", this build reads versions " +
           std::to_string(kOldestVersion) + " to " + std::to_string(kVersion));
  TrackGenerator g;
  g.latent_dim = static_cast<int>(r.u32("latent_dim", 1, kMaxWidth));
  g.samples = static_cast<int>(r.u32("samples", kMinShapeSamples, kMaxWidth));
  const uint32_t count = r.u32("layer count", 1, kMaxLayers);
  for (uint32_t l = 0; l < count; ++l) {
    GeneratorLayer layer;
    layer.in = static_cast<int>(r.u32("layer inputs", 1, kMaxWidth));
    layer.out = static_cast<int>(r.u32("layer outputs", 1, kMaxWidth));
    layer.activation = static_cast<GenActivation>(r.u32("layer activation", 0, 3));
    layer.weight = r.f32s(static_cast<size_t>(layer.in) * layer.out, "layer weights");
    layer.bias = r.f32s(layer.out, "layer biases");
    g.layers.push_back(std::move(layer));
  }
  const size_t outputs = static_cast<size_t>(g.samples) + 1;
  g.output_mean = r.f32s(outputs, "output means");
  g.output_scale = r.f32s(outputs, "output scales");
  const uint32_t note_length = r.u32("note length", 0, kMaxNote);
  g.note.resize(note_length);
  r.bytes(g.note.data(), note_length, "the note");
  char end[4];
  r.bytes(end, sizeof end, "the end marker");
  if (std::memcmp(end, kEnd, sizeof end) != 0) r.fail("bad end marker (corrupt or misaligned file)");
  if (version >= 2) {
    const uint32_t actual = io::crc32(r.data().data(), r.position());
    const uint32_t stored = r.u32("the CRC-32");
    if (actual != stored) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "CRC-32 %08x, the file says %08x", actual, stored);
      r.fail(std::string("damaged: ") + buf);
    }
  }
  if (!r.at_end()) r.fail(std::to_string(r.remaining()) + " unexpected bytes after the end marker");
  try {
    g.check();
  } catch (const std::invalid_argument& e) {
    r.fail(e.what());
  }
  return g;
}

GeneratedTrack generate_track_from_model(const TrackGenerator& generator, uint64_t id,
                                         const sim::TrackConfig& params) {
  std::string last;
  for (int attempt = 0; attempt < kGeneratedAttempts; ++attempt) {
    DecodeResult r = decode_track(generator.forward(generator.latent(id, attempt)), params);
    if (r.track) {
      GeneratedTrack out{std::move(*r.track), attempt, r.repair_passes};
      return out;
    }
    last = r.rejection;
  }
  throw sim::TrackError("generated track " + std::to_string(id) + ": no valid decode in " +
                        std::to_string(kGeneratedAttempts) + " latent draws (last: " + last + ")");
}

}  // namespace dl::envs
