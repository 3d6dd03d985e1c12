// drivelab/sim internal: where a point is relative to a track (nearest segment, offset, surface).
#pragma once
#include <cstdint>
#include <vector>

#include "sim/car.h"
#include "sim/segment_grid.h"
#include "sim/track.h"

namespace dl::sim {

struct TrackProjection {
  int segment = 0;
  float t = 0;             // position along the segment [0, 1]
  float lateral_m = 0;     // signed offset from the centre line, left positive
  float distance_m = 0;    // unsigned distance to the segment
  float half_width_m = 0;  // road half width there
  float arc_m = 0;         // arc length of the projected point
};

class TrackQuery {
 public:
  static constexpr float kKerbWidth_m = 1.0f;

  void build(const Track* track);
  TrackProjection project(Vec2 p, int segment) const;
  // Walks from `hint` to the nearest segment downhill in distance. Cheap, and right whenever the point
  // moved a little since `hint` was computed; a global search is the fallback when far off the road.
  int nearest_local(Vec2 p, int hint) const;
  // The nearest segment anywhere (the lowest index among equally near ones), through a grid of the
  // segments: its cost does not grow with the track's length, so a car off the road costs what a car on
  // it does.
  int nearest_global(Vec2 p) const;
  // Local search, falling back to a global one when the point is off the road (it may have crossed
  // the grass to another part of the track).
  int nearest(Vec2 p, int hint) const;
  Surface surface(const TrackProjection& pr) const;
  Vec2 direction(int segment) const { return dir_[segment]; }
  float segment_length(int segment) const { return len_[segment]; }
  // Side of the road a kerb is on: the outside of the bend (+1 left, -1 right, 0 none).
  int kerb_side(int segment) const { return kerb_side_[segment]; }
  // Point on the centre line (with a lateral offset) at arc length s, wrapped around the loop.
  Vec2 point_at(float arc_m, float lateral_m) const;
  int segment_at(float arc_m) const;
  const Track& track() const { return *track_; }

 private:
  float distance2(Vec2 p, int segment) const;
  const Track* track_ = nullptr;
  std::vector<Vec2> dir_;
  std::vector<float> len_;
  std::vector<int8_t> kerb_side_;
  SegmentGrid grid_;
  mutable std::vector<int> candidates_;  // scratch for nearest_global (a TrackQuery serves one thread)
};

}  // namespace dl::sim
