#include "viewer/sdl_info.h"

#include <SDL.h>

namespace dl::viewer {
std::string sdl_version() {
  SDL_version v;
  SDL_GetVersion(&v);
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
}
}  // namespace dl::viewer
