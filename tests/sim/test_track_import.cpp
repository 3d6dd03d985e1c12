// Track files of version 1 and 2, physical bounds, and importing racing-line CSV layouts with repair.
// Every layout here is drawn by the test itself.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "sim/track.h"
#include "sim/track_import.h"

using namespace dl::sim;

namespace {

constexpr float kPi = 3.14159265f;

std::string temp_path(const std::string& name) { return std::string(DRIVELAB_BINARY_DIR) + "/test_sim_import_" + name; }

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const TrackError& e) {
    return e.what();
  }
  return "";
}

std::string load_error(const std::string& text) {
  const std::string path = temp_path("bad.track");
  write_file(path, text);
  return error_of([&] { load_track(path); });
}

// A closed curve sampled at about spacing_m, from a function of t in [0, 1) giving the point.
std::vector<Vec2> sample_curve(const std::function<Vec2(double)>& f, double spacing_m) {
  double length = 0;
  const int fine = 20000;
  for (int i = 0; i < fine; ++i) length += (f((i + 1) / double(fine)) - f(i / double(fine))).length();
  const int n = std::max(8, static_cast<int>(length / spacing_m));
  std::vector<Vec2> pts;
  for (int i = 0; i < n; ++i) pts.push_back(f(i / double(n)));
  return pts;
}

// A stadium (counter-clockwise), parameterized by arc length, with an optional inward pinch of both
// straights at their middle (a waist) and an optional chicane on the bottom straight.
struct Stadium {
  double straight_m = 300, radius_m = 30;
  double waist_gap_m = 0;     // > 0: the straights come this close (centre to centre) at mid length
  double chicane_m = 0;       // lateral step of an S-bend in the bottom straight
  Vec2 operator()(double t) const {
    const double half_turn = kPi * radius_m, total = 2 * straight_m + 2 * half_turn;
    double s = t * total;
    auto pinch = [&](double x) {
      if (waist_gap_m <= 0) return 0.0;
      const double u = (x - straight_m / 2) / (straight_m / 3);
      return std::fabs(u) < 1 ? (radius_m - waist_gap_m / 2) * 0.5 * (1 + std::cos(kPi * u)) : 0.0;
    };
    auto chicane = [&](double x) {
      const double u = (x - 0.3 * straight_m) / 40;  // 40 m each way: smooth step up, then down
      if (chicane_m <= 0 || std::fabs(u) >= 1) return 0.0;
      return chicane_m * std::sin(kPi * u);
    };
    if (s < straight_m) return {static_cast<float>(s), static_cast<float>(-radius_m + pinch(s) + chicane(s))};
    s -= straight_m;
    if (s < half_turn) {
      const double a = -kPi / 2 + s / radius_m;
      return {static_cast<float>(straight_m + radius_m * std::cos(a)), static_cast<float>(radius_m * std::sin(a))};
    }
    s -= half_turn;
    if (s < straight_m) {
      const double x = straight_m - s;
      return {static_cast<float>(x), static_cast<float>(radius_m - pinch(x))};
    }
    s -= straight_m;
    const double a = kPi / 2 + s / radius_m;
    return {static_cast<float>(radius_m * std::cos(a)), static_cast<float>(radius_m * std::sin(a))};
  }
};

// A hairpin between two legs that open at +-20 degrees, closed by a big arc: the bend at the hairpin
// has radius hairpin_m.
std::vector<Vec2> hairpin_layout(double hairpin_m) {
  std::vector<Vec2> pts;
  const double open = 20 * kPi / 180, leg = 160;
  // Apex at the origin, the car comes down the lower leg towards -x, turns, and leaves along the upper leg.
  const Vec2 dir_low{static_cast<float>(std::cos(open)), static_cast<float>(-std::sin(open))};
  const Vec2 dir_up{static_cast<float>(std::cos(open)), static_cast<float>(std::sin(open))};
  const Vec2 low_end = Vec2{0, static_cast<float>(-hairpin_m)} + dir_low * static_cast<float>(leg);
  const Vec2 up_end = Vec2{0, static_cast<float>(hairpin_m)} + dir_up * static_cast<float>(leg);
  for (double s = leg; s > 0; s -= 4) pts.push_back(Vec2{0, static_cast<float>(-hairpin_m)} + dir_low * static_cast<float>(s));
  for (double a = -kPi / 2; a < kPi / 2; a += 4 / hairpin_m)  // the hairpin, centred just right of the apex
    pts.push_back({static_cast<float>(-hairpin_m * std::cos(a)), static_cast<float>(hairpin_m * std::sin(a))});
  for (double s = 0; s < leg; s += 4) pts.push_back(Vec2{0, static_cast<float>(hairpin_m)} + dir_up * static_cast<float>(s));
  // Close with a half circle around the far ends (from the upper leg's end back to the lower leg's).
  const Vec2 c = (low_end + up_end) * 0.5f;
  const float r = (up_end - c).length();
  const double a0 = std::atan2(up_end.y - c.y, up_end.x - c.x);
  for (double a = a0; a > a0 - kPi; a -= 4 / r) pts.push_back(c + Vec2{static_cast<float>(r * std::cos(a)), static_cast<float>(r * std::sin(a))});
  return pts;
}

