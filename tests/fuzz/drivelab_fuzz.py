#!/usr/bin/env python3
"""Fuzz the real `drivelab` binary with mutated inputs and classify what happens.

Every input boundary a user reaches is mutated from valid seeds made at the start of a session:
  config      YAML run configs (the files in configs/ and the embedded default), text-level mutations
  override    `key.path=value` arguments built from the resolved config's keys, odd paths and values
  dataset     a trajectory dataset written by `drivelab collect` (byte-level mutations)
  checkpoint  a PPO checkpoint written by a tiny `drivelab train` run (byte-level mutations)
  generator   track generator files (.dltg, versions 1 and 2) written here from the documented format
  track       a track file written by `drivelab tracks show --save-dir` (text and byte mutations)
Each case runs the binary under a wall-clock limit and an address-space limit (RLIMIT_AS) and is
classified by how it ended:
  ok          exit 0                       bad_input   exit 2 with a one-line "drivelab: ..." message
  failure     exit 1 (a run-time failure)  crash       killed by a signal, or exit 134 etc.
  hang        ran past the time limit      memory      ran out of memory (bad_alloc, ENOMEM)
  leftover    exit 2 from `train` that left its run folder behind
  multiline   exit 2 whose message is more than one line
  sanitizer   an AddressSanitizer or UBSan report (builds with -DDRIVELAB_SANITIZE=ON)
Cases are generated from one seed in order, so a run with the same --seed and --cases is the same run.
The session fails (exit 1) when any case is a crash, hang, memory, leftover, multiline or sanitizer, or
(with --strict) a failure. Reproducers of the bad cases are kept under --keep DIR.

  tests/fuzz/drivelab_fuzz.py --drivelab build/drivelab --cases 200 --seed 1        # the ctest run
  tests/fuzz/drivelab_fuzz.py --drivelab build/drivelab --cases 10000 --jobs 2      # the long run
"""
import argparse
import collections
import json
import os
import random
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))

# Budgets that keep a training case to a few seconds; appended after the case's own overrides where a
# case trains, so mutations of other keys still reach the trainer.
TINY_COMMON = ["train.num_envs=1", "train.eval_episodes=0", "env.max_steps=64"]
ENV_STEPS = ["train.total_steps=64", "train.checkpoint_every_steps=64"]
# Each algorithm's own tiny budget: a key of another algorithm's section would be an error (exit 2), and so
# would an env-step budget for one that counts epochs or gradient steps.
TINY_BY_ALGO = {
    "ppo": ENV_STEPS + ["agent.ppo.num_steps=32", "agent.ppo.num_minibatches=1", "agent.ppo.update_epochs=1"],
    "a2c": ENV_STEPS + ["agent.a2c.num_steps=32"],
    "reinforce": ENV_STEPS,
    "bc": ["agent.bc.epochs=1", "agent.bc.batch_size=8"],
    "dagger": ["agent.bc.epochs=1", "agent.bc.batch_size=8", "agent.dagger.iterations=1", "agent.dagger.episodes=1"],
    "decision_transformer": ["agent.dt.gradient_steps=2", "agent.dt.batch_size=8"],
    "track_gan": ["agent.gan.train_tracks=16", "agent.gan.generator_steps=2", "agent.gan.eval_tracks=2",
                  "agent.gan.batch_size=8"],
    "world_model": ["agent.world_model.collect_episodes=1", "agent.world_model.vae_epochs=1",
                    "agent.world_model.mdn_epochs=1", "agent.world_model.generations=1",
                    "agent.world_model.popsize=2", "agent.world_model.rollouts_per_candidate=1"],
}


def tiny_train(algo="ppo"):
    """Overrides that make a run of `algo` take seconds (ppo's for an unknown name)."""
    return TINY_COMMON + TINY_BY_ALGO.get(algo, TINY_BY_ALGO["ppo"])


def algo_in(text=None, overrides=()):
    """The algorithm a config text or a list of overrides selects (the last word wins), else ppo."""
    algo = "ppo"
    if text:
        found = re.findall(r"algo\s*:\s*([A-Za-z0-9_]+)", text)
        if found:
            algo = found[-1]
    for o in overrides:
        if o.startswith("agent.algo="):
            algo = o.split("=", 1)[1]
    return algo

