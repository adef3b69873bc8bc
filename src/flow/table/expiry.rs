//! Ending flows: timeout classes, their recency queues threaded through
//! the slab, the sweep, the final flush and eviction under a full table
//! (the design is in the table's module docs).

use super::FlowTable;
use super::index::tag_of;
use super::slab::NIL;
use crate::flow::state::{EndReason, Flow, TcpState};
use crate::net::IpProto;
use crate::timestamp::{NANOS_PER_SEC, Nanos, Timestamp};

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
    pub(super) fn of(&self, class: TimeoutClass) -> Nanos {
        match class {
            TimeoutClass::TcpOpening => self.tcp_opening,
            TimeoutClass::TcpEstablished => self.tcp_established,
            TimeoutClass::TcpClosed => self.tcp_closed,
            TimeoutClass::Udp => self.udp,
            TimeoutClass::Icmp => self.icmp,
            TimeoutClass::Other => self.other,
        }
    }
}

/// Which inactivity timeout applies to a flow, and so which recency queue
/// it sits in. It follows from the flow alone ([`class_of`]); a TCP flow
/// changes class as its state moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum TimeoutClass {
    TcpOpening,
    TcpEstablished,
    TcpClosed,
    Udp,
    Icmp,
    Other,
}

impl TimeoutClass {
    pub(super) const COUNT: usize = 6;
    /// Every class, in queue order.
    pub(super) const ALL: [TimeoutClass; TimeoutClass::COUNT] = [
        TimeoutClass::TcpOpening,
        TimeoutClass::TcpEstablished,
        TimeoutClass::TcpClosed,
        TimeoutClass::Udp,
        TimeoutClass::Icmp,
        TimeoutClass::Other,
    ];
}

/// Flows a sweep ends before it takes them out of the index.
const SWEEP_BATCH: usize = 16;

impl FlowTable {
    /// Ends every flow idle for longer than its timeout at packet time
    /// `now`, to the precision of its wheel's buckets: each flow ends at
    /// the first sweep after the bucket of its last packet falls more than
    /// a timeout behind `now`, whichever flows share the table.
    pub fn expire(&mut self, now: Timestamp, on_end: &mut impl FnMut(&Flow, EndReason)) {
        for class in TimeoutClass::ALL {
            let timeout = self.timeouts.of(class);
            let wheel = &mut self.wheels[class as usize];
            let target = wheel.bucket(Timestamp(now.as_nanos().saturating_sub(timeout)));
            for bucket in wheel.advance(target) {
                self.sweep_slot(class, bucket, target, on_end);
            }
        }
    }

    /// Walks the slot of `bucket`: ends the flows whose last packet falls
    /// in a bucket below `target`, files the others (active since they
    /// were filed) under their last packet, and leaves those of a later
    /// turn. Ends flows in batches, starting the load of each one's index
    /// line, then takes them out of the index: the loads overlap instead of
    /// each stalling the sweep in turn.
    fn sweep_slot(
        &mut self,
        class: TimeoutClass,
        bucket: u64,
        target: u64,
        on_end: &mut impl FnMut(&Flow, EndReason),
    ) {
        let mut at = self.wheels[class as usize].head(bucket);
        while at != NIL {
            let mut ended = [(NIL, 0u32); SWEEP_BATCH];
            let mut count = 0;
            while at != NIL && count < SWEEP_BATCH {
                let index = at;
                let entry = self.slab.get(index);
                at = entry.next;
                let wheel = &self.wheels[class as usize];
                if wheel.bucket(entry.filed_ts) >= target {
                    // Filed in a later turn of the wheel: it stays.
                    continue;
                }
                let flow = &entry.flow;
                if wheel.bucket(flow.last_ts) >= target {
                    let last = flow.last_ts;
                    self.wheels[class as usize].refile(&mut self.slab, index, last);
                    continue;
                }
                on_end(flow, idle_reason(flow, class));
                self.counters.expired += 1;
                let tag = tag_of(flow.key.hash64());
                self.prefetch_tag(tag);
                ended[count] = (index, tag);
                count += 1;
                self.release(index);
            }
            for &(index, tag) in &ended[..count] {
                if let Some(pos) = self.index.position(tag, index) {
                    self.index.remove_at(pos);
                }
            }
        }
    }

