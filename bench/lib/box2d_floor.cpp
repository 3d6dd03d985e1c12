#include "bench/lib/box2d_floor.h"

#include <box2d/box2d.h>

#include <algorithm>
#include <ctime>
#include <cmath>
#include <vector>

#include "render/raster/raster.h"
#include "sim/world.h"

namespace dl::bench {
namespace {

// Steps are timed in blocks; the median block rate is reported (robust to a noisy neighbour).
constexpr int kBlocks = 7;
// Raster frames and track generations are timed in batches: one is too short for the clock.
constexpr int kBatch = 10;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// CPU time of this thread, not wall time: on a shared machine other processes would otherwise count
// against us, and these numbers are meant as "one core" figures.
double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

class ClosestHit : public b2RayCastCallback {
 public:
  explicit ClosestHit(const b2Body* ignore) : ignore_(ignore) {}
  float fraction = 1;
  float ReportFixture(b2Fixture* f, const b2Vec2&, const b2Vec2&, float frac) override {
    if (f->GetBody() == ignore_) return -1;
    fraction = frac;
    return frac;
  }

 private:
  const b2Body* ignore_;
};

struct FloorScene {
  std::unique_ptr<b2World> world;
  b2Body* car = nullptr;
};

void add_edges(b2Body* ground, const std::vector<sim::Vec2>& center, float offset) {
  const int n = static_cast<int>(center.size());
  std::vector<b2Vec2> pts(n);
  for (int i = 0; i < n; ++i) {
    const sim::Vec2 d = center[(i + 1) % n] - center[i];
    const float len = d.length();
    pts[i] = {center[i].x - d.y / len * offset, center[i].y + d.x / len * offset};
  }
  b2FixtureDef fd;
  fd.isSensor = true;
  fd.filter.maskBits = 0;
  b2EdgeShape edge;
  fd.shape = &edge;
  for (int i = 0; i < n; ++i) {
    edge.SetTwoSided(pts[i], pts[(i + 1) % n]);
    ground->CreateFixture(&fd);
  }
}

FloorScene build_floor_scene(uint64_t track_seed) {
  const sim::Track track = sim::generate_track(track_seed, sim::TrackConfig{});
  const sim::CarConfig car;
  FloorScene s;
  s.world = std::make_unique<b2World>(b2Vec2(0, 0));
  b2BodyDef gd;
  b2Body* ground = s.world->CreateBody(&gd);
  add_edges(ground, track.center, 0.5f * track.width[0]);
  add_edges(ground, track.center, -0.5f * track.width[0]);
  b2Vec2 box[4] = {{-1000, -1000}, {-1000, 1000}, {1000, 1000}, {1000, -1000}};
  b2ChainShape chain;
  chain.CreateLoop(box, 4);
  ground->CreateFixture(&chain, 0);
  b2BodyDef cd;
  cd.type = b2_dynamicBody;
  const sim::Vec2 d = track.center[1] - track.center[0];
  cd.position.Set(track.center[0].x, track.center[0].y);
  cd.angle = std::atan2(d.y, d.x);
  s.car = s.world->CreateBody(&cd);
  b2PolygonShape shape;
  shape.SetAsBox(0.5f * car.length_m, 0.5f * car.width_m);
  s.car->CreateFixture(&shape, car.mass_kg / (car.length_m * car.width_m));
  return s;
}

// Trivial forces at the four wheels: push forward, cancel sideways motion, a gentle turn.
void push_car(b2Body* car) {
  const b2Vec2 fwd = car->GetWorldVector({1, 0}), left = car->GetWorldVector({0, 1});
  const b2Vec2 offsets[4] = {{1.3f, 0.85f}, {1.3f, -0.85f}, {-1.3f, 0.85f}, {-1.3f, -0.85f}};
  for (const b2Vec2& o : offsets) {
    const b2Vec2 p = car->GetWorldPoint(o);
    const float lateral = b2Dot(car->GetLinearVelocityFromWorldPoint(p), left);
    car->ApplyForce(1500 * fwd - 3000 * lateral * left, p, true);
  }
  car->ApplyTorque(2000, true);
}

void cast_rays(b2World* world, const b2Body* car, int rays) {
  const b2Vec2 origin = car->GetPosition();
  const float heading = car->GetAngle();
  for (int i = 0; i < rays; ++i) {
    const float a = heading - 1.5707963f + 3.14159265f * i / std::max(1, rays - 1);
    ClosestHit cb(car);
    world->RayCast(&cb, origin, origin + 60 * b2Vec2(std::cos(a), std::sin(a)));
  }
}

}  // namespace

double measure_box2d_floor_steps_per_s(int steps, int rays, uint64_t track_seed) {
  std::vector<double> rates;
  const int block = std::max(1, steps / kBlocks);
  for (int b = 0; b < kBlocks; ++b) {
    FloorScene s = build_floor_scene(track_seed + b);
    const double t0 = thread_seconds();
    for (int i = 0; i < block; ++i) {
      push_car(s.car);
      s.world->Step(0.02f, 4, 2);
      cast_rays(s.world.get(), s.car, rays);
    }
    rates.push_back(block / (thread_seconds() - t0));
  }
  return median(rates);
}

double measure_sim_steps_per_s(int steps) {
  sim::WorldOptions cfg;
  cfg.lidar.rays = 16;
  sim::World world(cfg);
  sim::Rng actions(7);
  std::vector<float> lidar(cfg.lidar.rays);
  std::vector<double> rates;
  const int block = std::max(1, steps / kBlocks);
  for (int b = 0; b < kBlocks; ++b) {
    world.reset(b, 1 + b);
    const double t0 = thread_seconds();
    for (int i = 0; i < block; ++i) {
      world.step({static_cast<float>(actions.uniform(-0.3, 0.3)), static_cast<float>(actions.uniform(0.5, 1)), 0});
      world.lidar(lidar.data());
    }
    rates.push_back(block / (thread_seconds() - t0));
  }
  return median(rates);
}

double measure_raster_us(int frames) {
  sim::World world(sim::WorldOptions{});
  world.reset(1, 1);
  for (int i = 0; i < 100; ++i) world.step({0, 0.5f, 0});
  sim::DrawList list;
  world.draw(list, false);
  const raster::Camera cam = raster::ego_camera(world.car().position_m, world.car().heading_rad, 4);
  std::vector<uint8_t> rgb(96 * 96 * 3);
  std::vector<double> us;
  for (int b = 0; b < std::max(1, frames / kBatch); ++b) {
    const double t0 = thread_seconds();
    for (int f = 0; f < kBatch; ++f) raster::rasterize(list, cam, 96, 96, rgb.data());
    us.push_back((thread_seconds() - t0) * 1e6 / kBatch);
  }
  return median(us);
}

double measure_trackgen_ms(int n) {
  std::vector<double> ms;
  uint64_t seed = 1000;
  for (int b = 0; b < std::max(1, n / kBatch); ++b) {
    const double t0 = thread_seconds();
    for (int i = 0; i < kBatch; ++i) sim::generate_track(++seed, sim::TrackConfig{});
    ms.push_back((thread_seconds() - t0) * 1e3 / kBatch);
  }
  return median(ms);
}

}  // namespace dl::bench
