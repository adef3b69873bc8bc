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
//! Expiry: one timing wheel per timeout class (TCP opening, TCP
//! established, TCP closed, UDP, ICMP, other), its buckets' lists threaded
//! through the slab (`wheel`). A packet does not touch the wheel unless
//! its flow changes class; it only moves `last_ts` forward. The sweep
//! walks every bucket that fell more than a timeout behind: it ends the
//! flows idle since, and files those that saw packets under their last
//! packet (the re-check Retina's timer wheel does). A flow is re-filed at
//! most once per timeout period, so the sweep is amortised O(1) per flow
//! and the per-packet path stays a hash probe and a few counter updates.
//! The sweep ends flows in small batches and takes each batch out of the
//! index after prefetching its slots, since those slots are scattered at
//! random.
//!
//! Determinism: a packet that arrives more than the timeout after its flow's
//! last packet closes that flow and starts a new one, whether or not a sweep
//! ran in between, so flow records do not depend on when sweeps happen or on
//! how flows are spread over workers; and a sweep ends a flow as a function
//! of its own last packet and the sweep's time alone, so the order of
//! records does not either. Only eviction under a full table
//! depends on the table's share of flows.

mod expiry;
mod index;
mod prefetch;
mod slab;
#[cfg(test)]
mod tests;
mod wheel;

pub use expiry::Timeouts;

use super::key::FlowKey;
use super::state::{EndReason, FROM_INITIATOR, FROM_RESPONDER, Flow, TcpState};
use crate::net::IpProto;
use crate::net::tcp_flags::{ACK, RST, SYN};
use crate::protocols::service::server_is_destination;
use crate::timestamp::Timestamp;
use expiry::{TimeoutClass, class_of, idle_reason};
use index::{Index, tag_of};
use slab::{Entry, NIL, Slab};
use wheel::Wheel;

/// Most live flows a table holds: slab indices are `u32` with `NIL`
/// reserved, and index homes come from 32 hash bits, enough for the 2^32
/// slots this many flows can need.
const MAX_FLOWS: usize = 1 << 31;

/// What the table needs from one packet: its flow key and orientation, the
/// key's hash, and the few header facts that steer the flow's state. The
/// worker builds it from the decoded packet; the table reads nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowPacket {
    pub key: FlowKey,
    /// Whether the packet's source is the key's `lo` endpoint.
    pub src_is_lo: bool,
    /// `key.hash64()`, computed once for routing and `prefetch`.
    pub hash: u64,
    /// Bytes on the wire.
    pub wire_len: u32,
    pub ts: Timestamp,
    /// Position in the input.
    pub seq: u64,
    /// TCP flags, 0 for other transports.
    pub tcp_flags: u8,
    /// An ICMP message with no reply type.
    pub icmp_one_way: bool,
    /// Live capture: the interface the packet came from (kept by a new
    /// flow, see [`Flow::interface`]).
    pub interface: u16,
}

