// Track files: the text format of docs/track_format.md (versions 1 and 2).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/files.h"
#include "sim/track.h"
#include "sim/text_lines.h"
#include "sim/track_import.h"

namespace dl::sim {
namespace {

constexpr const char* kHeaderV1 = "drivelab-track 1";
constexpr const char* kHeaderV2 = "drivelab-track 2";

[[noreturn]] void fail_at(const std::string& path, int line, const std::string& what) {
  throw TrackError(path + ":" + std::to_string(line) + ": " + what);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Reads `count` numbers of a point line; the messages say which format the line should have.
void parse_numbers(const std::string& text, const std::string& path, int line, int count, const char* expected,
                   double* out) {
  std::istringstream in(text);
  for (int k = 0; k < count; ++k)
    if (!(in >> out[k])) fail_at(path, line, std::string("expected '") + expected + "' (" + std::to_string(count) + " numbers), got '" + text + "'");
  std::string rest;
  if (in >> rest) fail_at(path, line, std::string("unexpected text after '") + expected + "': '" + rest + "'");
  for (int k = 0; k < count; ++k)
    if (!std::isfinite(out[k])) fail_at(path, line, "non-finite number");
  for (int k = 0; k < 2; ++k)
    if (!coordinate_in_bounds(static_cast<float>(out[k])))
      fail_at(path, line, "coordinate " + num(out[k]) + " m is outside +-" + num(kMaxTrackCoordinate_m) + " m");
}

void check_width(double w, const std::string& path, int line, const char* name) {
  if (!(w > 0)) fail_at(path, line, std::string(name) + " must be positive, got " + std::to_string(w));
}

}  // namespace

void save_track(const Track& track, const std::string& path, const std::vector<std::string>& comments) {
  // Renaming over a device node or a folder would replace it: only new files and regular files are written.
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
    throw TrackError(path + ": not a regular file; will not write a track over it");
  std::ostringstream out;
  out << kHeaderV2 << "\n# x y w_right w_left (metres), one centre-line point per line; the loop closes by itself\n";
  if (track.seed != 0) out << "# generated from seed " << track.seed << "\n";
  for (const std::string& c : comments) out << "# " << c << "\n";
  char buf[128];
  for (int i = 0; i < track.num_tiles(); ++i) {
    // %.9g round-trips a float exactly, and half a float width is exact, so a saved track reloads bit
    // for bit.
    const float half = 0.5f * track.width[i];
    std::snprintf(buf, sizeof buf, "%.9g %.9g %.9g %.9g\n", track.center[i].x, track.center[i].y, half, half);
    out << buf;
  }
  try {
    io::write_file_atomic(path, out.str());
  } catch (const std::exception& e) {
    throw TrackError(e.what());
  }
}

Track load_track(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw TrackError(path + ": cannot open");
  std::string raw;
  int line = 0, version = 0;
  std::vector<RoadPoint> points;
  std::vector<int> point_lines;  // the file line of each point, for validation errors
  bool too_long = false;
  while (read_line(in, raw, kMaxTrackLineChars, &too_long)) {
    ++line;
    if (too_long) fail_at(path, line, "line longer than " + std::to_string(kMaxTrackLineChars) + " characters");
    const std::string text = trim_blanks(raw);
    if (text.empty() || text[0] == '#') continue;
    if (version == 0) {
      if (text == kHeaderV1) version = 1;
      else if (text == kHeaderV2) version = 2;
      else fail_at(path, line, "expected header '" + std::string(kHeaderV1) + "' or '" + kHeaderV2 + "', got '" + text.substr(0, 80) + "'");
      continue;
    }
    if (static_cast<int>(points.size()) >= kMaxTrackPoints)
      fail_at(path, line, "more than " + std::to_string(kMaxTrackPoints) + " points");
    double v[4];
    if (version == 1) {
      parse_numbers(text, path, line, 3, "x y width", v);
      check_width(v[2], path, line, "width");
      v[3] = v[2] = 0.5 * v[2];
    } else {
      parse_numbers(text, path, line, 4, "x y w_right w_left", v);
      check_width(v[2], path, line, "w_right");
      check_width(v[3], path, line, "w_left");
    }
    const double width = v[2] + v[3];
    if (!width_in_bounds(static_cast<float>(width)))
      fail_at(path, line, "road width " + num(width) + " m is outside " + num(kMinTrackWidth_m) + ".." + num(kMaxTrackWidth_m) + " m");
    points.push_back({{static_cast<float>(v[0]), static_cast<float>(v[1])}, static_cast<float>(v[2]), static_cast<float>(v[3])});
    point_lines.push_back(line);
  }
  if (version == 0) fail_at(path, line, "empty file (missing header '" + std::string(kHeaderV2) + "')");
  std::vector<Vec2> center;
  std::vector<float> width;
  if (version == 1) {
    // Version 1 stores the middle and the full width: taken as written, bit for bit.
    for (const RoadPoint& p : points) center.push_back(p.position), width.push_back(2 * p.w_right_m);
  } else {
    road_middle(points, &center, &width);
  }
  TrackConfig params;
  Track t = make_track(std::move(center), std::move(width), params);
  try {
    t.validate(1e-3f);
  } catch (const TrackError& e) {
    // A layout error names the line of the (first) point it is about, and the lines of the others.
    if (e.points.empty()) throw TrackError(path + ": " + e.what());
    std::string where = path + ":" + std::to_string(point_lines[e.points[0]]) + ": " + e.what();
    if (e.points.size() > 1) {
      where += " (lines";
      for (int p : e.points) where += " " + std::to_string(point_lines[p]);
      where += ")";
    }
    throw TrackError(where, e.points);
  }
  return t;
}

}  // namespace dl::sim
