//! What crosses threads: batches of decoded packets going to a worker, and
//! bundles of events coming back.
//!
//! Batches are recycled through a return channel, so after warm-up the
//! packet path allocates nothing: the reader clears a used batch and fills
//! it again.

use crate::decode::{ArpView, PacketView};
use crate::flow::{EndReason, Flow, FlowKey, FlowRecord, TableCounters};
use crate::observation::Observation;
use crate::stats::ReaderCounters;
use crate::timestamp::Timestamp;

/// Application payload bytes kept per packet for the workers' protocol
/// hints (DNS answers, TLS ClientHello, RTSP replies, WS-Discovery).
pub const MAX_PAYLOAD_COPY: usize = 2048;

/// One IP packet as a worker receives it.
#[derive(Debug, Clone, Copy)]
pub struct PacketRecord {
    pub view: PacketView,
    pub key: FlowKey,
    /// `key.hash64()`, computed once by the reader for routing and reused
    /// by the worker's table.
    pub hash: u64,
    pub src_is_lo: bool,
    pub ts: Timestamp,
    /// Position of the packet in the whole input (1-based).
    pub seq: u64,
    pub wire_len: u32,
    /// Range of the copied payload in [`Batch::payload`] (empty when the
    /// payload is of no interest to any hint parser).
    pub payload_start: u32,
    pub payload_end: u32,
    /// The payload looks like RTP media (`protocols::service`).
    pub media: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct ArpRecord {
    pub arp: ArpView,
    pub ts: Timestamp,
    pub seq: u64,
}

/// The packets of one epoch that belong to one worker.
#[derive(Debug, Default)]
pub struct Batch {
    pub epoch: u64,
    /// The input's packet clock at the end of the epoch (largest timestamp
    /// seen so far, over all workers): the time expiry sweeps use.
    pub now: Timestamp,
    /// Sequence number of the epoch's last packet.
    pub end_seq: u64,
    /// The input has ended: flush every flow after this batch.
    pub last: bool,
    pub packets: Vec<PacketRecord>,
    pub arps: Vec<ArpRecord>,
    pub payload: Vec<u8>,
    /// The reader's counters when the epoch closed, passed on to the
    /// collector for periodic stats.
    pub reader: ReaderCounters,
}

impl Batch {
    pub fn clear(&mut self) {
        self.packets.clear();
        self.arps.clear();
        self.payload.clear();
        self.last = false;
    }

    pub fn payload_of(&self, record: &PacketRecord) -> &[u8] {
        self.payload
            .get(record.payload_start as usize..record.payload_end as usize)
            .unwrap_or_default()
    }
}

/// Total order of events across workers: `(seq, phase, tiebreak)` packed
/// in two integers. Packet-driven events sort by the packet's sequence
/// number; end-of-epoch expiries sort after the epoch's last packet, by the
/// flow's first packet.
pub type EventOrder = (u64, u64);

pub fn packet_order(seq: u64, sub: u64) -> EventOrder {
    (seq, sub)
}

pub fn sweep_order(end_seq: u64, first_seq: u64) -> EventOrder {
    (end_seq, (1 << 63) | first_seq)
}

#[derive(Debug, Clone)]
pub struct Event {
    pub order: EventOrder,
    pub observation: Observation,
}

/// Finished-flow records a worker encoded, in the order of their events:
/// the collector only merges these byte chunks, so the JSON encoding of a
/// million flows runs on the workers, in parallel.
#[derive(Debug, Default)]
pub struct RecordChunk {
    /// The encoded lines, back to back.
    pub bytes: Vec<u8>,
    /// Each record's order and the end of its line in `bytes`.
    pub ends: Vec<(EventOrder, u32)>,
}

impl RecordChunk {
    /// Encodes one finished flow.
    pub fn push(&mut self, order: EventOrder, flow: &Flow, reason: EndReason) {
        FlowRecord::new(flow, reason).write_line(&mut self.bytes);
        self.ends.push((order, self.bytes.len() as u32));
    }

    /// Appends record `at` of `other`, already encoded.
    pub fn push_from(&mut self, other: &RecordChunk, at: usize) {
        self.bytes.extend_from_slice(other.line(at));
        self.ends.push((other.ends[at].0, self.bytes.len() as u32));
    }

    /// The encoded line of record `at` (newline included).
    pub fn line(&self, at: usize) -> &[u8] {
        let start = at.checked_sub(1).map_or(0, |i| self.ends[i].1 as usize);
        &self.bytes[start..self.ends[at].1 as usize]
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Puts the records in event order. Lines are re-packed only when
    /// they were out of order (expiry sweeps), which packet-driven ends
    /// never are.
    pub fn sort(&mut self) {
        if self.ends.is_sorted_by_key(|&(order, _)| order) {
            return;
        }
        let mut at: Vec<usize> = (0..self.ends.len()).collect();
        at.sort_unstable_by_key(|&i| self.ends[i].0);
        let mut sorted = RecordChunk {
            bytes: Vec::with_capacity(self.bytes.len()),
            ends: Vec::with_capacity(self.ends.len()),
        };
        for i in at {
            sorted.push_from(self, i);
        }
        *self = sorted;
    }
}

/// A worker's events and records for one epoch, or a part of them, with
/// its counters at the end of it. Both lists are in event order; an epoch
/// with many flow ends (the end-of-input flush) comes in several parts,
/// all but the last with `more` set, so that neither side ever holds the
/// whole flush.
#[derive(Debug, Default)]
pub struct WorkerOutput {
    pub epoch: u64,
    pub last: bool,
    /// More parts of this epoch follow.
    pub more: bool,
    pub events: Vec<Event>,
    pub records: RecordChunk,
    pub reader: ReaderCounters,
    pub table: TableCounters,
    pub live_flows: u64,
    /// Time the worker spent on this epoch's batch.
    pub batch_nanos: u64,
}
