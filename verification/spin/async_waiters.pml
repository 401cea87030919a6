/*
 * async_waiters.pml -- the async waiters of a worker word, for spin.
 *
 * Mirrors core/src/until.rs (the future's poll and drop) and
 * core/src/waiters/ and core/src/lock.rs (the list, its futex lock, the setter's drain in
 * batches). Each atomic read-modify-write of the Rust code is one step;
 * what the Rust code does under the list's lock on lock-guarded data only
 * (the scan of the list, linking and unlinking a node) is one step too,
 * since no other process can look at that data meanwhile.
 *
 * Processes:
 *   NF futures. Future i waits for TERMINATE (i < NT) or EXITED (i >= NT).
 *   Future 0 may give up after a pending poll (a select! that lost): it
 *   drops itself, and its node is then freed memory.
 *   A task is an executor loop: poll; if pending, park until its waker is
 *   woken (a sticky token, as an unpark token is), then poll again.
 *   The terminator (request_terminate) and the worker (the exit) set their
 *   bit and drain the list.
 *
 * The lock (lock.rs, WordLock::lock and LockGuard::drop): 0 free, LOCKED, or
 * LOCKED|CONTENDED; the futex wait compares and blocks in one step.
 *
 * Checked (pan -DSAFETY, exhaustive): no invalid end state (every future
 * ends: no lost wake-up, no lock waiter left asleep), and the assertions:
 * a ready future's bit is set; the drain never touches a dropped node; the
 * lock is held by one process at a time.
 *
 * Knobs: NT terminate waiters (default 2) and NE exit waiters (default 1);
 * BATCH wakers per turn of the lock (default 1, so that two waiters need a
 * second turn; the Rust code uses 8). check.sh runs NT=1 NE=1 (465 k
 * states, about 2 s) and NT=2 NE=0 (512 k states); the default three
 * futures take 114 M states and about 3 minutes, so CI leaves them out.
 * Seeded bugs (MUTANT_*, each must be reported; check.sh runs them):
 *
 *   MUTANT_ANNOUNCE_FIRST  poll sets ASYNC_WAITER and reads the bit before
 *                          it links its node
 *   MUTANT_SETTER_LOAD     the setter reads ASYNC_WAITER with a load before
 *                          its fetch_or
 *   MUTANT_DROP_NO_UNLINK  a dropped future leaves its node in the list
 *   MUTANT_UNLOCK_NO_WAKE  unlock does not wake a contended lock's waiter
 *   MUTANT_ONE_BATCH       the drain stops after one full batch
 *
 * The drain goes round again only when the scan found a wanted node that
 * did not fit in the batch (waiters/wake.rs: `more`). Callback nodes (a batch
 * ends before one; one runs per turn) are not modelled here: loom's
 * callback models (verification/tests/loom_callback.rs) cover them.
 */

#ifndef NT
#define NT 2
#endif
#ifndef NE
#define NE 1
#endif
#ifndef BATCH
#define BATCH 1
#endif
#define NF (NT + NE)
/* process slots for the lock's futex: futures 0..NF-1, terminator NF,
   worker NF+1 */
#define NPROC (NF + 2)

#define TERMINATE    1
#define EXITED       2
#define ASYNC_WAITER 4

#define LOCKED    1
#define CONTENDED 2

#define IS(v, b) (((v) & (b)) != 0)

byte word = 0;          /* the worker word (only the bits used here) */
byte lock = 0;          /* the list's lock word */
bit  blocked[NPROC];    /* the lock word's futex queue */

/* the list: a set of linked nodes (the Rust list's order does not matter
   to any of the properties; the drain below takes any matching node) */
bit  linked[NF];
bit  waker[NF];         /* the node holds a waker */
bit  token[NF];         /* the task's waker was woken (an unpark token) */
bit  freed[NF];         /* ghost: the future was dropped */
byte holder = 255;      /* ghost: who holds the lock */

inline mask_of(f, m) {
  if
  :: f < NT -> m = TERMINATE
  :: else -> m = EXITED
  fi
}

/* ---------------- lock.rs: lock() and LockGuard::drop ----------------- */

inline lock_list() {
  atomic {                                   /* fetch_or(LOCKED) */
    old = lock; lock = lock | LOCKED;
    if
    :: !IS(old, LOCKED) -> assert(holder == 255); holder = me
    :: else -> skip
    fi
  };
  if
  :: IS(old, LOCKED) ->
     do
     :: atomic {                             /* fetch_or(LOCKED | CONTENDED) */
          old = lock; lock = lock | LOCKED | CONTENDED;
          if
          :: !IS(old, LOCKED) -> assert(holder == 255); holder = me
          :: else -> skip
          fi
        };
        if
        :: !IS(old, LOCKED) -> break
        :: else ->
           atomic {                          /* P::wait: compare and block */
             if
             :: lock == (LOCKED | CONTENDED) -> blocked[me] = 1
             :: else -> skip
             fi
           };
           !blocked[me]
        fi
     od
  :: else -> skip
  fi;
  old = 0
}

