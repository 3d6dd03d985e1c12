#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "sim_test_util.h"

using namespace dl::sim;
using dl::sim::test::lane_keeper;
using dl::sim::test::stadium_track;

namespace {

// On the bottom straight of a stadium, turns by about 35 degrees towards one side (+1 left, -1 right)
// and drives on at full gas. Returns whether a wall collision was reported.
bool drive_at_side(World& w, float side, int steps, float* max_offset_m) {
  bool hit_wall = false;
  *max_offset_m = 0;
  for (int i = 0; i < steps; ++i) {
    const bool turning = side * w.track_features().heading_error_rad < 0.6f && *max_offset_m < 1;
    const StepEvents& e = w.step({turning ? -0.6f * side : 0.f, 1, 0});
    for (const Collision& c : e.collisions) hit_wall = hit_wall || (c.car_a == 0 && c.other == Collision::Kind::wall && c.impulse_ns > 0);
    *max_offset_m = std::max(*max_offset_m, side * w.track_features().lateral_offset_m);
  }
  return hit_wall;
}

}  // namespace

TEST_CASE("the car starts on tile 0 facing along the track") {
  World w(WorldOptions{});
  w.reset(3, 11);
  const TrackFeatures f = w.track_features();
  CHECK(f.nearest_point <= 1);
  CHECK(std::fabs(f.heading_error_rad) < 1e-4f);
  CHECK(std::fabs(f.lateral_offset_m) < 1e-3f);
  CHECK(w.car().speed_mps == 0);
  CHECK(f.curvature_ahead.size() == 5);
  CHECK(w.track().seed == 11);
}

TEST_CASE("walls block the car and lidar rays see them") {
  const Track track = stadium_track(600, 80, 12, /*walls=*/true);
  const float side = GENERATE(-1.f, 1.f);
  World w(WorldOptions{});
  w.reset(1, track);
  float max_offset = 0;
  CHECK(drive_at_side(w, side, 200, &max_offset));
  const float wall_m = 0.5f * 12 + track.wall_offset_m;
  CHECK(max_offset < wall_m);
  CHECK(max_offset > wall_m - 2.0f);  // it did get to the wall
  std::vector<float> rays(w.config().lidar.rays);
  w.lidar(rays.data());
  const float nearest_m = *std::min_element(rays.begin(), rays.end()) * w.config().lidar.range_m;
  CHECK(nearest_m < 2.5f);  // the wall beside the car, not the road edge behind it
}

TEST_CASE("without walls the same drive leaves the road with no collision") {
  World w(WorldOptions{});
  w.reset(1, stadium_track(600, 80, 12, /*walls=*/false));
  float max_offset = 0;
  CHECK_FALSE(drive_at_side(w, -1, 200, &max_offset));
  CHECK(max_offset > 0.5f * 12 + 4);
  CHECK_FALSE(w.step({}).on_road);
}

TEST_CASE("lidar reads less than 1 towards the road edges and 1 where nothing is in range") {
  WorldOptions cfg;
  cfg.lidar.rays = 3;
  cfg.lidar.fov_rad = 3.14159265f;  // right, ahead, left
  World w(cfg);
  w.reset(1, stadium_track(600, 80, 12));
  float rays[3];
  w.lidar(rays);
  CHECK(rays[0] * cfg.lidar.range_m == Approx(6).margin(0.05));
  CHECK(rays[2] * cfg.lidar.range_m == Approx(6).margin(0.05));
  CHECK(rays[1] == 1.0f);  // 60 m of straight road ahead
}

TEST_CASE("leaving the playfield is reported") {
  WorldOptions cfg;
  cfg.playfield_margin_m = 5;
  World w(cfg);
  w.reset(1, stadium_track(600, 80, 12));
  bool off = false;
  for (int i = 0; i < 500 && !off; ++i) off = w.step({i < 40 ? 0.7f : 0.f, 1, 0}).off_playfield;
  CHECK(off);
}