INTERESTING_SCALARS = [
    "0", "-1", "1", "2", "-0", "3.5", "1e8", "1e308", "-1e308", "1e-320", "nan", ".nan", ".inf", "-.inf",
    "2147483647", "2147483648", "-2147483649", "9223372036854775807", "18446744073709551616",
    "99999999999999999999999", "0x10", "0o7", "true", "false", "null", "~", "''", '""', "[]", "{}",
    "[1e8, 1e8]", "[100000000, 100000000]", "[0]", "[-5]", "[64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64]",
    "cuda:7", "cuda:99999999999999999999", "cuda:", "cpu", "auto", "cnn", "mlp", "gtrxl",
    "carracing", "traffic", "track-pomdp", "hard", "/dev/zero", "/nonexistent/file", ".", "/", "\"a\\x00b\"",
    "'x' ", "!!binary aGVsbG8=", "&anchor 1", "*undefined_alias", "{a: 1, a: 2}", "[[[[[[[[1]]]]]]]]",
    "gan:/dev/zero", "gan:/nonexistent.dltg", "procedural", "x" * 5000, "ünïcödé", "- 1\n- 2",
]
YAML_LINES = [
    "---", "--- !!map", "...", "? [a, b]\n: 1", "? {a: 1}\n: 2", "env: {}", "env:", "agent: []", "train: 3",
    "run: {dir: /dev/null}", "run: {dir: ''}", "env: {id: carracing}", "agent: {net: {policy: cnn}}",
    "agent: {algo: bc}", "agent: {algo: bc, bc: {data: /nonexistent.dlds}}", "agent: {algo: dagger}",
    "agent: {ppo: {init_from: /nonexistent}}", "agent: {num_steps: 8}", "agent: {algo: decision_transformer, dt: {d_model: 10, n_heads: 3}}",
    "agent: {algo: world_model}", "agent: {algo: track_gan}", "train: {device: cuda:7}",
    "train: {seed: 1}\ntrain: {seed: 2}", "&a [*a]", "a: &x 1\nb: *x", "%YAML 1.2\n---\nenv: {}",
    "\t", "\x00", "\ufeffenv: {}", "'unterminated", "{", "[", "key: value: other", "- list item",
    "env: {track_files: /dev/zero}", "env: {track_source: 'gan:/dev/null'}", "agent: {net: {hidden: [4096, 4096]}}",
]
BAD_OVERRIDES = [
    "train.seed.=1", ".train.seed=1", "train..seed=1", "=1", "train.seed", "train.seed=", "train=1", "env=[]",
    "agent.net.hidden=[1e8,1e8]", "agent.net.hidden=[100000000,100000000]", "train.device=cuda:99999999999",
    "train.device=cuda:7", "train.seed={a: 1, a: 2}", "train.seed=[", "env.id=nope", "nope=1",
    "agent.net.policy=cnn", "env.id=carracing", "train.seed.x=1", "run.dir=/dev/null", "agent.algo=bc",
    "agent.bc.data=/dev/zero", "agent.ppo.init_from=/dev/zero", "agent.num_steps=64", "agent.ppo.data=x", "env.track_files=/dev/zero",
    "env.track_source=gan:/dev/zero", "train.total_steps=0", "train.num_envs=0", "train.num_envs=100000",
]


# ---- seeds ----------------------------------------------------------------------------------------------

