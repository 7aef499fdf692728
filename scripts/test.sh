#!/usr/bin/env bash
# Every test, as CI runs them. Needs root (bpf(2)) and boots kernels in
# QEMU (the qemu_* tests and the matrix check).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The static runner that boots as /init in the matrix guests.
MAPSPEC_RUNNER="$PWD/$(kernel-matrix/build-runner.sh)"
export MAPSPEC_RUNNER
cargo test --workspace
cargo run -q -p mapspec -- lint
cargo run -q -p mapspec -- docs --check --results kernel-matrix/results --results results/host
# Every kernel of the matrix re-run; fails when a result differs from the
# committed one (a changed kernel, or a spec edited without re-running).
cargo run -q -p mapspec -- matrix --check
