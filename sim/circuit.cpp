// Circuit layouts: a rounded random polygon (see circuit.h for the recipe and the reasons).
#include "sim/circuit.h"

#include <algorithm>
#include <cmath>

#include "sim/polyline.h"

namespace dl::sim {
namespace {

constexpr float kPi = 3.14159265358979f;
// An arc is sampled at least this finely before the even resampling to the track's spacing.
constexpr float kArcStep_m = 0.5f;
// Two neighbouring arcs may use at most this share of the edge between them; the rest stays straight.
constexpr float kEdgeUse = 0.9f;
// Polygon turns sharper than this are rounded as hairpins, sharper than kMediumTurn as medium corners.
constexpr float kHairpinTurn_rad = 2.1f;  // 120 degrees
constexpr float kMediumTurn_rad = 0.8f;   // 46 degrees
// Chicanes go on edges at least this long, esses on edges at least kEssesEdge_m long.
constexpr float kChicaneEdge_m = 300;
constexpr float kEssesEdge_m = 500;

Vec2 left_of(Vec2 d) { return {-d.y, d.x}; }
Vec2 unit(Vec2 d) {
  const float len = d.length();
  return len > 0 ? d * (1 / len) : Vec2{1, 0};
}

double log_uniform(Rng& rng, double lo, double hi) { return std::exp(rng.uniform(std::log(lo), std::log(hi))); }

double perimeter(const std::vector<Vec2>& poly) { return closed_length(poly); }

// Star-shaped polygon: vertices at sorted jittered angles, some pushed in so the lap also turns the other
// way, stretched along x so the shape is not round.
std::vector<Vec2> draw_polygon(Rng& rng, const TrackConfig& p) {
  const int k = static_cast<int>(rng.uniform_int(p.checkpoints, p.checkpoints + 5));
  const float stretch = static_cast<float>(rng.uniform(1.2, 2.2));
  std::vector<Vec2> v(k);
  for (int i = 0; i < k; ++i) {
    const float a = 2 * kPi * (i + static_cast<float>(rng.uniform(-p.angle_noise, p.angle_noise)) * 0.5f) / k;
    const bool dent = rng.uniform() < 0.3;
    const float r = static_cast<float>(dent ? rng.uniform(0.3, 0.5) : rng.uniform(1 - p.radius_noise, 1.0));
    v[i] = {stretch * r * std::cos(a), r * std::sin(a)};
  }
  return v;
}

// Inserts a chicane (a lateral step out and back) or esses (alternating offsets) into long edges.
std::vector<Vec2> add_details(Rng& rng, const std::vector<Vec2>& poly) {
  std::vector<Vec2> out;
  const int n = static_cast<int>(poly.size());
  for (int i = 0; i < n; ++i) {
    const Vec2 a = poly[i], b = poly[(i + 1) % n];
    out.push_back(a);
    const float len = (b - a).length();
    const Vec2 d = unit(b - a), side = left_of(d);
    const double roll = rng.uniform();
    if (len > kChicaneEdge_m && roll < 0.35) {
      // Chicanes mostly sit in a braking zone near the end of a straight, which keeps the straight long.
      const float s = len * static_cast<float>(rng.uniform(0.72, 0.88));
      const float half = static_cast<float>(rng.uniform(25, 45));
      const float ramp = static_cast<float>(rng.uniform(10, 20));
      const float h = static_cast<float>(rng.uniform(6, 12)) * (rng.uniform() < 0.5 ? -1.f : 1.f);
      out.push_back(a + d * (s - half));
      out.push_back(a + d * (s - half + ramp) + side * h);
      out.push_back(a + d * (s + half - ramp) + side * h);
      out.push_back(a + d * (s + half));
    } else if (len > kEssesEdge_m && roll < 0.65) {
      const int m = static_cast<int>(rng.uniform_int(2, 3));
      float sign = rng.uniform() < 0.5 ? -1.f : 1.f;
      for (int j = 1; j <= m; ++j) {
        const float h = static_cast<float>(rng.uniform(10, 25)) * sign;
        out.push_back(a + d * (len * j / (m + 1)) + side * h);
        sign = -sign;
      }
    }
  }
  return out;
}

struct Corner {
  Vec2 vertex;
  Vec2 d_in, d_out;
  float turn_rad = 0;  // signed, left positive
  float radius_m = 0;
  float tangent_m() const { return radius_m * std::tan(0.5f * std::fabs(turn_rad)); }
};

void set_tangent(Corner& c, float tangent_m) {
  c.radius_m = tangent_m / std::max(1e-6f, std::tan(0.5f * std::fabs(c.turn_rad)));
}

float draw_radius(Rng& rng, float turn_rad, float min_radius_m) {
  const float t = std::fabs(turn_rad);
  double r;
  if (t > kHairpinTurn_rad) r = rng.uniform(12, 25);
  else if (t > kMediumTurn_rad) r = log_uniform(rng, 25, 120);
  else r = log_uniform(rng, 80, 500);
  return std::max(static_cast<float>(r), min_radius_m);
}

// Rounds every vertex with an arc; false when two arcs cannot share an edge even at the smallest radius.
bool round_corners(Rng& rng, const std::vector<Vec2>& poly, float min_radius_m, std::vector<Corner>* corners) {
  const int n = static_cast<int>(poly.size());
  corners->assign(n, Corner{});
  for (int i = 0; i < n; ++i) {
    Corner& c = (*corners)[i];
    c.vertex = poly[i];
    c.d_in = unit(poly[i] - poly[(i + n - 1) % n]);
    c.d_out = unit(poly[(i + 1) % n] - poly[i]);
    c.turn_rad = std::atan2(c.d_in.cross(c.d_out), c.d_in.dot(c.d_out));
    if (std::fabs(c.turn_rad) > 2.9f) return false;  // a near reversal: the edges would overlap
    c.radius_m = draw_radius(rng, c.turn_rad, min_radius_m);
  }
  // Where two arcs over-use the edge between them, shrink the bigger one first (down to half the room if
  // both are big): proportional shrinking would squeeze a small arc below the minimum radius when its
  // neighbour is a wide sweeper. A shrunk arc can make room on its other edge, so iterate.
  for (int pass = 0; pass < 8; ++pass) {
    bool changed = false;
    for (int i = 0; i < n; ++i) {
      Corner& a = (*corners)[i];
      Corner& b = (*corners)[(i + 1) % n];
      const float room = kEdgeUse * (b.vertex - a.vertex).length();
      const float ta = a.tangent_m(), tb = b.tangent_m();
      if (ta + tb <= room) continue;
      const float half = 0.5f * room;
      if (ta > half && tb > half) {
        set_tangent(a, half);
        set_tangent(b, half);
      } else if (ta > tb) {
        set_tangent(a, room - tb);
      } else {
        set_tangent(b, room - ta);
      }
      changed = true;
    }
    if (!changed) break;
  }
  for (int i = 0; i < n; ++i) {
    const Corner& a = (*corners)[i];
    const Corner& b = (*corners)[(i + 1) % n];
    if (a.radius_m < min_radius_m) return false;
    if (a.tangent_m() + b.tangent_m() > kEdgeUse * (b.vertex - a.vertex).length() * 1.001f) return false;
  }
  return true;
}

// The dense closed path (arcs finely sampled, straights as their end points), starting in the middle of
// the longest straight.
std::vector<Vec2> trace(const std::vector<Corner>& corners) {
  const int n = static_cast<int>(corners.size());
  int longest = 0;
  float longest_m = -1;
  for (int i = 0; i < n; ++i) {
    const Corner& a = corners[i];
    const Corner& b = corners[(i + 1) % n];
    const float straight = (b.vertex - a.vertex).length() - a.tangent_m() - b.tangent_m();
    if (straight > longest_m) longest_m = straight, longest = i;
  }
  std::vector<Vec2> path;
  {
    const Corner& a = corners[longest];
    const Corner& b = corners[(longest + 1) % n];
    const Vec2 from = a.vertex + a.d_out * a.tangent_m(), to = b.vertex - b.d_in * b.tangent_m();
    path.push_back((from + to) * 0.5f);
  }
  for (int k = 1; k <= n; ++k) {
    const Corner& c = corners[(longest + k) % n];
    const float t = c.tangent_m();
    const Vec2 start = c.vertex - c.d_in * t;
    const float sign = c.turn_rad >= 0 ? 1.f : -1.f;
    const Vec2 centre = start + left_of(c.d_in) * (sign * c.radius_m);
    const Vec2 r0 = start - centre;
    const float a0 = std::atan2(r0.y, r0.x);
    const int steps = std::max(2, static_cast<int>(std::ceil(std::fabs(c.turn_rad) * c.radius_m / kArcStep_m)));
    for (int s = 0; s <= steps; ++s) {
      const float a = a0 + c.turn_rad * s / steps;
      path.push_back(centre + Vec2{std::cos(a), std::sin(a)} * c.radius_m);
    }
  }
  // The loop closes back onto path[0], the middle of the longest straight; its far half is the last span.
  return path;
}

}  // namespace

CircuitDraft draw_circuit(Rng& rng, const TrackConfig& p) {
  CircuitDraft draft;
  const float target_m = static_cast<float>(rng.uniform(p.length_min_m, std::max(p.length_min_m, p.length_max_m)));
  std::vector<Vec2> poly = draw_polygon(rng, p);
  const float scale = target_m / static_cast<float>(perimeter(poly));
  for (Vec2& v : poly) v = v * scale;
  poly = add_details(rng, poly);
  // Hairpins no tighter than the road can bend around (edge folding) and the bound the track is checked at.
  const float widest_m = p.width_m + p.width_variation_m;
  const float min_radius_m = std::max(p.min_curve_radius_m * 1.05f, 0.5f * widest_m + 3);
  std::vector<Corner> corners;
  if (!round_corners(rng, poly, min_radius_m, &corners)) return draft;
  const std::vector<Vec2> path = trace(corners);
  const double length = closed_length(path);
  if (length < 0.9 * p.length_min_m || length > 1.1 * p.length_max_m) return draft;
  const int count = std::max(8, static_cast<int>(std::lround(length / p.point_spacing_m)));
  draft.center = resample_closed(path, count);
  // Width: two slow waves along the lap, inside width_m +- width_variation_m.
  const int f1 = static_cast<int>(rng.uniform_int(1, 2)), f2 = static_cast<int>(rng.uniform_int(3, 5));
  const float p1 = static_cast<float>(rng.uniform(0, 2 * kPi)), p2 = static_cast<float>(rng.uniform(0, 2 * kPi));
  draft.width.resize(count);
  for (int i = 0; i < count; ++i) {
    const float u = 2 * kPi * i / count;
    const float wave = 0.6f * std::sin(f1 * u + p1) + 0.4f * std::sin(f2 * u + p2);
    draft.width[i] = p.width_m + p.width_variation_m * wave;
  }
  return draft;
}

TrackStats track_stats(const Track& t) {
  TrackStats s;
  const int n = t.num_tiles();
  s.length_m = t.length_m;
  if (n == 0) return s;
  s.width_min_m = *std::min_element(t.width.begin(), t.width.end());
  s.width_max_m = *std::max_element(t.width.begin(), t.width.end());
  float kmax = 0;
  double area2 = 0;
  for (int i = 0; i < n; ++i) {
    kmax = std::max(kmax, std::fabs(t.curvature[i]));
    const Vec2 a = t.center[i], b = t.center[(i + 1) % n];
    area2 += static_cast<double>(a.x) * b.y - static_cast<double>(b.x) * a.y;
  }
  s.min_radius_m = kmax > 0 ? 1 / kmax : 1e9f;
  s.clockwise = area2 < 0;
  // Runs are found from a point that belongs to neither a corner nor a straight run's middle: start after
  // the first point of different kind so no run is split by the loop's seam.
  auto corner_at = [&](int i) { return std::fabs(t.curvature[i % n]) > 1 / kCornerRadius_m; };
  auto straight_at = [&](int i) { return std::fabs(t.curvature[i % n]) < 1 / kStraightRadius_m; };
  int start = 0;
  while (start < n && corner_at(start)) ++start;
  if (start == n) {
    s.corners = 1;
  } else {
    for (int i = start; i < start + n;) {
      if (!corner_at(i)) { ++i; continue; }
      float turn = 0;
      while (i < start + n && corner_at(i)) {
        const int j = i % n;
        turn += t.curvature[j] * (t.center[(j + 1) % n] - t.center[j]).length();
        ++i;
      }
      ++s.corners;
      if (std::fabs(turn) > 2 * kPi / 3) ++s.hairpins;
    }
  }
  int sstart = 0;
  while (sstart < n && straight_at(sstart)) ++sstart;
  if (sstart == n) {
    s.longest_straight_m = t.length_m;
  } else {
    for (int i = sstart; i < sstart + n;) {
      if (!straight_at(i)) { ++i; continue; }
      float run = 0;
      while (i < sstart + n && straight_at(i)) {
        const int j = i % n;
        run += (t.center[(j + 1) % n] - t.center[j]).length();
        ++i;
      }
      s.longest_straight_m = std::max(s.longest_straight_m, run);
    }
  }
  s.corners_per_km = s.corners / std::max(1e-3f, t.length_m / 1000);
  return s;
}

}  // namespace dl::sim
