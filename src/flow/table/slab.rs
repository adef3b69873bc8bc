//! Where flows live: fixed chunks of cache-line-aligned entries, so a flow
//! never moves while it lives and its slab index stays valid.

use super::super::state::Flow;
use crate::timestamp::Timestamp;

/// No entry: the end of a wheel bucket's list.
pub(super) const NIL: u32 = u32::MAX;

/// A slab entry: a flow, the time it is filed under on its timing wheel
/// and its bucket's list links. Flow is 112 bytes, so this is 128, and
/// aligning it to a cache line makes every flow exactly two lines (packed
/// entries straddle three lines in most cases), and puts `filed_ts` and
/// the links on a line the sweep reads anyway. The timeout class is not stored: it follows
/// from the flow (`expiry::class_of`), which leaves room for the links.
#[repr(C, align(64))]
pub(super) struct Entry {
    pub(super) flow: Flow,
    pub(super) filed_ts: Timestamp,
    /// Neighbours in its bucket's list on the wheel of the flow's timeout
    /// class (`expiry::class_of`): the table's bookkeeping, kept here
    /// rather than in `Flow`, which is cloned into every flow-end
    /// observation.
    pub(super) prev: u32,
    pub(super) next: u32,
}

const CHUNK_BITS: u32 = 12;
const CHUNK: usize = 1 << CHUNK_BITS;

/// Entries in chunks of `CHUNK`: a flow never moves, so growing copies
/// nothing (the system allocator copies over-aligned blocks on every
/// realloc) and leaves at most one chunk unused; the chunk list is a few
/// kilobytes even at millions of flows, so the extra load hits L1.
#[derive(Default)]
pub(super) struct Slab {
    chunks: Vec<Vec<Entry>>,
    pub(super) len: usize,
}

impl Slab {
    #[inline]
    pub(super) fn get(&self, index: u32) -> &Entry {
        &self.chunks[(index >> CHUNK_BITS) as usize][index as usize & (CHUNK - 1)]
    }

    #[inline]
    pub(super) fn get_mut(&mut self, index: u32) -> &mut Entry {
        &mut self.chunks[(index >> CHUNK_BITS) as usize][index as usize & (CHUNK - 1)]
    }

    pub(super) fn push(&mut self, entry: Entry) -> u32 {
        let chunk = self.len >> CHUNK_BITS;
        if chunk == self.chunks.len() {
            // The first chunk grows as a `Vec` does, so that a small table
            // stays small; later ones are needed whole.
            self.chunks.push(if chunk == 0 {
                Vec::new()
            } else {
                Vec::with_capacity(CHUNK)
            });
        }
        self.chunks[chunk].push(entry);
        self.len += 1;
        (self.len - 1) as u32
    }

    pub(super) fn clear(&mut self) {
        for chunk in &mut self.chunks {
            chunk.clear();
        }
        self.len = 0;
    }

    pub(super) fn bytes(&self) -> usize {
        let entries: usize = self.chunks.iter().map(Vec::capacity).sum();
        entries * size_of::<Entry>() + self.chunks.capacity() * size_of::<Vec<Entry>>()
    }
}
