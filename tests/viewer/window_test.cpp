// Window tests run under SDL's offscreen video driver: a real window and renderer with no display.
#include <catch2/catch.hpp>

#include <SDL.h>

#include <cstdlib>
#include <filesystem>

#include "video/hud.h"
#include "video/overlay.h"
#include "viewer/viewer.h"
#include "viewer/window.h"
#include "envs/registry.h"
#include "viewer_test_util.h"

using namespace dl;
using viewer::testing::pixel_hash;

namespace {

// A scene that depends on nothing but the rasterizer and the HUD: a road polygon, a line, a circle, and
// the HUD with fixed numbers.
raster::Image fixed_scene() {
  sim::DrawList list;
  list.clear = {102, 204, 102};
  const sim::Vec2 road[4] = {{-30, -8}, {30, -8}, {30, 8}, {-30, 8}};
  list.polygon(road, 4, {102, 102, 102});
  list.lines.push_back({{-30, 0}, {30, 0}, 0.5f, {255, 255, 255}});
  list.circles.push_back({{5, 3}, 2.0f, {204, 0, 0}});
  raster::Camera cam;
  cam.pixels_per_m = 3;
  raster::Image image = raster::render(list, cam, 320, 240);
  video::HudState hud;
  hud.speed_mps = 12.5f;
  hud.action = {-0.5f, 0.75f, 0.f};
  hud.reward = 3.25f;
  hud.episode_return = 123.4;
  hud.time_s = 17.3f;
  hud.step = 865;
  hud.value = 42.0f;
  video::draw_hud(image, hud);
  return image;
}

void push_key(SDL_EventType type, SDL_Keycode key) {
  SDL_Event e{};
  e.type = type;
  e.key.state = type == SDL_KEYDOWN ? SDL_PRESSED : SDL_RELEASED;
  e.key.keysym.sym = key;
  REQUIRE(SDL_PushEvent(&e) == 1);
}

}  // namespace

TEST_CASE("the fixed scene renders to its golden image", "[viewer][golden]") {
  // Changes to the rasterizer, the font or the HUD layout change this hash; check the picture
  // (drivelab watch --headless --screenshot) and update it when the change is intended.
  CHECK(pixel_hash(fixed_scene()) == 0x2463ce0f48523e3dull);
}

TEST_CASE("the window opens offscreen and shows exactly the rasterized frame", "[viewer][window]") {
  viewer::testing::use_offscreen_video();
  const raster::Image frame = fixed_scene();
  viewer::Window window("test", frame.width, frame.height);
  window.present(frame);
  const raster::Image shown = window.read_back();
  REQUIRE(shown.width == frame.width);
  REQUIRE(shown.height == frame.height);
  CHECK(shown.rgb == frame.rgb);
}

TEST_CASE("keyboard events reaching the window drive the car and command the viewer", "[viewer][window]") {
  viewer::testing::use_offscreen_video();
  viewer::Window window("keys", 64, 48);
  viewer::KeyState keys;
  std::vector<viewer::Command> commands;

  push_key(SDL_KEYDOWN, SDLK_UP);
  push_key(SDL_KEYDOWN, SDLK_a);
  window.poll(commands, keys);
  CHECK(keys.gas);
  CHECK(keys.left);
  const sim::Action a = viewer::keyboard_action(keys, {}, 0.02f);
  CHECK(a.gas == 1.0f);
  CHECK(a.steer < 0);

  push_key(SDL_KEYUP, SDLK_UP);
  push_key(SDL_KEYDOWN, SDLK_SPACE);
  push_key(SDL_KEYDOWN, SDLK_c);
  push_key(SDL_KEYDOWN, SDLK_ESCAPE);
  window.poll(commands, keys);
  CHECK_FALSE(keys.gas);
  CHECK(keys.left);
  REQUIRE(commands.size() == 3);
  CHECK(commands[0] == viewer::Command::toggle_pause);
  CHECK(commands[1] == viewer::Command::cycle_camera);
  CHECK(commands[2] == viewer::Command::quit);
}

TEST_CASE("with no display the window reports what to do instead of crashing", "[viewer][window]") {
  const char* old_display = std::getenv("DISPLAY");
  const std::string saved = old_display ? old_display : "";
  ::unsetenv("DISPLAY");
  ::unsetenv("WAYLAND_DISPLAY");
  ::setenv("SDL_VIDEODRIVER", "x11", 1);
  try {
    viewer::Window window("nowhere", 64, 48);
    FAIL("a window opened without a display");
  } catch (const viewer::ViewerError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("no display") != std::string::npos);
    CHECK(msg.find("SDL_VIDEODRIVER=offscreen") != std::string::npos);
    CHECK(msg.find("--headless") != std::string::npos);
  }
  if (old_display) ::setenv("DISPLAY", saved.c_str(), 1);
  viewer::testing::use_offscreen_video();
}

TEST_CASE("with no display and no driver asked for the window refuses SDL's invisible fallback", "[viewer][window]") {
  const char* old_display = std::getenv("DISPLAY");
  const char* old_runtime = std::getenv("XDG_RUNTIME_DIR");
  const std::string saved_display = old_display ? old_display : "", saved_runtime = old_runtime ? old_runtime : "";
  ::unsetenv("DISPLAY");
  ::unsetenv("WAYLAND_DISPLAY");
  ::unsetenv("XDG_RUNTIME_DIR");  // or Wayland finds the default socket
  ::unsetenv("SDL_VIDEODRIVER");
  CHECK_THROWS_WITH(viewer::Window("nowhere", 64, 48), Catch::Contains("no display"));
  if (old_display) ::setenv("DISPLAY", saved_display.c_str(), 1);
  if (old_runtime) ::setenv("XDG_RUNTIME_DIR", saved_runtime.c_str(), 1);
  viewer::testing::use_offscreen_video();
}

TEST_CASE("play in an offscreen window saves the screenshot it shows and quits", "[viewer][window]") {
  viewer::testing::use_offscreen_video();
  viewer::testing::TempDir dir("play");
  envs::EnvConfig config = envs::default_env_config("track");
  viewer::WindowOptions options;
  options.width = 160;
  options.height = 120;
  options.screenshot = dir.file("play.ppm");
  options.screenshot_step = 3;
  options.legend = true;
  const viewer::WindowResult r = viewer::run_window(config, {}, options);
  CHECK(r.episodes_done == 0);
  CHECK(std::filesystem::file_size(options.screenshot) == std::string("P6\n160 120\n255\n").size() + 160 * 120 * 3);
}
