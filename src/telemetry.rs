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

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::decode::{DecodeError, TUNNEL_KINDS};
use crate::flow::TableCounters;
use crate::stats::ReaderCounters;
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

fn quantile_us(histogram: &Histogram<u64>, q: f64) -> f64 {
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

/// Scrapes served at once; a connection beyond them is answered 503 at
/// once, so a pile of idle clients can delay nobody.
const MAX_CONNECTIONS: usize = 16;

/// Time a client has to send its request head, and again to take the
/// answer.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// Largest request head read.
const MAX_HEAD: usize = 8192;

/// Serves the latest metrics text on `address` until the process ends.
///
/// Each connection gets its own short-lived thread with a deadline, so an
/// idle or slow client never holds up a scrape. Only `GET /metrics` is
/// answered with the metrics (404 for any other path, 405 for any other
/// method); every answer closes the connection.
pub fn serve_metrics(address: SocketAddr, text: Arc<Mutex<String>>) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(address)?;
    let bound = listener.local_addr()?;
    let active = Arc::new(AtomicUsize::new(0));
    std::thread::Builder::new()
        .name("camsentry-metrics".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_write_timeout(Some(CONNECTION_TIMEOUT));
                if active.load(Ordering::Acquire) >= MAX_CONNECTIONS {
                    respond(
                        &mut stream,
                        "503 Service Unavailable",
                        "too many scrapes at once\n",
                    );
                    continue;
                }
                active.fetch_add(1, Ordering::AcqRel);
                let (text, done) = (Arc::clone(&text), Arc::clone(&active));
                let spawned = std::thread::Builder::new()
                    .name("camsentry-scrape".into())
                    .spawn(move || {
                        serve_one(stream, &text);
                        done.fetch_sub(1, Ordering::AcqRel);
                    });
                if spawned.is_err() {
                    active.fetch_sub(1, Ordering::AcqRel);
                }
            }
        })?;
    Ok(bound)
}

/// Reads one request head (within [`CONNECTION_TIMEOUT`]) and answers it.
fn serve_one(mut stream: TcpStream, text: &Mutex<String>) {
    let deadline = Instant::now() + CONNECTION_TIMEOUT;
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n") {
            break;
        }
        if head.len() >= MAX_HEAD {
            respond(
                &mut stream,
                "431 Request Header Fields Too Large",
                "request head too large\n",
            );
            return;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match stream.read(&mut chunk) {
            // Closed or timed out before the request was complete: nothing
            // to answer.
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    }
    let request = String::from_utf8_lossy(&head);
    let mut words = request
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace();
    let (method, target) = (words.next().unwrap_or_default(), words.next());
    let Some(target) = target else {
        respond(&mut stream, "400 Bad Request", "bad request line\n");
        return;
    };
    let path = target.split('?').next().unwrap_or_default();
    if path != "/metrics" {
        respond(&mut stream, "404 Not Found", "metrics are at /metrics\n");
    } else if method != "GET" {
        respond(
            &mut stream,
            "405 Method Not Allowed",
            "only GET is served\n",
        );
    } else {
        let body = text.lock().map(|t| t.clone()).unwrap_or_default();
        respond(&mut stream, "200 OK", &body);
    }
}

fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    let content_type = if status.starts_with("200") {
        "text/plain; version=0.0.4; charset=utf-8"
    } else {
        "text/plain; charset=utf-8"
    };
    let allow = if status.starts_with("405") {
        "Allow: GET\r\n"
    } else {
        ""
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{allow}Connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
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

    #[test]
    fn stats_record_is_one_json_object() {
        let value = snapshot().json(SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_600_000));
        assert_eq!(value["event_type"], "stats");
        assert_eq!(value["timestamp"], "2026-01-05T08:00:00.000000Z");
        assert_eq!(value["dropped"]["kernel"], 2);
        assert_eq!(value["alerts"]["CAMSENTRY-EGRESS-1"], 3);
    }

    /// Sends `request` and reads the whole answer, waiting at most 5 s (a
    /// hang bound: an answer comes at once).
    fn exchange(address: SocketAddr, request: &str) -> String {
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .expect("the endpoint answers while other clients sit idle");
        answer
    }

    #[test]
    fn idle_clients_do_not_delay_a_scrape_and_only_get_metrics_is_served() {
        let text = Arc::new(Mutex::new("camsentry_packets_total 7\n".to_string()));
        let address = serve_metrics("127.0.0.1:0".parse().unwrap(), text).unwrap();
        // Five clients connect and say nothing (they are kept open).
        let idle: Vec<TcpStream> = (0..5)
            .map(|_| TcpStream::connect(address).unwrap())
            .collect();
        let answer = exchange(address, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(
            answer.ends_with("\r\n\r\ncamsentry_packets_total 7\n"),
            "{answer}"
        );
        let answer = exchange(address, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        let answer = exchange(address, "GET / HTTP/1.1\r\n\r\n");
        assert!(answer.starts_with("HTTP/1.1 404 Not Found\r\n"), "{answer}");
        let answer = exchange(address, "GET /metricsx HTTP/1.1\r\n\r\n");
        assert!(answer.starts_with("HTTP/1.1 404 Not Found\r\n"), "{answer}");
        let answer = exchange(
            address,
            "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        );
        assert!(
            answer.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
            "{answer}"
        );
        assert!(answer.contains("\r\nAllow: GET\r\n"), "{answer}");
        let answer = exchange(address, "nonsense\r\n\r\n");
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{answer}"
        );
        drop(idle);
    }
}
