// Track generation, derived fields and validation. File I/O lives in track_io.cpp.
#include "sim/track.h"

#include <algorithm>
#include <cmath>

#include "sim/circuit.h"
#include "sim/polyline.h"
#include "sim/rng.h"
#include "sim/segment_grid.h"

namespace dl::sim {
namespace {

constexpr float kPi = 3.14159265358979f;
// Samples per checkpoint span of the spline before resampling; enough that chords deviate from the
// curve by far less than the road width.
constexpr int kSplineSamples = 16;
// Generation gives up after this many derived seeds (never reached in practice: see the seed test).
constexpr int kMaxAttempts = 1000;
// Clearance between unrelated road parts, beyond both half widths (m).
constexpr float kRoadClearance_m = 1.0f;

std::vector<Vec2> draw_checkpoints(Rng& rng, const TrackConfig& p) {
  std::vector<Vec2> cps(p.checkpoints);
  const float step_rad = 2 * kPi / p.checkpoints;
  for (int i = 0; i < p.checkpoints; ++i) {
    const float angle = step_rad * (i + static_cast<float>(rng.uniform(-p.angle_noise, p.angle_noise)));
    const float radius = p.radius_m * static_cast<float>(rng.uniform(1 - p.radius_noise, 1 + p.radius_noise));
    cps[i] = {radius * std::cos(angle), radius * std::sin(angle)};
  }
  return cps;
}

// Resamples a closed polyline at an even spacing close to spacing_m, so the closing segment is as long as
// every other one (a clean closure by construction).
std::vector<Vec2> resample_at_spacing(const std::vector<Vec2>& poly, float spacing_m) {
  const int count = std::max(8, static_cast<int>(std::lround(closed_length(poly) / spacing_m)));
  return resample_closed(poly, count);
}

float signed_curvature(Vec2 p0, Vec2 p1, Vec2 p2) {
  const Vec2 a = p1 - p0, b = p2 - p1, c = p2 - p0;
  const float denom = a.length() * b.length() * c.length();
  return denom > 1e-9f ? 2 * a.cross(b) / denom : 0.f;
}

bool segments_cross(Vec2 a, Vec2 b, Vec2 c, Vec2 d) {
  const Vec2 r = b - a, s = d - c;
  const float denom = r.cross(s);
  if (std::fabs(denom) < 1e-12f) return false;
  const float t = (c - a).cross(s) / denom, u = (c - a).cross(r) / denom;
  return t >= 0 && t <= 1 && u >= 0 && u <= 1;
}

float point_segment_distance(Vec2 p, Vec2 a, Vec2 b) {
  const Vec2 ab = b - a;
  const float len2 = ab.dot(ab);
  const float t = len2 > 0 ? std::clamp((p - a).dot(ab) / len2, 0.f, 1.f) : 0.f;
  return (p - (a + ab * t)).length();
}

[[noreturn]] void fail(const std::string& what, std::vector<int> points = {}) {
  throw TrackError("invalid track: " + what, std::move(points));
}

void check_basic(const Track& t) {
  const int n = t.num_tiles();
  if (n < 8) fail("needs at least 8 centre-line points, has " + std::to_string(n));
  if (n > kMaxTrackPoints) fail("has " + std::to_string(n) + " points, at most " + std::to_string(kMaxTrackPoints) + " are allowed");
  if (static_cast<int>(t.width.size()) != n) fail("width count differs from point count");
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(t.center[i].x) || !std::isfinite(t.center[i].y)) fail("non-finite point " + std::to_string(i), {i});
    if (!coordinate_in_bounds(t.center[i].x) || !coordinate_in_bounds(t.center[i].y))
      fail("point " + std::to_string(i) + " lies outside +-" + std::to_string(static_cast<int>(kMaxTrackCoordinate_m)) + " m", {i});
    if (!(t.width[i] > 0) || !std::isfinite(t.width[i])) fail("non-positive width at point " + std::to_string(i), {i});
    if (!width_in_bounds(t.width[i]))
      fail("width " + std::to_string(t.width[i]) + " m at point " + std::to_string(i) + " is outside " +
           std::to_string(static_cast<int>(kMinTrackWidth_m)) + ".." + std::to_string(static_cast<int>(kMaxTrackWidth_m)) + " m", {i});
  }
}

