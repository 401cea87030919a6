/*
 * worker_word.pml -- the clusworker worker-word protocol, for spin.
 *
 * Mirrors core/src/word.rs and core/src/cell.rs step by step (see README.md
 * for the step -> Rust line table). The word is one byte of bits; every
 * atomic read-modify-write of the Rust code is one `atomic { }` step here,
 * every plain load is one step, and the retry loops are the same loops.
 *
 * Processes: one worker, N terminators (Worker::terminate), NCLAIM
 * claimants (join: wait_exited(None) then WorkerCell::take; claimant 0 may
 * instead detach with WorkerCell::release), NWAIT extra waiters
 * (Worker::wait_timeout with a finite timeout, then Worker::wait).
 *
 * Compile-time knobs (spin -DX=...):
 *   N         terminators, 1..4                                 (default 2)
 *   NCLAIM    claimants, 1..2                                   (default 1)
 *   NWAIT     extra timed waiters, 0..2                         (default 1)
 *   SPURIOUS  spurious futex wake-ups allowed in a whole run    (default 1)
 *   LIVENESS  define the ltl claims (use with pan -a -f)
 *   LOSER_SLEEPS  a later request waits for the first one's publication
 *             through sleep, as the Rust code does (else: a guard)
 *   MUTANT_*  seeded bugs, see the end of this header
 *
 * The futex (core/src/platform.rs, trait Platform):
 *   wait(expected): ONE atomic step compares the word with `expected` and,
 *   if equal, marks the caller blocked; the caller then stays blocked until
 *   a wake_all that comes after that step clears the mark. A wait may also
 *   return spuriously (from a global budget of SPURIOUS, so that a process
 *   that is only ever released by a spurious wake-up still shows up as
 *   blocked forever once the budget is spent), and a timed wait may return
 *   when its timeout fires.
 *   wake_all: one atomic step that releases every blocked waiter.
 *
 * Seeded bugs (each must make spin report an error; check.sh runs them):
 *   MUTANT_NO_WAKE          request_terminate does not wake a SLEEPER
 *   MUTANT_SLEEP_STORE      sleep announces SLEEPER with load + plain store
 *                           instead of compare_exchange
 *   MUTANT_WAIT_NO_CMP      the futex wait blocks without comparing the word
 *                           (check-then-block with no atomic re-check)
 *   MUTANT_EXIT_NO_WAKE     publish_exit does not wake an EXIT_WAITER
 *   MUTANT_TERM_STORE       request_terminate claims REQUESTING with a plain
 *                           store after its load (check-then-store)
 *   MUTANT_EXIT_BEFORE_WRITE complete publishes EXITED before writing the slot
 *   MUTANT_TAKE_NO_CLAIM    take reads the slot without claiming CLAIMED
 *                           (needs NCLAIM=2)
 *   MUTANT_FREE_ON_EXITED   who frees is decided on EXITED, as before
 *                           COMPLETED: a handle that detaches after the exit
 *                           frees while the worker still wakes through the
 *                           storage (the assertion nfree == 0 at its uses)
 *   MUTANT_CAS_NO_REREAD    wait_exited forgets `cur = actual` after a failed
 *                           CAS: a livelock, invisible to the safety run,
 *                           caught by the liveness claim
 *   MUTANT_PUBLISH_BEFORE_WRITE the first request sets TERMINATE before it
 *                           writes its reason's code (the worker, or a later
 *                           request, reads a code not written yet)
 *   MUTANT_NO_CLAIM         no REQUESTING claim: every request writes its
 *                           code, then sets TERMINATE (a later request's code
 *                           overwrites the first's)
 *
 * The reason (issue 16): each terminator requests with its own reason,
 * its number `me`. A request claims REQUESTING (one fetch_or: exactly one
 * claimant), writes the code slot `code`, then sets TERMINATE (the kind
 * bits ride in that RMW; the model needs only the code). A later request
 * that finds REQUESTING sleeps until TERMINATE is set, then reads `code`;
 * so does the worker once it learns of the request. Each asserts that it
 * read the claimant's reason (`claimant`, a ghost set by the claim).
 */

#ifndef N
#define N 2
#endif
#ifndef NCLAIM
#define NCLAIM 1
#endif
#ifndef NWAIT
#define NWAIT 1
#endif
#ifndef SPURIOUS
#define SPURIOUS 1
#endif

