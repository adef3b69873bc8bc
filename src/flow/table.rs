//! The flow table one worker owns outright.
//!
//! Layout: flows live in a slab of 128-byte entries aligned to cache lines,
//! in fixed chunks, with a free list; an index of 8-byte slots (a 32-bit
//! tag from the key's hash, a 32-bit slab index), open addressing with
//! linear probing in Robin Hood order, maps a key to its entry. No locks:
//! each worker has its own table, and routing guarantees both directions of
//! a flow reach it.
//!
//! Why: at a million flows per worker neither the index nor the slab stays
//! in cache, so a packet costs what its cache misses cost, and the way to
//! cut that is to have the misses of many packets in flight at once. Which
//! index line a packet needs follows from its key's hash alone, so a worker
//! that hashes a batch first can `prefetch` each line some packets ahead,
//! then `update_hashed`: the lookup finds its index line in cache (the
//! index is at most 3/4 full and Robin Hood order keeps an entry near its
//! home, so a probe rarely leaves that line) and goes on to the flow's two
//! lines. That takes an update at a million flows from about 100 ns to
//! about 30. A split index (hashbrown's control bytes, then a bucket of
//! slab indices) cannot be prefetched like that, as the bucket is known
//! only once the control bytes are read. Called one packet at a time, this
//! index is no faster than that one: its 8-byte slots make a larger array
//! than the 1-byte control bytes, which stay in cache longer.
//!
//! Memory: 128 bytes of slab per flow, and 11 to 21 bytes of index as it
//! doubles at 3/4 load; growing reads only the tags, never the flows. A
//! flow never moves while it lives, so `PacketOutcome::index` stays valid
//! until it ends.
//!
//! Expiry: one recency queue per timeout class (TCP opening, TCP established,
//! TCP closed, UDP, ICMP, other), threaded through the slab. A packet does not
//! touch the queue; it only moves `last_ts` forward. The sweep looks at each
//! queue's head and either expires it or, when the flow has seen packets
//! since it was queued, re-queues it at the tail (the re-check Retina's timer
//! wheel does). A flow is re-queued at most once per timeout period, so the
//! sweep is amortised O(1) per flow and the per-packet path stays a hash probe
//! and a few counter updates. The sweep ends flows in small batches and
//! takes each batch out of the index after prefetching its slots, since
//! those slots are scattered at random.
//!
//! Determinism: a packet that arrives more than the timeout after its flow's
//! last packet closes that flow and starts a new one, whether or not a sweep
//! ran in between, so flow records do not depend on when sweeps happen or on
//! how flows are spread over workers. Only eviction under a full table
//! depends on the table's share of flows.

use super::key::FlowKey;
use super::state::{EndReason, FROM_INITIATOR, FROM_RESPONDER, Flow, TcpState};
use crate::decode::PacketView;
use crate::decode::tcp_flags::{ACK, SYN};
use crate::protocols::service::server_is_destination;
use crate::timestamp::{NANOS_PER_SEC, Nanos, Timestamp};

const NIL: u32 = u32::MAX;

/// Most live flows a table holds: slab indices are `u32` with `NIL`
/// reserved, and index homes come from 32 hash bits, enough for the 2^32
/// slots this many flows can need.
const MAX_FLOWS: usize = 1 << 31;

const CLASS_TCP_OPENING: u8 = 0;
const CLASS_TCP_ESTABLISHED: u8 = 1;
const CLASS_TCP_CLOSED: u8 = 2;
const CLASS_UDP: u8 = 3;
const CLASS_ICMP: u8 = 4;
const CLASS_OTHER: u8 = 5;
const CLASSES: usize = 6;

/// Inactivity timeouts in packet time. Defaults sit inside the ranges
/// Suricata and Zeek ship with (30 s to 5 min): a TCP attempt that got no
/// answer is done after 30 s (Suricata `tcp.new` 60 s, Zeek
/// `tcp_attempt_delay` 5 s); an established TCP connection after 5 min of
/// silence (Zeek `tcp_inactivity_timeout`); a closed or reset connection
/// lingers 10 s for stray ACKs and retransmissions; UDP after 1 min (Zeek
/// `udp_inactivity_timeout`; RTP streams never pause that long); ICMP after
/// 30 s; other protocols after 1 min.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub tcp_opening: Nanos,
    pub tcp_established: Nanos,
    pub tcp_closed: Nanos,
    pub udp: Nanos,
    pub icmp: Nanos,
    pub other: Nanos,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            tcp_opening: 30 * NANOS_PER_SEC,
            tcp_established: 300 * NANOS_PER_SEC,
            tcp_closed: 10 * NANOS_PER_SEC,
            udp: 60 * NANOS_PER_SEC,
            icmp: 30 * NANOS_PER_SEC,
            other: 60 * NANOS_PER_SEC,
        }
    }
}

impl Timeouts {
    fn of(&self, class: u8) -> Nanos {
        match class {
            CLASS_TCP_OPENING => self.tcp_opening,
            CLASS_TCP_ESTABLISHED => self.tcp_established,
            CLASS_TCP_CLOSED => self.tcp_closed,
            CLASS_UDP => self.udp,
            CLASS_ICMP => self.icmp,
            _ => self.other,
        }
    }
}

/// Counters a table keeps about its own life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableCounters {
    pub created: u64,
    /// Ended by inactivity, FIN or RST.
    pub expired: u64,
    pub evicted: u64,
    /// Still live at end of input.
    pub flushed: u64,
}

