#include <catch2/catch.hpp>

#include "viewer/controls.h"

using namespace dl::viewer;

TEST_CASE("the sim advances 50 steps per real second at any frame rate", "[viewer][clock]") {
  for (double fps : {24.0, 30.0, 60.0, 144.0, 500.0}) {
    FixedStepClock clock(0.02);
    int steps = 0;
    const int frames = static_cast<int>(fps * 10);
    for (int f = 0; f < frames; ++f) steps += clock.advance(1.0 / fps, 1.0);
    CAPTURE(fps);
    CHECK(steps >= 499);
    CHECK(steps <= 500);
  }
}

TEST_CASE("the speed multiplier scales simulated time against real time", "[viewer][clock]") {
  FixedStepClock fast(0.02), slow(0.02);
  int fast_steps = 0, slow_steps = 0;
  for (int f = 0; f < 600; ++f) {
    fast_steps += fast.advance(1.0 / 60, 4.0);
    slow_steps += slow.advance(1.0 / 60, 0.25);
  }
  CHECK(fast_steps == Approx(2000).margin(1));
  CHECK(slow_steps == Approx(125).margin(1));
}

TEST_CASE("after a stall the clock runs a bounded number of steps", "[viewer][clock]") {
  FixedStepClock clock(0.02, 10);
  CHECK(clock.advance(5.0, 1.0) == 10);
  CHECK(clock.advance(0.02, 1.0) == 1);  // the backlog was dropped, not kept
}

TEST_CASE("single step pauses and queues one step each", "[viewer][controls]") {
  ViewerState s;
  apply_command(Command::single_step, s);
  apply_command(Command::single_step, s);
  CHECK(s.paused);
  CHECK(s.pending_steps == 2);
  apply_command(Command::toggle_pause, s);
  CHECK_FALSE(s.paused);
  CHECK(s.pending_steps == 0);
}

TEST_CASE("faster and slower stop at the ends of the speed range", "[viewer][controls]") {
  ViewerState s;
  CHECK(s.speed_multiplier() == 1.0f);
  for (int i = 0; i < 20; ++i) apply_command(Command::faster, s);
  CHECK(s.speed_multiplier() == 16.0f);
  for (int i = 0; i < 20; ++i) apply_command(Command::slower, s);
  CHECK(s.speed_multiplier() == 0.125f);
}

TEST_CASE("the camera key cycles follow then rotating then whole track", "[viewer][controls]") {
  ViewerState s;
  CHECK(s.view.camera == dl::video::CameraMode::follow);
  apply_command(Command::cycle_camera, s);
  CHECK(s.view.camera == dl::video::CameraMode::rotating);
  apply_command(Command::cycle_camera, s);
  CHECK(s.view.camera == dl::video::CameraMode::track);
  apply_command(Command::cycle_camera, s);
  CHECK(s.view.camera == dl::video::CameraMode::follow);
}

TEST_CASE("zoom keys change the scale within its limits and toggles flip", "[viewer][controls]") {
  ViewerState s;
  const float start = s.view.pixels_per_m;
  apply_command(Command::zoom_in, s);
  CHECK(s.view.pixels_per_m > start);
  for (int i = 0; i < 100; ++i) apply_command(Command::zoom_out, s);
  CHECK(s.view.pixels_per_m == dl::video::kMinZoom_ppm);
  apply_command(Command::toggle_lidar, s);
  apply_command(Command::toggle_legend, s);
  CHECK(s.view.lidar);
  CHECK(s.legend);
  apply_command(Command::restart, s);
  apply_command(Command::quit, s);
  CHECK(s.restart);
  CHECK(s.quit);
}

TEST_CASE("the key legend lists every command and the driving keys in play", "[viewer][controls]") {
  const auto watch = key_legend(false), play = key_legend(true);
  CHECK(play.size() == watch.size() + 3);
  bool has_quit = false;
  for (const auto& [key, what] : watch) has_quit |= key.find("Esc") != std::string::npos;
  CHECK(has_quit);
}