/* the bits, word.rs */
#define TERMINATE   1
#define EXITED      2
#define CLAIMED     4
#define COMPLETING  8
#define SLEEPER     16
#define EXIT_WAITER 32
#define RELEASED    64
#define COMPLETED   128
#define REQUESTING  256

/* Request / Sleep / wait results */
#define FIRST             1
#define ALREADY_EXITED    2
#define ALREADY_REQUESTED 3
#define TERMINATED        1
#define ELAPSED           2
#define OK                1
#define TIMED_OUT         2
#define NOT_EXITED        2
#define ALREADY_TAKEN     3

/* process ids for the futex's blocked set: worker 0, terminators 1..N,
   claimants N+1.., waiters after them */
#define NPROC (1 + N + NCLAIM + NWAIT)
#define NOTWORKER (N + NCLAIM + NWAIT)

short word = 0;                /* the AtomicU32 (bits up to REQUESTING) */
byte code = 0;                 /* the reason's code slot (word.rs `code`) */
bit  blocked[NPROC];           /* the futex's wait queue */
byte spurious_left = SPURIOUS; /* spurious wake-up budget */

/* observers (ghost state, not in the Rust code). Ghost updates ride in
   the atomic step of the protocol action they observe, so they add no
   interleavings; the ones only the ltl claims need exist only under
   LIVENESS. */
bit  slot_written = 0;         /* the result slot holds the value */
byte nread = 0;                /* times the slot was read (take Ok) */
byte nfirst = 0;               /* requests that returned First/AlreadyExited */
byte nfree = 0;                /* Last::Yes returned (storage freed) */
bit  released = 0;             /* the handle detached */
byte claimant = 0;             /* the request that claimed REQUESTING */
#ifdef LIVENESS
byte nterm_ret = 0;            /* terminators whose terminate() returned */
bit  first_ret = 0;            /* the first terminator's terminate() returned */
byte ndone = 0;                /* non-worker processes that returned */
bit  worker_done = 0;          /* the worker thread finished complete() */
#define LIVE(x) x
/* a terminator's terminate() returns: folded into the step it returns after */
#define TERM_RETURNS(first) nterm_ret++; ndone++; first_ret = first_ret | (first)
#define EXIT_HOOK ; if :: (me >= 1 && me <= N && IS(cur, EXITED)) -> TERM_RETURNS(1) \
                       :: else -> skip fi
#else
#define LIVE(x) skip
#define TERM_RETURNS(first) skip
#define EXIT_HOOK
#endif

#define IS(v, b)  (((v) & (b)) != 0)

/* ---------------- the futex (platform.rs, Platform::wait / wake_all) -- */

inline futex_wait(expected, timed) {
#ifdef MUTANT_WAIT_NO_CMP
  blocked[me] = 1;             /* blocks whatever the word holds */
#else
  atomic {                     /* compare and start blocking: one step */
    if
    :: word == expected -> blocked[me] = 1
    :: else -> skip
    fi
  };
#endif
  if
  :: !blocked[me]                                   /* woken (or never blocked) */
  :: atomic { blocked[me] && spurious_left > 0 ->   /* spurious wake-up */
              spurious_left--; blocked[me] = 0 }
  :: atomic { timed && blocked[me] ->               /* the timeout fires */
              blocked[me] = 0; expired = 1 }
  fi
}

inline wake_all() {
  atomic {
    i = 0;
    do
    :: i < NPROC -> blocked[i] = 0; i++
    :: else -> break
    od;
    i = 0
  }
}

/* deadline.remaining() == Some(ZERO): with a finite timeout, time may have
   run out at any check (and has, once the futex timed out) */
inline deadline_passed(timed) {
  if
  :: timed && !expired -> expired = 1
  :: true -> skip
  fi
}

/* ---------------- word.rs: request_terminate_with ---------------------- */

/* The caller's own part: a later request (ALREADY_REQUESTED) then sleeps
   until TERMINATE and reads the first one's reason (see Terminator). */
