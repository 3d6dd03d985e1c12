#!/bin/bash
# Cold and incremental build times of this checkout, ccache off (docs/performance.md, "Build time").
#   tools/build_time.sh BUILD_DIR [PCH [UNITY]]   (ON|OFF: DRIVELAB_PCH and DRIVELAB_UNITY, default ON ON;
#                                                  BUILD_DIR is deleted first)
# Needs the LibTorch venv ./setup.sh made. Run it on an otherwise idle machine: it measures wall time.
set -euo pipefail
build=${1:?usage: tools/build_time.sh BUILD_DIR [PCH [UNITY]]}
pch=${2:-ON}
unity=${3:-ON}
src=$(cd "$(dirname "$0")/.." && pwd)
py=${DRIVELAB_TORCH_VENV:-$HOME/.cache/drivelab/torch-2.13.0}/bin/python
torch_prefix=$("$py" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)' 2>/dev/null)
export CCACHE_DISABLE=1
rm -rf "$build"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_prefix" \
      -DDRIVELAB_PCH="$pch" -DDRIVELAB_UNITY="$unity" >"$build.configure.log" 2>&1 ||
  { tail -20 "$build.configure.log"; exit 1; }
rm -f "$build.configure.log"
timed() {  # label, then the build
  local label=$1
  /usr/bin/time -f "$label: wall %e s, CPU %U + %S s" cmake --build "$build" -j 2 >/dev/null 2>"$build.err" ||
    { tail -20 "$build.err"; exit 1; }
  tail -1 "$build.err"
}
timed "cold (PCH $pch, unity $unity)"
# One-line edits, each undone afterwards (the file's content is restored byte for byte).
for f in agents/ppo.cpp agents/session.h; do
  cp -p "$src/$f" "$build/edit.bak"
  trap 'cp -p "$build/edit.bak" "$src/$f"' EXIT
  echo "// build-time probe" >> "$src/$f"
  timed "after editing $f"
  cp -p "$build/edit.bak" "$src/$f"
  trap - EXIT
done
cmake --build "$build" -j 2 >/dev/null
timed "no-op"
rm -f "$build.err" "$build/edit.bak"
