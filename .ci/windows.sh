#!/usr/bin/env bash
# The Windows backend, built and tested on this Linux machine:
#
# 1. the tests of clusworker-windows, the worker and monitor tests of
#    clusworker, and the Rust tests of the C ABI (clusworker-capi), built
#    for x86_64-pc-windows-gnu and run under Wine;
# 2. `cargo check` of the workspace's Windows crates for
#    x86_64-pc-windows-msvc, and `cargo clippy -D warnings` for both Windows
#    targets.
#
# Uses Debian's rustc-web (a second, Debian-packaged Rust whose std source
# ships in rust-web-src; its clippy is rust-web-clippy) with
# RUSTC_BOOTSTRAP=1 for -Zbuild-std (no prebuilt Windows std can be
# downloaded here), mingw-w64 as the linker and for the `raw-dylib` import
# libraries windows-sys needs (dlltool), and Wine as the test runner. Wine 8
# lacks bcryptprimitives.dll (ProcessPrng), which Rust's std >= 1.78 imports
# at load time: a one-function shim, compiled with mingw, fills the gap.
# `check` and `clippy` for msvc need no MSVC linker: nothing is linked.
#
# Any failing test, lint or build exits non-zero.
#
# Usage: .ci/windows.sh [extra cargo test args, passed to every test run]
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
PKGS=(rustc-web cargo-web rust-web-src rust-web-clippy
      gcc-mingw-w64-x86-64-win32 binutils-mingw-w64-x86-64 wine wine64)
if ! dpkg -s "${PKGS[@]}" >/dev/null 2>&1; then
  apt-get update -qq
  # rustc-web conflicts with Debian's rustc/cargo 1.63 (they get removed);
  # rustup's toolchain is untouched.
  apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null
fi

WORK=${CI_WORK:-${TMPDIR:-/tmp}/clusworker-win}
mkdir -p "$WORK"
# Debian's toolchain, explicitly: rustup's ~/.cargo/bin proxies (cargo,
# cargo-clippy, clippy-driver) would otherwise win in PATH.
export PATH="/usr/bin:$PATH"
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
export CARGO_HOME="$WORK/cargo-home" CARGO_TARGET_DIR="$WORK/target"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
export WINEPREFIX="$WORK/wineprefix" WINEDEBUG=-all WINEARCH=win64
# No Wine desktop/display: the tests are console programs.
export DISPLAY=
unset RUSTFLAGS RUSTDOCFLAGS CARGO_BUILD_TARGET

step() { printf '\n---- windows: %s ----\n' "$*"; }
start=$(date +%s)

step "Wine prefix, with the bcryptprimitives.dll shim"
SHIM="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$SHIM" ]; then
  wine wineboot --init >/dev/null 2>&1 || true
  wineserver -w || true
  cat > "$WORK/bcryptprimitives.c" <<'C'
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len); /* RtlGenRandom */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len) { ULONG c = len > 0x10000000 ? 0x10000000 : (ULONG)len;
    if (!SystemFunction036(data, c)) return FALSE; data += c; len -= c; }
  return TRUE; }
C
  x86_64-w64-mingw32-gcc -shared -O2 -o "$SHIM" "$WORK/bcryptprimitives.c" -ladvapi32
fi
# One wineserver for the whole run (not one started and stopped per test
# binary); stopped on exit.
wineserver -p >/dev/null 2>&1 || true
trap 'wineserver -k >/dev/null 2>&1 || true' EXIT

BUILD=(-Zbuild-std --locked)
GNU=(--target x86_64-pc-windows-gnu)
MSVC=(--target x86_64-pc-windows-msvc)
# The crates that build for Windows. verification/ and benches/ are
# Unix-only harnesses (pthread and futex peers, valgrind, loom).
CRATES=(-p clusworker -p clusworker-core -p clusworker-windows -p clusworker-capi
        -p clusworker-test-support)

step "tests of clusworker-windows under Wine"
cargo test "${BUILD[@]}" "${GNU[@]}" -p clusworker-windows --lib --tests "$@"

step "worker, monitor and async tests of clusworker under Wine"
cargo test "${BUILD[@]}" "${GNU[@]}" -p clusworker --lib \
  --test worker --test terminate --test terminate_all --test own_thread \
  --test panics --test builder \
  --test monitor --test monitor_concurrency --test monitor_escalation \
  --test monitor_idle --test monitor_polls \
  --test exited_future --test terminated_future --test async_no_alloc \
  --test inline_waker --test drop_panics --test callback --test deadline \
  --test callback_panics --test diagnostics --test diagnostics_names --test scope \
  --test scope_ending --test scope_children --test terminate_joins "$@"

step "the C ABI (clusworker-capi) called from Rust, under Wine"
cargo test "${BUILD[@]}" "${GNU[@]}" -p clusworker-capi --tests "$@"

step "docs of clusworker-windows (empty, so undocumented, off Windows)"
RUSTDOCFLAGS="-D warnings" cargo doc "${BUILD[@]}" "${GNU[@]}" --no-deps -p clusworker-windows

step "cargo check for x86_64-pc-windows-msvc"
cargo check "${BUILD[@]}" "${MSVC[@]}" "${CRATES[@]}" --all-targets

step "clippy for x86_64-pc-windows-msvc and x86_64-pc-windows-gnu"
# clusworker-core's library is linted here as a workspace member both
# crates build on; its own tests are target-independent and linted by the
# native clippy step of .ci/run (rustc-web's newer lints would otherwise
# fail this step on code the native toolchain accepts).
LINT=(-p clusworker -p clusworker-windows -p clusworker-capi -p clusworker-test-support
      --all-targets)
cargo clippy "${BUILD[@]}" "${MSVC[@]}" "${LINT[@]}" -- -D warnings
# On windows-gnu only, clippy 1.96 flags the thread_local!s of two test
# helpers (test-support/src/watchdog.rs, tests/own_thread.rs) as "can be made
# `const`": a false positive, their initialisers are `const { .. }` already
# (the native clippy and the msvc target agree). Allowed for this step only.
cargo clippy "${BUILD[@]}" "${GNU[@]}" "${LINT[@]}" -- -D warnings \
  -A clippy::missing_const_for_thread_local

echo
echo "windows: passed in $(( $(date +%s) - start )) s"
