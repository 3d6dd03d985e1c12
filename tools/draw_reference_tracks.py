#!/usr/bin/env python3
"""Hand-drawn reference layouts: tracks/reference/*.track, for `drivelab tracks show --preset circuit
--reference tracks/reference` and `drivelab eval RUN --track-files tracks/reference`.

Each layout is a closed polygon we placed by hand, with a corner radius chosen by hand at each vertex;
every corner is rounded by a circular arc (as road designers draw circuits) and the straights are what
is left of the edges. Written as track files (docs/track_format.md, version 1: x y width) with points
evenly spaced about 6 m apart. Run from the repository root: python3 tools/draw_reference_tracks.py
"""
import math
import os

LAYOUTS = {
    # name: (width_m, [(x, y, corner radius), ...] counter-clockwise)
    "oval": (14, [(0, 0, 160), (900, 0, 160), (900, 320, 160), (0, 320, 160)]),
    "hairpins": (12, [(0, 0, 40), (1200, 0, 15), (1150, 150, 60), (700, 230, 90), (300, 180, 14),
                      (520, 330, 30), (380, 520, 25), (-120, 420, 70)]),
    "stadium": (13, [(0, 0, 25), (650, 0, 90), (900, 180, 120), (780, 420, 20), (560, 300, 18),
                     (420, 470, 35), (120, 430, 60), (-60, 220, 22)]),
    "club": (11, [(0, 0, 20), (420, 0, 45), (520, 160, 15), (340, 180, 15), (300, 320, 30),
                  (60, 330, 18), (110, 170, 16), (-40, 120, 25)]),
}


def unit(dx, dy):
    n = math.hypot(dx, dy)
    return dx / n, dy / n


def trace(vertices, step=2.0):
    n = len(vertices)
    corners = []
    for i, (x, y, r) in enumerate(vertices):
        px, py, _ = vertices[i - 1]
        nx, ny, _ = vertices[(i + 1) % n]
        din = unit(x - px, y - py)
        dout = unit(nx - x, ny - y)
        turn = math.atan2(din[0] * dout[1] - din[1] * dout[0], din[0] * dout[0] + din[1] * dout[1])
        t = r * math.tan(abs(turn) / 2)
        corners.append((x, y, r, din, dout, turn, t))
    for i in range(n):
        a, b = corners[i], corners[(i + 1) % n]
        edge = math.hypot(b[0] - a[0], b[1] - a[1])
        assert a[6] + b[6] < edge, f"corners {i} and {i + 1} overlap: lower their radii"
    points = []
    for i in range(n):
        x, y, r, din, dout, turn, t = corners[i]
        sx, sy = x - din[0] * t, y - din[1] * t
        sign = 1 if turn >= 0 else -1
        cx, cy = sx - din[1] * sign * r, sy + din[0] * sign * r
        a0 = math.atan2(sy - cy, sx - cx)
        steps = max(2, int(math.ceil(abs(turn) * r / step)))
        for k in range(steps):
            a = a0 + turn * k / steps
            points.append((cx + r * math.cos(a), cy + r * math.sin(a)))
        ex, ey = x + dout[0] * t, y + dout[1] * t
        nxt = corners[(i + 1) % n]
        tx, ty = nxt[0] - nxt[3][0] * nxt[6], nxt[1] - nxt[3][1] * nxt[6]
        length = math.hypot(tx - ex, ty - ey)
        for k in range(int(length // step)):
            points.append((ex + (tx - ex) * k * step / length, ey + (ty - ey) * k * step / length))
    return points


def resample(points, spacing=6.0):
    closed = points + [points[0]]
    seg = [math.dist(closed[i], closed[i + 1]) for i in range(len(points))]
    total = sum(seg)
    count = max(8, round(total / spacing))
    out, i, start = [], 0, 0.0
    for k in range(count):
        s = total * k / count
        while start + seg[i] < s:
            start += seg[i]
            i += 1
        t = (s - start) / seg[i]
        (x0, y0), (x1, y1) = closed[i], closed[i + 1]
        out.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
    return out, total


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tracks", "reference")
    os.makedirs(out_dir, exist_ok=True)
    for name, (width, vertices) in LAYOUTS.items():
        points, length = resample(trace(vertices))
        with open(os.path.join(out_dir, name + ".track"), "w") as f:
            f.write("drivelab-track 1\n# hand-drawn reference layout '%s' (tools/draw_reference_tracks.py)\n" % name)
            for x, y in points:
                f.write("%.3f %.3f %.2f\n" % (x, y, width))
        print("%-9s %5.0f m, %d points" % (name, length, len(points)))


if __name__ == "__main__":
    main()
