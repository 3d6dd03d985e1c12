// The World's draw list: static track geometry cached at reset, cars and lidar appended per frame.
#include <cmath>

#include "sim/world_impl.h"

namespace dl::sim {
namespace {

// Grass checkerboard square size, as CarRacing draws it: it gives pixel agents a sense of motion.
constexpr float kGrassSquare_m = 20;
constexpr float kWheelLength_m = 0.8f;
constexpr float kWheelWidth_m = 0.35f;

void add_box(DrawList& out, Vec2 center, float angle, float half_len, float half_wid, Color c) {
  const Vec2 f{std::cos(angle), std::sin(angle)}, l{-f.y, f.x};
  const Vec2 pts[4] = {center + f * half_len + l * half_wid, center - f * half_len + l * half_wid,
                       center - f * half_len - l * half_wid, center + f * half_len - l * half_wid};
  out.polygon(pts, 4, c);
}

void add_grass(DrawList& out, Vec2 lo, Vec2 hi, Color c) {
  const int nx = static_cast<int>(std::ceil((hi.x - lo.x) / kGrassSquare_m));
  const int ny = static_cast<int>(std::ceil((hi.y - lo.y) / kGrassSquare_m));
  for (int j = 0; j < ny; ++j)
    for (int i = j % 2; i < nx; i += 2) {
      const float x = lo.x + i * kGrassSquare_m, y = lo.y + j * kGrassSquare_m;
      const Vec2 pts[4] = {{x, y}, {x + kGrassSquare_m, y}, {x + kGrassSquare_m, y + kGrassSquare_m}, {x, y + kGrassSquare_m}};
      out.polygon(pts, 4, c);
    }
}

void add_car(DrawList& out, const CarState& s, const CarParams& p, Color body, Color wheel) {
  const auto offsets = wheel_offsets(p);
  const Vec2 f{std::cos(s.heading_rad), std::sin(s.heading_rad)}, l{-f.y, f.x};
  for (int k = 0; k < 4; ++k) {
    const Vec2 c = s.position_m + f * offsets[k].x + l * offsets[k].y;
    add_box(out, c, s.heading_rad + (k < 2 ? s.steer_angle_rad : 0.f), 0.5f * kWheelLength_m, 0.5f * kWheelWidth_m, wheel);
  }
  add_box(out, s.position_m, s.heading_rad, 0.5f * p.length_m, 0.4f * p.width_m, body);
}

}  // namespace

void World::Impl::build_static_draw() {
  const Palette& pal = active.palette;
  DrawList& d = static_draw;
  d.clear_all();
  d.clear = pal.background;
  add_grass(d, play_min, play_max, pal.grass_stripe);
  const int n = track.num_tiles();
  for (int i = 0; i < n; ++i) {
    const int j = (i + 1) % n;
    const Vec2 q[4] = {left_edge[i], right_edge[i], right_edge[j], left_edge[j]};
    d.polygon(q, 4, i % 2 ? pal.road_alt : pal.road);
  }
  const std::vector<Vec2> left_in = offset_polyline(track, -TrackQuery::kKerbWidth_m, 1);
  const std::vector<Vec2> right_in = offset_polyline(track, -TrackQuery::kKerbWidth_m, -1);
  for (int i = 0; i < n; ++i) {
    const int side = query.kerb_side(i);
    if (side == 0) continue;
    const int j = (i + 1) % n;
    const std::vector<Vec2>& edge = side > 0 ? left_edge : right_edge;
    const std::vector<Vec2>& inner = side > 0 ? left_in : right_in;
    const Vec2 q[4] = {edge[i], inner[i], inner[j], edge[j]};
    d.polygon(q, 4, i % 2 ? pal.kerb_a : pal.kerb_b);
  }
  if (track.walls) {
    for (float side : {1.f, -1.f}) {
      const std::vector<Vec2> wall = offset_polyline(track, track.wall_offset_m, side);
      for (int i = 0; i < n; ++i) d.lines.push_back({wall[i], wall[(i + 1) % n], 0.5f, pal.wall});
    }
  }
  const float half = 0.5f * active.traffic.obstacle_size_m;
  for (const Obstacle& o : obstacles) add_box(d, o.position_m, o.angle_rad, half, half, pal.obstacle);
}

void World::draw(DrawList& out, bool with_lidar) const {
  const Impl& w = *impl_;
  const Palette& pal = w.active.palette;
  out = w.static_draw;
  for (const Vehicle& v : w.traffic) add_car(out, v.state, w.active.car, pal.traffic_car, pal.wheel);
  add_car(out, w.ego.state, w.active.car, pal.car, pal.wheel);
  if (!with_lidar) return;
  const LidarParams& lp = w.active.lidar;
  std::vector<float> dist(lp.rays);
  lidar(dist.data());
  const float step = lp.rays > 1 ? lp.fov_rad / (lp.rays - 1) : 0.f;
  const float first = lp.rays > 1 ? -0.5f * lp.fov_rad : 0.f;
  const Vec2 o = w.ego.state.position_m;
  for (int i = 0; i < lp.rays; ++i) {
    const float a = w.ego.body->GetAngle() + first + step * i;
    out.lines.push_back({o, o + Vec2{std::cos(a), std::sin(a)} * (dist[i] * lp.range_m), 0.1f, pal.lidar});
  }
}

}  // namespace dl::sim
