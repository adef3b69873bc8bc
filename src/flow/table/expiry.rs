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

/// One class's recency queue: slab indices linked through their entries,
/// stalest at the head.
#[derive(Clone, Copy)]
pub(super) struct Queue {
    pub(super) head: u32,
    pub(super) tail: u32,
}

impl Queue {
    pub(super) const EMPTY: Queue = Queue {
        head: NIL,
        tail: NIL,
    };
}

/// Flows a sweep ends before it takes them out of the index.
const SWEEP_BATCH: usize = 16;

impl FlowTable {
    /// Ends every flow idle for longer than its timeout at packet time `now`.
    pub fn expire(&mut self, now: Timestamp, on_end: &mut impl FnMut(&Flow, EndReason)) {
        for class in TimeoutClass::ALL {
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
                    let reason = if class == TimeoutClass::TcpClosed {
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
                at = self.slab.get(at).next;
            }
        }
        live.sort_unstable_by_key(|&i| self.slab.get(i).flow.first_seq);
        for index in live {
            let flow = &self.slab.get(index).flow;
            let reason = if class_of(flow) == TimeoutClass::TcpClosed {
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
        self.queues = [Queue::EMPTY; TimeoutClass::COUNT];
        self.live = 0;
    }

    /// Evicts the flow closest to its own expiry.
    pub(super) fn evict_stalest(&mut self, on_end: &mut impl FnMut(&Flow, EndReason)) {
        let mut best: Option<(Timestamp, u32)> = None;
        for class in TimeoutClass::ALL {
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
        self.unlink(index, class);
        self.free.push(index);
        self.live -= 1;
    }

    fn requeue(&mut self, index: u32) {
        let entry = self.slab.get_mut(index);
        entry.queued_ts = entry.flow.last_ts;
        let class = class_of(&entry.flow);
        self.unlink(index, class);
        self.link_tail(index, class);
    }

    pub(super) fn link_tail(&mut self, index: u32, class: TimeoutClass) {
        let queue = &mut self.queues[class as usize];
        let tail = queue.tail;
        {
            let entry = self.slab.get_mut(index);
            entry.prev = tail;
            entry.next = NIL;
        }
        if tail == NIL {
            queue.head = index;
        } else {
            self.slab.get_mut(tail).next = index;
        }
        queue.tail = index;
    }

    /// Takes flow `index` out of the queue of `class`, the class it was
    /// linked under.
    pub(super) fn unlink(&mut self, index: u32, class: TimeoutClass) {
        let (prev, next) = {
            let entry = self.slab.get(index);
            (entry.prev, entry.next)
        };
        let queue = &mut self.queues[class as usize];
        if prev == NIL {
            queue.head = next;
        } else {
            self.slab.get_mut(prev).next = next;
        }
        if next == NIL {
            queue.tail = prev;
        } else {
            self.slab.get_mut(next).prev = prev;
        }
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
