#!/usr/bin/env python3
"""Hand-drawn reference layouts for `drivelab tracks show --preset circuit --reference DIR`.

Each layout is a closed polygon we placed by hand, with a corner radius chosen by hand at each vertex;
every corner is rounded by a circular arc (as road designers draw circuits) and the straights are what
is left of the edges. Written as racing-line CSV (x_m,y_m,w_tr_right_m,w_tr_left_m), points every 2 m,
which `drivelab tracks import` reads. Run: python3 tracks/reference/draw.py (writes the .csv files here).
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


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for name, (width, vertices) in LAYOUTS.items():
        points = trace(vertices)
        with open(os.path.join(here, name + ".csv"), "w") as f:
            f.write("# x_m,y_m,w_tr_right_m,w_tr_left_m  hand-drawn reference layout '%s'\n" % name)
            for x, y in points:
                f.write("%.3f,%.3f,%.2f,%.2f\n" % (x, y, width / 2, width / 2))
        length = sum(math.dist(points[i], points[(i + 1) % len(points)]) for i in range(len(points)))
        print("%-9s %5.0f m, %d points" % (name, length, len(points)))


if __name__ == "__main__":
    main()
