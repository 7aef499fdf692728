#!/usr/bin/env bash
# CI for a kernel tree: build the kernel with mapspec's config fragment, run
# the mapspec suite on it under QEMU, compare every claim with the
# committed results of the last release, and leave a report to upload.
#
#   kernel-tree-ci.sh KERNEL_TREE MAPSPEC_CHECKOUT [BASELINE] [ALLOWED_CLAIM...]
#
# BASELINE: a kernel version (7.2) or a results file; default: the newest
# release at or below the built kernel's version. ALLOWED_CLAIM: claim ids
# whose change the patch intends. Exit status: 0 when no documented
# behaviour changed, 1 when one did, 2 on a build or boot problem. The
# report (results JSON, the comparison, the build log) is in
# $MAPSPEC_REPORT_DIR (default: ./mapspec-report), for the CI job to upload.
#
# Needs: the kernel's build dependencies (gcc, make, flex, bison, bc,
# libelf-dev, libssl-dev, pahole for BTF), qemu-system-x86_64, and a Rust
# toolchain for mapspec. See .github/workflows/kernel-tree.yml.
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,17p' "$0" >&2
  exit 2
fi
tree=$(realpath "$1")
mapspec_dir=$(realpath "$2")
baseline=${3:-}
shift $(( $# < 3 ? $# : 3 ))
report=$(realpath -m "${MAPSPEC_REPORT_DIR:-mapspec-report}")
mkdir -p "$report"

# 1. Build: a defconfig plus the fragment (merge_config.sh warns about any
#    option the tree does not know or overrides).
(
  cd "$tree"
  make x86_64_defconfig
  scripts/kconfig/merge_config.sh -m .config "$mapspec_dir/kernel-matrix/mapspec.config"
  make olddefconfig
  make -j"$(nproc)" bzImage
) >"$report/build.log" 2>&1 || { tail -50 "$report/build.log" >&2; exit 2; }

# 2. mapspec and its static guest runner.
(cd "$mapspec_dir" && cargo build --release -q -p mapspec)
runner=$(cd "$mapspec_dir" && kernel-matrix/build-runner.sh)

# 3. Run and compare; results and the comparison go into the report.
args=(matrix --image "$tree/arch/x86/boot/bzImage" --out "$report/results"
      --runner "$mapspec_dir/$runner" --baseline)
[ -n "$baseline" ] && args+=("$baseline")
[ $# -gt 0 ] && args+=(--baseline-allow "$@")
set +e
(cd "$mapspec_dir" && target/release/mapspec "${args[@]}") | tee "$report/comparison.txt"
status=${PIPESTATUS[0]}
set -e
exit "$status"
