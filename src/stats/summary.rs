//! The end-of-run summary: what every input, thread and output did, as
//! the text printed on stderr and the JSON of `--stats-json`, and how
//! completely the run did its work (the exit status).

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};

use super::{ReaderCounters, WorkerCounters};
use crate::capture::FileOutcome;
use crate::decode::{DecodeError, TUNNEL_KINDS};

/// How completely a run did its work, for the exit status. When several
/// apply, lost output takes precedence over damaged captures: a SIEM cannot
/// notice lines that never reached it, while a damaged capture is visible
/// in the summary and repeatable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// Every input read to its end, every output line delivered or kept.
    Complete,
    /// At least one capture file was unreadable or truncated.
    CapturesDamaged,
    /// Some output lines were lost: dropped (including refused) or
    /// unconfirmed by a network sink.
    OutputLost,
}

/// The lines one output took over the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// `alerts`, `flows` or `stats`.
    pub output: &'static str,
    /// The destination's spec as given.
    pub sink: String,
    /// Lines written to a file or stdout; for a network sink, lines sent
    /// (its delivery counters say how many were acknowledged).
    pub lines: u64,
}

/// Everything the end-of-run summary reports.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub files: Vec<FileOutcome>,
    pub reader: ReaderCounters,
    pub workers: WorkerCounters,
    pub worker_threads: usize,
    pub flow_records: u64,
    pub alerts: u64,
    pub elapsed: Duration,
    /// Counters of each network sink (spec, counters).
    pub deliveries: Vec<(String, crate::sink::SinkCounters)>,
    /// Lines each output took (files and stdout too).
    pub written: Vec<Written>,
    /// Directory entries passed over because they are not regular files.
    pub skipped_inputs: usize,
}

impl RunSummary {
    pub fn files_failed(&self) -> usize {
        self.files.iter().filter(|f| f.error.is_some()).count()
    }

    /// Lines of output lost, over all network sinks.
    pub fn output_lost(&self) -> u64 {
        self.deliveries.iter().map(|(_, c)| c.lost()).sum()
    }

    pub fn completion(&self) -> Completion {
        if self.output_lost() > 0 {
            Completion::OutputLost
        } else if self.files_failed() > 0 {
            Completion::CapturesDamaged
        } else {
            Completion::Complete
        }
    }

