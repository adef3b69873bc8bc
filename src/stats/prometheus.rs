//! The Prometheus text exposition format (version 0.0.4) of a
//! [`Snapshot`], written by hand as Vector does: names follow
//! `camsentry_<name>_<unit>_total`, label values are bounded (rule ids,
//! fixed reasons and causes, the interfaces given to `-i`, the sink specs
//! given on the command line) and escaped.
//!
//! Per network sink (labels `output`, one of `alerts`, `flows`, `stats`,
//! and `sink`, its spec): lines queued, sent, acknowledged, spooled,
//! resent and unconfirmed, drops by reason, reconnects, stalls and connect
//! failures as counters; the queue (lines, bytes), the spool (bytes), the
//! lines awaiting acknowledgement and the connection state as gauges. In
//! live mode the libpcap counters carry an `interface` label, one series
//! per `-i`. `camsentry_build_info{version="..."} 1` names the version.

use std::fmt::Write as _;

use super::telemetry::{SinkReport, Snapshot, quantile_us};
use crate::decode::{DecodeError, TUNNEL_KINDS};

/// One sample: its labels (`{...}` or empty) and its value.
type Sample = (String, String);

/// A label value with backslashes, double quotes and line feeds escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Snapshot {
    /// The Prometheus text exposition format (version 0.0.4).
    pub fn prometheus(&self) -> String {
        let r = &self.reader;
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, String)]| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let one = |v: u64| vec![(String::new(), v.to_string())];
        metric(
            "camsentry_packets_total",
            "counter",
            "Packets read from all sources.",
            &one(r.packets),
        );
        metric(
            "camsentry_bytes_total",
            "counter",
            "On-the-wire bytes of the packets read.",
            &one(r.wire_bytes),
        );
        let (dropped, received) = self.capture_samples();
        metric(
            "camsentry_dropped_packets_total",
            "counter",
            "Packets lost, by cause: worker queue full, kernel buffer full, interface (live: per interface).",
            &dropped,
        );
        metric(
            "camsentry_kernel_received_packets_total",
            "counter",
            "Packets libpcap reports the kernel received (live: per interface).",
            &received,
        );
        if !r.readers.is_empty() {
            // Label values are bounded by `capture::MAX_READERS`.
            let per_reader = |pick: &dyn Fn(&crate::capture::KernelStats) -> u64, extra: &str| {
                r.readers
                    .iter()
                    .enumerate()
                    .map(|(index, s)| {
                        (
                            format!("{{reader=\"{index}\"{extra}}}"),
                            pick(s).to_string(),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            metric(
                "camsentry_reader_received_packets_total",
                "counter",
                "Packets libpcap reports the kernel received, per reader thread (--readers).",
                &per_reader(&|s| s.received, ""),
            );
            let mut dropped = per_reader(&|s| s.dropped, ",cause=\"kernel\"");
            dropped.extend(per_reader(&|s| s.interface_dropped, ",cause=\"interface\""));
            metric(
                "camsentry_reader_dropped_packets_total",
                "counter",
                "Packets libpcap reports lost, per reader thread and cause.",
                &dropped,
            );
        }
        metric(
            "camsentry_live_flows",
            "gauge",
            "Flows currently tracked.",
            &one(self.live_flows),
        );
        metric(
            "camsentry_flows_total",
            "counter",
            "Flows by life event.",
            &[
                ("{event=\"created\"}".into(), self.table.created.to_string()),
                ("{event=\"expired\"}".into(), self.table.expired.to_string()),
                ("{event=\"evicted\"}".into(), self.table.evicted.to_string()),
            ],
        );
        let alerts: Vec<(String, String)> = self
            .alerts_by_rule
            .iter()
            .map(|(rule, n)| (format!("{{rule=\"{rule}\"}}"), n.to_string()))
            .collect();
        metric(
            "camsentry_alerts_total",
            "counter",
            "Alerts raised, by rule.",
            &alerts,
        );
        let failures: Vec<(String, String)> = DecodeError::ALL
            .iter()
            .map(|reason| {
                (
                    format!("{{reason=\"{}\"}}", reason.name()),
                    r.decode_errors[reason.index()].to_string(),
                )
            })
            .collect();
        metric(
            "camsentry_decode_failures_total",
            "counter",
            "Frames that could not be decoded, by reason.",
            &failures,
        );
        let tunnels: Vec<(String, String)> = TUNNEL_KINDS
            .iter()
            .zip(r.tunnelled)
            .map(|(kind, n)| (format!("{{kind=\"{}\"}}", kind.name()), n.to_string()))
            .collect();
        metric(
            "camsentry_decapsulated_packets_total",
            "counter",
            "Packets decoded out of a tunnel, by tunnel kind.",
            &tunnels,
        );
        let latency: Vec<(String, String)> = [0.5, 0.9, 0.99]
            .iter()
            .map(|q| {
                (
                    format!("{{quantile=\"{q}\"}}"),
                    format!("{}", quantile_us(&self.batch_latency, *q) / 1e6),
                )
            })
            .collect();
        metric(
            "camsentry_batch_latency_seconds",
            "summary",
            "Time a worker spends on one batch.",
            &latency,
        );
        // The summary's sum and count follow its quantiles, in its family;
        // the sum is added up from the histogram (3 significant figures).
        let h = &self.batch_latency;
        let sum_nanos: u64 = h
            .iter_recorded()
            .map(|v| v.value_iterated_to().saturating_mul(v.count_at_value()))
            .fold(0, u64::saturating_add);
        let _ = writeln!(
            out,
            "camsentry_batch_latency_seconds_sum {}",
            sum_nanos as f64 / 1e9
        );
        let _ = writeln!(out, "camsentry_batch_latency_seconds_count {}", h.len());
        self.write_cameras(&mut out);
        write_sinks(&self.deliveries, &mut out);
        let _ = writeln!(
            out,
            "# HELP camsentry_build_info The running camsentry's version.\n\
             # TYPE camsentry_build_info gauge\n\
             camsentry_build_info{{version=\"{}\"}} 1",
            escape(env!("CARGO_PKG_VERSION"))
        );
        out
    }

    /// Packets dropped by cause and received by libpcap: per interface in
    /// live mode, the sums otherwise.
    fn capture_samples(&self) -> (Vec<Sample>, Vec<Sample>) {
        let r = &self.reader;
        let mut dropped = vec![(
            "{cause=\"queue_full\"}".to_string(),
            r.queue_dropped.to_string(),
        )];
        let mut received = Vec::new();
        if r.interfaces.is_empty() {
            dropped.push(("{cause=\"kernel\"}".into(), r.kernel_dropped.to_string()));
            dropped.push((
                "{cause=\"interface\"}".into(),
                r.interface_dropped.to_string(),
            ));
            received.push((String::new(), r.kernel_received.to_string()));
        }
        for (name, k) in &r.interfaces {
            let name = escape(name);
            dropped.push((
                format!("{{cause=\"kernel\",interface=\"{name}\"}}"),
                k.dropped.to_string(),
            ));
            dropped.push((
                format!("{{cause=\"interface\",interface=\"{name}\"}}"),
                k.interface_dropped.to_string(),
            ));
            received.push((format!("{{interface=\"{name}\"}}"), k.received.to_string()));
        }
        (dropped, received)
    }

    fn write_cameras(&self, out: &mut String) {
        let Some(gauges) = self.cameras else {
            return;
        };
        let _ = writeln!(
            out,
            "# HELP camsentry_cameras Cameras in the inventory.\n\
             # TYPE camsentry_cameras gauge\n\
             camsentry_cameras {}\n\
             # HELP camsentry_cameras_learning Cameras still in their learning period.\n\
             # TYPE camsentry_cameras_learning gauge\n\
             camsentry_cameras_learning {}",
            gauges.cameras, gauges.learning
        );
    }
}

type Get = fn(&SinkReport) -> u64;

/// The per-sink families: name, type, help, value.
const SINK_FAMILIES: [(&str, &str, &str, Get); 14] = [
    (
        "camsentry_sink_queued_lines_total",
        "counter",
        "Lines accepted into the sink's queue.",
        |s| s.counters.queued,
    ),
    (
        "camsentry_sink_sent_lines_total",
        "counter",
        "Lines written whole to the target for the first time.",
        |s| s.counters.sent,
    ),
    (
        "camsentry_sink_acknowledged_lines_total",
        "counter",
        "Lines the target took for sure (streams: acknowledged by the receiver).",
        |s| s.counters.acknowledged,
    ),
    (
        "camsentry_sink_spooled_lines_total",
        "counter",
        "Lines written to the spool.",
        |s| s.counters.spooled,
    ),
    (
        "camsentry_sink_resent_lines_total",
        "counter",
        "Lines written again after their connection failed or stalled.",
        |s| s.counters.resent,
    ),
    (
        "camsentry_sink_unconfirmed_lines_total",
        "counter",
        "Lines written but not confirmed when the sink stopped.",
        |s| s.counters.unconfirmed,
    ),
    (
        "camsentry_sink_reconnects_total",
        "counter",
        "Connections made after the first.",
        |s| s.counters.reconnects,
    ),
    (
        "camsentry_sink_stalls_total",
        "counter",
        "Connections dropped because the receiver stopped acknowledging.",
        |s| s.counters.stalls,
    ),
    (
        "camsentry_sink_connect_failures_total",
        "counter",
        "Failed connection attempts.",
        |s| s.counters.connect_failures,
    ),
    (
        "camsentry_sink_queue_lines",
        "gauge",
        "Lines in the sink's queue now.",
        |s| s.counters.queue_lines,
    ),
    (
        "camsentry_sink_queue_bytes",
        "gauge",
        "Bytes of the lines in the sink's queue now.",
        |s| s.counters.queue_bytes,
    ),
    (
        "camsentry_sink_spool_bytes",
        "gauge",
        "Bytes in the sink's spool now.",
        |s| s.counters.spool_bytes,
    ),
    (
        "camsentry_sink_unacknowledged_lines",
        "gauge",
        "Lines written on the current connection and not yet acknowledged.",
        |s| s.counters.unacknowledged,
    ),
    (
        "camsentry_sink_connected",
        "gauge",
        "1 while the target is connected.",
        |s| u64::from(s.counters.connected),
    ),
];

/// The delivery metrics of every network sink.
fn write_sinks(sinks: &[SinkReport], out: &mut String) {
    if sinks.is_empty() {
        return;
    }
    let labels: Vec<String> = sinks
        .iter()
        .map(|s| format!("output=\"{}\",sink=\"{}\"", s.output, escape(&s.sink)))
        .collect();
    for (name, kind, help, get) in SINK_FAMILIES {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (sink, labels) in sinks.iter().zip(&labels) {
            let _ = writeln!(out, "{name}{{{labels}}} {}", get(sink));
        }
    }
    let name = "camsentry_sink_dropped_lines_total";
    let _ = writeln!(
        out,
        "# HELP {name} Lines the sink dropped, by reason.\n# TYPE {name} counter"
    );
    for (sink, labels) in sinks.iter().zip(&labels) {
        let c = &sink.counters;
        for (reason, n) in [
            ("queue_full", c.dropped_queue_full),
            ("spool_full", c.dropped_spool_full),
            ("invalid", c.dropped_invalid),
            ("at_shutdown", c.dropped_at_shutdown),
        ] {
            let _ = writeln!(out, "{name}{{{labels},reason=\"{reason}\"}} {n}");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::stats::telemetry::tests::snapshot;

    #[test]
    fn prometheus_text_has_conventional_names_and_labels() {
        let text = snapshot().prometheus();
        assert!(
            text.contains("# TYPE camsentry_packets_total counter\ncamsentry_packets_total 10\n")
        );
        assert!(
            text.contains(
                "camsentry_dropped_packets_total{cause=\"kernel\",interface=\"eth1\"} 2\n"
            )
        );
        assert!(text.contains("camsentry_kernel_received_packets_total{interface=\"eth2\"} 5\n"));
        assert!(text.contains("camsentry_batch_latency_seconds_sum 0.00004"));
        assert!(text.contains("camsentry_batch_latency_seconds_count 1\n"));
        assert!(text.contains("camsentry_cameras 5\n"));
        assert!(text.contains("camsentry_cameras_learning 2\n"));
        assert!(text.contains(&format!(
            "camsentry_build_info{{version=\"{}\"}} 1\n",
            env!("CARGO_PKG_VERSION")
        )));
        let labels =
            "output=\"alerts\",sink=\"syslog+tls://siem.example:6514?ca=/etc/ca \\\"x\\\"\"";
        for (family, value) in [
            ("acknowledged_lines_total", 7),
            ("reconnects_total", 2),
            ("queue_bytes", 300),
            ("connected", 1),
        ] {
            let sample = format!("camsentry_sink_{family}{{{labels}}} {value}\n");
            assert!(text.contains(&sample), "{sample} in {text}");
        }
        assert!(text.contains(&format!(
            "camsentry_sink_dropped_lines_total{{{labels},reason=\"queue_full\"}} 1\n"
        )));
        assert!(text.contains("camsentry_alerts_total{rule=\"CAMSENTRY-EGRESS-1\"} 3\n"));
        assert!(text.contains("camsentry_live_flows 4\n"));
        assert!(text.contains("camsentry_batch_latency_seconds{quantile=\"0.5\"} 0.00004"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            assert!(name.starts_with("camsentry_"), "{line}");
        }
    }
}