def run_quiet(cmd, cwd, timeout=300):
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("seed command failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stdout.decode()[-2000:]))
    return r.stdout.decode()


def write_generator(path, version, rng):
    """A small valid .dltg file (envs/track_generator.h): latent 4 -> 16 (relu) -> samples + 1."""
    samples = 32
    latent, hidden = 4, 16
    out = bytearray(b"DLTRKGEN")
    out += struct.pack("<IIII", version, latent, samples, 2)
    for n_in, n_out, act in ((latent, hidden, 1), (hidden, samples + 1, 0)):
        out += struct.pack("<III", n_in, n_out, act)
        out += struct.pack("<%df" % (n_in * n_out), *[rng.gauss(0, 0.1) for _ in range(n_in * n_out)])
        out += struct.pack("<%df" % n_out, *[0.0] * n_out)
    out += struct.pack("<%df" % (samples + 1), *[0.0] * (samples + 1))
    out += struct.pack("<%df" % (samples + 1), *[1.0] * (samples + 1))
    note = b"fuzz seed"
    out += struct.pack("<I", len(note)) + note + b"END."
    if version >= 2:
        out += struct.pack("<I", zlib.crc32(bytes(out)) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(out)


def make_seeds(drivelab, work):
    seeds = {"config": [], "dataset": [], "checkpoint": [], "generator": [], "track": [], "keys": []}
    configs = sorted(f for f in os.listdir(os.path.join(SOURCE, "configs")) if f.endswith(".yaml"))
    for name in configs:
        with open(os.path.join(SOURCE, "configs", name), encoding="utf-8") as f:
            seeds["config"].append((name, f.read()))
    resolved = run_quiet([drivelab, "train", "--print-config"], work)
    seeds["config"].append(("resolved.yaml", resolved))
    # Key paths of the resolved config, for overrides.
    stack = []
    for line in resolved.splitlines():
        if not line.strip() or ":" not in line:
            continue
        indent = (len(line) - len(line.lstrip())) // 2
        key = line.strip().split(":", 1)[0]
        stack = stack[:indent] + [key]
        seeds["keys"].append(".".join(stack))
    dataset = os.path.join(work, "seed.dlds")
    run_quiet([drivelab, "collect", "--policy", "expert", "--episodes", "3", "--out", dataset, "--no-progress",
               "env.max_steps=40"], work)
    seeds["dataset"].append(dataset)
    run_dir = os.path.join(work, "seed_run")
    run_quiet([drivelab, "train", "--run-dir", run_dir, "--no-progress", "--no-video"] + tiny_train(), work)
    seeds["checkpoint"].append(os.path.join(run_dir, "checkpoints", "latest.pt"))
    rng = random.Random(7)
    for version in (1, 2):
        path = os.path.join(work, "seed_v%d.dltg" % version)
        write_generator(path, version, rng)
        seeds["generator"].append(path)
    tracks = os.path.join(work, "tracks")
    run_quiet([drivelab, "tracks", "show", "-n", "1", "--save-dir", tracks, "--out", os.path.join(work, "t.png")], work)
    seeds["track"] = [os.path.join(tracks, f) for f in sorted(os.listdir(tracks))]
    return seeds


# ---- mutators -------------------------------------------------------------------------------------------

def mutate_bytes(data, rng):
    data = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 3, 8])):
        op = rng.randrange(8)
        n = len(data)
        if n == 0:
            data += bytes(rng.randrange(256) for _ in range(16))
            continue
        if op == 0:  # flip one bit
            i = rng.randrange(n)
            data[i] ^= 1 << rng.randrange(8)
        elif op == 1:  # set a byte to an interesting value
            data[rng.randrange(n)] = rng.choice([0, 1, 0x7F, 0x80, 0xFF])
        elif op == 2:  # truncate
            del data[rng.randrange(n):]
        elif op == 3:  # append garbage
            data += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
        elif op == 4:  # overwrite 4 bytes with a large or negative integer
            i = rng.randrange(max(1, n - 4))
            data[i:i + 4] = struct.pack("<I", rng.choice([0, 0xFFFFFFFF, 0x7FFFFFFF, 0x10000, 1 << 24]))
        elif op == 5:  # overwrite 4 bytes with a non-finite float
            i = rng.randrange(max(1, n - 4))
            data[i:i + 4] = struct.pack("<f", rng.choice([float("nan"), float("inf"), -float("inf"), 3e38]))
        elif op == 6:  # zero a range
            i = rng.randrange(n)
            data[i:i + rng.randrange(1, 256)] = bytes(min(n - i, 256))[: len(data[i:i + 256])]
        else:  # duplicate a chunk
            i = rng.randrange(n)
            chunk = data[i:i + rng.randrange(1, 512)]
            j = rng.randrange(n)
            data[j:j] = chunk
    return bytes(data)