/// What the table did with one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketOutcome {
    pub index: u32,
    pub new_flow: bool,
    pub from_initiator: bool,
    /// The first packet of the side that did not send the flow's first
    /// packet (normally the responder's answer).
    pub first_answer: bool,
}

#[derive(Clone, Copy)]
struct Queue {
    head: u32,
    tail: u32,
}

pub struct FlowTable {
    slab: Slab,
    free: Vec<u32>,
    index: Index,
    queues: [Queue; CLASSES],
    live: usize,
    capacity: usize,
    timeouts: Timeouts,
    counters: TableCounters,
}

impl FlowTable {
    /// A table that holds at most `capacity` live flows (at least 1, at
    /// most 2^31).
    pub fn new(capacity: usize, timeouts: Timeouts) -> FlowTable {
        FlowTable {
            slab: Slab::default(),
            free: Vec::new(),
            index: Index::new(),
            queues: [Queue {
                head: NIL,
                tail: NIL,
            }; CLASSES],
            live: 0,
            capacity: capacity.clamp(1, MAX_FLOWS),
            timeouts,
            counters: TableCounters::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    pub fn counters(&self) -> TableCounters {
        self.counters
    }

    pub fn flow(&self, index: u32) -> &Flow {
        &self.slab.get(index).flow
    }

    /// Records that one side of flow `index` sent media (sticky).
    pub fn mark_media(&mut self, index: u32, from_initiator: bool) {
        let direction = if from_initiator {
            FROM_INITIATOR
        } else {
            FROM_RESPONDER
        };
        self.slab.get_mut(index).flow.media |= 1 << direction;
    }

    /// Heap bytes the table holds (slab, index, free list), for memory
    /// accounting.
    pub fn memory_bytes(&self) -> usize {
        self.slab.bytes()
            + self.index.slots.len() * size_of::<u64>()
            + self.free.capacity() * size_of::<u32>()
    }

    /// Starts loading the index line a packet whose key hashes to `hash`
    /// will probe. Call it about 16 packets ahead of that packet's
    /// `update_hashed` so that the lookup finds the line in cache. Only a
    /// hint: a prefetch that growth or removals made stale costs nothing.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        self.prefetch_tag(tag_of(hash));
    }

    #[inline]
    fn prefetch_tag(&self, tag: u32) {
        if let Some(slot) = self.index.slots.get(self.index.home(tag)) {
            prefetch_line(std::ptr::from_ref(slot).cast());
        }
    }

    /// Accounts one packet (keyed `key`, whose source is the key's `lo` side
    /// when `src_is_lo`; `wire_len` bytes on the wire, at `ts`, at input
    /// position `seq`) to its flow, creating the flow if needed. Flows that
    /// end on the way (split by inactivity, evicted) are passed to `on_end`.
    #[inline]
    pub fn update(
        &mut self,
        view: &PacketView,
        (key, src_is_lo): (FlowKey, bool),
        wire_len: u32,
        ts: Timestamp,
        seq: u64,
        on_end: &mut impl FnMut(&Flow, EndReason),
    ) -> PacketOutcome {
        let hash = key.hash64();
        self.update_hashed(view, (key, src_is_lo), hash, wire_len, ts, seq, on_end)
    }

    /// `update` for a caller that already has `hash == key.hash64()`
    /// (computed for `prefetch`). Another hash is a caller bug, checked in
    /// debug builds; in release builds that flow is not found again and
    /// leaves a stale index slot, but nothing panics.
    #[allow(clippy::too_many_arguments)]
    pub fn update_hashed(
        &mut self,
        view: &PacketView,
        (key, src_is_lo): (FlowKey, bool),
        hash: u64,
        wire_len: u32,
        ts: Timestamp,
        seq: u64,
        on_end: &mut impl FnMut(&Flow, EndReason),
    ) -> PacketOutcome {
        debug_assert_eq!(hash, key.hash64(), "update_hashed needs key.hash64()");
        let tag = tag_of(hash);
        let slab = &self.slab;
        let mut vacant = match self.index.find(tag, |i| slab.get(i).flow.key == key) {
            Ok((pos, index)) => {
                let flow = &self.slab.get(index).flow;
                let class = flow.class;
                let idle = ts.since(flow.last_ts) > self.timeouts.of(class);
                // A fresh SYN on a finished connection is the port being reused.
                let reused = class == CLASS_TCP_CLOSED && view.tcp_flags & (SYN | ACK) == SYN;
                if !(idle || reused) {
                    return self.account(index, view, src_is_lo, wire_len, ts);
                }
                let reason = if class == CLASS_TCP_CLOSED {
                    flow.close_reason()
                } else {
                    EndReason::Timeout
                };
                on_end(flow, reason);
                self.counters.expired += 1;
                self.index.remove_at(pos);
                self.release(index);
                None
            }
            Err(pos) => Some(pos),
        };
        if self.live >= self.capacity {
            self.evict_stalest(on_end);
            vacant = None;
        }
        self.create(view, key, src_is_lo, tag, vacant, wire_len, ts, seq)
    }

    fn account(
        &mut self,
        index: u32,
        view: &PacketView,
        src_is_lo: bool,
        wire_len: u32,
        ts: Timestamp,
    ) -> PacketOutcome {
        let flow = &mut self.slab.get_mut(index).flow;
        let direction = if src_is_lo == flow.initiator_is_lo {
            FROM_INITIATOR
        } else {
            FROM_RESPONDER
        };
        // The first packet of whichever side did not open the flow (the
        // responder, unless the flow was first seen from its server side).
        let first_answer = flow.packets[direction] == 0;
        flow.packets[direction] += 1;
        flow.bytes[direction] += u64::from(wire_len);
        if ts > flow.last_ts {
            flow.last_ts = ts;
        }
        if flow.tcp_state.is_some() {
            flow.tcp_update(direction, view.tcp_flags);
            let class = class_of(flow);
            if class != flow.class {
                self.unlink(index);
                self.link_tail(index, class);
            }
        }
        PacketOutcome {
            index,
            new_flow: false,
            from_initiator: direction == FROM_INITIATOR,
            first_answer,
        }
    }

    /// `vacant`: the empty index slot the failed lookup ended on, if the
    /// index has not changed since.
    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        view: &PacketView,
        key: FlowKey,
        src_is_lo: bool,
        tag: u32,
        vacant: Option<usize>,
        wire_len: u32,
        ts: Timestamp,
        seq: u64,
    ) -> PacketOutcome {
        let is_tcp = key.proto == 6;
        let syn = is_tcp && view.tcp_flags & (SYN | ACK) == SYN;
        let syn_ack = is_tcp && view.tcp_flags & (SYN | ACK) == SYN | ACK;
        // The initiator is whoever sent the SYN; a SYN-ACK seen first means
        // the SYN was missed and the destination initiated. Any other first
        // TCP packet with ACK, or a UDP datagram from a service port, belongs to a
        // conversation that began before the capture (or before a timeout
        // ended its flow): the server side is then read from the ports, so
        // a camera's video to the recorder that pulls it is not taken for
        // an upload the camera started.
        let (source_responds, midstream) = if syn_ack {
            (true, true)
        } else if syn {
            (false, false)
        } else if is_tcp && view.tcp_flags & ACK != 0 {
            let server_is_source =
                server_is_destination(6, view.src_port, view.dst_port) == Some(false);
            (server_is_source, true)
        } else if is_tcp {
            // Every segment of a running connection carries ACK; one without
            // it and without SYN (FIN, NULL and Xmas scans, a bare RST)
            // belongs to no running conversation: its sender is probing.
            (false, false)
        } else if matches!(key.proto, 17 | 132) {
            // UDP has no handshake, so without a service port the first
            // sender stays the initiator (RTP from camera to recorder).
            let server_is_source =
                server_is_destination(key.proto, view.src_port, view.dst_port) == Some(false);
            (server_is_source, server_is_source)
        } else {
            (false, false)
        };
        let initiator_is_lo = if source_responds {
            !src_is_lo
        } else {
            src_is_lo
        };
        let direction = if source_responds {
            FROM_RESPONDER
        } else {
            FROM_INITIATOR
        };
        let tcp_state = is_tcp.then_some(if syn_ack {
            TcpState::SynAckReceived
        } else if view.tcp_flags & (SYN | ACK) == SYN {
            TcpState::SynSent
        } else {
            TcpState::Midstream
        });
        let mut flow = Flow {
            key,
            initiator_is_lo,
            midstream,
            media: 0,
            icmp_one_way: view.icmp_one_way,
            tcp_state,
            tcp_flags: [0; 2],
            first_ts: ts,
            last_ts: ts,
            packets: [0; 2],
            bytes: [0; 2],
            first_seq: seq,
            prev: NIL,
            next: NIL,
            class: 0,
        };
        flow.packets[direction] = 1;
        flow.bytes[direction] = u64::from(wire_len);
        if is_tcp {
            flow.tcp_flags[direction] = view.tcp_flags;
            if view.tcp_flags & crate::decode::tcp_flags::RST != 0 {
                flow.tcp_state = Some(TcpState::Reset);
            }
        }
        let class = class_of(&flow);
        let entry = Entry {
            flow,
            queued_ts: ts,
        };
        let index = match self.free.pop() {
            Some(index) => {
                *self.slab.get_mut(index) = entry;
                index
            }
            None => self.slab.push(entry),
        };
        let pos = match vacant {
            Some(pos) if !self.index.is_full() => pos,
            _ => {
                if self.index.is_full() {
                    self.index.grow();
                }
                // The key is not in the index: no entry matches.
                match self.index.find(tag, |_| false) {
                    Ok((pos, _)) | Err(pos) => pos,
                }
            }
        };
        self.index.insert_at(pos, tag, index);
        self.link_tail(index, class);
        self.live += 1;
        self.counters.created += 1;
        PacketOutcome {
            index,
            new_flow: true,
            from_initiator: direction == FROM_INITIATOR,
            first_answer: false,
        }
    }

