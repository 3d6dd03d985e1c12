// drivelab/envs: a track as a fixed-length vector, for generative models of track shapes.
//
// A shape of N samples is N + 1 floats:
//   values[0 .. N-1]  the turning angle (rad, left positive) of the centre line at N points spaced evenly
//                     along it, starting at the track's point 0; a closed counter-clockwise loop turns
//                     by 2 pi in all
//   values[N]         the centre-line length (m)
// Why turning angles: they describe the shape and nothing else (no position, no rotation), a bend's
// tightness is one number (turning / spacing = curvature, so the min-curve-radius rule is a bound per
// value), and closing the loop becomes two conditions a repair can enforce (total turning 2 pi, end at the
// start). Polar control points would tie the data to star-shaped loops around a centre.
//
// Decoding integrates the angles into an N-gon, smooths it with a closed cubic B-spline, resamples it at
// the params' point spacing and validates it as sim::Track does; it returns a valid track or a rejection
// naming why. Nothing invalid ever comes out. With repair on, the decoder
//   1. lengthens loops too short to turn 2 pi at the min curve radius,
//   2. spreads the turning error so the angles sum to 2 pi,
//   3. bounds every angle by spacing / min curve radius (then re-spreads the sum),
//   4. closes the N-gon by spreading the end-to-start gap along it,
// then, while validation fails, smooths the angles (a circular [1 2 1] / 4 filter) and after a few such
// passes also pulls them toward a circle's (2 pi / N each), up to max_repair_passes. Without repair the
// angles are taken as they are and a loop that does not end where it starts is rejected.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "sim/track.h"

namespace dl::envs {

inline constexpr int kDefaultShapeSamples = 64;
inline constexpr int kMinShapeSamples = 16;

struct DecodeOptions {
  bool repair = true;
  int max_repair_passes = 24;  // smoothing passes after the first attempt; then the shape is rejected
};

struct DecodeResult {
  std::optional<sim::Track> track;  // set when valid
  std::string rejection;            // why not, when track is empty
  int repair_passes = 0;            // smoothing passes the accepted track needed (0 = none)
  std::vector<sim::Vec2> polygon;   // the N-gon the track was built from (after repair), centred on its
                                    // centroid, for shape_distance; empty on rejection
};

// Encodes a track (any closed centre line; a clockwise one is reversed first). Throws sim::TrackError for
// samples < kMinShapeSamples or a degenerate track.
std::vector<float> encode_track(const sim::Track& track, int samples = kDefaultShapeSamples);

// Decodes values (samples + 1 floats) with the params' width, point spacing, min curve radius, kerbs and
// walls. Never throws for bad values: a wrong count or non-finite value is a rejection too.
DecodeResult decode_track(const std::vector<float>& values, const sim::TrackConfig& params,
                          const DecodeOptions& options = {});

// Root-mean-square distance (m) between corresponding vertices of two N-gons after the best rotation and
// translation, minimised over cyclic shifts of the start vertex (every shift_stride-th one). Throws
// std::invalid_argument for polygons of different sizes.
float shape_distance(const std::vector<sim::Vec2>& a, const std::vector<sim::Vec2>& b, int shift_stride = 1);

}  // namespace dl::envs
