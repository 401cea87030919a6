#!/usr/bin/env bash
# Model-checks the worker-word protocol (worker_word.pml) and the async
# waiters' list (async_waiters.pml) with spin.
#
#   bash verification/spin/check.sh            # N = 2 and 4 terminators
#   SPIN_N="1 2 3 4" bash verification/spin/check.sh   # other N (1..4)
#   SPIN_LIVE_N="2 4" bash verification/spin/check.sh  # liveness at N = 4 too (minutes, > 90 M states)
#
# Runs every safety and liveness check for each N, then the seeded bugs
# (mutants), which must each be reported. Exits non-zero if a check reports
# an error, a search is incomplete, pan prints no "errors:" line, or a mutant
# is NOT caught. Works in a temporary directory; needs gcc.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
model="$here/worker_word.pml"
ns=${SPIN_N:-"2 4"}
memlim=${SPIN_MEMLIM:-6144}   # MB, per pan run (the N = 4 safety run needs ~4 GB)
live_ns=${SPIN_LIVE_N:-2}      # liveness at these N (N = 4: > 90 M states, minutes)
limit=${SPIN_TIMEOUT:-240}    # seconds, per pan run

command -v spin >/dev/null || { apt-get update -qq && apt-get install -y -qq spin; }
command -v gcc >/dev/null || { echo "FAIL: gcc is needed to compile spin's verifier" >&2; exit 1; }
spin -V