def mutate_text(text, rng):
    lines = text.splitlines()
    for _ in range(rng.choice([1, 1, 2, 3])):
        op = rng.randrange(7)
        if not lines:
            lines = [rng.choice(YAML_LINES)]
            continue
        i = rng.randrange(len(lines))
        if op == 0 and ":" in lines[i]:  # replace a value
            key = lines[i].split(":", 1)[0]
            lines[i] = key + ": " + rng.choice(INTERESTING_SCALARS)
        elif op == 1:  # delete a line
            del lines[i]
        elif op == 2:  # duplicate a line (a repeated key)
            lines.insert(i, lines[i])
        elif op == 3:  # insert a top-level or nested odd line
            lines.insert(i, rng.choice(YAML_LINES))
        elif op == 4:  # shift indentation
            lines[i] = (" " * rng.randrange(1, 5) + lines[i]) if rng.random() < 0.5 else lines[i].lstrip()
        elif op == 5:  # misspell a key
            line = lines[i]
            if line.strip() and ":" in line:
                k = line.index(":")
                j = rng.randrange(max(1, k))
                lines[i] = line[:j] + rng.choice("xq_") + line[j + 1:]
        else:  # byte-level damage of the text
            return mutate_bytes("\n".join(lines).encode("utf-8", "surrogateescape"), rng).decode("utf-8", "replace")
    return "\n".join(lines) + "\n"


def random_overrides(keys, rng):
    out = []
    for _ in range(rng.randrange(1, 4)):
        if rng.random() < 0.3:
            out.append(rng.choice(BAD_OVERRIDES))
        else:
            key = rng.choice(keys)
            if rng.random() < 0.1:
                key += rng.choice([".", ".x", "..y", "[0]", " "])
            out.append(key + "=" + rng.choice(INTERESTING_SCALARS))
    return out


# ---- cases ----------------------------------------------------------------------------------------------

Case = collections.namedtuple("Case", "index kind args files train_run_dir")


