// drivelab/app: `drivelab tracks sample` (tracks of a generator file: grid picture, validity, diversity
// and novelty), `drivelab tracks show` (procedural tracks of a set) and `drivelab tracks import` (a
// racing-line CSV into a track file, repaired where needed: sim/track_import.h). Torch-free: the generator runs
// through envs/track_generator.h.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/run_config.h"
#include "app/train/plot.h"
#include "app/tracks/track_commands.h"
#include "envs/track_generator.h"
#include "envs/track_shape.h"
#include "envs/track_source.h"
#include "video/video.h"
#include "sim/circuit.h"
#include "sim/rng.h"
#include "sim/track_import.h"

namespace fs = std::filesystem;

namespace dl::app {
namespace {

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& [name, preset] : sim::track_presets()) names.push_back(name);
  return names;
}

constexpr sim::Color kGrass{102, 204, 102};
constexpr sim::Color kRoad{102, 102, 102};
constexpr sim::Color kRoadAlt{120, 120, 120};
constexpr sim::Color kStart{255, 255, 255};
constexpr sim::Color kRejected{200, 200, 200};
constexpr sim::Color kCross{200, 0, 0};
constexpr sim::Color kBorder{60, 60, 60};
// Track ids `tracks show --set test` starts from when --first is not given.
constexpr uint64_t kFirstTestId = envs::kTestTrackIdsBegin;

struct TracksArgs {
  std::string model;
  int count = 16;
  std::string out = "tracks.png";
  uint64_t first_id = 0;
  std::string preset = "medium";
  std::string save_dir;
  int columns = 0;   // 0 = about square
  int cell_px = 256;
  int reference = 0;  // sample: procedural train tracks for diversity/novelty (0 = no statistics)
  std::string set = "train";  // show
  std::string reference_tracks;  // show: track files drawn first, beside the procedural ones
  std::string input;          // import: the racing-line CSV
  float spacing_m = sim::TrackConfig{}.point_spacing_m;
  float min_width_m = sim::ImportOptions{}.min_width_m;
};

sim::TrackConfig params_of(const std::string& preset) {
  sim::TrackPreset p;
  if (!sim::parse_track_preset(preset, &p)) throw ConfigError("--preset: unknown preset '" + preset + "' (easy, medium, hard, circuit)");
  return sim::track_preset(p);
}

raster::Image draw_cell(const sim::Track* track, int cell_px) {
  sim::DrawList list;
  raster::Camera camera;
  if (!track) {
    list.clear = kRejected;
    const float h = 0.4f * cell_px;
    camera.pixels_per_m = 1;
    list.lines.push_back({{-h, -h}, {h, h}, 6.f, kCross});
    list.lines.push_back({{-h, h}, {h, -h}, 6.f, kCross});
    return raster::render(list, camera, cell_px, cell_px);
  }
  list.clear = kGrass;
  const int n = track->num_tiles();
  sim::Vec2 lo{1e30f, 1e30f}, hi{-1e30f, -1e30f};
  std::vector<sim::Vec2> left(n), right(n);
  for (int i = 0; i < n; ++i) {
    const sim::Vec2 d = track->center[(i + 1) % n] - track->center[(i + n - 1) % n];
    const float len = std::max(d.length(), 1e-6f);
    const sim::Vec2 normal{-d.y / len, d.x / len};
    left[i] = track->center[i] + normal * (0.5f * track->width[i]);
    right[i] = track->center[i] - normal * (0.5f * track->width[i]);
    for (const sim::Vec2& p : {left[i], right[i]}) {
      lo = {std::min(lo.x, p.x), std::min(lo.y, p.y)};
      hi = {std::max(hi.x, p.x), std::max(hi.y, p.y)};
    }
  }
  for (int i = 0; i < n; ++i) {
    const int j = (i + 1) % n;
    const sim::Vec2 quad[4] = {left[i], left[j], right[j], right[i]};
    list.polygon(quad, 4, i % 2 ? kRoadAlt : kRoad);
  }
  list.lines.push_back({left[0], right[0], 1.5f, kStart});
  camera.center_m = (lo + hi) * 0.5f;
  camera.pixels_per_m = 0.9f * static_cast<float>(cell_px) / std::max({hi.x - lo.x, hi.y - lo.y, 1.f});
  return raster::render(list, camera, cell_px, cell_px);
}

