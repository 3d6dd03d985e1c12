#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>
#include <vector>

#include "envs/driving_env.h"
#include "envs/registry.h"
#include "envs/track_source.h"
#include "envs/wrappers.h"
#include "sim/track.h"

using namespace dl::envs;

namespace {

EnvConfig config_for(const std::string& id) {
  EnvConfig c = default_env_config(id);
  c.max_steps = 100000;
  return c;
}

struct Runner {
  std::unique_ptr<Env> env;
  std::vector<uint8_t> obs;
  Info info;
  explicit Runner(const EnvConfig& c) : env(make_env(c)), obs(env->observation_spec().bytes()) {}
  void reset(uint64_t seed) { env->reset(seed, obs.data(), info); }
  StepResult step(float steer, float gas, float brake) {
    const float a[3] = {steer, gas, brake};
    return env->step(a, obs.data(), info);
  }
  const float* f() const { return reinterpret_cast<const float*>(obs.data()); }
};

// A simple lane keeper on the vector observation: steer against heading error and lateral offset,
// hold a modest speed.
std::array<float, 3> follow_track(const VectorObsLayout& l, const float* obs, float target_speed_mps) {
  const float speed_mps = obs[l.car_first()] * kSpeedScale_mps;
  const float lateral = obs[l.track_first()];
  const float heading_pi = obs[l.track_first() + 1];
  const float steer = std::clamp(3.0f * heading_pi + 0.8f * lateral, -1.0f, 1.0f);
  const float gas = speed_mps < target_speed_mps ? 0.6f : 0.0f;
  return {steer, gas, 0.0f};
}

}  // namespace

TEST_CASE("standing still costs exactly the step penalty once the start tile is counted", "[envs][reward]") {
  Runner r(config_for("track"));
  r.reset(3);
  r.step(0, 0, 0);  // the first step may count the start tile
  for (int i = 0; i < 50; ++i) {
    const StepResult s = r.step(0, 0, 0);
    CHECK(s.reward == -0.1f);
    CHECK_FALSE(s.terminated);
  }
}

TEST_CASE("leaving the playfield terminates with the off-playfield reward", "[envs][reward]") {
  EnvConfig c = config_for("track");
  c.track.radius_m = 30;
  c.track.width_m = 8;
  Runner r(c);
  r.reset(11);
  for (int i = 0; i < 5000; ++i) {
    const StepResult s = r.step(0, 1, 0);  // straight on, off the small loop and beyond
    if (s.terminated) {
      CHECK(s.reward == -100.0f);
      CHECK(r.info.off_track);
      CHECK(r.info.episode_done);
      return;
    }
  }
  FAIL("the car never left the playfield");
}

TEST_CASE("a lane keeper completes a lap and collects the tile reward and a lap time", "[envs][reward]") {
  EnvConfig c = config_for("track");
  c.preset = "easy";
  apply_preset(c);
  const VectorObsLayout layout = vector_obs_layout(c, world_config(c));
  Runner r(c);
  r.reset(5);
  double tile_reward = 0;
  for (int i = 0; i < 20000; ++i) {
    const auto a = follow_track(layout, r.f(), 12);
    const StepResult s = r.step(a[0], a[1], a[2]);
    tile_reward += s.reward + 0.1;
    if (s.terminated) {
      CHECK(r.info.lap_complete);
      CHECK(r.info.lap_progress == 1.0f);
      CHECK(tile_reward == Approx(1000).epsilon(0.01));
      CHECK(r.info.episode_lap_complete);
      CHECK(r.info.episode_lap_time_s == Approx(r.info.episode_length * c.dt_s * c.action_repeat));
      return;
    }
  }
  FAIL("the lane keeper did not complete a lap; tiles visited: " << r.info.tiles_visited);
}

TEST_CASE("train and test track ids are disjoint sets", "[envs][tracks]") {
  dl::sim::Rng rng(1);
  for (int i = 0; i < 10000; ++i) {
    CHECK_FALSE(is_test_track_id(draw_track_id("train", 0, rng)));
    CHECK(is_test_track_id(draw_track_id("test", 0, rng)));
    CHECK(draw_track_id("test", 0, rng) < kTrackIdsEnd);
  }
  std::set<uint64_t> pool;
  for (int i = 0; i < 1000; ++i) pool.insert(draw_track_id("train", 3, rng));
  CHECK(pool == std::set<uint64_t>{0, 1, 2});
  CHECK_THROWS_AS(draw_track_id("validation", 0, rng), std::invalid_argument);
}

