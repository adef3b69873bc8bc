//! The reader side of the pipeline: decodes each frame, computes its flow
//! key, and appends it to the batch of the worker that owns the key.
//!
//! Input is cut into epochs of [`EPOCH_PACKETS`] packets. At the end of each
//! epoch every worker gets exactly one batch (possibly empty), carrying the
//! input's clock, so that idle workers still expire their flows and the
//! collector can merge all workers' events for an epoch in input order. The
//! epoch length does not depend on the number of workers, which is what
//! makes the output the same for any `--workers`.

use crossbeam_channel::{Receiver, Sender};

use super::batch::{ArpRecord, Batch, MAX_PAYLOAD_COPY, PacketRecord};
use crate::decode::{self, Decoded, LinkType, PacketView};
use crate::flow::{FlowKey, worker_of};
use crate::net::tcp_flags::{ACK, SYN};
use std::net::IpAddr;

use crate::protocols::hints::{Hint, hint_for};
use crate::protocols::service::looks_like_media;
use crate::stats::ReaderCounters;
use crate::timestamp::Timestamp;

/// Packets per epoch.
pub const EPOCH_PACKETS: u64 = 4096;

/// Live capture: most packets one worker's batch may hold while an epoch
/// cannot close (another worker's queue is full); beyond it packets for
/// that worker are dropped and counted, so memory stays bounded.
const MAX_DEFERRED_BATCH: usize = 64 * 1024;

/// What to do when a worker's queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backpressure {
    /// Wait for the worker (replay: never lose a packet).
    Block,
    /// Drop the batch and count it (live capture must keep reading).
    Drop,
}

pub struct Dispatcher {
    senders: Vec<Sender<Batch>>,
    recycle: Receiver<Batch>,
    batches: Vec<Batch>,
    epoch: u64,
    in_epoch: u64,
    seq: u64,
    now: Timestamp,
    vlan_in_key: bool,
    backpressure: Backpressure,
    /// This epoch's candidates (see [`Batch::candidates`]), when detection
    /// runs.
    candidates: Option<Candidates>,
    pub counters: ReaderCounters,
}

/// Least payload of an RTP packet taken for video when listing candidates:
/// video fills packets to near the MTU, while one DNS message in sixteen
/// happens to pass the RTP header check.
const MIN_VIDEO_PAYLOAD: u16 = 400;

/// Whether a packet may be RTSP on its well-known ports: TCP, with a
/// payload that starts as RTSP does (a method or `RTSP/` in capitals, or
/// `$` for RTP interleaved in a session already running), or, without a
/// payload, the handshake's SYN to the RTSP port or SYN-ACK from it (the
/// engine takes the puller for a recorder from those already). A port
/// number alone is no evidence: an ephemeral port is 554 or 8554 in one
/// flow of 32,000, and under a flood of short flows that would list the far
/// end (an Internet server, the resolver) as a candidate for good, keeping
/// every flood flow to it out of the workers' filter. Such a flow's SYN
/// goes from the RTSP port, not to it.
fn speaks_rtsp(view: &PacketView, payload: &[u8]) -> bool {
    if view.proto != crate::net::IpProto::TCP.0 {
        return false;
    }
    let to_server = matches!(view.dst_port, 554 | 8554);
    let from_server = matches!(view.src_port, 554 | 8554);
    match payload.first() {
        None => {
            let handshake = view.tcp_flags & (SYN | ACK);
            handshake == SYN && to_server || handshake == SYN | ACK && from_server
        }
        Some(first) => (to_server || from_server) && (*first == b'$' || first.is_ascii_uppercase()),
    }
}

/// Whether a payload is WS-Discovery by the very test the worker's parser
/// applies (`onvif::classify`: a WS-Discovery action URI anywhere in it),
/// so the reader lists exactly the hosts whose message the engine will
/// read: the port alone is no evidence (a DNS query from ephemeral port
/// 3702), and a test of its own (starts as XML) would disagree with the
/// parser on payloads it reads.
fn is_ws_discovery(payload: &[u8]) -> bool {
    crate::protocols::onvif::classify(payload).is_some()
}