    /// Ends every live flow: those past their timeout as expired, the rest
    /// as `EndOfInput` (closed TCP connections keep their FIN/RST reason).
    /// The sweep's ends come first, then the rest in order of their first
    /// packet.
    pub fn flush(&mut self, now: Timestamp, on_end: &mut impl FnMut(&Flow, EndReason)) {
        self.expire(now, on_end);
        let mut live: Vec<u32> = Vec::with_capacity(self.live);
        for wheel in &self.wheels {
            wheel.for_each(&self.slab, |index| live.push(index));
        }
        live.sort_unstable_by_key(|&i| self.slab.get(i).flow.first_seq);
        for index in live {
            let flow = &self.slab.get(index).flow;
            let class = class_of(flow);
            // The sweep is a bucket late at most; the end is exact.
            let due = now.since(flow.last_ts) > self.timeouts.of(class);
            let reason = if due || class == TimeoutClass::TcpClosed {
                idle_reason(flow, class)
            } else {
                EndReason::EndOfInput
            };
            on_end(flow, reason);
            if due {
                self.counters.expired += 1;
            } else {
                self.counters.flushed += 1;
            }
        }
        self.slab.clear();
        self.free.clear();
        self.index.clear();
        for wheel in &mut self.wheels {
            wheel.clear();
        }
        self.live = 0;
    }

    /// Evicts the flow closest to its own expiry (to the precision of a
    /// bucket).
    pub(super) fn evict_stalest(&mut self, on_end: &mut impl FnMut(&Flow, EndReason)) {
        let mut best: Option<(Timestamp, u32)> = None;
        for class in TimeoutClass::ALL {
            // Bring a truly idle flow to the front: re-file active ones.
            // Bounded: each re-filing needs a packet since the last one.
            let wheel = &mut self.wheels[class as usize];
            while let Some(index) = wheel.oldest() {
                let entry = self.slab.get(index);
                let last = entry.flow.last_ts;
                if wheel.bucket(last) > wheel.bucket(entry.filed_ts) {
                    wheel.refile(&mut self.slab, index, last);
                    continue;
                }
                let deadline = last.plus(self.timeouts.of(class));
                if best.is_none_or(|(d, _)| deadline < d) {
                    best = Some((deadline, index));
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

    pub(super) fn remove(&mut self, index: u32, hash: u64) {
        if let Some(pos) = self.index.position(tag_of(hash), index) {
            self.index.remove_at(pos);
        }
        self.release(index);
    }

    /// Returns a flow's slab entry to the free list once the index no
    /// longer points at it.
    pub(super) fn release(&mut self, index: u32) {
        let class = class_of(&self.slab.get(index).flow);
        self.wheels[class as usize].unlink(&mut self.slab, index);
        self.free.push(index);
        self.live -= 1;
    }

    /// Moves flow `index` from the wheel of class `was` to that of `class`,
    /// filed under its last packet.
    pub(super) fn refile(&mut self, index: u32, was: TimeoutClass, class: TimeoutClass) {
        self.wheels[was as usize].unlink(&mut self.slab, index);
        let last = self.slab.get(index).flow.last_ts;
        self.wheels[class as usize].link(&mut self.slab, index, last);
    }

    /// Files a new flow `index` on the wheel of its class.
    pub(super) fn file(&mut self, index: u32, class: TimeoutClass, ts: Timestamp) {
        self.wheels[class as usize].link(&mut self.slab, index, ts);
    }
}

/// Why a flow of `class` ends when it has been idle too long: a closed
/// connection keeps its FIN or RST, anything else timed out.
pub(super) fn idle_reason(flow: &Flow, class: TimeoutClass) -> EndReason {
    if class == TimeoutClass::TcpClosed {
        flow.close_reason()
    } else {
        EndReason::Timeout
    }
}

/// The timeout class of a flow as it stands.
#[inline]
pub(super) fn class_of(flow: &Flow) -> TimeoutClass {
    match IpProto(flow.key.proto) {
        IpProto::TCP => match flow.tcp_state {
            Some(TcpState::SynSent | TcpState::SynAckReceived) => TimeoutClass::TcpOpening,
            Some(TcpState::Closed | TcpState::Reset) => TimeoutClass::TcpClosed,
            _ => TimeoutClass::TcpEstablished,
        },
        IpProto::UDP => TimeoutClass::Udp,
        IpProto::ICMP | IpProto::ICMPV6 => TimeoutClass::Icmp,
        _ => TimeoutClass::Other,
    }
}
