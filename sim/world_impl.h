// drivelab/sim internal: the World's private state, shared by world*.cpp. Not part of the public API.
#pragma once
#include <box2d/box2d.h>

#include <array>
#include <memory>
#include <utility>
#include <vector>

#include "sim/car_dynamics.h"
#include "sim/track_query.h"
#include "sim/world.h"

namespace dl::sim {

// What a fixture is, stored in b2FixtureUserData::pointer: kind in the high byte, id below.
enum class BodyKind : uintptr_t { none = 0, edge = 1, wall = 2, car = 3, obstacle = 4 };
inline uintptr_t make_tag(BodyKind kind, int id) { return (static_cast<uintptr_t>(kind) << 24) | static_cast<uintptr_t>(id); }
inline BodyKind tag_kind(uintptr_t tag) { return static_cast<BodyKind>(tag >> 24); }
inline int tag_id(uintptr_t tag) { return static_cast<int>(tag & 0xffffff); }

// Collision filter categories: road edges are ray-cast targets only and collide with nothing.
inline constexpr uint16_t kCategorySolid = 0x0001;
inline constexpr uint16_t kCategoryEdge = 0x0002;

struct Vehicle {
  b2Body* body = nullptr;
  CarPhysics physics;
  CarState state;
  std::array<Surface, 4> surfaces{};
  int segment = 0;               // nearest track segment, tracked locally step to step
  float lane_m = 0;              // traffic: lateral offset it follows
  float desired_speed_mps = 0;   // traffic: IDM desired speed
  float arc_m = 0;               // arc length of its projection on the centre line
  float lateral_m = 0;           // signed offset from the centre line, left positive
};

struct Obstacle {
  b2Body* body = nullptr;
  Vec2 position_m;
  float angle_rad = 0;
  float lateral_m = 0;
  float arc_m = 0;
};

class ContactRecorder : public b2ContactListener {
 public:
  std::vector<Collision>* out = nullptr;
  void PostSolve(b2Contact* contact, const b2ContactImpulse* impulse) override;
};

struct World::Impl {
  WorldOptions config;  // what mutable_config edits
  WorldOptions active;  // what this episode runs with (copied at reset)
  Track track;
  TrackQuery query;
  Track generated;  // last generated track and its parameters, reused when asked for again
  TrackConfig generated_params;
  bool has_generated = false;
  std::vector<Vec2> left_edge, right_edge;
  ContactRecorder contacts;     // declared before b2: it must outlive the world that calls it
  std::unique_ptr<b2World> b2;
  Vehicle ego;
  std::vector<Vehicle> traffic;
  std::vector<CarState> traffic_states;
  std::vector<Obstacle> obstacles;
  Rng rng;
  StepEvents events;
  std::vector<uint8_t> visited;
  int visited_count = 0;
  int64_t steps = 0;
  Vec2 play_min, play_max;  // playfield rectangle
  // Track, kerbs, walls and grass, shared by every world on the same track and palette (world_draw.cpp);
  // rebuilt only when they change.
  std::shared_ptr<const DrawList> static_draw;
  std::pair<uint64_t, uint64_t> static_draw_key{0, 0};

  void build_world();
  void place_traffic_and_obstacles();
  int free_tile(std::vector<int>& used);
  void add_traffic_car(int tile);
  void add_obstacle(int tile);
  void update_surfaces(Vehicle& v) const;
  void update_vehicle_track_state(Vehicle& v) const;
  void step_traffic();
  void update_tiles(int previous_segment);
  void build_static_draw();
};

// Steering and pedal inputs of a traffic car: pure pursuit on its lane, IDM on the gap ahead.
Action traffic_action(const Vehicle& v, const TrackQuery& q, const CarConfig& car, float gap_m, float lead_speed_mps);

// Edge polyline at a lateral offset from the centre line (mitred at the points).
std::vector<Vec2> offset_polyline(const Track& track, float extra_m, float side);

}  // namespace dl::sim