TEST_CASE("reset with the same seed gives the same track and other seeds other tracks", "[envs][tracks]") {
  DrivingEnv env(config_for("track"));
  std::vector<float> obs(env.observation_spec().size());
  Info info;
  env.reset(8, obs.data(), info);
  const auto first = env.world().track().center;
  env.reset(9, obs.data(), info);
  const auto other = env.world().track().center;
  env.reset(8, obs.data(), info);
  const auto again = env.world().track().center;
  REQUIRE(first.size() == again.size());
  CHECK(std::memcmp(first.data(), again.data(), first.size() * sizeof(first[0])) == 0);
  CHECK((other.size() != first.size() || std::memcmp(first.data(), other.data(), first.size() * sizeof(first[0])) != 0));
}

TEST_CASE("a pool of one train track gives the same track every episode", "[envs][tracks]") {
  EnvConfig c = config_for("track");
  c.num_tracks = 1;
  DrivingEnv env(c);
  std::vector<float> obs(env.observation_spec().size());
  Info info;
  env.reset(1, obs.data(), info);
  const float length = env.world().track().length_m;
  for (uint64_t seed = 2; seed < 6; ++seed) {
    env.reset(seed, obs.data(), info);
    CHECK(env.world().track().length_m == length);
  }
}

TEST_CASE("track files replace procedural tracks", "[envs][tracks]") {
  const auto dir = std::filesystem::temp_directory_path() / "drivelab_envs_track_files";
  std::filesystem::create_directories(dir);
  const auto track = dl::sim::generate_track(77, dl::sim::track_preset(dl::sim::TrackPreset::easy));
  dl::sim::save_track(track, (dir / "a.track").string());
  EnvConfig c = config_for("track");
  c.track_files = dir.string();
  DrivingEnv env(c);
  std::vector<float> obs(env.observation_spec().size());
  Info info;
  env.reset(1, obs.data(), info);
  CHECK(env.world().track().num_tiles() == track.num_tiles());
  CHECK(env.world().track().length_m == Approx(track.length_m).epsilon(1e-3));
  c.track_files = (dir / "missing").string();
  CHECK_THROWS_AS(DrivingEnv(c), std::invalid_argument);
  std::filesystem::remove_all(dir);
}

TEST_CASE("action repeat equals repeating the action at the agent level", "[envs][wrappers]") {
  EnvConfig once = config_for("track");
  once.action_repeat = 1;
  EnvConfig repeated = once;
  repeated.action_repeat = 4;
  DrivingEnv a(once), b(repeated);
  std::vector<float> obs_a(a.observation_spec().size()), obs_b(obs_a.size());
  Info info;
  a.reset(4, obs_a.data(), info);
  b.reset(4, obs_b.data(), info);
  const float action[3] = {0.2f, 0.7f, 0};
  for (int k = 0; k < 5; ++k) {
    float reward_a = 0;
    for (int i = 0; i < 4; ++i) reward_a += a.step(action, obs_a.data(), info).reward;
    const float reward_b = b.step(action, obs_b.data(), info).reward;
    // The step penalty is per env step: the repeated env pays it once, not four times.
    CHECK(reward_a + 3 * once.reward.step_penalty == Approx(reward_b).margin(1e-4));
    CHECK(obs_a == obs_b);
  }
}

TEST_CASE("observation shapes follow the config", "[envs][spec]") {
  EnvConfig track = default_env_config("track");
  const int64_t track_size = make_env(track)->observation_spec().size();
  CHECK(track_size == track.lidar.rays + 8 + 2 + 5 + 1);
  track.frame_stack = 3;
  CHECK(make_env(track)->observation_spec().shape == std::vector<int64_t>{3, track_size});
  EnvConfig pomdp = default_env_config("track-pomdp");
  CHECK(pomdp.pomdp_dropout > 0);
  CHECK(make_env(pomdp)->observation_spec().size() == track_size - 7);
  EnvConfig pixels = default_env_config("carracing");
  pixels.frame_stack = 4;
  auto env = make_env(pixels);
  CHECK(env->observation_spec().shape == std::vector<int64_t>{4, 96, 96, 3});
  CHECK(env->observation_spec().dtype == DType::u8);
  pixels.action = "discrete";
  CHECK(make_env(pixels)->action_spec().n == 5);
}