/// Addresses whose packets may make them a camera or a recorder: RTSP and
/// WS-Discovery speakers, the receivers of RTP video. Video packets are
/// most of a camera network's traffic, so a small direct-mapped cache keeps
/// the list from taking every packet's address.
#[derive(Debug)]
struct Candidates {
    list: Vec<IpAddr>,
    recent: [Option<IpAddr>; 64],
}

impl Candidates {
    fn add(&mut self, ip: IpAddr) {
        let bits = match ip {
            IpAddr::V4(v4) => u32::from(v4),
            IpAddr::V6(v6) => (u128::from(v6) as u32) ^ ((u128::from(v6) >> 64) as u32),
        };
        let slot = (bits ^ bits >> 6 ^ bits >> 12) as usize % self.recent.len();
        if self.recent[slot] != Some(ip) {
            self.recent[slot] = Some(ip);
            self.list.push(ip);
        }
    }
}

impl Dispatcher {
    pub fn new(
        senders: Vec<Sender<Batch>>,
        recycle: Receiver<Batch>,
        vlan_in_key: bool,
        backpressure: Backpressure,
    ) -> Dispatcher {
        let batches = senders.iter().map(|_| Batch::default()).collect();
        Dispatcher {
            senders,
            recycle,
            batches,
            epoch: 0,
            in_epoch: 0,
            seq: 0,
            now: Timestamp::ZERO,
            vlan_in_key,
            backpressure,
            candidates: None,
            counters: ReaderCounters::default(),
        }
    }

    /// Detection runs: list each epoch's candidates for the workers' views.
    pub fn collect_candidates(&mut self) {
        self.candidates = Some(Candidates {
            list: Vec::new(),
            recent: [None; 64],
        });
    }

    /// Takes one captured frame, read from capture interface `interface`
    /// (its index in the `-i` list; replay reads no interface and passes
    /// 0, which names none).
    pub fn packet(
        &mut self,
        interface: u16,
        link: LinkType,
        ts: Timestamp,
        wire_len: u32,
        frame: &[u8],
    ) {
        self.seq += 1;
        self.counters.packets += 1;
        self.counters.wire_bytes += u64::from(wire_len);
        self.counters.captured_bytes += frame.len() as u64;
        // The clock only moves forward: merged captures can step back.
        if ts > self.now {
            self.now = ts;
        }
        match decode::decode(link, frame) {
            Ok(Decoded::Ip(view)) => {
                self.counters.ip_packets += 1;
                if view.encap != 0 {
                    for (bit, count) in self.counters.tunnelled.iter_mut().enumerate() {
                        *count += u64::from(view.encap >> bit & 1);
                    }
                }
                self.push_ip(view, interface, ts, wire_len, frame);
            }
            Ok(Decoded::Arp(arp)) => {
                self.counters.arp_packets += 1;
                // ARP is per sender host: route it by the sender's address so
                // one host's sweep is seen whole by one worker.
                let (key, _) =
                    FlowKey::new(arp.sender_ip.into(), 0, arp.sender_ip.into(), 0, 0, 0, 0);
                let worker = key.worker(self.senders.len());
                self.batches[worker].arps.push(ArpRecord {
                    arp,
                    ts,
                    seq: self.seq,
                    interface,
                });
            }
            Ok(Decoded::LaterFragment) => self.counters.later_fragments += 1,
            Err(reason) => self.counters.decode_errors[reason.index()] += 1,
        }
        self.in_epoch += 1;
        if self.in_epoch >= EPOCH_PACKETS {
            self.close_epoch(false);
        }
    }

    /// Live capture: called when the network is quiet. Moves the clock to
    /// `wall` (the clock libpcap stamps packets with) so idle flows still
    /// expire, and closes the epoch so workers sweep and alerts go out.
    pub fn idle(&mut self, wall: Timestamp) {
        if wall > self.now {
            self.now = wall;
        }
        self.close_epoch(false);
    }

    /// Packets read so far.
    pub fn packets(&self) -> u64 {
        self.counters.packets
    }

