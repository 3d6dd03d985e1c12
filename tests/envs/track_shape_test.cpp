// Track shapes (envs/track_shape.h): encoding round trips, decoding never yields an invalid track, and the
// generator file and generated tracks (envs/track_generator.h).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "envs/driving_env.h"
#include "envs/registry.h"
#include "envs/track_generator.h"
#include "envs/track_shape.h"
#include "sim/rng.h"
#include "sim/track.h"

using namespace dl::envs;
using dl::sim::Track;
using dl::sim::TrackConfig;
using dl::sim::Vec2;

namespace {

TrackConfig medium() { return dl::sim::track_preset(dl::sim::TrackPreset::medium); }

// The centred N-gon of a track sampled at even arc length, as decode_track reports its polygon.
std::vector<Vec2> sampled_polygon(const Track& t, int n) {
  DecodeOptions raw;
  raw.repair = false;
  DecodeResult r = decode_track(encode_track(t, n), medium(), raw);
  REQUIRE(r.track);
  return r.polygon;
}

// A returned track must be valid and closed: validation passes and the closing segment is no longer
// than the others.
void require_valid_closed(const Track& t, const TrackConfig& p) {
  REQUIRE_NOTHROW(t.validate(p.min_curve_radius_m));
  const int n = t.num_tiles();
  const float closing = (t.center[0] - t.center[n - 1]).length();
  REQUIRE(closing <= 1.5f * t.length_m / static_cast<float>(n));
}

// A small random generator: latent 8, one hidden layer, output scaled to realistic shape values.
TrackGenerator random_generator(uint64_t seed, int samples = 32) {
  dl::sim::Rng rng(seed);
  TrackGenerator g;
  g.latent_dim = 8;
  g.samples = samples;
  auto layer = [&](int in, int out, GenActivation act) {
    GeneratorLayer l;
    l.in = in;
    l.out = out;
    l.activation = act;
    for (int i = 0; i < in * out; ++i) l.weight.push_back(static_cast<float>(rng.normal() / std::sqrt(in)));
    for (int i = 0; i < out; ++i) l.bias.push_back(static_cast<float>(rng.normal(0, 0.1)));
    return l;
  };
  g.layers = {layer(8, 16, GenActivation::leaky_relu), layer(16, samples + 1, GenActivation::identity)};
  g.output_mean.assign(samples + 1, static_cast<float>(2 * M_PI / samples));
  g.output_scale.assign(samples + 1, 0.08f);
  g.output_mean[samples] = 380;
  g.output_scale[samples] = 40;
  g.note = "test generator";
  return g;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("drivelab_shape_" + std::to_string(::getpid()) + "_" + name)).string();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("encoding a procedural track and decoding it gives the same shape", "[track_shape]") {
  const TrackConfig p = medium();
  for (uint64_t seed = 0; seed < 40; ++seed) {
    const Track original = dl::sim::generate_track(seed, p);
    const std::vector<float> shape = encode_track(original);
    REQUIRE(shape.size() == kDefaultShapeSamples + 1);
    double turning = 0;
    for (int k = 0; k < kDefaultShapeSamples; ++k) turning += shape[k];
    CHECK(turning == Approx(2 * M_PI).margin(1e-3));
    CHECK(shape[kDefaultShapeSamples] == Approx(original.length_m).epsilon(0.01));
    for (bool repair : {false, true}) {
      DecodeOptions options;
      options.repair = repair;
      DecodeResult r = decode_track(shape, p, options);
      INFO("seed " << seed << " repair " << repair << ": " << r.rejection);
      REQUIRE(r.track);
      require_valid_closed(*r.track, p);
      CHECK(r.track->length_m == Approx(original.length_m).epsilon(0.03));
      // The decoded centre line lies on the original's: ~0.2 m RMS apart after aligning the two (B-spline
      // smoothing); repair's bend bound (1.25 x the min radius) eases the tightest bends a little more.
      const float d = shape_distance(sampled_polygon(*r.track, kDefaultShapeSamples),
                                     sampled_polygon(original, kDefaultShapeSamples));
      CHECK(d < (repair ? 1.5f : 0.5f));
    }
  }
}

TEST_CASE("a clockwise track encodes as its counter-clockwise reverse", "[track_shape]") {
  Track t = dl::sim::generate_track(5, medium());
  std::vector<Vec2> mirrored = t.center;
  for (Vec2& v : mirrored) v.y = -v.y;
  const Track cw = dl::sim::make_track(mirrored, t.width, medium());
  const std::vector<float> shape = encode_track(cw);
  double turning = 0;
  for (int k = 0; k < kDefaultShapeSamples; ++k) turning += shape[k];
  CHECK(turning == Approx(2 * M_PI).margin(1e-3));
  CHECK_THROWS_AS(encode_track(t, 4), dl::sim::TrackError);
}

TEST_CASE("decoding random vectors gives a valid closed track or a rejection naming why", "[track_shape]") {
  const TrackConfig p = medium();
  int repaired_valid = 0, raw_valid = 0, total = 0;
  for (uint64_t seed = 0; seed < 150; ++seed) {
    dl::sim::Rng rng(seed);
    const int n = static_cast<int>(rng.uniform_int(16, 96));
    const double spread = std::vector<double>{0.02, 0.1, 0.4, 2.0}[seed % 4];
    std::vector<float> values(n + 1);
    for (int k = 0; k < n; ++k) values[k] = static_cast<float>(2 * M_PI / n + rng.normal(0, spread));
    values[n] = static_cast<float>(rng.uniform(-200, 3000));
    for (bool repair : {false, true}) {
      DecodeOptions options;
      options.repair = repair;
      DecodeResult r = decode_track(values, p, options);
      INFO("seed " << seed << " repair " << repair);
      if (r.track) {
        require_valid_closed(*r.track, p);
        CHECK(r.rejection.empty());
        (repair ? repaired_valid : raw_valid)++;
      } else {
        CHECK_FALSE(r.rejection.empty());
        CHECK(r.polygon.empty());
      }
    }
    ++total;
  }
  // Repair rescues most random shapes; taken literally almost none close.
  CHECK(repaired_valid > total * 9 / 10);
  CHECK(raw_valid < repaired_valid);

  DecodeResult few = decode_track(std::vector<float>(5, 0.1f), p);
  CHECK_FALSE(few.track);
  CHECK_THAT(few.rejection, Catch::Contains("at least"));
  std::vector<float> nan(33, 0.2f);
  nan[7] = std::numeric_limits<float>::quiet_NaN();
  DecodeResult bad = decode_track(nan, p);
  CHECK_FALSE(bad.track);
  CHECK_THAT(bad.rejection, Catch::Contains("value 7 is not finite"));
  std::vector<float> open(33, 0.01f);
  open[32] = 300;
  DecodeOptions raw;
  raw.repair = false;
  CHECK_THAT(decode_track(open, p, raw).rejection, Catch::Contains("does not close"));
}

TEST_CASE("shape distance is zero for rotated shifted copies and grows with difference", "[track_shape]") {
  const std::vector<Vec2> a = sampled_polygon(dl::sim::generate_track(1, medium()), 32);
  std::vector<Vec2> b(a.size());
  const float c = std::cos(0.7f), s = std::sin(0.7f);
  for (size_t i = 0; i < a.size(); ++i) {
    const Vec2 v = a[(i + 5) % a.size()];
    b[i] = Vec2{c * v.x - s * v.y + 40, s * v.x + c * v.y - 13};
  }
  CHECK(shape_distance(a, b) < 1e-3f);
  const std::vector<Vec2> other = sampled_polygon(dl::sim::generate_track(2, medium()), 32);
  CHECK(shape_distance(a, other) > 3.f);
  CHECK_THROWS_AS(shape_distance(a, std::vector<Vec2>(10)), std::invalid_argument);
}

TEST_CASE("a generator file round trips and bad files give errors naming the file", "[track_shape]") {
  const TrackGenerator g = random_generator(3);
  const std::string path = temp_path("gen.dltg");
  save_generator(g, path);
  const TrackGenerator back = load_generator(path);
  CHECK(back.note == g.note);
  const auto z = g.latent(42, 0);
  CHECK(back.forward(z) == g.forward(z));
  CHECK(g.latent(42, 0) == g.latent(42, 0));
  CHECK(g.latent(42, 0) != g.latent(43, 0));

  auto error_of = [](const std::string& p) -> std::string {
    try {
      load_generator(p);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  };
  CHECK_THAT(error_of(path + ".missing"), Catch::Contains("generator model " + path + ".missing: cannot open"));
  const std::string bytes = read_bytes(path);
  const std::string bad = temp_path("bad.dltg");
  write_bytes(bad, "hello world, not a model");
  CHECK_THAT(error_of(bad), Catch::Contains("not a drivelab track generator"));
  write_bytes(bad, bytes.substr(0, bytes.size() / 2));
  CHECK_THAT(error_of(bad), Catch::Contains(bad + ": truncated"));
  write_bytes(bad, bytes + "xx");
  CHECK_THAT(error_of(bad), Catch::Contains("unexpected bytes"));
  std::string wrong_samples = bytes;
  wrong_samples[16] = 40;  // samples 32 -> 40: the last layer no longer fits, and sizes shift
  CHECK_FALSE(error_of(bad).empty());
  write_bytes(bad, wrong_samples);
  CHECK_THAT(error_of(bad), Catch::Contains("generator model " + bad));
  std::filesystem::remove(path);
  std::filesystem::remove(bad);
}

TEST_CASE("an env with track_source gan resets onto decoded generated tracks deterministically", "[track_shape]") {
  const std::string path = temp_path("env.dltg");
  save_generator(random_generator(9), path);
  EnvConfig c = default_env_config("track");
  c.track_source = "gan:" + path;
  DrivingEnv a(c), b(c);
  std::vector<uint8_t> obs(a.observation_spec().bytes());
  Info info;
  const TrackGenerator g = load_generator(path);
  for (uint64_t seed : {1ull, 2ull, 77ull}) {
    a.reset(seed, obs.data(), info);
    b.reset(seed, obs.data(), info);
    const Track& ta = a.world().track();
    REQUIRE(ta.center.size() == b.world().track().center.size());
    for (size_t i = 0; i < ta.center.size(); ++i) {
      REQUIRE(ta.center[i].x == b.world().track().center[i].x);
      REQUIRE(ta.center[i].y == b.world().track().center[i].y);
    }
    // The same track as decoding the generator for the id the env drew (replaying the env's RNG: with no
    // domain randomization configured, the track id is its first draw).
    REQUIRE_NOTHROW(ta.validate(c.track.min_curve_radius_m));
    dl::sim::Rng replay(seed);
    const uint64_t id = draw_track_id("train", 0, replay);
    const Track expected = generate_track_from_model(g, id, c.track).track;
    REQUIRE(expected.center.size() == ta.center.size());
    for (size_t i = 0; i < ta.center.size(); ++i) {
      REQUIRE(expected.center[i].x == ta.center[i].x);
      REQUIRE(expected.center[i].y == ta.center[i].y);
    }
    // ...and not the procedural track of that id.
    const Track procedural = dl::sim::generate_track(id, c.track);
    CHECK((procedural.center.size() != ta.center.size() || procedural.center[3].x != ta.center[3].x));
  }
  // Test tracks stay procedural; generated_fraction 0 means procedural train tracks.
  EnvConfig test_cfg = c;
  test_cfg.tracks = "test";
  DrivingEnv t(test_cfg), plain(default_env_config("track"));
  t.reset(5, obs.data(), info);
  EnvConfig test_plain = default_env_config("track");
  test_plain.tracks = "test";
  DrivingEnv tp(test_plain);
  tp.reset(5, obs.data(), info);
  CHECK(t.world().track().center[3].x == tp.world().track().center[3].x);
  EnvConfig none = c;
  none.generated_fraction = 0;
  DrivingEnv n0(none);
  n0.reset(5, obs.data(), info);
  plain.reset(5, obs.data(), info);
  REQUIRE(n0.world().track().center.size() == plain.world().track().center.size());
  CHECK(n0.world().track().center[3].x == plain.world().track().center[3].x);
  std::filesystem::remove(path);
}

TEST_CASE("a missing or corrupt generator file or a bad track_source stops env construction", "[track_shape]") {
  EnvConfig c = default_env_config("track");
  c.track_source = "gan:" + temp_path("nothing.dltg");
  CHECK_THROWS_WITH(DrivingEnv(c), Catch::Contains("nothing.dltg: cannot open"));
  const std::string bad = temp_path("corrupt.dltg");
  write_bytes(bad, "DLTRKGEN\x01");
  c.track_source = "gan:" + bad;
  CHECK_THROWS_WITH(DrivingEnv(c), Catch::Contains("corrupt.dltg: truncated"));
  c.track_source = "gan";
  CHECK_THROWS_WITH(DrivingEnv(c), Catch::Contains("not procedural or gan:PATH"));
  std::filesystem::remove(bad);
}