TEST_CASE("the time limit of a registered env truncates at max_steps", "[envs][wrappers]") {
  EnvConfig c = default_env_config("track");
  c.max_steps = 40;
  Runner r(c);
  r.reset(2);
  for (int i = 1; i < 40; ++i) REQUIRE_FALSE(r.step(0, 0, 0).truncated);
  const StepResult last = r.step(0, 0, 0);
  CHECK(last.truncated);
  CHECK(r.info.episode_done);
  CHECK(r.info.episode_length == 40);
}

TEST_CASE("the carracing image shows the road and the HUD strip", "[envs][pixels]") {
  Runner r(default_env_config("carracing"));
  r.reset(1);
  for (int i = 0; i < 100; ++i) r.step(0, 1, 0);
  auto pixel = [&](int x, int y, int c) { return r.obs[(y * 96 + x) * 3 + c]; };
  // Bottom-right corner of the strip is black; the speed bar (column ~12) is white once moving.
  CHECK(pixel(95, 95, 0) == 0);
  CHECK(pixel(95, 95, 1) == 0);
  REQUIRE(r.info.speed_mps > 5);
  CHECK(pixel(12, 94, 0) == 255);
  CHECK(pixel(12, 94, 1) == 255);
  // Above the strip there is some road grey and some grass green.
  int grey = 0, green = 0;
  for (int y = 0; y < 80; ++y)
    for (int x = 0; x < 96; ++x) {
      const int rr = pixel(x, y, 0), gg = pixel(x, y, 1), bb = pixel(x, y, 2);
      grey += rr == gg && gg == bb && rr > 80 && rr < 130;
      green += gg > rr + 50 && gg > bb + 50;
    }
  CHECK(grey > 200);
  CHECK(green > 200);
}

TEST_CASE("domain randomization draws a world per episode from the reset seed", "[envs][randomize]") {
  EnvConfig c = config_for("track");
  c.randomize = {0.2f, 0.2f, 0.2f, true, true};
  DrivingEnv env(c);
  std::vector<float> obs(env.observation_spec().size());
  Info info;
  env.reset(1, obs.data(), info);
  const float mass_1 = env.world().config().car.mass_kg;
  env.reset(2, obs.data(), info);
  const float mass_2 = env.world().config().car.mass_kg;
  env.reset(1, obs.data(), info);
  CHECK(env.world().config().car.mass_kg == mass_1);
  CHECK(mass_1 != mass_2);
  CHECK(mass_1 >= 0.8f * c.car.mass_kg);
  CHECK(mass_1 <= 1.2f * c.car.mass_kg);
}

TEST_CASE("unknown ids and bad choices are rejected with the valid ones named", "[envs][registry]") {
  CHECK_THROWS_WITH(default_env_config("trak"), Catch::Contains("track, carracing"));
  EnvConfig c = default_env_config("track");
  c.action = "binary";
  CHECK_THROWS_WITH(make_env(c), Catch::Contains("continuous"));
  c = default_env_config("track");
  c.preset = "extreme";
  CHECK_THROWS_AS(apply_preset(c), std::invalid_argument);
}

TEST_CASE("traffic collisions are penalized per step in contact or end the episode", "[envs][traffic]") {
  EnvConfig c = config_for("traffic");
  c.traffic.cars = 12;
  c.traffic.desired_speed_mps = 5;  // slow cars and many obstacles for the lane keeper to run into
  c.traffic.obstacles = 20;
  for (bool terminate : {false, true}) {
    c.reward.terminate_on_collision = terminate;
    DrivingEnv env(c);
    std::vector<float> obs(env.observation_spec().size());
    Info info;
    env.reset(3, obs.data(), info);
    bool collided = false;
    for (int i = 0; i < 3000 && !collided; ++i) {
      const auto a = follow_track(env.layout(), obs.data(), 12);
      const StepResult s = env.step(a.data(), obs.data(), info);
      collided = info.collisions > 0;
      if (!collided) continue;
      CHECK(s.reward <= -0.1f - c.reward.collision_penalty * info.collisions + c.reward.tile_reward / 50);
      CHECK(s.terminated == terminate);
    }
    CHECK(collided);
  }
}