void write_csv(const std::string& path, const std::vector<Vec2>& pts, float w_right, float w_left) {
  std::ofstream out(path);
  out << "# x_m,y_m,w_tr_right_m,w_tr_left_m\n";
  char buf[128];
  for (const Vec2& p : pts) {
    std::snprintf(buf, sizeof buf, "%.4f,%.4f,%.3f,%.3f\n", p.x, p.y, w_right, w_left);
    out << buf;
  }
}

std::vector<RoadPoint> road(const std::vector<Vec2>& pts, float width_m) {
  std::vector<RoadPoint> out;
  for (const Vec2& p : pts) out.push_back({p, 0.5f * width_m, 0.5f * width_m});
  return out;
}

float distance_to_polyline(Vec2 p, const std::vector<Vec2>& poly) {
  float best = 1e30f;
  for (size_t i = 0; i < poly.size(); ++i) {
    const Vec2 a = poly[i], b = poly[(i + 1) % poly.size()], ab = b - a;
    const float t = std::clamp((p - a).dot(ab) / std::max(ab.dot(ab), 1e-12f), 0.f, 1.f);
    best = std::min(best, (p - (a + ab * t)).length());
  }
  return best;
}

}  // namespace

TEST_CASE("version 1 track files load as before, bit for bit") {
  const Track t = generate_track(5, TrackConfig{});
  std::string text = "drivelab-track 1\n# x y width\n";
  char buf[96];
  for (int i = 0; i < t.num_tiles(); ++i) {
    std::snprintf(buf, sizeof buf, "%.9g %.9g %.9g\n", t.center[i].x, t.center[i].y, t.width[i]);
    text += buf;
  }
  const std::string path = temp_path("v1.track");
  write_file(path, text);
  const Track u = load_track(path);
  REQUIRE(u.num_tiles() == t.num_tiles());
  CHECK(std::memcmp(u.center.data(), t.center.data(), t.center.size() * sizeof(Vec2)) == 0);
  CHECK(std::memcmp(u.width.data(), t.width.data(), t.width.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(u.curvature.data(), t.curvature.data(), t.curvature.size() * sizeof(float)) == 0);
}

TEST_CASE("saving writes version 2 with equal half widths, which reloads bit for bit") {
  const Track t = generate_track(9, track_preset(TrackPreset::hard));
  const std::string path = temp_path("v2.track");
  save_track(t, path, {"a comment", "another"});
  const std::string text = file_text(path);
  CHECK(text.rfind("drivelab-track 2\n", 0) == 0);
  CHECK(text.find("# a comment\n# another\n") != std::string::npos);
  const Track u = load_track(path);
  REQUIRE(u.num_tiles() == t.num_tiles());
  CHECK(std::memcmp(u.center.data(), t.center.data(), t.center.size() * sizeof(Vec2)) == 0);
  CHECK(std::memcmp(u.width.data(), t.width.data(), t.width.size() * sizeof(float)) == 0);
}

TEST_CASE("a version 2 point with unequal widths becomes the road's middle") {
  // A counter-clockwise circle of radius 100 as the reference line, 2 m of road to its right (outside)
  // and 8 m to its left (inside): the middle is the circle of radius 97, the road 10 m wide.
  std::string text = "drivelab-track 2\n";
  for (int i = 0; i < 100; ++i) {
    const float a = 2 * kPi * i / 100;
    text += std::to_string(100 * std::cos(a)) + " " + std::to_string(100 * std::sin(a)) + " 2 8\n";
  }
  const std::string path = temp_path("uneven.track");
  write_file(path, text);
  const Track t = load_track(path);
  for (int i = 0; i < t.num_tiles(); ++i) {
    CHECK(t.center[i].length() == Approx(97).margin(0.01));
    CHECK(t.width[i] == 10);
  }
}

TEST_CASE("track files beyond the physical bounds are clean errors naming file and line") {
  CHECK_THAT(load_error("drivelab-track 2\n0 0 5 5\n1e10 0 5 5\n"), Catch::Contains("bad.track:3:") && Catch::Contains("outside"));
  CHECK_THAT(load_error("drivelab-track 1\n0 0 10\n10 0 250\n"), Catch::Contains("bad.track:3:") && Catch::Contains("road width 250"));
  CHECK_THAT(load_error("drivelab-track 2\n0 0 0.2 0.2\n"), Catch::Contains("bad.track:2:") && Catch::Contains("outside 1..100"));
  CHECK_THAT(load_error("drivelab-track 2\n0 0 5\n"), Catch::Contains("bad.track:2:") && Catch::Contains("x y w_right w_left"));
  CHECK_THAT(load_error("drivelab-track 2\n0 0 -1 5\n"), Catch::Contains("bad.track:2:") && Catch::Contains("w_right must be positive"));
  CHECK_THAT(load_error("drivelab-track 3\n"), Catch::Contains("bad.track:1:") && Catch::Contains("drivelab-track 2"));
  CHECK_THAT(load_error("drivelab-track 2\n" + std::string(5000, '1') + "\n"), Catch::Contains("bad.track:2:") && Catch::Contains("longer"));

  // A valid track scaled by 1e10: its first point is out of bounds.
  const Track t = generate_track(3, TrackConfig{});
  std::string text = "drivelab-track 1\n";
  for (int i = 0; i < t.num_tiles(); ++i)
    text += std::to_string(t.center[i].x * 1e10) + " " + std::to_string(t.center[i].y * 1e10) + " 13\n";
  CHECK_THAT(load_error(text), Catch::Contains("bad.track:2:") && Catch::Contains("outside +-50000 m"));

  // A layout error names the lines of the points it is about.
  std::string eight = "drivelab-track 2\n# a figure eight\n";
  for (int i = 0; i < 80; ++i) {
    const float a = 2 * kPi * i / 80;
    eight += std::to_string(100 * std::sin(a)) + " " + std::to_string(50 * std::sin(2 * a)) + " 4 4\n";
  }
  CHECK_THAT(load_error(eight), Catch::Contains("crosses itself") && Catch::Contains("(lines "));
}

TEST_CASE("validation bounds the point count and stays fast on huge tracks") {
  auto loop = [](int n, float radius) {
    std::vector<Vec2> pts(n);
    for (int i = 0; i < n; ++i) pts[i] = {radius * std::cos(2 * kPi * i / n), radius * std::sin(2 * kPi * i / n)};
    return pts;
  };
  const std::vector<Vec2> too_many = loop(kMaxTrackPoints + 1, 40000);
  const Track big = make_track(too_many, std::vector<float>(too_many.size(), 10), TrackConfig{});
  CHECK_THROWS_WITH(big.validate(1e-3f), Catch::Contains("at most 200000"));

  const std::vector<Vec2> most = loop(kMaxTrackPoints, 40000);  // 1.26 m spacing around a 40 km circle
  const Track t = make_track(most, std::vector<float>(most.size(), 10), TrackConfig{});
  const auto start = std::chrono::steady_clock::now();
  CHECK_NOTHROW(t.validate(1e-3f));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(s < 10.0);  // ~0.4 s; the pairwise scan took 75 s
}

TEST_CASE("a track file is not written over a folder") {
  CHECK_THAT(error_of([] { save_track(generate_track(1, TrackConfig{}), DRIVELAB_BINARY_DIR); }), Catch::Contains("not a regular file"));
}

TEST_CASE("import round trip: a smooth layout comes back as the same road, and its file reloads exactly") {
  const Stadium shape;
  const std::vector<Vec2> line = sample_curve(shape, 5);
  const std::string csv = temp_path("stadium.csv"), out = temp_path("stadium.track");
  write_csv(csv, line, 6, 6);
  const ImportResult r = import_layout(read_racing_line_csv(csv), ImportOptions{}, csv);
  CHECK(r.repairs.empty());
  CHECK(r.input_points == static_cast<int>(line.size()));
  const Track& t = r.track;
  CHECK(t.length_m == Approx(r.input_length_m).epsilon(0.01));
  CHECK(t.length_m / t.num_tiles() == Approx(6).epsilon(0.02));
  for (int i = 0; i < t.num_tiles(); ++i) {
    CHECK(distance_to_polyline(t.center[i], line) < 0.3f);
    CHECK(t.width[i] == Approx(12).margin(1e-4));
  }
  CHECK((t.center[0] - line[0]).length() < 0.5f);  // the start line stays where the file has it
  save_track(t, out);
  const Track u = load_track(out);
  REQUIRE(u.num_tiles() == t.num_tiles());
  CHECK(std::memcmp(u.center.data(), t.center.data(), t.center.size() * sizeof(Vec2)) == 0);
  CHECK(std::memcmp(u.width.data(), t.width.data(), t.width.size() * sizeof(float)) == 0);
}

TEST_CASE("import: a hairpin tighter than the half width is narrowed there, and only there") {
  const std::vector<Vec2> line = hairpin_layout(5);  // 14 m road: half width 7 m > 5 m radius
  REQUIRE_THROWS_WITH(make_track(line, std::vector<float>(line.size(), 14), TrackConfig{}).validate(1e-3f), Catch::Contains("folds"));
  const ImportResult r = import_layout(road(line, 14), ImportOptions{}, "hairpin");
  const Track& t = r.track;
  REQUIRE_FALSE(r.repairs.empty());
  CHECK_NOTHROW(t.validate(1e-3f));
  int narrowed = 0;
  for (int i = 0; i < t.num_tiles(); ++i) {
    if (t.width[i] < 14 - 1e-3f) {
      ++narrowed;
      CHECK(t.center[i].length() < 45);  // near the hairpin at the origin
      CHECK(t.width[i] >= ImportOptions{}.min_width_m);
    }
    CHECK(std::fabs(t.curvature[i]) * 0.5f * t.width[i] < 0.9f);
  }
  CHECK(narrowed >= 3);
  CHECK(narrowed < t.num_tiles() / 5);
  bool hairpin_named = false;
  for (const std::string& line_text : r.repairs) hairpin_named = hairpin_named || line_text.find("hairpin of radius") != std::string::npos;
  CHECK(hairpin_named);
  CHECK(r.repairs[0].rfind("point ", 0) == 0);
}

TEST_CASE("import: a chicane needs no repair and keeps its shape") {
  Stadium shape;
  shape.chicane_m = 8;
  const std::vector<Vec2> line = sample_curve(shape, 5);
  const ImportResult r = import_layout(road(line, 12), ImportOptions{}, "chicane");
  CHECK(r.repairs.empty());
  float most_lateral = 0;
  for (const Vec2& p : r.track.center)
    if (p.x > 40 && p.x < 150 && p.y < 0) most_lateral = std::max(most_lateral, p.y + 30);
  CHECK(most_lateral == Approx(8).margin(0.5));
}

TEST_CASE("import: road parts close to overlapping are narrowed, and too close is rejected with the reason") {
  Stadium shape;
  shape.waist_gap_m = 11;  // 12 m roads 11 m apart at the waist: they overlap
  const std::vector<Vec2> line = sample_curve(shape, 5);
  REQUIRE_THROWS_WITH(make_track(line, std::vector<float>(line.size(), 12), TrackConfig{}).validate(1e-3f), Catch::Contains("overlaps"));
  const ImportResult r = import_layout(road(line, 12), ImportOptions{}, "waist");
  CHECK_NOTHROW(r.track.validate(1e-3f));
  REQUIRE_FALSE(r.repairs.empty());
  bool named = false;
  for (const std::string& s : r.repairs) named = named || s.find("m away") != std::string::npos;
  CHECK(named);
  // At the waist, the two roads share the 11 m between their centre lines with 1 m of grass between them.
  for (int i = 0; i < r.track.num_tiles(); ++i)
    for (int j = 0; j < r.track.num_tiles(); ++j) {
      const Vec2 a = r.track.center[i], b = r.track.center[j];
      if (std::fabs(a.x - 150) < 3 && std::fabs(b.x - 150) < 3 && a.y < 0 && b.y > 0) {
        CHECK(0.5f * (r.track.width[i] + r.track.width[j]) + 1 <= (b - a).length());
        CHECK(r.track.width[i] < 12);
      }
    }

  shape.waist_gap_m = 4;  // no room for two roads of 4 m with 1 m between them
  const std::vector<Vec2> pinched = sample_curve(shape, 5);
  CHECK_THAT(error_of([&] { import_layout(road(pinched, 12), ImportOptions{}, "pinched"); }),
             Catch::StartsWith("pinched: cannot repair the layout") && Catch::Contains("too close for two roads"));
  // With the input's line numbers, the rejection names the line of an input point at the waist.
  std::vector<int> lines;
  for (size_t i = 0; i < pinched.size(); ++i) lines.push_back(static_cast<int>(i) + 2);  // a header line, then points
  const std::string e = error_of([&] { import_layout(road(pinched, 12), ImportOptions{}, "pinched.csv", &lines); });
  REQUIRE(e.rfind("pinched.csv:", 0) == 0);
  const int at_line = std::stoi(e.substr(12));
  const Vec2 p = pinched[at_line - 2];
  CHECK(std::fabs(p.x - 150) < 100);  // inside the pinch
  CHECK(std::fabs(p.y) < 30);
}

TEST_CASE("import: a crossing centre line is rejected with the reason") {
  const std::vector<Vec2> eight = sample_curve([](double t) {
    return Vec2{static_cast<float>(200 * std::sin(2 * kPi * t)), static_cast<float>(100 * std::sin(4 * kPi * t))};
  }, 5);
  CHECK_THAT(error_of([&] { import_layout(road(eight, 10), ImportOptions{}, "eight"); }), Catch::Contains("crosses itself"));
}

TEST_CASE("import: 5,000 points of a 25 km layout with uneven sides") {
  std::vector<RoadPoint> points;
  for (int i = 0; i < 5000; ++i) {
    const double a = 2 * kPi * i / 5000;
    const double r = 4000 + 150 * std::sin(7 * a);
    points.push_back({{static_cast<float>(r * std::cos(a)), static_cast<float>(r * std::sin(a))}, 5.f + 2.f * static_cast<float>(std::sin(3 * a)), 6.f});
  }
  const auto start = std::chrono::steady_clock::now();
  const ImportResult r = import_layout(points, ImportOptions{}, "big");
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(s < 5.0);
  CHECK(r.repairs.empty());
  CHECK(r.track.num_tiles() == Approx(r.input_length_m / 6).epsilon(0.01));
  float lo = 1e9f, hi = 0;
  for (float w : r.track.width) lo = std::min(lo, w), hi = std::max(hi, w);
  CHECK(lo == Approx(9).margin(0.1));  // 3 + 6 .. 7 + 6: the widths follow the file
  CHECK(hi == Approx(13).margin(0.1));
}

TEST_CASE("racing-line CSV errors name the file and line") {
  const std::string path = temp_path("bad.csv");
  auto csv_error = [&](const std::string& text) {
    write_file(path, text);
    return error_of([&] { read_racing_line_csv(path); });
  };
  CHECK(csv_error("x_m,y_m,w_tr_right_m,w_tr_left_m\n0,0,5,5\n").empty());  // column names without '#'
  CHECK_THAT(csv_error("# x_m,y_m,w_tr_right_m,w_tr_left_m\n0,0,5,5\n1,2,3\n"), Catch::Contains("bad.csv:3:") && Catch::Contains("4 numbers"));
  CHECK_THAT(csv_error("0,0,5,5\n1,zwei,3,3\n"), Catch::Contains("bad.csv:2:"));
  CHECK_THAT(csv_error("0,0,5,5\n1,1,-3,3\n"), Catch::Contains("bad.csv:2:") && Catch::Contains("positive"));
  CHECK_THAT(csv_error("0,0,5,5\n1e12,1,3,3\n"), Catch::Contains("bad.csv:2:") && Catch::Contains("outside"));
  CHECK_THAT(csv_error("# only a header\n"), Catch::Contains("no points"));
  CHECK_THAT(error_of([] { read_racing_line_csv(temp_path("missing.csv")); }), Catch::Contains("cannot open"));
}

TEST_CASE("import: a spike too sharp for even the narrowest road is smoothed out") {
  std::vector<Vec2> line = sample_curve(Stadium{}, 5);
  int spike = 0;
  for (size_t i = 0; i < line.size(); ++i)
    if (std::fabs(line[i].x - 150) < std::fabs(line[spike].x - 150) && line[i].y < 0) spike = static_cast<int>(i);
  line[spike].y += 9;  // one point of the bottom straight 9 m off the line: a bend of ~3.5 m radius
  ImportOptions options;
  options.min_width_m = 8;  // a 3.5 m bend leaves less than 8 m of road: smoothing, not narrowing
  const ImportResult r = import_layout(road(line, 10), options, "spike");
  CHECK_NOTHROW(r.track.validate(1e-3f));
  bool smoothed = false;
  for (const std::string& s : r.repairs) smoothed = smoothed || s.find("smoothed a bend") != std::string::npos;
  CHECK(smoothed);
  for (int i = 0; i < r.track.num_tiles(); ++i) {
    const Vec2 p = r.track.center[i];
    if (std::fabs(p.x - 150) > 40 && p.x > 10 && p.x < 290 && p.y < -20) CHECK(std::fabs(p.y + 30) < 0.5f);  // the rest of the straight stays
    CHECK(r.track.width[i] >= options.min_width_m - 1e-3f);
  }
}
