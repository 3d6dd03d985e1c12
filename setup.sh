#!/usr/bin/env bash
# drivelab setup: installs what drivelab needs on a Debian/Ubuntu machine, builds it, and optionally runs
# the default training job or the test suite.
#
#   ./setup.sh            install dependencies (idempotent) and build into build/
#   ./setup.sh run        ... then train the default agent (configs/ppo_track.yaml defaults)
#   ./setup.sh test       ... then build the Python package into a venv and run the whole test suite (ctest)
#   ./setup.sh sanitize   ... build into build-asan/ with AddressSanitizer + UBSan (-DDRIVELAB_SANITIZE=ON)
#                         and run the torch-free tests (sim, envs, data) and the fuzz harness under them
#
# Environment:
#   DRIVELAB_CACHE    where LibTorch (a Python venv holding the pinned torch wheel) is installed once,
#                     outside the checkout, so fresh clones reuse it (default: ~/.cache/drivelab)
#   Torch_DIR / CMAKE_PREFIX_PATH
#                     an existing LibTorch to use instead of installing one
#   DRIVELAB_PYTHON   a Python whose torch package should provide LibTorch
#   BUILD_DIR         build folder (default: build)
#   DRIVELAB_NO_PYTHON=1   test mode: skip the Python package (its ctest cases then report skipped)
set -euo pipefail

TORCH_VERSION=2.13.0   # its CUDA (13.0) matches the toolkit on our machines
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
mode=${1:-build}
case "$mode" in build | run | test | sanitize) ;; *)
  echo "usage: ./setup.sh [build|run|test|sanitize]" >&2
  exit 2
  ;;
esac
shift || true
if [ "$mode" = sanitize ]; then BUILD_DIR=${BUILD_DIR:-build-asan}; else BUILD_DIR=${BUILD_DIR:-build}; fi
CACHE=${DRIVELAB_CACHE:-$HOME/.cache/drivelab}
log() { printf '[setup] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup.sh: need root (or sudo) to install Debian packages: $*" >&2
    exit 1
  fi
}

# --- 1. Debian packages --------------------------------------------------------------------------------
DEB_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git python3 python3-venv python3-pip
  libbox2d-dev libsdl2-dev libsdl2-ttf-dev fonts-dejavu-core libyaml-cpp-dev catch2 libcli11-dev
  nlohmann-json3-dev libsqlite3-dev libgif-dev libplplot-dev plplot-driver-cairo libbenchmark-dev libstb-dev
)
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present"
fi

# --- 2. LibTorch ---------------------------------------------------------------------------------------
# Preference: an explicit Torch_DIR / CMAKE_PREFIX_PATH, then DRIVELAB_PYTHON's torch, then our cached venv.
torch_prefix=""
if [ -n "${Torch_DIR:-}" ]; then
  log "using Torch_DIR=$Torch_DIR"
elif [ -n "${CMAKE_PREFIX_PATH:-}" ] && ls "${CMAKE_PREFIX_PATH%%:*}"/share/cmake/Torch/TorchConfig.cmake >/dev/null 2>&1; then
  log "using LibTorch from CMAKE_PREFIX_PATH"
else
  py=${DRIVELAB_PYTHON:-}
  if [ -z "$py" ]; then
    venv="$CACHE/torch-$TORCH_VERSION"
    if ! "$venv/bin/python" -c 'import torch' >/dev/null 2>&1; then
      log "installing torch==$TORCH_VERSION into $venv (once; later clones reuse it)"
      mkdir -p "$CACHE"
      rm -rf "$venv.tmp"
      python3 -m venv "$venv.tmp"
      "$venv.tmp/bin/python" -m pip install -q --no-cache-dir "torch==$TORCH_VERSION"
      # A venv records its own path: build it aside, then move it into place and fix the path up.
      rm -rf "$venv"
      mv "$venv.tmp" "$venv"
      grep -rlI "$venv.tmp" "$venv/bin" | xargs -r sed -i "s|$venv.tmp|$venv|g"
    fi
    py="$venv/bin/python"
  fi
  torch_prefix=$("$py" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)' 2>/dev/null)
  log "LibTorch from $("$py" -c 'import torch; print(torch.__file__)' 2>/dev/null)"
fi

# --- 3. Configure and build ----------------------------------------------------------------------------
cmake_args=(-S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release)
[ "$mode" = sanitize ] && cmake_args=(-S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDRIVELAB_SANITIZE=ON)
[ -n "$torch_prefix" ] && cmake_args+=("-DCMAKE_PREFIX_PATH=$torch_prefix${CMAKE_PREFIX_PATH:+;$CMAKE_PREFIX_PATH}")
if [ ! -f "$BUILD_DIR/build.ninja" ] || [ -n "$torch_prefix" ]; then
  cmake "${cmake_args[@]}" >/dev/null
