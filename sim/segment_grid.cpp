#include "sim/segment_grid.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dl::sim {
namespace {

float distance2(Vec2 p, const Segment& s) {
  const Vec2 ab = s.b - s.a;
  const float len2 = ab.dot(ab);
  const float t = len2 > 0 ? std::clamp((p - s.a).dot(ab) / len2, 0.f, 1.f) : 0.f;
  const Vec2 d = p - (s.a + ab * t);
  return d.dot(d);
}

// Cell index of a coordinate, clamped to [0, count - 1]; NaN goes to 0. Converting only after the clamp
// keeps far-away points (and huge radii) from overflowing an int.
int clamped_cell(double offset, double cell, int count) {
  const double c = std::floor(offset / cell);
  if (!(c >= 0)) return 0;
  if (c >= count - 1) return count - 1;
  return static_cast<int>(c);
}

}  // namespace

float SegmentGrid::distance(Vec2 p, const Segment& s) { return std::sqrt(distance2(p, s)); }

int SegmentGrid::cell_x(float x) const { return clamped_cell(static_cast<double>(x) - origin_.x, cell_m_, nx_); }
int SegmentGrid::cell_y(float y) const { return clamped_cell(static_cast<double>(y) - origin_.y, cell_m_, ny_); }

// Calls fn(cell index) for every cell the segment passes through, row by row: each row's x range is the
// segment clipped to the row, widened by a hair so a segment running along a cell border is entered on
// both sides (queries then never miss it to rounding).
template <class Fn>
void SegmentGrid::for_each_cell_of(const Segment& s, Fn&& fn) const {
  const double eps = 1e-3 * cell_m_;
  const double ax = s.a.x, ay = s.a.y, bx = s.b.x, by = s.b.y;
  const int j0 = cell_y(static_cast<float>(std::min(ay, by) - eps)), j1 = cell_y(static_cast<float>(std::max(ay, by) + eps));
  for (int j = j0; j <= j1; ++j) {
    double x_lo = std::min(ax, bx), x_hi = std::max(ax, bx);
    if (ay != by && j0 != j1) {
      const double row_lo = origin_.y + static_cast<double>(j) * cell_m_ - eps, row_hi = row_lo + cell_m_ + 2 * eps;
      double t0 = (row_lo - ay) / (by - ay), t1 = (row_hi - ay) / (by - ay);
      if (t0 > t1) std::swap(t0, t1);
      t0 = std::clamp(t0, 0.0, 1.0), t1 = std::clamp(t1, 0.0, 1.0);
      const double xa = ax + (bx - ax) * t0, xb = ax + (bx - ax) * t1;
      x_lo = std::min(xa, xb), x_hi = std::max(xa, xb);
    }
    const int i0 = cell_x(static_cast<float>(x_lo - eps)), i1 = cell_x(static_cast<float>(x_hi + eps));
    for (int i = i0; i <= i1; ++i) fn(static_cast<size_t>(j) * nx_ + i);
  }
}

void SegmentGrid::build(std::vector<Segment> segments, float cell_m) {
  segments_ = std::move(segments);
  cell_start_.clear();
  cell_items_.clear();
  nx_ = ny_ = 0;
  const size_t n = segments_.size();
  if (n == 0) return;
  double lo_x = segments_[0].a.x, lo_y = segments_[0].a.y, hi_x = lo_x, hi_y = lo_y, total_length = 0;
  for (const Segment& s : segments_) {
    for (const Vec2& p : {s.a, s.b}) {
      lo_x = std::min<double>(lo_x, p.x), hi_x = std::max<double>(hi_x, p.x);
      lo_y = std::min<double>(lo_y, p.y), hi_y = std::max<double>(hi_y, p.y);
    }
    total_length += (s.b - s.a).length();
  }
  const double w = hi_x - lo_x, h = hi_y - lo_y;
  const double max_cells = static_cast<double>(kMaxCellsPerSegment) * static_cast<double>(n);
  // The cell grows until the grid has at most ~max_cells cells in area and along its longer side.
  double cell = cell_m > 0 ? cell_m : total_length / static_cast<double>(n);
  cell = std::max({cell, std::sqrt(w * h / max_cells), std::max(w, h) / max_cells, 1e-3});
  cell_m_ = static_cast<float>(cell);
  origin_ = {static_cast<float>(lo_x), static_cast<float>(lo_y)};
  nx_ = static_cast<int>(std::floor(w / cell_m_)) + 1;
  ny_ = static_cast<int>(std::floor(h / cell_m_)) + 1;
  const size_t cells = static_cast<size_t>(nx_) * ny_;
  cell_start_.assign(cells + 1, 0);
  for (const Segment& s : segments_) for_each_cell_of(s, [&](size_t c) { ++cell_start_[c + 1]; });
  for (size_t c = 0; c < cells; ++c) cell_start_[c + 1] += cell_start_[c];
  cell_items_.resize(cell_start_[cells]);
  std::vector<uint32_t> fill(cell_start_.begin(), cell_start_.end() - 1);
  for (size_t i = 0; i < n; ++i)
    for_each_cell_of(segments_[i], [&](size_t c) { cell_items_[fill[c]++] = static_cast<uint32_t>(i); });
}

