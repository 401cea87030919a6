//! The terminate reason's protocol, model-checked: the reason seen is the
//! first request's, whoever reads it and whenever.
//!
//! [`Reasons`] is what the model needs; the shipped `WorkerCell` and
//! [`ReasonMutant`] (a copy of the request path of `core/src/word.rs`, with
//! one bug each) implement it, so the model that passes on the real code is
//! the one that must fail on a mutant (`tests/loom_mutants.rs`).

use clusworker_core::word::{REQUESTING, TERMINATE};
use clusworker_core::{AtomicWord, Platform, Reason, Request, SlotCell, WorkerCell};
use loom::sync::atomic::Ordering::{self, AcqRel, Acquire, Relaxed, Release};
use loom::thread;

use crate::loom_platform::{LoomCell, LoomWord, check_model};

/// The operations the reason model uses.
pub trait Reasons: Send + Sync + 'static {
    /// A running worker.
    fn new() -> Self;
    /// `request_terminate_with`.
    fn request_with(&self, reason: Reason) -> Request;
    /// `reason()`: the routine's (or anyone's) read.
    fn reason(&self) -> Option<Reason>;
}

impl<P: Platform<Word = LoomWord>> Reasons for WorkerCell<P, u32> {
    fn new() -> Self {
        WorkerCell::new()
    }
    fn request_with(&self, reason: Reason) -> Request {
        self.word().request_terminate_with(reason)
    }
    fn reason(&self) -> Option<Reason> {
        self.word().reason()
    }
}

/// Which bug a [`ReasonMutant`] carries.
pub mod reason_bug {
    /// The claimant publishes `TERMINATE` (and the kind) *before* it writes
    /// the code: a reader that sees the flag reads a code not written yet.
    pub const PUBLISH_BEFORE_WRITE: u8 = 1;
    /// No claim: every request writes its code, then sets `TERMINATE` with
    /// a `fetch_or` (the protocol before reasons, with a code slot added).
    /// Two requests write the slot, and the routine may read a later
    /// request's code.
    pub const NO_CLAIM: u8 = 2;
    /// The pre-load of a later request is `Relaxed`: a request that finds
    /// the flag there reads the first one's code without acquiring it.
    pub const RELAXED_PRE_LOAD: u8 = 3;
    /// `reason()` loads with `Relaxed`: a reader that sees the flag reads
    /// the code without acquiring it.
    pub const RELAXED_READ: u8 = 4;
}

/// Where the kind sits in the word (a copy of `core`'s private constant).
const KIND_SHIFT: u32 = 10;

/// A copy of the request path (`request_terminate_with`, `reason`) with bug
/// `B` (see [`reason_bug`]); `B = 0` is the unbroken copy. Only user codes
/// are modelled: the kind is the same for them all, so the code is what
/// tells the requests apart.
#[derive(Debug)]
pub struct ReasonMutant<const B: u8> {
    word: LoomWord,
    code: LoomCell<u32>,
}

// SAFETY: the code is a loom cell: the (possibly broken) protocol is what
// should serialise its accesses, and loom reports every access that races,
// which is the point of a mutant. Only used inside loom models.
unsafe impl<const B: u8> Sync for ReasonMutant<B> {}

impl<const B: u8> ReasonMutant<B> {
    fn write_code(&self, code: u32) {
        self.code.with_mut(|p| {
            // SAFETY: loom's pointer, valid in the closure; loom reports the
            // access if it races.
            unsafe { *p = code }
        });
    }

    fn read(&self, bits: u32) -> Reason {
        assert_eq!(bits >> KIND_SHIFT, 8, "a user code's kind");
        // SAFETY: as in `write_code`.
        Reason::User(self.code.with(|p| unsafe { *p }))
    }

    /// A later request's wait for the first one's publication, and its
    /// read of the reason (the real code sleeps on the word).
    fn first_reason(&self, mut seen: u32) -> Reason {
        while seen & TERMINATE == 0 {
            thread::yield_now();
            seen = self.word.load(Acquire);
        }
        self.read(seen)
    }
}

