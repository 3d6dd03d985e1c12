#include "sim/track_query.h"

#include <algorithm>
#include <cmath>

namespace dl::sim {

void TrackQuery::build(const Track* track) {
  track_ = track;
  const int n = track->num_tiles();
  dir_.resize(n);
  len_.resize(n);
  kerb_side_.assign(n, 0);
  for (int i = 0; i < n; ++i) {
    const Vec2 d = track->center[(i + 1) % n] - track->center[i];
    len_[i] = d.length();
    dir_[i] = len_[i] > 0 ? d * (1.f / len_[i]) : Vec2{1, 0};
    // Kerbs sit where a car running wide leaves the road: outside the bend, right of a left bend.
    const float bend = track->curvature[i] + track->curvature[(i + 1) % n];
    if (track->kerb[i]) kerb_side_[i] = bend > 0 ? -1 : 1;
  }
  grid_.build_closed(track->center);
}

float TrackQuery::distance2(Vec2 p, int i) const {
  const Vec2 rel = p - track_->center[i];
  const float along = std::clamp(rel.dot(dir_[i]), 0.f, len_[i]);
  const Vec2 off = rel - dir_[i] * along;
  return off.dot(off);
}

TrackProjection TrackQuery::project(Vec2 p, int i) const {
  const int n = track_->num_tiles();
  const Vec2 rel = p - track_->center[i];
  const float along = std::clamp(rel.dot(dir_[i]), 0.f, len_[i]);
  TrackProjection pr;
  pr.segment = i;
  pr.t = len_[i] > 0 ? along / len_[i] : 0.f;
  pr.distance_m = std::sqrt(distance2(p, i));
  pr.lateral_m = std::copysign(pr.distance_m, dir_[i].cross(rel));
  pr.half_width_m = 0.5f * (track_->width[i] + (track_->width[(i + 1) % n] - track_->width[i]) * pr.t);
  pr.arc_m = track_->arc_length[i] + along;
  return pr;
}

int TrackQuery::nearest_local(Vec2 p, int hint) const {
  const int n = track_->num_tiles();
  int best = hint;
  float best_d = distance2(p, best);
  for (int dir : {1, -1}) {
    for (int steps = 0; steps < n; ++steps) {
      const int next = (best + dir + n) % n;
      const float d = distance2(p, next);
      if (d >= best_d) break;
      best = next;
      best_d = d;
    }
  }
  return best;
}

int TrackQuery::nearest_global(Vec2 p) const {
  // The grid finds the nearest segment; the segments within a hair of it are then compared with this
  // class's own distance, so the answer is exactly the brute-force one (ties to the lowest index).
  float grid_d = 0;
  const int grid_best = grid_.nearest(p, &grid_d);
  if (grid_best < 0 || !std::isfinite(grid_d)) return 0;
  grid_.segments_near(p, grid_d * 1.0001f + 1e-3f, candidates_);
  int best = grid_best;
  float best_d = distance2(p, best);
  for (int i : candidates_) {
    const float d = distance2(p, i);
    if (d < best_d || (d == best_d && i < best)) best = i, best_d = d;
  }
  return best;
}

int TrackQuery::nearest(Vec2 p, int hint) const {
  const int local = nearest_local(p, hint);
  const float d = std::sqrt(distance2(p, local));
  if (d <= 0.5f * track_->width[local]) return local;
  return nearest_global(p);
}

Surface TrackQuery::surface(const TrackProjection& pr) const {
  const float off = std::fabs(pr.lateral_m);
  if (off > pr.half_width_m) return Surface::grass;
  const bool kerb_here = kerb_side_[pr.segment] != 0 && (pr.lateral_m > 0) == (kerb_side_[pr.segment] > 0);
  if (kerb_here && off >= pr.half_width_m - kKerbWidth_m) return Surface::kerb;
  return Surface::road;
}

int TrackQuery::segment_at(float arc_m) const {
  const float L = track_->length_m;
  arc_m = std::fmod(arc_m, L);
  if (arc_m < 0) arc_m += L;
  const auto& s = track_->arc_length;
  const int i = static_cast<int>(std::upper_bound(s.begin(), s.end(), arc_m) - s.begin()) - 1;
  return std::clamp(i, 0, track_->num_tiles() - 1);
}

Vec2 TrackQuery::point_at(float arc_m, float lateral_m) const {
  const float L = track_->length_m;
  arc_m = std::fmod(arc_m, L);
  if (arc_m < 0) arc_m += L;
  const int i = segment_at(arc_m);
  const float along = std::min(arc_m - track_->arc_length[i], len_[i]);
  const Vec2 left{-dir_[i].y, dir_[i].x};
  return track_->center[i] + dir_[i] * along + left * lateral_m;
}

}  // namespace dl::sim
