// drivelab/sim: real road layouts in. A layout given as a reference line with a width on each side (track
// files of version 2, racing-line CSV files) becomes a drivelab track: the road's middle with one width per
// point, resampled to the track spacing, and repaired where the road edge would fold at a tight hairpin or
// two parts of the road would overlap. docs/track_format.md describes the files and the repair.
#pragma once
#include <string>
#include <vector>

#include "sim/track.h"

namespace dl::sim {

// A point of a reference line (in driving order) and the road's extent to its right and left.
struct RoadPoint {
  Vec2 position;
  float w_right_m = 0, w_left_m = 0;
};

// The road's middle and full width at each point: a point whose two widths differ moves along the
// reference line's left normal (from its neighbours) by (w_left - w_right) / 2; equal widths keep the
// point exactly where it is. center and width get one entry per point.
void road_middle(const std::vector<RoadPoint>& points, std::vector<Vec2>* center, std::vector<float>* width);

// The common racing-line CSV: `x_m,y_m,w_tr_right_m,w_tr_left_m` per line, in racing direction; `#`
// lines and blank lines are skipped, and so is a first line of column names. Throws TrackError naming
// the file and line. `lines`, when given, receives the file line of each point.
std::vector<RoadPoint> read_racing_line_csv(const std::string& path, std::vector<int>* lines = nullptr);

struct ImportOptions {
  float point_spacing_m = TrackConfig{}.point_spacing_m;  // spacing of the written track (tile length)
  float min_width_m = 4;  // repair never narrows the road below this; a layout that would need it is rejected
};

struct ImportResult {
  Track track;
  std::vector<std::string> repairs;  // one line per repaired point, "point 17: ..." (empty: none needed)
  int input_points = 0;
  float input_length_m = 0;          // of the road's middle as given
};

// Builds a valid track from a layout: the road's middle, a smooth closed curve through it (closed B-spline
// over an even resampling) resampled at options.point_spacing_m, then repairs: width reduced (tapered
// into the neighbours) where the edge would fold (curvature * half width >= 0.9) or where two road parts
// come closer than their half widths plus 1 m; the centre line smoothed locally where a bend is too tight
// for even min_width_m. Throws TrackError ("origin: ...") when repair cannot make the layout valid: the
// centre line crosses itself, two road parts are too close for two roads of min_width_m, or too many
// points. With `lines` (the file line of each input point), a rejection names the line of the input
// point nearest along the road ("origin:LINE: ...").
ImportResult import_layout(const std::vector<RoadPoint>& points, const ImportOptions& options, const std::string& origin,
                           const std::vector<int>* lines = nullptr);

}  // namespace dl::sim
