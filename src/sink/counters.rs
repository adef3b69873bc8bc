//! [`SinkCounters`]: what a sink did with its lines, as totals and
//! gauges, readable at any time from the sink's atomics ([`Counters`]),
//! for the end-of-run summary, the stats records and the Prometheus
//! endpoint.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A snapshot of a sink's counters. Totals since the sink started, except
/// the gauges `queue_lines`, `queue_bytes`, `unacknowledged`, `spool_bytes`
/// and `connected`.
///
/// Every line given to `send` ends up counted as acknowledged (or, for
/// UDP, sent), spooled, dropped or unconfirmed; [`SinkCounters::lost`] is
/// what the run lost.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SinkCounters {
    /// Lines accepted by `send` into the queue.
    pub queued: u64,
    /// Lines written whole to the target for the first time (from the
    /// queue, from the spool, or after a failed connection had not taken
    /// them whole).
    pub sent: u64,
    /// Lines the target took for sure: on a TCP or Unix stream, lines
    /// whose bytes the receiver acknowledged (each line once, however often
    /// it was sent); on a file or stdout, lines written. UDP has no
    /// acknowledgement (0).
    pub acknowledged: u64,
    /// Lines written to the spool (including, at shutdown, lines not
    /// acknowledged yet, kept for the next start).
    pub spooled: u64,
    /// Lines delivered from the spool (a part of `sent`).
    pub sent_from_spool: u64,
    /// Lines written again after their connection failed or stalled: the
    /// unacknowledged ones, and the last acknowledged ones (the resend
    /// window). The receiver may get these twice.
    pub resent: u64,
    /// Sum of the four `dropped_*` counters.
    pub dropped: u64,
    /// Refused by `send`: the queue was full (or the sink had stopped).
    pub dropped_queue_full: u64,
    /// The target was down and the spool full, failing or absent.
    pub dropped_spool_full: u64,
    /// Refused by `send`: empty, an embedded line feed, or too long (for
    /// UDP: a message over `udp_max_bytes`).
    pub dropped_invalid: u64,
    /// Never written and still undelivered when shutdown's timeout ran
    /// out, with no spool (or no room in it) to keep them.
    pub dropped_at_shutdown: u64,
    /// Lines written at least once but not confirmed when the sink stopped
    /// (not acknowledged, or the receiver reset the connection), with no
    /// spool (or no room in it) to keep them: they may or may not have
    /// arrived.
    pub unconfirmed: u64,
    /// Connections made after the first (after failures, stalls or
    /// reopens).
    pub reconnects: u64,
    /// Stream connections dropped because the receiver stopped
    /// acknowledging (see `SinkOptions::stall_timeout`).
    pub stalls: u64,
    pub connect_failures: u64,
    /// Failed writes and connections found closed or reset (each one ends
    /// a connection).
    pub write_errors: u64,
    pub spool_errors: u64,
    /// Spool records skipped because they were corrupt.
    pub spool_corrupt: u64,
    /// Lines in the queue now, and their bytes.
    pub queue_lines: u64,
    pub queue_bytes: u64,
    /// Lines written on the current connection and not yet acknowledged.
    pub unacknowledged: u64,
    /// Bytes in the spool now.
    pub spool_bytes: u64,
    /// Whether the target is connected (or the file open) now.
    pub connected: bool,
    /// The latest connect, write, stall or spool error.
    pub last_error: Option<String>,
}

impl SinkCounters {
    /// Lines this sink lost: dropped (including refused) or unconfirmed.
    pub fn lost(&self) -> u64 {
        self.dropped + self.unconfirmed
    }
}

impl fmt::Display for SinkCounters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "queued {}, sent {}, acknowledged {}, spooled {}, sent from spool {}, resent {}, \
             dropped {} (queue full {}, spool full {}, invalid {}, at shutdown {}), \
             unconfirmed {}, reconnects {}, stalls {}, connect failures {}, write errors {}, \
             spool errors {}, spool {} bytes, queue {} lines",
            self.queued,
            self.sent,
            self.acknowledged,
            self.spooled,
            self.sent_from_spool,
            self.resent,
            self.dropped,
            self.dropped_queue_full,
            self.dropped_spool_full,
            self.dropped_invalid,
            self.dropped_at_shutdown,
            self.unconfirmed,
            self.reconnects,
            self.stalls,
            self.connect_failures,
            self.write_errors,
            self.spool_errors,
            self.spool_bytes,
            self.queue_lines,
        )
    }
}

#[derive(Default)]
pub(crate) struct Counters {
    pub queued: AtomicU64,
    pub sent: AtomicU64,
    pub acknowledged: AtomicU64,
    pub spooled: AtomicU64,
    pub sent_from_spool: AtomicU64,
    pub resent: AtomicU64,
    pub dropped_queue_full: AtomicU64,
    pub dropped_spool_full: AtomicU64,
    pub dropped_invalid: AtomicU64,
    pub dropped_at_shutdown: AtomicU64,
    pub unconfirmed: AtomicU64,
    pub reconnects: AtomicU64,
    pub stalls: AtomicU64,
    pub connect_failures: AtomicU64,
    pub write_errors: AtomicU64,
    pub spool_errors: AtomicU64,
    pub spool_corrupt: AtomicU64,
    pub queue_lines: AtomicU64,
    pub unacknowledged: AtomicU64,
    pub spool_bytes: AtomicU64,
    pub connected: AtomicBool,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> SinkCounters {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut s = SinkCounters {
            queued: get(&self.queued),
            sent: get(&self.sent),
            acknowledged: get(&self.acknowledged),
            spooled: get(&self.spooled),
            sent_from_spool: get(&self.sent_from_spool),
            resent: get(&self.resent),
            dropped: 0,
            dropped_queue_full: get(&self.dropped_queue_full),
            dropped_spool_full: get(&self.dropped_spool_full),
            dropped_invalid: get(&self.dropped_invalid),
            dropped_at_shutdown: get(&self.dropped_at_shutdown),
            unconfirmed: get(&self.unconfirmed),
            reconnects: get(&self.reconnects),
            stalls: get(&self.stalls),
            connect_failures: get(&self.connect_failures),
            write_errors: get(&self.write_errors),
            spool_errors: get(&self.spool_errors),
            spool_corrupt: get(&self.spool_corrupt),
            queue_lines: get(&self.queue_lines),
            // Set by the sink, which owns the byte count.
            queue_bytes: 0,
            unacknowledged: get(&self.unacknowledged),
            spool_bytes: get(&self.spool_bytes),
            connected: self.connected.load(Ordering::Relaxed),
            last_error: None,
        };
        s.dropped =
            s.dropped_queue_full + s.dropped_spool_full + s.dropped_invalid + s.dropped_at_shutdown;
        s
    }
}
