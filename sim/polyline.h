// drivelab/sim: closed polylines. The smoothing and even resampling that track generation (sim/track.cpp)
// and track-shape decoding (envs/track_shape.cpp) share.
#pragma once
#include <vector>

#include "sim/geometry.h"

namespace dl::sim {

// Uniform cubic B-spline through closed control points, `samples_per_span` points per span. It
// approximates the control points rather than passing through them, which keeps the curve C2 and its
// bends far gentler than an interpolating spline through jittered points.
std::vector<Vec2> closed_bspline(const std::vector<Vec2>& control, int samples_per_span);

// Length of a closed polyline, the closing segment included.
double closed_length(const std::vector<Vec2>& poly);

// `count` points at even arc-length steps along a closed polyline, the first at poly[0]; the closing
// segment comes out as long as every other one.
std::vector<Vec2> resample_closed(const std::vector<Vec2>& poly, int count);

}  // namespace dl::sim
