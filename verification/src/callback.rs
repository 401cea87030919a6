//! Callbacks on terminate, model-checked against a mutant: [`Callbacks`] is
//! what the generic model needs; the shipped `WorkerCell` (through
//! `WorkerWord::on_terminate`) and [`CallbackMutant`] (a copy of the
//! registration and the request's drain, the list a loom `Mutex<Vec<_>>`,
//! with one bug each) implement it.

use core::pin::pin;

use clusworker_core::word::{ASYNC_WAITER, TERMINATE};
use clusworker_core::{CallbackHooks, Platform, WorkerCell};
use loom::sync::atomic::AtomicU32;
use loom::sync::atomic::Ordering::{AcqRel, Acquire, SeqCst};
use loom::thread;

use crate::loom_platform::{LoomWord, check_model};

loom::thread_local! {
    static ME: u8 = 0;
}

/// Threads told apart by the address of a loom thread-local; callbacks run
/// plainly.
pub static HOOKS: CallbackHooks = CallbackHooks {
    thread: || ME.with(|me| core::ptr::from_ref(me) as usize),
    call: |f| f(),
};

/// A callback as the model gives it.
pub type Callback = Box<dyn FnOnce() + Send>;

/// The operations the callback model uses.
pub trait Callbacks: Send + Sync + 'static {
    /// A running worker.
    fn new() -> Self;
    /// Request terminate (running the callbacks).
    fn request(&self);
    /// Registers `callback`, runs `body` while it is registered, then
    /// removes it.
    fn with_registered(&self, callback: Callback, body: impl FnOnce());
}

impl<P: Platform<Word = LoomWord>> Callbacks for WorkerCell<P, u32> {
    fn new() -> Self {
        WorkerCell::new()
    }
    fn request(&self) {
        let _ = self.word().request_terminate();
    }
    fn with_registered(&self, callback: Callback, body: impl FnOnce()) {
        let mut cb = pin!(self.word().on_terminate(callback, &HOOKS));
        let _ = cb.as_mut().register();
        body();
    }
}

/// Which bug a [`CallbackMutant`] carries.
pub mod callback_bug {
    /// The registration reads `TERMINATE` with a load, then links and
    /// announces without re-checking: a request in between drains a list
    /// that does not hold the callback yet, which then never runs.
    pub const CHECK_BEFORE_LINK: u8 = 1;
}

/// A copy of the registration and the drain with bug `B`; `B = 0` is the
/// unbroken copy.
pub struct CallbackMutant<const B: u8> {
    word: AtomicU32,
    list: loom::sync::Mutex<Vec<Callback>>,
}

impl<const B: u8> core::fmt::Debug for CallbackMutant<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CallbackMutant").finish_non_exhaustive()
    }
}

impl<const B: u8> Callbacks for CallbackMutant<B> {
    fn new() -> Self {
        CallbackMutant {
            word: AtomicU32::new(0),
            list: loom::sync::Mutex::new(Vec::new()),
        }
    }
    fn request(&self) {
        if self.word.fetch_or(TERMINATE, AcqRel) & ASYNC_WAITER != 0 {
            let callbacks = core::mem::take(&mut *self.list.lock().unwrap());
            for callback in callbacks {
                callback();
            }
        }
    }
    fn with_registered(&self, callback: Callback, body: impl FnOnce()) {
        if self.word.load(Acquire) & TERMINATE != 0 {
            callback();
        } else if B == callback_bug::CHECK_BEFORE_LINK {
            let mut list = self.list.lock().unwrap();
            list.push(callback);
            self.word.fetch_or(ASYNC_WAITER, AcqRel);
        } else {
            let mut list = self.list.lock().unwrap();
            list.push(callback);
            if self.word.fetch_or(ASYNC_WAITER, AcqRel) & TERMINATE != 0 {
                let callback = list.pop().expect("just pushed");
                drop(list);
                callback();
            }
        }
        body();
        self.list.lock().unwrap().clear();
    }
}

fn leak<T>(value: T) -> &'static T {
    // Leaked, not a loom `Arc` (see `reason.rs`).
    Box::leak(Box::new(value))
}

/// A request on another thread races a registration: by the time both
/// returned, the callback ran exactly once. No bound (two threads).
pub fn a_callback_runs_exactly_once<C: Callbacks>() {
    check_model(None, || {
        let c = leak(C::new());
        let runs = leak(AtomicU32::new(0));
        let requester = thread::spawn(move || c.request());
        c.with_registered(
            Box::new(move || {
                runs.fetch_add(1, SeqCst);
            }),
            move || {
                requester.join().unwrap();
                assert_eq!(runs.load(SeqCst), 1, "exactly once, whichever came first");
            },
        );
    });
}
