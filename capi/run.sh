#!/usr/bin/env bash
# Builds clusworker's C ABI (the `capi` feature) as a static and a shared
# library, compiles the C test program capi/tests/clipbook.c against
# include/clusworker.h and each library, and runs it. Fails on any failure.
# Honours CARGO_TARGET_DIR; CC defaults to gcc.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir=${CARGO_TARGET_DIR:-target}
out="$target_dir/capi"
cc=${CC:-gcc}
cflags=(-std=c11 -Wall -Wextra -Werror -pthread -O2 -Iinclude)
mkdir -p "$out"

echo "== the header compiles alone, as C and as C++"
echo '#include "clusworker.h"' | "$cc" "${cflags[@]}" -x c -fsyntax-only -
if command -v g++ >/dev/null; then
  echo '#include "clusworker.h"' | g++ -std=c++11 -Wall -Wextra -Werror -Iinclude -x c++ -fsyntax-only -
fi

echo "== static library"
cargo rustc -q -p clusworker --release --features capi --crate-type staticlib
"$cc" "${cflags[@]}" capi/tests/clipbook.c "$target_dir/release/libclusworker.a" \
  -ldl -lm -o "$out/clipbook-static"
"$out/clipbook-static"

echo "== shared library"
cargo rustc -q -p clusworker --release --features capi --crate-type cdylib
for sym in ClusWorkerCreate ClusWorkerCheckTerminate ClusWorkerTerminate \
           ClusWorkerTerminateEx ClusWorkersTerminate; do
  nm -D --defined-only "$target_dir/release/libclusworker.so" | grep -qw "$sym" \
    || { echo "FAIL: libclusworker.so does not export $sym" >&2; exit 1; }
done
"$cc" "${cflags[@]}" capi/tests/clipbook.c -L"$target_dir/release" -lclusworker \
  -Wl,-rpath,"$(cd "$target_dir/release" && pwd)" -o "$out/clipbook-shared"
"$out/clipbook-shared"

echo "capi: passed"