TEST_CASE("track-pomdp blanks the whole lidar at its dropout rate", "[envs][pomdp]") {
  EnvConfig c = config_for("track-pomdp");
  c.pomdp_dropout = 1.0f;
  Runner always(c);
  always.reset(1);
  const int rays = c.lidar.rays;
  for (int i = 0; i < 20; ++i) {
    always.step(0, 0.5f, 0);
    CHECK(std::all_of(always.f(), always.f() + rays, [](float x) { return x == 0.0f; }));
  }
  Runner sometimes(config_for("track-pomdp"));  // the default rate, 0.3
  sometimes.reset(1);
  int blanked = 0;
  for (int i = 0; i < 1000; ++i) {
    sometimes.step(0, 0, 0);
    blanked += std::all_of(sometimes.f(), sometimes.f() + rays, [](float x) { return x == 0.0f; });
  }
  CHECK(blanked > 200);
  CHECK(blanked < 400);
}

TEST_CASE("a vector of registered envs gives the same results on 1 or 2 or 3 threads", "[envs][vector]") {
  for (const char* id : {"track", "carracing", "traffic"}) {
    DYNAMIC_SECTION(id) {
      EnvConfig c = default_env_config(id);
      c.max_steps = 60;  // several autoresets per env
      auto run = [&](int threads) {
        auto venv = make_vector_env(c, 4, threads);
        venv->reset(123);
        dl::sim::Rng rng(5);
        std::vector<float> actions(4 * 3);
        std::vector<uint64_t> trace;
        const size_t obs_bytes = 4 * venv->observation_spec().bytes();
        for (int s = 0; s < 150; ++s) {
          for (auto& a : actions) a = static_cast<float>(rng.uniform(-1, 1));
          venv->step(actions.data());
          uint64_t h = 1469598103934665603ULL;
          const auto* bytes = static_cast<const uint8_t*>(venv->obs());
          for (size_t k = 0; k < obs_bytes; ++k) h = (h ^ bytes[k]) * 1099511628211ULL;
          trace.push_back(h);
          for (int i = 0; i < 4; ++i) {
            uint32_t bits;
            std::memcpy(&bits, venv->rewards() + i, 4);
            trace.push_back(bits + (uint64_t{venv->truncated()[i]} << 32) + (uint64_t{venv->terminated()[i]} << 33));
          }
        }
        return trace;
      };
      const auto one = run(1);
      CHECK(run(2) == one);
      CHECK(run(3) == one);
    }
  }
}

TEST_CASE("stepping before the first reset is an error", "[envs][spec]") {
  auto env = make_env(default_env_config("track"));
  std::vector<float> obs(env->observation_spec().size());
  const float action[3] = {0, 0, 0};
  Info info;
  CHECK_THROWS_WITH(env->step(action, obs.data(), info), Catch::Contains("before reset"));
}

TEST_CASE("the start zoom only changes the first second of frames", "[envs][pixels]") {
  EnvConfig plain = default_env_config("carracing");
  EnvConfig zoomed = plain;
  zoomed.pixels.start_zoom = true;
  Runner a(plain), b(zoomed);
  a.reset(6);
  b.reset(6);
  CHECK(a.obs != b.obs);
  for (int i = 0; i < 50; ++i) {
    a.step(0.1f, 0.5f, 0);
    b.step(0.1f, 0.5f, 0);
  }
  CHECK(a.obs == b.obs);
}

TEST_CASE("discrete action 3 is gas and 4 is brake", "[envs][action]") {
  EnvConfig c = config_for("carracing");
  c.action = "discrete";
  auto env = make_env(c);
  std::vector<uint8_t> obs(env->observation_spec().bytes());
  Info info;
  env->reset(1, obs.data(), info);
  const float gas = 3, brake = 4;
  for (int i = 0; i < 50; ++i) env->step(&gas, obs.data(), info);
  const float fast_mps = info.speed_mps;
  CHECK(fast_mps > 3);
  for (int i = 0; i < 50; ++i) env->step(&brake, obs.data(), info);
  CHECK(info.speed_mps < fast_mps / 2);
}