    /// Ends every flow idle for longer than its timeout at packet time `now`.
    pub fn expire(&mut self, now: Timestamp, on_end: &mut impl FnMut(&Flow, EndReason)) {
        for class in 0..CLASSES as u8 {
            let timeout = self.timeouts.of(class);
            let mut more = true;
            while more {
                // Ends up to a batch of flows, starting the load of each
                // one's index line, then takes them out of the index: the
                // loads overlap instead of each stalling the sweep in turn.
                let mut ended = [(NIL, 0u32); SWEEP_BATCH];
                let mut count = 0;
                more = false;
                while count < SWEEP_BATCH {
                    let head = self.queues[class as usize].head;
                    if head == NIL {
                        break;
                    }
                    let entry = self.slab.get(head);
                    let flow = &entry.flow;
                    if now.since(flow.last_ts) <= timeout {
                        if flow.last_ts > entry.queued_ts {
                            // Active since queued: re-check it a timeout later.
                            self.requeue(head);
                            continue;
                        }
                        break;
                    }
                    let reason = if class == CLASS_TCP_CLOSED {
                        flow.close_reason()
                    } else {
                        EndReason::Timeout
                    };
                    on_end(flow, reason);
                    self.counters.expired += 1;
                    let tag = tag_of(flow.key.hash64());
                    self.prefetch_tag(tag);
                    ended[count] = (head, tag);
                    count += 1;
                    self.release(head);
                    more = count == SWEEP_BATCH;
                }
                for &(index, tag) in &ended[..count] {
                    if let Some(pos) = self.index.position(tag, index) {
                        self.index.remove_at(pos);
                    }
                }
            }
        }
    }

