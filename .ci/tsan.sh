#!/usr/bin/env bash
# ThreadSanitizer over the tests of the library crates (clusworker, -core,
# -posix, -verification, -monitor), with an instrumented std
# (-Zbuild-std): without it TSan reports false races inside std's own
# synchronisation. Uses Debian's rustc-web (a second, Debian-packaged Rust
# whose std source ships in rust-web-src) with RUSTC_BOOTSTRAP=1 for the
# -Z flags, and LLVM's TSan runtime from libclang-rt-22-dev (rustc-web is
# built on LLVM 22 and ships no sanitizer runtimes of its own).
#
# Usage: .ci/tsan.sh [extra cargo test args...]
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
if ! dpkg -s rustc-web rust-web-src cargo-web libclang-rt-22-dev >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends rustc-web cargo-web rust-web-src libclang-rt-22-dev llvm-14 >/dev/null
fi
WORK=${CI_WORK:-${TMPDIR:-/tmp}/clusworker-tsan}
mkdir -p "$WORK"
RT=/usr/lib/llvm-22/lib/clang/22/lib/linux/libclang_rt.tsan-x86_64.a
[ -f "$RT" ] || { echo "no TSan runtime at $RT" >&2; exit 1; }
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
export CARGO_HOME="$WORK/cargo-home" CARGO_TARGET_DIR="$WORK/target"
# The runtime must come before libc on the link line: -Zpre-link-arg.
export RUSTFLAGS="-Zsanitizer=thread -Zexternal-clangrt -Zpre-link-arg=-Wl,--whole-archive -Zpre-link-arg=$RT -Zpre-link-arg=-Wl,--no-whole-archive"
export RUSTDOCFLAGS="$RUSTFLAGS"
SYM=$(ls /usr/lib/llvm-*/bin/llvm-symbolizer 2>/dev/null | sort -V | tail -1 || true)
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1${SYM:+ external_symbolizer_path=$SYM}"
# Lockfile from the main toolchain is reused as is (--locked): same crates.
/usr/bin/cargo test -Zbuild-std --target x86_64-unknown-linux-gnu --locked \
  -p clusworker -p clusworker-core -p clusworker-posix -p clusworker-verification -p clusworker-monitor "$@"
