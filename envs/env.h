// drivelab/envs: the Env API, after Gymnasium.
//
//   reset(seed, obs, info)                      -> writes the first observation
//   step(action, obs, info) -> {reward, terminated, truncated}
//
// Observations are written into caller-owned buffers (float32 or uint8, as the spec says), so a vector
// env writes straight into the [N, ...] array that becomes a tensor. Only the TimeLimit layer sets
// `truncated`; environments set `terminated`.
//
// Actions arrive as floats. Continuous: action_spec().shape[0] values; values outside [low, high] are
// clipped to the bounds (every env, the same way: see clip_action). Discrete: one value holding an integer
// index in [0, n). NaN or inf, a non-integer or out-of-range discrete index throw ActionError.
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace dl::envs {

enum class DType { f32, u8 };

struct Spec {
  std::vector<int64_t> shape;
  DType dtype = DType::f32;
  std::vector<float> low, high;  // per element (size() entries), or empty for unbounded
  int64_t size() const {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
  size_t bytes() const { return static_cast<size_t>(size()) * (dtype == DType::u8 ? 1 : 4); }
};

struct ActionSpec {
  bool discrete = false;
  int n = 0;   // number of discrete actions
  Spec box;    // continuous: shape {dim}, low/high bounds; discrete: shape {1}
  int dim() const { return discrete ? 1 : static_cast<int>(box.size()); }
};

struct ActionError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// What every env reports beside the observation. Documented keys; `episode_*` are filled by the
// EpisodeStats layer when an episode ends.
struct Info {
  float speed_mps = 0;
  float lap_progress = 0;   // fraction of tiles visited this lap
  int tiles_visited = 0;
  bool lap_complete = false;
  bool off_track = false;   // no wheel on road or kerb
  int collisions = 0;       // collisions this step
  // episode statistics, valid when episode_done
  bool episode_done = false;
  double episode_return = 0;
  int episode_length = 0;
  float episode_lap_time_s = -1;  // -1 if the lap was not completed
  bool episode_lap_complete = false;
  // Multi-lap episodes (track-laps): the time of the lap completed at this step (-1 on other steps), and
  // at the episode's end the laps completed and the mean time of laps 2, 3, ... (-1 with fewer than 2).
  float lap_time_s = -1;
  int episode_laps = 0;
  float episode_later_lap_time_s = -1;
};

struct StepResult {
  float reward = 0;
  bool terminated = false;
  bool truncated = false;
};

class Env {
 public:
  virtual ~Env() = default;
  virtual const Spec& observation_spec() const = 0;
  virtual const ActionSpec& action_spec() const = 0;
  virtual void reset(uint64_t seed, void* obs, Info& info) = 0;
  virtual StepResult step(const float* action, void* obs, Info& info) = 0;
  virtual std::string id() const = 0;
};

// Validates and clips an action in place per the spec (see the header comment). Returns the discrete
// index for discrete specs, -1 otherwise.
int check_action(const ActionSpec& spec, float* action);

}  // namespace dl::envs
