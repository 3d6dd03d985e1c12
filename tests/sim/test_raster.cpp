#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <set>

#include "render/raster/raster.h"
#include "sim_test_util.h"

using namespace dl;
using sim::Color;
using sim::Vec2;

namespace {

constexpr Color kRed{255, 0, 0}, kBlue{0, 0, 255}, kBlack{0, 0, 0};

// Camera with 1 pixel per metre where world (x, y) lands on pixel column x, row height - y.
raster::Camera pixel_camera(int width, int height) {
  raster::Camera cam;
  cam.center_m = {width * 0.5f, height * 0.5f};
  cam.pixels_per_m = 1;
  return cam;
}

int count(const raster::Image& img, Color c) {
  int n = 0;
  for (size_t i = 0; i < img.rgb.size(); i += 3) n += img.rgb[i] == c.r && img.rgb[i + 1] == c.g && img.rgb[i + 2] == c.b;
  return n;
}

Color pixel(const raster::Image& img, int x, int y) {
  const size_t i = (static_cast<size_t>(y) * img.width + x) * 3;
  return {img.rgb[i], img.rgb[i + 1], img.rgb[i + 2]};
}

sim::DrawList black_list() {
  sim::DrawList d;
  d.clear = kBlack;
  return d;
}

}  // namespace

TEST_CASE("a square covers exactly the pixels whose centres are inside it") {
  sim::DrawList d = black_list();
  const Vec2 sq[4] = {{2, 2}, {6, 2}, {6, 6}, {2, 6}};
  d.polygon(sq, 4, kRed);
  const raster::Image img = raster::render(d, pixel_camera(10, 10), 10, 10);
  CHECK(count(img, kRed) == 16);
  CHECK(pixel(img, 2, 4) == kRed);   // world (2.5, 5.5)
  CHECK(pixel(img, 1, 4) == kBlack);
  CHECK(pixel(img, 5, 7) == kRed);   // world (5.5, 2.5)
  CHECK(pixel(img, 5, 8) == kBlack);
}

TEST_CASE("a concave polygon is filled without its notch") {
  sim::DrawList d = black_list();
  const Vec2 ell[6] = {{0, 0}, {8, 0}, {8, 4}, {4, 4}, {4, 8}, {0, 8}};  // an L: 8x8 minus a 4x4 corner
  d.polygon(ell, 6, kRed);
  const raster::Image img = raster::render(d, pixel_camera(10, 10), 10, 10);
  CHECK(count(img, kRed) == 48);
}

TEST_CASE("two triangles sharing an edge neither overlap nor leave a gap") {
  sim::DrawList d = black_list();
  const Vec2 t1[3] = {{1.3f, 1.1f}, {17.7f, 2.9f}, {3.2f, 18.4f}};
  const Vec2 t2[3] = {{17.7f, 2.9f}, {16.1f, 17.5f}, {3.2f, 18.4f}};
  d.polygon(t1, 3, kRed);
  const int red_only = count(raster::render(d, pixel_camera(20, 20), 20, 20), kRed);
  d.polygon(t2, 3, kBlue);
  const raster::Image both = raster::render(d, pixel_camera(20, 20), 20, 20);
  sim::DrawList quad = black_list();
  const Vec2 q[4] = {t1[0], t1[1], t2[1], t2[2]};
  quad.polygon(q, 4, kRed);
  CHECK(count(both, kRed) == red_only);
  CHECK(count(both, kRed) + count(both, kBlue) == count(raster::render(quad, pixel_camera(20, 20), 20, 20), kRed));
}

TEST_CASE("thick lines and circles cover their area") {
  sim::DrawList d = black_list();
  d.lines.push_back({{2, 10}, {18, 10}, 4, kRed});
  d.circles.push_back({{30, 30}, 6, kBlue});
  const raster::Image img = raster::render(d, pixel_camera(40, 40), 40, 40);
  CHECK(count(img, kRed) == 16 * 4);
  CHECK(count(img, kBlue) == Approx(3.14159 * 36).epsilon(0.1));
}

TEST_CASE("the ego camera puts the car near the bottom, pointing up") {
  sim::DrawList d = black_list();
  const float heading = 1.0f;
  const Vec2 car{100, -50};
  d.circles.push_back({car + Vec2{std::cos(heading), std::sin(heading)} * 10, 1, kRed});         // 10 m ahead
  d.circles.push_back({car + Vec2{std::sin(heading), -std::cos(heading)} * 10, 1, kBlue});      // 10 m to the right
  const raster::Image img = raster::render(d, raster::ego_camera(car, heading, 2), 96, 96);
  CHECK(pixel(img, 48, 72 - 20) == kRed);
  CHECK(pixel(img, 48 + 20, 72) == kBlue);
}

TEST_CASE("write_ppm writes a binary PPM through a temporary file") {
  raster::Image img;
  img.width = 3;
  img.height = 2;
  img.rgb.assign(18, 7);
  const std::string path = std::string(DRIVELAB_BINARY_DIR) + "/test_sim_image.ppm";
  raster::write_ppm(img, path);
  std::ifstream in(path, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(data == "P6\n3 2\n255\n" + std::string(18, '\7'));
  CHECK_FALSE(std::ifstream(path + ".tmp").good());
}

// Golden image. If a deliberate change to drawing or rasterizing changes it, run
// `build/test_sim "golden image*" -s`, look at the written build/test_sim_golden.ppm, and paste the
// printed hash here.
TEST_CASE("golden image of a fixed scene, with road under and around the car") {
  constexpr uint64_t kGoldenImageHash = 0xd9509f6f2229b2a9ULL;  // track 7 runs clockwise since tracks run both ways
  sim::WorldOptions cfg;
  cfg.traffic.cars = 2;
  cfg.traffic.obstacles = 2;
  sim::World w(cfg);
  w.reset(1, 7);
  for (int i = 0; i < 100; ++i) w.step(sim::test::lane_keeper(w, 12));
  sim::DrawList d;
  w.draw(d, false);
  const raster::Image img = raster::render(d, raster::ego_camera(w.car().position_m, w.car().heading_rad, 4), 96, 96);
  raster::write_ppm(img, std::string(DRIVELAB_BINARY_DIR) + "/test_sim_golden.ppm");
  const sim::Palette& pal = cfg.palette;
  CHECK(pixel(img, 48, 72) == pal.car);
  const Color ahead = pixel(img, 48, 72 - 4 * 8);  // 8 m ahead: road
  CHECK((ahead == pal.road || ahead == pal.road_alt));
  const std::set<uint32_t> palette = {0, 0x66cc66, 0x66e666, 0x666666, 0x6a6a6a, 0xffffff, 0xff0000, 0x282828,
                                      0xcc0000, 0x003cc8, 0xe6b41e, 0xffff00};
  bool only_palette = true;
  for (size_t i = 0; i < img.rgb.size(); i += 3)
    only_palette = only_palette && palette.count((img.rgb[i] << 16) | (img.rgb[i + 1] << 8) | img.rgb[i + 2]) == 1;
  CHECK(only_palette);
  const uint64_t h = sim::test::fnv1a(img.rgb.data(), img.rgb.size());
  INFO("image hash: 0x" << std::hex << h);
  CHECK(h == kGoldenImageHash);
}
