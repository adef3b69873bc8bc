//! Software prefetch of index lines, the one `unsafe` in the crate.
//!
//! A worker hashes a batch of packets first, then asks for each packet's
//! index line about 16 packets ahead of its update, so that the cache
//! misses of many packets are in flight at once (see the table's docs).

use super::FlowTable;
use super::index::tag_of;

impl FlowTable {
    /// Starts loading the index line a packet whose key hashes to `hash`
    /// will probe. Call it about 16 packets ahead of that packet's
    /// `update_hashed` so that the lookup finds the line in cache. Only a
    /// hint: a prefetch that growth or removals made stale costs nothing.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        self.prefetch_tag(tag_of(hash));
    }

    #[inline]
    pub(super) fn prefetch_tag(&self, tag: u32) {
        if let Some(slot) = self.index.slots.get(self.index.home(tag)) {
            prefetch_line(std::ptr::from_ref(slot).cast());
        }
    }
}

/// Starts loading the cache line at `at` into all cache levels.
#[inline(always)]
#[allow(unsafe_code)]
fn prefetch_line(at: *const u8) {
    // SAFETY: a prefetch is a hint. It never faults, whatever the address,
    // and neither reads nor writes memory as far as the program can tell.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(at.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}
