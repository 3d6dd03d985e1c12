#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "sim/track.h"
#include "sim/track_query.h"

using namespace dl::sim;

namespace {

std::string temp_path(const std::string& name) { return std::string(DRIVELAB_BINARY_DIR) + "/test_sim_" + name; }

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string load_error(const std::string& text) {
  const std::string path = temp_path("bad.track");
  write_file(path, text);
  try {
    load_track(path);
  } catch (const TrackError& e) {
    return e.what();
  }
  return "";
}

// Independent of validate(): points far apart along the loop are at least a road width apart, and
// consecutive points are evenly spaced (so the loop closes cleanly).
bool looks_valid(const Track& t) {
  const int n = t.num_tiles();
  const float spacing = t.length_m / n;
  for (int i = 0; i < n; ++i) {
    const float seg = (t.center[(i + 1) % n] - t.center[i]).length();
    if (seg < 0.5f * spacing || seg > 1.5f * spacing) return false;
    for (int j = i + 1; j < n; ++j) {
      const float arc = std::min(t.arc_length[j] - t.arc_length[i], t.length_m - (t.arc_length[j] - t.arc_length[i]));
      if (arc > 3 * t.width[i] && (t.center[j] - t.center[i]).length() < t.width[i]) return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("10000 seeds of the default generator all give valid tracks") {
  const TrackConfig params;
  int bad = 0;
  for (uint64_t seed = 0; seed < 10000; ++seed) {
    const Track t = generate_track(seed, params);
    if (!looks_valid(t)) ++bad;
    for (float k : t.curvature)
      if (std::fabs(k) * params.min_curve_radius_m > 1.001f) ++bad;
  }
  CHECK(bad == 0);
}

TEST_CASE("easy and hard presets give valid tracks of different difficulty") {
  for (TrackPreset preset : {TrackPreset::easy, TrackPreset::hard}) {
    const TrackConfig params = track_preset(preset);
    for (uint64_t seed = 0; seed < 1000; ++seed) {
      const Track t = generate_track(seed, params);
      REQUIRE_NOTHROW(t.validate(params.min_curve_radius_m));
      REQUIRE(looks_valid(t));
    }
  }
  CHECK(track_preset(TrackPreset::easy).width_m > track_preset(TrackPreset::hard).width_m);
  CHECK(track_preset(TrackPreset::easy).checkpoints < track_preset(TrackPreset::hard).checkpoints);
  TrackPreset p;
  CHECK(parse_track_preset("hard", &p));
  CHECK(p == TrackPreset::hard);
  CHECK_FALSE(parse_track_preset("extreme", &p));
}

TEST_CASE("the same seed gives the same track, another seed a different one") {
  const Track a = generate_track(42, TrackConfig{}), b = generate_track(42, TrackConfig{}), c = generate_track(43, TrackConfig{});
  REQUIRE(a.num_tiles() == b.num_tiles());
  CHECK(std::memcmp(a.center.data(), b.center.data(), a.center.size() * sizeof(Vec2)) == 0);
  CHECK((a.num_tiles() != c.num_tiles() || a.center[0].x != c.center[0].x));
}

TEST_CASE("derived fields: arc length grows, bends of the loop add up to one turn, kerbs on sharp bends") {
  const TrackConfig params;
  const Track t = generate_track(7, params);
  double turn = 0;
  for (int i = 0; i < t.num_tiles(); ++i) {
    if (i > 0) CHECK(t.arc_length[i] > t.arc_length[i - 1]);
    const float seg = (t.center[(i + 1) % t.num_tiles()] - t.center[i]).length();
    turn += t.curvature[i] * seg;
    if (std::fabs(t.curvature[i]) > params.kerb_curvature) CHECK(t.kerb[i]);
  }
  CHECK(std::fabs(turn) == Approx(2 * 3.14159265).epsilon(0.05));  // one turn, either way round
  TrackConfig ccw = params;
  ccw.clockwise_fraction = 0;
  const Track c = generate_track(7, ccw);
  double ccw_turn = 0;
  for (int i = 0; i < c.num_tiles(); ++i) ccw_turn += c.curvature[i] * (c.center[(i + 1) % c.num_tiles()] - c.center[i]).length();
  CHECK(ccw_turn == Approx(2 * 3.14159265).epsilon(0.05));  // counter-clockwise when asked
  CHECK(t.length_m > t.arc_length.back());
}

TEST_CASE("a saved track reloads with the same geometry") {
  const Track t = generate_track(5, TrackConfig{});
  const std::string path = temp_path("saved.track");
  save_track(t, path);
  const Track u = load_track(path);
  REQUIRE(u.num_tiles() == t.num_tiles());
  for (int i = 0; i < t.num_tiles(); ++i) {
    CHECK(u.center[i].x == t.center[i].x);
    CHECK(u.center[i].y == t.center[i].y);
    CHECK(u.width[i] == t.width[i]);
    CHECK(u.curvature[i] == t.curvature[i]);
  }
  std::ifstream tmp(path + ".tmp");
  CHECK_FALSE(tmp.good());  // written through a temporary that was renamed away
}

TEST_CASE("malformed track files give errors naming the file and the line") {
  CHECK_THAT(load_error("drivelab-trak 1\n0 0 10\n"), Catch::Contains("bad.track:1:") && Catch::Contains("header"));
  const std::string good_head = "drivelab-track 1\n# comment\n0 0 10\n10 0 10\n";
  CHECK_THAT(load_error(good_head + "20 zero 10\n"), Catch::Contains(":5:") && Catch::Contains("x y width"));
  CHECK_THAT(load_error(good_head + "20 0 -3\n"), Catch::Contains(":5:") && Catch::Contains("width must be positive"));
  CHECK_THAT(load_error(good_head + "20 0 3 4\n"), Catch::Contains(":5:") && Catch::Contains("unexpected"));
  CHECK_THAT(load_error(good_head), Catch::Contains("at least 8"));
  CHECK_THAT(load_error(""), Catch::Contains("missing header"));
  CHECK_THROWS_AS(load_track(temp_path("does_not_exist.track")), TrackError);
}

TEST_CASE("validation rejects a self-crossing loop") {
  // A figure eight: the centre line crosses itself in the middle.
  std::vector<Vec2> pts;
  for (int i = 0; i < 80; ++i) {
    const float a = 6.2831853f * i / 80;
    pts.push_back({100 * std::sin(a), 50 * std::sin(2 * a)});
  }
  const Track t = make_track(pts, std::vector<float>(pts.size(), 8), TrackConfig{});
  CHECK_THROWS_WITH(t.validate(1), Catch::Contains("crosses itself"));
}

TEST_CASE("validation rejects a bend tighter than the minimum radius") {
  std::vector<Vec2> pts;
  for (int i = 0; i < 12; ++i) pts.push_back({10 * std::cos(6.2831853f * i / 12), 10 * std::sin(6.2831853f * i / 12)});
  const Track t = make_track(pts, std::vector<float>(pts.size(), 4), TrackConfig{});
  CHECK_NOTHROW(t.validate(9));
  CHECK_THROWS_WITH(t.validate(12), Catch::Contains("tighter"));
}

TEST_CASE("surfaces across a bend: road in the middle, kerb on the outside edge only, grass beyond") {
  std::vector<Vec2> pts;
  for (int i = 0; i < 40; ++i) pts.push_back({30 * std::cos(6.2831853f * i / 40), 30 * std::sin(6.2831853f * i / 40)});
  const Track t = make_track(pts, std::vector<float>(pts.size(), 10), TrackConfig{});  // a left-turning circle
  REQUIRE(t.kerb[5]);
  TrackQuery q;
  q.build(&t);
  const Vec2 mid = (t.center[5] + t.center[6]) * 0.5f;
  const Vec2 dir = q.direction(5), left{-dir.y, dir.x};
  auto surface_at = [&](float lateral_m) {
    const Vec2 p = mid + left * lateral_m;
    return q.surface(q.project(p, q.nearest(p, 0)));
  };
  CHECK(surface_at(0) == Surface::road);
  CHECK(surface_at(4.5f) == Surface::road);   // inside of the bend
  CHECK(surface_at(-4.5f) == Surface::kerb);  // outside of the bend
  CHECK(surface_at(-6) == Surface::grass);
  CHECK(surface_at(6) == Surface::grass);
}
