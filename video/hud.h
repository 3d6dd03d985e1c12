// drivelab/video: the heads-up display drawn over a frame: speed, the driver's steer/gas/brake,
// reward and return, lap time, step, the agent's value estimate, and the viewer's state.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "render/raster/raster.h"
#include "sim/car.h"

namespace dl::video {

struct HudState {
  float speed_mps = 0;
  sim::Action action;              // what the car was last asked for, clipped to the bounds
  float reward = 0;                // last step's reward
  double episode_return = 0;
  float time_s = 0;                // simulated time in this episode
  float last_lap_s = -1;           // time of the last completed lap, -1 if none yet
  float lap_progress = 0;          // fraction of tiles visited this lap
  long long step = 0;              // agent steps in this episode
  int episode = 1;
  std::optional<float> value;      // the agent's value estimate, when it has one
  std::string driver = "agent";    // who drives: "agent" or "you"
  // Viewer state; headless videos leave these at their defaults.
  bool paused = false;
  float speed_multiplier = 1;
  std::string camera;
  std::string hint;                // e.g. "H: keys"
};

void draw_hud(raster::Image& image, const HudState& hud);

// A panel listing key bindings (key, what it does), in the top-right corner under the status line.
using KeyLegend = std::vector<std::pair<std::string, std::string>>;
void draw_key_legend(raster::Image& image, const std::string& title, const KeyLegend& keys);

// Text scale for an image: 1 for small videos, larger for windows.
int hud_text_scale(const raster::Image& image);

}  // namespace dl::video
