//! Exit status and summary of runs that deliver alerts over the network,
//! through the real binary:
//!
//! - a receiver that is absent, without a spool: every alert is lost,
//!   exit status 4, and the summary's last line names the count and sink;
//! - the same with a spool: the alerts are kept, exit status 0;
//! - a receiver that takes everything: exit status 0, every alert
//!   acknowledged.
//!
//! The receiver is a TCP listener of this test on loopback.

mod common;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A port on loopback with nothing listening on it.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .expect("local address")
        .port()
}

/// The `egress` scenario, which raises alerts under the sample policy.
fn egress_capture(dir: &Path) -> PathBuf {
    common::synth(dir, "egress")
}

fn policy() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/policy/site.toml")
        .display()
        .to_string()
}

/// `replay` of `capture` with alerts to `sink` and `extra` flags; returns
/// the output and the `--stats-json` figures.
fn replay(dir: &Path, capture: &Path, sink: &str, extra: &[&str]) -> (std::process::Output, Value) {
    let stats = dir.join("stats.json");
    let policy = policy();
    let mut args = vec![
        "replay",
        "-q",
        "--policy",
        &policy,
        "--alerts",
        sink,
        "--stats-json",
        stats.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.push(capture.to_str().unwrap());
    let output = common::run(&args);
    let text = std::fs::read_to_string(&stats)
        .unwrap_or_else(|e| panic!("no stats JSON ({e}); stderr: {}", common::stderr(&output)));
    let json: Value = serde_json::from_str(&text).expect("stats JSON");
    (output, json)
}

fn last_line(output: &std::process::Output) -> String {
    common::stderr(output)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn alerts_to_an_absent_receiver_without_a_spool_exit_4() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = egress_capture(dir.path());
    let sink = format!("syslog+tcp://127.0.0.1:{}", closed_port());
    let (output, json) = replay(dir.path(), &capture, &sink, &[]);
    let alerts = json["alerts"].as_u64().expect("alert count");
    assert!(alerts >= 1, "the scenario raises alerts");
    assert_eq!(output.status.code(), Some(4), "{}", common::stderr(&output));
    let last = last_line(&output);
    assert!(
        last.starts_with(&format!(
            "camsentry: output lost: {alerts} line(s): {alerts} to {sink} (undelivered at shutdown {alerts}; last error: "
        )),
        "{last}"
    );
    assert_eq!(json["output_lost"], alerts);
    let delivery = &json["deliveries"][0];
    assert_eq!(delivery["output"], sink.as_str());
    assert_eq!(delivery["queued"], alerts);
    assert_eq!(delivery["sent"], 0);
    assert_eq!(delivery["dropped_at_shutdown"], alerts);
    assert_eq!(delivery["lost"], alerts);
}

#[test]
fn alerts_kept_in_the_spool_are_not_lost() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = egress_capture(dir.path());
    let spool = dir.path().join("spool");
    let sink = format!("syslog+tcp://127.0.0.1:{}", closed_port());
    let (output, json) = replay(
        dir.path(),
        &capture,
        &sink,
        &["--spool-dir", spool.to_str().unwrap()],
    );
    let stderr = common::stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("output lost"), "{stderr}");
    let alerts = json["alerts"].as_u64().expect("alert count");
    assert!(alerts >= 1);
    assert_eq!(json["output_lost"], 0);
    assert_eq!(json["deliveries"][0]["spooled"], alerts);
}

/// Accepts connections on `listener` and reads each to its end, until
/// `deadline`; returns the bytes read.
fn receive_until(listener: TcpListener, deadline: Instant) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let mut data = Vec::new();
        while Instant::now() < deadline {
            let mut stream: TcpStream = match listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(10));
                    continue;
                }
                Err(e) => panic!("accept: {e}"),
            };
            stream.set_nonblocking(false).expect("blocking stream");
            let left = deadline.saturating_duration_since(Instant::now());
            stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .expect("read timeout");
            // End of stream: the sink closed the connection at shutdown.
            let _ = stream.read_to_end(&mut data);
            break;
        }
        data
    })
}

#[test]
fn alerts_all_delivered_exit_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = egress_capture(dir.path());
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let receiver = receive_until(listener, Instant::now() + Duration::from_secs(60));
    let file = dir.path().join("alerts.json");
    let sink = format!("tcp://127.0.0.1:{port}");
    let (output, json) = replay(
        dir.path(),
        &capture,
        &sink,
        &["--alerts", file.to_str().unwrap()],
    );
    let stderr = common::stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("output lost"), "{stderr}");
    let received = receiver.join().expect("receiver thread");
    let expected = std::fs::read(&file).expect("the file copy");
    assert_eq!(received, expected, "the receiver got the file's lines");
    let alerts = json["alerts"].as_u64().expect("alert count");
    assert!(alerts >= 1);
    let delivery = &json["deliveries"][0];
    assert_eq!(delivery["sent"], alerts);
    assert_eq!(delivery["acknowledged"], alerts);
    assert_eq!(delivery["lost"], 0);
    assert_eq!(json["output_lost"], 0);
}
