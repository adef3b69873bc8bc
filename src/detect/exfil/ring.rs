//! Sliding windows of byte counts in packet time: a ring of [`SLOTS`]
//! buckets per window, so memory per camera is fixed whatever the traffic.
//!
//! Most rings hold a few non-zero buckets (a camera's "other" class sees a
//! handful of flows an hour; under a flood inside a camera group every
//! address is a camera with one flow), so a ring keeps up to [`SPARSE`]
//! buckets inline and takes all [`SLOTS`] only beyond: 64 bytes a ring
//! instead of 288, and the same sums.

use super::SLOTS;
use crate::timestamp::{Nanos, Timestamp};

/// Non-zero buckets a ring keeps inline.
const SPARSE: usize = 3;

/// A ring's buckets by slot (`bucket % SLOTS`); a slot not held is zero.
#[derive(Debug, Clone)]
enum Buckets {
    Sparse {
        len: u8,
        slots: [u8; SPARSE],
        bytes: [u64; SPARSE],
    },
    Dense(Box<[u64; SLOTS]>),
}

impl Buckets {
    const EMPTY: Buckets = Buckets::Sparse {
        len: 0,
        slots: [0; SPARSE],
        bytes: [0; SPARSE],
    };

    fn get(&self, slot: usize) -> u64 {
        match self {
            Buckets::Sparse { len, slots, bytes } => (0..usize::from(*len))
                .find(|&i| usize::from(slots[i]) == slot)
                .map_or(0, |i| bytes[i]),
            Buckets::Dense(all) => all[slot],
        }
    }

    fn zero(&mut self, slot: usize) {
        match self {
            Buckets::Sparse { len, slots, bytes } => {
                let n = usize::from(*len);
                if let Some(i) = (0..n).find(|&i| usize::from(slots[i]) == slot) {
                    slots[i] = slots[n - 1];
                    bytes[i] = bytes[n - 1];
                    *len -= 1;
                }
            }
            Buckets::Dense(all) => all[slot] = 0,
        }
    }

    fn add(&mut self, slot: usize, add: u64) {
        if add == 0 {
            return;
        }
        match self {
            Buckets::Sparse { len, slots, bytes } => {
                let n = usize::from(*len);
                if let Some(i) = (0..n).find(|&i| usize::from(slots[i]) == slot) {
                    bytes[i] = bytes[i].saturating_add(add);
                    return;
                }
                if n < SPARSE {
                    // SLOTS fits a u8 (checked below).
                    slots[n] = slot as u8;
                    bytes[n] = add;
                    *len += 1;
                    return;
                }
                let mut all = Box::new([0u64; SLOTS]);
                for i in 0..n {
                    all[usize::from(slots[i])] = bytes[i];
                }
                all[slot] = add;
                *self = Buckets::Dense(all);
            }
            Buckets::Dense(all) => all[slot] = all[slot].saturating_add(add),
        }
    }
}

const _: () = assert!(SLOTS <= u8::MAX as usize + 1);

/// A sliding window of `SLOTS` buckets.
#[derive(Debug, Clone)]
pub(super) struct Ring {
    pub(super) window: Nanos,
    pub(super) width: Nanos,
    slots: Buckets,
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
            slots: Buckets::EMPTY,
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
                self.slots = Buckets::EMPTY;
            } else {
                for i in 1..=gap {
                    self.slots.zero(Self::slot(self.newest + i));
                }
            }
            self.newest = bucket;
        }
        // Older than the ring reaches (a late flow end): outside every
        // window that can still be asked for.
        if self.newest - bucket >= SLOTS as u64 {
            return;
        }
        self.slots.add(Self::slot(bucket), bytes);
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
            .map(|b| self.slots.get(Self::slot(b)))
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

    /// The inline buckets and the full array give the same sums as a
    /// plain array of buckets, over a long pseudo-random run with late
    /// adds, gaps, zero adds and bursts that spill past `SPARSE`.
    #[test]
    fn sparse_buckets_sum_like_a_plain_array() {
        let minute = 60 * NANOS_PER_SEC;
        let mut ring = Ring::new(minute);
        // The plain model: absolute bucket -> bytes.
        let mut model: std::collections::BTreeMap<u64, u64> = Default::default();
        let width = ring.width;
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut now = 0u64;
        let mut newest = 0u64;
        for step in 0..20_000 {
            let r = next();
            now += match r % 10 {
                0 => 0,
                1..=6 => r % (width * 2),
                7 | 8 => r % (minute / 2),
                _ => r % (minute * 3),
            };
            let ts = now.saturating_sub(if r % 7 == 0 { r % minute } else { 0 });
            let bytes = if r % 11 == 0 { 0 } else { (r >> 20) % 10_000 };
            ring.add(Timestamp::from_secs_nanos(0, ts as i64), bytes);
            let bucket = ts / width;
            newest = newest.max(bucket);
            if newest - bucket < SLOTS as u64 {
                *model.entry(bucket).or_default() += bytes;
            }
            let query = now.saturating_sub(r % (minute / 4));
            let q = query / width;
            let lo = q
                .saturating_sub(SLOTS as u64 - 1)
                .max(newest.saturating_sub(SLOTS as u64 - 1));
            let hi = q.min(newest);
            let want: u64 = if hi < lo {
                0
            } else {
                model.range(lo..=hi).map(|(_, b)| *b).sum()
            };
            assert_eq!(
                ring.sum(Timestamp::from_secs_nanos(0, query as i64)),
                want,
                "step {step}"
            );
        }
    }
}