struct Sampled {
  std::vector<std::optional<sim::Track>> tracks;  // repaired decode, first latent draw
  std::vector<std::vector<sim::Vec2>> polygons;   // of the accepted ones
  int valid = 0, valid_raw = 0;
  double repair_passes = 0;
};

Sampled sample_model(const envs::TrackGenerator& g, const TracksArgs& a, const sim::TrackConfig& params) {
  Sampled s;
  envs::DecodeOptions raw;
  raw.repair = false;
  for (int i = 0; i < a.count; ++i) {
    const uint64_t id = a.first_id + static_cast<uint64_t>(i);
    const auto values = g.forward(g.latent(id, 0));
    envs::DecodeResult r = envs::decode_track(values, params);
    if (envs::decode_track(values, params, raw).track) ++s.valid_raw;
    if (r.track) {
      ++s.valid;
      s.repair_passes += r.repair_passes;
      s.polygons.push_back(r.polygon);
    }
    s.tracks.push_back(std::move(r.track));
  }
  return s;
}

double mean_pairwise(const std::vector<std::vector<sim::Vec2>>& p) {
  double sum = 0;
  int64_t pairs = 0;
  for (size_t i = 0; i < p.size(); ++i)
    for (size_t j = i + 1; j < p.size(); ++j, ++pairs) sum += envs::shape_distance(p[i], p[j], 2);
  return pairs > 0 ? sum / static_cast<double>(pairs) : 0;
}

double mean_nearest(const std::vector<std::vector<sim::Vec2>>& queries, const std::vector<std::vector<sim::Vec2>>& ref) {
  double sum = 0;
  for (const auto& q : queries) {
    double best = 1e30;
    for (const auto& r : ref) best = std::min(best, static_cast<double>(envs::shape_distance(q, r, 2)));
    sum += best;
  }
  return queries.empty() ? 0 : sum / static_cast<double>(queries.size());
}

// Procedural tracks first .. first+count-1 as N-gons the way the generator's are measured.
std::vector<std::vector<sim::Vec2>> procedural_polygons(uint64_t first, int count, int samples, const sim::TrackConfig& params) {
  envs::DecodeOptions raw;
  raw.repair = false;
  std::vector<std::vector<sim::Vec2>> out;
  for (int i = 0; i < count; ++i) {
    const auto r = envs::decode_track(envs::encode_track(sim::generate_track(first + i, params), samples), params, raw);
    if (r.track) out.push_back(r.polygon);
  }
  return out;
}

void write_grid(const std::vector<const sim::Track*>& tracks, const TracksArgs& a) {
  const int columns = a.columns > 0 ? a.columns : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(tracks.size()))));
  video::write_image(track_grid(tracks, columns, a.cell_px), a.out);
  std::printf("grid: %s (%zu tracks, %d columns, row by row)\n", a.out.c_str(), tracks.size(), columns);
}

void save_tracks(const std::vector<const sim::Track*>& tracks, const TracksArgs& a, const std::string& prefix) {
  if (a.save_dir.empty()) return;
  fs::create_directories(a.save_dir);
  int saved = 0;
  for (size_t i = 0; i < tracks.size(); ++i) {
    if (!tracks[i]) continue;
    char name[64];
    std::snprintf(name, sizeof name, "%s_%06llu.track", prefix.c_str(), static_cast<unsigned long long>(a.first_id + i));
    sim::save_track(*tracks[i], (fs::path(a.save_dir) / name).string());
    ++saved;
  }
  std::printf("saved %d track files to %s\n", saved, a.save_dir.c_str());
}

