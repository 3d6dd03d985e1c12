// The privileged view (envs/state_view.h): the teacher's state observation and the student's pixels come from
// one step of one simulation, and the cheap-pixel options (grayscale, small frames).
#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "envs/driving_env.h"
#include "envs/expert.h"
#include "envs/pixels.h"
#include "envs/registry.h"
#include "envs/state_view.h"

using namespace dl::envs;

namespace {

std::unique_ptr<Env> built(const EnvConfig& c) { return make_env(c); }

}  // namespace

TEST_CASE("both observations of one carracing step describe the same car state", "[envs][state_view]") {
  // A pixel env and a lidar env with the same seed and actions run the same simulation; the view written
  // from the pixel env's world must equal the lidar env's own observation bit for bit, step after step,
  // while the pixel observation is rendered from that same world.
  EnvConfig pixel_cfg = default_env_config("carracing");
  pixel_cfg.action_repeat = 2;
  EnvConfig state_cfg = default_env_config("track");
  REQUIRE(state_cfg.action_repeat == 2);
  auto pixels = built(pixel_cfg);
  auto state = built(state_cfg);
  const StateView view(state_cfg, world_config(pixel_cfg));
  REQUIRE(view.mismatch().empty());
  REQUIRE(view.spec().shape == state->observation_spec().shape);

  std::vector<uint8_t> image(pixels->observation_spec().bytes());
  std::vector<float> own(state->observation_spec().size()), viewed(view.spec().size());
  Info info_p, info_s;
  pixels->reset(7, image.data(), info_p);
  state->reset(7, own.data(), info_s);
  const dl::sim::World* world = find_world(*pixels);
  REQUIRE(world);
  const VectorObsLayout layout = vector_obs_layout(state_cfg, world_config(pixel_cfg));
  std::vector<uint8_t> rendered(image.size());
  dl::sim::DrawList scratch;
  ExpertDriver expert;
  for (int t = 0; t < 300; ++t) {
    view.write(*world, viewed.data());
    REQUIRE(std::memcmp(viewed.data(), own.data(), own.size() * sizeof(float)) == 0);
    // The pixels are this world's picture (rendered again from it, they match), and the speed in the state
    // observation is this world's car's.
    render_pixels(pixel_cfg.pixels, *world, scratch, rendered.data());
    REQUIRE(std::memcmp(rendered.data(), image.data(), image.size()) == 0);
    REQUIRE(viewed[layout.car_first()] == world->car().speed_mps / kSpeedScale_mps);
    REQUIRE(info_p.speed_mps == world->car().speed_mps);
    const dl::sim::Action a = expert.act(*world);
    const float action[3] = {a.steer, a.gas, a.brake};
    const StepResult rp = pixels->step(action, image.data(), info_p);
    const StepResult rs = state->step(action, own.data(), info_s);
    REQUIRE(rp.reward == rs.reward);
    REQUIRE(info_p.speed_mps == info_s.speed_mps);
    REQUIRE(info_p.tiles_visited == info_s.tiles_visited);
    if (rp.terminated || rp.truncated) break;
  }
  REQUIRE(info_p.tiles_visited > 10);  // the expert drove somewhere
}

TEST_CASE("a state view refuses pixel teachers, memory tasks, stacks and other sensors", "[envs][state_view]") {
  const dl::sim::WorldOptions world = world_config(default_env_config("carracing"));
  CHECK_THROWS_AS(StateView(default_env_config("carracing"), world), std::invalid_argument);
  CHECK_THROWS_AS(StateView(default_env_config("track-cue"), world), std::invalid_argument);
  EnvConfig stacked = default_env_config("track");
  stacked.frame_stack = 2;
  CHECK_THROWS_AS(StateView(stacked, world), std::invalid_argument);
  EnvConfig other = default_env_config("track");
  other.lidar.rays = 7;
  CHECK(StateView(other, world).mismatch().find("lidar") != std::string::npos);
  EnvConfig same = default_env_config("traffic");
  same.lidar = default_env_config("carracing").lidar;
  CHECK(StateView(same, world).mismatch().empty());
}

TEST_CASE("grayscale carracing frames are the luminance of the RGB frames", "[envs][pixels]") {
  EnvConfig rgb_cfg = default_env_config("carracing");
  rgb_cfg.pixels.width = rgb_cfg.pixels.height = 64;
  EnvConfig gray_cfg = rgb_cfg;
  gray_cfg.pixels.grayscale = true;
  auto rgb = built(rgb_cfg);
  auto gray = built(gray_cfg);
  REQUIRE(rgb->observation_spec().shape == std::vector<int64_t>{64, 64, 3});
  REQUIRE(gray->observation_spec().shape == std::vector<int64_t>{64, 64, 1});
  std::vector<uint8_t> a(rgb->observation_spec().bytes()), b(gray->observation_spec().bytes());
  Info info;
  rgb->reset(3, a.data(), info);
  gray->reset(3, b.data(), info);
  const float action[3] = {0.2f, 0.5f, 0.0f};
  for (int t = 0; t < 20; ++t) {
    rgb->step(action, a.data(), info);
    gray->step(action, b.data(), info);
  }
  int distinct = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    const int luma = (77 * a[3 * i] + 150 * a[3 * i + 1] + 29 * a[3 * i + 2] + 128) >> 8;
    REQUIRE(b[i] == luma);
    distinct += b[i] != b[0];
  }
  CHECK(distinct > 100);  // a picture, not a flat frame
}
