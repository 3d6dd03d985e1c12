// drivelab/sim: the draw list. The simulator describes a frame as primitives in world coordinates; it
// never knows who draws them (the rasterizer for pixel observations and videos, SDL for the window).
#pragma once
#include <cstdint>
#include <vector>

#include "sim/geometry.h"

namespace dl::sim {

struct DrawPolygon {
  uint32_t first = 0, count = 0;  // range in DrawList::points (convex or simple polygon, any winding)
  Color color;
};
struct DrawLine {
  Vec2 a, b;
  float width_m = 0.2f;
  Color color;
};
struct DrawCircle {
  Vec2 center;
  float radius_m = 1;
  Color color;
};

// A checkerboard: the squares (i, j) with 0 <= i < columns, 0 <= j < rows and i + j even, each square_m
// wide, square (0, 0) with its lower left corner at origin. Drawn before every polygon. It stands for
// columns * rows / 2 squares in a few bytes: a renderer expands only the squares in its view, so a draw
// list's size does not grow with the empty area around a track.
struct DrawChecker {
  Vec2 origin;
  float square_m = 20;
  int columns = 0, rows = 0;  // 0: no checkerboard
  Color color;
};

// Palette used by the sim; randomizable (domain randomization of looks).
struct Palette {
  Color background{102, 204, 102};  // grass
  Color grass_stripe{102, 230, 102};
  Color road{102, 102, 102};
  Color road_alt{106, 106, 106};  // alternate tiles, as CarRacing shades them
  Color kerb_a{255, 255, 255};
  Color kerb_b{255, 0, 0};
  Color wall{40, 40, 40};
  Color car{204, 0, 0};
  Color wheel{0, 0, 0};
  Color traffic_car{0, 60, 200};
  Color obstacle{230, 180, 30};
  Color lidar{255, 255, 0};
};

struct DrawList {
  DrawChecker checker;                // drawn first
  std::vector<Vec2> points;
  std::vector<DrawPolygon> polygons;  // drawn in order, before lines and circles
  std::vector<DrawLine> lines;
  std::vector<DrawCircle> circles;
  Color clear{102, 204, 102};

  void clear_all() {
    checker = {};
    points.clear();
    polygons.clear();
    lines.clear();
    circles.clear();
  }
  void polygon(const Vec2* pts, uint32_t n, Color c) {
    polygons.push_back({static_cast<uint32_t>(points.size()), n, c});
    points.insert(points.end(), pts, pts + n);
  }
};

}  // namespace dl::sim
