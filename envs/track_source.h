// drivelab/envs: where an episode's track comes from.
//
// Procedural tracks are named by a 32-bit id used as the generator seed. The train and test sets are
// disjoint by construction: train ids lie in [0, 2^31), test ids in [2^31, 2^32). num_tracks > 0 restricts
// training to the fixed pool of ids [0, num_tracks). Ids are drawn from the env's RNG, so the sequence of
// tracks follows from the reset seed.
// Track files (config.track_files: a file or a folder of them) replace procedural tracks; each episode
// draws one of them (in file-name order) from the env's RNG.
// track_source gan:PATH puts train episodes on tracks of a generator file (envs/track_generator.h): each
// train episode draws a train id as usual, then, with probability generated_fraction (a second draw from
// the env's RNG), drives generated track `id` instead of procedural track `id`. Test tracks stay procedural
// (they measure generalization to the procedural distribution), and the file is read only for train sets.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "envs/env_config.h"
#include "envs/track_generator.h"
#include "sim/rng.h"
#include "sim/track.h"

namespace dl::envs {

inline constexpr uint64_t kTestTrackIdsBegin = 1ULL << 31;
inline constexpr uint64_t kTrackIdsEnd = 1ULL << 32;

// Draws a track id of the set "train" or "test" (throws std::invalid_argument for another name).
uint64_t draw_track_id(const std::string& set, int num_tracks, sim::Rng& rng);
bool is_test_track_id(uint64_t id);

// Track files in a path: the file itself, or the regular files of a folder sorted by name.
std::vector<std::string> list_track_files(const std::string& path);

// The generator file of a track_source value: "" for procedural, PATH for gan:PATH; throws
// std::invalid_argument for anything else.
std::string generator_path(const std::string& track_source);

class TrackSource {
 public:
  explicit TrackSource(const EnvConfig& config);  // loads the track files, if any, once
  bool from_files() const { return !files_.empty(); }
  // Procedural: the id to generate. Files: call next_file instead.
  uint64_t next_id(sim::Rng& rng) const;
  const sim::Track& next_file(sim::Rng& rng) const;
  // After next_id: the generated track to drive instead, or null for the procedural track `id`. Draws
  // from rng only when a generator is in use, so procedural runs see the same random stream as before.
  const sim::Track* generated(uint64_t id, sim::Rng& rng);

 private:
  std::string set_;
  int num_tracks_;
  std::vector<sim::Track> files_;
  std::unique_ptr<TrackGenerator> generator_;  // track_source gan:PATH on a train set
  float generated_fraction_ = 0;
  sim::TrackConfig params_;
  uint64_t cached_id_ = 0;
  std::optional<sim::Track> cached_;  // the last generated track (envs often revisit a small pool)
};

}  // namespace dl::envs
