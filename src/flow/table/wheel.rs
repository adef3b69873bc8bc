//! One timeout class's timing wheel: flows hashed by the time they are
//! filed under into buckets of a fixed width, each bucket a list threaded
//! through the slab.
//!
//! Why a wheel and not a recency queue: a queue's sweep stops at the first
//! flow not yet due, which is exact only while the queue stays sorted, and
//! re-queueing a flow that was active since it was queued puts its older
//! last packet time behind newer flows. A flow then ends one sweep or
//! another depending on which other flows share its worker's queue, so
//! the order of flow records followed the number of workers. The wheel
//! sweeps whole buckets: every bucket older than the one holding
//! `now - timeout` is walked to the end, so a flow ends at the first sweep
//! after its bucket falls behind, whatever else the table holds.
//!
//! A bucket is a power of two of nanoseconds, from 1/2048 to 1/1024 of
//! the class's timeout (268 ms for the 5-minute class), so a flow ends at
//! most two buckets (under 1/500 of its timeout) after it is due, never
//! before; 4,096 buckets span two to four timeouts, so a sweep rarely
//! meets a flow from the wheel's next turn.
//! A packet never touches the wheel unless its flow changes class: it only
//! moves `last_ts`, and the sweep re-files a flow found active.

use super::slab::{NIL, Slab};
use crate::timestamp::{Nanos, Timestamp};

/// Buckets per wheel (a power of two).
const SLOTS: usize = 4096;
const MASK: u64 = SLOTS as u64 - 1;

pub(super) struct Wheel {
    /// First slab index of each bucket's list.
    heads: Box<[u32]>,
    /// log2 of a bucket's width in nanoseconds.
    shift: u32,
    /// Every bucket below this one has been swept: each flow on the wheel
    /// is filed at or after it.
    swept: u64,
    /// No flow is filed below this bucket (where eviction looks first).
    lowest: u64,
    len: usize,
}

impl Wheel {
    pub(super) fn new(timeout: Nanos) -> Wheel {
        let mut shift = 0;
        while timeout >> shift > (SLOTS / 2) as u64 {
            shift += 1;
        }
        Wheel {
            heads: vec![NIL; SLOTS].into_boxed_slice(),
            shift,
            swept: 0,
            lowest: 0,
            len: 0,
        }
    }

    /// Heap bytes the wheel holds.
    pub(super) fn memory_bytes(&self) -> usize {
        self.heads.len() * size_of::<u32>()
    }

    /// The bucket of time `ts`.
    #[inline]
    pub(super) fn bucket(&self, ts: Timestamp) -> u64 {
        ts.as_nanos() >> self.shift
    }

    /// Files flow `index` under time `ts`, or under the first unswept
    /// bucket when `ts` is older (the input stepped back in time).
    #[inline]
    pub(super) fn link(&mut self, slab: &mut Slab, index: u32, ts: Timestamp) {
        let floor = Timestamp(self.swept << self.shift);
        let ts = ts.max(floor);
        let bucket = self.bucket(ts);
        let slot = (bucket & MASK) as usize;
        let head = self.heads[slot];
        {
            let entry = slab.get_mut(index);
            entry.filed_ts = ts;
            entry.prev = NIL;
            entry.next = head;
        }
        if head != NIL {
            slab.get_mut(head).prev = index;
        }
        self.heads[slot] = index;
        if self.len == 0 || bucket < self.lowest {
            self.lowest = bucket;
        }
        self.len += 1;
    }

    /// Takes flow `index` off the wheel.
    #[inline]
    pub(super) fn unlink(&mut self, slab: &mut Slab, index: u32) {
        let (prev, next, slot) = {
            let entry = slab.get(index);
            let slot = (self.bucket(entry.filed_ts) & MASK) as usize;
            (entry.prev, entry.next, slot)
        };
        if prev == NIL {
            self.heads[slot] = next;
        } else {
            slab.get_mut(prev).next = next;
        }
        if next != NIL {
            slab.get_mut(next).prev = prev;
        }
        self.len -= 1;
    }

    /// Files flow `index`, on this wheel already, under time `ts` instead.
    #[inline]
    pub(super) fn refile(&mut self, slab: &mut Slab, index: u32, ts: Timestamp) {
        self.unlink(slab, index);
        self.link(slab, index, ts);
    }

    /// The buckets a sweep with limit `target` walks (every unswept bucket
    /// below it, at most one turn of the wheel), and marks them swept. A
    /// walked slot can also hold flows of a later turn (filed at or after
    /// `target`): those stay.
    pub(super) fn advance(&mut self, target: u64) -> std::ops::Range<u64> {
        if target <= self.swept {
            return 0..0;
        }
        let from = if self.len == 0 {
            target
        } else {
            self.swept.max(target.saturating_sub(SLOTS as u64))
        };
        self.swept = target;
        self.lowest = self.lowest.max(target);
        from..target
    }

    /// The first flow of bucket `bucket`'s slot.
    #[inline]
    pub(super) fn head(&self, bucket: u64) -> u32 {
        self.heads[(bucket & MASK) as usize]
    }

    /// The first flow of the lowest non-empty bucket, for eviction: the
    /// oldest filed, give or take the flows of one bucket.
    pub(super) fn oldest(&mut self) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        // Bounded: a non-empty wheel has a non-empty slot within a turn.
        for _ in 0..SLOTS {
            let head = self.head(self.lowest);
            if head != NIL {
                return Some(head);
            }
            self.lowest += 1;
        }
        None
    }

    /// Every flow on the wheel, in no particular order.
    pub(super) fn for_each(&self, slab: &Slab, mut visit: impl FnMut(u32)) {
        for &head in self.heads.iter() {
            let mut at = head;
            while at != NIL {
                visit(at);
                at = slab.get(at).next;
            }
        }
    }

    /// Empties the wheel (the slab is cleared by the caller); the swept
    /// mark stays, as time does.
    pub(super) fn clear(&mut self) {
        self.heads.fill(NIL);
        self.len = 0;
    }

    /// Panics unless every flow sits in the slot of the bucket it is
    /// filed in, at or after the swept mark, with consistent links.
    #[cfg(test)]
    pub(super) fn check(&self, slab: &Slab, mut visit: impl FnMut(u32)) {
        let mut seen = 0;
        for (slot, &head) in self.heads.iter().enumerate() {
            let mut previous = NIL;
            let mut at = head;
            while at != NIL {
                let entry = slab.get(at);
                let bucket = self.bucket(entry.filed_ts);
                assert_eq!((bucket & MASK) as usize, slot, "flow {at} in another slot");
                assert!(bucket >= self.swept, "flow {at} filed before the sweep");
                assert!(bucket >= self.lowest, "flow {at} filed below lowest");
                assert_eq!(entry.prev, previous);
                visit(at);
                seen += 1;
                previous = at;
                at = entry.next;
            }
        }
        assert_eq!(seen, self.len);
    }
}
