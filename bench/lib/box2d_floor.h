// drivelab/bench: the Box2D floor and the simulator's own speed, shared by `drivelab bench` and dl_bench.
//
// The floor is what Box2D alone costs for our scene: a bare b2World with the same bodies as a World
// (one car box, the road-edge fixtures of a generated track, the playfield boundary), stepped with the
// same solver iterations and the same number of lidar ray casts per step, with trivial forces instead
// of our tyre model. World::step + lidar divided by the floor is the price of our own code.
// Plain C++ (no Google Benchmark) so the app can print these numbers too. Numbers are medians of
// this thread's CPU time, so other processes on a busy machine do not skew them.
#pragma once
#include <cstdint>

namespace dl::bench {

// Steps per second of the bare Box2D scene (median of several blocks of steps).
double measure_box2d_floor_steps_per_s(int steps, int rays = 16, uint64_t track_seed = 1);

// World::step plus a 16-ray lidar read per step, one car, default config (median steps per second).
double measure_sim_steps_per_s(int steps);

// Median microseconds (over batches of frames) to rasterize a 96x96 ego view of a full track (draw list built once).
double measure_raster_us(int frames);

// Median milliseconds (over batches) to generate one track with default parameters (different seeds).
double measure_trackgen_ms(int n);

}  // namespace dl::bench
