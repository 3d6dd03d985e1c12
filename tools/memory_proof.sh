#!/usr/bin/env bash
# The memory proof (docs/memory.md): on each memory env, the frame-stacked MLP, the LSTM and GTrXL trained
# at equal env steps over several seeds, each run's last checkpoint evaluated on 30 test tracks, then
# tools/memory_proof.py summarises. JOBS runs at a time (default 2) under nice -n 10 (the machine is shared).
#
#   [JOBS=1] [BIN=path/to/drivelab] [OVERRIDES="train.total_steps=400000"] [POLICIES="mlp gtrxl"] \
#     tools/memory_proof.sh OUT_ROOT "cue blackout lap" "1 2 3 4 5"
set -euo pipefail
root=${1:?usage: memory_proof.sh OUT_ROOT ENVS SEEDS}
envs=${2:-"cue blackout"}
seeds=${3:-"1 2 3 4 5"}
bin=${BIN:-$(dirname "$0")/../build/drivelab}  # BIN: another binary (e.g. a copy, while build/ is rebuilt)
cfg=$(dirname "$0")/../configs/memory

one() {  # env policy seed
  local d=$root/$1/$2/seed$3
  [ -f "$d/eval.json" ] && return 0
  rm -rf "$d" && mkdir -p "$d"
  local t0=$(date +%s.%N)
  # shellcheck disable=SC2086  # OVERRIDES: extra key=value arguments for every run (e.g. train.total_steps=400000)
  if ! nice -n 10 "$bin" train "$cfg/$1_$2.yaml" train.seed=$3 ${OVERRIDES:-} --run-dir "$d/run" > "$d/train.log" 2>&1; then
    echo "memory_proof: $1 $2 seed $3 failed (see $d/train.log); it is run again next time" >&2
    return 1  # no eval.json: a killed or failed run is never summarised
  fi
  local t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc > "$d/wall_s"
  nice -n 10 "$bin" eval "$d/run/checkpoints/latest.pt" --episodes 30 --json > "$d/eval.json.tmp" 2> "$d/eval.log" ||
    { echo "memory_proof: evaluating $1 $2 seed $3 failed (see $d/eval.log)" >&2; return 1; }
  mv "$d/eval.json.tmp" "$d/eval.json"
}
export -f one
export root bin cfg OVERRIDES

jobs=()
for seed in $seeds; do
  for env in $envs; do
    for policy in ${POLICIES:-mlp lstm gtrxl}; do jobs+=("$env $policy $seed"); done
  done
done
printf '%s\n' "${jobs[@]}" | xargs -P "${JOBS:-2}" -L 1 bash -c 'one "$0" "$1" "$2"'
python3 "$(dirname "$0")/memory_proof.py" "$root"