/* Guard::drop: the compare_exchange loop ends having swapped in 0 (a
   failed CAS changes nothing), so it is one step here; then wake_all if a
   contender marked the lock. */
inline unlock_list() {
  atomic { holder = 255; cur = lock; lock = 0 };
  atomic {
    if
    :: IS(cur, CONTENDED) ->
#ifndef MUTANT_UNLOCK_NO_WAKE
       i = 0;                               /* P::wake_all */
       do
       :: i < NPROC -> blocked[i] = 0; i++
       :: else -> break
       od;
       i = 0
#else
       skip
#endif
    :: else -> skip
    fi;
    cur = 0
  }
}

/* ---------------- waiters/wake.rs: wake(bits), the setter's drain ---- */

inline drain(bit_) {
  do
  :: lock_list();
     atomic {                           /* the scan, under the lock */
       taken = 0; more = 0; i = 0;
       do
       :: i < NF ->
          mask_of(i, m);
          if
          :: linked[i] && IS(m, bit_) ->
             if
             :: taken == BATCH ->       /* wake the batch first; come back */
                more = 1; break
             :: else -> skip
             fi;
             assert(!freed[i]);         /* never a dropped node */
             linked[i] = 0;
             if
             :: waker[i] -> waker[i] = 0; took[i] = 1
             :: else -> skip
             fi;
             taken++
          :: else -> skip
          fi;
          i++
       :: else -> break
       od;
       i = 0
     };
     unlock_list();
     atomic {                           /* wake, with the lock released */
       i = 0;
       do
       :: i < NF -> if :: took[i] -> token[i] = 1; took[i] = 0 :: else -> skip fi; i++
       :: else -> break
       od;
       i = 0;
#ifdef MUTANT_ONE_BATCH
       break
#else
       if
       :: more -> skip
       :: else -> break
       fi
#endif
     }
  od
}

inline set_bit(bit_) {
#ifdef MUTANT_SETTER_LOAD
  had = IS(word, ASYNC_WAITER);
  word = word | bit_;
#else
  atomic { had = IS(word, ASYNC_WAITER); word = word | bit_ }   /* fetch_or */
#endif
  /* no lock-free path left: the setter is done unless it must drain */
  if
  :: had -> drain(bit_)
  :: else -> skip
  fi
}

proctype Setter(byte me; byte bit_) {
  byte old, cur, i, m, taken;
  bit more;
  bit ok, had;
  bit took[NF];
  set_bit(bit_)
}

/* ---------------- until.rs: poll and drop ------------------------------ */

proctype Future(byte me) {
  byte old, cur, i, m;
  bit ok, registered = 0, ready = 0;
  mask_of(me, m);
poll:
  if
  :: IS(word, m) -> ready = 1; goto done            /* the fast load */
  :: else -> skip
  fi;
#ifdef MUTANT_ANNOUNCE_FIRST
  atomic { registered = 1; old = word; word = word | ASYNC_WAITER };
  if
  :: IS(old, m) -> ready = 1; goto done
  :: else -> skip
  fi;
  lock_list();
  atomic { waker[me] = 1; linked[me] = 1 };
  unlock_list();
#else
  lock_list();
  atomic { registered = 1; waker[me] = 1; linked[me] = 1 }; /* register: link */
  atomic {                                          /* recheck: fetch_or */
    old = word; word = word | ASYNC_WAITER;
    if
    :: IS(old, m) -> linked[me] = 0; ready = 1      /* unlink, under the lock */
    :: else -> skip
    fi;
    old = 0
  };
  unlock_list();
  if
  :: ready -> goto done
  :: else -> skip
  fi;
#endif
  /* pending: the task parks until woken, or future 0 gives up */
  if
  :: token[me] -> token[me] = 0; goto poll
  :: me == 0 -> goto done                          /* dropped while pending */
  fi;
done:
  if
  :: ready -> assert(IS(word, m))
  :: else -> skip
  fi;
  /* Drop: take the node out if it may be linked */
  if
  :: registered ->
#ifndef MUTANT_DROP_NO_UNLINK
     lock_list();
     atomic { linked[me] = 0; waker[me] = 0 };
     unlock_list();
#else
     skip;
#endif
  :: else -> skip
  fi;
  freed[me] = 1
}

init {
  byte f;
  atomic {
    f = 0;
    do
    :: f < NF -> run Future(f); f++
    :: else -> break
    od;
    run Setter(NF, TERMINATE);
    run Setter(NF + 1, EXITED)
  }
}
