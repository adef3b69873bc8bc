//! Sliding windows of byte counts in packet time: a ring of [`SLOTS`]
//! buckets per window, so memory per camera is fixed whatever the traffic.

use super::SLOTS;
use crate::timestamp::{Nanos, Timestamp};

/// A sliding window of `SLOTS` buckets.
#[derive(Debug, Clone)]
pub(super) struct Ring {
    pub(super) window: Nanos,
    pub(super) width: Nanos,
    pub(super) slots: [u64; SLOTS],
    /// Absolute bucket number (`ts / width`) of the newest bucket.
    pub(super) newest: u64,
    pub(super) used: bool,
}

impl Ring {
    pub(super) fn new(window: Nanos) -> Ring {
        let window = window.max(1);
        Ring {
            window,
            width: window.div_ceil(SLOTS as u64).max(1),
            slots: [0; SLOTS],
            newest: 0,
            used: false,
        }
    }

    pub(super) fn slot(bucket: u64) -> usize {
        (bucket % SLOTS as u64) as usize
    }

    pub(super) fn add(&mut self, ts: Timestamp, bytes: u64) {
        let bucket = ts.as_nanos() / self.width;
        if !self.used {
            self.used = true;
            self.newest = bucket;
        }
        if bucket > self.newest {
            let gap = bucket - self.newest;
            if gap >= SLOTS as u64 {
                self.slots = [0; SLOTS];
            } else {
                for i in 1..=gap {
                    self.slots[Self::slot(self.newest + i)] = 0;
                }
            }
            self.newest = bucket;
        }
        // Older than the ring reaches (a late flow end): outside every
        // window that can still be asked for.
        if self.newest - bucket >= SLOTS as u64 {
            return;
        }
        let slot = &mut self.slots[Self::slot(bucket)];
        *slot = slot.saturating_add(bytes);
    }

    /// Bytes in the window ending at `now`.
    pub(super) fn sum(&self, now: Timestamp) -> u64 {
        if !self.used {
            return 0;
        }
        let bucket = now.as_nanos() / self.width;
        let hi = bucket.min(self.newest);
        let lo = bucket
            .saturating_sub(SLOTS as u64 - 1)
            .max(self.newest.saturating_sub(SLOTS as u64 - 1));
        if hi < lo {
            return 0;
        }
        (lo..=hi)
            .map(|b| self.slots[Self::slot(b)])
            .fold(0, u64::saturating_add)
    }
}

/// Rings for a few window lengths.
#[derive(Debug, Clone, Default)]
pub(super) struct Rings(Vec<Ring>);

impl Rings {
    pub(super) fn new(windows: impl IntoIterator<Item = Nanos>) -> Rings {
        let windows = windows.into_iter();
        // Exactly as many as asked for: a camera has a few of these per
        // account and class, and growing one at a time would leave room
        // for four.
        let mut rings: Vec<Ring> = Vec::with_capacity(windows.size_hint().0);
        for window in windows {
            let window = window.max(1);
            if !rings.iter().any(|r| r.window == window) {
                rings.push(Ring::new(window));
            }
        }
        rings.sort_by_key(|r| r.window);
        rings.shrink_to_fit();
        Rings(rings)
    }

    pub(super) fn add(&mut self, ts: Timestamp, bytes: u64) {
        for ring in &mut self.0 {
            ring.add(ts, bytes);
        }
    }

    pub(super) fn sum(&self, window: Nanos, now: Timestamp) -> u64 {
        let window = window.max(1);
        self.0
            .iter()
            .find(|r| r.window == window)
            .map_or(0, |r| r.sum(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::exfil::HOUR;
    use crate::detect::testing::at_secs as at;
    use crate::timestamp::NANOS_PER_SEC;

    #[test]
    fn rings_slide_and_forget() {
        let minute = 60 * NANOS_PER_SEC;
        let mut ring = Ring::new(minute);
        ring.add(at(0), 100);
        ring.add(at(30), 50);
        assert_eq!(ring.sum(at(30)), 150);
        assert_eq!(ring.sum(at(61)), 50);
        assert_eq!(ring.sum(at(200)), 0);
        // Late bytes within reach count; older ones are outside every
        // window that can still be asked for.
        ring.add(at(200), 7);
        ring.add(at(190), 3);
        ring.add(at(100), 1_000);
        assert_eq!(ring.sum(at(200)), 10);
        // A query before the newest bucket sees only what came before it.
        assert_eq!(ring.sum(at(192)), 3);
        let rings = Rings::new([minute, HOUR, minute]);
        assert_eq!(rings.0.len(), 2);
        assert_eq!(rings.sum(7, at(0)), 0);
    }
}