    /// Ends every live flow: those past their timeout as expired, the rest
    /// as `EndOfInput` (closed TCP connections keep their FIN/RST reason).
    /// Flows are reported in order of their first packet.
    pub fn flush(&mut self, now: Timestamp, on_end: &mut impl FnMut(&Flow, EndReason)) {
        self.expire(now, on_end);
        let mut live: Vec<u32> = Vec::with_capacity(self.live);
        for queue in self.queues {
            let mut at = queue.head;
            while at != NIL {
                live.push(at);
                at = self.slab.get(at).flow.next;
            }
        }
        live.sort_unstable_by_key(|&i| self.slab.get(i).flow.first_seq);
        for index in live {
            let flow = &self.slab.get(index).flow;
            let reason = if flow.class == CLASS_TCP_CLOSED {
                flow.close_reason()
            } else {
                EndReason::EndOfInput
            };
            on_end(flow, reason);
            self.counters.flushed += 1;
        }
        self.slab.clear();
        self.free.clear();
        self.index.clear();
        self.queues = [Queue {
            head: NIL,
            tail: NIL,
        }; CLASSES];
        self.live = 0;
    }

    /// Evicts the flow closest to its own expiry.
    fn evict_stalest(&mut self, on_end: &mut impl FnMut(&Flow, EndReason)) {
        let mut best: Option<(Timestamp, u32)> = None;
        for class in 0..CLASSES as u8 {
            // Bring a truly idle flow to the head: re-queue active ones.
            // Bounded: each re-queue needs a packet since the last one.
            loop {
                let head = self.queues[class as usize].head;
                if head == NIL {
                    break;
                }
                let entry = self.slab.get(head);
                if entry.flow.last_ts > entry.queued_ts {
                    self.requeue(head);
                    continue;
                }
                let deadline = entry.flow.last_ts.plus(self.timeouts.of(class));
                if best.is_none_or(|(d, _)| deadline < d) {
                    best = Some((deadline, head));
                }
                break;
            }
        }
        if let Some((_, index)) = best {
            let flow = &self.slab.get(index).flow;
            on_end(flow, EndReason::Evicted);
            self.counters.evicted += 1;
            let hash = flow.key.hash64();
            self.remove(index, hash);
        }
    }

    fn remove(&mut self, index: u32, hash: u64) {
        if let Some(pos) = self.index.position(tag_of(hash), index) {
            self.index.remove_at(pos);
        }
        self.release(index);
    }

    /// Returns a flow's slab entry to the free list once the index no
    /// longer points at it.
    fn release(&mut self, index: u32) {
        self.unlink(index);
        self.free.push(index);
        self.live -= 1;
    }

    fn requeue(&mut self, index: u32) {
        let entry = self.slab.get_mut(index);
        entry.queued_ts = entry.flow.last_ts;
        let class = entry.flow.class;
        self.unlink(index);
        self.link_tail(index, class);
    }

    fn link_tail(&mut self, index: u32, class: u8) {
        let queue = &mut self.queues[class as usize];
        let tail = queue.tail;
        {
            let flow = &mut self.slab.get_mut(index).flow;
            flow.class = class;
            flow.prev = tail;
            flow.next = NIL;
        }
        if tail == NIL {
            queue.head = index;
        } else {
            self.slab.get_mut(tail).flow.next = index;
        }
        queue.tail = index;
    }

    fn unlink(&mut self, index: u32) {
        let (prev, next, class) = {
            let flow = &self.slab.get(index).flow;
            (flow.prev, flow.next, flow.class)
        };
        let queue = &mut self.queues[class as usize];
        if prev == NIL {
            queue.head = next;
        } else {
            self.slab.get_mut(prev).flow.next = next;
        }
        if next == NIL {
            queue.tail = prev;
        } else {
            self.slab.get_mut(next).flow.prev = prev;
        }
    }
}

