//! The `--metrics-listen` endpoint of a running sensor, through the real
//! binary: `replay` of a FIFO that stays open (so the sensor keeps running
//! while it is scraped), alerts to a TCP receiver of this test.
//!
//! - `/metrics` holds the delivery metrics of the network sink, the
//!   camera and learning gauges, the build info and the batch-latency
//!   summary with its `_sum` and `_count`; any other path is 404.
//! - `promtool check metrics` accepts the text. `scripts/test` puts
//!   promtool on the PATH, taken out of Debian's `prometheus` package
//!   (`scripts/promtool.sh`: the package itself would install 323 MB of
//!   server and web UI); elsewhere the check is skipped with a message,
//!   unless `CAMSENTRY_REQUIRE_SHARED` asks for every external check, as CI
//!   does.
//!
//! Every wait has a deadline; the sensor is killed if the test fails.

mod common;

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::free_port;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP GET; `None` while nothing listens.
fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

/// The value of the sample `series` (name and labels) in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

fn promtool() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("promtool"))
            .find(|p| p.exists())
    });
    if found.is_none() {
        assert!(
            !common::shared_required(),
            "promtool is not on the PATH and {} is set (scripts/promtool.sh provides it)",
            common::REQUIRE_SHARED
        );
        eprintln!(
            "promtool check skipped: promtool is not on the PATH (scripts/promtool.sh provides it)"
        );
    }
    found
}

#[test]
fn a_running_sensor_serves_checked_metrics_with_delivery_counters() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = std::fs::read(common::synth(dir.path(), "worm-internet")).expect("capture");
    let fifo = dir.path().join("input.pcap");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
    let receiver = TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
    let receiver_port = receiver.local_addr().expect("address").port();
    // Takes the alert stream until the sensor closes it.
    let received = thread::spawn(move || {
        let (mut stream, _) = receiver.accept().expect("the sink connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .expect("read timeout");
        let mut data = Vec::new();
        let _ = stream.read_to_end(&mut data);
        data
    });
    let metrics_port = free_port();
    let sink = format!("tcp://127.0.0.1:{receiver_port}");
    let sensor = common::camsentry()
        .args(["replay", "-q", "--alerts", &sink, "--alerts"])
        .arg(dir.path().join("alerts.json"))
        .args(["--metrics-listen", &format!("127.0.0.1:{metrics_port}")])
        .arg(&fifo)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start camsentry");
    let mut sensor = Killed(sensor);

    // The sensor opens the FIFO for reading: then a writer may open it.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut writer = loop {
        match OpenOptions::new()
            .write(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(&fifo)
        {
            Ok(file) => break file,
            Err(e) => {
                assert!(
                    Instant::now() < deadline,
                    "the sensor never opened its input: {e}"
                );
                assert!(
                    sensor.0.try_wait().expect("status").is_none(),
                    "camsentry exited"
                );
                thread::sleep(Duration::from_millis(20));
            }
        }
    };
    nix::fcntl::fcntl(
        &writer,
        nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::empty()),
    )
    .expect("blocking writes");
    writer.write_all(&capture).expect("feed the capture");

    // Metrics are rendered once a second from the epochs seen: wait for
    // the packets (bounded), the FIFO still open.
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let answer = get(metrics_port, "/metrics").unwrap_or_default();
        if sample(&answer, "camsentry_packets_total").is_some_and(|n| n > 0.0)
            && answer.contains("camsentry_sink_sent_lines_total{")
        {
            break answer;
        }
        assert!(Instant::now() < deadline, "no metrics in time: {answer}");
        thread::sleep(Duration::from_millis(50));
    };
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    let labels = format!("{{output=\"alerts\",sink=\"{sink}\"}}");
    for family in [
        "queued_lines_total",
        "sent_lines_total",
        "acknowledged_lines_total",
        "spooled_lines_total",
        "reconnects_total",
        "queue_lines",
        "queue_bytes",
        "spool_bytes",
        "connected",
    ] {
        let series = format!("camsentry_sink_{family}{labels}");
        assert!(sample(body, &series).is_some(), "{series} missing: {body}");
    }
    assert!(body.contains(&format!(
        "camsentry_build_info{{version=\"{}\"}} 1\n",
        env!("CARGO_PKG_VERSION")
    )));
    // Without a policy the cameras are found passively and learn for an
    // hour of packet time: the capture's ten minutes are all learning.
    let cameras = sample(body, "camsentry_cameras").expect("cameras gauge");
    assert!(cameras >= 1.0, "{body}");
    assert_eq!(sample(body, "camsentry_cameras_learning"), Some(cameras));
    let count = sample(body, "camsentry_batch_latency_seconds_count").expect("count");
    assert!(count >= 1.0);
    assert!(sample(body, "camsentry_batch_latency_seconds_sum").is_some_and(|s| s > 0.0));
    let other = get(metrics_port, "/").expect("an answer");
    assert!(other.starts_with("HTTP/1.1 404 Not Found"), "{other}");

    if let Some(promtool) = promtool() {
        let mut check = Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run promtool");
        check
            .stdin
            .take()
            .expect("stdin")
            .write_all(body.as_bytes())
            .expect("feed promtool");
        let output = check.wait_with_output().expect("promtool result");
        assert!(
            output.status.success(),
            "promtool check metrics: {}{}\n{body}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    // End of input: the sensor finishes, delivers, and says so.
    drop(writer);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = sensor.0.try_wait().expect("status") {
            break status;
        }
        assert!(Instant::now() < deadline, "camsentry did not finish");
        thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    let _ = sensor
        .0
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr);
    assert_eq!(status.code(), Some(0), "{stderr}");
    let data = received.join().expect("receiver");
    let lines = data.iter().filter(|&&b| b == b'\n').count();
    let file = std::fs::read(dir.path().join("alerts.json")).expect("alerts file");
    assert_eq!(data, file, "the receiver got the file's lines");
    assert!(lines >= 1, "the worm raises alerts even while learning");
    let written = format!(
        "  alerts written: {lines} to {sink} ({lines} acknowledged); {lines} to {}\n",
        dir.path().join("alerts.json").display()
    );
    assert!(stderr.contains(&written), "{written} in {stderr}");
}
