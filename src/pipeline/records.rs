//! Finished-flow records as the workers encode them: the lines of one part
//! of an epoch, back to back, each with its event order and flow id, for
//! the collector to merge and write.
//!
//! Encoding a flow record is pure work on one flow, so it runs on the
//! workers, in parallel; the collector only copies bytes. One field is not
//! the worker's to know: EVE's `flow.alerted`, whether an alert about the
//! flow was written, which only the detection engine in the collector
//! knows once the flow's `FlowEnd` (ordered just before its record) has
//! gone through it. So the worker encodes `"alerted":false`, as a flow
//! without alerts reads, and keeps the offset of that `false`; for the
//! rare flow that alerted, the collector writes the line again with `true`
//! in its place ([`RecordLine::with_alerted`]). The result is the very
//! line `encode_flow` gives with `alerted: true` (serde writes the bool in
//! place, nothing else depends on it), and the common case stays a copy.

use super::FlowEncoding;
use super::batch::EventOrder;
use crate::alert::Format;
use crate::alert::flows::encode_flow;
use crate::flow::{EndReason, Flow, FlowRecord};

/// The flag as the worker writes it; a valid EVE flow line has it once
/// (quotes inside strings are escaped, so no string value can hold it).
const ALERTED_FALSE: &[u8] = b"\"alerted\":false";

/// One record of a [`RecordChunk`].
#[derive(Debug, Clone, Copy)]
struct Entry {
    order: EventOrder,
    /// The end of its line in the chunk's bytes.
    end: u32,
    flow_id: u64,
    /// Offset of `false` of `"alerted":false` in the line (EVE only).
    alerted_at: Option<u32>,
}

/// Finished-flow records a worker encoded, in the order of their events.
#[derive(Debug, Default, Clone)]
pub struct RecordChunk {
    /// The encoded lines, back to back.
    bytes: Vec<u8>,
    entries: Vec<Entry>,
}

/// One encoded record as the merge hands it out.
#[derive(Debug, Clone, Copy)]
pub struct RecordLine<'a> {
    /// The line as encoded, newline included, `alerted` false.
    pub line: &'a [u8],
    pub flow_id: u64,
    alerted_at: Option<u32>,
}

impl<'a> RecordLine<'a> {
    /// The line to write: as encoded, or, when the flow `alerted` and the
    /// format carries the flag, rewritten into `scratch` with `true`.
    pub fn with_alerted(self, alerted: bool, scratch: &'a mut Vec<u8>) -> &'a [u8] {
        let Some(at) = self.alerted_at.filter(|_| alerted) else {
            return self.line;
        };
        let at = at as usize;
        scratch.clear();
        scratch.extend_from_slice(&self.line[..at]);
        scratch.extend_from_slice(b"true");
        scratch.extend_from_slice(&self.line[at + b"false".len()..]);
        scratch
    }
}

impl RecordChunk {
    /// Encodes one finished flow, `alerted` false (see the module docs).
    pub fn push(
        &mut self,
        order: EventOrder,
        flow: &Flow,
        reason: EndReason,
        encoding: &FlowEncoding,
    ) {
        let start = self.bytes.len();
        let record = FlowRecord::new(flow, reason);
        encode_flow(
            &record,
            encoding.format,
            &encoding.observer,
            false,
            &mut self.bytes,
        );
        let alerted_at = match encoding.format {
            Format::Eve => self.bytes[start..]
                .windows(ALERTED_FALSE.len())
                .position(|w| w == ALERTED_FALSE)
                .map(|at| (at + ALERTED_FALSE.len() - b"false".len()) as u32),
            Format::Ecs => None,
        };
        debug_assert!(encoding.format == Format::Ecs || alerted_at.is_some());
        self.entries.push(Entry {
            order,
            end: self.bytes.len() as u32,
            flow_id: record.flow_id,
            alerted_at,
        });
    }

    /// Appends an already encoded line (newline included) whose `alerted`
    /// flag, if it has one, is the `false` at `alerted_at`.
    pub fn push_line(
        &mut self,
        order: EventOrder,
        flow_id: u64,
        alerted_at: Option<u32>,
        line: &[u8],
    ) {
        self.bytes.extend_from_slice(line);
        self.entries.push(Entry {
            order,
            end: self.bytes.len() as u32,
            flow_id,
            alerted_at,
        });
    }

