// drivelab/sim: a uniform grid over line segments, for "which segments are near this point" and "which
// segment is nearest to this point" in time independent of the number of segments.
//
// Each segment is entered in every cell its line passes through (rows are clipped exactly, so a long
// diagonal segment costs the cells it crosses, not its bounding box). The cell size is chosen so the grid
// has at most a few cells per segment whatever the empty area around the segments: memory is O(n) for any
// layout, and a query visits the cells around the point. Cells are stored compactly (CSR: one offsets
// array and one index array). Built once, then read-only: queries are const and safe from many threads.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/geometry.h"

namespace dl::sim {

struct Segment {
  Vec2 a, b;
};

class SegmentGrid {
 public:
  // Segment i of the result is segments[i]. cell_m <= 0 picks a size from the segments: about the mean
  // segment length, grown when needed so the grid holds at most kMaxCellsPerSegment cells per segment.
  // Coordinates must be finite.
  void build(std::vector<Segment> segments, float cell_m = 0);
  // The closed polyline points[0] -> points[1] -> ... -> points[n-1] -> points[0]: segment i runs from
  // points[i] to points[(i+1) % n], as track segments do.
  void build_closed(const std::vector<Vec2>& points, float cell_m = 0);

  // Indices of the segments within distance r of p (distance to the segment, not to its ends), ascending,
  // written to `out` (cleared first).
  void segments_near(Vec2 p, float r, std::vector<int>& out) const;
  // Index of the segment nearest to p (the lowest index among equally near ones), or -1 when the grid is
  // empty. distance_m, when given, receives the distance.
  int nearest(Vec2 p, float* distance_m = nullptr) const;

  int size() const { return static_cast<int>(segments_.size()); }
  const Segment& segment(int i) const { return segments_[i]; }
  float cell_m() const { return cell_m_; }
  int64_t cell_count() const { return static_cast<int64_t>(nx_) * ny_; }

  // Distance from p to the segment a-b.
  static float distance(Vec2 p, const Segment& s);

  static constexpr int kMaxCellsPerSegment = 4;

 private:
  int cell_x(float x) const;  // clamped to the grid
  int cell_y(float y) const;
  template <class Fn>
  void for_each_cell_of(const Segment& s, Fn&& fn) const;

  std::vector<Segment> segments_;
  Vec2 origin_;
  float cell_m_ = 1;
  int nx_ = 0, ny_ = 0;
  std::vector<uint32_t> cell_start_;  // nx*ny + 1 offsets into cell_items_
  std::vector<uint32_t> cell_items_;  // segment indices, grouped by cell, ascending within a cell
};

}  // namespace dl::sim
