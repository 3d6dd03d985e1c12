#!/usr/bin/env python3
"""Kill `drivelab train` with SIGKILL at random points, resume it each time, and check the record.

A tiny PPO run that writes a checkpoint (and so flushes metrics.csv) after every update is started, killed
after a random delay, and resumed with `--resume` until it finishes; the first kill may come before the
first checkpoint (the resume then starts the run cleanly). The finished run's metrics.csv must have:
  - no repeated (step, name) row and no step going backwards;
  - exactly the (step, name) rows of losses/* and charts/SPS that an uninterrupted run of the same config
    logs (updates happen at the same steps whatever the kills; episodic returns may differ, since a
    resumed run starts fresh episodes);
  - the last step equal to train.total_steps;
and no temp file may be left in the run folder.

  tests/fuzz/kill_resume.py --drivelab build/drivelab --kills 8 --seed 1
"""
import argparse
import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

RUN = ["--no-progress", "--no-video", "train.total_steps=25600", "train.num_envs=2", "agent.ppo.num_steps=64",
       "agent.ppo.num_minibatches=2", "agent.ppo.update_epochs=1", "train.eval_episodes=0", "train.checkpoint_every_steps=128",
       "env.max_steps=200", "train.torch_threads=1", "train.num_threads=1"]
TOTAL_STEPS = 25600


def read_rows(run_dir):
    with open(os.path.join(run_dir, "metrics.csv"), newline="") as f:
        return [(int(r["step"]), r["name"]) for r in csv.DictReader(f)]


def check(rows, baseline_rows):
    problems = []
    seen = set()
    last = -1
    for step, name in rows:
        if (step, name) in seen:
            problems.append("repeated row step %d %s" % (step, name))
        seen.add((step, name))
        if step < last:
            problems.append("step %d after step %d (%s)" % (step, last, name))
        last = max(last, step)
    if last != TOTAL_STEPS:
        problems.append("last step %d, expected %d" % (last, TOTAL_STEPS))

    def fixed(rs):
        return {(s, n) for s, n in rs if n.startswith("losses/") or n == "charts/SPS"}

    missing = fixed(baseline_rows) - fixed(rows)
    extra = fixed(rows) - fixed(baseline_rows)
    if missing:
        problems.append("%d rows of the uninterrupted run missing, e.g. %s" % (len(missing), sorted(missing)[:3]))
    if extra:
        problems.append("%d rows the uninterrupted run does not have, e.g. %s" % (len(extra), sorted(extra)[:3]))
    return problems[:10]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--drivelab", required=True)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-delay", type=float, default=4.0, help="longest wait before a kill (s)")
    args = parser.parse_args()
    drivelab = os.path.abspath(args.drivelab)
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="drivelab-kill-")
    try:
        baseline = os.path.join(work, "baseline")
        started = time.monotonic()
        r = subprocess.run([drivelab, "train", "--run-dir", baseline] + RUN, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=600)
        if r.returncode != 0:
            print(r.stdout.decode()[-3000:])
            print("FAIL: the uninterrupted run failed (exit %d)" % r.returncode)
            return 1
        full_s = time.monotonic() - started
        baseline_rows = read_rows(baseline)

        run = os.path.join(work, "killed")
        kills = 0
        for attempt in range(args.kills + 20):
            # Killed before it wrote config.yaml, the run is not a run folder yet: start it again.
            if os.path.exists(os.path.join(run, "config.yaml")):
                command = [drivelab, "train", "--resume", run, "--no-progress", "--no-video"]
            else:
                command = [drivelab, "train", "--run-dir", run] + RUN
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if kills < args.kills:
                # Most delays land inside the run (startup included); some after it ended.
                delay = rng.uniform(0.3, min(args.max_delay, max(0.6, full_s / 2)))
                try:
                    proc.wait(timeout=delay)
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
            out, _ = proc.communicate(timeout=600)
            text = out.decode("utf-8", "replace")
            if proc.returncode == 0:
                break
            if proc.returncode != -signal.SIGKILL:
                print(text[-3000:])
                print("FAIL: attempt %d exited %d (not killed by us)" % (attempt, proc.returncode))
                return 1
        else:
            print("FAIL: the run did not finish")
            return 1
        problems = check(read_rows(run), baseline_rows)
        leftovers = [os.path.join(d, f) for d in (run, os.path.join(run, "checkpoints"))
                     for f in os.listdir(d) if ".tmp" in f]
        if leftovers:
            problems.append("temp files left: %s" % leftovers)
        print("%d kills, %d starts, uninterrupted run %.1f s" % (kills, attempt + 1, full_s))
        for p in problems:
            print("FAIL: " + p)
        return 1 if problems else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
