#!/usr/bin/env bash
# Builds clusworker's C ABI (the clusworker-capi crate, in this folder) as a
# static and a shared library, checks that both export the ClusWorker*
# functions, compiles the C test program capi/tests/clipbook.c against
# include/clusworker.h and each library, and runs it; then compiles the
# resource libraries (capi/tests/clipbook_resdll.c and every variant of
# resdll_bad.c) against include/clusworker_resapi.h and checks that they
# export Startup. (The host's tests, host/tests/resdll*.rs, run them.)
# Fails on any failure.
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

echo '#include "clusworker_resapi.h"' | "$cc" "${cflags[@]}" -pedantic -x c -fsyntax-only -
if command -v g++ >/dev/null; then
  echo '#include "clusworker_resapi.h"' | g++ -std=c++11 -Wall -Wextra -Werror -Iinclude -x c++ -fsyntax-only -
fi

echo "== build both libraries"
cargo build -q -p clusworker-capi --release
lib="$target_dir/release/libclusworker_capi"
syms=(ClusWorkerCreate ClusWorkerCheckTerminate ClusWorkerTerminate
      ClusWorkerTerminateEx ClusWorkersTerminate)

# exports LIBRARY [NM OPTIONS]: fails unless LIBRARY defines every function
# of $syms. nm's output goes to a file first: `nm | grep -q` fails under
# pipefail when grep stops reading early.
exports() {
  local library=$1; shift
  nm "$@" --defined-only "$library" >"$out/nm.txt"
  for sym in "${syms[@]}"; do
    grep -qE "^[0-9a-f]+ T $sym\$" "$out/nm.txt" \
      || { echo "FAIL: $library does not export $sym" >&2; exit 1; }
  done
}

echo "== static library"
exports "$lib.a"
"$cc" "${cflags[@]}" capi/tests/clipbook.c "$lib.a" -ldl -lm -o "$out/clipbook-static"
"$out/clipbook-static"

echo "== shared library"
exports "$lib.so" -D
"$cc" "${cflags[@]}" capi/tests/clipbook.c -L"$target_dir/release" -lclusworker_capi \
  -Wl,-rpath,"$(cd "$target_dir/release" && pwd)" -o "$out/clipbook-shared"
"$out/clipbook-shared"

echo "== resource libraries"
"$cc" "${cflags[@]}" -shared -fPIC capi/tests/clipbook_resdll.c -L"$target_dir/release" \
  -lclusworker_capi -o "$out/libclipbook.so"
nm -D --defined-only "$out/libclipbook.so" >"$out/nm.txt"
grep -qE "^[0-9a-f]+ T Startup\$" "$out/nm.txt" \
  || { echo "FAIL: libclipbook.so does not export Startup" >&2; exit 1; }
for variant in BAD_NO_STARTUP BAD_VERSIONS BAD_TABLE_VERSION BAD_TABLE_SIZE BAD_NULL_ENTRY \
               BAD_NO_TABLE BAD_OPEN BAD_REPORTS; do
  "$cc" "${cflags[@]}" -shared -fPIC -D"$variant" capi/tests/resdll_bad.c -o "$out/libbad.so"
done

echo "capi: passed"
