//! The flow table one worker owns outright.
//!
//! Layout: flows live in a slab (`Vec<Flow>` plus a free list); a
//! `hashbrown::HashTable<u32>` maps a key's hash to a slab index (5 bytes per
//! bucket instead of a key-sized entry). No locks: each worker has its own
//! table, and routing guarantees both directions of a flow reach it.
//!
//! Expiry: one recency queue per timeout class (TCP opening, TCP established,
//! TCP closed, UDP, ICMP, other), threaded through the slab. A packet does not
//! touch the queue; it only moves `last_ts` forward. The sweep looks at each
//! queue's head and either expires it or, when the flow has seen packets
//! since it was queued, re-queues it at the tail (the re-check Retina's timer
//! wheel does). A flow is re-queued at most once per timeout period, so the
//! sweep is amortised O(1) per flow and the per-packet path stays a hash probe
//! and a few counter updates.
//!
//! Determinism: a packet that arrives more than the timeout after its flow's
//! last packet closes that flow and starts a new one, whether or not a sweep
//! ran in between, so flow records do not depend on when sweeps happen or on
//! how flows are spread over workers. Only eviction under a full table
//! depends on the table's share of flows.

use hashbrown::HashTable;

use super::key::FlowKey;
use super::state::{EndReason, FROM_INITIATOR, FROM_RESPONDER, Flow, TcpState};
use crate::decode::PacketView;
use crate::decode::tcp_flags::{ACK, SYN};
use crate::timestamp::{NANOS_PER_SEC, Nanos, Timestamp};

const NIL: u32 = u32::MAX;

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
    /// The first packet the responder sent in this flow.
    pub first_answer: bool,
}

#[derive(Clone, Copy)]
struct Queue {
    head: u32,
    tail: u32,
}

pub struct FlowTable {
    flows: Vec<Flow>,
    /// `last_ts` of each flow when it was put in its queue.
    queued_ts: Vec<Timestamp>,
    free: Vec<u32>,
    index: HashTable<u32>,
    queues: [Queue; CLASSES],
    live: usize,
    capacity: usize,
    timeouts: Timeouts,
    counters: TableCounters,
}

impl FlowTable {
    /// A table that holds at most `capacity` live flows (at least 1).
    pub fn new(capacity: usize, timeouts: Timeouts) -> FlowTable {
        FlowTable {
            flows: Vec::new(),
            queued_ts: Vec::new(),
            free: Vec::new(),
            index: HashTable::new(),
            queues: [Queue {
                head: NIL,
                tail: NIL,
            }; CLASSES],
            live: 0,
            capacity: capacity.max(1),
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
        &self.flows[index as usize]
    }

    /// Accounts one packet (keyed `key`, whose source is the key's `lo` side
    /// when `src_is_lo`; `wire_len` bytes on the wire, at `ts`, at input
    /// position `seq`) to its flow, creating the flow if needed. Flows that
    /// end on the way (split by inactivity, evicted) are passed to `on_end`.
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
        let flows = &self.flows;
        if let Some(&index) = self.index.find(hash, |&i| flows[i as usize].key == key) {
            let flow = &self.flows[index as usize];
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
            self.remove(index, hash);
        }
        if self.live >= self.capacity {
            self.evict_stalest(on_end);
        }
        self.create(view, key, src_is_lo, hash, wire_len, ts, seq)
    }

