//! How the monitor's per-resource tables grow: by an eighth, not double.
//!
//! A `Vec` grown by `push` doubles its capacity when it is full, so at
//! 10 000 resources a table has room for 16 384 (1.6 ×), and a monitor pays
//! that slack on each of its per-resource tables: the entries, the
//! resources, the timers' positions and their heap. Grown by an eighth of
//! its length (at least [`STEP`] slots) instead, a table's slack stays
//! under 12.5 %, and a push stays amortised O(1): over a table's life each
//! element is copied some nine times, against twice when doubling.

/// The least a table grows by.
const STEP: usize = 16;

/// Makes room in `v` for `additional` more elements, growing it by an
/// eighth when it must grow.
pub(crate) fn reserve<T>(v: &mut Vec<T>, additional: usize) {
    if v.capacity() - v.len() < additional {
        v.reserve_exact(additional.max(v.len() / 8).max(STEP));
    }
}

/// Pushes `x` onto `v`, growing it by an eighth when it is full.
pub(crate) fn push<T>(v: &mut Vec<T>, x: T) {
    reserve(v, 1);
    v.push(x);
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_table_of_ten_thousand_has_under_an_eighth_of_slack() {
        let mut v = Vec::new();
        for i in 0..10_000u32 {
            super::push(&mut v, i);
            assert!(
                v.capacity() <= v.len() + (v.len() / 8).max(super::STEP),
                "{} slots for {} elements",
                v.capacity(),
                v.len()
            );
        }
    }

    #[test]
    fn reserve_makes_room_for_all_it_is_asked_for() {
        let mut v = vec![0u8; 100];
        super::reserve(&mut v, 1000);
        assert!(v.capacity() >= 1100, "capacity {}", v.capacity());
    }
}