void check_closure(const Track& t) {
  const int n = t.num_tiles();
  double total = 0;
  for (int i = 0; i < n; ++i) {
    const float len = (t.center[(i + 1) % n] - t.center[i]).length();
    if (len < 1e-3f) fail("repeated point " + std::to_string(i), {i, (i + 1) % n});
    total += len;
  }
  const float closing = (t.center[0] - t.center[n - 1]).length();
  if (closing > 3 * total / n) fail("loop does not close cleanly (closing segment " + std::to_string(closing) + " m)", {n - 1, 0});
}

void check_curvature(const Track& t, float min_curve_radius_m) {
  const int n = t.num_tiles();
  for (int i = 0; i < n; ++i) {
    const float k = std::fabs(signed_curvature(t.center[(i + n - 1) % n], t.center[i], t.center[(i + 1) % n]));
    const float reach_m = 0.5f * t.width[i] + (t.walls ? t.wall_offset_m : 0.f);
    if (k * min_curve_radius_m > 1.001f) fail("bend at point " + std::to_string(i) + " tighter than " + std::to_string(min_curve_radius_m) + " m", {i});
    if (k * reach_m >= 1.f) fail("road edge folds over itself at point " + std::to_string(i), {i});
  }
}

// Two road parts far apart along the loop must keep their edges (and walls) apart; adjacent segments
// may not cross. For each segment i, a grid of the segments (sim/segment_grid.h) gives the segments j > i+1
// near enough to cross it or to bring their start point within the needed clearance; each such pair gets
// the exact test, in the order a scan of all pairs would meet them (so the first failure reported is the
// same), in O(n) pairs for any sane layout instead of n^2.
void check_overlap(const Track& t) {
  const int n = t.num_tiles();
  const float max_w = *std::max_element(t.width.begin(), t.width.end());
  const float extra_m = kRoadClearance_m + (t.walls ? 2 * t.wall_offset_m : 0.f);
  const float max_seg = t.length_m / n * 3;
  const float exempt_arc_m = 1.6f * (max_w + extra_m) + max_seg;
  SegmentGrid grid;
  grid.build_closed(t.center);
  std::vector<int> near;
  for (int i = 0; i < n; ++i) {
    const Vec2 a = t.center[i], b = t.center[(i + 1) % n];
    // A segment crossing i, or starting within max_w + extra_m of it, passes this close to i's middle.
    const float reach_m = 0.5f * (b - a).length() + max_w + extra_m;
    grid.segments_near((a + b) * 0.5f, reach_m * 1.0001f + 0.01f, near);  // a hair more: rounding
    for (int j : near) {
      if (j < i + 2 || (i == 0 && j == n - 1)) continue;
      const Vec2 c = t.center[j], d = t.center[(j + 1) % n];
      if (segments_cross(a, b, c, d)) fail("centre line crosses itself at points " + std::to_string(i) + " and " + std::to_string(j), {i, j});
      const float arc = std::fabs(t.arc_length[j] - t.arc_length[i]);
      if (std::min(arc, t.length_m - arc) < exempt_arc_m) continue;
      const float need_m = 0.5f * (t.width[i] + t.width[j]) + extra_m;
      if (point_segment_distance(c, a, b) < need_m) fail("road overlaps itself near points " + std::to_string(i) + " and " + std::to_string(j), {i, j});
    }
  }
}

}  // namespace

TrackConfig track_preset(TrackPreset preset) {
  TrackConfig p;
  // Preset tracks are 340-400 m long: a lap at a competent 10-20 m/s fits in the envs' 40 s episodes
  // (1000 steps of 2 physics steps), so CarRacing's 900 "solved" bar means what it means there: finish
  // the lap inside the time limit. TrackConfig' own defaults (radius 150 m) stay for custom tracks.
  p.radius_m = 60;
  switch (preset) {
    case TrackPreset::easy:
      p.radius_m = 55;
      p.checkpoints = 8;
      p.radius_noise = 0.15f;
      p.angle_noise = 0.3f;
      p.width_m = 16;
      p.min_curve_radius_m = 20;
      break;
    case TrackPreset::medium:
      break;
    case TrackPreset::hard:
      p.radius_m = 65;
      p.checkpoints = 15;
      p.radius_noise = 0.4f;
      p.angle_noise = 0.6f;
      p.width_m = 10;
      p.min_curve_radius_m = 8;
      break;
    case TrackPreset::circuit:
      // Real-circuit scale (docs/envs.md lists the figures matched): 2-7 km laps, 8-13 polygon corners
      // plus chicanes and esses, hairpins down to 12 m radius, width 10-16 m varying along the lap.
      p.layout = TrackLayout::circuit;
      p.radius_m = 500;  // unused by the circuit layout; kept plausible for readers of the config
      p.checkpoints = 8;
      p.radius_noise = 0.35f;
      p.angle_noise = 0.8f;
      p.width_m = 13;
      p.width_variation_m = 3;
      p.min_curve_radius_m = 11;
      p.length_min_m = 2000;
      p.length_max_m = 7000;
      break;
  }
  return p;
}

