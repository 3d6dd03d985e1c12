#!/usr/bin/env python3
"""Summarises the memory proof (tools/memory_proof.sh): per env and policy, the mean and 95 % CI over seeds
of the final test return (`drivelab eval --json` of each run's last checkpoint), of the evaluations during
training (metrics.csv `eval/return_mean`) and of the wall time; writes a markdown table to stdout and, per
env, a metrics.csv-shaped file per policy (mean, CI low, CI high at each evaluation step) that
`drivelab plot` draws.

    tools/memory_proof.py ROOT     # ROOT/<env>/<policy>/seed<k>/{eval.json, wall_s, run/metrics.csv}

Standard library only (the machine has no numpy): Student's t for the CI of a mean.
"""
import json
import math
import os
import sys

# Two-sided 95 % critical values of Student's t by degrees of freedom.
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
       10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101,
       19: 2.093, 29: 2.045}


def t95(df):
    if df in T95:
        return T95[df]
    below = [d for d in T95 if d <= df]
    return T95[max(below)] if below else T95[1]


def mean_ci(values):
    n = len(values)
    m = sum(values) / n
    if n < 2:
        return m, float("nan")
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    return m, t95(n - 1) * sd / math.sqrt(n)


def eval_curve(metrics_csv):
    curve = {}
    with open(metrics_csv) as f:
        next(f)
        for line in f:
            parts = line.rstrip("\n").split(",")
            if len(parts) == 4 and parts[2] == "eval/return_mean":
                curve[int(parts[0])] = float(parts[3])
    return curve


def main():
    root = sys.argv[1]
    lap_rows, lap_means = [], []
    print("| env | policy | seeds | final test return, mean (95 % CI) | per seed | wall time per run, mean (s) |")
    print("|---|---|---|---|---|---|")
    for env in sorted(os.listdir(root)):
        env_dir = os.path.join(root, env)
        if not os.path.isdir(env_dir):
            continue
        for policy in ("mlp", "lstm", "gtrxl"):
            pol_dir = os.path.join(env_dir, policy)
            if not os.path.isdir(pol_dir):
                continue
            finals, walls, curves, lap1, later = [], [], [], [], []
            seeds = sorted(os.listdir(pol_dir), key=lambda n: (len(n), n))  # seed2 before seed10
            for seed in seeds:
                d = os.path.join(pol_dir, seed)
                try:
                    with open(os.path.join(d, "eval.json")) as f:
                        ev = json.load(f)
                    finals.append(ev["return_mean"])
                    # Multi-lap envs (track-laps): lap 1 against laps 2+ on the episodes that drove 2 or more.
                    if ev.get("later_lap_time_mean_s", -1) >= 0:
                        lap1.append(ev["lap1_time_mean_s_multi"])
                        later.append(ev["later_lap_time_mean_s"])
                        lap_rows.append((env, policy, seed, ev["lap1_time_mean_s_multi"], ev["later_lap_time_mean_s"],
                                         sum(1 for t in ev["later_lap_times_s"] if t >= 0), len(ev["later_lap_times_s"])))
                    with open(os.path.join(d, "wall_s")) as f:
                        walls.append(float(f.read()))
                    curves.append(eval_curve(os.path.join(d, "run", "metrics.csv")))
                except (OSError, KeyError, ValueError) as e:
                    print(f"<!-- {d}: skipped ({e}) -->")
            if not finals:
                continue
            if lap1:
                lap_means.append((env, policy, len(lap1), len(finals), mean_ci(lap1), mean_ci(later),
                                  mean_ci([b - a for a, b in zip(lap1, later)])))
            m, ci = mean_ci(finals)
            per_seed = ", ".join(f"{v:.0f}" for v in finals)
            print(f"| {env} | {policy} | {len(finals)} | {m:.1f} ({m - ci:.1f} .. {m + ci:.1f}) | {per_seed} | "
                  f"{sum(walls) / len(walls):.0f} |")
            steps = sorted(set.intersection(*(set(c) for c in curves))) if curves else []
            rows = []
            for s in steps:
                cm, cci = mean_ci([c[s] for c in curves])
                cci = 0.0 if math.isnan(cci) else cci
                rows += [(s, f"{policy} mean", cm), (s, f"{policy} ci low", cm - cci), (s, f"{policy} ci high", cm + cci)]
            for label in ("mean", "ci low", "ci high"):
                path = os.path.join(env_dir, f"curve_{policy}_{label.replace(' ', '_')}.csv")
                with open(path + ".tmp", "w") as f:
                    f.write("step,wall_s,name,value\n")
                    for s, name, v in rows:
                        if name.endswith(label):
                            f.write(f"{s},0,eval/return_mean,{v}\n")
                os.replace(path + ".tmp", path)

    if lap_means:
        print()
        print("| env | policy | seeds with 2+ laps | lap 1 (s) | laps 2+ (s) | laps 2+ minus lap 1 (s) |")
        print("|---|---|---|---|---|---|")
        for env, policy, n, total, a, b, d in lap_means:
            cells = " | ".join(f"{m:.1f} ({m - ci:.1f} .. {m + ci:.1f})" for m, ci in (a, b, d))
            print(f"| {env} | {policy} | {n} of {total} | {cells} |")
    if lap_rows:
        print()
        print("| env | policy | seed | lap 1 (s) | laps 2+ (s) | episodes with 2+ laps |")
        print("|---|---|---|---|---|---|")
        for env, policy, seed, a, b, n, total in lap_rows:
            print(f"| {env} | {policy} | {seed} | {a:.1f} | {b:.1f} | {n} of {total} |")


if __name__ == "__main__":
    main()
