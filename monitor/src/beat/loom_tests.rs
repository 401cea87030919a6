//! loom models of the heartbeat word ([`Beat`]): a worker's lock-free
//! heartbeat against the monitor's expiry of the same operation, and a
//! handle of an ended operation against the word's reopening for the next.
//!
//! Run: `cargo test --release -p clusworker-monitor --features loom --lib beat`.

use std::sync::Arc;
use std::time::Duration;

use super::{Beat, Held, MUTANT, Mutant};
use crate::machine::Operation;
use crate::sync::model;

/// PendingTimeout 100 ms, begun at 0.
fn beat() -> Arc<Beat> {
    let b = Beat::closed();
    b.open(
        Operation::Online,
        Duration::from_millis(100),
        Duration::ZERO,
    );
    Arc::new(b)
}

/// The expiry as the monitor makes it under its lock: fold, decide, close
/// only if nothing came since the fold, else fold again. Returns whether
/// the operation expired, and the checkpoint it expired at.
fn expire(b: &Beat) -> Option<u32> {
    loop {
        let seen = b.read()?;
        if seen.checkpoint > 0 {
            return None; // a heartbeat came: the deadline moved on
        }
        if b.close_if(seen) {
            return Some(seen.checkpoint);
        }
    }
}

/// Whichever comes first, a heartbeat is never both taken and ignored: if
/// the worker's heartbeat was taken, the expiry saw it and did not expire;
/// if the operation expired, the heartbeat was refused (the locked path
/// then says `Ended`).
fn heartbeat_vs_expiry() {
    let b = beat();
    let worker = {
        let b = Arc::clone(&b);
        loom::thread::spawn(move || b.heartbeat_at(1, 50, 54))
    };
    let expired = expire(&b);
    let taken = worker.join().expect("the worker");
    assert!(
        taken != expired.is_some(),
        "taken: {taken}, expired: {expired:?}"
    );
    if taken {
        assert_eq!(b.read().map(|s| s.checkpoint), Some(1));
    } else {
        assert!(b.read().is_none(), "refused only once closed");
    }
}

#[test]
fn loom_beat_heartbeat_vs_expiry() {
    model::check(None, heartbeat_vs_expiry);
}

/// Two clones of one handle report at once: the greater checkpoint stays,
/// and an expiry racing both still takes all or nothing.
#[test]
fn loom_beat_two_heartbeats_vs_expiry() {
    model::check(Some(3), || {
        let b = beat();
        let workers: Vec<_> = [1, 2]
            .into_iter()
            .map(|cp| {
                let b = Arc::clone(&b);
                loom::thread::spawn(move || b.heartbeat_at(cp, 50, 54))
            })
            .collect();
        let expired = expire(&b);
        let taken: Vec<bool> = workers
            .into_iter()
            .map(|w| w.join().expect("worker"))
            .collect();
        if expired.is_some() {
            assert!(taken.iter().all(|t| !t), "expired, yet taken: {taken:?}");
        } else {
            let top = b.read().expect("open").checkpoint;
            assert!(
                taken[1] || top == 1,
                "checkpoint 2 lost: {taken:?}, word at {top}"
            );
            assert!(top == 2 || !taken[1]);
        }
    });
}

/// The mutant: the expiry closes with a plain store after its fold. The
/// model must find the interleaving in which a heartbeat is taken between
/// the fold and the store, and then ignored.
#[test]
fn loom_beat_mutant_close_by_store_is_caught() {
    assert_caught(Mutant::CloseByStore, heartbeat_vs_expiry);
}

/// Runs `model` with `mutant` in, and fails unless the model fails.
fn assert_caught(mutant: Mutant, model: fn()) {
    let caught = std::panic::catch_unwind(|| {
        model::check(None, move || {
            MUTANT.with(|m| m.set(Some(mutant)));
            model();
        });
    });
    MUTANT.with(|m| m.set(None));
    assert!(caught.is_err(), "the model missed the mutant {mutant:?}");
}

/// A worker still holds the handle of an operation that the monitor ends;
/// on its thread it heartbeats and then lets go. The monitor, under its
/// lock, reopens the word for the next operation (begun at the same
/// millisecond, so that the new word equals the old one's first value)
/// only if nobody holds it: the stale heartbeat never lands in the new
/// operation, which the worker's compare-and-swap could not tell from its
/// own.
fn stale_holder_vs_reopening() {
    let b = beat();
    // SAFETY: `b` lives until the end of this function, after the worker
    // that holds it is joined.
    let held = unsafe { Held::new(&b, Duration::ZERO) };
    let worker = loom::thread::spawn(move || {
        let taken = held.heartbeat_at(1, 50, 54);
        drop(held);
        taken
    });
    // The operation ends (a report of its target, say), then the next
    // one begins.
    b.close();
    let reopened = b.free();
    if reopened {
        b.open(
            Operation::Offline,
            Duration::from_millis(100),
            Duration::ZERO,
        );
    }
    let _ = worker.join().expect("the worker");
    if reopened {
        assert_eq!(
            b.read().map(|s| s.checkpoint),
            Some(0),
            "the ended operation's heartbeat landed in the next one"
        );
    }
    assert!(b.free(), "the worker let go");
}

#[test]
fn loom_beat_stale_holder_vs_reopening() {
    model::check(None, stale_holder_vs_reopening);
}

/// The mutant: the word is reopened while a handle holds it.
#[test]
fn loom_beat_mutant_reuse_while_held_is_caught() {
    assert_caught(Mutant::ReuseHeld, stale_holder_vs_reopening);
}
