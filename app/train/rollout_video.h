// drivelab/app: the short video at the end of `drivelab train`.
#pragma once
#include <string>

namespace dl::app {

// Runs the checkpoint's deterministic policy headless for up to max_steps agent steps on a test track
// (an unseen one) and writes a small looping GIF: every 2nd step, 192x192 px, follow camera, compact HUD.
// Throws like AgentDriver (ConfigError) and the GIF writer (std::runtime_error).
void write_policy_gif(const std::string& checkpoint_path, const std::string& gif_path, int max_steps = 300);

}  // namespace dl::app
