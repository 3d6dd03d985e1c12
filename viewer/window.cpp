#define SDL_MAIN_HANDLED
#include "viewer/window.h"

#include <SDL.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace dl::viewer {
namespace {

std::string no_display_message(const char* what) {
  const char* driver = std::getenv("SDL_VIDEODRIVER");
  return std::string("no display: ") + what + " (" + SDL_GetError() + (driver ? std::string(", SDL_VIDEODRIVER=") + driver : "") +
         "); set SDL_VIDEODRIVER=offscreen for an invisible window, or use --headless";
}

// Keys that command the viewer; everything else is ignored (or drives, in set_driving_key).
bool command_for_key(SDL_Keycode key, Command* out) {
  switch (key) {
    case SDLK_SPACE: *out = Command::toggle_pause; return true;
    case SDLK_PERIOD: case SDLK_n: *out = Command::single_step; return true;
    case SDLK_PLUS: case SDLK_EQUALS: case SDLK_KP_PLUS: *out = Command::faster; return true;
    case SDLK_MINUS: case SDLK_KP_MINUS: *out = Command::slower; return true;
    case SDLK_r: *out = Command::restart; return true;
    case SDLK_c: *out = Command::cycle_camera; return true;
    case SDLK_RIGHTBRACKET: *out = Command::zoom_in; return true;
    case SDLK_LEFTBRACKET: *out = Command::zoom_out; return true;
    case SDLK_l: *out = Command::toggle_lidar; return true;
    case SDLK_h: *out = Command::toggle_legend; return true;
    case SDLK_ESCAPE: case SDLK_q: *out = Command::quit; return true;
    default: return false;
  }
}

void set_driving_key(SDL_Keycode key, bool down, KeyState& keys) {
  switch (key) {
    case SDLK_LEFT: case SDLK_a: keys.left = down; break;
    case SDLK_RIGHT: case SDLK_d: keys.right = down; break;
    case SDLK_UP: case SDLK_w: keys.gas = down; break;
    case SDLK_DOWN: case SDLK_s: keys.brake = down; break;
    default: break;
  }
}

}  // namespace

struct Window::Impl {
  SDL_Window* window = nullptr;
  SDL_Renderer* renderer = nullptr;
  SDL_Texture* texture = nullptr;
  int width = 0, height = 0;
  bool video_up = false;

  ~Impl() {
    if (texture) SDL_DestroyTexture(texture);
    if (renderer) SDL_DestroyRenderer(renderer);
    if (window) SDL_DestroyWindow(window);
    if (video_up) SDL_QuitSubSystem(SDL_INIT_VIDEO);
  }
};

Window::Window(const std::string& title, int width, int height) : impl_(std::make_unique<Impl>()) {
  if (width < 1 || height < 1) throw std::invalid_argument("window size must be positive");
  SDL_SetMainReady();
  if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) throw ViewerError(no_display_message("SDL could not start video"));
  impl_->video_up = true;
  // With no display SDL falls back to its offscreen driver by itself, which would run an invisible window
  // forever; only take it when the user asked for it by name.
  const std::string driver = SDL_GetCurrentVideoDriver() ? SDL_GetCurrentVideoDriver() : "";
  const char* asked = std::getenv("SDL_VIDEODRIVER");
  if ((driver == "offscreen" || driver == "dummy") && (!asked || driver != asked)) {
    SDL_SetError("SDL found no display, only its %s driver", driver.c_str());
    throw ViewerError(no_display_message("no window can be shown"));
  }
  impl_->window = SDL_CreateWindow(title.c_str(), SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, width, height, SDL_WINDOW_SHOWN);
  if (!impl_->window) throw ViewerError(no_display_message("SDL could not open a window"));
  // Accelerated when there is a GPU context; the software renderer works everywhere, offscreen included.
  impl_->renderer = SDL_CreateRenderer(impl_->window, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
  if (!impl_->renderer) impl_->renderer = SDL_CreateRenderer(impl_->window, -1, SDL_RENDERER_SOFTWARE);
  if (!impl_->renderer) throw ViewerError(std::string("SDL could not create a renderer: ") + SDL_GetError());
  impl_->texture = SDL_CreateTexture(impl_->renderer, SDL_PIXELFORMAT_RGB24, SDL_TEXTUREACCESS_STREAMING, width, height);
  if (!impl_->texture) throw ViewerError(std::string("SDL could not create a texture: ") + SDL_GetError());
  impl_->width = width;
  impl_->height = height;
}

Window::~Window() = default;

int Window::width() const { return impl_->width; }
int Window::height() const { return impl_->height; }

void Window::present(const raster::Image& frame) {
  if (frame.width != impl_->width || frame.height != impl_->height)
    throw std::invalid_argument("frame size differs from the window's");
  if (SDL_UpdateTexture(impl_->texture, nullptr, frame.rgb.data(), frame.width * 3) != 0)
    throw ViewerError(std::string("SDL_UpdateTexture: ") + SDL_GetError());
  SDL_RenderClear(impl_->renderer);
  SDL_RenderCopy(impl_->renderer, impl_->texture, nullptr, nullptr);
  SDL_RenderPresent(impl_->renderer);
}

raster::Image Window::read_back() const {
  raster::Image image{impl_->width, impl_->height, std::vector<uint8_t>(static_cast<size_t>(impl_->width) * impl_->height * 3)};
  // The software renderer presents by flipping its surface; copy the texture again so the read sees the
  // last frame whatever the renderer does to its back buffer on present.
  SDL_RenderClear(impl_->renderer);
  SDL_RenderCopy(impl_->renderer, impl_->texture, nullptr, nullptr);
  if (SDL_RenderReadPixels(impl_->renderer, nullptr, SDL_PIXELFORMAT_RGB24, image.rgb.data(), image.width * 3) != 0)
    throw ViewerError(std::string("SDL_RenderReadPixels: ") + SDL_GetError());
  return image;
}

void Window::poll(std::vector<Command>& commands, KeyState& keys) {
  SDL_Event e;
  while (SDL_PollEvent(&e)) {
    Command command;
    switch (e.type) {
      case SDL_QUIT: commands.push_back(Command::quit); break;
      case SDL_KEYDOWN:
        set_driving_key(e.key.keysym.sym, true, keys);
        // Key repeat would turn a held Space into a flicker of pause/resume.
        if (!e.key.repeat && command_for_key(e.key.keysym.sym, &command)) commands.push_back(command);
        break;
      case SDL_KEYUP: set_driving_key(e.key.keysym.sym, false, keys); break;
      case SDL_MOUSEWHEEL:
        for (int i = 0; i < std::abs(e.wheel.y); ++i) commands.push_back(e.wheel.y > 0 ? Command::zoom_in : Command::zoom_out);
        break;
      case SDL_WINDOWEVENT:
        if (e.window.event == SDL_WINDOWEVENT_CLOSE) commands.push_back(Command::quit);
        break;
      default: break;
    }
  }
}

double Window::now_s() const { return static_cast<double>(SDL_GetTicks64()) / 1000.0; }

void Window::wait_frame(double frame_start_s, double frame_s) const {
  const double left_s = frame_start_s + frame_s - now_s();
  if (left_s > 0) SDL_Delay(static_cast<Uint32>(left_s * 1000));
}

}  // namespace dl::viewer
