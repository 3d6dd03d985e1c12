// drivelab/viewer: facts about the SDL library, for `drivelab version`.
#pragma once
#include <string>

namespace dl::viewer {
// "2.26.5" (the SDL the program runs with).
std::string sdl_version();
}  // namespace dl::viewer
