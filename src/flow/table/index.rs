//! The flow index: a key's hash to its slab entry, in 8-byte slots that a
//! worker can prefetch from the hash alone (see the table's module docs for
//! why this shape and not hashbrown's).

/// An empty index slot. An occupied one holds `!index` in its high half,
/// never zero since `index` is never `NIL`, so a fresh index is zeroed
/// memory the allocator hands out without writing it.
pub(super) const EMPTY: u64 = 0;
const MIN_SLOTS: usize = 16;

/// The 32 bits of a key hash the index keeps: the high half of the hash
/// times 2^64 / golden ratio. `hash64`'s low bits are weak for keys that
/// differ only in a port (they step through an arithmetic progression,
/// and 100k such flows left clusters of hundreds of slots), and bits 24..56
/// choose the worker, so they are nearly fixed within one table; the
/// multiply spreads every input bit into the high half, and spreads
/// progressions evenly (Fibonacci hashing).
#[inline]
pub(super) fn tag_of(hash: u64) -> u32 {
    (hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32
}

#[inline]
fn slot_of(tag: u32, index: u32) -> u64 {
    (u64::from(!index) << 32) | u64::from(tag)
}

#[inline]
fn index_in(slot: u64) -> u32 {
    !((slot >> 32) as u32)
}

#[inline]
fn tag_in(slot: u64) -> u32 {
    slot as u32
}

/// Largest load the index runs at, as a fraction `MAX_LOAD_NUM / 8`.
pub(super) const MAX_LOAD_NUM: usize = 6;

/// Open addressing with linear probing over 8-byte slots (tag, slab index),
/// in Robin Hood order: along a run, homes never decrease. A key's home is
/// the top bits of its tag, so growing needs neither keys nor hashes, and
/// doubling sends slot `i`'s entries to `2i` or `2i + 1`, which keeps the
/// order and the rehash sequential. The order lets a failed lookup stop at
/// the first entry whose home lies after its own, and lets a deletion shift
/// back only the displaced entries behind it (plain linear probing must
/// walk to the end of the cluster, which at 3/4 load averaged 20 slots).
/// Deletion by shifting leaves no tombstones for the constant churn of
/// flows to pile up.
pub(super) struct Index {
    pub(super) slots: Box<[u64]>,
    mask: usize,
    /// 32 - log2(slots): a tag shifted right by this is its home slot.
    shift: u32,
    pub(super) occupied: usize,
}

impl Index {
    pub(super) fn new() -> Index {
        Index {
            slots: vec![EMPTY; MIN_SLOTS].into_boxed_slice(),
            mask: MIN_SLOTS - 1,
            shift: 32 - MIN_SLOTS.trailing_zeros(),
            occupied: 0,
        }
    }

    #[inline]
    pub(super) fn home(&self, tag: u32) -> usize {
        (tag >> self.shift) as usize
    }

    #[inline]
    fn next(&self, pos: usize) -> usize {
        (pos + 1) & self.mask
    }

    /// How far the occupied `slot` at `pos` sits past its home.
    #[inline]
    pub(super) fn displacement(&self, pos: usize, slot: u64) -> usize {
        pos.wrapping_sub(self.home(tag_in(slot))) & self.mask
    }

    /// The slot and slab index of the entry tagged `tag` for which
    /// `is_match` holds, or else the slot where an entry tagged `tag`
    /// belongs.
    #[inline]
    pub(super) fn find(
        &self,
        tag: u32,
        mut is_match: impl FnMut(u32) -> bool,
    ) -> Result<(usize, u32), usize> {
        let mut pos = self.home(tag);
        let mut distance = 0;
        loop {
            let slot = self.slots[pos];
            if slot == EMPTY || self.displacement(pos, slot) < distance {
                return Err(pos);
            }
            if tag_in(slot) == tag && is_match(index_in(slot)) {
                return Ok((pos, index_in(slot)));
            }
            pos = self.next(pos);
            distance += 1;
        }
    }

    /// The slot that holds slab index `index` under `tag`.
    pub(super) fn position(&self, tag: u32, index: u32) -> Option<usize> {
        let wanted = slot_of(tag, index);
        let mut pos = self.home(tag);
        let mut distance = 0;
        loop {
            let slot = self.slots[pos];
            if slot == wanted {
                return Some(pos);
            }
            if slot == EMPTY || self.displacement(pos, slot) < distance {
                return None;
            }
            pos = self.next(pos);
            distance += 1;
        }
    }

    /// Whether one more entry would take the load past `MAX_LOAD_NUM / 8`.
    #[inline]
    pub(super) fn is_full(&self) -> bool {
        (self.occupied + 1) * 8 > self.slots.len() * MAX_LOAD_NUM
    }

    /// Puts an entry at `pos`, which must be where `find` said an entry
    /// tagged `tag` belongs, with no change to the index since; the rest of
    /// the run moves one slot on.
    #[inline]
    pub(super) fn insert_at(&mut self, mut pos: usize, tag: u32, index: u32) {
        let mut carry = slot_of(tag, index);
        loop {
            let slot = std::mem::replace(&mut self.slots[pos], carry);
            if slot == EMPTY {
                break;
            }
            carry = slot;
            pos = self.next(pos);
        }
        self.occupied += 1;
    }

    /// Empties slot `pos` and moves the displaced entries after it one slot
    /// back, up to the next empty slot or entry at its home.
    pub(super) fn remove_at(&mut self, mut hole: usize) {
        loop {
            let pos = self.next(hole);
            let slot = self.slots[pos];
            if slot == EMPTY || self.displacement(pos, slot) == 0 {
                break;
            }
            self.slots[hole] = slot;
            hole = pos;
        }
        self.slots[hole] = EMPTY;
        self.occupied -= 1;
    }

    /// Doubles the slot count, from the tags alone: no key is read or
    /// hashed again.
    pub(super) fn grow(&mut self) {
        let doubled = vec![EMPTY; self.slots.len() * 2].into_boxed_slice();
        let old = std::mem::replace(&mut self.slots, doubled);
        self.mask = self.slots.len() - 1;
        self.shift = self.shift.saturating_sub(1);
        self.occupied = 0;
        let old_mask = old.len() - 1;
        // Starting after an empty slot, entries arrive nearly in home order
        // (entries that shared a home may now have two, in either order),
        // so each insert stops at or next to its home and the writes walk
        // the new array front to back.
        let start = old.iter().position(|&slot| slot == EMPTY).unwrap_or(0);
        for step in 1..=old.len() {
            let slot = old[(start + step) & old_mask];
            if slot != EMPTY {
                let tag = tag_in(slot);
                let pos = match self.find(tag, |_| false) {
                    Ok((pos, _)) | Err(pos) => pos,
                };
                self.insert_at(pos, tag, index_in(slot));
            }
        }
    }

    pub(super) fn clear(&mut self) {
        self.slots.fill(EMPTY);
        self.occupied = 0;
    }
}

#[cfg(test)]
impl Index {
    /// Panics unless every entry sits in Robin Hood order and the count is
    /// right.
    pub(super) fn check(&self) {
        let mut count = 0;
        for (pos, &slot) in self.slots.iter().enumerate() {
            if slot == EMPTY {
                continue;
            }
            count += 1;
            let displacement = self.displacement(pos, slot);
            if displacement > 0 {
                let before = (pos + self.mask) & self.mask;
                let previous = self.slots[before];
                assert_ne!(previous, EMPTY, "entry {pos} is displaced past a gap");
                assert!(
                    self.displacement(before, previous) + 1 >= displacement,
                    "entry {pos} comes after an entry with a later home"
                );
            }
        }
        assert_eq!(count, self.occupied);
    }
}