    fn push_ip(
        &mut self,
        view: PacketView,
        interface: u16,
        ts: Timestamp,
        wire_len: u32,
        frame: &[u8],
    ) {
        let (vlan, inner_vlan) = if self.vlan_in_key {
            (view.vlan, view.inner_vlan)
        } else {
            (0, 0)
        };
        let (key, src_is_lo) = FlowKey::new(
            view.src,
            view.src_port,
            view.dst,
            view.dst_port,
            view.proto,
            vlan,
            inner_vlan,
        );
        let hash = key.hash64();
        let worker = worker_of(hash, self.senders.len());
        if self.backpressure == Backpressure::Drop
            && (self.senders[worker].is_full()
                || self.batches[worker].packets.len() >= MAX_DEFERRED_BATCH)
        {
            self.counters.queue_dropped += 1;
            return;
        }
        let batch = &mut self.batches[worker];
        let payload_start = batch.payload.len() as u32;
        let start = usize::from(view.payload_offset);
        let end = start + usize::from(view.payload_len).min(MAX_PAYLOAD_COPY);
        let mut media = false;
        let mut rtp = (0, 0);
        if let Some(bytes) = frame.get(start..end) {
            media = looks_like_media(view.proto, bytes);
            if media {
                rtp = rtp_ids(view.proto, bytes);
            }
            // Only payloads a hint parser reads are copied (see
            // `protocols::hints`), so that video is never copied.
            let hint = hint_for(view.proto, view.src_port, view.dst_port, bytes);
            if hint.is_some() {
                batch.payload.extend_from_slice(bytes);
            }
            if let Some(candidates) = self.candidates.as_mut() {
                // An RTSP answer or an ONVIF device makes a camera, WS-Discovery
                // probes and RTSP sessions a recorder, and so does video
                // received.
                if speaks_rtsp(&view, bytes)
                    || hint == Some(Hint::WsDiscovery) && is_ws_discovery(bytes)
                    || hint == Some(Hint::StreamStart) && bytes.starts_with(b"RTSP/")
                {
                    candidates.add(view.src);
                    candidates.add(view.dst);
                } else if media && view.payload_len >= MIN_VIDEO_PAYLOAD {
                    candidates.add(view.dst);
                }
            }
        }
        let payload_end = batch.payload.len() as u32;
        batch.packets.push(PacketRecord {
            view,
            key,
            hash,
            src_is_lo,
            ts,
            seq: self.seq,
            wire_len,
            payload_start,
            payload_end,
            media,
            rtp,
            interface,
        });
    }

    /// Sends every worker its batch for the current epoch.
    ///
    /// Replay waits for room in each queue. Live capture never waits: while
    /// any worker's queue is full the epoch stays open (every worker needs
    /// one batch per epoch for the collector's merge), packets for the full
    /// worker are dropped and counted, and the next packet or idle tick
    /// tries again. A send then cannot block, as the dispatcher is each
    /// queue's only producer.
    pub fn close_epoch(&mut self, last: bool) {
        if self.backpressure == Backpressure::Drop
            && !last
            && self.senders.iter().any(|sender| sender.is_full())
        {
            return;
        }
        if let Some(candidates) = self.candidates.as_mut() {
            candidates.list.sort_unstable();
            candidates.list.dedup();
            candidates.recent = [None; 64];
        }
        for worker in 0..self.senders.len() {
            let fresh = self.recycle.try_recv().unwrap_or_default();
            let mut batch = std::mem::replace(&mut self.batches[worker], fresh);
            batch.epoch = self.epoch;
            batch.now = self.now;
            batch.end_seq = self.seq;
            batch.last = last;
            if let Some(candidates) = &self.candidates {
                batch.candidates.clone_from(&candidates.list);
            }
            // The collector reads the reader's counters from worker 0's
            // output only; a copy per worker would allocate (the per-reader
            // list) for nothing every epoch.
            if worker == 0 {
                batch.reader = self.counters.clone();
            }
            // A send fails only when the worker is gone, which happens only
            // after the run is already failing.
            let _ = self.senders[worker].send(batch);
        }
        if let Some(candidates) = self.candidates.as_mut() {
            candidates.list.clear();
        }
        self.epoch += 1;
        self.in_epoch = 0;
    }

