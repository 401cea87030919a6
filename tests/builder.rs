//! `Builder`: names and stack sizes, and spawn failures that come back as
//! clean errors with nothing run and nothing leaked.

mod common;

use std::error::Error as _;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

use clusworker::{Builder, SpawnError};
use common::{Drops, join, watchdog};

/// Spawns a routine that must never run, with `builder`; returns the error
/// and checks that the routine (and what it captured) was dropped unrun,
/// exactly once.
#[track_caller]
fn spawn_must_fail(builder: Builder) -> SpawnError {
    let drops = Drops::new();
    let captured = drops.value(0);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let result = builder.spawn(move |_ctx| {
        let captured = captured; // the whole value, not just its `id` field
        r.store(true, SeqCst);
        captured.id
    });
    let err = match result {
        Ok(worker) => {
            let _ = join(worker);
            panic!("expected the spawn to fail, but the worker ran");
        }
        Err(e) => e,
    };
    assert!(!ran.load(SeqCst), "the routine ran although spawn failed");
    assert_eq!(
        drops.count(),
        1,
        "expected the unrun routine's captures dropped exactly once"
    );
    err
}

#[test]
fn absurd_stack_sizes_fail_with_the_os_error_and_drop_the_routine_unrun() {
    let _w = watchdog("absurd_stack_sizes_fail_with_the_os_error_and_drop_the_routine_unrun");
    let mut sizes = vec![usize::MAX, usize::MAX - 4096];
    if cfg!(target_pointer_width = "64") {
        sizes.extend([1 << 62, 1 << 56]);
    }
    for size in sizes {
        let err = spawn_must_fail(Builder::new().name("absurd".into()).stack_size(size));
        let SpawnError::Os { call, error } = &err else {
            panic!("stack size {size:#x}: expected SpawnError::Os, got {err:?}");
        };
        // The thread-creating call of the backend: `pthread_*` or `CreateThread`.
        let backend_call = if cfg!(windows) {
            *call == "CreateThread"
        } else {
            call.starts_with("pthread_")
        };
        assert!(
            backend_call,
            "stack size {size:#x}: expected the failing OS call named, got {call:?}"
        );
        let code = err.raw_os_error();
        assert!(
            code.is_some(),
            "stack size {size:#x}: no OS code in {err:?}"
        );
        assert_eq!(error.raw_os_error(), code);
        assert!(err.source().is_some(), "the io::Error is the source");
        let shown = err.to_string();
        assert!(shown.contains(call), "{shown:?} does not name {call}");
        let io_err: io::Error = err.into();
        assert_eq!(io_err.raw_os_error(), code);
    }
}

#[test]
fn a_worker_can_be_spawned_after_a_spawn_failure() {
    let _w = watchdog("a_worker_can_be_spawned_after_a_spawn_failure");
    let _ = spawn_must_fail(Builder::new().stack_size(usize::MAX));
    let worker = Builder::new()
        .stack_size(256 * 1024)
        .spawn(|_ctx| 3)
        .expect("spawn");
    assert_eq!(join(worker).ok(), Some(3));
}

#[test]
fn name_with_a_nul_byte_fails_with_invalid_name_and_drops_the_routine_unrun() {
    let _w = watchdog("name_with_a_nul_byte_fails_with_invalid_name_and_drops_the_routine_unrun");
    for name in ["a\0b", "\0", "trailing\0"] {
        let err = spawn_must_fail(Builder::new().name(name.into()));
        assert!(
            matches!(err, SpawnError::InvalidName),
            "name {name:?}: expected InvalidName, got {err:?}"
        );
        assert_eq!(err.raw_os_error(), None);
        assert!(err.source().is_none());
        assert!(err.to_string().contains("NUL"), "{err}");
        let io_err: io::Error = err.into();
        assert_eq!(io_err.kind(), io::ErrorKind::InvalidInput);
    }
}

