// Building an episode's Box2D world: road edges, walls, playfield boundary, cars and obstacles.
#include <algorithm>
#include <cmath>

#include "sim/world_impl.h"

namespace dl::sim {
namespace {

// The solid playfield boundary sits this far outside the playfield rectangle, so a car leaving the
// playfield is reported (off_playfield) before it hits the boundary.
constexpr float kBoundaryGap_m = 10;
// Start area kept free of traffic and obstacles: tiles behind and ahead of tile 0.
constexpr int kStartKeepBehind = 3;
constexpr int kStartKeepAhead = 8;
// Minimum spacing in tiles between placed traffic cars and obstacles.
constexpr int kPlacementSpacing = 3;

Vec2 left_normal(Vec2 d) { return {-d.y, d.x}; }

void add_edge_fixtures(b2Body* body, const std::vector<Vec2>& pts) {
  const int n = static_cast<int>(pts.size());
  b2FixtureDef fd;
  fd.isSensor = true;
  fd.filter.categoryBits = kCategoryEdge;
  fd.filter.maskBits = 0;
  fd.userData.pointer = make_tag(BodyKind::edge, 0);
  b2EdgeShape edge;
  fd.shape = &edge;
  for (int i = 0; i < n; ++i) {
    const Vec2 a = pts[i], b = pts[(i + 1) % n];
    edge.SetTwoSided({a.x, a.y}, {b.x, b.y});
    body->CreateFixture(&fd);
  }
}

// Box2D 2.4 chains are one-sided: they collide (and are hit by rays) only on the right of their
// direction. Callers pass points ordered so that right faces the road.
void add_wall_loop(b2Body* body, const std::vector<Vec2>& pts) {
  std::vector<b2Vec2> v(pts.size());
  for (size_t i = 0; i < pts.size(); ++i) v[i] = {pts[i].x, pts[i].y};
  b2ChainShape chain;
  chain.CreateLoop(v.data(), static_cast<int32>(v.size()));
  b2FixtureDef fd;
  fd.shape = &chain;
  fd.friction = 0.3f;
  fd.filter.categoryBits = kCategorySolid;
  fd.userData.pointer = make_tag(BodyKind::wall, 0);
  body->CreateFixture(&fd);
}

}  // namespace

std::vector<Vec2> offset_polyline(const Track& t, float extra_m, float side) {
  const int n = t.num_tiles();
  std::vector<Vec2> out(n);
  for (int i = 0; i < n; ++i) {
    const Vec2 prev = t.center[i] - t.center[(i + n - 1) % n], next = t.center[(i + 1) % n] - t.center[i];
    const Vec2 n_prev = left_normal(prev * (1.f / prev.length())), n_next = left_normal(next * (1.f / next.length()));
    Vec2 miter = n_prev + n_next;
    miter = miter * (1.f / miter.length());
    const float offset = 0.5f * t.width[i] + extra_m;
    const float scale = offset / std::max(miter.dot(n_next), 0.5f);
    out[i] = t.center[i] + miter * (side * scale);
  }
  return out;
}

void World::Impl::build_world() {
  b2 = std::make_unique<b2World>(b2Vec2(0, 0));
  b2->SetContactListener(&contacts);
  contacts.out = &events.collisions;
  b2BodyDef def;
  b2Body* ground = b2->CreateBody(&def);
  left_edge = offset_polyline(track, 0, 1);
  right_edge = offset_polyline(track, 0, -1);
  add_edge_fixtures(ground, left_edge);
  add_edge_fixtures(ground, right_edge);
  if (track.walls) {
    add_wall_loop(ground, offset_polyline(track, track.wall_offset_m, 1));
    std::vector<Vec2> right = offset_polyline(track, track.wall_offset_m, -1);
    std::reverse(right.begin(), right.end());
    add_wall_loop(ground, right);
  }
  Vec2 lo = track.center[0], hi = track.center[0];
  for (const Vec2& p : track.center) {
    lo = {std::min(lo.x, p.x), std::min(lo.y, p.y)};
    hi = {std::max(hi.x, p.x), std::max(hi.y, p.y)};
  }
  const float m = active.playfield_margin_m;
  play_min = {lo.x - m, lo.y - m};
  play_max = {hi.x + m, hi.y + m};
  const float g = kBoundaryGap_m;
  // Clockwise, so the inside (the right side of each edge) is the solid side.
  add_wall_loop(ground, {{play_min.x - g, play_min.y - g}, {play_min.x - g, play_max.y + g},
                         {play_max.x + g, play_max.y + g}, {play_max.x + g, play_min.y - g}});
}

// A random tile away from the start and from everything placed so far, or -1 when the track has no
// room left (then fewer objects are placed).
int World::Impl::free_tile(std::vector<int>& used) {
  const int n = track.num_tiles();
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int tile = static_cast<int>(rng.uniform_int(kStartKeepAhead, n - 1 - kStartKeepBehind));
    const bool clash = std::any_of(used.begin(), used.end(), [&](int u) {
      const int d = std::abs(u - tile);
      return std::min(d, n - d) < kPlacementSpacing;
    });
    if (!clash) {
      used.push_back(tile);
      return tile;
    }
  }
  return -1;
}

