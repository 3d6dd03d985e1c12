#!/usr/bin/env bash
# Downloads (apt-get download, no root) the Debian packages drivelab builds against, with their library
# dependencies, into a folder to carry to a machine with no internet, where
#   scripts/gpu_check.sh --debs FOLDER
# unpacks those not installed there into a private prefix. Packages of priority required/important (libc,
# libstdc++, ...) are left out: every Debian/Ubuntu system has them, and a second copy would not be used.
# The .debs are this machine's distribution's: carry them to a machine of the same release.
#
#   scripts/gpu_bundle.sh [FOLDER]      (default: gpu-debs/)
set -euo pipefail
dest="${1:-gpu-debs}"
# What drivelab needs to build `drivelab` and its tests, plus the build tools (a bare GPU image may lack cmake
# and ninja). Not the SDL viewer or Google Benchmark: gpu_check.sh builds without them when they are absent.
packages=(
  cmake ninja-build pkg-config
  libbox2d-dev libyaml-cpp-dev catch2 libcli11-dev nlohmann-json3-dev libsqlite3-dev
  libgif-dev libplplot-dev plplot-driver-cairo libstb-dev
)
mkdir -p "$dest"
cd "$dest"
if ! apt-cache show "${packages[0]}" >/dev/null 2>&1; then
  echo "gpu_bundle.sh: apt-cache knows no '${packages[0]}': run apt-get update first" >&2
  exit 1
fi
# The dependency closure (Depends and PreDepends only), real packages only.
mapfile -t closure < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances "${packages[@]}" | grep -v '^ ' | grep -v '^<' | sort -u)
# One apt-cache call for all: the candidate version's priority of each.
mapfile -t wanted < <(apt-cache show --no-all-versions "${closure[@]}" 2>/dev/null |
  awk '/^Package: /{p=$2} /^Priority: /{if ($2 != "required" && $2 != "important") print p}' | sort -u)
echo "downloading ${#wanted[@]} packages into $dest (of ${#closure[@]} in the closure)" >&2
apt-get download "${wanted[@]}" >/dev/null
ls -1 ./*.deb | wc -l | xargs -I{} echo "{} .deb files in $dest" >&2
du -sh . >&2
