#include "envs/track_source.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace dl::envs {

uint64_t draw_track_id(const std::string& set, int num_tracks, sim::Rng& rng) {
  if (set == "train") {
    if (num_tracks > 0) return static_cast<uint64_t>(rng.uniform_int(0, num_tracks - 1));
    return static_cast<uint64_t>(rng.uniform_int(0, static_cast<int64_t>(kTestTrackIdsBegin) - 1));
  }
  if (set == "test")
    return static_cast<uint64_t>(rng.uniform_int(kTestTrackIdsBegin, static_cast<int64_t>(kTrackIdsEnd) - 1));
  throw std::invalid_argument("tracks: unknown track set '" + set + "' (expected train or test)");
}

bool is_test_track_id(uint64_t id) { return id >= kTestTrackIdsBegin; }

std::vector<std::string> list_track_files(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::is_regular_file(path, error)) return {path};
  if (!fs::is_directory(path, error))
    throw std::invalid_argument("track_files: '" + path + "' is neither a file nor a folder");
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(path))
    if (entry.is_regular_file()) files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw std::invalid_argument("track_files: the folder '" + path + "' holds no files");
  return files;
}

std::string generator_path(const std::string& track_source) {
  if (track_source == "procedural") return "";
  if (track_source.rfind("gan:", 0) == 0 && track_source.size() > 4) return track_source.substr(4);
  throw std::invalid_argument("track_source: '" + track_source + "' is not procedural or gan:PATH");
}

TrackSource::TrackSource(const EnvConfig& config)
    : set_(config.tracks), num_tracks_(config.num_tracks), params_(config.track) {
  if (set_ != "train" && set_ != "test")
    throw std::invalid_argument("tracks: unknown track set '" + set_ + "' (expected train or test)");
  const std::string model = generator_path(config.track_source);
  if (!model.empty() && !config.track_files.empty())
    throw std::invalid_argument("track_source: gan:PATH and track_files cannot be used together");
  if (!model.empty() && set_ == "train") {
    generator_ = std::make_unique<TrackGenerator>(load_generator(model));
    generated_fraction_ = config.generated_fraction;
  }
  if (config.track_files.empty()) return;
  for (const auto& path : list_track_files(config.track_files)) files_.push_back(sim::load_track(path));
}

uint64_t TrackSource::next_id(sim::Rng& rng) const { return draw_track_id(set_, num_tracks_, rng); }

const sim::Track* TrackSource::generated(uint64_t id, sim::Rng& rng) {
  if (!generator_) return nullptr;
  if (!(rng.uniform() < generated_fraction_)) return nullptr;
  if (!cached_ || cached_id_ != id) {
    cached_ = generate_track_from_model(*generator_, id, params_).track;
    cached_id_ = id;
  }
  return &*cached_;
}

const sim::Track& TrackSource::next_file(sim::Rng& rng) const {
  const auto index = rng.uniform_int(0, static_cast<int64_t>(files_.size()) - 1);
  return files_[static_cast<size_t>(index)];
}

}  // namespace dl::envs
