//! Operational telemetry for a long-running sensor: a periodic stats record
//! (JSON lines, `--stats-interval`) and a Prometheus text endpoint
//! (`--metrics-listen`).
//!
//! Both are built by the collector from the counters every worker sends
//! with each epoch, so nothing on the packet path is shared or locked; the
//! endpoint serves the last rendered text from a mutex that is written once
//! per second. Metric names follow Prometheus conventions
//! (`camsentry_<name>_<unit>_total`), label values are bounded (rule ids,
//! fixed reasons and causes). Stats records carry the wall-clock time they
//! were written, unlike alerts, which carry packet time.
//!
//! [`Snapshot`] is what the collector builds; this file renders it as the
//! periodic stats record, [`prometheus`](super::prometheus) as metrics text,
//! and [`http`](super::http) serves that text.

use std::collections::BTreeMap;
use std::time::SystemTime;

use hdrhistogram::Histogram;
use serde_json::{Value, json};

use super::ReaderCounters;
use crate::flow::TableCounters;
use crate::timestamp::Timestamp;

/// The state of the whole sensor at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub reader: ReaderCounters,
    pub table: TableCounters,
    pub live_flows: u64,
    pub batch_latency: Histogram<u64>,
    pub alerts_by_rule: BTreeMap<&'static str, u64>,
}

pub(super) fn quantile_us(histogram: &Histogram<u64>, q: f64) -> f64 {
    if histogram.is_empty() {
        0.0
    } else {
        histogram.value_at_quantile(q) as f64 / 1000.0
    }
}

impl Snapshot {
    /// One stats record (`event_type: "stats"`).
    pub fn json(&self, wall: SystemTime) -> Value {
        let r = &self.reader;
        let since_epoch = wall
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let ts = Timestamp::from_secs_nanos(
            since_epoch.as_secs() as i64,
            i64::from(since_epoch.subsec_nanos()),
        );
        json!({
            "event_type": "stats",
            "timestamp": ts.rfc3339_micros().to_string(),
            "packets": r.packets,
            "bytes": r.wire_bytes,
            "dropped": r.dropped_json(),
            "kernel_received": r.kernel_received,
            "readers": r.readers_json(),
            "live_flows": self.live_flows,
            "flows": {
                "created": self.table.created,
                "expired": self.table.expired,
                "evicted": self.table.evicted,
            },
            "alerts": self.alerts_by_rule,
            "decode_failures": r.decode_failures_json(),
            "batch_latency_us": {
                "p50": quantile_us(&self.batch_latency, 0.5),
                "p90": quantile_us(&self.batch_latency, 0.9),
                "p99": quantile_us(&self.batch_latency, 0.99),
                "max": self.batch_latency.max() as f64 / 1000.0,
            },
        })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::time::Duration;

    use super::*;

    pub(in crate::stats) fn snapshot() -> Snapshot {
        let reader = ReaderCounters {
            packets: 10,
            kernel_dropped: 2,
            ..ReaderCounters::default()
        };
        let mut alerts_by_rule = BTreeMap::new();
        alerts_by_rule.insert("CAMSENTRY-EGRESS-1", 3);
        let mut batch_latency = Histogram::new(3).unwrap();
        batch_latency.record(40_000).unwrap();
        Snapshot {
            reader,
            table: TableCounters::default(),
            live_flows: 4,
            batch_latency,
            alerts_by_rule,
        }
    }

    #[test]
    fn stats_record_is_one_json_object() {
        let value = snapshot().json(SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_600_000));
        assert_eq!(value["event_type"], "stats");
        assert_eq!(value["timestamp"], "2026-01-05T08:00:00.000000Z");
        assert_eq!(value["dropped"]["kernel"], 2);
        assert_eq!(value["alerts"]["CAMSENTRY-EGRESS-1"], 3);
    }
}
