// drivelab/app: `drivelab tracks sample|show` (app/tracks/cmd_tracks.cpp): pictures and statistics of generated
// and procedural tracks. run_cli registers it as a hook.
#pragma once
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/train/metrics.h"
#include "render/raster/raster.h"
#include "sim/track.h"

namespace dl::app {

CommandHook add_tracks_command(CLI::App& app);

// A grid of track pictures, `columns` wide, each cell cell_px square; a null entry is drawn as a crossed-out
// cell (a rejected shape). Each track is scaled to fit its cell.
raster::Image track_grid(const std::vector<const sim::Track*>& tracks, int columns, int cell_px);

// A track_gan run's curve (losses/wasserstein and gan/feature_gap against generator steps), in place of
// the return curve other runs get.
void plot_gan_curve(const std::vector<MetricRow>& rows, const std::string& title, const std::string& png_path);

}  // namespace dl::app