work=$(mktemp -d "${TMPDIR:-/tmp}/spin-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

failures=0
total_start=$(date +%s)

# run NAME EXPECT SPIN_DEFS GCC_FLAGS PAN_FLAGS
#   EXPECT=pass: the search must be complete with "errors: 0".
#   EXPECT=fail: pan must report at least one error (a mutant is caught).
run() {
  local name=$1 expect=$2 sdefs=$3 cflags=$4 pflags=$5
  local dir="$work/$name"
  mkdir -p "$dir"
  cp "$model" "$dir/"
  if ! (cd "$dir" && spin $sdefs -a "$(basename "$model")" >spin.log 2>&1); then
    echo "FAIL  $name: spin -a failed"; sed 's/^/      /' "$dir/spin.log"
    failures=$((failures + 1)); return
  fi
  # -w: gcc's -Wstringop-overflow misreads spin's bounds-checked Index()
  if ! (cd "$dir" && gcc $cflags -w -DMEMLIM="$memlim" -o pan pan.c 2>gcc.log); then
    echo "FAIL  $name: gcc failed"; sed 's/^/      /' "$dir/gcc.log"
    failures=$((failures + 1)); return
  fi
  local rc=0
  (cd "$dir" && timeout "$limit" ./pan -m100000 $pflags >pan.log 2>&1) || rc=$?
  local log="$dir/pan.log"
  local errors states depth secs first
  errors=$(grep -o 'errors: [0-9]*' "$log" | tail -1 | awk '{print $2}' || true)
  states=$(awk '/states, stored/ {print $1; exit}' "$log")
  depth=$(grep -o 'depth reached [0-9]*' "$log" | tail -1 | awk '{print $3}' || true)
  secs=$(grep -o 'elapsed time [0-9.e+-]*' "$log" | tail -1 | awk '{print $3}' || true)
  first=$(grep -m1 '^pan:1:' "$log" || true)
  local figures="states=${states:-?} depth=${depth:-?} errors=${errors:-?} time=${secs:-?}s"
  if [ -z "$errors" ]; then
    echo "FAIL  $name: no 'errors:' line from pan (exit $rc)"; tail -5 "$log" | sed 's/^/      /'
    failures=$((failures + 1)); return
  fi
  if [ "$expect" = pass ]; then
    if [ "$errors" -ne 0 ]; then
      echo "FAIL  $name: $figures"; echo "      $first"
      failures=$((failures + 1))
    elif grep -qE 'Search not completed|max search depth too small|out of memory|hash table is full' "$log"; then
      echo "FAIL  $name: search incomplete ($figures)"
      grep -E 'Search not completed|max search depth|out of memory|hash table' "$log" | sed 's/^/      /'
      failures=$((failures + 1))
    else
      echo "ok    $name: $figures"
    fi
  else
    if [ "$errors" -eq 0 ]; then
      echo "FAIL  $name: mutant NOT caught ($figures)"
      failures=$((failures + 1))
    else
      echo "ok    $name: caught -- ${first#pan:1: }"
    fi
  fi
}

# COLLAPSE: spin's lossless state compression (still exhaustive); the
# reason's claim step (issue 16) made the larger runs about 3x bigger.
safe="-O2 -DSAFETY -DCOLLAPSE"
live="-O2 -DNFAIR=3 -DCOLLAPSE"

echo
echo "== the protocol (exhaustive; safety: assertions + invalid end states)"
for n in $ns; do
  # worker + n terminators + the handle (join / early take / detach),
  # one spurious futex wake-up allowed anywhere in a run
  run "safety-N$n" pass "-DN=$n -DNCLAIM=1 -DNWAIT=0 -DSPURIOUS=1" "$safe" "-w28"
done
# richer mixes at N = 2: a timed waiter, two claimants racing for the result
run "safety-N2-waiter" pass "-DN=2 -DNCLAIM=1 -DNWAIT=1 -DSPURIOUS=1" "$safe" "-w28"
run "safety-N2-2claimants" pass "-DN=2 -DNCLAIM=2 -DNWAIT=0 -DSPURIOUS=1" "$safe" "-w28"
# a later request waits for the first one's reason through sleep, exactly as
# the Rust code does (the runs above: a guard on TERMINATE)
run "safety-N2-loser-sleeps" pass "-DN=2 -DNCLAIM=1 -DNWAIT=0 -DSPURIOUS=1 -DLOSER_SLEEPS" "$safe" ""

echo
echo "== liveness under weak fairness (pan -a -f)"
run "live-N2-loser-sleeps-all_return" pass "-DN=2 -DNCLAIM=1 -DNWAIT=0 -DSPURIOUS=1 -DLIVENESS -DLOSER_SLEEPS" "$live" "-a -f -N all_return"
for n in $live_ns; do
  defs="-DN=$n -DNCLAIM=1 -DNWAIT=0 -DSPURIOUS=1 -DLIVENESS"
  run "live-N$n-all_return" pass "$defs" "$live" "-a -f -N all_return"
  if [ "$n" -le 2 ]; then
    # implied by all_return; cheap enough to check on their own at small N
    run "live-N$n-terminators_return" pass "$defs" "$live" "-a -f -N terminators_return"
    run "live-N$n-first_returns" pass "$defs" "$live" "-a -f -N first_returns"
  fi
done

echo
echo "== seeded bugs: each must be reported"
m="-DN=2 -DNCLAIM=1 -DNWAIT=0 -DSPURIOUS=1"
for mutant in NO_WAKE SLEEP_STORE WAIT_NO_CMP EXIT_NO_WAKE TERM_STORE EXIT_BEFORE_WRITE FREE_ON_EXITED; do
  run "mutant-$mutant" fail "$m -DMUTANT_$mutant" "-O0 -DSAFETY" ""
done
# the reason (issue 16): published before it is written; written by every
# request instead of the one claimant
for mutant in PUBLISH_BEFORE_WRITE NO_CLAIM; do
  run "mutant-$mutant" fail "$m -DMUTANT_$mutant" "-O0 -DSAFETY" ""
done
# the check-then-store terminate also breaks first-terminator uniqueness:
# with invalid end states ignored (-E) the count assertion must fire
run "mutant-TERM_STORE-assert" fail "$m -DMUTANT_TERM_STORE" "-O0 -DSAFETY" "-E"
run "mutant-TAKE_NO_CLAIM" fail "-DN=2 -DNCLAIM=2 -DNWAIT=0 -DSPURIOUS=1 -DMUTANT_TAKE_NO_CLAIM" "-O0 -DSAFETY" ""
# a livelock: invisible to the safety search, caught by the liveness claim
run "mutant-CAS_NO_REREAD-live" fail "$m -DLIVENESS -DMUTANT_CAS_NO_REREAD" "-O0 -DNFAIR=3" "-a -f -N all_return"

echo
echo "== async waiters (async_waiters.pml): the intrusive list, its futex lock, the drain"
model="$here/async_waiters.pml"
# one terminate waiter (which may drop itself while pending) and one exit
# waiter; then two terminate waiters and one waker per turn of the lock,
# so that the drain needs a second turn
run "async-T1-E1" pass "-DNT=1 -DNE=1 -DBATCH=1" "$safe" ""
run "async-T2-E0" pass "-DNT=2 -DNE=0 -DBATCH=1" "$safe" ""
for mutant in ANNOUNCE_FIRST SETTER_LOAD DROP_NO_UNLINK UNLOCK_NO_WAKE; do
  run "async-mutant-$mutant" fail "-DNT=1 -DNE=1 -DBATCH=1 -DMUTANT_$mutant" "-O0 -DSAFETY" ""
done
run "async-mutant-ONE_BATCH" fail "-DNT=2 -DNE=0 -DBATCH=1 -DMUTANT_ONE_BATCH" "-O0 -DSAFETY" ""

# The model mirrors these lines of the Rust code; warn when they change.
root=$(cd "$here/../.." && pwd)
if [ -f "$root/core/src/word.rs" ] && [ -f "$root/core/src/waiters/wake.rs" ]; then
  stale=0
  while IFS='|' read -r file anchor; do
    grep -qF -- "$anchor" "$root/$file" || { echo "WARNING: '$anchor' not found in $file"; stale=1; }
  done <<'EOF'
core/src/word.rs|self.word.load(Acquire) & TERMINATE != 0
core/src/word.rs|let claimed = self.word.fetch_or(REQUESTING, Acquire);
core/src/word.rs|let old = self.word.fetch_or(TERMINATE | kind, AcqRel);
core/src/word.rs|let _ = self.sleep(Duration::MAX);
core/src/word.rs|if old & SLEEPER != 0 {
core/src/word.rs|.compare_exchange(cur, cur | SLEEPER, Acquire, Acquire)
core/src/word.rs|.compare_exchange(cur, cur | EXIT_WAITER, Acquire, Acquire)
core/src/word.rs|P::wait(&self.word, cur, remaining);
core/src/word.rs|.compare_exchange(cur, cur | EXITED | done, AcqRel, Relaxed)
core/src/word.rs|self.word.fetch_or(COMPLETED, AcqRel)
core/src/word.rs|if old & EXIT_WAITER != 0 {
core/src/cell.rs|let claimed = self.word.fetch_or(COMPLETING, AcqRel);
core/src/cell.rs|self.word.bits() & EXITED == 0
core/src/cell.rs|self.word.fetch_or(CLAIMED, AcqRel) & CLAIMED != 0
core/src/cell.rs|self.word.fetch_or(RELEASED, AcqRel)
core/src/cell.rs|old & RELEASED == 0 && old & COMPLETED != 0
core/src/until.rs|if this.word.bits() & mask != 0 {
core/src/until.rs|word.fetch_or(ASYNC_WAITER, AcqRel) & mask != 0
core/src/word.rs|self.waiters.wake(TERMINATE);
core/src/lock.rs|if self.word.fetch_or(LOCKED, Acquire) & LOCKED != 0 {
core/src/lock.rs|while self.word.fetch_or(LOCKED | CONTENDED, Acquire) & LOCKED != 0 {
core/src/lock.rs|P::wait(&self.word, LOCKED | CONTENDED, None);
core/src/lock.rs|if cur & CONTENDED != 0 {
core/src/waiters/wake.rs|if is_call && taken > 0 || taken == BATCH {
EOF
  [ "$stale" -eq 0 ] || echo "WARNING: the Rust code moved; review the .pml models and README.md"
fi

echo
echo "spin checks: $failures failure(s), $(( $(date +%s) - total_start )) s"
[ "$failures" -eq 0 ]
