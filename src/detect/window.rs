//! Distinct keys within a sliding window of packet time.

use std::collections::VecDeque;

use crate::small_map::SmallMap;

use crate::timestamp::{Nanos, Timestamp};

/// Distinct keys that entered within a sliding window of packet time.
///
/// A key stays from the time it entered until a window later, then
/// re-enters on its next sighting. When full, further keys are counted but
/// not stored (a repeated one counts again), and that count is dropped one
/// window after the last of them. `dropped` counts every key not stored,
/// for the detector's memory counters.
#[derive(Debug)]
pub(crate) struct DistinctWindow<K> {
    pub(crate) entered: SmallMap<K, Timestamp>,
    pub(crate) order: VecDeque<(Timestamp, K)>,
    pub(crate) cap: usize,
    pub(crate) overflow: u64,
    pub(crate) overflow_last: Timestamp,
    pub(crate) dropped: u64,
}

impl<K: Ord + Copy> DistinctWindow<K> {
    pub(crate) fn new(cap: usize) -> Self {
        DistinctWindow {
            entered: SmallMap::new(),
            order: VecDeque::new(),
            cap,
            overflow: 0,
            overflow_last: Timestamp::ZERO,
            dropped: 0,
        }
    }

    /// Drops keys that entered more than `window` before `now`, passing
    /// each to `removed`.
    pub(crate) fn expire(&mut self, now: Timestamp, window: Nanos, mut removed: impl FnMut(K)) {
        while let Some(&(ts, key)) = self.order.front() {
            if now.since(ts) <= window {
                break;
            }
            self.order.pop_front();
            self.entered.remove(&key);
            removed(key);
        }
        if self.overflow > 0 && now.since(self.overflow_last) > window {
            self.overflow = 0;
        }
    }

    /// Adds `key` seen at `ts`; true when it was not in the window.
    pub(crate) fn insert(&mut self, key: K, ts: Timestamp) -> bool {
        if self.entered.contains_key(&key) {
            return false;
        }
        if self.entered.len() >= self.cap {
            self.overflow += 1;
            self.overflow_last = ts;
            self.dropped += 1;
            return true;
        }
        self.entered.insert(key, ts);
        self.order.push_back((ts, key));
        true
    }

    pub(crate) fn contains(&self, key: &K) -> bool {
        self.entered.contains_key(key)
    }

    pub(crate) fn count(&self) -> u64 {
        self.entered.len() as u64 + self.overflow
    }

    /// Keys stored (at most the cap).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entered.len()
    }

    /// Packet time the oldest stored key entered.
    pub(crate) fn oldest(&self) -> Option<Timestamp> {
        self.entered.values().min().copied()
    }

    /// Stored keys in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.entered.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::at_ms as at;

    #[test]
    fn distinct_window_counts_what_it_cannot_store() {
        let mut w: DistinctWindow<u32> = DistinctWindow::new(3);
        for k in 0..5 {
            assert!(w.insert(k, at(u64::from(k))));
        }
        assert!(!w.insert(1, at(10)));
        assert_eq!(w.entered.len(), 3);
        assert_eq!(w.count(), 5);
        w.expire(at(1_000), 10_000_000_000, |_| {});
        assert_eq!(w.count(), 5, "all within 10 s");
        let mut gone = Vec::new();
        w.expire(at(20_000), 10_000_000_000, |k| gone.push(k));
        assert_eq!(gone, [0, 1, 2]);
        assert_eq!(w.count(), 0);
    }
}
