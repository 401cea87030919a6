#!/usr/bin/env bash
# clusworker-core on bare metal: builds the core for thumbv7em-none-eabihf
# (Cortex-M4F/M7F: no OS, no std, no alloc; 32-bit atomics with CAS) with
# -Zbuild-std=core. Proves the crate is really `#![no_std]` and needs
# nothing but `core` (a dependency on std or alloc fails to link here).
#
# Uses Debian's rustc-web (a second, Debian-packaged Rust whose std source
# ships in rust-web-src) with RUSTC_BOOTSTRAP=1 for -Zbuild-std: no prebuilt
# std for the target can be downloaded here. Its own CARGO_HOME and target
# dir, so the main toolchain's caches are untouched.
#
# Usage: .ci/nostd.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
if ! dpkg -s rustc-web cargo-web rust-web-src >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends rustc-web cargo-web rust-web-src >/dev/null
fi
WORK=${CI_WORK:-${TMPDIR:-/tmp}/clusworker-nostd}
mkdir -p "$WORK"
export PATH="/usr/bin:$PATH"
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
export CARGO_HOME="$WORK/cargo-home" CARGO_TARGET_DIR="$WORK/target"
unset RUSTFLAGS RUSTDOCFLAGS
TARGET=thumbv7em-none-eabihf
# Warnings are errors here too: the core must be lint-clean on a 32-bit,
# no-OS target, not only on the host.
RUSTFLAGS="-D warnings" /usr/bin/cargo build -p clusworker-core --target "$TARGET" \
  -Zbuild-std=core --locked
RUSTFLAGS="-D warnings" /usr/bin/cargo build -p clusworker-core --target "$TARGET" \
  -Zbuild-std=core --locked --release
lib="$CARGO_TARGET_DIR/$TARGET/release/libclusworker_core.rlib"
[ -f "$lib" ] || { echo "FAIL: no $lib" >&2; exit 1; }
echo "clusworker-core builds for $TARGET: $lib ($(stat -c %s "$lib") bytes)"
