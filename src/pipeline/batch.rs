//! What crosses threads: batches of decoded packets going to a worker, and
//! bundles of events coming back.
//!
//! Batches are recycled through a return channel, so after warm-up the
//! packet path allocates nothing: the reader clears a used batch and fills
//! it again.

use super::records::RecordChunk;
use std::net::IpAddr;

use crate::decode::{ArpView, PacketView};
use crate::flow::{FlowKey, FlowPacket, TableCounters};
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
    /// For media: the RTP SSRC and sequence number, read by the reader
    /// from the bytes it already looked at (video payloads are not copied).
    pub rtp: (u32, u16),
    /// Live capture: the interface the packet came from, as an index into
    /// the `-i` list (0 on replay, which names none).
    pub interface: u16,
}

impl PacketRecord {
    /// What the flow table reads of this packet.
    #[inline]
    pub fn flow_packet(&self) -> FlowPacket {
        FlowPacket::from_view(
            &self.view,
            (self.key, self.src_is_lo),
            self.hash,
            self.wire_len,
            self.ts,
            self.seq,
        )
        .on_interface(self.interface)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ArpRecord {
    pub arp: ArpView,
    pub ts: Timestamp,
    pub seq: u64,
    /// As [`PacketRecord::interface`].
    pub interface: u16,
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
    /// Addresses whose packets this epoch may make them a camera or a
    /// recorder, sorted (see `pipeline::watch`): the same list in every
    /// worker's batch.
    pub candidates: Vec<IpAddr>,
    /// The reader's counters when the epoch closed, passed on to the
    /// collector for periodic stats.
    pub reader: ReaderCounters,
}

impl Batch {
    pub fn clear(&mut self) {
        self.packets.clear();
        self.arps.clear();
        self.payload.clear();
        self.candidates.clear();
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
    /// Hosts refused a camera place here rather than in the collector
    /// (`watch`), and the latest of them.
    pub refused: Refused,
    /// Observations kept back because detection cannot care (`watch`).
    pub held_back: u64,
}

/// A refused host: packet time, address, MAC.
pub type RefusedHost = (Timestamp, IpAddr, Option<[u8; 6]>);

/// Camera-place refusals counted by a worker (see `watch`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub count: u64,
    /// The latest refusal.
    pub last: Option<RefusedHost>,
}

impl Refused {
    /// Adds `other`'s.
    pub fn add(&mut self, other: Refused) {
        self.count += other.count;
        if let Some(host) = other.last
            && supersedes(host, self.last)
        {
            self.last = Some(host);
        }
    }
}

/// Whether refusal `host` is later than `last`: by time, then by the
/// higher address, so that the latest does not depend on which worker saw
/// what.
pub fn supersedes(host: RefusedHost, last: Option<RefusedHost>) -> bool {
    last.is_none_or(|(ts, ip, _)| (host.0, host.1) > (ts, ip))
}
