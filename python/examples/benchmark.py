"""Steps/s of drivelab's vector env from Python beside Gymnasium's SyncVectorEnv / AsyncVectorEnv (over drivelab
single envs and, when gymnasium[box2d] is installed, CarRacing-v3) and beside the C++ `drivelab bench`.

    python python/examples/benchmark.py --num-envs 16 --seconds 3 [--drivelab build/drivelab]

Every entry steps uniform random actions drawn before timing (as `drivelab bench` does) and reports the
median of 5 timing blocks, in env steps per second (all envs together).
"""
import argparse
import json
import os
import subprocess
import time

import numpy as np
import gymnasium as gym

import drivelab

BLOCKS = 5


def median_rate(step, num_envs, seconds):
    rates = []
    for _ in range(BLOCKS):
        steps, start = 0, time.perf_counter()
        while True:
            step()
            steps += num_envs
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / BLOCKS:
                break
        rates.append(steps / elapsed)
    return float(np.median(rates))


def bench_vector(envs, num_envs, seconds, seed=1):
    envs.reset(seed=seed)
    space = envs.action_space
    space.seed(seed)
    actions = [space.sample() for _ in range(64)]
    counter = [0]

    def step():
        envs.step(actions[counter[0] % len(actions)])
        counter[0] += 1

    rate = median_rate(step, num_envs, seconds)
    envs.close()
    return rate


def cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="track")
    parser.add_argument("--num-envs", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--drivelab", default="", help="the drivelab binary, for the C++ bench entry")
    parser.add_argument("--only", default="", help="comma-separated entry names to run")
    args = parser.parse_args()
    n, seconds, env_id = args.num_envs, args.seconds, args.env
    threads = min(cores(), n)
    entries = {}

    def want(name):
        return not args.only or name in args.only.split(",")

    if want("drivelab-vector"):
        entries["drivelab-vector"] = bench_vector(drivelab.make_vec(env_id, num_envs=n, num_threads=threads), n, seconds)
    make_single = lambda: drivelab.DrivelabEnv(env_id)  # noqa: E731
    if want("gym-sync"):
        entries["gym-sync"] = bench_vector(gym.vector.SyncVectorEnv([make_single] * n), n, seconds)
    if want("gym-async"):
        entries["gym-async"] = bench_vector(gym.vector.AsyncVectorEnv([make_single] * n), n, seconds)
    if want("carracing-sync") or want("carracing-async"):
        try:
            gym.make("CarRacing-v3").close()
            have_carracing = True
        except Exception as e:  # gymnasium[box2d] missing
            entries["carracing"] = f"not available: {type(e).__name__}: {e}"
            have_carracing = False
        if have_carracing:
            make_cr = lambda: gym.make("CarRacing-v3")  # noqa: E731
            if want("carracing-sync"):
                entries["carracing-sync"] = bench_vector(gym.vector.SyncVectorEnv([make_cr] * n), n, seconds)
            if want("carracing-async"):
                entries["carracing-async"] = bench_vector(gym.vector.AsyncVectorEnv([make_cr] * n), n, seconds)
    if args.drivelab and want("cpp-bench"):
        out = subprocess.run([args.drivelab, "bench", "--json", "--env", env_id, "--num-envs", str(n),
                              "--seconds", str(seconds), "--max-threads", str(threads)],
                             capture_output=True, text=True, check=True).stdout
        rows = json.loads(out)["results"]
        entries["cpp-bench"] = max((r["steps_per_s"] for r in rows if r["num_envs"] == n and r["threads"] == threads),
                                   default=None)
    print(json.dumps({"env": env_id, "num_envs": n, "threads": threads, "steps_per_s": entries}, indent=2))


if __name__ == "__main__":
    main()
