// Real layouts in: the road's middle from left/right widths, racing-line CSV files, and the import
// pipeline (smooth resampling, then repair of folding edges and overlapping road parts).
#include "sim/track_import.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "sim/polyline.h"
#include "sim/segment_grid.h"
#include "sim/text_lines.h"

namespace dl::sim {
namespace {

// Input points a CSV may hold: denser than tracks (it is resampled), but bounded.
constexpr int kMaxCsvPoints = 1000000;
// Repairs aim below the validity limits, so rounding never leaves a repaired point on the edge of them.
constexpr float kFoldTarget = 0.85f;   // curvature * half width after a width repair (invalid at 1)
constexpr float kFoldTrigger = 0.9f;   // ... repaired above this
constexpr float kOverlapSlack_m = 0.2f;  // extra room left between repaired road parts
// Width reductions are tapered into the neighbours: the width changes by at most this many metres per
// metre of road, so the road narrows like a real one instead of stepping.
constexpr float kTaperSlope = 0.25f;
// Clearance between unrelated road parts (the validation's; sim/track.cpp).
constexpr float kRoadClearance_m = 1.0f;
// Repair rounds before giving up (each round fixes what it sees, then looks again).
constexpr int kMaxRepairRounds = 16;
// Control points of the smoothing B-spline, per output spacing, and curve samples per control span.
constexpr int kControlsPerSpacing = 2;
constexpr int kSplineSamples = 4;

std::string fmt(const char* format, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, a);
  return buf;
}

[[noreturn]] void fail_at(const std::string& path, int line, const std::string& what) {
  throw TrackError(path + ":" + std::to_string(line) + ": " + what);
}

bool parse_number(const std::string& field, double* out) {
  const std::string t = trim_blanks(field);
  if (t.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size();
}

// Splits at commas; false when the line is not exactly four numbers.
bool parse_csv_point(const std::string& text, double v[4]) {
  size_t start = 0;
  for (int k = 0; k < 4; ++k) {
    const size_t comma = text.find(',', start);
    if ((k < 3) != (comma != std::string::npos)) return false;
    if (!parse_number(text.substr(start, k < 3 ? comma - start : std::string::npos), &v[k])) return false;
    start = comma + 1;
  }
  return true;
}

// Width at arc length s of a closed polyline with widths at its points, linearly between them.
float width_at(const std::vector<double>& cum, const std::vector<float>& width, double s) {
  const int n = static_cast<int>(width.size());
  s = std::fmod(s, cum[n]);
  if (s < 0) s += cum[n];
  const int i = std::clamp(static_cast<int>(std::upper_bound(cum.begin(), cum.end(), s) - cum.begin()) - 1, 0, n - 1);
  const double len = cum[i + 1] - cum[i];
  const double t = len > 0 ? (s - cum[i]) / len : 0.0;
  return static_cast<float>(width[i] + (width[(i + 1) % n] - width[i]) * t);
}

bool segments_intersect(const Segment& p, const Segment& q) {
  const Vec2 r = p.b - p.a, s = q.b - q.a;
  const float denom = r.cross(s);
  if (std::fabs(denom) < 1e-12f) return false;
  const float t = (q.a - p.a).cross(s) / denom, u = (q.a - p.a).cross(r) / denom;
  return t >= 0 && t <= 1 && u >= 0 && u <= 1;
}

// What happened to each output point, for the per-point report.
struct PointLog {
  float width_before = 0;
  Vec2 position_before;
  std::set<std::string> reasons;
  float overlap_m = INFINITY;  // the nearest other road part that made it narrower, and where it is
  int overlap_point = -1;
};

class Repairer {
 public:
  Repairer(std::vector<Vec2> center, std::vector<float> width, const ImportOptions& o, std::string origin)
      : center_(std::move(center)), width_(std::move(width)), options_(o), origin_(std::move(origin)) {
    log_.resize(width_.size());
    for (size_t i = 0; i < width_.size(); ++i) log_[i].width_before = width_[i], log_[i].position_before = center_[i];
  }

  Track run() {
    for (int round = 0; round < kMaxRepairRounds; ++round) {
      const Track t = make_track(center_, width_, TrackConfig{});
      if (fix_folds(t, round)) continue;  // the centre moved: look again before judging overlaps
      const bool narrowed_at_bends = fix_folds_by_width(t);
      const bool narrowed_at_overlaps = fix_overlaps(t);
      if (narrowed_at_bends || narrowed_at_overlaps) {
        taper();
        continue;
      }
      try {
        t.validate(1e-3f);
      } catch (const TrackError& e) {
        throw TrackError(origin_ + ": cannot repair the layout: " + e.what(), e.points);
      }
      return t;
    }
    const Track t = make_track(center_, width_, TrackConfig{});
    try {
      t.validate(1e-3f);
    } catch (const TrackError& e) {
      throw TrackError(origin_ + ": cannot repair the layout after " + std::to_string(kMaxRepairRounds) + " rounds: " + e.what(), e.points);
    }
    return t;
  }

  std::vector<std::string> report() const {
    std::vector<std::string> lines;
    for (size_t i = 0; i < log_.size(); ++i) {
      const PointLog& l = log_[i];
      const bool narrowed = width_[i] < l.width_before - 1e-3f;
      const float moved_m = (center_[i] - l.position_before).length();
      if (!narrowed && moved_m < 1e-3f) continue;
      std::string s = "point " + std::to_string(i) + ":";
      if (narrowed) s += " width " + fmt("%.2f", l.width_before) + " -> " + fmt("%.2f", width_[i]) + " m";
      if (moved_m >= 1e-3f) s += std::string(narrowed ? "," : "") + " centre moved " + fmt("%.2f", moved_m) + " m";
      std::set<std::string> reasons = l.reasons;
      if (l.overlap_point >= 0) reasons.insert("road at point " + std::to_string(l.overlap_point) + " " + fmt("%.1f", l.overlap_m) + " m away");
      std::string why;
      for (const std::string& r : reasons) why += (why.empty() ? "" : "; ") + r;
      lines.push_back(s + " (" + why + ")");
    }
    return lines;
  }

 private:
  int n() const { return static_cast<int>(center_.size()); }

  // Points whose bend is too tight for even the narrowest allowed road are smoothed (the centre line
  // around them relaxed towards its neighbours, over a window that grows each round). True when any moved.
  bool fix_folds(const Track& t, int round) {
    std::vector<int> tight;
    for (int i = 0; i < n(); ++i) {
      const float k = std::fabs(t.curvature[i]);
      if (k * 0.5f * options_.min_width_m >= kFoldTrigger) tight.push_back(i);
    }
    if (tight.empty()) return false;
    const int half_window = 2 + round;
    for (int i : tight) {
      const std::string why = "smoothed a bend of radius " + fmt("%.1f", 1 / std::fabs(t.curvature[i])) + " m at point " + std::to_string(i);
      for (int iter = 0; iter < 4; ++iter) {
        std::vector<Vec2> next = center_;
        for (int off = -half_window; off <= half_window; ++off) {
          const int k = (i + off + n()) % n();
          const float weight = 0.5f * (1 - std::fabs(static_cast<float>(off)) / (half_window + 1));
          const Vec2 mid = (center_[(k + n() - 1) % n()] + center_[(k + 1) % n()]) * 0.5f;
          next[k] = center_[k] + (mid - center_[k]) * weight;
        }
        center_ = std::move(next);
      }
      for (int off = -half_window; off <= half_window; ++off) log_[(i + off + n()) % n()].reasons.insert(why);
    }
    if (round + 1 == kMaxRepairRounds)
      throw TrackError(origin_ + ": cannot repair the layout: the bend at point " + std::to_string(tight[0]) + " stays tighter than a " +
                           fmt("%.1f", options_.min_width_m) + " m road allows, even after smoothing",
                       {tight[0]});
    return true;
  }

  // Where the edge would fold, the road narrows to what the bend allows.
  bool fix_folds_by_width(const Track& t) {
    bool changed = false;
    for (int i = 0; i < n(); ++i) {
      const float k = std::fabs(t.curvature[i]);
      if (k * 0.5f * width_[i] < kFoldTrigger) continue;
      width_[i] = std::min(width_[i], std::max(options_.min_width_m, 2 * kFoldTarget / k));  // never wider
      log_[i].reasons.insert("hairpin of radius " + fmt("%.1f", 1 / k) + " m");
      changed = true;
    }
    return changed;
  }

  // The validation's overlap rule (sim/track.cpp check_overlap), with widths reduced to fit instead of
  // an error. A crossing centre line, or parts too close for two roads of min_width_m, cannot be fixed.
  bool fix_overlaps(const Track& t) {
    const float max_w = *std::max_element(width_.begin(), width_.end());
    const float max_seg = t.length_m / n() * 3;
    const float exempt_arc_m = 1.6f * (max_w + kRoadClearance_m) + max_seg;
    SegmentGrid grid;
    grid.build_closed(center_);
    std::vector<int> near;
    bool changed = false;
    for (int i = 0; i < n(); ++i) {
      const Segment si{center_[i], center_[(i + 1) % n()]};
      const float reach_m = 0.5f * (si.b - si.a).length() + max_w + kRoadClearance_m;
      grid.segments_near((si.a + si.b) * 0.5f, reach_m * 1.001f + 0.05f, near);
      for (int j : near) {
        if (j < i + 2 || (i == 0 && j == n() - 1)) continue;
        const Segment sj{center_[j], center_[(j + 1) % n()]};
        if (segments_intersect(si, sj))
          throw TrackError(origin_ + ": cannot repair the layout: the centre line crosses itself at points " + std::to_string(i) +
                               " and " + std::to_string(j),
                           {i, j});
        const float arc = std::fabs(t.arc_length[j] - t.arc_length[i]);
        if (std::min(arc, t.length_m - arc) < exempt_arc_m) continue;
        const float d = SegmentGrid::distance(center_[j], si);
        const float need = 0.5f * (width_[i] + width_[j]) + kRoadClearance_m;
        if (d >= need) continue;
        const float room = d - kRoadClearance_m - kOverlapSlack_m;
        const float scale = room / (0.5f * (width_[i] + width_[j]));
        const float wi = width_[i] * scale, wj = width_[j] * scale;
        if (!(std::min(wi, wj) >= options_.min_width_m))
          throw TrackError(origin_ + ": cannot repair the layout: the road near points " + std::to_string(i) + " and " + std::to_string(j) +
                               " comes back within " + fmt("%.1f", d) + " m of itself (centre to centre), too close for two roads of " +
                               fmt("%.1f", options_.min_width_m) + " m",
                           {i, j});
        width_[i] = wi, width_[j] = wj;
        note_overlap(i, j, d);
        note_overlap(j, i, d);
        changed = true;
      }
    }
    return changed;
  }

  void note_overlap(int at, int other, float d) {
    if (d >= log_[at].overlap_m) return;
    log_[at].overlap_m = d;
    log_[at].overlap_point = other;
  }

  // Each width is at most its neighbours' plus kTaperSlope per metre between them (two passes each way,
  // so the limit carries across the start of the loop).
  void taper() {
    const std::vector<float> before = width_;
    auto relax = [&](int from, int to) {
      const float limit = width_[from] + kTaperSlope * (center_[to] - center_[from]).length();
      if (width_[to] > limit) width_[to] = limit;
    };
    for (int pass = 0; pass < 2 * n(); ++pass) relax(pass % n(), (pass + 1) % n());
    for (int pass = 2 * n(); pass > 0; --pass) relax(pass % n(), (pass - 1) % n());
    for (int i = 0; i < n(); ++i)
      if (width_[i] < before[i]) log_[i].reasons.insert("narrowed gradually towards a repair");
  }

  std::vector<Vec2> center_;
  std::vector<float> width_;
  ImportOptions options_;
  std::string origin_;
  std::vector<PointLog> log_;
};

}  // namespace

void road_middle(const std::vector<RoadPoint>& points, std::vector<Vec2>* center, std::vector<float>* width) {
  const size_t n = points.size();
  center->resize(n);
  width->resize(n);
  for (size_t i = 0; i < n; ++i) {
    const RoadPoint& p = points[i];
    (*width)[i] = p.w_right_m + p.w_left_m;
    (*center)[i] = p.position;
    if (p.w_right_m == p.w_left_m || n < 3) continue;
    const Vec2 d = points[(i + 1) % n].position - points[(i + n - 1) % n].position;
    const float len = d.length();
    if (!(len > 0)) continue;
    const Vec2 left{-d.y / len, d.x / len};
    (*center)[i] = p.position + left * (0.5f * (p.w_left_m - p.w_right_m));
  }
}

std::vector<RoadPoint> read_racing_line_csv(const std::string& path, std::vector<int>* lines) {
  if (lines) lines->clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TrackError(path + ": cannot open");
  std::vector<RoadPoint> points;
  std::string raw;
  bool too_long = false, first_data_line = true;
  int line = 0;
  while (read_line(in, raw, kMaxTrackLineChars, &too_long)) {
    ++line;
    if (too_long) fail_at(path, line, "line longer than " + std::to_string(kMaxTrackLineChars) + " characters");
    const std::string text = trim_blanks(raw);
    if (text.empty() || text[0] == '#') continue;
    double v[4];
    const bool ok = parse_csv_point(text, v);
    const bool header = first_data_line && !ok && std::isalpha(static_cast<unsigned char>(text[0]));
    first_data_line = false;
    if (header) continue;  // column names without a '#'
    if (!ok)
      fail_at(path, line, "expected 'x_m,y_m,w_tr_right_m,w_tr_left_m' (4 numbers separated by commas), got '" + text.substr(0, 80) + "'");
    for (int k = 0; k < 4; ++k)
      if (!std::isfinite(v[k])) fail_at(path, line, "non-finite number");
    for (int k = 0; k < 2; ++k)
      if (!coordinate_in_bounds(static_cast<float>(v[k])))
        fail_at(path, line, "coordinate " + fmt("%g", v[k]) + " m is outside +-" + fmt("%g", kMaxTrackCoordinate_m) + " m");
    if (!(v[2] > 0) || !(v[3] > 0)) fail_at(path, line, "widths must be positive, got " + fmt("%g", v[2]) + " and " + fmt("%g", v[3]));
    if (!width_in_bounds(static_cast<float>(v[2] + v[3])))
      fail_at(path, line, "road width " + fmt("%g", v[2] + v[3]) + " m is outside " + fmt("%g", kMinTrackWidth_m) + ".." + fmt("%g", kMaxTrackWidth_m) + " m");
    if (static_cast<int>(points.size()) >= kMaxCsvPoints) fail_at(path, line, "more than " + std::to_string(kMaxCsvPoints) + " points");
    points.push_back({{static_cast<float>(v[0]), static_cast<float>(v[1])}, static_cast<float>(v[2]), static_cast<float>(v[3])});
    if (lines) lines->push_back(line);
  }
  if (points.empty()) fail_at(path, line, "no points (expected lines 'x_m,y_m,w_tr_right_m,w_tr_left_m')");
  return points;
}

ImportResult import_layout(const std::vector<RoadPoint>& points, const ImportOptions& options, const std::string& origin,
                           const std::vector<int>* lines) {
  auto fail = [&](const std::string& what) { throw TrackError(origin + ": " + what); };
  if (!(options.point_spacing_m >= 0.5f && options.point_spacing_m <= 100))
    fail("point spacing " + fmt("%g", options.point_spacing_m) + " m is outside 0.5..100 m");
  if (!(options.min_width_m >= kMinTrackWidth_m && options.min_width_m <= kMaxTrackWidth_m))
    fail("minimum width " + fmt("%g", options.min_width_m) + " m is outside " + fmt("%g", kMinTrackWidth_m) + ".." + fmt("%g", kMaxTrackWidth_m) + " m");
  ImportResult result;
  result.input_points = static_cast<int>(points.size());
  std::vector<Vec2> middle;
  std::vector<float> width;
  road_middle(points, &middle, &width);
  // Repeated points (a closing point equal to the first included) carry no direction: drop them.
  std::vector<Vec2> mid;
  std::vector<float> w;
  std::vector<int> source;  // input index of each kept point
  for (size_t i = 0; i < middle.size(); ++i) {
    if (!mid.empty() && (middle[i] - mid.back()).length() < 1e-3f) continue;
    mid.push_back(middle[i]);
    w.push_back(width[i]);
    source.push_back(static_cast<int>(i));
  }
  while (mid.size() > 1 && (mid.back() - mid.front()).length() < 1e-3f) mid.pop_back(), w.pop_back(), source.pop_back();
  if (mid.size() < 3) fail("needs at least 3 distinct points, has " + std::to_string(mid.size()));
  std::vector<double> cum(mid.size() + 1, 0.0);
  for (size_t i = 0; i < mid.size(); ++i) cum[i + 1] = cum[i] + (mid[(i + 1) % mid.size()] - mid[i]).length();
  const double length = cum.back();
  result.input_length_m = static_cast<float>(length);
  const double wanted = length / options.point_spacing_m;
  if (wanted > kMaxTrackPoints)
    fail("the road is " + fmt("%.1f", length / 1000) + " km long: " + fmt("%.0f", wanted) + " points at " + fmt("%g", options.point_spacing_m) +
         " m spacing, at most " + std::to_string(kMaxTrackPoints) + " allowed");

  // A smooth closed curve: a B-spline over evenly spaced control points (even spacing keeps the uniform
  // spline's parameter proportional to distance), then the track's even spacing.
  const int controls = std::max(8, static_cast<int>(std::lround(wanted * kControlsPerSpacing)));
  const std::vector<Vec2> curve = closed_bspline(resample_closed(mid, controls), kSplineSamples);
  const int count = std::max(8, static_cast<int>(std::lround(closed_length(curve) / options.point_spacing_m)));
  std::vector<Vec2> center = resample_closed(curve, count);
  std::vector<float> out_width(count);
  for (int k = 0; k < count; ++k) out_width[k] = width_at(cum, w, length * k / count);

  Repairer repair(std::move(center), std::move(out_width), options, origin);
  try {
    result.track = repair.run();
  } catch (const TrackError& e) {
    if (!lines || e.points.empty() || lines->size() != points.size()) throw;
    // Output point k lies k/count of the way around; the input point starting that stretch names the line.
    const double s = length * e.points[0] / count;
    const size_t k = std::min(mid.size() - 1, static_cast<size_t>(std::upper_bound(cum.begin(), cum.end(), s) - cum.begin()) - 1);
    const std::string what = e.what();
    throw TrackError(origin + ":" + std::to_string((*lines)[source[k]]) + what.substr(origin.size()), e.points);
  }
  result.repairs = repair.report();
  return result;
}

}  // namespace dl::sim