fi
# ccache keys on the compiler's arguments, which hold absolute include paths; a base dir makes them
# relative, so a fresh clone elsewhere (as CI makes) reuses the cache.
export CCACHE_BASEDIR="$here"
# Files compiled with the precompiled LibTorch header (CMakeLists.txt, DRIVELAB_PCH) are cached only with
# these relaxations; ccache still hashes the header's contents.
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
jobs=${DRIVELAB_JOBS:-$(nproc)}
log "building ($jobs jobs)"
if [ "$mode" = sanitize ]; then
  cmake --build "$BUILD_DIR" -j "$jobs" --target drivelab test_sim test_envs test_data
else
  cmake --build "$BUILD_DIR" -j "$jobs"
fi

# --- 4. The Python package (test mode) -------------------------------------------------------------------
# Test packages (Gymnasium, Stable-Baselines3, TensorBoard, pytest, the build backend) go once into a venv in
# the cache that sees the LibTorch venv's torch through a .pth file, so SB3 reuses that torch instead of
# downloading another. Each build folder gets its own small venv (BUILD_DIR/python-venv) that sees those
# packages and holds this checkout's drivelab package, so checkouts never overwrite each other's build.
# Failing here skips the Python tests with the reason (BUILD_DIR/python-venv.skip); it never stops the suite.
PYDEPS_VERSION=1
PYDEPS=(numpy "gymnasium>=1.0,<2" "stable-baselines3>=2.3" tensorboard pytest "nanobind>=2.0" "scikit-build-core>=0.10")
python_package() {
  local venv="$BUILD_DIR/python-venv" skip="$BUILD_DIR/python-venv.skip" deps="$CACHE/pydeps-$PYDEPS_VERSION"
  rm -f "$skip"
  site() { "$1/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }
  local torch_site=""
  if [ -n "${py:-}" ] && "$py" -c 'import torch' >/dev/null 2>&1; then
    torch_site=$("$py" -c 'import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))')
  fi
  if [ ! -f "$deps/.complete" ]; then
    log "installing the Python test packages into $deps (once)"
    rm -rf "$deps"
    python3 -m venv "$deps" || { echo "python3 -m venv failed" >"$skip"; return 0; }
    if [ -n "$torch_site" ] && [ "$("$py" -c 'import sys; print(sys.version_info[:2])')" = "$(python3 -c 'import sys; print(sys.version_info[:2])')" ]; then
      echo "import site; site.addsitedir('$torch_site')" >"$(site "$deps")/drivelab-torch.pth"
    fi
    if ! "$deps/bin/python" -m pip install -q "${PYDEPS[@]}" >"$BUILD_DIR/python-deps.log" 2>&1; then
      echo "pip install of the test packages failed; see $BUILD_DIR/python-deps.log" >"$skip"
      return 0
    fi
    touch "$deps/.complete"
  fi
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || { echo "python3 -m venv failed" >"$skip"; return 0; }
    echo "import site; site.addsitedir('$(site "$deps")')" >"$(site "$venv")/drivelab-deps.pth"
  fi
  log "building the Python package into $venv"
  local build_abs
  build_abs=$(cd "$BUILD_DIR" && pwd)
  if ! CMAKE_BUILD_PARALLEL_LEVEL="$jobs" "$venv/bin/python" -m pip install -q --no-build-isolation --no-deps \
      --force-reinstall --config-settings=build-dir="$build_abs/python-build" ./python >"$BUILD_DIR/python-build.log" 2>&1; then
    echo "building the drivelab package failed; see $BUILD_DIR/python-build.log" >"$skip"
    log "the Python package did not build (see $BUILD_DIR/python-build.log); its tests will be skipped"
  fi
}

case "$mode" in
run)
  # The default agent is the best general driving policy measured (docs/circuits.md): one policy for the
  # procedural tracks and real-scale circuits, DAgger from the scripted expert. Overrides and options apply
  # to it; a config file given first (or --resume) replaces it.
  args=("$@")
  if [ ${#args[@]} -eq 0 ] || { [[ "${args[0]}" != *.yaml && "${args[0]}" != *.yml ]] && [[ " ${args[*]} " != *" --resume "* ]]; }; then
    args=(configs/dagger_circuits.yaml "${args[@]}")
  fi
  log "training the default agent: $BUILD_DIR/drivelab train ${args[*]}"
  exec "$BUILD_DIR/drivelab" train "${args[@]}"
  ;;
test)
  if [ -n "${DRIVELAB_NO_PYTHON:-}" ]; then
    echo "DRIVELAB_NO_PYTHON is set" >"$BUILD_DIR/python-venv.skip"
  else
    python_package
  fi
  log "running the test suite"
  exec ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$jobs" "$@"
  ;;
sanitize)
  # protect_shadow_gap=0: CUDA's runtime maps memory where ASan keeps its shadow gap. Leaks are not
  # checked (LibTorch keeps global state to exit). The RSS limit stands in for the fuzz harness's
  # RLIMIT_AS, which ASan's shadow memory does not fit under.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-protect_shadow_gap=0:detect_leaks=0:hard_rss_limit_mb=6144}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
  log "running the torch-free tests and the fuzz harness under ASan + UBSan"
  exec ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$jobs" -R '^(sim|envs|data|fuzz):' "$@"
  ;;
esac
