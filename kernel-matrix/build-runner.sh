#!/usr/bin/env bash
# Builds the fully static `mapspec` that boots as /init in the matrix guests
# (Debian kernels have no 9p/virtio built in, so the guest gets nothing but
# an initramfs). Prints the binary's path on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$(rustc -vV | sed -n 's/^host: //p')
RUSTFLAGS='-C target-feature=+crt-static -C relocation-model=static -C strip=symbols' \
  CARGO_TARGET_DIR=target/static \
  cargo build --release -q -p mapspec --target "$target" >&2
echo "target/static/$target/release/mapspec"
