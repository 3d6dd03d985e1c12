// drivelab/viewer: the SDL2 window. Frames arrive as finished RGB images (rasterized with the HUD
// already drawn), so the window shows exactly what screenshots and headless videos contain.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "render/raster/raster.h"
#include "viewer/controls.h"
#include "viewer/keyboard.h"

namespace dl::viewer {

// The window could not be opened (no display, no video driver). The message says what to do.
struct ViewerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Window {
 public:
  // Throws ViewerError when there is no display; SDL_VIDEODRIVER=offscreen gives an invisible window.
  Window(const std::string& title, int width, int height);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  int width() const;
  int height() const;
  // Shows the frame (its size must be the window's).
  void present(const raster::Image& frame);
  // The pixels the renderer last showed, read back from it.
  raster::Image read_back() const;
  // Drains pending events: viewer commands are appended to `commands`; driving keys update `keys`.
  void poll(std::vector<Command>& commands, KeyState& keys);
  // Seconds since the window opened (a monotonic clock).
  double now_s() const;
  // Sleeps the rest of a frame of frame_s seconds that began at frame_start_s.
  void wait_frame(double frame_start_s, double frame_s) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dl::viewer
