// The World's draw list: static track geometry built once per track and palette (shared between worlds),
// obstacles, cars and lidar appended per frame.
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

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

// The grass squares over the playfield as one checkerboard primitive (sim/draw.h): the same squares the
// list once held one by one, in a few bytes whatever the playfield's size. The counts are clamped before
// converting (the playfield of a valid track is at most ~100 km wide: 5,000 squares).
DrawChecker grass(Vec2 lo, Vec2 hi, Color c) {
  const auto squares = [](float extent_m) {
    const double count = std::ceil(static_cast<double>(extent_m) / kGrassSquare_m);
    return count >= 1 ? static_cast<int>(std::min(count, 1e8)) : 0;
  };
  DrawChecker ch;
  ch.origin = lo;
  ch.square_m = kGrassSquare_m;
  ch.columns = squares(hi.x - lo.x);
  ch.rows = squares(hi.y - lo.y);
  ch.color = c;
  return ch;
}

// FNV-1a over the bytes of a few arrays: the key of a static draw list in the shared cache.
struct Fnv {
  uint64_t h = 1469598103934665603ULL;
  void add(const void* data, size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  }
  template <class T>
  void add(const std::vector<T>& v) {
    add(v.data(), v.size() * sizeof(T));
  }
};

// Static draw lists shared by every world in the process, keyed by everything they are drawn from:
// vectorized envs on the same track, and resets onto the track of the previous episode, build it once.
// Entries die with the last world that uses them.
std::shared_ptr<const DrawList> shared_static_draw(const std::pair<uint64_t, uint64_t>& key,
                                                   const std::function<DrawList()>& build) {
  static std::mutex mutex;
  static std::map<std::pair<uint64_t, uint64_t>, std::weak_ptr<const DrawList>> cache;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache.find(key); it != cache.end())
      if (auto hit = it->second.lock()) return hit;
  }
  auto made = std::make_shared<const DrawList>(build());
  std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() > 256)
    for (auto it = cache.begin(); it != cache.end();) it = it->second.expired() ? cache.erase(it) : std::next(it);
  cache[key] = made;
  return made;
}

void add_car(DrawList& out, const CarState& s, const CarConfig& p, Color body, Color wheel) {
  const auto offsets = wheel_offsets(p);
  const Vec2 f{std::cos(s.heading_rad), std::sin(s.heading_rad)}, l{-f.y, f.x};
  for (int k = 0; k < 4; ++k) {
    const Vec2 c = s.position_m + f * offsets[k].x + l * offsets[k].y;
    add_box(out, c, s.heading_rad + (k < 2 ? s.steer_angle_rad : 0.f), 0.5f * kWheelLength_m, 0.5f * kWheelWidth_m, wheel);
  }
  add_box(out, s.position_m, s.heading_rad, 0.5f * p.length_m, 0.4f * p.width_m, body);
}

}  // namespace

// Track, kerbs, walls and grass: everything drawn that lasts as long as the track and the palette.
// Obstacles move between episodes and are added in draw().
void World::Impl::build_static_draw() {
  const Palette& pal = active.palette;
  std::vector<uint8_t> kerbs(track.num_tiles());
  for (int i = 0; i < track.num_tiles(); ++i) kerbs[i] = static_cast<uint8_t>(query.kerb_side(i) + 1);
  const float walls[2] = {track.walls ? 1.f : 0.f, track.wall_offset_m};
  const Vec2 play[2] = {play_min, play_max};
  Fnv a, b;
  b.h ^= 0x9e3779b97f4a7c15ULL;  // a second, independent hash: the key is 128 bits
  for (Fnv* f : {&a, &b}) {
    f->add(track.center);
    f->add(track.width);
    f->add(kerbs);
    f->add(walls, sizeof walls);
    f->add(play, sizeof play);
    f->add(&pal, sizeof pal);
  }
  const std::pair<uint64_t, uint64_t> key{a.h, b.h};
  if (static_draw && static_draw_key == key) return;
  static_draw_key = key;
  static_draw = shared_static_draw(key, [&] {
    DrawList d;
    d.clear = pal.background;
    d.checker = grass(play_min, play_max, pal.grass_stripe);
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
    return d;
  });
}

void World::draw(DrawList& out, bool with_lidar) const {
  const Impl& w = *impl_;
  const Palette& pal = w.active.palette;
  out = *w.static_draw;
  // Obstacles after the track's polygons (kerbs included) and before the cars, as they always were drawn.
  const float half = 0.5f * w.active.traffic.obstacle_size_m;
  for (const Obstacle& o : w.obstacles) add_box(out, o.position_m, o.angle_rad, half, half, pal.obstacle);
  for (const Vehicle& v : w.traffic) add_car(out, v.state, w.active.car, pal.traffic_car, pal.wheel);
  add_car(out, w.ego.state, w.active.car, pal.car, pal.wheel);
  if (!with_lidar) return;
  const LidarConfig& lp = w.active.lidar;
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