TEST_CASE("traffic moves along the track and stays on the road") {
  WorldOptions cfg;
  cfg.traffic.cars = 3;
  World w(cfg);
  w.reset(2, 5);
  REQUIRE(w.traffic().size() == 3);
  std::vector<Vec2> start;
  for (const CarState& s : w.traffic()) start.push_back(s.position_m);
  bool on_road = true;
  for (int i = 0; i < 50 * 20; ++i) {
    w.step({});
    for (const CarState& s : w.traffic())
      on_road = on_road && std::count(s.wheel_surface.begin(), s.wheel_surface.end(), Surface::grass) < 4;
  }
  CHECK(on_road);
  for (size_t i = 0; i < start.size(); ++i) {
    CHECK(w.traffic()[i].speed_mps > 8);
    CHECK((w.traffic()[i].position_m - start[i]).length() > 20);
  }
}

TEST_CASE("running into a slow traffic car reports a car collision with an impulse") {
  WorldOptions cfg;
  cfg.traffic.cars = 1;
  cfg.traffic.lateral_offset_m = 0;
  cfg.traffic.desired_speed_mps = 4;
  World w(cfg);
  w.reset(4, stadium_track(600, 80, 12));
  float impulse = 0;
  for (int i = 0; i < 50 * 200 && impulse == 0; ++i) {
    for (const Collision& c : w.step(lane_keeper(w, 18)).collisions)
      if (c.car_a == 0 && c.other == Collision::Kind::car && c.other_id == 1) impulse = c.impulse_ns;
  }
  CHECK(impulse > 0);
}

TEST_CASE("driving into an obstacle reports an obstacle collision, and lidar saw it") {
  WorldOptions cfg;
  cfg.traffic.obstacles = 1;
  cfg.lidar.rays = 3;  // right, ahead, left
  World w(cfg);
  w.reset(4, stadium_track(600, 80, 3));  // narrow: the obstacle sits on the centre line
  bool hit = false;
  float rays[3] = {1, 1, 1};
  for (int i = 0; i < 50 * 120 && !hit; ++i) {
    w.lidar(rays);
    for (const Collision& c : w.step(lane_keeper(w, 15)).collisions) hit = hit || (c.other == Collision::Kind::obstacle && c.impulse_ns > 0);
  }
  CHECK(hit);
  // Just before contact the ray straight ahead ends on the obstacle, about half a car length away.
  CHECK(rays[1] * cfg.lidar.range_m < 0.5f * cfg.car.length_m + 1.0f);
}

TEST_CASE("a full lap visits every tile once and completes the lap only at the start line") {
  World w(WorldOptions{});
  w.reset(1, generate_track(3, track_preset(TrackPreset::easy)));
  const int n = w.track().num_tiles();
  int new_tiles = 0, laps = 0, new_tiles_at_second_lap = 0;
  float distance_m = 0;
  for (int i = 0; i < 50 * 400 && laps < 2; ++i) {
    const StepEvents& e = w.step(lane_keeper(w, 15));
    new_tiles += e.new_tiles;
    distance_m += w.car().speed_mps * w.config().dt_s;
    if (!e.lap_complete) continue;
    ++laps;
    CHECK(e.new_tiles == 0);
    CHECK(w.track_features().nearest_point <= 2);
    CHECK(w.tiles_visited() == 0);
    if (laps == 1) {
      CHECK(new_tiles == n);
      CHECK(distance_m > 0.95f * w.track().length_m);
      CHECK(distance_m < 1.05f * w.track().length_m);
    }
    if (laps == 2) new_tiles_at_second_lap = new_tiles;
  }
  CHECK(laps == 2);
  CHECK(new_tiles_at_second_lap == 2 * n);
}