impl FlowPacket {
    /// The packet's source and destination ports, read back from the key.
    fn ports(&self) -> (u16, u16) {
        if self.src_is_lo {
            (self.key.port_lo, self.key.port_hi)
        } else {
            (self.key.port_hi, self.key.port_lo)
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

pub struct FlowTable {
    slab: Slab,
    free: Vec<u32>,
    index: Index,
    wheels: [Wheel; TimeoutClass::COUNT],
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
            wheels: TimeoutClass::ALL.map(|class| Wheel::new(timeouts.of(class))),
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

    /// Records that detection watches flow `index` (sticky).
    pub fn mark_watched(&mut self, index: u32) {
        self.slab.get_mut(index).flow.watched = true;
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

    /// Heap bytes the table holds (slab, index, free list, wheels), for memory
    /// accounting.
    pub fn memory_bytes(&self) -> usize {
        self.slab.bytes()
            + self.index.slots.len() * size_of::<u64>()
            + self.free.capacity() * size_of::<u32>()
            + self.wheels.iter().map(Wheel::memory_bytes).sum::<usize>()
    }

    /// Accounts one packet to its flow, creating the flow if needed. Flows
    /// that end on the way (split by inactivity, evicted) are passed to
    /// `on_end`. `packet.hash` must be `packet.key.hash64()` (computed once
    /// for routing and `prefetch`); another hash is a caller bug, checked in
    /// debug builds; in release builds that flow is not found again and
    /// leaves a stale index slot, but nothing panics.
    #[inline]
    pub fn update_hashed(
        &mut self,
        packet: FlowPacket,
        on_end: &mut impl FnMut(&Flow, EndReason),
    ) -> PacketOutcome {
        let key = packet.key;
        debug_assert_eq!(
            packet.hash,
            key.hash64(),
            "update_hashed needs key.hash64()"
        );
        let tag = tag_of(packet.hash);
        let slab = &self.slab;
        let mut vacant = match self.index.find(tag, |i| slab.get(i).flow.key == key) {
            Ok((pos, index)) => {
                let flow = &self.slab.get(index).flow;
                let class = class_of(flow);
                let idle = packet.ts.since(flow.last_ts) > self.timeouts.of(class);
                // A fresh SYN on a finished connection is the port being reused.
                let reused =
                    class == TimeoutClass::TcpClosed && packet.tcp_flags & (SYN | ACK) == SYN;
                if !(idle || reused) {
                    return self.account(index, &packet);
                }
                on_end(flow, idle_reason(flow, class));
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
        self.create(&packet, tag, vacant)
    }

    fn account(&mut self, index: u32, packet: &FlowPacket) -> PacketOutcome {
        let (wire_len, ts) = (packet.wire_len, packet.ts);
        let flow = &mut self.slab.get_mut(index).flow;
        let direction = if packet.src_is_lo == flow.initiator_is_lo {
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
            let was = class_of(flow);
            flow.tcp_update(direction, packet.tcp_flags);
            let class = class_of(flow);
            if class != was {
                self.refile(index, was, class);
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
    fn create(&mut self, packet: &FlowPacket, tag: u32, vacant: Option<usize>) -> PacketOutcome {
        let FlowPacket {
            key,
            src_is_lo,
            wire_len,
            ts,
            seq,
            tcp_flags,
            ..
        } = *packet;
        let (src_port, dst_port) = packet.ports();
        let is_tcp = key.proto == IpProto::TCP;
        let syn = is_tcp && tcp_flags & (SYN | ACK) == SYN;
        let syn_ack = is_tcp && tcp_flags & (SYN | ACK) == SYN | ACK;
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
        } else if is_tcp && tcp_flags & ACK != 0 {
            let server_is_source =
                server_is_destination(key.proto, src_port, dst_port) == Some(false);
            (server_is_source, true)
        } else if is_tcp {
            // Every segment of a running connection carries ACK; one without
            // it and without SYN (FIN, NULL and Xmas scans, a bare RST)
            // belongs to no running conversation: its sender is probing.
            (false, false)
        } else if IpProto(key.proto).has_ports() {
            // UDP has no handshake, so without a service port the first
            // sender stays the initiator (RTP from camera to recorder).
            let server_is_source =
                server_is_destination(key.proto, src_port, dst_port) == Some(false);
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
        } else if tcp_flags & (SYN | ACK) == SYN {
            TcpState::SynSent
        } else {
            TcpState::Midstream
        });
        let mut flow = Flow {
            key,
            initiator_is_lo,
            midstream,
            media: 0,
            icmp_one_way: packet.icmp_one_way,
            watched: false,
            interface: packet.interface,
            tcp_state,
            tcp_flags: [0; 2],
            first_ts: ts,
            last_ts: ts,
            packets: [0; 2],
            bytes: [0; 2],
            first_seq: seq,
        };
        flow.packets[direction] = 1;
        flow.bytes[direction] = u64::from(wire_len);
        if is_tcp {
            flow.tcp_flags[direction] = tcp_flags;
            if tcp_flags & RST != 0 {
                flow.tcp_state = Some(TcpState::Reset);
            }
        }
        let class = class_of(&flow);
        let entry = Entry {
            flow,
            filed_ts: ts,
            prev: NIL,
            next: NIL,
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
        self.file(index, class, ts);
        self.live += 1;
        self.counters.created += 1;
        PacketOutcome {
            index,
            new_flow: true,
            from_initiator: direction == FROM_INITIATOR,
            first_answer: false,
        }
    }
}
