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
//!
//! A stats record starts with `timestamp` and `event_type`, as EVE
//! records do, so that a reader (or `head -c`) sees what a line is first;
//! it is a struct (`StatsRecord`) because JSON maps here sort their keys.

use std::collections::BTreeMap;
use std::time::SystemTime;

use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::{Value, json};

use super::ReaderCounters;
use crate::flow::TableCounters;
use crate::sink::{Destinations, SinkCounters};
use crate::timestamp::Timestamp;

/// The state of the whole sensor at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub reader: ReaderCounters,
    pub table: TableCounters,
    pub live_flows: u64,
    pub batch_latency: Histogram<u64>,
    pub alerts_by_rule: BTreeMap<&'static str, u64>,
    /// Cameras in the engine's inventory, and how many of them are still
    /// learning (none when detection is off).
    pub cameras: Option<CameraGauges>,
    /// The counters of every network sink.
    pub deliveries: Vec<SinkReport>,
}

/// Camera gauges, from the engine's inventory at the telemetry tick.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CameraGauges {
    pub cameras: u64,
    pub learning: u64,
}

/// One network sink's counters, with what it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SinkReport {
    /// `alerts`, `flows` or `stats`.
    pub output: &'static str,
    /// The sink's spec as given.
    pub sink: String,
    #[serde(flatten)]
    pub counters: SinkCounters,
}

impl SinkReport {
    /// The network sinks of each kind of output.
    pub fn of(outputs: [(&'static str, Option<&Destinations>); 3]) -> Vec<SinkReport> {
        let mut reports = Vec::new();
        for (output, destinations) in outputs {
            let Some(destinations) = destinations else {
                continue;
            };
            for (sink, counters) in destinations.counters() {
                reports.push(SinkReport {
                    output,
                    sink,
                    counters,
                });
            }
        }
        reports
    }
}

/// One stats record, in the order its keys are written.
#[derive(Serialize)]
struct StatsRecord<'a> {
    timestamp: String,
    event_type: &'static str,
    packets: u64,
    bytes: u64,
    dropped: Value,
    kernel_received: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    interfaces: Vec<Value>,
    /// Per reader thread (`--readers`), empty for replay.
    readers: Value,
    live_flows: u64,
    flows: Value,
    alerts: &'a BTreeMap<&'static str, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cameras: Option<CameraGauges>,
    #[serde(skip_serializing_if = "<[SinkReport]>::is_empty")]
    deliveries: &'a [SinkReport],
    decode_failures: Value,
    batch_latency_us: Value,
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
        let since_epoch = wall
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let ts = Timestamp::from_secs_nanos(
            since_epoch.as_secs() as i64,
            i64::from(since_epoch.subsec_nanos()),
        );
        let record = self.record(ts.rfc3339_micros().to_string());
        serde_json::to_value(&record).unwrap_or_default()
    }

    /// One stats record as a JSON line (without its line feed), keys in
    /// the order of `StatsRecord`.
    pub fn json_line(&self, wall: SystemTime, out: &mut Vec<u8>) {
        let since_epoch = wall
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let ts = Timestamp::from_secs_nanos(
            since_epoch.as_secs() as i64,
            i64::from(since_epoch.subsec_nanos()),
        );
        let record = self.record(ts.rfc3339_micros().to_string());
        // Serialising plain data into a Vec cannot fail.
        let _ = serde_json::to_writer(out, &record);
    }

    fn record(&self, timestamp: String) -> StatsRecord<'_> {
        let r = &self.reader;
        StatsRecord {
            timestamp,
            event_type: "stats",
            packets: r.packets,
            bytes: r.wire_bytes,
            dropped: r.dropped_json(),
            kernel_received: r.kernel_received,
            interfaces: r
                .interfaces
                .iter()
                .map(|(name, k)| {
                    json!({
                        "name": name,
                        "received": k.received,
                        "dropped": k.dropped,
                        "interface_dropped": k.interface_dropped,
                    })
                })
                .collect(),
            readers: r.readers_json(),
            live_flows: self.live_flows,
            flows: json!({
                "created": self.table.created,
                "expired": self.table.expired,
                "evicted": self.table.evicted,
            }),
            alerts: &self.alerts_by_rule,
            cameras: self.cameras,
            deliveries: &self.deliveries,
            decode_failures: r.decode_failures_json(),
            batch_latency_us: json!({
                "p50": quantile_us(&self.batch_latency, 0.5),
                "p90": quantile_us(&self.batch_latency, 0.9),
                "p99": quantile_us(&self.batch_latency, 0.99),
                "max": self.batch_latency.max() as f64 / 1000.0,
            }),
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::time::Duration;

    use super::*;

    pub(in crate::stats) fn snapshot() -> Snapshot {
        let reader = ReaderCounters {
            packets: 10,
            kernel_received: 12,
            kernel_dropped: 2,
            interfaces: vec![
                (
                    "eth1".into(),
                    crate::capture::KernelStats {
                        received: 7,
                        dropped: 2,
                        interface_dropped: 0,
                    },
                ),
                (
                    "eth2".into(),
                    crate::capture::KernelStats {
                        received: 5,
                        ..Default::default()
                    },
                ),
            ],
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
            cameras: Some(CameraGauges {
                cameras: 5,
                learning: 2,
            }),
            deliveries: vec![SinkReport {
                output: "alerts",
                sink: "syslog+tls://siem.example:6514?ca=/etc/ca \"x\"".into(),
                counters: SinkCounters {
                    queued: 9,
                    sent: 8,
                    acknowledged: 7,
                    dropped: 1,
                    dropped_queue_full: 1,
                    reconnects: 2,
                    queue_lines: 1,
                    queue_bytes: 300,
                    connected: true,
                    ..SinkCounters::default()
                },
            }],
        }
    }

    #[test]
    fn stats_record_is_one_json_object() {
        let value = snapshot().json(SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_600_000));
        assert_eq!(value["event_type"], "stats");
        assert_eq!(value["timestamp"], "2026-01-05T08:00:00.000000Z");
        assert_eq!(value["dropped"]["kernel"], 2);
        assert_eq!(value["alerts"]["CAMSENTRY-EGRESS-1"], 3);
        assert_eq!(value["cameras"]["learning"], 2);
        assert_eq!(value["interfaces"][1]["name"], "eth2");
        assert_eq!(value["deliveries"][0]["acknowledged"], 7);
        assert_eq!(value["deliveries"][0]["output"], "alerts");
    }

    #[test]
    fn stats_lines_start_with_timestamp_and_event_type() {
        let mut line = Vec::new();
        snapshot().json_line(SystemTime::UNIX_EPOCH, &mut line);
        let text = String::from_utf8(line).unwrap();
        assert!(
            text.starts_with(
                r#"{"timestamp":"1970-01-01T00:00:00.000000Z","event_type":"stats","packets":10,"#
            ),
            "{text}"
        );
    }
}