    /// The summary's last line when output was lost: how many lines, to
    /// which outputs, why, and the output's last error.
    pub fn render_loss(&self) -> Option<String> {
        let total = self.output_lost();
        if total == 0 {
            return None;
        }
        let parts: Vec<String> = self
            .deliveries
            .iter()
            .filter(|(_, c)| c.lost() > 0)
            .map(|(spec, c)| {
                let causes: Vec<String> = [
                    ("queue full", c.dropped_queue_full),
                    ("spool full or absent", c.dropped_spool_full),
                    ("refused", c.dropped_invalid),
                    ("undelivered at shutdown", c.dropped_at_shutdown),
                    ("unconfirmed", c.unconfirmed),
                ]
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(what, n)| format!("{what} {n}"))
                .collect();
                let error = c
                    .last_error
                    .as_deref()
                    .map(|e| format!("; last error: {e}"))
                    .unwrap_or_default();
                format!("{} to {spec} ({}{error})", c.lost(), causes.join(", "))
            })
            .collect();
        Some(format!(
            "camsentry: output lost: {total} line(s): {}",
            parts.join("; ")
        ))
    }

    fn rates(&self) -> (f64, f64) {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        (
            self.reader.packets as f64 / secs,
            self.reader.wire_bytes as f64 * 8.0 / secs / 1e9,
        )
    }

    fn latency_us(&self, quantile: f64) -> f64 {
        self.workers.batch_latency.value_at_quantile(quantile) as f64 / 1000.0
    }

    /// The human summary written to stderr at the end of a run.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let r = &self.reader;
        let (pps, gbps) = self.rates();
        // A live run names its interfaces (even when it saw nothing);
        // replay its files.
        let live = !r.interfaces.is_empty();
        let source = if live {
            let names: Vec<&str> = r.interfaces.iter().map(|(n, _)| n.as_str()).collect();
            format!("live capture on {}", names.join(", "))
        } else {
            let mut source = format!(
                "{} file(s) ({} failed",
                self.files.len(),
                self.files_failed()
            );
            if self.skipped_inputs > 0 {
                let _ = write!(source, ", {} skipped", self.skipped_inputs);
            }
            if self.files.iter().any(|f| f.interrupted) {
                source.push_str(", interrupted");
            }
            source.push(')');
            source
        };
        let _ = writeln!(
            out,
            "camsentry: {source}, {} packets, {} bytes on the wire, {:.3} s",
            r.packets,
            r.wire_bytes,
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "  decoded: {} ip, {} arp, {} later fragments; decode failures: {}",
            r.ip_packets,
            r.arp_packets,
            r.later_fragments,
            r.decode_failures()
        );
        for reason in DecodeError::ALL {
            let n = r.decode_errors[reason.index()];
            if n > 0 {
                let _ = writeln!(out, "    {:<22} {n}", reason.name());
            }
        }
        let tunnels: Vec<String> = TUNNEL_KINDS
            .iter()
            .zip(r.tunnelled)
            .filter(|(_, n)| *n > 0)
            .map(|(kind, n)| format!("{} {n}", kind.name()))
            .collect();
        if !tunnels.is_empty() {
            let _ = writeln!(out, "  decapsulated: {}", tunnels.join(", "));
        }
        if live || r.kernel_received > 0 || r.queue_dropped > 0 {
            let _ = writeln!(
                out,
                "  capture: {} received by libpcap, dropped {} (kernel buffer), {} (interface), {} (worker queues full)",
                r.kernel_received, r.kernel_dropped, r.interface_dropped, r.queue_dropped
            );
        }
        if r.interfaces.len() > 1 {
            for (name, k) in &r.interfaces {
                let _ = writeln!(
                    out,
                    "    {name}: {} received, dropped {} (kernel buffer), {} (interface)",
                    k.received, k.dropped, k.interface_dropped
                );
            }
        }
        if r.readers.len() > 1 {
            let readers: Vec<String> = r
                .readers
                .iter()
                .enumerate()
                .map(|(index, s)| {
                    format!(
                        "#{index} {} received, {} + {} dropped",
                        s.received, s.dropped, s.interface_dropped
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "  readers (kernel buffer + interface drops): {}",
                readers.join("; ")
            );
        }
        let t = &self.workers.table;
        let _ = writeln!(
            out,
            "  flows: {} created, {} expired, {} evicted, {} flushed at end; {} records written",
            t.created, t.expired, t.evicted, t.flushed, self.flow_records
        );
        let _ = writeln!(
            out,
            "  throughput: {pps:.0} packets/s, {gbps:.3} Gbit/s with {} worker(s)",
            self.worker_threads
        );
        let _ = writeln!(
            out,
            "  batch latency (us): p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1} over {} batches",
            self.latency_us(0.5),
            self.latency_us(0.9),
            self.latency_us(0.99),
            self.workers.batch_latency.max() as f64 / 1000.0,
            self.workers.batches
        );
        for output in ["alerts", "flows", "stats"] {
            let parts: Vec<String> = self
                .written
                .iter()
                .filter(|w| w.output == output)
                .map(|w| self.written_text(w))
                .collect();
            if !parts.is_empty() {
                let _ = writeln!(out, "  {output} written: {}", parts.join("; "));
            }
        }
        for (spec, counters) in &self.deliveries {
            let _ = writeln!(out, "  delivery to {spec}: {counters}");
        }
        for file in self.files.iter().filter(|f| f.error.is_some()) {
            let _ = writeln!(
                out,
                "  error: {}: {} (after {} packets)",
                file.display_name(),
                file.error.as_deref().unwrap_or_default(),
                file.packets
            );
        }
        out
    }

    /// `12 to alerts.json`, or for a network sink `12 to SPEC (12
    /// acknowledged)` (`(at most once)` for UDP, which has no
    /// acknowledgement).
    fn written_text(&self, written: &Written) -> String {
        let counters = self.deliveries.iter().find(|(s, _)| *s == written.sink);
        let note = match counters {
            None => String::new(),
            Some((spec, c)) => {
                let datagram = spec.starts_with("udp://") || spec.starts_with("syslog+udp://");
                if datagram {
                    " (at most once)".to_string()
                } else {
                    format!(" ({} acknowledged)", c.acknowledged)
                }
            }
        };
        format!("{} to {}{note}", written.lines, written.sink)
    }

    /// The same figures as JSON (`--stats-json`).
    pub fn to_json(&self) -> Value {
        let r = &self.reader;
        let (pps, gbps) = self.rates();
        let mut tunnels = serde_json::Map::new();
        for (kind, n) in TUNNEL_KINDS.iter().zip(r.tunnelled) {
            tunnels.insert(kind.name().into(), n.into());
        }
        let files: Vec<Value> = self
            .files
            .iter()
            .map(|f| {
                json!({
                    "path": f.path.display().to_string(),
                    "link_type": f.link_name,
                    "packets": f.packets,
                    "bytes": f.bytes,
                    "error": f.error,
                    "interrupted": f.interrupted,
                })
            })
            .collect();
        let t = &self.workers.table;
        let h = &self.workers.batch_latency;
        let deliveries: Vec<Value> = self
            .deliveries
            .iter()
            .map(|(spec, c)| {
                let mut value = serde_json::to_value(c).unwrap_or_default();
                value["output"] = spec.as_str().into();
                value["lost"] = c.lost().into();
                value
            })
            .collect();
        json!({
            "files": files,
            "files_failed": self.files_failed(),
            "skipped_inputs": self.skipped_inputs,
            "packets": r.packets,
            "wire_bytes": r.wire_bytes,
            "captured_bytes": r.captured_bytes,
            "ip_packets": r.ip_packets,
            "arp_packets": r.arp_packets,
            "later_fragments": r.later_fragments,
            "decode_failures": r.decode_failures_json(),
            "decapsulated": tunnels,
            "dropped": r.dropped_json(),
            "kernel_received": r.kernel_received,
            "interfaces": r.interfaces.iter().map(|(name, k)| json!({
                "name": name,
                "received": k.received,
                "dropped": k.dropped,
                "interface_dropped": k.interface_dropped,
            })).collect::<Vec<Value>>(),
            "readers": r.readers_json(),
            "flows": {
                "created": t.created,
                "expired": t.expired,
                "evicted": t.evicted,
                "flushed": t.flushed,
                "records_written": self.flow_records,
            },
            "alerts": self.alerts,
            "written": self.written.iter().map(|w| json!({
                "output": w.output,
                "sink": w.sink,
                "lines": w.lines,
            })).collect::<Vec<Value>>(),
            "deliveries": deliveries,
            "output_lost": self.output_lost(),
            "workers": self.worker_threads,
            "elapsed_seconds": self.elapsed.as_secs_f64(),
            "packets_per_second": pps,
            "gbits_per_second": gbps,
            "batch_latency_us": {
                "batches": self.workers.batches,
                "p50": h.value_at_quantile(0.5) as f64 / 1000.0,
                "p90": h.value_at_quantile(0.9) as f64 / 1000.0,
                "p99": h.value_at_quantile(0.99) as f64 / 1000.0,
                "max": h.max() as f64 / 1000.0,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::SinkCounters;
    use std::path::PathBuf;

    fn summary(damaged: bool, deliveries: Vec<(String, SinkCounters)>) -> RunSummary {
        RunSummary {
            files: vec![FileOutcome {
                path: PathBuf::from("a.pcap"),
                packets: 10,
                bytes: 1000,
                link_name: "EN10MB".into(),
                links: Vec::new(),
                error: damaged.then(|| "truncated".into()),
                interrupted: false,
            }],
            reader: ReaderCounters::default(),
            workers: WorkerCounters::default(),
            worker_threads: 1,
            flow_records: 0,
            alerts: 3,
            elapsed: Duration::from_millis(5),
            written: Vec::new(),
            deliveries,
            skipped_inputs: 0,
        }
    }

    #[test]
    fn lost_output_decides_the_completion_and_ends_the_summary() {
        let fine = SinkCounters {
            queued: 3,
            sent: 3,
            acknowledged: 3,
            ..SinkCounters::default()
        };
        let ok = summary(false, vec![("syslog+tcp://127.0.0.1:514".into(), fine)]);
        assert_eq!(ok.completion(), Completion::Complete);
        assert_eq!(ok.render_loss(), None);
        assert_eq!(ok.to_json()["output_lost"], 0);
        assert_eq!(
            summary(true, Vec::new()).completion(),
            Completion::CapturesDamaged
        );

        // A UDP line over the datagram limit is refused by the sink, and
        // counted as lost like any drop.
        let udp = SinkCounters {
            queued: 2,
            sent: 2,
            dropped: 1,
            dropped_invalid: 1,
            ..SinkCounters::default()
        };
        let tcp = SinkCounters {
            queued: 3,
            sent: 3,
            acknowledged: 1,
            unconfirmed: 2,
            last_error: Some("the receiver stalled".into()),
            ..SinkCounters::default()
        };
        let lost = summary(
            true,
            vec![
                ("syslog+udp://127.0.0.1:514".into(), udp),
                ("tcp://127.0.0.1:9000".into(), tcp),
            ],
        );
        // Lost output takes precedence over a damaged capture.
        assert_eq!(lost.completion(), Completion::OutputLost);
        assert_eq!(lost.output_lost(), 3);
        assert_eq!(
            lost.render_loss().unwrap(),
            "camsentry: output lost: 3 line(s): 1 to syslog+udp://127.0.0.1:514 (refused 1); \
             2 to tcp://127.0.0.1:9000 (unconfirmed 2; last error: the receiver stalled)"
        );
        let json = lost.to_json();
        assert_eq!(json["output_lost"], 3);
        assert_eq!(
            json["deliveries"][0]["output"],
            "syslog+udp://127.0.0.1:514"
        );
        assert_eq!(json["deliveries"][0]["dropped_invalid"], 1);
        assert_eq!(json["deliveries"][1]["acknowledged"], 1);
        assert_eq!(json["deliveries"][1]["lost"], 2);
    }

    #[test]
    fn a_live_run_that_saw_nothing_says_so_with_its_capture_line() {
        let mut quiet = summary(false, Vec::new());
        quiet.files.clear();
        quiet.reader.interfaces = vec![
            ("eth1".into(), crate::capture::KernelStats::default()),
            ("eth2".into(), crate::capture::KernelStats::default()),
        ];
        let text = quiet.render_text();
        assert!(
            text.starts_with("camsentry: live capture on eth1, eth2, 0 packets,"),
            "{text}"
        );
        assert!(
            text.contains("\n  capture: 0 received by libpcap, dropped 0 (kernel buffer), 0 (interface), 0 (worker queues full)\n"),
            "{text}"
        );
        assert!(
            text.contains("\n    eth2: 0 received, dropped 0 (kernel buffer), 0 (interface)\n")
        );
        assert!(!text.contains("file(s)"), "{text}");
        assert_eq!(quiet.to_json()["interfaces"][1]["name"], "eth2");
    }

    #[test]
    fn the_summary_says_how_many_lines_each_output_took() {
        let tls = SinkCounters {
            queued: 3,
            sent: 3,
            acknowledged: 2,
            unconfirmed: 1,
            ..SinkCounters::default()
        };
        let mut run = summary(false, vec![("syslog+tls://siem:6514".into(), tls)]);
        run.written = vec![
            Written {
                output: "alerts",
                sink: "alerts.json".into(),
                lines: 3,
            },
            Written {
                output: "alerts",
                sink: "syslog+tls://siem:6514".into(),
                lines: 3,
            },
            Written {
                output: "flows",
                sink: "-".into(),
                lines: 7,
            },
        ];
        let text = run.render_text();
        assert!(
            text.contains("\n  alerts written: 3 to alerts.json; 3 to syslog+tls://siem:6514 (2 acknowledged)\n"),
            "{text}"
        );
        assert!(text.contains("\n  flows written: 7 to -\n"), "{text}");
        assert_eq!(run.to_json()["written"][2]["lines"], 7);
    }
}
