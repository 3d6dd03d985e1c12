// The world's draw list on huge tracks, the checkerboard primitive, and rasterizing absurd coordinates.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <limits>

#include "render/raster/raster.h"
#include "sim_test_util.h"

using namespace dl;
using sim::Color;
using sim::Vec2;

namespace {

constexpr Color kBlack{0, 0, 0}, kGreen{0, 200, 0}, kRed{255, 0, 0};

int count(const raster::Image& img, Color c) {
  int n = 0;
  for (size_t i = 0; i < img.rgb.size(); i += 3) n += img.rgb[i] == c.r && img.rgb[i + 1] == c.g && img.rgb[i + 2] == c.b;
  return n;
}

sim::Track circle_track(float radius_m, float spacing_m, float width_m) {
  const int n = static_cast<int>(2 * 3.14159265f * radius_m / spacing_m);
  std::vector<Vec2> pts(n);
  for (int i = 0; i < n; ++i) pts[i] = {radius_m * std::cos(6.2831853f * i / n), radius_m * std::sin(6.2831853f * i / n)};
  return sim::make_track(pts, std::vector<float>(n, width_m), sim::TrackConfig{});
}

}  // namespace

TEST_CASE("the draw list of a 30 km wide track holds the track, not its empty area") {
  // The playfield is 30 km square: one 20 m grass square per cell would be 1.1 million polygons.
  const sim::Track track = circle_track(15000, 6, 12);
  REQUIRE_NOTHROW(track.validate(1e-3f));
  sim::World w(sim::WorldOptions{});
  w.reset(1, track);
  sim::DrawList d;
  w.draw(d);
  CHECK(d.polygons.size() <= 2 * static_cast<size_t>(track.num_tiles()) + 16);
  CHECK(d.checker.columns * 20.f >= 30000);
  const raster::Image img = raster::render(d, raster::ego_camera(w.car().position_m, w.car().heading_rad, 4), 96, 96);
  CHECK(count(img, sim::Palette{}.grass_stripe) > 0);  // grass squares beside the road, as always
  CHECK(count(img, sim::Palette{}.road) + count(img, sim::Palette{}.road_alt) > 0);
}

TEST_CASE("a checkerboard draws the same pixels as its squares drawn one by one") {
  sim::DrawList squares, board;
  squares.clear = board.clear = kBlack;
  board.checker = {{-37, -23}, 20, 9, 7, kGreen};
  for (int j = 0; j < 7; ++j)
    for (int i = j % 2; i < 9; i += 2) {
      const float x = -37 + i * 20.f, y = -23 + j * 20.f;
      const Vec2 pts[4] = {{x, y}, {x + 20, y}, {x + 20, y + 20}, {x, y + 20}};
      squares.polygon(pts, 4, kGreen);
    }
  for (float angle : {0.f, 0.3f, 2.f}) {
    raster::Camera cam;
    cam.center_m = {30, 40};
    cam.angle_rad = angle;
    cam.pixels_per_m = 1.7f;
    const raster::Image a = raster::render(squares, cam, 200, 150), b = raster::render(board, cam, 200, 150);
    CHECK(a.rgb == b.rgb);
    CHECK(count(a, kGreen) > 1000);
  }
}

TEST_CASE("rasterizing absurd coordinates neither crashes nor draws garbage") {
  sim::DrawList d;
  d.clear = kBlack;
  const float big = 1e30f, nan = std::numeric_limits<float>::quiet_NaN();
  const Vec2 huge[4] = {{-big, -big}, {big, -big}, {big, big}, {-big, big}};
  const Vec2 far[3] = {{1e9f, 1e9f}, {1e9f + 5, 1e9f}, {1e9f, 1e9f + 5}};
  const Vec2 broken[3] = {{nan, 0}, {5, nan}, {0, 5}};
  d.polygon(far, 3, kGreen);
  d.polygon(broken, 3, kGreen);
  d.lines.push_back({{-big, 0}, {big, 0}, 2, kGreen});
  d.circles.push_back({{0, 1e20f}, 5, kGreen});
  d.checker = {{-1e9f, -1e9f}, 20, 100000000, 100000000, kRed};
  raster::Camera cam;
  cam.pixels_per_m = 1;
  raster::Image img = raster::render(d, cam, 64, 48);
  CHECK(count(img, kGreen) + count(img, kRed) + count(img, kBlack) == 64 * 48);
  d.polygon(huge, 4, kGreen);  // covers everything
  img = raster::render(d, cam, 64, 48);
  CHECK(count(img, kGreen) == 64 * 48);
}
