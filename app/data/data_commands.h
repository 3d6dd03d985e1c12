// drivelab/app: the dataset commands, each in its own file: `drivelab collect` (app/data/cmd_collect.cpp) and
// `drivelab dataset stats|clean|split|merge` (app/data/cmd_dataset.cpp). run_cli registers them as hooks.
#pragma once
#include "app/commands.h"

namespace dl::app {

CommandHook add_collect_command(CLI::App& app);
CommandHook add_dataset_command(CLI::App& app);

}  // namespace dl::app
