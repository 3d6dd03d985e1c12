#!/usr/bin/env bash
# drivelab GPU check: builds drivelab against the machine's own PyTorch, runs the CUDA tests, measures
# training SPS of the default MLP, the pixel CNN and the GTrXL configs on cuda and on cpu for a short fixed
# budget, a 2-GPU NCCL data-parallel run when two GPUs are present, and writes one JSON of the results.
# Runs offline: Debian packages it needs can come as .deb files (scripts/gpu_bundle.sh downloads them), which
# are unpacked with dpkg -x into a prefix (no root) and shown to CMake, pkg-config and the loader.
#
#   scripts/gpu_check.sh [--out FILE] [--debs DIR] [--build-dir DIR] [--updates N] [--skip-build]
#
#   --out FILE     the JSON (default: $OUT/gpu_check.json when $OUT is set, else gpu_check.json)
#   --debs DIR     .deb files to unpack (only packages not installed here are unpacked)
#   --build-dir    default build-gpu
#   --updates N    PPO updates per SPS measurement (default 6; the first one is not counted, see below)
#   --skip-build   reuse the build folder as it is
# Without a GPU the CUDA parts are skipped (each marked "skipped" with the reason) and the JSON is still
# written. Exit code: 0 when everything that ran passed, 1 otherwise.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
out="${OUT:+$OUT/gpu_check.json}"
out="${out:-gpu_check.json}"
debs="${DRIVELAB_DEBS:-}"
build="build-gpu"
updates=6
skip_build=0
while [ $# -gt 0 ]; do
  case "$1" in
  --out) out="$2"; shift 2 ;;
  --debs) debs="$2"; shift 2 ;;
  --build-dir) build="$2"; shift 2 ;;
  --updates) updates="$2"; shift 2 ;;
  --skip-build) skip_build=1; shift ;;
  -h | --help) sed -n 2,19p "$0"; exit 0 ;;
  *) echo "gpu_check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$(dirname "$out")" "$build"
build=$(cd "$build" && pwd)
results="$build/gpu_check.results"  # one JSON object per line, assembled at the end
: >"$results"
log() { printf '[gpu_check] %s\n' "$*" >&2; }
failed=0
# record NAME STATUS [KEY=VALUE ...]: one result line (values that look like numbers stay numbers).
record() {
  python3 - "$@" >>"$results" <<'PY'
import json, sys
name, status, *kv = sys.argv[1:]
row = {"name": name, "status": status}
for item in kv:
    k, _, v = item.partition("=")
    try:
        row[k] = float(v) if any(c in v for c in ".e") else int(v)
    except ValueError:
        row[k] = v
print(json.dumps(row))
PY
  [ "$2" = failed ] && failed=1
  return 0
}

# The JSON of every result so far (atomically: a .tmp beside it, then renamed).
write_json() {
  python3 - "$results" "$out" <<'PY'
import json, os, platform, socket, sys, time
rows = [json.loads(line) for line in open(sys.argv[1])]
doc = {
    "drivelab_gpu_check": 1,
    "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "host": socket.gethostname(),
    "machine": platform.machine(),
    "passed": all(r["status"] != "failed" for r in rows),
    "results": rows,
}
with open(sys.argv[2] + ".tmp", "w") as f:
    json.dump(doc, f, indent=2)
os.replace(sys.argv[2] + ".tmp", sys.argv[2])
PY
}

# --- 1. PyTorch: the machine's own, else the pinned wheel setup.sh installs -----------------------------
py=""
for candidate in "${DRIVELAB_PYTHON:-}" python3 "${DRIVELAB_CACHE:-$HOME/.cache/drivelab}/torch-2.13.0/bin/python"; do
  [ -n "$candidate" ] || continue
  if "$candidate" -c 'import torch' >/dev/null 2>&1; then py="$candidate"; break; fi
done
if [ -z "$py" ]; then
  log "no PyTorch found (python3 -c 'import torch' failed; no cached wheel): nothing to build against"
  record pytorch failed reason="no python with torch"
  write_json
  exit 1