    /// Ends the input: the last epoch tells workers to flush.
    pub fn finish(mut self) -> ReaderCounters {
        self.close_epoch(true);
        self.counters
    }
}
/// SSRC and sequence number of a payload [`looks_like_media`] accepted
/// (RTP on UDP, or behind the 4-byte interleaved frame header on TCP).
fn rtp_ids(proto: u8, payload: &[u8]) -> (u32, u16) {
    let offset = if proto == crate::net::IpProto::TCP.0 {
        4
    } else {
        0
    };
    let header = payload.get(offset..offset + 12).unwrap_or(&[]);
    match (header.get(2..4), header.get(8..12)) {
        (Some(&[s0, s1]), Some(&[a, b, c, d])) => (
            u32::from_be_bytes([a, b, c, d]),
            u16::from_be_bytes([s0, s1]),
        ),
        _ => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::tcp_flags::{PSH, RST};

    fn tcp(src_port: u16, dst_port: u16, flags: u8) -> PacketView {
        PacketView::for_test(
            "10.20.0.2".parse().unwrap(),
            src_port,
            "10.20.0.11".parse().unwrap(),
            dst_port,
            crate::net::IpProto::TCP.0,
            flags,
        )
    }

    /// A recorder's pull is RTSP from its handshake on; a flood flow whose
    /// ephemeral port happens to be 554 is not.
    #[test]
    fn rtsp_needs_its_port_the_right_way_round() {
        // The recorder's SYN to the camera, the camera's SYN-ACK.
        assert!(speaks_rtsp(&tcp(40_000, 554, SYN), b""));
        assert!(speaks_rtsp(&tcp(554, 40_000, SYN | ACK), b""));
        assert!(speaks_rtsp(
            &tcp(40_000, 8554, ACK | PSH),
            b"OPTIONS rtsp://c/ RTSP/1.0\r\n"
        ));
        assert!(speaks_rtsp(
            &tcp(554, 40_000, ACK | PSH),
            b"RTSP/1.0 200 OK\r\n"
        ));
        assert!(speaks_rtsp(&tcp(554, 40_000, ACK), b"$\x00\x05\xdc"));
        // A client on ephemeral port 554 reaching an HTTPS server, and the
        // server's answers.
        assert!(!speaks_rtsp(&tcp(554, 443, SYN), b""));
        assert!(!speaks_rtsp(&tcp(443, 554, SYN | ACK), b""));
        assert!(!speaks_rtsp(&tcp(443, 554, RST | ACK), b""));
        assert!(!speaks_rtsp(
            &tcp(443, 554, ACK | PSH),
            b"\x16\x03\x03\x00\x7a"
        ));
        // Bare ACKs carry nothing to go by.
        assert!(!speaks_rtsp(&tcp(40_000, 554, ACK), b""));
        let mut udp = tcp(40_000, 554, 0);
        udp.proto = crate::net::IpProto::UDP.0;
        assert!(!speaks_rtsp(&udp, b"OPTIONS"));
    }

    #[test]
    fn ws_discovery_is_what_its_parser_reads() {
        let probe = b"<?xml version=\"1.0\"?><s:Envelope><s:Header><a:Action>\
http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header></s:Envelope>";
        assert!(is_ws_discovery(probe));
        // The parser reads a message wherever its action is, after a
        // byte-order mark, white space or anything else.
        let mut padded = b"\xef\xbb\xbf\r\n  junk ".to_vec();
        padded.extend_from_slice(probe);
        assert!(is_ws_discovery(&padded));
        // XML that is not WS-Discovery, a DNS query from port 3702, nothing.
        assert!(!is_ws_discovery(b"<?xml version=\"1.0\"?><s:Envelope"));
        assert!(!is_ws_discovery(b"\x12\x34\x01\x00\x00\x01"));
        assert!(!is_ws_discovery(b""));
    }
}