inline request_terminate(req) {
  if
  :: IS(word, REQUESTING) -> req = ALREADY_REQUESTED            /* pre-load */
  :: else ->
#ifdef MUTANT_NO_CLAIM
     code = me;                                 /* every request writes */
     atomic { old = word; word = word | REQUESTING | TERMINATE;
              nfirst = nfirst + !IS(old, TERMINATE); assert(nfirst <= 1);
              if
              :: !IS(old, TERMINATE) -> claimant = me
              :: else -> skip
              fi };
     if
     :: IS(old, TERMINATE) -> req = ALREADY_REQUESTED
     :: else -> skip
     fi;
#else
#ifdef MUTANT_TERM_STORE
     old = word;                                          /* check ... */
     atomic { word = old | REQUESTING;                    /* ... then store */
              if
              :: !IS(old, REQUESTING) -> claimant = me
              :: else -> skip
              fi };
#else
     atomic { old = word; word = word | REQUESTING;             /* the claim */
              if
              :: !IS(old, REQUESTING) -> claimant = me
              :: else -> skip
              fi };
#endif
     if
     :: IS(old, REQUESTING) -> req = ALREADY_REQUESTED   /* a later one */
     :: else ->
#ifdef MUTANT_PUBLISH_BEFORE_WRITE
        atomic { old = word; word = word | TERMINATE;
                 nfirst = nfirst + 1; assert(nfirst <= 1) };
        code = me
#else
        /* the slot's write, then the publication. One step: nothing reads
           `code` before TERMINATE, so no other process can tell the write
           from the RMW (a reduction; the mutants keep them apart) */
        atomic { code = me;                                    /* the slot */
                 old = word; word = word | TERMINATE;          /* publish */
                 nfirst = nfirst + 1; assert(nfirst <= 1) }
#endif
     fi;
#endif
     if
     :: req == ALREADY_REQUESTED -> skip
     :: else ->
        if
        :: IS(old, SLEEPER) ->
#ifndef MUTANT_NO_WAKE
           wake_all()
#else
           skip
#endif
        :: else -> skip
        fi;
        if
        :: IS(old, EXITED) -> req = ALREADY_EXITED
        :: else -> req = FIRST
        fi
     fi
  fi;
  old = 0
}

/* ---------------- word.rs: sleep (227-255) ---------------------------- */

inline sleep(timed, res) {
  expired = 0;
  cur = word;                                                   /* 229 */
  do
  :: IS(cur, TERMINATE) -> res = TERMINATED; break              /* 231-232 */
  :: else ->
     deadline_passed(timed);                                    /* 234 */
     if
     :: expired -> res = ELAPSED; break                         /* 235-236 */
     :: else -> skip
     fi;
     retry = 0;
     if
     :: !IS(cur, SLEEPER) ->                                    /* 238 */
#ifdef MUTANT_SLEEP_STORE
        word = cur | SLEEPER; cur = cur | SLEEPER               /* plain store */
#else
        atomic {                                                /* 243 CAS */
          if
          :: word == cur -> word = cur | SLEEPER; cur = cur | SLEEPER /* 245 */
          :: else -> cur = word; retry = 1                      /* 246-248 */
          fi
        }
#endif
     :: else -> skip
     fi;
     if
     :: retry -> skip                                           /* continue */
     :: else ->
        futex_wait(cur, timed);                                 /* 252 */
        cur = word                                              /* 253 */
     fi
  od;
  cur = 0; expired = 0; retry = 0
}

/* ---------------- word.rs: wait_exited (269-313), SPIN_LIMIT = 0 ------ */

inline wait_exited(timed, res) {
  expired = 0;
  atomic { cur = word EXIT_HOOK };                              /* 270 */
  if
  :: IS(cur, EXITED) -> res = OK                                /* 271-272 */
  :: else ->
     /* 274-288: timeout is never ZERO here; the spin phase is empty */
     do
     :: IS(cur, EXITED) -> res = OK; break                      /* 290-291 */
     :: else ->
        deadline_passed(timed);                                 /* 293 */
        if
        :: expired -> res = TIMED_OUT; break                    /* 294-295 */
        :: else -> skip
        fi;
        retry = 0;
        if
        :: !IS(cur, EXIT_WAITER) ->                             /* 297 */
           atomic {                                             /* 301 CAS */
             if
             :: word == cur -> word = cur | EXIT_WAITER;
                               cur = cur | EXIT_WAITER          /* 303 */
#ifdef MUTANT_CAS_NO_REREAD
             :: else -> retry = 1                               /* stale cur */
#else
             :: else -> cur = word; retry = 1 EXIT_HOOK         /* 304-306 */
#endif
             fi
           }
        :: else -> skip
        fi;
        if
        :: retry -> skip                                        /* continue */
        :: else ->
           futex_wait(cur, timed);                              /* 310 */
           atomic { cur = word EXIT_HOOK }                      /* 311 */
        fi
     od
  fi;
  cur = 0; expired = 0; retry = 0
}