fi
torch_info=$("$py" -c 'import torch; print(torch.__version__, torch.version.cuda, torch.cuda.is_available(), torch.cuda.device_count(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-", sep="|")')
IFS='|' read -r torch_version torch_cuda cuda_ok gpu_count gpu_name <<<"$torch_info"
torch_prefix=$("$py" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
log "PyTorch $torch_version (CUDA $torch_cuda) from $py: cuda available $cuda_ok, $gpu_count GPU(s) $gpu_name"
record pytorch ok python="$py" version="$torch_version" cuda_version="$torch_cuda" gpus="$gpu_count" gpu_name="$gpu_name"

# --- 2. Debian packages carried as .deb files -------------------------------------------------------------
prefix="$build/deb-prefix"
if [ -n "$debs" ]; then
  if [ ! -d "$debs" ]; then log "--debs $debs: not a folder"; exit 2; fi
  mkdir -p "$prefix"
  unpacked=0 kept=0
  for deb in "$debs"/*.deb; do
    [ -e "$deb" ] || continue
    pkg=$(dpkg-deb -f "$deb" Package)
    # An installed package stays: unpacking a second libc or libstdc++ beside the system's would break it.
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      kept=$((kept + 1))
      continue
    fi
    dpkg -x "$deb" "$prefix"
    unpacked=$((unpacked + 1))
  done
  # pkg-config files name prefix=/usr: point them at the unpacked tree.
  find "$prefix" -name '*.pc' -exec sed -i "s|^prefix=/usr|prefix=$prefix/usr|" {} +
  multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
  export CMAKE_PREFIX_PATH="$prefix/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  export PKG_CONFIG_PATH="$prefix/usr/lib/$multiarch/pkgconfig:$prefix/usr/share/pkgconfig:$prefix/usr/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  export LD_LIBRARY_PATH="$prefix/usr/lib/$multiarch:$prefix/usr/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export CPATH="$prefix/usr/include${CPATH:+:$CPATH}"
  export PATH="$PATH:$prefix/usr/bin"
  log "unpacked $unpacked .deb file(s) into $prefix ($kept already installed here)"
  record debs ok unpacked="$unpacked" already_installed="$kept"
fi

# --- 3. Build ---------------------------------------------------------------------------------------------
generator=(-G Ninja)
command -v ninja >/dev/null || generator=()
if [ "$skip_build" = 0 ]; then
  log "configuring $build against $torch_prefix"
  sdl=ON
  pkg-config --exists sdl2 2>/dev/null || sdl=OFF
  if cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DDRIVELAB_WITH_SDL=$sdl \
      "-DCMAKE_PREFIX_PATH=$torch_prefix${CMAKE_PREFIX_PATH:+;${CMAKE_PREFIX_PATH//:/;}}" >"$build/configure.log" 2>&1 &&
    cmake --build "$build" -j "$(nproc)" --target drivelab test_agents test_app >"$build/build.log" 2>&1; then
    nccl=$(grep -o 'NCCL: [A-Z]*' "$build/configure.log" | head -n 1)
    record build ok folder="$build" nccl="${nccl#NCCL: }"
  else
    log "build failed: see $build/configure.log and $build/build.log"
    record build failed log="$build/build.log"
    write_json
    exit 1
  fi
fi
bin="$build/drivelab"
if [ ! -x "$bin" ]; then
  log "no $bin (--skip-build with a folder that holds no build)"
  record build failed reason="no drivelab binary in $build"
  write_json
  exit 1
fi

# --- 4. Tests: the device tests (they take the CUDA branch where a GPU is present) and data-parallel ---------
run_test() {  # run_test NAME EXECUTABLE FILTER
  local t0 t1
  t0=$(date +%s.%N)
  if "$2" "$3" >"$build/test_$1.log" 2>&1; then status=ok; else status=failed; fi
  t1=$(date +%s.%N)
  record "test:$1" "$status" filter="$3" cuda="$cuda_ok" seconds="$(python3 -c "print(round($t1 - $t0, 1))")" \
    log="$build/test_$1.log"
  log "test $1 ($3): $status"
}
run_test device "$build/test_agents" "[device]"
run_test data_parallel "$build/test_app" "[dist]"

# --- 5. Training SPS: short fixed budgets, cpu vs cuda --------------------------------------------------
# SPS is taken from the last charts/SPS of metrics.csv: steps over the whole wall time of the run, start-up
# (env creation, the first CUDA kernels) included, so it is a lower bound on the steady rate.
sps_of() {  # sps_of RUN_DIR
  python3 - "$1/metrics.csv" <<'PY'
import csv, sys
sps = [float(r[3]) for r in csv.reader(open(sys.argv[1])) if len(r) > 3 and r[2] == "charts/SPS"]
print(sps[-1] if sps else "nan")
PY
}
budget_of() {  # budget_of CONFIG: updates x num_envs x num_steps
  "$bin" train ${1:+"$1"} --print-config | python3 -c '
import sys, re
text = sys.stdin.read()
envs = int(re.search(r"^\s*num_envs:\s*(\d+)", text, re.M).group(1))
steps = int(re.search(r"^\s*num_steps:\s*(\d+)", text, re.M).group(1))
print('"$updates"' * envs * steps)'
}
measure() {  # measure NAME CONFIG DEVICE [drivelab train options...]
  local name="$1" config="$2" device="$3"
  shift 3
  local run="$build/gpu_check_runs/$name" steps t0 t1 rc
  rm -rf "$run"
  steps=$(budget_of "$config")
  t0=$(date +%s.%N)
  "$bin" train ${config:+"$config"} "$@" train.device="$device" train.total_steps="$steps" train.eval_episodes=0 \
    --no-progress --no-video --run-dir "$run" >"$build/gpu_check_$name.log" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  if [ $rc = 0 ]; then
    record "sps:$name" ok config="${config:-embedded ppo_track.yaml}" device="$device" steps="$steps" \
      sps="$(sps_of "$run")" wall_s="$(python3 -c "print(round($t1 - $t0, 1))")"
  else
    record "sps:$name" failed config="${config:-embedded}" device="$device" log="$build/gpu_check_$name.log"
  fi
  log "sps $name: $(tail -n 1 "$results")"
}
for entry in "mlp|" "pixel|configs/ppo_carracing.yaml" "gtrxl|configs/ppo_gtrxl_pomdp.yaml"; do
  name=${entry%%|*}
  config=${entry#*|}
  measure "$name-cpu" "$config" cpu
  if [ "$cuda_ok" = True ]; then
    measure "$name-cuda" "$config" cuda
  else
    record "sps:$name-cuda" skipped reason="no CUDA device"
  fi
done

# --- 6. Data parallel: 2 processes on the CPU (Gloo); 2 GPUs (NCCL) when present ---------------------------
measure "mlp-cpu-2proc" "" cpu --nproc 2
if [ "$cuda_ok" = True ] && [ "$gpu_count" -ge 2 ]; then
  measure "pixel-cuda-1gpu" configs/ppo_carracing.yaml cuda
  measure "pixel-cuda-2gpu-nccl" configs/ppo_carracing.yaml cuda --nproc 2
else
  record "sps:pixel-cuda-2gpu-nccl" skipped reason="fewer than 2 CUDA devices ($gpu_count)"
fi

# --- 7. The JSON ----------------------------------------------------------------------------------------------
write_json
log "wrote $out"
exit $failed
