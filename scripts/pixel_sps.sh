#!/usr/bin/env bash
# Pixel PPO throughput on this machine, side by side (docs/distill.md): today's configs/ppo_carracing.yaml
# (96x96 RGB, 4 frames, Nature CNN) with LibTorch's default threads and with one thread, and the cheap-pixel
# configs/ppo_carracing_small.yaml (64x64 gray, 2 frames, small CNN). Prints each run's charts/SPS (the
# whole loop: env stepping, inference and updates) from its metrics.csv. Run it alone: it measures.
#   scripts/pixel_sps.sh [OUT_DIR]      (default tmp/pixel_sps)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$here/build/drivelab"
out=${1:-$here/tmp/pixel_sps}
rm -rf "$out"
mkdir -p "$out"
common="--no-progress train.eval_every_steps=0 train.eval_episodes=0 train.checkpoint_every_steps=0"
run() {
  local name=$1
  shift
  "$bin" train "$@" $common --run-dir "$out/$name" >"$out/$name.log" 2>&1
  local sps
  sps=$(grep ',charts/SPS,' "$out/$name/metrics.csv" | tail -1 | cut -d, -f4)
  printf '%-34s %10.0f steps/s\n' "$name" "$sps"
}
run nature96_rgb4_default_threads "$here/configs/ppo_carracing.yaml" train.total_steps=8192
run nature96_rgb4_one_thread "$here/configs/ppo_carracing.yaml" train.total_steps=8192 train.torch_threads=1
run small64_gray2_one_thread "$here/configs/ppo_carracing_small.yaml" train.total_steps=32768
run small64_gray2_default_threads "$here/configs/ppo_carracing_small.yaml" train.total_steps=8192 train.torch_threads=0
