//! Values whose drops are counted: [`Drops`] and [`Counted`].

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

/// Counts how many [`Counted`] values that share it have been dropped.
///
/// # Examples
///
/// ```
/// use clusworker_test_support::Drops;
/// let drops = Drops::new();
/// let value = drops.value(7);
/// assert_eq!((value.id, drops.count()), (7, 0));
/// drop(value);
/// assert_eq!(drops.count(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Drops(Arc<AtomicUsize>);

impl Drops {
    /// A counter at zero.
    pub fn new() -> Drops {
        Drops::default()
    }

    /// A new value that bumps this counter when dropped.
    pub fn value(&self, id: usize) -> Counted {
        Counted {
            id,
            drops: self.0.clone(),
        }
    }

    /// How many of this counter's values have been dropped.
    pub fn count(&self) -> usize {
        self.0.load(SeqCst)
    }
}

/// A value whose drop is counted by the [`Drops`] that made it.
#[derive(Debug)]
pub struct Counted {
    /// The id given to [`Drops::value`].
    pub id: usize,
    drops: Arc<AtomicUsize>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}
