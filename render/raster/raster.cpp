// Scanline rasterizer for draw lists. Pixel centres are sampled (a pixel is covered when its centre is
// inside), so adjacent polygons sharing an edge neither overlap nor leave gaps.
#include "render/raster/raster.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "io/files.h"

namespace dl::raster {
namespace {

using sim::Color;
using sim::Vec2;

// Polygons with more points than this go through a heap buffer (the sim never makes any).
constexpr int kStackPoints = 64;
// Lines thinner than a pixel would vanish between pixel centres; draw them a pixel wide.
constexpr float kMinLineWidth_px = 1.0f;

struct Target {
  int width, height;
  uint8_t* rgb;
};

struct Transform {
  float c, s, ppm, ox, oy;
  Vec2 center;
  Vec2 to_screen(Vec2 p) const {
    const Vec2 d = p - center;
    return {ox + (d.x * c + d.y * s) * ppm, oy - (-d.x * s + d.y * c) * ppm};
  }
  Vec2 to_world(Vec2 q) const {
    const float x = (q.x - ox) / ppm, y = (oy - q.y) / ppm;
    return {center.x + x * c - y * s, center.y + x * s + y * c};
  }
};

struct Box {
  float x0, y0, x1, y1;
  bool overlaps(const Box& o) const { return x0 <= o.x1 && o.x0 <= x1 && y0 <= o.y1 && o.y0 <= y1; }
};

Box bounds(const Vec2* p, int n) {
  Box b{p[0].x, p[0].y, p[0].x, p[0].y};
  for (int i = 1; i < n; ++i) {
    b.x0 = std::min(b.x0, p[i].x), b.x1 = std::max(b.x1, p[i].x);
    b.y0 = std::min(b.y0, p[i].y), b.y1 = std::max(b.y1, p[i].y);
  }
  return b;
}

// Spans are written in 16-pixel chunks from a pattern prepared once per primitive: byte-by-byte RGB
// stores, and rebuilding the pattern per span, were the rasterizer's main costs.
struct Paint {
  static constexpr int kChunk = 16;
  uint8_t pattern[kChunk * 3];
  explicit Paint(Color c) {
    for (int i = 0; i < kChunk; ++i) pattern[3 * i] = c.r, pattern[3 * i + 1] = c.g, pattern[3 * i + 2] = c.b;
  }
};

// ceil(v) as an int within [lo, hi]: clamped before the conversion, so coordinates far off screen (or
// NaN, which goes to lo) never overflow an int.
int ceil_clamped(float v, int lo, int hi) {
  const float c = std::ceil(v);
  if (!(c >= static_cast<float>(lo))) return lo;
  if (c >= static_cast<float>(hi)) return hi;
  return static_cast<int>(c);
}
int floor_clamped(float v, int lo, int hi) {
  const float f = std::floor(v);
  if (!(f >= static_cast<float>(lo))) return lo;
  if (f >= static_cast<float>(hi)) return hi;
  return static_cast<int>(f);
}

void fill_span(const Target& t, int y, float xa, float xb, const Paint& paint) {
  const int x0 = ceil_clamped(xa - 0.5f, 0, t.width);
  const int x1 = ceil_clamped(xb - 0.5f, 0, t.width);
  if (x1 <= x0) return;
  uint8_t* px = t.rgb + (static_cast<size_t>(y) * t.width + x0) * 3;
  int left = x1 - x0;
  for (; left >= Paint::kChunk; left -= Paint::kChunk, px += Paint::kChunk * 3) std::memcpy(px, paint.pattern, Paint::kChunk * 3);
  std::memcpy(px, paint.pattern, static_cast<size_t>(left) * 3);
}

// Even-odd scanline fill of a polygon already in screen coordinates; handles concave simple polygons.
void fill_polygon(const Target& t, const Vec2* p, int n, Color c) {
  const Box b = bounds(p, n);
  const int y0 = ceil_clamped(b.y0 - 0.5f, 0, t.height);
  const int y1 = floor_clamped(b.y1 - 0.5f, -1, t.height - 1);
  float xs[kStackPoints];
  std::vector<float> heap;
  const Paint paint(c);
  float* cross = n <= kStackPoints ? xs : (heap.resize(n), heap.data());
  for (int y = y0; y <= y1; ++y) {
    const float yc = y + 0.5f;
    int k = 0;
    for (int i = 0, j = n - 1; i < n; j = i++) {
      if ((p[i].y <= yc) != (p[j].y <= yc)) cross[k++] = p[i].x + (yc - p[i].y) * (p[j].x - p[i].x) / (p[j].y - p[i].y);
    }
    std::sort(cross, cross + k);
    for (int m = 0; m + 1 < k; m += 2) fill_span(t, y, cross[m], cross[m + 1], paint);
  }
}

void draw_polygon(const Target& t, const Transform& tf, const Box& view, const Vec2* world, int n, Color c) {
  if (n < 3 || !bounds(world, n).overlaps(view)) return;
  Vec2 buf[kStackPoints];
  std::vector<Vec2> heap;
  Vec2* screen = n <= kStackPoints ? buf : (heap.resize(n), heap.data());
  for (int i = 0; i < n; ++i) screen[i] = tf.to_screen(world[i]);
  fill_polygon(t, screen, n, c);
}

void draw_line(const Target& t, const Transform& tf, const Box& view, const sim::DrawLine& l) {
  const float half_m = 0.5f * l.width_m;
  const Box lb{std::min(l.a.x, l.b.x) - half_m, std::min(l.a.y, l.b.y) - half_m, std::max(l.a.x, l.b.x) + half_m,
               std::max(l.a.y, l.b.y) + half_m};
  if (!lb.overlaps(view)) return;
  const Vec2 a = tf.to_screen(l.a), b = tf.to_screen(l.b);
  const Vec2 d = b - a;
  const float len = d.length();
  if (len < 1e-6f) return;
  const float half_px = 0.5f * std::max(l.width_m * tf.ppm, kMinLineWidth_px);
  const Vec2 n = Vec2{-d.y, d.x} * (half_px / len);
  const Vec2 q[4] = {a + n, b + n, b - n, a - n};
  fill_polygon(t, q, 4, l.color);
}

void draw_circle(const Target& t, const Transform& tf, const Box& view, const sim::DrawCircle& ci) {
  const float r = ci.radius_m;
  if (!Box{ci.center.x - r, ci.center.y - r, ci.center.x + r, ci.center.y + r}.overlaps(view)) return;
  const Vec2 c = tf.to_screen(ci.center);
  const float r_px = r * tf.ppm;
  const Paint paint(ci.color);
  const int y0 = ceil_clamped(c.y - r_px - 0.5f, 0, t.height);
  const int y1 = floor_clamped(c.y + r_px - 0.5f, -1, t.height - 1);
  for (int y = y0; y <= y1; ++y) {
    const float dy = y + 0.5f - c.y;
    const float half = std::sqrt(std::max(0.f, r_px * r_px - dy * dy));
    fill_span(t, y, c.x - half, c.x + half, paint);
  }
}

Transform make_transform(const Camera& cam, int width, int height) {
  return {std::cos(cam.angle_rad), std::sin(cam.angle_rad), cam.pixels_per_m, cam.anchor_x * width,
          cam.anchor_y * height, cam.center_m};
}

// The world-space box around what the camera sees, for culling.
Box view_box(const Transform& tf, int width, int height) {
  const Vec2 corners[4] = {tf.to_world({0, 0}), tf.to_world({float(width), 0}), tf.to_world({0, float(height)}),
                           tf.to_world({float(width), float(height)})};
  return bounds(corners, 4);
}

// The checkerboard's squares that can touch the view, as polygons: the same corners, in the same
// arithmetic, as a list holding every square would have, so the pixels are the same. Squares under a
// pixel wide are skipped (they would only be noise; a zoomed-out view of a huge playfield would
// otherwise cost one polygon per square).
void draw_checker(const Target& t, const Transform& tf, const Box& view, const sim::DrawChecker& ch) {
  if (ch.columns <= 0 || ch.rows <= 0 || !(ch.square_m > 0) || !(ch.square_m * tf.ppm >= 1)) return;
  const auto index = [&](float v, float origin, int count) {
    const double i = std::floor((static_cast<double>(v) - origin) / ch.square_m);
    if (!(i >= -1)) return -1;  // NaN too
    return static_cast<int>(std::min(i, static_cast<double>(count)));
  };
  const int i0 = std::max(0, index(view.x0, ch.origin.x, ch.columns) - 1), i1 = std::min(ch.columns - 1, index(view.x1, ch.origin.x, ch.columns) + 1);
  const int j0 = std::max(0, index(view.y0, ch.origin.y, ch.rows) - 1), j1 = std::min(ch.rows - 1, index(view.y1, ch.origin.y, ch.rows) + 1);
  for (int j = j0; j <= j1; ++j)
    for (int i = i0 + ((i0 + j) % 2); i <= i1; i += 2) {
      const float x = ch.origin.x + i * ch.square_m, y = ch.origin.y + j * ch.square_m;
      const Vec2 pts[4] = {{x, y}, {x + ch.square_m, y}, {x + ch.square_m, y + ch.square_m}, {x, y + ch.square_m}};
      draw_polygon(t, tf, view, pts, 4, ch.color);
    }
}

}  // namespace

Camera ego_camera(sim::Vec2 car_position_m, float car_heading_rad, float pixels_per_m) {
  Camera cam;
  cam.center_m = car_position_m;
  cam.angle_rad = car_heading_rad - 1.5707963267948966f;
  cam.pixels_per_m = pixels_per_m;
  cam.anchor_x = 0.5f;
  cam.anchor_y = 0.75f;
  return cam;
}

void rasterize(const sim::DrawList& list, const Camera& camera, int width, int height, uint8_t* rgb) {
  const Target t{width, height, rgb};
  if (width <= 0 || height <= 0) return;
  fill_span(t, 0, 0, static_cast<float>(width), Paint(list.clear));
  const size_t row_bytes = static_cast<size_t>(width) * 3;
  for (int y = 1; y < height; ++y) std::copy_n(rgb, row_bytes, rgb + y * row_bytes);
  const Transform tf = make_transform(camera, width, height);
  const Box view = view_box(tf, width, height);
  draw_checker(t, tf, view, list.checker);
  for (const sim::DrawPolygon& p : list.polygons)
    draw_polygon(t, tf, view, list.points.data() + p.first, static_cast<int>(p.count), p.color);
  for (const sim::DrawLine& l : list.lines) draw_line(t, tf, view, l);
  for (const sim::DrawCircle& c : list.circles) draw_circle(t, tf, view, c);
}

Image render(const sim::DrawList& list, const Camera& camera, int width, int height) {
  Image img;
  img.width = width;
  img.height = height;
  img.rgb.resize(static_cast<size_t>(width) * height * 3);
  rasterize(list, camera, width, height, img.rgb.data());
  return img;
}

void write_ppm(const Image& image, const std::string& path) {
  std::string content = "P6\n" + std::to_string(image.width) + " " + std::to_string(image.height) + "\n255\n";
  content.append(reinterpret_cast<const char*>(image.rgb.data()), image.rgb.size());
  io::write_file_atomic(path, content);
}

}  // namespace dl::raster
