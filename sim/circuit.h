// drivelab/sim: circuit-scale layouts (TrackLayout::circuit), built the way road designers draw them:
// straights joined by circular arcs.
//
// A random star-shaped polygon (some vertices pushed in, so the lap turns both ways; stretched 1.2-2.2x
// along one axis) is scaled to the
// target lap length; some long edges get a chicane (a lateral step out and back, near the edge's end) or esses (alternating
// offsets); then every vertex is rounded by a circular arc whose radius follows from how sharply the
// polygon turns there (hairpins 12-25 m, medium corners 25-120 m, kinks and sweepers 80-500 m), shrunk
// where two arcs would need more of an edge than it has. What is left of each edge is a straight. Widths
// vary slowly along the lap. The result is sampled at the track's point spacing and validated as every
// track is (sim/track.h); an attempt that fails is redrawn with a derived seed.
#pragma once
#include <vector>

#include "sim/geometry.h"
#include "sim/rng.h"
#include "sim/track.h"

namespace dl::sim {

// One attempt: a closed centre line (at params.point_spacing_m) and a width per point, counter-clockwise,
// starting in the middle of the longest straight. Empty when the draw could not be rounded into arcs
// (the caller redraws).
struct CircuitDraft {
  std::vector<Vec2> center;
  std::vector<float> width;
};
CircuitDraft draw_circuit(Rng& rng, const TrackConfig& params);

// Shape statistics of any track, for the generator's documented ranges and `drivelab tracks show`.
struct TrackStats {
  float length_m = 0;
  int corners = 0;              // maximal runs of points bending tighter than kCornerRadius_m
  float corners_per_km = 0;
  float longest_straight_m = 0; // longest run of points bending gentler than kStraightRadius_m
  float min_radius_m = 0;       // tightest bend of the centre line
  int hairpins = 0;             // corners turning more than 120 degrees
  float width_min_m = 0, width_max_m = 0;
  bool clockwise = false;       // the loop's signed area is negative
};
inline constexpr float kCornerRadius_m = 250;
inline constexpr float kStraightRadius_m = 1000;
TrackStats track_stats(const Track& track);

}  // namespace dl::sim