impl<const B: u8> Reasons for ReasonMutant<B> {
    fn new() -> Self {
        ReasonMutant {
            word: LoomWord::new(0),
            code: LoomCell::new(0),
        }
    }

    fn request_with(&self, reason: Reason) -> Request {
        let code = reason.code().expect("the model gives user codes");
        let kind = 8 << KIND_SHIFT;
        if B == reason_bug::NO_CLAIM {
            if self.word.load(Acquire) & TERMINATE != 0 {
                return Request::AlreadyRequested(self.read(self.word.load(Acquire)));
            }
            self.write_code(code);
            let old = self.word.fetch_or(TERMINATE | kind, AcqRel);
            if old & TERMINATE != 0 {
                return Request::AlreadyRequested(self.read(old));
            }
            return Request::First;
        }
        let pre: Ordering = if B == reason_bug::RELAXED_PRE_LOAD {
            Relaxed
        } else {
            Acquire
        };
        let cur = self.word.load(pre);
        if cur & REQUESTING != 0 {
            return Request::AlreadyRequested(self.first_reason(cur));
        }
        let claimed = self.word.fetch_or(REQUESTING, Acquire);
        if claimed & REQUESTING != 0 {
            return Request::AlreadyRequested(self.first_reason(claimed));
        }
        if B == reason_bug::PUBLISH_BEFORE_WRITE {
            self.word.fetch_or(TERMINATE | kind, Release);
            self.write_code(code);
        } else {
            self.write_code(code);
            self.word.fetch_or(TERMINATE | kind, AcqRel);
        }
        Request::First
    }

    fn reason(&self) -> Option<Reason> {
        let order = if B == reason_bug::RELAXED_READ {
            Relaxed
        } else {
            Acquire
        };
        let bits = self.word.load(order);
        (bits & TERMINATE != 0).then(|| self.read(bits))
    }
}

fn shared<R: Reasons>() -> &'static R {
    // Leaked, not a loom `Arc`: after loom reports a failure, dropping a
    // loom `Arc` outside the execution can abort the process.
    Box::leak(Box::new(R::new()))
}

/// Two requests with different reasons race; a reader (the routine) reads
/// the reason once, at any point. Exactly one request is first; the other
/// gets the first one's reason back; the reader sees `None` or the first
/// one's reason, never the other's; and every read of the code slot is
/// ordered after its write (loom's cell checks it). Preemption bound 5
/// (7 000–15 000 interleavings, 2 s; bound 8 gives 13 000–49 000 and
/// passes too): a later request waits for the first one's publication in
/// a loop (`sleep` on `LoomSpin`, the mutants' yield), which would
/// otherwise make the search unbounded.
pub fn the_reason_seen_is_the_first_requests<R: Reasons>() {
    check_model(Some(5), || {
        let w = shared::<R>();
        let reader = thread::spawn(move || w.reason());
        let b = thread::spawn(move || w.request_with(Reason::User(2)));
        let ra = w.request_with(Reason::User(1));
        let (rb, seen) = (b.join().unwrap(), reader.join().unwrap());
        let first = match (ra, rb) {
            (Request::First, Request::AlreadyRequested(r)) => {
                assert_eq!(
                    r,
                    Reason::User(1),
                    "the later request learns the first's reason"
                );
                Reason::User(1)
            }
            (Request::AlreadyRequested(r), Request::First) => {
                assert_eq!(
                    r,
                    Reason::User(2),
                    "the later request learns the first's reason"
                );
                Reason::User(2)
            }
            other => panic!("exactly one first request: {other:?}"),
        };
        assert!(
            seen.is_none() || seen == Some(first),
            "the reason seen is the first request's: saw {seen:?}, first {first:?}"
        );
        assert_eq!(w.reason(), Some(first), "after both, the first's reason");
    });
}
