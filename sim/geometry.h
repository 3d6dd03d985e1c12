// drivelab/sim: small value types shared by every sim module. Units: metres, seconds, radians.
#pragma once
#include <cmath>
#include <cstdint>

namespace dl::sim {

struct Vec2 {
  float x = 0, y = 0;
  Vec2 operator+(Vec2 o) const { return {x + o.x, y + o.y}; }
  Vec2 operator-(Vec2 o) const { return {x - o.x, y - o.y}; }
  Vec2 operator*(float s) const { return {x * s, y * s}; }
  float dot(Vec2 o) const { return x * o.x + y * o.y; }
  float cross(Vec2 o) const { return x * o.y - y * o.x; }
  float length() const { return std::sqrt(x * x + y * y); }
};

// An angle brought into [-pi, pi].
inline float wrap_angle(float a) { return std::remainder(a, 2 * 3.14159265358979f); }

struct Color {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Color&) const = default;
};

}  // namespace dl::sim
