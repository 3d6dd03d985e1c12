// Track files: the text format of docs/track_format.md.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "sim/track.h"

namespace dl::sim {
namespace {

constexpr const char* kHeader = "drivelab-track 1";

[[noreturn]] void fail_at(const std::string& path, int line, const std::string& what) {
  throw TrackError(path + ":" + std::to_string(line) + ": " + what);
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

void parse_point(const std::string& text, const std::string& path, int line, Track* t) {
  std::istringstream in(text);
  double x, y, w;
  if (!(in >> x >> y >> w)) fail_at(path, line, "expected 'x y width' (three numbers), got '" + text + "'");
  std::string rest;
  if (in >> rest) fail_at(path, line, "unexpected text after 'x y width': '" + rest + "'");
  if (!std::isfinite(x) || !std::isfinite(y) || !std::isfinite(w)) fail_at(path, line, "non-finite number");
  if (!(w > 0)) fail_at(path, line, "width must be positive, got " + std::to_string(w));
  t->center.push_back({static_cast<float>(x), static_cast<float>(y)});
  t->width.push_back(static_cast<float>(w));
}

}  // namespace

void save_track(const Track& track, const std::string& path) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw TrackError(path + ": cannot open for writing");
    out << kHeader << "\n# x y width (metres), one centre-line point per line; the loop closes by itself\n";
    if (track.seed != 0) out << "# generated from seed " << track.seed << "\n";
    char buf[96];
    for (int i = 0; i < track.num_tiles(); ++i) {
      // %.9g round-trips a float exactly, so a saved track reloads bit for bit.
      std::snprintf(buf, sizeof buf, "%.9g %.9g %.9g\n", track.center[i].x, track.center[i].y, track.width[i]);
      out << buf;
    }
    out.flush();
    if (!out) throw TrackError(path + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw TrackError(path + ": cannot rename " + tmp + " into place");
  }
}

Track load_track(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw TrackError(path + ": cannot open");
  std::string raw;
  int line = 0;
  bool seen_header = false;
  Track points;
  while (std::getline(in, raw)) {
    ++line;
    const std::string text = trim(raw);
    if (text.empty() || text[0] == '#') continue;
    if (!seen_header) {
      if (text != kHeader) fail_at(path, line, "expected header '" + std::string(kHeader) + "', got '" + text + "'");
      seen_header = true;
      continue;
    }
    parse_point(text, path, line, &points);
  }
  if (!seen_header) fail_at(path, line, "empty file (missing header '" + std::string(kHeader) + "')");
  TrackParams params;
  Track t = make_track(std::move(points.center), std::move(points.width), params);
  try {
    t.validate(1e-3f);
  } catch (const TrackError& e) {
    throw TrackError(path + ": " + e.what());
  }
  return t;
}

}  // namespace dl::sim
