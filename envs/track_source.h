// drivelab/envs: where an episode's track comes from.
//
// Procedural tracks are named by a 32-bit id used as the generator seed. The train and test sets are
// disjoint by construction: train ids lie in [0, 2^31), test ids in [2^31, 2^32). num_tracks > 0 restricts
// training to the fixed pool of ids [0, num_tracks). Ids are drawn from the env's RNG, so the sequence of
// tracks follows from the reset seed.
// Track files (config.track_files: a file or a folder of them) replace procedural tracks; each episode
// draws one of them (in file-name order) from the env's RNG.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "envs/config.h"
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

class TrackSource {
 public:
  explicit TrackSource(const EnvConfig& config);  // loads the track files, if any, once
  bool from_files() const { return !files_.empty(); }
  // Procedural: the id to generate. Files: call next_file instead.
  uint64_t next_id(sim::Rng& rng) const;
  const sim::Track& next_file(sim::Rng& rng) const;

 private:
  std::string set_;
  int num_tracks_;
  std::vector<sim::Track> files_;
};

}  // namespace dl::envs
