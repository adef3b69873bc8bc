//! Counting and reporting what a run did: the per-thread counters, the
//! end-of-run summary, and the operational telemetry of a long-running
//! sensor (stats records, a Prometheus endpoint).
//!
//! Each thread keeps its own counters (no shared atomics on the packet path)
//! and hands them over when it finishes; the summary merges them.
//!
//! This module sits on the top floor: it aggregates counters defined by
//! capture, decode, flow and sink.
//!
//! - [`summary`]: [`RunSummary`], the end-of-run text and JSON, and the
//!   run's [`Completion`] (the exit status).
//! - [`telemetry`]: a [`Snapshot`] of the running sensor and its periodic
//!   stats record (`--stats-interval`).
//! - [`prometheus`]: the same snapshot in the Prometheus text format.
//! - [`http`]: the `--metrics-listen` endpoint that serves it.

pub mod http;
pub mod prometheus;
pub mod summary;
pub mod telemetry;

use hdrhistogram::Histogram;
use serde_json::{Value, json};
pub use summary::{Completion, RunSummary};
pub use telemetry::Snapshot;

use crate::capture::KernelStats;
use crate::decode::DecodeError;
use crate::flow::TableCounters;

/// What the reader/dispatcher counted.
#[derive(Debug, Clone, Default)]
pub struct ReaderCounters {
    pub packets: u64,
    /// On-the-wire bytes (the record's original length).
    pub wire_bytes: u64,
    /// Bytes actually captured.
    pub captured_bytes: u64,
    pub ip_packets: u64,
    pub arp_packets: u64,
    /// Non-first IP fragments (counted, not attributed to flows).
    pub later_fragments: u64,
    pub decode_errors: [u64; DecodeError::ALL.len()],
    /// IP packets that arrived inside each tunnel kind (see
    /// `decode::TUNNEL_KINDS`; a packet nested in two counts in both).
    pub tunnelled: [u64; 8],
    /// Live capture: packets the reader dropped because a worker's queue
    /// was full.
    pub queue_dropped: u64,
    /// Live capture: libpcap's counters summed over interfaces (packets the
    /// kernel received, dropped for lack of buffer, dropped by the NIC).
    pub kernel_received: u64,
    pub kernel_dropped: u64,
    pub interface_dropped: u64,
    /// Live capture: libpcap's counters of each interface, by name, in
    /// the order of `-i` (summed over the reader threads).
    pub interfaces: Vec<(String, KernelStats)>,
    /// Live capture: the same libpcap counters for each reader thread
    /// (`--readers`), each summed over the interfaces it reads; the three
    /// totals above are their sums. Empty for replay.
    pub readers: Vec<KernelStats>,
}

impl ReaderCounters {
    pub fn decode_failures(&self) -> u64 {
        self.decode_errors.iter().sum()
    }

    /// `{"truncated": n, ...}` for every decode-failure reason.
    pub fn decode_failures_json(&self) -> Value {
        let mut failures = serde_json::Map::new();
        for reason in DecodeError::ALL {
            failures.insert(
                reason.name().into(),
                self.decode_errors[reason.index()].into(),
            );
        }
        Value::Object(failures)
    }

    /// Packets lost, by cause.
    pub fn dropped_json(&self) -> Value {
        json!({
            "queue_full": self.queue_dropped,
            "kernel": self.kernel_dropped,
            "interface": self.interface_dropped,
        })
    }

    /// `[{"reader": 0, "received": n, "dropped": n, "interface_dropped": n}, ...]`.
    pub fn readers_json(&self) -> Value {
        self.readers
            .iter()
            .enumerate()
            .map(|(reader, stats)| {
                json!({
                    "reader": reader,
                    "received": stats.received,
                    "dropped": stats.dropped,
                    "interface_dropped": stats.interface_dropped,
                })
            })
            .collect()
    }
}

/// What a worker counted, plus its batch latency histogram (nanoseconds).
#[derive(Debug, Clone)]
pub struct WorkerCounters {
    pub table: TableCounters,
    pub batches: u64,
    pub packets: u64,
    pub peak_live_flows: u64,
    pub batch_latency: Histogram<u64>,
}

impl Default for WorkerCounters {
    fn default() -> Self {
        WorkerCounters {
            table: TableCounters::default(),
            batches: 0,
            packets: 0,
            peak_live_flows: 0,
            // 3 significant figures from 1 ns to 60 s.
            batch_latency: Histogram::new_with_bounds(1, 60_000_000_000, 3)
                .expect("static histogram bounds are valid"),
        }
    }
}

impl WorkerCounters {
    pub fn merge(&mut self, other: &WorkerCounters) {
        self.table.created += other.table.created;
        self.table.expired += other.table.expired;
        self.table.evicted += other.table.evicted;
        self.table.flushed += other.table.flushed;
        self.batches += other.batches;
        self.packets += other.packets;
        self.peak_live_flows += other.peak_live_flows;
        // Both histograms share bounds, so adding cannot fail.
        let _ = self.batch_latency.add(&other.batch_latency);
    }
}