int run_sample(const TracksArgs& a) {
  const sim::TrackConfig params = params_of(a.preset);
  envs::TrackGenerator g;
  try {
    g = envs::load_generator(a.model);
  } catch (const std::runtime_error& e) {
    throw ConfigError(e.what());
  }
  std::printf("model: %s (%s; latent %d, %d shape samples)\n", a.model.c_str(), g.note.c_str(), g.latent_dim, g.samples);
  const Sampled s = sample_model(g, a, params);
  const double n = static_cast<double>(a.count);
  std::printf("validity after repair: %d/%d (%.1f%%), before repair: %d/%d (%.1f%%), repair passes per valid track: %.2f\n",
              s.valid, a.count, 100.0 * s.valid / n, s.valid_raw, a.count, 100.0 * s.valid_raw / n,
              s.valid > 0 ? s.repair_passes / s.valid : 0.0);
  std::vector<const sim::Track*> tracks;
  for (const auto& t : s.tracks) tracks.push_back(t ? &*t : nullptr);
  write_grid(tracks, a);
  save_tracks(tracks, a, "generated");
  if (a.reference > 0) {
    // Reference: procedural train tracks 0..R-1 (the GAN's data with the default config); held out:
    // as many train tracks after them, which no generator saw. Distances are RMS metres between aligned
    // N-gons (envs::shape_distance).
    const auto reference = procedural_polygons(0, a.reference, g.samples, params);
    const auto held_out = procedural_polygons(static_cast<uint64_t>(a.reference) + 1000000, std::max(1, s.valid), g.samples, params);
    std::printf("diversity (mean pairwise distance, m): generated %.3f, unseen procedural %.3f\n", mean_pairwise(s.polygons),
                mean_pairwise(held_out));
    std::printf("novelty (mean distance to the nearest of %d training tracks, m): generated %.2f, unseen procedural %.2f\n",
                a.reference, mean_nearest(s.polygons, reference), mean_nearest(held_out, reference));
  }
  return kExitOk;
}

int run_show(const TracksArgs& a) {
  const sim::TrackConfig params = params_of(a.preset);
  const uint64_t first = a.first_id > 0 || a.set == "train" ? a.first_id : kFirstTestId;
  std::vector<sim::Track> owned;
  for (int i = 0; i < a.count; ++i) owned.push_back(sim::generate_track(first + static_cast<uint64_t>(i), params));
  std::vector<const sim::Track*> tracks;
  for (const auto& t : owned) tracks.push_back(&t);
  std::printf("procedural %s tracks %llu .. %llu, preset %s\n", a.set.c_str(), static_cast<unsigned long long>(first),
              static_cast<unsigned long long>(first + a.count - 1), a.preset.c_str());
  // Shape statistics (sim::track_stats): the figures docs/envs.md compares with real circuits.
  auto print_stats = [](const char* what, const sim::Track& t) {
    const sim::TrackStats st = sim::track_stats(t);
    std::printf("  %-28s %6.0f m  %2d corners (%.1f/km)  longest straight %4.0f m  tightest %5.1f m  %d hairpins  "
                "width %.1f-%.1f m  %s\n",
                what, st.length_m, st.corners, st.corners_per_km, st.longest_straight_m, st.min_radius_m, st.hairpins,
                st.width_min_m, st.width_max_m, st.clockwise ? "clockwise" : "counter-clockwise");
  };
  std::vector<sim::Track> references;
  if (!a.reference_tracks.empty()) {
    for (const auto& path : envs::list_track_files(a.reference_tracks)) {
      references.push_back(sim::load_track(path));
      print_stats(fs::path(path).filename().string().c_str(), references.back());
    }
    std::vector<const sim::Track*> all;
    for (const auto& t : references) all.push_back(&t);
    all.insert(all.end(), tracks.begin(), tracks.end());
    std::printf("grid: %zu reference layouts first, then the procedural tracks\n", references.size());
    tracks.swap(all);
  }
  for (size_t i = 0; i < owned.size(); ++i) print_stats(("track " + std::to_string(first + i)).c_str(), owned[i]);
  write_grid(tracks, a);
  tracks.erase(tracks.begin(), tracks.begin() + static_cast<long>(references.size()));
  TracksArgs named = a;
  named.first_id = first;
  save_tracks(tracks, named, "procedural");
  return kExitOk;
}