void SegmentGrid::build_closed(const std::vector<Vec2>& points, float cell_m) {
  std::vector<Segment> segments(points.size());
  for (size_t i = 0; i < points.size(); ++i) segments[i] = {points[i], points[(i + 1) % points.size()]};
  build(std::move(segments), cell_m);
}

void SegmentGrid::segments_near(Vec2 p, float r, std::vector<int>& out) const {
  out.clear();
  if (segments_.empty() || !(r >= 0)) return;
  const int i0 = cell_x(p.x - r), i1 = cell_x(p.x + r), j0 = cell_y(p.y - r), j1 = cell_y(p.y + r);
  for (int j = j0; j <= j1; ++j)
    for (int i = i0; i <= i1; ++i) {
      const size_t c = static_cast<size_t>(j) * nx_ + i;
      for (uint32_t k = cell_start_[c]; k < cell_start_[c + 1]; ++k) out.push_back(static_cast<int>(cell_items_[k]));
    }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  const float r2 = r * r;
  out.erase(std::remove_if(out.begin(), out.end(), [&](int s) { return !(distance2(p, segments_[s]) <= r2); }), out.end());
}

// Rings of cells around p's cell, nearest first, until no unvisited cell can hold anything nearer than
// the best segment so far.
int SegmentGrid::nearest(Vec2 p, float* distance_m) const {
  float best2 = std::numeric_limits<float>::infinity();
  int best = -1;
  if (segments_.empty()) {
    if (distance_m) *distance_m = best2;
    return best;
  }
  const int ci = cell_x(p.x), cj = cell_y(p.y);
  auto visit = [&](int i, int j) {
    const size_t c = static_cast<size_t>(j) * nx_ + i;
    for (uint32_t k = cell_start_[c]; k < cell_start_[c + 1]; ++k) {
      const int s = static_cast<int>(cell_items_[k]);
      const float d2 = distance2(p, segments_[s]);
      if (d2 < best2 || (d2 == best2 && s < best)) best2 = d2, best = s;
    }
  };
  for (int k = 0;; ++k) {
    const int i0 = ci - k, i1 = ci + k, j0 = cj - k, j1 = cj + k;
    for (int j = std::max(j0, 0); j <= std::min(j1, ny_ - 1); ++j) {
      if (j == j0 || j == j1) {
        for (int i = std::max(i0, 0); i <= std::min(i1, nx_ - 1); ++i) visit(i, j);
      } else {
        if (i0 >= 0) visit(i0, j);
        if (i1 < nx_ && i1 != i0) visit(i1, j);
      }
    }
    // Unvisited cells lie beyond a side of the visited square that is not a grid border; p is at least
    // this far from every one of them.
    double bound = std::numeric_limits<double>::infinity();
    if (i0 > 0) bound = std::min(bound, static_cast<double>(p.x) - (origin_.x + static_cast<double>(i0) * cell_m_));
    if (i1 < nx_ - 1) bound = std::min(bound, origin_.x + static_cast<double>(i1 + 1) * cell_m_ - p.x);
    if (j0 > 0) bound = std::min(bound, static_cast<double>(p.y) - (origin_.y + static_cast<double>(j0) * cell_m_));
    if (j1 < ny_ - 1) bound = std::min(bound, origin_.y + static_cast<double>(j1 + 1) * cell_m_ - p.y);
    if (bound == std::numeric_limits<double>::infinity()) break;  // the whole grid is visited
    if (best >= 0 && std::sqrt(static_cast<double>(best2)) < bound) break;
  }
  if (distance_m) *distance_m = std::sqrt(best2);
  return best;
}

}  // namespace dl::sim