/* ---------------- cell.rs: take (121-135) ----------------------------- */

inline take(res) {
  if
  :: !IS(word, EXITED) -> res = NOT_EXITED                      /* 123-124 */
  :: else ->
     /* 126 fetch_or(CLAIMED); if it was clear, 129-134 read the slot.
        The read is folded into the RMW step (it is local to the one
        claimant); the assertions check the slot at that point. */
     atomic {
#ifdef MUTANT_TAKE_NO_CLAIM
       old = 0;                                  /* no claim: read anyway */
#else
       old = word; word = word | CLAIMED;
#endif
       if
       :: IS(old, CLAIMED) -> res = ALREADY_TAKEN               /* 127 */
       :: else ->
          assert(slot_written);          /* never read before it is written */
          nread++;
          assert(nread == 1);            /* read at most once */
          res = OK
       fi
     }
  fi;
  old = 0
}

/* ================= the processes ====================================== */

/* The worker thread: the routine (cooperating: it may do work without
   checking -- which, interleaved with everyone else, is "ignoring terminate
   for a while" -- sleep with a finite or an unbounded timeout, or return by
   itself; whenever it checks and finds TERMINATE it returns), then
   WorkerCell::complete (cell.rs 97-115) with publish_exit (word.rs). */
proctype Worker() {
  byte me = 0;
  short cur, old;
  byte sres, i;
  bit wlast = 0;                                /* MUTANT_FREE_ON_EXITED */
  bit expired, retry;
  do
  :: IS(word, TERMINATE) ->                      /* check_terminate */
     assert(code == claimant); break             /* ctx.reason() */
  :: else ->
     if
     :: skip                                     /* a step of work */
     :: sleep(0, sres);                          /* sleep(Duration::MAX) */
        if
        :: sres == TERMINATED -> assert(code == claimant); sres = 0; break
        :: else -> sres = 0
        fi
     :: sleep(1, sres);                          /* sleep(finite) */
        if
        :: sres == TERMINATED -> assert(code == claimant); sres = 0; break
        :: else -> sres = 0
        fi
     :: break                                    /* returns by itself */
     fi
  od;

  /* complete(value) */
  atomic { old = word; word = word | COMPLETING;                /* cell 100 */
           assert(!IS(old, COMPLETING)) };                      /* one writer */
#ifdef MUTANT_EXIT_BEFORE_WRITE
  atomic { old = word;
           if
           :: !IS(old, EXIT_WAITER) ->
              word = word | EXITED | COMPLETED;
              nfree = nfree + IS(old, RELEASED)
           :: else -> word = word | EXITED
           fi };
  slot_written = 1;
#else
  slot_written = 1;                                             /* cell 103-108 */
#ifdef MUTANT_FREE_ON_EXITED
  atomic { old = word; word = word | EXITED; wlast = IS(old, RELEASED) };
#else
  /* publish_exit's CAS: nobody waits -> EXITED | COMPLETED at once, and
     the later of this RMW and the handle's release frees (ghost: Last::Yes);
     else EXITED alone, the wake-up, then COMPLETED */
  atomic { old = word;
           if
           :: !IS(old, EXIT_WAITER) ->
              word = word | EXITED | COMPLETED;
              nfree = nfree + IS(old, RELEASED);
              assert(nfree <= 1)
           :: else -> word = word | EXITED
           fi };
#endif
#endif
  if
  :: IS(old, EXIT_WAITER) ->                                    /* publish_exit */
     assert(nfree == 0);             /* the wake-up uses the storage */
#ifndef MUTANT_EXIT_NO_WAKE
     wake_all();                                                /* publish_exit */
#else
     skip;
#endif
#ifndef MUTANT_FREE_ON_EXITED
     atomic { assert(nfree == 0);    /* done with the storage: COMPLETED */
              old = word; word = word | COMPLETED;
              nfree = nfree + IS(old, RELEASED);
              assert(nfree <= 1) }
#else
     skip
#endif
  :: else -> skip
  fi;
#ifdef MUTANT_FREE_ON_EXITED
  atomic { nfree = nfree + wlast; assert(nfree <= 1);
           old = 0; wlast = 0; LIVE(worker_done = 1) }
#else
  atomic { old = 0; LIVE(worker_done = 1) }
#endif
}