void World::Impl::add_traffic_car(int tile) {
  const TrafficConfig& tp = active.traffic;
  Vehicle v;
  v.lane_m = (rng.uniform() < 0.5 ? -1.f : 1.f) * tp.lateral_offset_m;
  v.desired_speed_mps = tp.desired_speed_mps * static_cast<float>(rng.uniform(0.8, 1.2));
  const Vec2 pos = query.point_at(track.arc_length[tile], v.lane_m);
  const Vec2 d = query.direction(tile);
  v.body = create_car_body(b2.get(), active.car, pos, std::atan2(d.y, d.x));
  v.body->GetFixtureList()->GetUserData().pointer = make_tag(BodyKind::car, static_cast<int>(traffic.size()) + 1);
  v.segment = tile;
  traffic.push_back(v);
}

void World::Impl::add_obstacle(int tile) {
  const float size = active.traffic.obstacle_size_m;
  const float room = std::max(0.f, 0.5f * track.width[tile] - 0.5f * size - 0.5f);
  Obstacle o;
  o.lateral_m = static_cast<float>(rng.uniform(-room, room));
  o.arc_m = track.arc_length[tile] + 0.5f * (query.segment_length(tile));
  o.position_m = query.point_at(o.arc_m, o.lateral_m);
  const Vec2 d = query.direction(tile);
  o.angle_rad = std::atan2(d.y, d.x);
  b2BodyDef def;
  def.position.Set(o.position_m.x, o.position_m.y);
  def.angle = o.angle_rad;
  o.body = b2->CreateBody(&def);
  b2PolygonShape box;
  box.SetAsBox(0.5f * size, 0.5f * size);
  b2FixtureDef fd;
  fd.shape = &box;
  fd.userData.pointer = make_tag(BodyKind::obstacle, static_cast<int>(obstacles.size()));
  o.body->CreateFixture(&fd);
  obstacles.push_back(o);
}

void World::Impl::place_traffic_and_obstacles() {
  std::vector<int> used;
  for (int i = 0; i < active.traffic.cars; ++i) {
    const int tile = free_tile(used);
    if (tile < 0) break;
    add_traffic_car(tile);
  }
  for (int i = 0; i < active.traffic.obstacles; ++i) {
    const int tile = free_tile(used);
    if (tile < 0) break;
    add_obstacle(tile);
  }
}

void ContactRecorder::PostSolve(b2Contact* contact, const b2ContactImpulse* impulse) {
  uintptr_t a = contact->GetFixtureA()->GetUserData().pointer, b = contact->GetFixtureB()->GetUserData().pointer;
  if (tag_kind(a) != BodyKind::car) std::swap(a, b);
  if (tag_kind(a) != BodyKind::car || !out) return;
  if (tag_kind(b) == BodyKind::car && tag_id(b) < tag_id(a)) std::swap(a, b);
  Collision c;
  c.car_a = tag_id(a);
  c.other = tag_kind(b) == BodyKind::car ? Collision::Kind::car
            : tag_kind(b) == BodyKind::obstacle ? Collision::Kind::obstacle
                                                 : Collision::Kind::wall;
  c.other_id = tag_kind(b) == BodyKind::wall ? -1 : tag_id(b);
  for (int i = 0; i < contact->GetManifold()->pointCount; ++i) c.impulse_ns += impulse->normalImpulses[i];
  // Box2D may solve the same contact more than once per step (TOI sub-steps): keep one entry per pair.
  for (Collision& e : *out) {
    if (e.car_a == c.car_a && e.other == c.other && e.other_id == c.other_id) {
      e.impulse_ns = std::max(e.impulse_ns, c.impulse_ns);
      return;
    }
  }
  out->push_back(c);
}

}  // namespace dl::sim
