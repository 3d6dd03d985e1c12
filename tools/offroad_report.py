#!/usr/bin/env python3
"""Where does a policy leave the road? Reads a DLDS dataset of `track` episodes (docs/dataset_format.md)
recorded by `drivelab collect --policy RUN ...` and prints, per episode: return, lap, the first step with
|lateral offset| > 1 (off the road), the speed then, the tightest bend radius seen ahead in the second
before, the top speed, lap progress then and at most, and the share of the remaining steps (from 50 on
after leaving) spent standing still (< 1 m/s).

Usage: tools/offroad_report.py DATA.dlds [--rays 16] [--widths]
(--widths for runs with env.lookahead.widths=true; stdlib only.)"""
import argparse, array, io, struct

SPEED_SCALE = 30.0   # observation speed / 30 m/s (docs/envs.md)


def rd(f, fmt):
    return struct.unpack('<' + fmt, f.read(struct.calcsize('<' + fmt)))


def rstr(f):
    (n,) = rd(f, 'I')
    return f.read(n).decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dataset')
    ap.add_argument('--rays', type=int, default=16)
    ap.add_argument('--widths', action='store_true')
    args = ap.parse_args()
    f = open(args.dataset, 'rb')
    if f.read(4) != b'DLDS':
        raise SystemExit(args.dataset + ': not a drivelab dataset')
    rd(f, 'I')
    (spec_bytes,) = rd(f, 'Q')
    rd(f, 'I')
    spec = f.read(spec_bytes)
    if spec[0] != 0 or struct.unpack_from('<I', spec, 1)[0] != 1:
        raise SystemExit(args.dataset + ': not a float vector observation')
    D = struct.unpack_from('<q', spec, 5)[0]
    R = args.rays
    K = (D - R - 11) // (2 if args.widths else 1)   # look-ahead values
    print('return lap first_off speed_off min_radius_m top_speed progress_off progress_max parked_after')
    while f.read(4) == b'CHNK':
        (payload_bytes,) = rd(f, 'Q')
        rd(f, 'I')
        g = io.BytesIO(f.read(payload_bytes))
        _, T = rd(g, 'QQ')
        (ret,) = rd(g, 'd')
        rd(g, 'Q')
        (flags,) = rd(g, 'I')
        rstr(g)
        rstr(g)
        a = array.array('f')
        a.frombytes(g.read((T + 1) * D * 4))
        obs = [a[i * D:(i + 1) * D] for i in range(T + 1)]
        speed = [o[R] * SPEED_SCALE for o in obs]
        lateral = [o[R + 8] for o in obs]
        progress = [o[-1] for o in obs]
        sharpest = [max(abs(c) for c in o[R + 10:R + 10 + K]) / 10 for o in obs]  # curvature x 10 m
        off = next((i for i in range(T + 1) if abs(lateral[i]) > 1), -1)
        if off < 0:
            print('%7.1f %d %5d %5s %7s %5.1f %4s %.2f %4s' % (ret, flags & 1, -1, '-', '-', max(speed), '-', max(progress), '-'))
            continue
        k = max(sharpest[max(0, off - 25):off + 1])
        rest = speed[off + 50:]
        parked = sum(1 for v in rest if abs(v) < 1) / len(rest) if rest else 0
        print('%7.1f %d %5d %5.1f %7.1f %5.1f %.2f %.2f %.2f' % (ret, flags & 1, off, max(speed[max(0, off - 5):off + 1]),
              1 / max(k, 1e-4), max(speed), progress[off], max(progress), parked))


if __name__ == '__main__':
    main()