int run_import(const TracksArgs& a) {
  std::vector<int> lines;
  const std::vector<sim::RoadPoint> points = sim::read_racing_line_csv(a.input, &lines);
  sim::ImportOptions options;
  options.point_spacing_m = a.spacing_m;
  options.min_width_m = a.min_width_m;
  const sim::ImportResult r = sim::import_layout(points, options, a.input, &lines);
  const sim::Track& t = r.track;
  const auto [w_lo, w_hi] = std::minmax_element(t.width.begin(), t.width.end());
  std::printf("read %s: %d points, %.2f km\n", a.input.c_str(), r.input_points, r.input_length_m / 1000);
  std::printf("track: %d points at %.2f m spacing, %.2f km, width %.1f..%.1f m\n", t.num_tiles(), t.length_m / t.num_tiles(),
              t.length_m / 1000, *w_lo, *w_hi);
  std::printf("repairs: %zu points%s\n", r.repairs.size(), r.repairs.empty() ? " (none needed)" : "");
  for (const std::string& line : r.repairs) std::printf("  %s\n", line.c_str());
  std::vector<std::string> comments = {
      "imported by drivelab tracks import from " + fs::path(a.input).filename().string() + " (" + std::to_string(r.input_points) + " points)",
      "repairs: " + std::to_string(r.repairs.size()) + " points"};
  for (const std::string& line : r.repairs) comments.push_back("repair " + line);
  sim::save_track(t, a.out, comments);
  std::printf("wrote %s\n", a.out.c_str());
  return kExitOk;
}

}  // namespace

raster::Image track_grid(const std::vector<const sim::Track*>& tracks, int columns, int cell_px) {
  const int count = std::max<int>(1, static_cast<int>(tracks.size()));
  columns = std::clamp(columns, 1, count);
  const int rows = (count + columns - 1) / columns;
  const int gap = 2;
  raster::Image grid;
  grid.width = columns * (cell_px + gap) + gap;
  grid.height = rows * (cell_px + gap) + gap;
  grid.rgb.assign(static_cast<size_t>(grid.width) * grid.height * 3, 0);
  for (size_t p = 0; p < grid.rgb.size(); p += 3) {
    grid.rgb[p] = kBorder.r;
    grid.rgb[p + 1] = kBorder.g;
    grid.rgb[p + 2] = kBorder.b;
  }
  for (size_t k = 0; k < tracks.size(); ++k) {
    const raster::Image cell = draw_cell(tracks[k], cell_px);
    const int x0 = gap + static_cast<int>(k % columns) * (cell_px + gap);
    const int y0 = gap + static_cast<int>(k / columns) * (cell_px + gap);
    for (int y = 0; y < cell_px; ++y)
      std::copy_n(cell.rgb.data() + static_cast<size_t>(y) * cell_px * 3, cell_px * 3,
                  grid.rgb.data() + (static_cast<size_t>(y0 + y) * grid.width + x0) * 3);
  }
  return grid;
}

void plot_gan_curve(const std::vector<MetricRow>& rows, const std::string& title, const std::string& png_path) {
  Series wasserstein{"critic's Wasserstein estimate", {}, {}, false}, gap{"feature gap (std units)", {}, {}, true};
  for (const auto& r : rows) {
    if (r.name == "losses/wasserstein") wasserstein.x.push_back(r.step), wasserstein.y.push_back(r.value);
    if (r.name == "gan/feature_gap") gap.x.push_back(r.step), gap.y.push_back(r.value);
  }
  std::vector<Series> series;
  for (auto* s : {&wasserstein, &gap})
    if (!s->x.empty()) series.push_back(*s);
  plot_series(series, title, "generator steps", "distance to the data", png_path);
}

