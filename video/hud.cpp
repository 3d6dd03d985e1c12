#include "video/hud.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "video/overlay.h"

namespace dl::video {
namespace {

constexpr sim::Color kText{255, 255, 255};
constexpr sim::Color kPanel{0, 0, 0};
constexpr float kPanelAlpha = 0.55f;
constexpr sim::Color kSteerColor{90, 170, 255};
constexpr sim::Color kGasColor{60, 220, 60};
constexpr sim::Color kBrakeColor{235, 60, 50};
constexpr sim::Color kBarTrack{60, 60, 60};
constexpr float kMpsToKmh = 3.6f;

std::string format(const char* fmt, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, a);
  return buf;
}

std::string clock_text(float seconds) {
  if (seconds < 0) return "--";
  const int minutes = static_cast<int>(seconds / 60);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d:%05.2f", minutes, seconds - 60.f * minutes);
  return buf;
}

// A horizontal bar: filled from the left for [0, 1] values, from the middle for [-1, 1] values.
void draw_bar(raster::Image& image, int x, int y, int w, int h, float value, bool centred, sim::Color color) {
  fill_rect(image, x, y, w, h, kBarTrack);
  if (centred) {
    const int mid = x + w / 2;
    const int len = static_cast<int>(std::lround(std::clamp(value, -1.f, 1.f) * (w / 2)));
    if (len >= 0) fill_rect(image, mid, y, len, h, color);
    else fill_rect(image, mid + len, y, -len, h, color);
    fill_rect(image, mid, y, 1, h, kText);
  } else {
    fill_rect(image, x, y, static_cast<int>(std::lround(std::clamp(value, 0.f, 1.f) * w)), h, color);
  }
}

}  // namespace

int hud_text_scale(const raster::Image& image) { return std::min(image.width, image.height) >= 400 ? 2 : 1; }

void draw_hud(raster::Image& image, const HudState& hud) {
  const int s = hud_text_scale(image);
  const int pad = 3 * s, line = 10 * s;
  const bool compact = image.width < 320;

  std::vector<std::string> lines;
  lines.push_back(format("%.0f km/h", hud.speed_mps * kMpsToKmh));
  if (compact) {
    lines.push_back("return " + format("%.1f", hud.episode_return));
    lines.push_back("lap " + clock_text(hud.time_s));
  } else {
    lines.push_back("reward " + format("%+.2f", hud.reward) + "  return " + format("%.1f", hud.episode_return));
    lines.push_back("lap " + clock_text(hud.time_s) + "  last " + clock_text(hud.last_lap_s) + "  " +
                    format("%.0f%%", 100.0 * hud.lap_progress));
    lines.push_back("step " + std::to_string(hud.step) + "  episode " + std::to_string(hud.episode));
    if (hud.value) lines.push_back("value " + format("%.2f", *hud.value));
  }
  int panel_w = 0;
  for (const auto& l : lines) panel_w = std::max(panel_w, text_width(l, s));
  panel_w += 2 * pad;
  const int panel_h = static_cast<int>(lines.size()) * line + 2 * pad;
  blend_rect(image, 0, 0, panel_w, panel_h, kPanel, kPanelAlpha);
  for (size_t i = 0; i < lines.size(); ++i) draw_text(image, pad, pad + static_cast<int>(i) * line, lines[i], kText, s);

  // Driver inputs, bottom left: steer centred, gas and brake from zero.
  const int bar_w = compact ? 40 : 60 * s, bar_h = compact ? 3 : 4 * s;
  const int label_w = compact ? 0 : text_width("brake ", s);
  // Rows as tall as a text line when labelled, so labels never overlap.
  const int row_h = compact ? bar_h + pad : std::max(bar_h + pad, 9 * s);
  const int rows = 3, block_h = rows * row_h + pad;
  const int by = image.height - block_h;
  blend_rect(image, 0, by, label_w + bar_w + 2 * pad, block_h, kPanel, kPanelAlpha);
  const char* labels[rows] = {"steer", "gas", "brake"};
  const float values[rows] = {hud.action.steer, hud.action.gas, hud.action.brake};
  const sim::Color colors[rows] = {kSteerColor, kGasColor, kBrakeColor};
  for (int i = 0; i < rows; ++i) {
    const int y = by + pad + i * row_h;
    if (!compact) draw_text(image, pad, y, labels[i], kText, s);
    draw_bar(image, pad + label_w, y + (row_h - pad - bar_h) / 2, bar_w, bar_h, values[i], i == 0, colors[i]);
  }

  // Viewer state, top right.
  if (compact) return;
  std::string status = hud.driver;
  if (!hud.camera.empty()) status += "  " + hud.camera;
  if (hud.speed_multiplier != 1) status += "  x" + format(hud.speed_multiplier < 1 ? "%.2g" : "%.0f", hud.speed_multiplier);
  if (hud.paused) status += "  PAUSED";
  if (!hud.hint.empty()) status += "  " + hud.hint;
  const int sw = text_width(status, s) + 2 * pad;
  blend_rect(image, image.width - sw, 0, sw, line + 2 * pad, kPanel, kPanelAlpha);
  draw_text(image, image.width - sw + pad, pad, status, kText, s);
}

void draw_key_legend(raster::Image& image, const std::string& title, const KeyLegend& keys) {
  const int s = hud_text_scale(image);
  const int pad = 6 * s, line = 10 * s;
  int key_w = 0, desc_w = text_width(title, s);
  for (const auto& [key, desc] : keys) {
    key_w = std::max(key_w, text_width(key, s));
    desc_w = std::max(desc_w, text_width(desc, s));
  }
  const int gap = 4 * s;
  const int w = key_w + gap + desc_w + 2 * pad;
  const int h = (static_cast<int>(keys.size()) + 2) * line + 2 * pad;
  // Top right under the status line rather than centred: the follow camera puts the car in the middle
  // of the image and the rotating one near the bottom.
  const int margin = 4 * s, status_h = 16 * s;
  const int x = std::max(0, image.width - w - margin), y = status_h + margin;
  blend_rect(image, x, y, w, h, kPanel, 0.75f);
  draw_text(image, x + pad, y + pad, title, kText, s);
  for (size_t i = 0; i < keys.size(); ++i) {
    const int ly = y + pad + static_cast<int>(i + 2) * line;
    draw_text(image, x + pad, ly, keys[i].first, sim::Color{255, 220, 90}, s);
    draw_text(image, x + pad + key_w + gap, ly, keys[i].second, kText, s);
  }
}

}  // namespace dl::video
