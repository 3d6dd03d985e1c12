// drivelab/app: `drivelab watch` and `drivelab play`, which keep their options in their own files.
#pragma once
#include "app/commands.h"

namespace dl::app {
CommandHook add_watch_command(CLI::App& app);
CommandHook add_play_command(CLI::App& app);
}  // namespace dl::app
