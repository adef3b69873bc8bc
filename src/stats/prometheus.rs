//! The Prometheus text exposition format (version 0.0.4) of a
//! [`Snapshot`], written by hand as Vector does: names follow
//! `camsentry_<name>_<unit>_total`, label values are bounded (rule ids,
//! fixed reasons and causes).

use std::fmt::Write as _;

use super::telemetry::{Snapshot, quantile_us};
use crate::decode::{DecodeError, TUNNEL_KINDS};

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
        metric(
            "camsentry_dropped_packets_total",
            "counter",
            "Packets lost, by cause: worker queue full, kernel buffer full, interface.",
            &[
                ("{cause=\"queue_full\"}".into(), r.queue_dropped.to_string()),
                ("{cause=\"kernel\"}".into(), r.kernel_dropped.to_string()),
                (
                    "{cause=\"interface\"}".into(),
                    r.interface_dropped.to_string(),
                ),
            ],
        );
        metric(
            "camsentry_kernel_received_packets_total",
            "counter",
            "Packets libpcap reports the kernel received.",
            &one(r.kernel_received),
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
        out
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
        assert!(text.contains("camsentry_dropped_packets_total{cause=\"kernel\"} 2\n"));
        assert!(text.contains("camsentry_alerts_total{rule=\"CAMSENTRY-EGRESS-1\"} 3\n"));
        assert!(text.contains("camsentry_live_flows 4\n"));
        assert!(text.contains("camsentry_batch_latency_seconds{quantile=\"0.5\"} 0.00004"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            assert!(name.starts_with("camsentry_"), "{line}");
        }
    }
}
