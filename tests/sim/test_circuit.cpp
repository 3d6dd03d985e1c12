// Both directions for every preset, and the circuit layout's statistics over many seeds (the ranges that
// docs/envs.md documents).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/circuit.h"
#include "sim/track.h"

using namespace dl::sim;

namespace {

double total_turn(const Track& t) {
  double turn = 0;
  for (int i = 0; i < t.num_tiles(); ++i)
    turn += t.curvature[i] * (t.center[(i + 1) % t.num_tiles()] - t.center[i]).length();
  return turn;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

TEST_CASE("every preset generates clockwise and counter-clockwise tracks in about equal numbers") {
  for (TrackPreset preset : {TrackPreset::easy, TrackPreset::medium, TrackPreset::hard, TrackPreset::circuit}) {
    const TrackConfig params = track_preset(preset);
    const int seeds = preset == TrackPreset::circuit ? 200 : 400;
    int clockwise = 0;
    for (int seed = 0; seed < seeds; ++seed) {
      const Track t = generate_track(seed, params);
      const bool cw = track_stats(t).clockwise;
      clockwise += cw;
      // The sign of the loop's total turn agrees with its signed area.
      CHECK(std::fabs(std::fabs(total_turn(t)) - 2 * 3.14159265) < 0.3);
      CHECK((total_turn(t) < 0) == cw);
    }
    INFO("preset " << static_cast<int>(preset) << ": " << clockwise << " of " << seeds << " clockwise");
    CHECK(clockwise > 0.4 * seeds);
    CHECK(clockwise < 0.6 * seeds);
  }
}

TEST_CASE("clockwise_fraction 0 keeps every track counter-clockwise, 1 makes every one clockwise") {
  TrackConfig params = track_preset(TrackPreset::medium);
  for (float fraction : {0.f, 1.f}) {
    params.clockwise_fraction = fraction;
    for (int seed = 0; seed < 50; ++seed) CHECK(track_stats(generate_track(seed, params)).clockwise == (fraction == 1.f));
  }
}

TEST_CASE("a reversed track is the same loop driven the other way from the same start point") {
  const TrackConfig params = track_preset(TrackPreset::circuit);
  const Track t = generate_track(11, params);
  const Track r = reversed(t, params);
  const int n = t.num_tiles();
  REQUIRE(r.num_tiles() == n);
  CHECK(r.center[0].x == t.center[0].x);
  CHECK(r.center[0].y == t.center[0].y);
  CHECK(r.length_m == Approx(t.length_m).epsilon(1e-4));
  for (int i = 1; i < n; ++i) {
    CHECK(r.center[i].x == t.center[n - i].x);
    CHECK(r.curvature[i] == Approx(-t.curvature[n - i]).margin(1e-5));
    CHECK(r.width[i] == t.width[n - i]);
  }
  const Track back = reversed(r, params);
  for (int i = 0; i < n; ++i) CHECK(back.center[i].y == t.center[i].y);
  CHECK_NOTHROW(r.validate(params.min_curve_radius_m));
}

TEST_CASE("1000 circuit seeds: real-circuit lengths, straights, hairpins, corner density and widths") {
  const TrackConfig params = track_preset(TrackPreset::circuit);
  std::vector<double> lengths, straights, corners_per_km;
  int with_hairpin = 0, long_straight = 0, width_varies = 0;
  float min_radius = 1e9f, min_width = 1e9f, max_width = 0;
  for (int seed = 0; seed < 1000; ++seed) {
    const Track t = generate_track(1000000 + seed, params);
    const TrackStats s = track_stats(t);
    lengths.push_back(s.length_m);
    straights.push_back(s.longest_straight_m);
    corners_per_km.push_back(s.corners_per_km);
    with_hairpin += s.hairpins > 0;
    long_straight += s.longest_straight_m >= 1000;
    width_varies += s.width_max_m - s.width_min_m > 2;
    min_radius = std::min(min_radius, s.min_radius_m);
    min_width = std::min(min_width, s.width_min_m);
    max_width = std::max(max_width, s.width_max_m);
    CHECK(s.length_m >= 1800);
    CHECK(s.length_m <= 7700);
  }
  INFO("median length " << median(lengths) << " m, median longest straight " << median(straights)
                        << " m, median corners/km " << median(corners_per_km) << ", hairpins in " << with_hairpin
                        << ", straights >= 1 km in " << long_straight << ", min radius " << min_radius);
  CHECK(median(lengths) > 3500);
  CHECK(median(lengths) < 5500);
  CHECK(median(straights) > 400);
  CHECK(long_straight > 50);            // straights of 1 km and more exist
  CHECK(with_hairpin > 300);            // hairpins are common, not universal
  CHECK(min_radius >= params.min_curve_radius_m * 0.999f);
  CHECK(min_radius < 20);               // and they go down to ~12-15 m
  CHECK(median(corners_per_km) > 1.5);  // real circuits: about 2-6 corners per km
  CHECK(median(corners_per_km) < 6);
  CHECK(min_width >= 10 - 1e-3f);
  CHECK(max_width <= 16 + 1e-3f);
  CHECK(width_varies > 900);
}
