// The World: one episode's Box2D world, the ego car, traffic, tiles and sensors.
#include "sim/world.h"

#include <algorithm>
#include <cmath>

#include "sim/world_impl.h"

namespace dl::sim {
namespace {

// Box2D solver iterations: a car on a flat plane needs few; more only cost time.
constexpr int kVelocityIterations = 4;
constexpr int kPositionIterations = 2;
// A tile counts as visited when the car centre is within the road plus this margin.
constexpr float kTileMargin_m = 1.0f;
// A lap counts when the car crosses the start line forwards having visited this share of the tiles, as
// CarRacing-v3 does (lap_complete_percent 0.95): a spin that skips a few tiles must not void every later
// lap. Skipped tiles still earn nothing, so a lap that skipped tiles is worth less tile reward.
constexpr float kLapTileShare = 0.95f;
constexpr float kPi = 3.14159265358979f;

class ClosestRay : public b2RayCastCallback {
 public:
  explicit ClosestRay(const b2Body* ignore) : ignore_(ignore) {}
  float fraction = 1;
  float ReportFixture(b2Fixture* fixture, const b2Vec2&, const b2Vec2&, float f) override {
    if (fixture->GetBody() == ignore_) return -1;  // our own car: look through it
    fraction = f;
    return f;  // clip the ray here: only closer hits are reported after this
  }

 private:
  const b2Body* ignore_;
};

}  // namespace

// A world is usable (on track seed 0) as soon as it exists, so no accessor can meet an empty world.
World::World(const WorldOptions& config) : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  impl_->active = config;
  reset(0, 0);
}

World::~World() = default;

// Environments often cycle through a few track seeds; regenerating the same track is skipped.
void World::reset(uint64_t seed, uint64_t track_seed) {
  Impl& w = *impl_;
  const bool cached = w.has_generated && w.generated.seed == track_seed && w.generated_params == w.config.track;
  if (!cached) {
    w.generated = generate_track(track_seed, w.config.track);
    w.generated_params = w.config.track;
    w.has_generated = true;
  }
  reset(seed, w.generated);
}

void World::reset(uint64_t seed, const Track& track) {
  Impl& w = *impl_;
  w.active = w.config;
  w.track = track;
  w.query.build(&w.track);
  w.rng.reseed(seed);
  w.events = StepEvents{};
  w.traffic.clear();
  w.obstacles.clear();
  w.build_world();
  // The car starts in the middle of tile 0, facing along the track.
  const Vec2 dir = w.query.direction(0);
  const float half_tile = 0.5f * (w.track.center[1] - w.track.center[0]).length();
  w.ego = Vehicle{};
  w.ego.body = create_car_body(w.b2.get(), w.active.car, w.track.center[0] + dir * half_tile, std::atan2(dir.y, dir.x));
  w.ego.body->GetFixtureList()->GetUserData().pointer = make_tag(BodyKind::car, 0);
  w.place_traffic_and_obstacles();
  w.visited.assign(w.track.num_tiles(), 0);
  w.visited_count = 0;
  w.steps = 0;
  w.update_vehicle_track_state(w.ego);
  for (Vehicle& v : w.traffic) w.update_vehicle_track_state(v);
  w.traffic_states.resize(w.traffic.size());
  for (size_t i = 0; i < w.traffic.size(); ++i) w.traffic_states[i] = w.traffic[i].state;
  w.build_static_draw();
}

void World::Impl::update_surfaces(Vehicle& v) const {
  const auto offsets = wheel_offsets(active.car);
  for (int k = 0; k < 4; ++k) {
    const b2Vec2 p = v.body->GetWorldPoint({offsets[k].x, offsets[k].y});
    const int seg = query.nearest_local({p.x, p.y}, v.segment);
    v.surfaces[k] = query.surface(query.project({p.x, p.y}, seg));
  }
}

void World::Impl::update_vehicle_track_state(Vehicle& v) const {
  const b2Vec2 p = v.body->GetPosition();
  v.segment = query.nearest({p.x, p.y}, v.segment);
  const TrackProjection pr = query.project({p.x, p.y}, v.segment);
  v.arc_m = pr.arc_m;
  v.lateral_m = pr.lateral_m;
  update_surfaces(v);
  v.state = read_car_state(v.body, v.physics, v.surfaces);
}

void World::Impl::update_tiles(int previous_segment) {
  const int n = track.num_tiles();
  const int seg = ego.segment;
  const TrackProjection pr = query.project(ego.state.position_m, seg);
  // The lap check comes before marking: crossing the start line forwards with kLapTileShare of the tiles
  // visited. The next lap starts empty, and its first tile is counted from the next step on, so a lap
  // yields at most num_tiles new tiles and the lap step itself none.
  const bool crossed_start = previous_segment >= n - n / 4 && seg < n / 4;
  if (crossed_start && visited_count >= static_cast<int>(std::ceil(kLapTileShare * n))) {
    events.lap_complete = true;
    std::fill(visited.begin(), visited.end(), 0);
    visited_count = 0;
    return;
  }
  if (std::fabs(pr.lateral_m) <= pr.half_width_m + kTileMargin_m && !visited[seg]) {
    visited[seg] = 1;
    ++visited_count;
    ++events.new_tiles;
  }
}

