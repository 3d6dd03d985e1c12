// Track shapes as turning-angle vectors: encoding, decoding with repair, and a shape distance.
#include "envs/track_shape.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/polyline.h"

namespace dl::envs {
namespace {

using sim::Vec2;

constexpr double kTwoPi = 6.283185307179586;
// B-spline samples per N-gon edge before resampling at the point spacing.
constexpr int kSplineSamples = 8;
// Repair bounds bends by a radius this much above the minimum: the B-spline, the closing shear and the
// resampling each change curvature a little, and validation must still pass afterwards.
constexpr float kBendMargin = 1.25f;
// Repair lengthens a loop to at least this many times the circumference of a circle at that radius.
constexpr float kMinLengthFactor = 1.1f;
// Longer loops are rejected: no generator trained on our tracks should propose one.
constexpr float kMaxLength_m = 20000;
// Smoothing passes before the angles are also pulled toward a circle's, and how far each pass pulls.
constexpr int kSmoothOnlyPasses = 3;
constexpr float kCircleBlend = 0.2f;
// Without repair, a loop whose end misses its start by more than this many edge lengths is rejected.
constexpr float kRawClosureEdges = 1.0f;

// The N-gon of the angles: edge k leaves vertex k with heading a_0 + ... + a_k. Returns N + 1 vertices;
// the last is where the loop ends (the start again, when it closes).
std::vector<Vec2> integrate(const std::vector<float>& angles, float edge_m) {
  std::vector<Vec2> p(angles.size() + 1);
  // Edge 0 heads up (+y), as a procedural track leaves its point 0, so pictures of both look alike.
  double heading = kTwoPi / 4 - angles[0];
  for (size_t k = 0; k < angles.size(); ++k) {
    heading += angles[k];
    p[k + 1] = p[k] + Vec2{static_cast<float>(std::cos(heading)), static_cast<float>(std::sin(heading))} * edge_m;
  }
  return p;
}

void centre(std::vector<Vec2>& poly) {
  Vec2 c;
  for (const Vec2& p : poly) c = c + p;
  c = c * (1.f / static_cast<float>(poly.size()));
  for (Vec2& p : poly) p = p - c;
}

void spread_turning(std::vector<float>& a) {
  double sum = 0;
  for (float x : a) sum += x;
  const float shift = static_cast<float>((kTwoPi - sum) / static_cast<double>(a.size()));
  for (float& x : a) x += shift;
}

// Bounds every angle by max_turn while keeping the 2 pi total (feasible when N * max_turn > 2 pi).
void bound_bends(std::vector<float>& a, float max_turn) {
  for (int iter = 0; iter < 16; ++iter) {
    bool within = true;
    for (float& x : a) {
      if (std::fabs(x) > max_turn) within = false;
      x = std::clamp(x, -max_turn, max_turn);
    }
    spread_turning(a);
    if (within) return;
  }
  for (float& x : a) x = std::clamp(x, -max_turn, max_turn);
}

void smooth(std::vector<float>& a, bool toward_circle) {
  const int n = static_cast<int>(a.size());
  std::vector<float> out(n);
  for (int i = 0; i < n; ++i) out[i] = 0.25f * a[(i + n - 1) % n] + 0.5f * a[i] + 0.25f * a[(i + 1) % n];
  if (toward_circle) {
    const float circle = static_cast<float>(kTwoPi / n);
    for (float& x : out) x += kCircleBlend * (circle - x);
  }
  a = std::move(out);
}

// The road: the N-gon smoothed by a closed B-spline and resampled at the point spacing.
sim::Track build(const std::vector<Vec2>& polygon, const sim::TrackConfig& params) {
  const std::vector<Vec2> dense = sim::closed_bspline(polygon, kSplineSamples);
  const int count = std::max(8, static_cast<int>(std::lround(sim::closed_length(dense) / params.point_spacing_m)));
  std::vector<Vec2> center = sim::resample_closed(dense, count);
  std::vector<float> width(center.size(), params.width_m);
  return sim::make_track(std::move(center), std::move(width), params);
}

DecodeResult reject(std::string why) {
  DecodeResult r;
  r.rejection = std::move(why);
  return r;
}

// Validates and fills the result; returns the validation error, or "" when the track is valid.
std::string try_accept(const std::vector<Vec2>& polygon, const sim::TrackConfig& params, DecodeResult& out) {
  sim::Track track = build(polygon, params);
  try {
    track.validate(params.min_curve_radius_m);
  } catch (const sim::TrackError& e) {
    return e.what();
  }
  out.track = std::move(track);
  out.polygon = polygon;
  centre(out.polygon);
  return "";
}

}  // namespace

std::vector<float> encode_track(const sim::Track& track, int samples) {
  if (samples < kMinShapeSamples)
    throw sim::TrackError("track shape: needs at least " + std::to_string(kMinShapeSamples) + " samples, got " +
                          std::to_string(samples));
  std::vector<Vec2> pts = track.center;
  if (pts.size() < 3) throw sim::TrackError("track shape: the track has fewer than 3 centre-line points");
  double area2 = 0;
  for (size_t i = 0; i < pts.size(); ++i) area2 += pts[i].cross(pts[(i + 1) % pts.size()]);
  if (area2 < 0) std::reverse(pts.begin() + 1, pts.end());  // counter-clockwise, still starting at point 0
  const std::vector<Vec2> q = sim::resample_closed(pts, samples);
  std::vector<float> values(samples + 1);
  std::vector<double> heading(samples);
  for (int k = 0; k < samples; ++k) {
    const Vec2 d = q[(k + 1) % samples] - q[k];
    if (d.length() < 1e-6f) throw sim::TrackError("track shape: the track has repeated points");
    heading[k] = std::atan2(d.y, d.x);
  }
  for (int k = 0; k < samples; ++k)
    values[k] = sim::wrap_angle(static_cast<float>(heading[k] - heading[(k + samples - 1) % samples]));
  values[samples] = static_cast<float>(sim::closed_length(q));
  return values;
}

DecodeResult decode_track(const std::vector<float>& values, const sim::TrackConfig& params,
                          const DecodeOptions& options) {
  const int n = static_cast<int>(values.size()) - 1;
  if (n < kMinShapeSamples)
    return reject("a shape needs at least " + std::to_string(kMinShapeSamples + 1) + " values, got " +
                  std::to_string(values.size()));
  for (int i = 0; i <= n; ++i)
    if (!std::isfinite(values[i])) return reject("value " + std::to_string(i) + " is not finite");
  std::vector<float> angles(values.begin(), values.begin() + n);
  float length_m = values[n];
  if (length_m > kMaxLength_m)
    return reject("length " + std::to_string(length_m) + " m is beyond " + std::to_string(kMaxLength_m) + " m");

  if (!options.repair) {
    if (!(length_m > 0)) return reject("length " + std::to_string(length_m) + " m is not positive");
    const float edge_m = length_m / static_cast<float>(n);
    std::vector<Vec2> p = integrate(angles, edge_m);
    const float gap_m = (p[n] - p[0]).length();
    if (gap_m > kRawClosureEdges * edge_m)
      return reject("the loop does not close: it ends " + std::to_string(gap_m) + " m from its start");
    p.pop_back();
    DecodeResult r;
    const std::string why = try_accept(p, params, r);
    return why.empty() ? r : reject(why);
  }

  const float reach_m = 0.5f * params.width_m + (params.walls ? params.wall_offset_m : 0.f);
  const float bend_radius_m = kBendMargin * std::max(params.min_curve_radius_m, reach_m + 0.5f);
  length_m = std::max(length_m, kMinLengthFactor * static_cast<float>(kTwoPi) * bend_radius_m);
  length_m = std::max(length_m, 8 * params.point_spacing_m);
  const float edge_m = length_m / static_cast<float>(n);
  const float max_turn = edge_m / bend_radius_m;
  std::string why;
  for (int pass = 0; pass <= options.max_repair_passes; ++pass) {
    if (pass > 0) smooth(angles, pass > kSmoothOnlyPasses);
    spread_turning(angles);
    bound_bends(angles, max_turn);
    std::vector<Vec2> p = integrate(angles, edge_m);
    const Vec2 gap = p[n] - p[0];
    for (int k = 0; k <= n; ++k) p[k] = p[k] - gap * (static_cast<float>(k) / static_cast<float>(n));
    p.pop_back();
    DecodeResult r;
    why = try_accept(p, params, r);
    if (why.empty()) {
      r.repair_passes = pass;
      return r;
    }
  }
  return reject("still invalid after " + std::to_string(options.max_repair_passes) + " repair passes: " + why);
}

float shape_distance(const std::vector<Vec2>& a, const std::vector<Vec2>& b, int shift_stride) {
  if (a.size() != b.size() || a.empty())
    throw std::invalid_argument("shape_distance: polygons of " + std::to_string(a.size()) + " and " +
                                std::to_string(b.size()) + " vertices");
  const int n = static_cast<int>(a.size());
  auto centred = [](std::vector<Vec2> p) {
    centre(p);
    return p;
  };
  const std::vector<Vec2> p = centred(a), q = centred(b);
  double norms = 0;
  for (int i = 0; i < n; ++i) norms += p[i].dot(p[i]) + q[i].dot(q[i]);
  double best = norms;
  for (int s = 0; s < n; s += std::max(1, shift_stride)) {
    double dot = 0, cross = 0;
    for (int i = 0; i < n; ++i) {
      const Vec2 v = q[(i + s) % n];
      dot += p[i].dot(v);
      cross += p[i].cross(v);
    }
    // The best rotation of q onto p leaves |p|^2 + |q|^2 - 2 sqrt(dot^2 + cross^2).
    best = std::min(best, norms - 2 * std::sqrt(dot * dot + cross * cross));
  }
  return static_cast<float>(std::sqrt(std::max(best, 0.0) / n));
}

}  // namespace dl::envs
