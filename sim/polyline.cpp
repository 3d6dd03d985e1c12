#include "sim/polyline.h"

namespace dl::sim {
namespace {

Vec2 bspline(Vec2 p0, Vec2 p1, Vec2 p2, Vec2 p3, float t) {
  const float t2 = t * t, t3 = t2 * t, u = 1 - t;
  const float a = u * u * u / 6;
  const float b = (3 * t3 - 6 * t2 + 4) / 6;
  const float c = (-3 * t3 + 3 * t2 + 3 * t + 1) / 6;
  const float d = t3 / 6;
  return p0 * a + p1 * b + p2 * c + p3 * d;
}

}  // namespace

std::vector<Vec2> closed_bspline(const std::vector<Vec2>& control, int samples_per_span) {
  const int n = static_cast<int>(control.size());
  std::vector<Vec2> out;
  out.reserve(static_cast<size_t>(n) * samples_per_span);
  for (int i = 0; i < n; ++i) {
    const Vec2 p0 = control[(i + n - 1) % n], p1 = control[i], p2 = control[(i + 1) % n],
               p3 = control[(i + 2) % n];
    for (int k = 0; k < samples_per_span; ++k)
      out.push_back(bspline(p0, p1, p2, p3, k / float(samples_per_span)));
  }
  return out;
}

double closed_length(const std::vector<Vec2>& poly) {
  double total = 0;
  for (size_t i = 0; i < poly.size(); ++i) total += (poly[(i + 1) % poly.size()] - poly[i]).length();
  return total;
}

std::vector<Vec2> resample_closed(const std::vector<Vec2>& poly, int count) {
  const int n = static_cast<int>(poly.size());
  std::vector<double> cum(n + 1, 0.0);
  for (int i = 0; i < n; ++i) cum[i + 1] = cum[i] + (poly[(i + 1) % n] - poly[i]).length();
  const double step = cum[n] / count;
  std::vector<Vec2> out(count);
  int seg = 0;
  for (int k = 0; k < count; ++k) {
    const double s = k * step;
    while (seg < n - 1 && cum[seg + 1] < s) ++seg;
    const double len = cum[seg + 1] - cum[seg];
    const float t = len > 0 ? static_cast<float>((s - cum[seg]) / len) : 0.f;
    out[k] = poly[seg] + (poly[(seg + 1) % n] - poly[seg]) * t;
  }
  return out;
}

}  // namespace dl::sim