const std::vector<std::pair<std::string, TrackPreset>>& track_presets() {
  static const std::vector<std::pair<std::string, TrackPreset>> presets = {
      {"easy", TrackPreset::easy}, {"medium", TrackPreset::medium}, {"hard", TrackPreset::hard},
      {"circuit", TrackPreset::circuit}};
  return presets;
}

bool parse_track_preset(const std::string& name, TrackPreset* out) {
  for (const auto& [preset_name, preset] : track_presets())
    if (name == preset_name) {
      *out = preset;
      return true;
    }
  return false;
}

void Track::validate(float min_curve_radius_m) const {
  check_basic(*this);
  check_closure(*this);
  check_curvature(*this, min_curve_radius_m);
  check_overlap(*this);
}

Track make_track(std::vector<Vec2> center, std::vector<float> width, const TrackConfig& params) {
  Track t;
  t.center = std::move(center);
  t.width = std::move(width);
  t.walls = params.walls;
  t.wall_offset_m = params.wall_offset_m;
  const int n = t.num_tiles();
  t.curvature.resize(n);
  t.arc_length.resize(n);
  t.kerb.resize(n);
  double s = 0;
  for (int i = 0; i < n; ++i) {
    t.arc_length[i] = static_cast<float>(s);
    s += (t.center[(i + 1) % n] - t.center[i]).length();
    t.curvature[i] = signed_curvature(t.center[(i + n - 1) % n], t.center[i], t.center[(i + 1) % n]);
  }
  t.length_m = static_cast<float>(s);
  for (int i = 0; i < n; ++i)
    t.kerb[i] = std::fabs(t.curvature[i]) > params.kerb_curvature || std::fabs(t.curvature[(i + 1) % n]) > params.kerb_curvature;
  return t;
}

Track reversed(const Track& track, const TrackConfig& params) {
  const int n = track.num_tiles();
  std::vector<Vec2> center(n);
  std::vector<float> width(n);
  for (int i = 0; i < n; ++i) {
    center[i] = track.center[(n - i) % n];
    width[i] = track.width[(n - i) % n];
  }
  Track t = make_track(std::move(center), std::move(width), params);
  t.seed = track.seed;
  return t;
}

Track generate_track(uint64_t seed, const TrackConfig& params) {
  if (params.checkpoints < 3) throw TrackError("track generator needs at least 3 checkpoints");
  if (!(params.point_spacing_m > 0) || !(params.radius_m > 0) || !(params.width_m > 0))
    throw TrackError("track generator needs positive radius, width and point spacing");
  if (params.layout == TrackLayout::circuit &&
      !(params.length_min_m > 0 && params.length_max_m >= params.length_min_m && params.width_variation_m < params.width_m))
    throw TrackError("circuit layout needs 0 < length_min_m <= length_max_m and width_variation_m < width_m");
  // The direction comes from its own stream, so a shape never depends on which way it is driven.
  const bool clockwise = Rng(Rng::mix(seed, 0xC10CC10CULL)).uniform() < params.clockwise_fraction;
  std::string last_error;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Rng rng(Rng::mix(seed, static_cast<uint64_t>(attempt)));
    std::vector<Vec2> center;
    std::vector<float> width;
    if (params.layout == TrackLayout::circuit) {
      CircuitDraft draft = draw_circuit(rng, params);
      if (draft.center.empty()) {
        last_error = "circuit draft could not be rounded";
        continue;
      }
      center = std::move(draft.center);
      width = std::move(draft.width);
    } else {
      center = resample_at_spacing(closed_bspline(draw_checkpoints(rng, params), kSplineSamples), params.point_spacing_m);
      width.assign(center.size(), params.width_m);
    }
    Track t = make_track(std::move(center), std::move(width), params);
    t.seed = seed;
    try {
      t.validate(params.min_curve_radius_m);
      return clockwise ? reversed(t, params) : t;
    } catch (const TrackError& e) {
      last_error = e.what();
    }
  }
  throw TrackError("no valid track after " + std::to_string(kMaxAttempts) + " attempts for seed " + std::to_string(seed) + " (last: " + last_error + ")");
}

}  // namespace dl::sim
