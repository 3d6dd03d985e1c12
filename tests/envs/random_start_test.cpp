// env.random_start: train episodes start at a random point of the lap, and the lap counts from there.
#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <vector>

#include "envs/checker.h"
#include "envs/driving_env.h"
#include "envs/expert.h"
#include "envs/registry.h"
#include "sim/track.h"
#include "sim/track_start.h"

using namespace dl::envs;

namespace {

EnvConfig random_start_config(const std::string& preset) {
  EnvConfig c = default_env_config("track");
  c.preset = preset;
  apply_preset(c);
  c.random_start = true;
  c.max_steps = 100000;
  return c;
}

struct Episode {
  std::unique_ptr<Env> env;
  std::vector<uint8_t> obs;
  Info info;
  explicit Episode(const EnvConfig& c) : env(make_env(c)), obs(env->observation_spec().bytes()) {}
  void reset(uint64_t seed) { env->reset(seed, obs.data(), info); }
  const dl::sim::World& world() { return *find_world(*env); }
};

// Index of the centre-line point of `track` at `p` (exact copies: the start point is one of them).
int point_index(const dl::sim::Track& track, dl::sim::Vec2 p) {
  for (int i = 0; i < track.num_tiles(); ++i)
    if (track.center[i].x == p.x && track.center[i].y == p.y) return i;
  return -1;
}

bool same_points(const std::vector<dl::sim::Vec2>& a, const std::vector<dl::sim::Vec2>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].x != b[i].x || a[i].y != b[i].y) return false;
  return true;
}

}  // namespace

TEST_CASE("started_at renumbers the lap from another point and keeps the road", "[envs][random_start]") {
  const dl::sim::Track track = dl::sim::generate_track(7, dl::sim::track_preset(dl::sim::TrackPreset::medium));
  const int n = track.num_tiles();
  const int start = n / 3;
  const dl::sim::Track moved = dl::sim::started_at(track, start);
  REQUIRE(moved.num_tiles() == n);
  CHECK(moved.length_m == track.length_m);
  CHECK(moved.arc_length[0] == 0.0f);
  for (int i = 0; i < n; ++i) {
    const int j = (i + start) % n;
    CHECK(moved.center[i].x == track.center[j].x);
    CHECK(moved.center[i].y == track.center[j].y);
    CHECK(moved.width[i] == track.width[j]);
    CHECK(moved.curvature[i] == track.curvature[j]);
    CHECK(moved.kerb[i] == track.kerb[j]);
    if (i > 0) CHECK(moved.arc_length[i] > moved.arc_length[i - 1]);
    // Segment lengths are unchanged (arc lengths differ only by the origin, modulo the lap).
    const float seg = (moved.center[(i + 1) % n] - moved.center[i]).length();
    if (i + 1 < n) CHECK(moved.arc_length[i + 1] - moved.arc_length[i] == Approx(seg).margin(0.01));
  }
  CHECK_NOTHROW(moved.validate(1.0f));
  CHECK(same_points(dl::sim::started_at(track, 0).center, track.center));
  CHECK_THROWS_AS(dl::sim::started_at(track, n), std::invalid_argument);
  CHECK_THROWS_AS(dl::sim::started_at(track, -1), std::invalid_argument);
}

TEST_CASE("random starts follow the reset seed and spread over the lap", "[envs][random_start]") {
  const EnvConfig c = random_start_config("medium");
  Episode a(c), b(c);
  std::set<int> starts;
  for (uint64_t seed = 1; seed <= 32; ++seed) {
    a.reset(seed);
    b.reset(seed);
    CHECK(a.obs == b.obs);
    CHECK(a.world().car().position_m.x == b.world().car().position_m.x);
    // Same seed without random starts: the same track, driven from its own start line.
    EnvConfig plain = c;
    plain.random_start = false;
    Episode p(plain);
    p.reset(seed);
    const dl::sim::Track& original = p.world().track();
    REQUIRE(a.world().track().num_tiles() == original.num_tiles());
    REQUIRE(a.world().track().length_m == Approx(original.length_m));
    const int start = point_index(original, a.world().track().center[0]);
    REQUIRE(start >= 0);
    starts.insert(start * 4 / original.num_tiles());  // which quarter of the lap
  }
  CHECK(starts.size() == 4);  // 32 episodes start in every quarter of the lap
}

TEST_CASE("test tracks and the default keep the start line", "[envs][random_start]") {
  EnvConfig on = random_start_config("medium");
  on.tracks = "test";
  EnvConfig off = on;
  off.random_start = false;
  Episode a(on), b(off);
  for (uint64_t seed : {3, 4, 5}) {
    a.reset(seed);
    b.reset(seed);
    CHECK(a.obs == b.obs);
    CHECK(same_points(a.world().track().center, b.world().track().center));
  }
  CHECK_FALSE(default_env_config("track").random_start);
}

TEST_CASE("the expert laps from a random start and earns the whole lap's tile reward", "[envs][random_start]") {
  for (const char* preset : {"medium", "circuit"}) {
    DYNAMIC_SECTION(preset) {
      EnvConfig c = random_start_config(preset);
      Episode e(c);
      e.reset(21);
      ExpertDriver expert;
      double tile_reward = 0;
      bool done = false;
      for (int i = 0; i < 100000 && !done; ++i) {
        const dl::sim::Action a = expert.act(e.world());
        const float act[3] = {a.steer, a.gas, a.brake};
        const StepResult s = e.env->step(act, e.obs.data(), e.info);
        tile_reward += s.reward + c.reward.step_penalty;
        done = s.terminated || s.truncated;
      }
      REQUIRE(done);
      CHECK(e.info.episode_lap_complete);
      CHECK(e.info.lap_progress == 1.0f);
      // A lap from anywhere is the whole lap: at least 95% of the tiles, each worth tile_reward / n.
      CHECK(tile_reward >= 0.95 * c.reward.tile_reward - 1e-3);
      CHECK(tile_reward <= c.reward.tile_reward + 1e-3);
      const double lap_m = e.world().track().length_m;
      CHECK(e.info.episode_lap_time_s > lap_m / 60.0);  // no faster than the car's top speed
    }
  }
}

TEST_CASE("random starts pass the conformance checks, with and without circuits", "[envs][random_start][conformance]") {
  for (float circuits : {0.0f, 0.5f}) {
    DYNAMIC_SECTION("circuit_fraction " << circuits) {
      EnvConfig c = random_start_config("medium");
      c.circuit_fraction = circuits;
      c.max_steps = 300;
      auto env = make_env(c);
      CHECK_NOTHROW(check_env(*env, 17, 3000, {c.max_steps, true}));
    }
  }
}

TEST_CASE("one expert laps the same track from one random start after another", "[envs][random_start]") {
  // A pool of one track: every episode is the same road with another start, which the expert must notice
  // (same seed, tile count and length; only the numbering moved).
  EnvConfig c = random_start_config("medium");
  c.num_tracks = 1;
  Episode e(c);
  ExpertDriver expert;
  for (uint64_t seed : {1, 2, 3}) {
    e.reset(seed);
    bool done = false;
    for (int i = 0; i < 20000 && !done; ++i) {
      const dl::sim::Action a = expert.act(e.world());
      const float act[3] = {a.steer, a.gas, a.brake};
      const StepResult s = e.env->step(act, e.obs.data(), e.info);
      done = s.terminated || s.truncated;
    }
    CHECK(e.info.episode_lap_complete);
    CHECK(e.info.episode_lap_time_s < 40);  // the expert laps a medium track in ~27 s
  }
}
