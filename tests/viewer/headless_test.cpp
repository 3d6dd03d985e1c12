#include <catch2/catch.hpp>

#include <gif_lib.h>

#include <filesystem>
#include <fstream>

#include "envs/registry.h"
#include "video/headless.h"
#include "viewer_test_util.h"

using namespace dl;

namespace {
// Full gas, straight: enough to move the car and make frames differ.
std::optional<float> full_gas(const void*, float* action) {
  action[0] = 0, action[1] = 1, action[2] = 0;
  return 1.5f;
}
}  // namespace

TEST_CASE("a headless run records every k-th step and the final frame", "[viewer][headless]") {
  viewer::testing::TempDir dir("headless");
  video::HeadlessOptions o;
  o.width = 96;
  o.height = 72;
  o.max_steps = 10;
  o.record_every = 2;
  o.record = dir.file("run.gif");
  o.screenshot = dir.file("shot.png");
  o.screenshot_step = 4;
  const video::HeadlessResult r = video::run_headless(envs::default_env_config("track"), full_gas, o);
  REQUIRE(r.lengths.size() == 1);
  CHECK(r.lengths[0] == 10);
  CHECK(r.frames_recorded == 10 / 2 + 1);
  int error = 0;
  GifFileType* gif = DGifOpenFileName(o.record.c_str(), &error);
  REQUIRE(gif);
  REQUIRE(DGifSlurp(gif) == GIF_OK);
  CHECK(gif->ImageCount == r.frames_recorded);
  CHECK(gif->SWidth == 96);
  DGifCloseFile(gif, &error);
  std::ifstream png(o.screenshot, std::ios::binary);
  char magic[4] = {};
  png.read(magic, 4);
  CHECK(std::string(magic + 1, 3) == "PNG");
}

TEST_CASE("headless frames are the same for the same seed and driver", "[viewer][headless]") {
  viewer::testing::TempDir dir("headless_repeat");
  video::HeadlessOptions o;
  o.width = 64;
  o.height = 64;
  o.max_steps = 6;
  o.screenshot_step = 5;
  o.view.camera = video::CameraMode::rotating;
  o.view.lidar = true;
  o.screenshot = dir.file("a.ppm");
  video::run_headless(envs::default_env_config("track"), full_gas, o);
  o.screenshot = dir.file("b.ppm");
  video::run_headless(envs::default_env_config("track"), full_gas, o);
  std::ifstream a(dir.file("a.ppm"), std::ios::binary), b(dir.file("b.ppm"), std::ios::binary);
  const std::string sa((std::istreambuf_iterator<char>(a)), {}), sb((std::istreambuf_iterator<char>(b)), {});
  CHECK(sa.size() > 64 * 64 * 3);
  CHECK(sa == sb);
}