const StepEvents& World::step(const Action& action) {
  Impl& w = *impl_;
  w.events.new_tiles = 0;
  w.events.lap_complete = false;
  w.events.collisions.clear();
  const float dt = w.active.dt_s;
  apply_car_forces(w.ego.body, w.active.car, w.active.grip, w.ego.surfaces, clip_action(action), dt, &w.ego.physics);
  w.step_traffic();
  w.b2->Step(dt, kVelocityIterations, kPositionIterations);
  const int previous = w.ego.segment;
  w.update_vehicle_track_state(w.ego);
  for (size_t i = 0; i < w.traffic.size(); ++i) {
    w.update_vehicle_track_state(w.traffic[i]);
    w.traffic_states[i] = w.traffic[i].state;
  }
  w.update_tiles(previous);
  const Vec2 p = w.ego.state.position_m;
  w.events.off_playfield = p.x < w.play_min.x || p.y < w.play_min.y || p.x > w.play_max.x || p.y > w.play_max.y;
  w.events.on_road = std::any_of(w.ego.surfaces.begin(), w.ego.surfaces.end(), [](Surface s) { return s != Surface::grass; });
  ++w.steps;
  return w.events;
}

const WorldOptions& World::config() const { return impl_->active; }
WorldOptions& World::mutable_config() { return impl_->config; }
const Track& World::track() const { return impl_->track; }
const CarState& World::car() const { return impl_->ego.state; }
int World::tiles_visited() const { return impl_->visited_count; }
int64_t World::step_count() const { return impl_->steps; }
const std::vector<CarState>& World::traffic() const { return impl_->traffic_states; }
Rng& World::rng() { return impl_->rng; }

TrackFeatures World::track_features() const {
  const Impl& w = *impl_;
  TrackFeatures f;
  const TrackProjection pr = w.query.project(w.ego.state.position_m, w.ego.segment);
  const Vec2 d = w.query.direction(pr.segment);
  f.lateral_offset_m = pr.lateral_m;
  f.heading_error_rad = wrap_angle(w.ego.state.heading_rad - std::atan2(d.y, d.x));
  const LookaheadConfig& la = w.active.lookahead;
  const int points = std::max(0, la.points);
  f.curvature_ahead.assign(points, 0.f);
  const int n = w.track.num_tiles();
  if (la.horizon_s <= 0) {
    for (int k = 0; k < points; ++k)
      f.curvature_ahead[k] = w.track.curvature[w.query.segment_at(pr.arc_m + (k + 1) * la.spacing_m)];
  } else {
    if (la.widths) f.width_ahead.assign(points, 0.f);
    const float horizon_m = std::max(la.min_horizon_m, std::max(0.f, w.ego.state.speed_mps) * la.horizon_s);
    // Walk the centre-line points ahead once; a window with no point of its own reads the point at its end.
    int i = (pr.segment + 1) % n;
    float ahead_m = w.track.arc_length[i] - pr.arc_m;
    if (ahead_m < 0) ahead_m += w.track.length_m;
    for (int k = 0; k < points; ++k) {
      const float edge_m = horizon_m * std::pow(static_cast<float>(k + 1) / points, 1.5f);
      const int end = w.query.segment_at(pr.arc_m + edge_m);
      float sharpest = w.track.curvature[end];
      float narrowest = w.track.width[end];
      for (int visited = 0; ahead_m <= edge_m && visited < n; ++visited) {
        if (std::fabs(w.track.curvature[i]) > std::fabs(sharpest)) sharpest = w.track.curvature[i];
        narrowest = std::min(narrowest, w.track.width[i]);
        const int next = (i + 1) % n;
        ahead_m += w.query.segment_length(i);
        i = next;
      }
      f.curvature_ahead[k] = sharpest;
      if (la.widths) f.width_ahead[k] = narrowest;
    }
  }
  f.lap_progress = static_cast<float>(w.visited_count) / n;
  f.nearest_point = pr.t < 0.5f ? pr.segment : (pr.segment + 1) % n;
  f.half_width_m = pr.half_width_m;
  return f;
}

void World::lidar(float* out) const {
  const Impl& w = *impl_;
  const LidarConfig& lp = w.active.lidar;
  const b2Vec2 origin = w.ego.body->GetPosition();
  const float heading = w.ego.body->GetAngle();
  const float step = lp.rays > 1 ? lp.fov_rad / (lp.rays - 1) : 0.f;
  const float first = lp.rays > 1 ? -0.5f * lp.fov_rad : 0.f;
  for (int i = 0; i < lp.rays; ++i) {
    const float a = heading + first + step * i;
    const b2Vec2 end = origin + lp.range_m * b2Vec2(std::cos(a), std::sin(a));
    ClosestRay cb(w.ego.body);
    w.b2->RayCast(&cb, origin, end);
    out[i] = cb.fraction;
  }
}

}  // namespace dl::sim