/* Worker::terminate (src/worker.rs): request_terminate; the one caller that
   gets First / AlreadyExited waits for the exit without a timeout. */
proctype Terminator(byte me) {
  short cur, old;
  byte req, wres, sres, i;
  bit expired, retry;
  request_terminate(req);
  if
  :: req != ALREADY_REQUESTED ->
     wait_exited(0, wres);                        /* wait_exited(None) */
     assert(wres == OK)
  :: else ->
     /* first_reason: wait for the first request's publication, then read
        the reason. LOSER_SLEEPS: exactly as the Rust code, through sleep
        (its first load returns at once if TERMINATE is there; else it
        sets SLEEPER and parks, and the publication wakes it). Without it:
        a blocking guard on TERMINATE, which keeps the state space of the
        larger runs within CI's budget; both are run by check.sh. */
#ifdef LOSER_SLEEPS
     sleep(0, sres);
     assert(sres == TERMINATED);
     atomic { assert(code == claimant); TERM_RETURNS(0) }
#else
     atomic { IS(word, TERMINATE) -> assert(code == claimant); TERM_RETURNS(0) }
#endif
  fi;
  req = 0; wres = 0; sres = 0
}

/* A claimant: join (src/worker.rs: wait_exited(None); take), possibly after
   an early take that may find the worker still running. Claimant N+1 is the
   handle and may detach instead (WorkerCell::release, cell.rs 143-150). */
proctype Claimant(byte me) {
  short cur, old;
  byte wres, tres, i;
  bit expired, retry;
  if
  :: me == N + 1 ->
     if
     :: atomic { old = word; word = word | RELEASED;           /* cell 144 */
                 released = 1;
#ifdef MUTANT_FREE_ON_EXITED
                 nfree = nfree + (!IS(old, RELEASED) && IS(old, EXITED));
#else
                 nfree = nfree + (!IS(old, RELEASED) && IS(old, COMPLETED));
#endif
                 assert(nfree <= 1) };
        goto out
     :: skip
     fi
  :: else -> skip
  fi;
  tres = NOT_EXITED;
  if
  :: take(tres)                                   /* an early take */
  :: skip
  fi;
  if
  :: tres == NOT_EXITED ->
     wait_exited(0, wres);                        /* join: wait_exited(None) */
     assert(wres == OK);
     take(tres);
     assert(tres == OK || tres == ALREADY_TAKEN)
  :: else -> skip
  fi;
out:
  atomic { LIVE(ndone++); old = 0; wres = 0; tres = 0 }
}

/* An extra waiter: Worker::wait_timeout(finite) (is_exited fast path, then
   wait_exited(Some)), and after a timeout Worker::wait (no limit). */
proctype Waiter(byte me) {
  short cur, old;
  byte wres, i;
  bit expired, retry;
  if
  :: IS(word, EXITED) -> wres = OK                /* is_exited */
  :: else -> wait_exited(1, wres)
  fi;
  if
  :: wres == TIMED_OUT -> wait_exited(0, wres)
  :: else -> skip
  fi;
  assert(wres == OK);
  atomic { LIVE(ndone++); wres = 0 }
}

init {
  byte k;
  atomic {
    run Worker();
    k = 1;
    do
    :: k <= N -> run Terminator(k); k++
    :: else -> break
    od;
    do
    :: k <= N + NCLAIM -> run Claimant(k); k++
    :: else -> break
    od;
    do
    :: k <= N + NCLAIM + NWAIT -> run Waiter(k); k++
    :: else -> break
    od;
    k = 0
  };
  /* every other process has returned (a process blocked forever makes this
     an invalid end state): check the end-of-run properties */
  _nr_pr == 1;
  assert(nfirst == 1);                            /* exactly one first */
  assert(released || nread == 1);                 /* result read exactly once */
  assert(nfree == released)                       /* freed once iff detached */
}

#ifdef LIVENESS
/* every terminate of a cooperating worker returns */
ltl terminators_return { <> (nterm_ret == N) }
/* the first terminator, once it has made the request, returns */
ltl first_returns { [] ((nfirst == 1) -> <> first_ret) }
/* every process returns: terminators, claimants, waiters, the worker */
ltl all_return { <> (ndone == NOTWORKER && worker_done) }
#endif
