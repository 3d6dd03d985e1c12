// drivelab/sim: tracks. A track is a closed centre line with a width at each point, in metres.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/geometry.h"

namespace dl::sim {

// How the procedural generator lays a track out.
//   loop:    after Gymnasium's CarRacing: checkpoints around a circle with random angle and radius, then a
//            smooth B-spline through them (the easy, medium and hard presets; 300-500 m laps).
//   circuit: a rounded random polygon at the scale of real racing circuits: long straights, hairpins,
//            chicanes and esses, width varying along the lap (sim/circuit.h).
enum class TrackLayout { loop, circuit };

// Parameters of the procedural generator.
struct TrackConfig {
  TrackLayout layout = TrackLayout::loop;
  int checkpoints = 12;            // control points around the loop
  float radius_m = 150;            // mean distance of checkpoints from the centre
  float radius_noise = 0.33f;      // checkpoint radius drawn in radius * [1 - noise, 1 + noise]
  float angle_noise = 0.5f;        // checkpoint angle jitter, as a fraction of the angular spacing
  float width_m = 13.3f;           // road width
  float min_curve_radius_m = 12;   // no bend of the centre line may be tighter than this
  float point_spacing_m = 6;       // distance between centre-line points (and so tile length)
  float kerb_curvature = 1 / 40.f; // kerbs on bends with curvature above this (1/m)
  bool walls = false;              // solid walls beside the road (playfield edge is always solid)
  float wall_offset_m = 4;         // distance of walls from the road edge
  float clockwise_fraction = 0.5f; // share of tracks (by seed) that run clockwise
  // circuit layout only: checkpoints is the fewest polygon corners (up to 5 more are drawn)
  float length_min_m = 2000;       // lap length drawn in [length_min_m, length_max_m]
  float length_max_m = 7000;
  float width_variation_m = 0;     // width varies slowly in width_m +- this along the lap

  bool operator==(const TrackConfig&) const = default;
};

enum class TrackPreset { easy, medium, hard, circuit };
TrackConfig track_preset(TrackPreset preset);
bool parse_track_preset(const std::string& name, TrackPreset* out);
// Every preset by name, in the order the docs list them: the one list the config readers and the CLI use.
const std::vector<std::pair<std::string, TrackPreset>>& track_presets();

// Physical bounds every track must meet (docs/track_format.md): generous for any real circuit or road
// network, and they keep Box2D's float world and the drawing far from overflow.
inline constexpr float kMaxTrackCoordinate_m = 50000;  // |x|, |y| of every centre-line point
inline constexpr float kMinTrackWidth_m = 1;
inline constexpr float kMaxTrackWidth_m = 100;
inline constexpr int kMaxTrackPoints = 200000;         // 1,200 km at the 6 m spacing of generated tracks
inline bool coordinate_in_bounds(float v) { return v >= -kMaxTrackCoordinate_m && v <= kMaxTrackCoordinate_m; }
inline bool width_in_bounds(float w) { return w >= kMinTrackWidth_m && w <= kMaxTrackWidth_m; }

struct TrackError : std::runtime_error {
  explicit TrackError(const std::string& what, std::vector<int> at_points = {})
      : std::runtime_error(what), points(std::move(at_points)) {}
  std::vector<int> points;  // the centre-line points a validation error is about (files name their lines)
};

struct Track {
  std::vector<Vec2> center;        // closed loop: the last point connects back to the first
  std::vector<float> width;        // road width at each centre point (m)
  std::vector<float> curvature;    // signed curvature at each point (1/m), left bends positive
  std::vector<float> arc_length;   // distance from point 0 along the centre line (m)
  std::vector<bool> kerb;          // kerb beside segment i (sharp bends)
  float length_m = 0;              // total centre-line length
  bool walls = false;
  float wall_offset_m = 4;
  uint64_t seed = 0;               // generator seed, or 0 for tracks from files

  // Segment i runs from center[i] to center[(i+1) % n]; a tile is the road quad over that segment.
  int num_tiles() const { return static_cast<int>(center.size()); }

  // Throws TrackError naming what is wrong: too few or too many points, a coordinate or width out of
  // bounds, self-crossing, overlapping road, bad closure, too tight a bend. O(n) for any sane layout.
  void validate(float min_curve_radius_m) const;
};

// Generates a valid track deterministically: invalid draws are retried with seeds derived from `seed`.
// Whether it runs clockwise is drawn from the seed alone (clockwise_fraction), independently of the shape.
Track generate_track(uint64_t seed, const TrackConfig& params);
// The same loop driven the other way round: point 0 stays the start, the order of the others reverses.
Track reversed(const Track& track, const TrackConfig& params);

// Track file format (text, documented in docs/track_format.md):
//   drivelab-track 2
//   # comments
//   x y w_right w_left   (one line per point, metres; the loop closes by itself)
// Version 1 files (`drivelab-track 1`, lines `x y width` of the road's middle) load unchanged. A version 2
// point whose widths differ becomes the road's middle on load (sim/track_import.h: road_middle). Saving
// writes version 2, with `comments` as `#` lines under the header; atomically (FILE.tmp, renamed).
void save_track(const Track& track, const std::string& path, const std::vector<std::string>& comments = {});
Track load_track(const std::string& path);  // throws TrackError naming the file and line
// Builds the derived fields (curvature, arc length, kerbs) from centre and width.
Track make_track(std::vector<Vec2> center, std::vector<float> width, const TrackConfig& params);

}  // namespace dl::sim