TEST_CASE("turning back over the start line after a few tiles does not complete a lap") {
  World w(WorldOptions{});
  w.reset(1, generate_track(3, track_preset(TrackPreset::easy)));
  bool lap = false;
  // Drive forward a few tiles, then brake, turn around slowly and drive back over tile 0.
  for (int i = 0; i < 100; ++i) lap = lap || w.step(lane_keeper(w, 10)).lap_complete;
  for (int i = 0; i < 50 * 30; ++i) {
    const TrackFeatures f = w.track_features();
    lap = lap || w.step({std::fabs(f.heading_error_rad) < 2.8f ? -1.f : 0.f, 0.3f, 0}).lap_complete;
  }
  CHECK_FALSE(lap);
  CHECK(w.track_features().lap_progress < 0.5f);
}

TEST_CASE("reset with the same seed gives the same trajectory, bit for bit") {
  WorldOptions cfg;
  cfg.traffic.cars = 2;
  cfg.traffic.obstacles = 2;
  World a(cfg), b(cfg);
  a.reset(10, 20);
  b.reset(99, 21);
  b.step({0, 1, 0});
  b.reset(10, 20);  // a reused world must behave like a fresh one
  uint64_t ha = 0, hb = 0;
  for (int i = 0; i < 300; ++i) {
    const Action act{std::sin(i * 0.05f), 0.7f, 0};
    a.step(act);
    b.step(act);
    ha = test::hash_car(a.car(), ha);
    hb = test::hash_car(b.car(), hb);
    for (const CarState& s : a.traffic()) ha = test::hash_car(s, ha);
    for (const CarState& s : b.traffic()) hb = test::hash_car(s, hb);
  }
  CHECK(ha == hb);
}

// Golden trajectory hash. If a deliberate change to the physics, the track generator or the traffic
// model changes it, run `build/test_sim "golden trajectory*" -s`, check the new behaviour is right, and
// paste the printed hash here (and say so in the commit message).
TEST_CASE("golden trajectory hash for a fixed seed and action sequence") {
  constexpr uint64_t kGoldenTrajectoryHash = 0xd54dccf41f619c02ULL;  // track 456 runs clockwise since tracks run both ways
  WorldOptions cfg;
  cfg.traffic.cars = 2;
  cfg.traffic.obstacles = 1;
  World w(cfg);
  w.reset(123, 456);
  Rng actions(789);
  uint64_t h = 1469598103934665603ULL;
  std::vector<float> rays(cfg.lidar.rays);
  for (int i = 0; i < 500; ++i) {
    w.step({static_cast<float>(actions.uniform(-0.3, 0.3)), static_cast<float>(actions.uniform(0.3, 1)), 0});
    h = test::hash_car(w.car(), h);
    for (const CarState& s : w.traffic()) h = test::hash_car(s, h);
    w.lidar(rays.data());
    h = test::fnv1a(rays.data(), rays.size() * sizeof(float), h);
  }
  INFO("trajectory hash: 0x" << std::hex << h);
  CHECK(h == kGoldenTrajectoryHash);
}

TEST_CASE("config changes apply at the next reset, also for a track seed used before") {
  World w(WorldOptions{});
  w.reset(1, 5);
  const int tiles = w.track().num_tiles();
  w.mutable_config().track.width_m = 20;
  w.mutable_config().lidar.rays = 7;
  CHECK(w.config().lidar.rays == 16);  // the running episode keeps its config
  w.reset(1, 5);
  CHECK(w.track().width[0] == 20);
  CHECK(w.config().lidar.rays == 7);
  CHECK(w.track().num_tiles() > 0);
  w.mutable_config().track.width_m = 13.3f;
  w.reset(1, 5);
  CHECK(w.track().num_tiles() == tiles);
}

TEST_CASE("a new world can be queried before its first reset") {
  World w(WorldOptions{});
  std::vector<float> rays(w.config().lidar.rays);
  w.lidar(rays.data());
  CHECK(w.track().num_tiles() > 8);
  CHECK(w.track_features().lap_progress == 0);
}
