#!/usr/bin/env bash
# Every Debian package CI needs, in one `apt-get update` and two installs, so
# that .ci/run can start it in the background while the first cargo steps
# build (downloads and unpacking overlap compilation). Each script that needs
# a package still installs it itself when run alone; once this has run, they
# find it present and skip apt.
#
#   valgrind, spin                     the leak check, the Promela models
#   rustc-web cargo-web rust-web-src   Debian's second Rust, with std's source
#     (.ci/nostd.sh, .ci/tsan.sh, .ci/windows.sh: -Zbuild-std)
#   libclang-rt-22-dev llvm-14         TSan's runtime, a symbolizer (.ci/tsan.sh)
#   rust-web-clippy, mingw-w64, wine   the Windows backend (.ci/windows.sh)
#   pacemaker corosync resource-agents the cluster engine (.ci/pacemaker.sh)
#
# Usage: .ci/packages.sh   (as root)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not start daemons (corosync, pacemaker): policy-rc.d
# exits 101, "action forbidden".
[ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; }
start=$(date +%s)
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  valgrind spin \
  rustc-web cargo-web rust-web-src rust-web-clippy libclang-rt-22-dev llvm-14 \
  gcc-mingw-w64-x86-64-win32 binutils-mingw-w64-x86-64 wine wine64 >/dev/null
apt-get install -y -qq pacemaker pacemaker-cli-utils resource-agents corosync libxml2-utils >/dev/null
echo "packages: installed in $(( $(date +%s) - start )) s"