def make_case(index, seeds, rng, work):
    """A case: the argument list and the input files it needs (written when it runs)."""
    case_dir = os.path.join(work, "cases", "%06d" % index)
    kind = rng.choice(["config", "config", "config", "override", "override", "dataset", "checkpoint",
                       "generator", "track"])
    files = {}
    run_dir = None
    if kind == "config":
        _, text = rng.choice(seeds["config"])
        path = os.path.join(case_dir, "run.yaml")
        files[path] = mutate_text(text, rng).encode("utf-8", "surrogateescape")
        if rng.random() < 0.25:  # a full (tiny) training run: run-time checks, run folders
            run_dir = os.path.join(case_dir, "run")
            args = ["train", path, "--run-dir", run_dir, "--no-progress", "--no-video"] + tiny_train(
                algo_in(files[path].decode("utf-8", "replace")))
        else:
            args = ["train", path, "--print-config"]
    elif kind == "override":
        overrides = random_overrides(seeds["keys"], rng)
        if rng.random() < 0.25:
            run_dir = os.path.join(case_dir, "run")
            args = ["train", "--run-dir", run_dir, "--no-progress", "--no-video"] + overrides + tiny_train(
                algo_in(overrides=overrides))
        else:
            args = ["train", "--print-config"] + overrides
    elif kind == "dataset":
        with open(rng.choice(seeds["dataset"]), "rb") as f:
            path = os.path.join(case_dir, "data.dlds")
            files[path] = mutate_bytes(f.read(), rng)
        choice = rng.randrange(4)
        if choice == 0:
            args = ["dataset", "stats", path]
        elif choice == 1:
            args = ["dataset", "clean", path, "--out", os.path.join(case_dir, "clean.dlds")]
        elif choice == 2:
            args = ["dataset", "clean", path, "--recover", "--out", os.path.join(case_dir, "clean.dlds")]
        else:
            run_dir = os.path.join(case_dir, "run")
            args = ["train", "--run-dir", run_dir, "--no-progress", "--no-video", "agent.algo=bc",
                    "agent.bc.data=" + path] + tiny_train("bc")
    elif kind == "checkpoint":
        with open(rng.choice(seeds["checkpoint"]), "rb") as f:
            path = os.path.join(case_dir, "model.pt")
            files[path] = mutate_bytes(f.read(), rng)
        choice = rng.randrange(3)
        if choice == 0:
            args = ["eval", path, "--episodes", "1"]
        elif choice == 1:
            args = ["collect", "--policy", path, "--episodes", "1", "--out", os.path.join(case_dir, "c.dlds"),
                    "--no-progress", "env.max_steps=50"]
        else:
            run_dir = os.path.join(case_dir, "run")
            args = ["train", "--run-dir", run_dir, "--no-progress", "--no-video", "agent.ppo.init_from=" + path,
                    "agent.net.hidden=[128,128]"] + tiny_train()
    elif kind == "generator":
        with open(rng.choice(seeds["generator"]), "rb") as f:
            path = os.path.join(case_dir, "gen.dltg")
            files[path] = mutate_bytes(f.read(), rng)
        if rng.random() < 0.7:
            args = ["tracks", "sample", "--model", path, "-n", "2", "--out", os.path.join(case_dir, "g.png")]
        else:
            run_dir = os.path.join(case_dir, "run")
            args = ["train", "--run-dir", run_dir, "--no-progress", "--no-video", "env.track_source=gan:" + path,
                    "env.generated_fraction=1"] + tiny_train()
    else:  # track
        with open(rng.choice(seeds["track"]), "rb") as f:
            raw = f.read()
        path = os.path.join(case_dir, "track.txt")
        if rng.random() < 0.5:
            files[path] = mutate_text(raw.decode(), rng).encode()
        else:
            files[path] = mutate_bytes(raw, rng)
        args = ["collect", "--policy", "expert", "--episodes", "1", "--out", os.path.join(case_dir, "t.dlds"),
                "--no-progress", "env.track_files=" + path, "env.max_steps=50"]
    return Case(index, kind, args, files, run_dir)


def limit_resources(memory_bytes):
    def apply():
        os.setsid()
        if memory_bytes > 0:  # 0: no limit (sanitizer builds, which bound memory through ASAN_OPTIONS)
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def run_case(case, drivelab, timeout_s, memory_bytes, work):
    case_dir = os.path.join(work, "cases", "%06d" % case.index)
    os.makedirs(case_dir, exist_ok=True)
    for path, data in case.files.items():
        with open(path, "wb") as f:
            f.write(data)
    start = time.monotonic()
    proc = subprocess.Popen([drivelab] + case.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=case_dir,
                            preexec_fn=limit_resources(memory_bytes))
    try:
        out, err = proc.communicate(timeout=timeout_s)
        hung = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        hung = True
    seconds = time.monotonic() - start
    err_text = err.decode("utf-8", "replace")
    rc = proc.returncode
    lines = [l for l in err_text.split("\n") if l.strip()]  # lines as a terminal shows them
    cli_usage = bool(lines) and lines[-1].startswith("Run with --help")  # CLI11's own argument errors
    if "ERROR: AddressSanitizer" in err_text or "runtime error:" in err_text or "ERROR: LeakSanitizer" in err_text:
        verdict = "sanitizer"
    elif hung:
        verdict = "hang"
    elif "bad_alloc" in err_text or "Cannot allocate memory" in err_text or "out of memory" in err_text.lower():
        verdict = "memory"
    elif rc < 0 or rc >= 128:
        verdict = "crash"
    elif rc == 0:
        verdict = "ok"
    elif rc == 2:
        if case.train_run_dir and os.path.exists(case.train_run_dir):
            verdict = "leftover"
        elif len(lines) == 1 or cli_usage:
            verdict = "bad_input"
        else:
            verdict = "multiline"
    elif rc == 1:
        verdict = "failure"
    else:
        verdict = "crash"
    return {"index": case.index, "kind": case.kind, "verdict": verdict, "rc": rc, "seconds": round(seconds, 2),
            "message": (lines[0] if verdict == "multiline" else lines[-1])[:300] if lines else "",
            "args": case.args}