CommandHook add_tracks_command(CLI::App& app) {
  auto args = std::make_shared<TracksArgs>();
  auto* cmd = app.add_subcommand("tracks", "Pictures and statistics of generated and procedural tracks.");
  cmd->require_subcommand(1);
  auto* sample = cmd->add_subcommand("sample", "Decode tracks of a generator file (track_gan's generator.dltg) into a grid PNG.");
  sample->add_option("--model", args->model, "Generator file written by a track_gan run (RUN/generator.dltg)")->required();
  sample->add_option("-n,--count", args->count, "Tracks to decode: generated track ids first .. first+n-1")->check(CLI::Range(1, 100000));
  sample->add_option("--out", args->out, "Grid picture (.png or .ppm)");
  sample->add_option("--first", args->first_id, "First generated track id");
  sample->add_option("--preset", args->preset, "Track parameters to decode with (width, min curve radius, spacing)")
      ->check(CLI::IsMember(preset_names()));
  sample->add_option("--save-dir", args->save_dir, "Also write the valid tracks as track files here");
  sample->add_option("--columns", args->columns, "Grid columns (0 = about square)")->check(CLI::Range(0, 1000));
  sample->add_option("--cell", args->cell_px, "Cell size in pixels")->check(CLI::Range(32, 2048));
  sample->add_option("--reference", args->reference,
                     "Also print diversity and novelty against this many procedural train tracks (0 = no)")
      ->check(CLI::Range(0, 100000));
  sample->footer(
      "Each id is decoded from its first latent draw (an env would redraw a rejected one), so the printed\n"
      "validity is per draw. Rejected shapes are crossed-out cells. Exit codes: 0 done, 2 bad input.");
  auto* show = cmd->add_subcommand("show", "Draw procedural tracks of the train or test set into a grid PNG.");
  show->add_option("-n,--count", args->count, "Tracks to draw")->check(CLI::Range(1, 100000));
  show->add_option("--out", args->out, "Grid picture (.png or .ppm)");
  show->add_option("--set", args->set, "Track set")->check(CLI::IsMember({"train", "test"}));
  show->add_option("--first", args->first_id, "First track id (default: the set's first)");
  show->add_option("--preset", args->preset, "Track generator preset")->check(CLI::IsMember(preset_names()));
  show->add_option("--save-dir", args->save_dir, "Also write the tracks as track files here");
  show->add_option("--reference", args->reference_tracks,
                   "Track file or folder drawn first in the grid, for comparison (e.g. tracks/reference)");
  show->add_option("--columns", args->columns, "Grid columns (0 = about square)")->check(CLI::Range(0, 1000));
  show->add_option("--cell", args->cell_px, "Cell size in pixels")->check(CLI::Range(32, 2048));
  auto* import = cmd->add_subcommand("import", "Convert a racing-line CSV (x_m,y_m,w_tr_right_m,w_tr_left_m) into a track file.");
  import->add_option("csv", args->input, "Racing-line CSV: one 'x_m,y_m,w_tr_right_m,w_tr_left_m' line per point, in racing direction")
      ->required();
  import->add_option("--out", args->out, "Track file to write (format version 2, atomically)")->required();
  import->add_option("--spacing", args->spacing_m, "Point spacing of the track = tile length (m)")->check(CLI::Range(0.5, 100.0));
  import->add_option("--min-width", args->min_width_m, "Repairs never narrow the road below this (m)")->check(CLI::Range(1.0, 100.0));
  import->footer(
      "The road's middle is resampled along a smooth closed curve. Where the road edge would fold at a tight\n"
      "hairpin or two road parts would overlap, the road is narrowed there (tapered into its neighbours) or,\n"
      "for bends too tight for --min-width, the centre line is smoothed; every repaired point is printed and\n"
      "written as a comment. A layout no repair can fix (a crossing centre line, road parts too close for two\n"
      "roads) is rejected with the reason. See docs/track_format.md. Exit codes: 0 done, 2 bad input.");
  return {cmd, [args, sample, import] {
            try {
              if (*import) return run_import(*args);
              return *sample ? run_sample(*args) : run_show(*args);
            } catch (const sim::TrackError& e) {
              std::fprintf(stderr, "drivelab: track error: %s\n", e.what());
              return kExitBadInput;
            }
          }};
}

}  // namespace dl::app