    /// Appends record `at` of `other`.
    pub fn push_from(&mut self, other: &RecordChunk, at: usize) {
        let record = other.record(at);
        self.push_line(
            other.order(at),
            record.flow_id,
            record.alerted_at,
            record.line,
        );
    }

    /// Record `at`.
    pub fn record(&self, at: usize) -> RecordLine<'_> {
        let start = at
            .checked_sub(1)
            .map_or(0, |i| self.entries[i].end as usize);
        let entry = &self.entries[at];
        RecordLine {
            line: &self.bytes[start..entry.end as usize],
            flow_id: entry.flow_id,
            alerted_at: entry.alerted_at,
        }
    }

    /// The event order of record `at`.
    pub fn order(&self, at: usize) -> EventOrder {
        self.entries[at].order
    }

    /// How many records come before `order` (the chunk being sorted).
    pub fn count_before(&self, order: EventOrder) -> usize {
        self.entries.partition_point(|e| e.order < order)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Puts the records in event order. Lines are re-packed only when
    /// they were out of order (expiry sweeps), which packet-driven ends
    /// never are.
    pub fn sort(&mut self) {
        if self.entries.is_sorted_by_key(|e| e.order) {
            return;
        }
        let mut at: Vec<usize> = (0..self.entries.len()).collect();
        at.sort_unstable_by_key(|&i| self.entries[i].order);
        let mut sorted = RecordChunk {
            bytes: Vec::with_capacity(self.bytes.len()),
            entries: Vec::with_capacity(self.entries.len()),
        };
        for i in at {
            sorted.push_from(self, i);
        }
        *self = sorted;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    use crate::alert::Observer;
    use crate::flow::{FlowKey, TcpState};
    use crate::timestamp::Timestamp;

    /// Finished flows of each kind of record: TCP with flags, UDP in a
    /// VLAN, IPv6, all with strings that could hold the flag's bytes.
    fn flows() -> Vec<(Flow, EndReason)> {
        let flow = |src: &str, dst: &str, proto: u8, vlan: u16, tcp: Option<TcpState>| {
            let (src, dst): (IpAddr, IpAddr) = (src.parse().unwrap(), dst.parse().unwrap());
            let (key, initiator_is_lo) = FlowKey::new(src, 50_000, dst, 554, proto, vlan, 0);
            Flow {
                key,
                initiator_is_lo,
                midstream: false,
                media: 0,
                icmp_one_way: false,
                watched: false,
                interface: 0,
                tcp_state: tcp,
                tcp_flags: if tcp.is_some() { [0x1b, 0x1b] } else { [0; 2] },
                first_ts: Timestamp::from_secs_nanos(1_767_600_000, 5),
                last_ts: Timestamp::from_secs_nanos(1_767_600_042, 7_000),
                packets: [12, 9],
                bytes: [1_200, 48_000],
                first_seq: 7,
            }
        };
        vec![
            (
                flow("10.0.0.2", "10.0.0.9", 6, 0, Some(TcpState::Closed)),
                EndReason::Fin,
            ),
            (
                flow("10.0.0.3", "192.0.2.1", 17, 12, None),
                EndReason::Timeout,
            ),
            (
                flow("fd00::1", "fd00::2", 6, 0, Some(TcpState::Reset)),
                EndReason::EndOfInput,
            ),
        ]
    }

    #[test]
    fn a_patched_line_is_the_line_encoded_with_alerted_true() {
        for format in [Format::Eve, Format::Ecs] {
            let encoding = FlowEncoding {
                format,
                observer: Observer {
                    hostname: "\"alerted\":false".to_string(),
                    ..Observer::local()
                },
            };
            let mut chunk = RecordChunk::default();
            let ended = flows();
            for (at, (flow, reason)) in ended.iter().enumerate() {
                chunk.push((at as u64, 0), flow, *reason, &encoding);
            }
            let mut scratch = Vec::new();
            for (at, (flow, reason)) in ended.iter().enumerate() {
                let record = FlowRecord::new(flow, *reason);
                for alerted in [false, true] {
                    let mut want = Vec::new();
                    encode_flow(&record, format, &encoding.observer, alerted, &mut want);
                    let got = chunk.record(at).with_alerted(alerted, &mut scratch);
                    assert_eq!(got, want, "{format:?} alerted {alerted}");
                    assert_eq!(chunk.record(at).flow_id, record.flow_id);
                }
            }
        }
    }
}
