#!/usr/bin/env bash
# The main job: check every spec on this kernel, then regenerate
# Documentation/ from the specs and the recorded results.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release -q -p mapspec
bin=target/release/mapspec
$bin lint
release=$(uname -r)
# results/host holds this machine's kernel only (committed, read by docgen).
rm -rf results/host
mkdir -p results/host
# Human report on the terminal; JSON without timings (so it diffs) for docgen.
status=0
$bin run --save "results/host/$release.json" || status=$?
$bin docs --results kernel-matrix/results --results results/host
exit $status
