#!/usr/bin/env bash
# Every test, as CI runs them. Needs root (bpf(2), QEMU).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo test --workspace
cargo run -q -p mapspec -- lint
cargo run -q -p mapspec -- docs --check --results kernel-matrix/results --results results/host
