// drivelab/sim: the same track with its start line moved to another centre-line point.
#pragma once
#include <algorithm>
#include <stdexcept>
#include <string>

#include "sim/track.h"

namespace dl::sim {

// The lap of `track` started at centre-line point `start` (0 <= start < num_tiles): point `start`
// becomes point 0, so the car starts there, facing along the track, and the lap (and its lap rule) counts
// from there. Only the numbering changes: the road, its widths, curvatures and kerbs are the same, and
// the arc lengths are measured from the new point 0. Exact (no resampling), O(n).
inline Track started_at(const Track& track, int start) {
  const int n = track.num_tiles();
  if (start < 0 || start >= n)
    throw std::invalid_argument("started_at: start point " + std::to_string(start) + " outside [0, " +
                                std::to_string(n) + ")");
  if (start == 0) return track;
  Track t = track;
  std::rotate(t.center.begin(), t.center.begin() + start, t.center.end());
  std::rotate(t.width.begin(), t.width.begin() + start, t.width.end());
  std::rotate(t.curvature.begin(), t.curvature.begin() + start, t.curvature.end());
  std::rotate(t.kerb.begin(), t.kerb.begin() + start, t.kerb.end());
  const float origin_m = track.arc_length[start];
  for (int i = 0; i < n; ++i) {
    const float a = track.arc_length[(i + start) % n] - origin_m;
    t.arc_length[i] = a < 0 ? a + track.length_m : a;
  }
  return t;
}

}  // namespace dl::sim