fn class_of(flow: &Flow) -> u8 {
    match flow.key.proto {
        6 => match flow.tcp_state {
            Some(TcpState::SynSent | TcpState::SynAckReceived) => CLASS_TCP_OPENING,
            Some(TcpState::Closed | TcpState::Reset) => CLASS_TCP_CLOSED,
            _ => CLASS_TCP_ESTABLISHED,
        },
        17 => CLASS_UDP,
        1 | 58 => CLASS_ICMP,
        _ => CLASS_OTHER,
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

/// A slab entry: a flow and the `last_ts` it had when it was queued. Flow
/// is 120 bytes, so this is 128, and aligning it to a cache line makes
/// every flow exactly two lines (packed 120-byte entries straddle three
/// lines in six cases out of eight), and puts `queued_ts` on a line the
/// sweep reads anyway.
#[repr(C, align(64))]
struct Entry {
    flow: Flow,
    queued_ts: Timestamp,
}

const CHUNK_BITS: u32 = 12;
const CHUNK: usize = 1 << CHUNK_BITS;

/// Entries in chunks of `CHUNK`: a flow never moves, so growing copies
/// nothing (the system allocator copies over-aligned blocks on every
/// realloc) and leaves at most one chunk unused; the chunk list is a few
/// kilobytes even at millions of flows, so the extra load hits L1.
#[derive(Default)]
struct Slab {
    chunks: Vec<Vec<Entry>>,
    len: usize,
}

impl Slab {
    #[inline]
    fn get(&self, index: u32) -> &Entry {
        &self.chunks[(index >> CHUNK_BITS) as usize][index as usize & (CHUNK - 1)]
    }

    #[inline]
    fn get_mut(&mut self, index: u32) -> &mut Entry {
        &mut self.chunks[(index >> CHUNK_BITS) as usize][index as usize & (CHUNK - 1)]
    }

    fn push(&mut self, entry: Entry) -> u32 {
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

    fn clear(&mut self) {
        for chunk in &mut self.chunks {
            chunk.clear();
        }
        self.len = 0;
    }

    fn bytes(&self) -> usize {
        let entries: usize = self.chunks.iter().map(Vec::capacity).sum();
        entries * size_of::<Entry>() + self.chunks.capacity() * size_of::<Vec<Entry>>()
    }
}

/// An empty index slot. An occupied one holds `!index` in its high half,
/// never zero since `index` is never `NIL`, so a fresh index is zeroed
/// memory the allocator hands out without writing it.
const EMPTY: u64 = 0;
const MIN_SLOTS: usize = 16;

/// The 32 bits of a key hash the index keeps: the high half of the hash
/// times 2^64 / golden ratio. `hash64`'s low bits are weak for keys that
/// differ only in a port (they step through an arithmetic progression,
/// and 100k such flows left clusters of hundreds of slots), and bits 24..56
/// choose the worker, so they are nearly fixed within one table; the
/// multiply spreads every input bit into the high half, and spreads
/// progressions evenly (Fibonacci hashing).
#[inline]
fn tag_of(hash: u64) -> u32 {
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

/// Flows a sweep ends before it takes them out of the index.
const SWEEP_BATCH: usize = 16;

/// Largest load the index runs at, as a fraction `MAX_LOAD_NUM / 8`.
const MAX_LOAD_NUM: usize = 6;

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
struct Index {
    slots: Box<[u64]>,
    mask: usize,
    /// 32 - log2(slots): a tag shifted right by this is its home slot.
    shift: u32,
    occupied: usize,
}

impl Index {
    fn new() -> Index {
        Index {
            slots: vec![EMPTY; MIN_SLOTS].into_boxed_slice(),
            mask: MIN_SLOTS - 1,
            shift: 32 - MIN_SLOTS.trailing_zeros(),
            occupied: 0,
        }
    }

    #[inline]
    fn home(&self, tag: u32) -> usize {
        (tag >> self.shift) as usize
    }

    #[inline]
    fn next(&self, pos: usize) -> usize {
        (pos + 1) & self.mask
    }

    /// How far the occupied `slot` at `pos` sits past its home.
    #[inline]
    fn displacement(&self, pos: usize, slot: u64) -> usize {
        pos.wrapping_sub(self.home(tag_in(slot))) & self.mask
    }

    /// The slot and slab index of the entry tagged `tag` for which
    /// `is_match` holds, or else the slot where an entry tagged `tag`
    /// belongs.
    #[inline]
    fn find(&self, tag: u32, mut is_match: impl FnMut(u32) -> bool) -> Result<(usize, u32), usize> {
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
    fn position(&self, tag: u32, index: u32) -> Option<usize> {
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
    fn is_full(&self) -> bool {
        (self.occupied + 1) * 8 > self.slots.len() * MAX_LOAD_NUM
    }

    /// Puts an entry at `pos`, which must be where `find` said an entry
    /// tagged `tag` belongs, with no change to the index since; the rest of
    /// the run moves one slot on.
    #[inline]
    fn insert_at(&mut self, mut pos: usize, tag: u32, index: u32) {
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
    fn remove_at(&mut self, mut hole: usize) {
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
    fn grow(&mut self) {
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

    fn clear(&mut self) {
        self.slots.fill(EMPTY);
        self.occupied = 0;
    }
}

#[cfg(test)]
impl Index {
    /// Panics unless every entry sits in Robin Hood order and the count is
    /// right.
    fn check(&self) {
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

#[cfg(test)]
impl FlowTable {
    /// Panics unless the queues, the slab and the index agree.
    fn check(&self) {
        self.index.check();
        let mut seen = 0;
        for (class, queue) in self.queues.iter().enumerate() {
            let mut previous = NIL;
            let mut at = queue.head;
            while at != NIL {
                let flow = &self.slab.get(at).flow;
                assert_eq!(usize::from(flow.class), class);
                assert_eq!(flow.prev, previous);
                let tag = tag_of(flow.key.hash64());
                let key = flow.key;
                let found = self.index.find(tag, |i| self.slab.get(i).flow.key == key);
                assert_eq!(found.map(|(_, i)| i), Ok(at), "flow {at} not indexed");
                assert_eq!(self.index.position(tag, at), found.ok().map(|(p, _)| p));
                seen += 1;
                previous = at;
                at = flow.next;
            }
            assert_eq!(queue.tail, previous);
        }
        assert_eq!(seen, self.live);
        assert_eq!(self.index.occupied, self.live);
        assert_eq!(self.free.len() + self.live, self.slab.len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Fragment;
    use crate::decode::tcp_flags::{FIN, RST};
    use proptest::prelude::*;
    use std::collections::HashMap;
    use std::net::IpAddr;

    fn view(
        src: [u8; 4],
        sport: u16,
        dst: [u8; 4],
        dport: u16,
        proto: u8,
        flags: u8,
    ) -> PacketView {
        PacketView {
            src: IpAddr::from(src),
            dst: IpAddr::from(dst),
            src_port: sport,
            dst_port: dport,
            proto,
            icmp_one_way: false,
            vlan: 0,
            inner_vlan: 0,
            src_mac: [0; 6],
            dst_mac: [0; 6],
            tcp_flags: flags,
            fragment: Fragment::None,
            payload_offset: 0,
            payload_len: 0,
            quoted: None,
            encap: 0,
        }
    }

    struct Run {
        table: FlowTable,
        ended: Vec<(FlowKey, EndReason, [u64; 2])>,
        seq: u64,
    }

    impl Run {
        fn new(capacity: usize) -> Run {
            Run {
                table: FlowTable::new(capacity, Timeouts::default()),
                ended: Vec::new(),
                seq: 0,
            }
        }

        fn packet(&mut self, v: PacketView, secs: u64) -> PacketOutcome {
            let (key, lo) = FlowKey::new(v.src, v.src_port, v.dst, v.dst_port, v.proto, 0, 0);
            self.seq += 1;
            let ended = &mut self.ended;
            self.table.update(
                &v,
                (key, lo),
                100,
                Timestamp::from_secs(secs),
                self.seq,
                &mut |f, r| ended.push((f.key, r, f.packets)),
            )
        }

        fn expire(&mut self, secs: u64) {
            let ended = &mut self.ended;
            self.table.expire(Timestamp::from_secs(secs), &mut |f, r| {
                ended.push((f.key, r, f.packets))
            });
        }
    }

    const A: [u8; 4] = [10, 20, 0, 11];
    const B: [u8; 4] = [10, 20, 0, 2];

    #[test]
    fn tcp_handshake_and_fin() {
        let mut run = Run::new(16);
        let first = run.packet(view(A, 40000, B, 554, 6, SYN), 100);
        assert!(first.new_flow && first.from_initiator);
        let answer = run.packet(view(B, 554, A, 40000, 6, SYN | ACK), 100);
        assert!(!answer.new_flow && answer.first_answer && !answer.from_initiator);
        run.packet(view(A, 40000, B, 554, 6, ACK), 100);
        assert_eq!(
            run.table.flow(first.index).tcp_state,
            Some(TcpState::Established)
        );
        run.packet(view(A, 40000, B, 554, 6, FIN | ACK), 101);
        run.packet(view(B, 554, A, 40000, 6, FIN | ACK), 101);
        run.packet(view(A, 40000, B, 554, 6, ACK), 101);
        assert_eq!(
            run.table.flow(first.index).tcp_state,
            Some(TcpState::Closed)
        );
        run.expire(105);
        assert!(run.ended.is_empty(), "lingers for stray packets");
        run.expire(112);
        assert_eq!(run.ended.len(), 1);
        assert_eq!(run.ended[0].1, EndReason::Fin);
        assert_eq!(run.ended[0].2, [4, 2]);
        assert_eq!(run.table.len(), 0);
    }

    #[test]
    fn syn_ack_first_makes_destination_the_initiator() {
        let mut run = Run::new(16);
        let o = run.packet(view(B, 554, A, 40000, 6, SYN | ACK), 1);
        let flow = run.table.flow(o.index);
        assert_eq!(flow.initiator(), (IpAddr::from(A), 40000));
        assert!(flow.answered());
    }

    #[test]
    fn reset_ends_with_rst() {
        let mut run = Run::new(16);
        run.packet(view(A, 40000, B, 23, 6, SYN), 1);
        run.packet(view(B, 23, A, 40000, 6, RST | ACK), 1);
        run.expire(20);
        assert_eq!(run.ended[0].1, EndReason::Rst);
    }

    #[test]
    fn idle_gap_splits_flow_without_sweep() {
        let mut run = Run::new(16);
        run.packet(view(A, 5000, B, 53, 17, 0), 0);
        run.packet(view(A, 5000, B, 53, 17, 0), 30);
        let o = run.packet(view(A, 5000, B, 53, 17, 0), 200);
        assert!(o.new_flow);
        assert_eq!(
            run.ended,
            vec![(run.ended[0].0, EndReason::Timeout, [2, 0])]
        );
    }

    #[test]
    fn active_flows_are_requeued_not_expired() {
        let mut run = Run::new(16);
        for s in 0..10 {
            run.packet(view(A, 5000, B, 53, 17, 0), s * 50);
            run.expire(s * 50 + 1);
        }
        assert!(run.ended.is_empty());
        run.expire(450 + 61);
        assert_eq!(run.ended.len(), 1);
        assert_eq!(run.ended[0].2, [10, 0]);
    }

    #[test]
    fn full_table_evicts_stalest() {
        let mut run = Run::new(2);
        run.packet(view(A, 1, B, 53, 17, 0), 10);
        run.packet(view(A, 2, B, 53, 17, 0), 11);
        run.packet(view(A, 1, B, 53, 17, 0), 12); // flow 1 is now fresher
        run.packet(view(A, 3, B, 53, 17, 0), 13);
        assert_eq!(run.ended.len(), 1);
        assert_eq!(run.ended[0].0.port_hi, 2);
        assert_eq!(run.ended[0].1, EndReason::Evicted);
        assert_eq!(run.table.counters().evicted, 1);
        assert_eq!(run.table.len(), 2);
    }

    #[test]
    fn flush_reports_everything_in_first_packet_order() {
        let mut run = Run::new(64);
        for port in (1..20).rev() {
            run.packet(view(A, port, B, 80, 6, SYN), 5);
        }
        let ended = &mut run.ended;
        run.table.flush(Timestamp::from_secs(6), &mut |f, r| {
            ended.push((f.key, r, f.packets))
        });
        assert_eq!(run.ended.len(), 19);
        assert!(run.ended.iter().all(|e| e.1 == EndReason::EndOfInput));
        assert_eq!(run.ended[0].0.port_hi, 19);
        assert_eq!(run.table.counters().flushed, 19);
    }

    /// An index over a pretend slab of `u64` keys, next to a `HashMap`
    /// that says what it should hold.
    struct IndexModel {
        index: Index,
        keys: Vec<Option<u64>>,
        free: Vec<u32>,
        reference: HashMap<u64, u32>,
        hash: fn(u64) -> u64,
    }

    impl IndexModel {
        fn new(hash: fn(u64) -> u64) -> IndexModel {
            IndexModel {
                index: Index::new(),
                keys: Vec::new(),
                free: Vec::new(),
                reference: HashMap::new(),
                hash,
            }
        }

        fn find(&self, key: u64) -> Result<(usize, u32), usize> {
            let keys = &self.keys;
            self.index
                .find(tag_of((self.hash)(key)), |i| keys[i as usize] == Some(key))
        }

        fn insert(&mut self, key: u64) {
            let tag = tag_of((self.hash)(key));
            let mut pos = match self.find(key) {
                Ok((_, index)) => {
                    assert_eq!(self.reference.get(&key), Some(&index));
                    return;
                }
                Err(pos) => pos,
            };
            assert!(!self.reference.contains_key(&key), "{key} not found");
            let index = match self.free.pop() {
                Some(index) => {
                    self.keys[index as usize] = Some(key);
                    index
                }
                None => {
                    self.keys.push(Some(key));
                    (self.keys.len() - 1) as u32
                }
            };
            if self.index.is_full() {
                self.index.grow();
                pos = self.find(key).unwrap_err();
            }
            self.index.insert_at(pos, tag, index);
            self.reference.insert(key, index);
        }

        /// Removes `key` found by key (as `update` does) or by slab index
        /// (as the sweep does).
        fn remove(&mut self, key: u64, by_index: bool) {
            let Some(index) = self.reference.remove(&key) else {
                assert!(self.find(key).is_err(), "{key} should be absent");
                return;
            };
            let pos = if by_index {
                self.index.position(tag_of((self.hash)(key)), index)
            } else {
                self.find(key).ok().map(|(pos, _)| pos)
            };
            let pos = pos.unwrap_or_else(|| panic!("{key} not found"));
            self.index.remove_at(pos);
            self.keys[index as usize] = None;
            self.free.push(index);
        }

        fn check(&self) {
            self.index.check();
            assert_eq!(self.index.occupied, self.reference.len());
            for (&key, &index) in &self.reference {
                assert_eq!(self.find(key).map(|(_, i)| i), Ok(index));
            }
        }
    }

    fn spread(key: u64) -> u64 {
        let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Sixteen hashes in all: long runs and equal tags everywhere.
    fn clashing(key: u64) -> u64 {
        spread(key % 16)
    }

    /// Consecutive hashes, the pattern that defeated low-bit indexing.
    fn progression(key: u64) -> u64 {
        key << 40
    }

    #[test]
    fn index_matches_hash_map_under_churn() {
        for hash in [spread, clashing, progression, |_| 0] {
            let mut model = IndexModel::new(hash);
            let mut state = 1u64;
            for step in 0..60_000u64 {
                state = spread(state);
                let key = state % 3000;
                match state >> 62 {
                    0 | 1 => model.insert(key),
                    2 => model.remove(key, step.is_multiple_of(2)),
                    _ => assert_eq!(
                        model.find(key).ok().map(|(_, i)| i),
                        model.reference.get(&key).copied()
                    ),
                }
                if step.is_multiple_of(5000) {
                    model.check();
                }
            }
            model.check();
            let keys: Vec<u64> = model.reference.keys().copied().collect();
            for key in keys {
                model.remove(key, key.is_multiple_of(2));
            }
            model.check();
            assert!(model.index.slots.iter().all(|&slot| slot == EMPTY));
        }
    }

    #[test]
    fn index_grows_and_keeps_every_entry() {
        let mut model = IndexModel::new(spread);
        let mut slots = model.index.slots.len();
        for key in 0..190_000 {
            model.insert(key);
            if model.index.slots.len() != slots {
                slots = model.index.slots.len();
                model.check();
            }
            assert!(model.index.occupied * 8 <= model.index.slots.len() * MAX_LOAD_NUM);
        }
        model.check();
        assert_eq!(model.index.slots.len(), 1 << 18);
    }

    #[test]
    fn homes_spread_within_one_workers_share() {
        // Keys that differ only in a port or the low address bits (the
        // pattern that defeated indexing by the hash's low bits), and only
        // those routed to one of four workers.
        let mut run = Run::new(1 << 20);
        for i in 0..400_000u32 {
            let v = view(
                [10, 0, (i >> 16) as u8, (i >> 8) as u8],
                1024 + (i & 0xff) as u16,
                B,
                50000,
                17,
                0,
            );
            if keyed(&v).worker(4) == 1 {
                run.packet(v, 1);
            }
        }
        let index = &run.table.index;
        assert!(index.occupied > 90_000);
        let mut total = 0;
        let mut longest = 0;
        for (pos, &slot) in index.slots.iter().enumerate() {
            if slot != EMPTY {
                let displacement = index.displacement(pos, slot);
                total += displacement;
                longest = longest.max(displacement);
            }
        }
        let load = index.occupied as f64 / index.slots.len() as f64;
        let mean = total as f64 / index.occupied as f64;
        // What linear probing gives a uniform hash at this load.
        let uniform = 0.5 * (1.0 / (1.0 - load) - 1.0);
        assert!(
            mean < uniform * 1.2 + 0.05,
            "mean displacement {mean}, uniform {uniform}"
        );
        assert!(longest < 40, "longest displacement {longest}");
    }

    #[test]
    fn entry_is_two_cache_lines() {
        assert_eq!(size_of::<Entry>(), 128);
        assert_eq!(align_of::<Entry>(), 64);
    }

    proptest! {
        #[test]
        fn index_follows_random_ops(
            ops in proptest::collection::vec((0u8..4, 0u64..200), 0..1500),
            which in 0usize..3,
        ) {
            let hash = [spread, clashing, progression][which];
            let mut model = IndexModel::new(hash);
            for (op, key) in ops {
                match op {
                    0 | 1 => model.insert(key),
                    2 => model.remove(key, key.is_multiple_of(2)),
                    _ => prop_assert_eq!(
                        model.find(key).ok().map(|(_, i)| i),
                        model.reference.get(&key).copied()
                    ),
                }
            }
            model.check();
        }

        #[test]
        fn table_stays_consistent_under_random_traffic(
            packets in proptest::collection::vec(
                (0u16..64, 0u16..6, prop::sample::select(vec![0u8, SYN, SYN | ACK, ACK, FIN | ACK, RST]), 0u64..40),
                1..400,
            ),
            capacity in 1usize..48,
        ) {
            let mut run = Run::new(capacity);
            let mut secs = 1_000u64;
            for (host, port, flags, gap) in packets {
                secs += gap;
                let proto = if port.is_multiple_of(3) { 17 } else { 6 };
                let flags = if proto == 6 { flags } else { 0 };
                let a = [10, 0, (host >> 8) as u8, host as u8];
                let v = if port.is_multiple_of(2) {
                    view(a, 40_000 + port, B, 554, proto, flags)
                } else {
                    view(B, 554, a, 40_000 + port, proto, flags)
                };
                let outcome = run.packet(v, secs);
                prop_assert!(run.table.len() <= capacity);
                let key = run.table.flow(outcome.index).key;
                prop_assert_eq!(keyed(&v), key);
                if secs.is_multiple_of(7) {
                    run.expire(secs);
                }
                run.table.check();
            }
            let c = run.table.counters();
            prop_assert_eq!(c.created, c.expired + c.evicted + run.table.len() as u64);
            let ended = &mut run.ended;
            run.table.flush(Timestamp::from_secs(secs), &mut |f, r| ended.push((f.key, r, f.packets)));
            run.table.check();
            prop_assert!(run.table.is_empty());
        }
    }

    fn keyed(v: &PacketView) -> FlowKey {
        FlowKey::new(v.src, v.src_port, v.dst, v.dst_port, v.proto, 0, 0).0
    }

    #[test]
    fn churn_reuses_memory() {
        let mut run = Run::new(100_000);
        for round in 0..4u64 {
            for i in 0..50_000u32 {
                let a = [10, 1, (i >> 8) as u8, i as u8];
                run.packet(view(a, 1000 + round as u16, B, 53, 17, 0), round * 1000);
            }
            run.expire(round * 1000 + 500);
            assert!(run.table.is_empty());
        }
        assert_eq!(run.ended.len(), 200_000);
        run.table.check();
        let before = run.table.memory_bytes();
        for i in 0..50_000u32 {
            let a = [10, 1, (i >> 8) as u8, i as u8];
            run.packet(view(a, 9, B, 53, 17, 0), 9000);
        }
        run.table.check();
        assert_eq!(run.table.memory_bytes(), before, "no growth on reuse");
        let per_flow = before / run.table.len();
        assert!(per_flow < 256, "{per_flow} bytes per flow");
    }
}
