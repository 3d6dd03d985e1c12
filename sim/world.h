// drivelab/sim: the world. Owns the Box2D world, the track, the ego car, traffic, obstacles and the one
// RNG; steps at a fixed time step. Public header: Box2D types never appear here.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/car.h"
#include "sim/draw.h"
#include "sim/rng.h"
#include "sim/track.h"

namespace dl::sim {

struct LidarConfig {
  int rays = 16;
  float fov_rad = 3.14159265f;  // centred on the car's heading
  float range_m = 60;
};

struct TrafficConfig {
  int cars = 0;                  // other cars on the track
  float desired_speed_mps = 15;  // IDM desired speed (each car draws +-20% around it)
  float lateral_offset_m = 2.5f; // lane: offset from the centre line (sign drawn per car)
  int obstacles = 0;             // static boxes on the road
  float obstacle_size_m = 2;
};

// What the track features show of the road ahead.
//   fixed (horizon_s = 0): the curvature at `points` centre-line points spacing_m apart (5 x 10 m by
//       default: the original `track` observation, sized for 400 m loops at up to ~25 m/s).
//   time (horizon_s > 0): the horizon is what the car covers in horizon_s at its speed, at least
//       min_horizon_m, split into `points` windows that widen with distance (edges at H (k/K)^1.5);
//       each window reports the sharpest signed curvature in it, so no bend hides between samples, and,
//       with widths, the narrowest road width in it. From 60 m/s a 5 s horizon (300 m) covers braking
//       to a hairpin at 0.6 g (v^2 / 2a = 306 m).
struct LookaheadConfig {
  int points = 5;
  float spacing_m = 10;       // fixed mode
  float horizon_s = 0;        // > 0: time mode
  float min_horizon_m = 30;   // time mode: horizon at low speed
  bool widths = false;        // also report the road width ahead (time mode)
  bool operator==(const LookaheadConfig&) const = default;
};

struct WorldOptions {
  TrackConfig track;
  CarConfig car;
  SurfaceGrip grip;
  LidarConfig lidar;
  TrafficConfig traffic;
  Palette palette;
  float dt_s = 0.02f;             // fixed physics step (50 Hz)
  float playfield_margin_m = 60;  // playfield = track bounding box grown by this margin
  LookaheadConfig lookahead;      // track features: the road ahead
};

struct Collision {
  enum class Kind : uint8_t { wall, car, obstacle };
  int car_a = 0;   // 0 = ego, 1.. = traffic cars
  Kind other = Kind::wall;
  int other_id = -1;  // traffic car index (1..) or obstacle index
  float impulse_ns = 0;
};

// Track-relative features of the ego car.
struct TrackFeatures {
  float lateral_offset_m = 0;      // signed distance from the centre line, left positive
  float heading_error_rad = 0;     // car heading minus track direction, wrapped to [-pi, pi]
  std::vector<float> curvature_ahead;  // lookahead.points values (1/m)
  std::vector<float> width_ahead;      // lookahead.points values (m) with lookahead.widths, else empty
  float lap_progress = 0;          // fraction of tiles visited this lap [0, 1]
  int nearest_point = 0;           // index of the nearest centre-line point
  float half_width_m = 0;          // road half width at that point
};

struct StepEvents {
  int new_tiles = 0;         // tiles visited for the first time this step
  bool lap_complete = false; // 95% of the tiles visited and the start line crossed forwards
  bool off_playfield = false;
  bool on_road = true;       // at least one wheel on road or kerb
  std::vector<Collision> collisions;
};

class World {
 public:
  explicit World(const WorldOptions& config);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // New episode: a track generated from track_seed (or the given track), car on the start line, traffic
  // placed, RNG reseeded with `seed`.
  void reset(uint64_t seed, uint64_t track_seed);
  void reset(uint64_t seed, const Track& track);

  // One fixed step. The action is clipped to its bounds (callers check NaN before).
  const StepEvents& step(const Action& action);

  const WorldOptions& config() const;
  WorldOptions& mutable_config();  // for domain randomization between episodes (applies at reset)
  const Track& track() const;
  const CarState& car() const;
  TrackFeatures track_features() const;
  int tiles_visited() const;
  int64_t step_count() const;
  // Lidar: writes lidar.rays distances normalized to [0, 1] (1 = nothing within range). Rays are evenly
  // spread from fov/2 right of the heading (ray 0) to fov/2 left of it (the last ray); they see road
  // edges, walls, other cars and obstacles, never the ego car itself.
  void lidar(float* out) const;
  // Traffic car states (index 0 = first traffic car).
  const std::vector<CarState>& traffic() const;
  void draw(DrawList& out, bool with_lidar = false) const;
  Rng& rng();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dl::sim
