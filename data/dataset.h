// drivelab/data: trajectory datasets, the binary "DLDS" format of docs/dataset_format.md.
//
// A file holds one dataset: a header with the observation and action specs, then one chunk per episode
// (each with its own CRC-32, so damage is confined to the episodes it touches), then an index of the
// chunks and a fixed-size trailer pointing at it. The writer streams episodes to `<path>.tmp` and renames
// it over `path` on close(), so a reader never sees a half-written file under the final name; a killed
// collection leaves the .tmp, whose intact episodes a reader in recovery mode keeps.
//
// The reader gives random access to episodes through the index. Every error names the file and what is
// wrong (which chunk, at which byte offset, the expected and the actual CRC).
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "envs/env.h"
#include "io/files.h"

namespace dl::data {

inline constexpr uint32_t kFormatVersion = 1;

// Bad input (exit code 2), as every io::InputError.
struct DatasetError : io::InputError {
  using io::InputError::InputError;
};

// What every episode of a dataset shares. Bounds of the observation spec are not stored.
struct DatasetSpec {
  envs::Spec observation;   // shape and dtype
  envs::ActionSpec action;  // discrete/n, or dim with low/high bounds
  std::string env_id;       // the env the data came from
  std::string notes;        // free text: the env config as key=value lines, the collection command

  size_t obs_bytes() const { return observation.bytes(); }
  int action_dim() const { return action.dim(); }
};

// Why two specs cannot share a dataset ("" when they can): shapes, dtypes and action spaces must match.
std::string spec_mismatch(const DatasetSpec& a, const DatasetSpec& b);

// Episode flags.
inline constexpr uint32_t kLapComplete = 1u << 0;
inline constexpr uint32_t kOffPlayfield = 1u << 1;  // ended by leaving the playfield (a crash)

struct EpisodeMeta {
  std::string policy;  // who drove: "expert", "expert+noise0.1", "weak-expert", "random", a run folder
  std::string env_id;
  uint64_t seed = 0;   // the env's reset seed
  double episode_return = 0;
  uint32_t flags = 0;
};

// One episode in memory. obs holds length + 1 observations: the one after reset, then the one after each
// step, so obs[t] --action[t]--> obs[t + 1]; offline methods get next observations for free.
struct Episode {
  EpisodeMeta meta;
  std::vector<uint8_t> obs;        // (length + 1) * obs_bytes, raw float32 or uint8 values
  std::vector<float> actions;      // length * action_dim
  std::vector<float> rewards;      // length
  std::vector<uint8_t> terminated; // length, 0 or 1
  std::vector<uint8_t> truncated;  // length, 0 or 1

  int64_t length() const { return static_cast<int64_t>(rewards.size()); }
  const float* obs_f32(int64_t t, size_t obs_bytes) const {
    return reinterpret_cast<const float*>(obs.data() + t * obs_bytes);
  }
};

// Index entry: enough to filter and summarize episodes without reading them.
struct EpisodeSummary {
  uint64_t offset = 0;  // byte offset of the episode's chunk
  uint64_t bytes = 0;   // chunk size, framing included
  int64_t length = 0;
  double episode_return = 0;
  uint32_t flags = 0;
};

class DatasetWriter {
 public:
  // Creates `<path>.tmp` and writes the header. Throws DatasetError when the file cannot be created.
  DatasetWriter(const std::string& path, const DatasetSpec& spec);
  // Without close() the .tmp stays behind (see the header comment); nothing is renamed.
  ~DatasetWriter();
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  // Streaming: begin with the reset observation, one step() per env step, then end_episode().
  void begin_episode(const void* first_obs, const EpisodeMeta& meta);
  void step(const float* action, float reward, bool terminated, bool truncated, const void* next_obs);
  // Writes the episode's chunk; the return is summed from the rewards, the flags kept from the meta
  // unless given here.
  void end_episode(uint32_t flags);
  // A whole episode at once (clean, split and merge copy episodes this way).
  void write_episode(const Episode& episode);

  // Writes the index and the trailer, flushes and renames the .tmp over the final path.
  void close();

  int64_t episodes() const { return static_cast<int64_t>(index_.size()); }
  int64_t steps() const { return steps_; }
  const DatasetSpec& spec() const { return spec_; }

 private:
  void write_chunk(uint32_t tag, const std::vector<uint8_t>& payload);
  void check_episode(const Episode& episode) const;

  std::string path_, tmp_path_;
  DatasetSpec spec_;
  std::FILE* file_ = nullptr;
  uint64_t offset_ = 0;
  std::vector<EpisodeSummary> index_;
  int64_t steps_ = 0;
  Episode current_;
  bool in_episode_ = false;
};

enum class OpenMode {
  strict,   // any damage is an error
  recover,  // keep the intact episode chunks, list what was dropped in problems()
};

class DatasetReader {
 public:
  // Reads the header and the index. Strict: throws DatasetError on a bad magic, an unknown version, a
  // damaged header or index, or a missing trailer (a truncated or unclosed file). Recover: scans the
  // chunks one by one instead of trusting the index, keeping each whose CRC matches.
  explicit DatasetReader(const std::string& path, OpenMode mode = OpenMode::strict);
  ~DatasetReader();
  DatasetReader(const DatasetReader&) = delete;
  DatasetReader& operator=(const DatasetReader&) = delete;

  const DatasetSpec& spec() const { return spec_; }
  int64_t num_episodes() const { return static_cast<int64_t>(index_.size()); }
  int64_t num_steps() const;
  const std::vector<EpisodeSummary>& index() const { return index_; }
  // Reads and checks episode i's chunk. Throws DatasetError naming the chunk on a CRC mismatch.
  Episode episode(int64_t i) const;
  // Recover mode: one line per dropped chunk or ignored part of the file. Empty in strict mode.
  const std::vector<std::string>& problems() const { return problems_; }
  const std::string& path() const { return path_; }

 private:
  void read_header();
  void read_index(uint64_t file_size);
  void scan_chunks(uint64_t file_size);

  std::string path_;
  std::FILE* file_ = nullptr;
  DatasetSpec spec_;
  uint64_t data_begin_ = 0;
  std::vector<EpisodeSummary> index_;
  std::vector<std::string> problems_;
};

// Every episode of a dataset, in order (small datasets, tests, BC).
std::vector<Episode> read_all(const std::string& path, DatasetSpec* spec = nullptr,
                              OpenMode mode = OpenMode::strict);

}  // namespace dl::data
