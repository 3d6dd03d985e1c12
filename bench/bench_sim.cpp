// Google Benchmark of the simulator: World::step with a 16-ray lidar, the bare Box2D floor, a 96x96
// ego-view rasterization and track generation. Targets (see docs): >= 100k steps/s, step <= 2x the
// floor, raster <= 30 us, track generation <= 1 ms.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/lib/box2d_floor.h"
#include "render/raster/raster.h"
#include "sim/world.h"

namespace {

void BM_WorldStepLidar16(benchmark::State& state) {
  dl::sim::WorldOptions cfg;
  cfg.lidar.rays = 16;
  dl::sim::World world(cfg);
  world.reset(1, 1);
  dl::sim::Rng actions(7);
  std::vector<float> lidar(16);
  int64_t n = 0;
  for (auto _ : state) {
    if (++n % 5000 == 0) {
      state.PauseTiming();
      world.reset(n, n / 5000);
      state.ResumeTiming();
    }
    world.step({static_cast<float>(actions.uniform(-0.3, 0.3)), static_cast<float>(actions.uniform(0.5, 1)), 0});
    world.lidar(lidar.data());
  }
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WorldStepLidar16);

void BM_WorldStepTraffic8(benchmark::State& state) {
  dl::sim::WorldOptions cfg;
  cfg.traffic.cars = 8;
  cfg.traffic.obstacles = 4;
  dl::sim::World world(cfg);
  world.reset(1, 1);
  std::vector<float> lidar(16);
  for (auto _ : state) {
    world.step({0, 0, 0});
    world.lidar(lidar.data());
  }
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WorldStepTraffic8);

void BM_Box2dFloor(benchmark::State& state) {
  for (auto _ : state) state.counters["steps/s"] = dl::bench::measure_box2d_floor_steps_per_s(70000);
}
BENCHMARK(BM_Box2dFloor)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_Raster96(benchmark::State& state) {
  dl::sim::World world(dl::sim::WorldOptions{});
  world.reset(1, 1);
  for (int i = 0; i < 100; ++i) world.step({0, 0.5f, 0});
  dl::sim::DrawList list;
  world.draw(list, false);
  const auto cam = dl::raster::ego_camera(world.car().position_m, world.car().heading_rad, 4);
  std::vector<uint8_t> rgb(96 * 96 * 3);
  for (auto _ : state) {
    dl::raster::rasterize(list, cam, 96, 96, rgb.data());
    benchmark::DoNotOptimize(rgb.data());
  }
}
BENCHMARK(BM_Raster96)->Unit(benchmark::kMicrosecond);

void BM_DrawAndRaster96(benchmark::State& state) {
  dl::sim::World world(dl::sim::WorldOptions{});
  world.reset(1, 1);
  dl::sim::DrawList list;
  std::vector<uint8_t> rgb(96 * 96 * 3);
  for (auto _ : state) {
    world.step({0, 0.3f, 0});
    world.draw(list, false);
    dl::raster::rasterize(list, dl::raster::ego_camera(world.car().position_m, world.car().heading_rad, 4), 96, 96, rgb.data());
  }
}
BENCHMARK(BM_DrawAndRaster96)->Unit(benchmark::kMicrosecond);

void BM_TrackGeneration(benchmark::State& state) {
  uint64_t seed = 0;
  for (auto _ : state) benchmark::DoNotOptimize(dl::sim::generate_track(++seed, dl::sim::TrackConfig{}));
}
BENCHMARK(BM_TrackGeneration)->Unit(benchmark::kMicrosecond);

void BM_WorldReset(benchmark::State& state) {
  dl::sim::World world(dl::sim::WorldOptions{});
  uint64_t seed = 0;
  for (auto _ : state) world.reset(seed, ++seed);
}
BENCHMARK(BM_WorldReset)->Unit(benchmark::kMicrosecond);

// One run of the plain-C++ medians side by side, as `drivelab bench` reports them.
void BM_SimSummary(benchmark::State& state) {
  for (auto _ : state) {
    const double sim = dl::bench::measure_sim_steps_per_s(70000);
    const double floor = dl::bench::measure_box2d_floor_steps_per_s(70000);
    state.counters["sim_steps/s"] = sim;
    state.counters["floor_steps/s"] = floor;
    state.counters["floor/sim"] = floor / sim;
    state.counters["raster_us"] = dl::bench::measure_raster_us(2001);
    state.counters["trackgen_ms"] = dl::bench::measure_trackgen_ms(1001);
  }
}
BENCHMARK(BM_SimSummary)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
