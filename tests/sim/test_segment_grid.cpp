#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <vector>

#include "sim/rng.h"
#include "sim/segment_grid.h"

using namespace dl::sim;

namespace {

std::vector<int> brute_near(const std::vector<Segment>& segs, Vec2 p, float r) {
  std::vector<int> out;
  for (size_t i = 0; i < segs.size(); ++i)
    if (SegmentGrid::distance(p, segs[i]) <= r) out.push_back(static_cast<int>(i));
  return out;
}

float brute_nearest_distance(const std::vector<Segment>& segs, Vec2 p) {
  float best = INFINITY;
  for (const Segment& s : segs) best = std::min(best, SegmentGrid::distance(p, s));
  return best;
}

Vec2 random_point(Rng& rng, float lo, float hi) {
  return {static_cast<float>(rng.uniform(lo, hi)), static_cast<float>(rng.uniform(lo, hi))};
}

// Short segments in clusters plus a few long ones crossing everything, in a mostly empty square.
std::vector<Segment> mixed_segments(Rng& rng) {
  std::vector<Segment> segs;
  for (int c = 0; c < 5; ++c) {
    const Vec2 centre = random_point(rng, -500, 500);
    for (int i = 0; i < 60; ++i) {
      const Vec2 a = centre + random_point(rng, -30, 30);
      segs.push_back({a, a + random_point(rng, -8, 8)});
    }
  }
  for (int i = 0; i < 4; ++i) segs.push_back({random_point(rng, -600, 600), random_point(rng, -600, 600)});
  segs.push_back({{-600, -600}, {600, 600}});  // a diagonal through every row
  segs.push_back({{-100, 7}, {300, 7}});       // horizontal
  segs.push_back({{40, -300}, {40, 300}});     // vertical
  segs.push_back({{5, 5}, {5, 5}});            // a point
  return segs;
}

}  // namespace

TEST_CASE("segment grid: segments near a point match a brute-force search") {
  Rng rng(3);
  const std::vector<Segment> segs = mixed_segments(rng);
  for (float cell : {0.f, 3.f, 50.f}) {
    SegmentGrid grid;
    grid.build(segs, cell);
    std::vector<int> got;
    for (int q = 0; q < 2000; ++q) {
      const Vec2 p = random_point(rng, -800, 800);
      const float r = static_cast<float>(rng.uniform(0, q % 10 == 0 ? 2000 : 40));
      grid.segments_near(p, r, got);
      REQUIRE(got == brute_near(segs, p, r));
    }
  }
}

TEST_CASE("segment grid: the nearest segment matches a brute-force search, also far outside the grid") {
  Rng rng(4);
  const std::vector<Segment> segs = mixed_segments(rng);
  SegmentGrid grid;
  grid.build(segs);
  for (int q = 0; q < 3000; ++q) {
    const float extent = q % 3 == 0 ? 1e5f : 700.f;
    const Vec2 p = random_point(rng, -extent, extent);
    float d = -1;
    const int i = grid.nearest(p, &d);
    REQUIRE(i >= 0);
    REQUIRE(d == brute_nearest_distance(segs, p));
    REQUIRE(SegmentGrid::distance(p, segs[i]) == d);
  }
}

TEST_CASE("segment grid: empty and degenerate inputs") {
  SegmentGrid empty;
  empty.build({});
  std::vector<int> out{1, 2};
  empty.segments_near({0, 0}, 10, out);
  CHECK(out.empty());
  CHECK(empty.nearest({0, 0}) == -1);

  SegmentGrid line;  // all on one horizontal line: a one-row grid
  std::vector<Vec2> pts;
  for (int i = 0; i < 100; ++i) pts.push_back({i * 2.f, 0});
  line.build_closed(pts);
  CHECK(line.nearest({51, 3}) == 25);
  line.segments_near({51, 0}, 0.5f, out);
  CHECK(out == std::vector<int>{25, 99});  // segment 99 is the closing one, back along the line
  CHECK(line.nearest({NAN, 0}) == -1);
  line.segments_near({NAN, 0}, 5, out);
  CHECK(out.empty());
}

TEST_CASE("segment grid: memory stays proportional to the segments in a huge empty area") {
  // Two tiny clusters 40,000 km apart: a grid at the segment length would have 10^14 cells.
  std::vector<Segment> segs;
  for (int i = 0; i < 1000; ++i) {
    const float x = (i < 500 ? -2e7f : 2e7f) + (i % 500) * 1.f;
    segs.push_back({{x, 0}, {x + 1, 0.5f}});
  }
  SegmentGrid grid;
  grid.build(segs);
  CHECK(grid.cell_count() <= 3 * SegmentGrid::kMaxCellsPerSegment * 1000 + 1);
  float d = 0;
  CHECK(grid.nearest({-2e7f + 10.2f, 0.3f}, &d) == 10);
  CHECK(d < 0.5f);
}

TEST_CASE("segment grid: a million-segment loop builds and answers in well under a second") {
  std::vector<Vec2> pts(1000000);
  for (size_t i = 0; i < pts.size(); ++i) {
    const float a = 6.2831853f * static_cast<float>(i) / static_cast<float>(pts.size());
    pts[i] = {1e6f * std::cos(a) + 300 * std::sin(40 * a), 1e6f * std::sin(a)};
  }
  const auto start = std::chrono::steady_clock::now();
  SegmentGrid grid;
  grid.build_closed(pts);
  std::vector<int> out;
  Rng rng(5);
  for (int q = 0; q < 100000; ++q) grid.segments_near(pts[rng.uniform_int(0, 999999)], 20, out);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(s < 5.0);  // about 0.2 s on one core; generous for loaded CI machines
  CHECK(grid.nearest(pts[123456] + Vec2{0.1f, 0.1f}) >= 123455);
}