    fn account(
        &mut self,
        index: u32,
        view: &PacketView,
        src_is_lo: bool,
        wire_len: u32,
        ts: Timestamp,
    ) -> PacketOutcome {
        let flow = &mut self.flows[index as usize];
        let direction = if src_is_lo == flow.initiator_is_lo {
            FROM_INITIATOR
        } else {
            FROM_RESPONDER
        };
        let first_answer = direction == FROM_RESPONDER && flow.packets[FROM_RESPONDER] == 0;
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

    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        view: &PacketView,
        key: FlowKey,
        src_is_lo: bool,
        hash: u64,
        wire_len: u32,
        ts: Timestamp,
        seq: u64,
    ) -> PacketOutcome {
        let is_tcp = key.proto == 6;
        let syn_ack = is_tcp && view.tcp_flags & (SYN | ACK) == SYN | ACK;
        // The initiator is whoever sent the SYN; a SYN-ACK seen first means
        // the SYN was missed and the destination initiated.
        let initiator_is_lo = if syn_ack { !src_is_lo } else { src_is_lo };
        let direction = if syn_ack {
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
        let index = match self.free.pop() {
            Some(index) => {
                self.flows[index as usize] = flow;
                self.queued_ts[index as usize] = ts;
                index
            }
            None => {
                self.flows.push(flow);
                self.queued_ts.push(ts);
                (self.flows.len() - 1) as u32
            }
        };
        let flows = &self.flows;
        self.index
            .insert_unique(hash, index, |&i| flows[i as usize].key.hash64());
        self.link_tail(index, class);
        self.live += 1;
        self.counters.created += 1;
        PacketOutcome {
            index,
            new_flow: true,
            from_initiator: direction == FROM_INITIATOR,
            first_answer: direction == FROM_RESPONDER,
        }
    }

    /// Ends every flow idle for longer than its timeout at packet time `now`.
    pub fn expire(&mut self, now: Timestamp, on_end: &mut impl FnMut(&Flow, EndReason)) {
        for class in 0..CLASSES as u8 {
            let timeout = self.timeouts.of(class);
            loop {
                let head = self.queues[class as usize].head;
                if head == NIL {
                    break;
                }
                let flow = &self.flows[head as usize];
                if now.since(flow.last_ts) <= timeout {
                    if flow.last_ts > self.queued_ts[head as usize] {
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
                let hash = flow.key.hash64();
                self.remove(head, hash);
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
                at = self.flows[at as usize].next;
            }
        }
        live.sort_unstable_by_key(|&i| self.flows[i as usize].first_seq);
        for index in live {
            let flow = &self.flows[index as usize];
            let reason = if flow.class == CLASS_TCP_CLOSED {
                flow.close_reason()
            } else {
                EndReason::EndOfInput
            };
            on_end(flow, reason);
            self.counters.flushed += 1;
        }
        self.flows.clear();
        self.queued_ts.clear();
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
                let flow = &self.flows[head as usize];
                if flow.last_ts > self.queued_ts[head as usize] {
                    self.requeue(head);
                    continue;
                }
                let deadline = flow.last_ts.plus(self.timeouts.of(class));
                if best.is_none_or(|(d, _)| deadline < d) {
                    best = Some((deadline, head));
                }
                break;
            }
        }
        if let Some((_, index)) = best {
            let flow = &self.flows[index as usize];
            on_end(flow, EndReason::Evicted);
            self.counters.evicted += 1;
            let hash = flow.key.hash64();
            self.remove(index, hash);
        }
    }

    fn remove(&mut self, index: u32, hash: u64) {
        self.unlink(index);
        if let Ok(entry) = self.index.find_entry(hash, |&i| i == index) {
            entry.remove();
        }
        self.free.push(index);
        self.live -= 1;
    }

    fn requeue(&mut self, index: u32) {
        let class = self.flows[index as usize].class;
        self.unlink(index);
        self.queued_ts[index as usize] = self.flows[index as usize].last_ts;
        self.link_tail(index, class);
    }

    fn link_tail(&mut self, index: u32, class: u8) {
        let queue = &mut self.queues[class as usize];
        let tail = queue.tail;
        {
            let flow = &mut self.flows[index as usize];
            flow.class = class;
            flow.prev = tail;
            flow.next = NIL;
        }
        if tail == NIL {
            queue.head = index;
        } else {
            self.flows[tail as usize].next = index;
        }
        queue.tail = index;
    }

    fn unlink(&mut self, index: u32) {
        let (prev, next, class) = {
            let flow = &self.flows[index as usize];
            (flow.prev, flow.next, flow.class)
        };
        let queue = &mut self.queues[class as usize];
        if prev == NIL {
            queue.head = next;
        } else {
            self.flows[prev as usize].next = next;
        }
        if next == NIL {
            queue.tail = prev;
        } else {
            self.flows[next as usize].prev = prev;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Fragment;
    use crate::decode::tcp_flags::{FIN, RST};
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
}