#[test]
fn small_and_odd_stack_sizes_are_rounded_up_and_run() {
    let _w = watchdog("small_and_odd_stack_sizes_are_rounded_up_and_run");
    for size in [0, 1, 4095, 64 * 1024 + 1, 8 << 20] {
        let worker = Builder::new()
            .stack_size(size)
            .spawn(move |ctx| (size, ctx.check_terminate()))
            .unwrap_or_else(|e| panic!("stack size {size}: {e}"));
        assert_eq!(join(worker).ok(), Some((size, false)), "stack size {size}");
    }
}

#[test]
fn a_large_stack_size_is_really_given() {
    let _w = watchdog("a_large_stack_size_is_really_given");
    // 4 MiB of locals on a thread asked for 16 MiB; the default would do on
    // Linux (8 MiB) but not with musl's 128 KiB, and the point is the request.
    let worker = Builder::new()
        .stack_size(16 << 20)
        .spawn(|_ctx| {
            let big = [7u8; 4 << 20];
            std::hint::black_box(&big)
                .iter()
                .map(|&b| u64::from(b))
                .sum::<u64>()
        })
        .expect("spawn");
    assert_eq!(join(worker).ok(), Some(7 * (4 << 20)));
}

#[test]
fn builder_is_reusable_and_debuggable() {
    let _w = watchdog("builder_is_reusable_and_debuggable");
    let builder = Builder::new().name("pool".into()).stack_size(128 * 1024);
    let shown = format!("{builder:?}");
    assert!(
        shown.contains("pool") && shown.contains("131072"),
        "{shown}"
    );
    let a = builder.clone().spawn(|_ctx| 1).expect("spawn");
    let b = builder.spawn(|_ctx| 2).expect("spawn");
    assert_eq!((join(a).ok(), join(b).ok()), (Some(1), Some(2)));
    let defaulted = format!("{:?}", Builder::default());
    assert_eq!(defaulted, format!("{:?}", Builder::new()));
}

#[cfg(target_os = "linux")]
mod names {
    use super::*;
    use clusworker_posix::thread::current_name;

    /// The name the routine sees for itself when spawned with `name`.
    fn seen_name(name: &str) -> Option<String> {
        let worker = Builder::new()
            .name(name.into())
            .spawn(|_ctx| current_name())
            .expect("spawn");
        join(worker).expect("the routine does not panic")
    }

    #[test]
    fn name_is_visible_inside_the_routine() {
        let _w = watchdog("name_is_visible_inside_the_routine");
        assert_eq!(seen_name("disk-online").as_deref(), Some("disk-online"));
        assert_eq!(seen_name("").as_deref(), Some(""));
        // Exactly the 15 bytes Linux keeps.
        assert_eq!(
            seen_name("fifteen-bytes-x").as_deref(),
            Some("fifteen-bytes-x")
        );
    }

    #[test]
    fn long_name_is_truncated_to_15_bytes() {
        let _w = watchdog("long_name_is_truncated_to_15_bytes");
        assert_eq!(
            seen_name("abcdefghijklmnopqrstuvwxyz").as_deref(),
            Some("abcdefghijklmno")
        );
    }

    #[test]
    fn multibyte_name_is_cut_at_a_char_boundary() {
        let _w = watchdog("multibyte_name_is_cut_at_a_char_boundary");
        let cases = [
            // 2-byte chars: byte 15 is inside the 8th 'é'.
            ("ééééééééé", "ééééééé"),
            // A 3-byte char straddling the limit.
            ("aaaaaaaaaaaaa€", "aaaaaaaaaaaaa"),
            // A 4-byte char in bytes 12..16.
            ("abcdefghijkl🦀", "abcdefghijkl"),
            // A 4-byte char ending exactly at byte 15 is kept.
            ("abcdefghijk🦀", "abcdefghijk🦀"),
            // A 3-byte char ending exactly at byte 15 is kept.
            ("abcdefghijkl€xyz", "abcdefghijkl€"),
        ];
        for (name, expected) in cases {
            assert!(expected.len() <= 15, "bad case {expected:?}");
            assert_eq!(
                seen_name(name).as_deref(),
                Some(expected),
                "name {name:?} ({} bytes)",
                name.len()
            );
        }
    }
}