def report(result, args, work):
    case_dir = os.path.join(work, "cases", "%06d" % result["index"])
    bad = result["verdict"] in ("crash", "hang", "memory", "leftover", "multiline", "sanitizer") or (
        args.strict and result["verdict"] == "failure")
    if bad:
        print("%-9s #%d %s rc=%s: %s\n          drivelab %s" % (
            result["verdict"], result["index"], result["kind"], result["rc"], result["message"],
            " ".join(result["args"])), flush=True)
        if args.keep and os.path.isdir(case_dir):
            shutil.copytree(case_dir, os.path.join(args.keep, "%06d" % result["index"]), dirs_exist_ok=True)
    shutil.rmtree(case_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--drivelab", required=True, help="the binary to fuzz")
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a case may run")
    parser.add_argument("--memory-gb", type=float, default=6.0,
                        help="address-space limit of a case (GiB, RLIMIT_AS; 0 = none)")
    parser.add_argument("--keep", default="", help="copy the inputs of bad cases here")
    parser.add_argument("--json", default="", help="write every case's result here")
    parser.add_argument("--strict", action="store_true", help="also fail on exit code 1")
    parser.add_argument("--kinds", default="", help="only these kinds (comma-separated)")
    args = parser.parse_args()
    drivelab = os.path.abspath(args.drivelab)

    work = tempfile.mkdtemp(prefix="drivelab-fuzz-")
    try:
        started = time.monotonic()
        seeds = make_seeds(drivelab, work)
        rng = random.Random(args.seed)
        memory = int(args.memory_gb * (1 << 30))
        results = []
        made = 0

        def next_batch(size):  # cases are made in order from one RNG, a batch at a time (inputs are large)
            nonlocal made
            batch = []
            while len(batch) < size and made < args.cases:
                case = make_case(made, seeds, rng, work)
                if not args.kinds or case.kind in args.kinds.split(","):
                    batch.append(case)
                    made += 1
            return batch

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            while True:
                batch = next_batch(8 * args.jobs)
                if not batch:
                    break
                for result in pool.map(lambda c: run_case(c, drivelab, args.timeout, memory, work), batch):
                    results.append(result)
                    report(result, args, work)
                    if len(results) % 500 == 0:  # progress of long runs: the counts so far
                        counts = collections.Counter(r["verdict"] for r in results)
                        print("%d cases, %.0f s: %s" % (len(results), time.monotonic() - started,
                                                        dict(sorted(counts.items()))), flush=True)
        elapsed = time.monotonic() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)

    by_kind = collections.defaultdict(collections.Counter)
    for r in results:
        by_kind[r["kind"]][r["verdict"]] += 1
    verdicts = ["ok", "bad_input", "failure", "crash", "hang", "memory", "leftover", "multiline", "sanitizer"]
    print("\n%-11s" % "kind" + "".join("%10s" % v for v in verdicts))
    total = collections.Counter()
    for kind in sorted(by_kind):
        print("%-11s" % kind + "".join("%10d" % by_kind[kind][v] for v in verdicts))
        total.update(by_kind[kind])
    print("%-11s" % "all" + "".join("%10d" % total[v] for v in verdicts))
    slowest = max(results, key=lambda r: r["seconds"]) if results else None
    print("%d cases in %.0f s (seed %d); slowest case %.1f s (#%d)" % (
        len(results), elapsed, args.seed, slowest["seconds"] if slowest else 0, slowest["index"] if slowest else -1))
    failures = collections.Counter(r["message"] for r in results if r["verdict"] == "failure")
    for message, count in failures.most_common(5):
        print("  exit 1 x%d: %s" % (count, message))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    bad = sum(total[v] for v in ("crash", "hang", "memory", "leftover", "multiline", "sanitizer"))
    if args.strict:
        bad += total["failure"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
