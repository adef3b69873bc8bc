//! Delivery to a real syslog receiver: rsyslog on loopback, receiving
//! RFC 5424 over TCP with octet-counting frames and writing each message's
//! MSG (the JSON line) to a file.
//!
//! - Every line arrives byte-identical to the file sink's copy.
//! - rsyslog stopped mid-run (SIGTERM, later SIGKILL) and restarted on the
//!   same port: no line lost, duplicates only from the resend window and
//!   recognisable by `event.id`, first arrivals in order.
//! - rsyslog that stops reading (SIGSTOP) while alerts keep coming, past
//!   the socket buffers, then resumes (SIGCONT) or is killed and
//!   restarted: the sink detects the stall, reconnects and resends what
//!   was not acknowledged (and its resend window); every alert arrives,
//!   duplicates are counted, and every line is counted as acknowledged.
//! - rsyslog down at shutdown: the spool is sent first by the next sink
//!   started with the same spool directory.
//!
//! Skipped (with a message) when `rsyslogd` is not installed (Debian
//! package `rsyslog`). Each rsyslog runs in its own temporary directory
//! with its own pidfile, is stopped by its own PID and killed by a drop
//! guard if a test fails; every wait has a deadline.

mod common;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use camsentry::sink::{SinkCounters, SinkOptions, SinkSpec, Sinks, parse_spec};
use common::rsyslog::RsyslogProcess;
use common::{free_port, wait_until};
use nix::sys::signal::Signal;
use serde_json::json;

fn rsyslogd() -> Option<PathBuf> {
    let candidates = [
        PathBuf::from("/usr/sbin/rsyslogd"),
        PathBuf::from("/sbin/rsyslogd"),
    ];
    let found = candidates.into_iter().find(|p| p.exists()).or_else(|| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("rsyslogd"))
                .find(|p| p.exists())
        })
    });
    if found.is_none() {
        eprintln!("skipped: rsyslogd is not installed (Debian package `rsyslog`)");
    }
    found
}

/// Starts rsyslogd listening on `127.0.0.1:port`, appending the MSG of
/// every message to `dir/received.log`; `generation` keeps the pidfiles of
/// successive runs apart. Returns once it accepts connections.
fn start_rsyslog(binary: &Path, dir: &Path, port: u16, generation: u32) -> RsyslogProcess {
    let work = dir.join("work");
    fs::create_dir_all(&work).expect("rsyslog work directory");
    let config = dir.join("rsyslog.conf");
    // - maxMessageSize: the default 8 KiB would truncate long alerts.
    // - The template writes MSG only. For RFC 5424 input rsyslog's MSG
    //   starts right after the structured data's separating space, so
    //   no leading space needs stripping (`%msg:2:$%` is a RFC 3164
    //   habit). Control characters would be escaped on receive
    //   (`parser.escapeControlCharactersOnReceive`, on by default), but
    //   JSON lines contain none: serde_json escapes them.
    // - A ruleset of its own keeps rsyslog's internal messages out of
    //   the file.
    let text = format!(
        r#"global(workDirectory="{work}" maxMessageSize="64k")
module(load="imtcp")
template(name="msgonly" type="string" string="%msg%\n")
ruleset(name="camsentry") {{
    action(type="omfile" file="{out}" template="msgonly")
}}
input(type="imtcp" port="{port}" address="127.0.0.1" ruleset="camsentry")
"#,
        work = work.display(),
        out = dir.join("received.log").display(),
    );
    fs::write(&config, text).expect("write rsyslog.conf");
    let pidfile = dir.join(format!("rsyslogd-{generation}.pid"));
    RsyslogProcess::start(binary, &config, &pidfile, dir, port)
}

/// A realistic ECS alert line with a unique `event.id`. Sizes vary, some
/// lines are longer than rsyslog's default 8 KiB limit, and the text has
/// non-ASCII characters and JSON escapes that must arrive unchanged.
fn alert(n: usize) -> Vec<u8> {
    let padding = "x".repeat(match n % 97 {
        0 => 12_000,
        k => k * 13,
    });
    let value = json!({
        "@timestamp": format!("2026-05-01T12:{:02}:{:02}.{:06}Z", n / 60 % 60, n % 60, n),
        "event": {
            "kind": "alert",
            "category": ["network", "intrusion_detection"],
            "type": ["connection", "denied"],
            "action": "unexpected_egress",
            "severity": 1 + n % 3,
            "id": format!("{:024x}", 0x00c0_ffee_0000_u64 + n as u64),
            "dataset": "camsentry.alert",
        },
        "rule": {"id": "CS-EGRESS-001", "name": "Camera talks to the Internet", "category": "egress", "ruleset": "camsentry"},
        "source": {"ip": format!("10.20.{}.{}", n / 250 % 250, n % 250 + 1), "port": 554, "mac": "00-12-34-56-78-9a"},
        "destination": {"ip": "203.0.113.7", "port": 443, "domain": "cloud.vendor.example"},
        "network": {"transport": "tcp", "community_id": "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "vlan": {"id": "30"}},
        "observer": {"hostname": "sensor-1", "product": "camsentry", "version": "0.1.0", "type": "sensor"},
        "camsentry": {
            "camera": {"name": format!("Caméra entrée nº{n} — hall"), "vendor": "Hikvision", "group": "lobby", "identified_by": ["oui", "rtsp"]},
            "evidence": {"note": "tab\there, \"quoted\", back\\slash, 100% #1 <pri> 漢字", "padding": padding},
        },
    });
    serde_json::to_vec(&value).expect("serialisable")
}

fn event_id(line: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(line).ok()?;
    Some(value["event"]["id"].as_str()?.to_string())
}

/// SIGKILL can stop rsyslog between two writes of one long line; the next
/// rsyslog would append to the cut line. Ending it with a line feed keeps
/// the lines after it whole (the cut line is then recognised by `tally`).
fn terminate_cut_line(path: &Path) -> bool {
    let data = fs::read(path).unwrap_or_default();
    if data.is_empty() || data.ends_with(b"\n") {
        return false;
    }
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open received.log");
    std::io::Write::write_all(&mut file, b"\n").expect("terminate the cut line");
    true
}

fn read_lines(path: &Path) -> Vec<Vec<u8>> {
    let data = fs::read(path).unwrap_or_default();
    let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    // The text after the last line feed is a line still being written.
    lines.pop();
    lines
}

fn count_lines(path: &Path) -> usize {
    fs::read(path)
        .map(|d| d.iter().filter(|&&b| b == b'\n').count())
        .unwrap_or(0)
}

/// What arrived, compared with what was sent.
struct Tally {
    received: usize,
    unique: usize,
    duplicates: usize,
    lost: usize,
    /// Lines rsyslog itself left incomplete when it was killed.
    cut: usize,
}

/// Checks that every sent line arrived byte-identical, that first arrivals
/// are in sending order and that a duplicate is a whole earlier line
/// (recognisable by its `event.id`). A line that is not JSON must be the
/// beginning of a sent line (rsyslog killed while writing it).
fn tally(sent: &[Vec<u8>], received: &[Vec<u8>]) -> Tally {
    let mut first_seen: HashMap<String, &Vec<u8>> = HashMap::new();
    let mut order = Vec::new();
    let mut duplicates = 0;
    let mut cut = 0;
    for line in received {
        let Some(id) = event_id(line) else {
            assert!(
                sent.iter()
                    .any(|s| s.len() > line.len() && s.starts_with(line)),
                "received a line that was never sent: {}",
                String::from_utf8_lossy(line)
            );
            cut += 1;
            continue;
        };
        match first_seen.get(&id) {
            Some(earlier) => {
                assert_eq!(
                    *earlier, line,
                    "a duplicate of {id} differs from its first copy"
                );
                duplicates += 1;
            }
            None => {
                first_seen.insert(id, line);
                order.push(line.clone());
            }
        }
    }
    let lost = sent
        .iter()
        .filter(|line| event_id(line).is_none_or(|id| !first_seen.contains_key(&id)))
        .count();
    assert_eq!(lost, 0, "{lost} of {} lines never arrived", sent.len());
    assert!(
        order == sent,
        "lines arrived out of order or changed (first difference at {:?})",
        order.iter().zip(sent).position(|(a, b)| a != b)
    );
    Tally {
        received: received.len(),
        unique: order.len(),
        duplicates,
        lost,
        cut,
    }
}

fn options(spool: Option<&Path>) -> SinkOptions {
    SinkOptions {
        spool_dir: spool.map(Path::to_path_buf),
        hostname: "sensor-1".into(),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_secs(1),
        io_timeout: Duration::from_secs(5),
        ..SinkOptions::default()
    }
}

fn specs(file: &Path, port: u16) -> Vec<SinkSpec> {
    vec![
        parse_spec(&format!("file://{}", file.display())).expect("file spec"),
        parse_spec(&format!("syslog+tcp://127.0.0.1:{port}?msgid=alert")).expect("syslog spec"),
    ]
}

fn syslog_counters(all: &[(String, SinkCounters)]) -> SinkCounters {
    all.iter()
        .find(|(spec, _)| spec.starts_with("syslog+tcp://"))
        .map(|(_, c)| c.clone())
        .expect("the syslog sink")
}

#[test]
fn rsyslog_receives_every_line_byte_identical() {
    let Some(binary) = rsyslogd() else { return };
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut rsyslog = start_rsyslog(&binary, dir.path(), port, 1);
    let copy = dir.path().join("alerts.json");
    let sinks = Sinks::start(&specs(&copy, port), &options(None)).expect("start sinks");

    const N: usize = 3000;
    let sent: Vec<Vec<u8>> = (0..N).map(alert).collect();
    for line in &sent {
        sinks.send(line);
    }
    let counters = sinks.shutdown(Duration::from_secs(20));
    let received_path = dir.path().join("received.log");
    let arrived = wait_until(Instant::now() + Duration::from_secs(30), || {
        count_lines(&received_path) >= N
    });
    rsyslog.stop(Signal::SIGTERM);
    assert!(
        arrived,
        "{} of {N} lines arrived; rsyslogd: {}",
        count_lines(&received_path),
        rsyslog.log()
    );

    let file_copy = read_lines(&copy);
    assert!(
        file_copy == sent,
        "the file sink's copy differs from what was sent"
    );
    let received = read_lines(&received_path);
    assert!(
        received == file_copy,
        "rsyslog's lines differ from the file sink's copy (first difference at {:?})",
        received.iter().zip(&file_copy).position(|(a, b)| a != b)
    );
    let syslog = syslog_counters(&counters);
    assert_eq!(syslog.sent, N as u64, "{syslog}");
    assert_eq!(syslog.acknowledged, N as u64, "{syslog}");
    assert_eq!(syslog.lost(), 0, "{syslog}");
    eprintln!(
        "rsyslog byte-identical: sent {N}, received {}, {} bytes, {:.2?}; syslog sink: {syslog}",
        received.len(),
        sent.iter().map(|l| l.len() + 1).sum::<usize>(),
        started.elapsed()
    );
}

#[test]
fn rsyslog_stopped_mid_run_loses_nothing() {
    let Some(binary) = rsyslogd() else { return };
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let spool = dir.path().join("spool");
    let copy = dir.path().join("alerts.json");
    let received_path = dir.path().join("received.log");
    let mut rsyslog = start_rsyslog(&binary, dir.path(), port, 1);
    let sinks = Sinks::start(&specs(&copy, port), &options(Some(&spool))).expect("start sinks");

    const N: usize = 8000;
    let sent: Vec<Vec<u8>> = (0..N).map(alert).collect();
    let mut spooled_while_down = Vec::new();
    let mut cut_by_kill = 0;
    thread::scope(|scope| {
        // The collector: a steady stream of alerts, about 2,500 a second,
        // that never waits for the sinks.
        let sender = scope.spawn(|| {
            for (i, line) in sent.iter().enumerate() {
                sinks.send(line);
                if i % 5 == 4 {
                    thread::sleep(Duration::from_millis(2));
                }
            }
        });
        let sink_counters = || syslog_counters(&sinks.counters());
        for (round, signal) in [(2, Signal::SIGTERM), (3, Signal::SIGKILL)] {
            // Let some lines arrive, stop rsyslog in mid-stream, keep it
            // down a while (lines go to the spool), start it again.
            let before = count_lines(&received_path);
            assert!(
                wait_until(Instant::now() + Duration::from_secs(20), || {
                    count_lines(&received_path) >= before + 1000
                }),
                "rsyslog received nothing in round {round}: {}",
                rsyslog.log()
            );
            rsyslog.stop(signal);
            if signal == Signal::SIGKILL && terminate_cut_line(&received_path) {
                cut_by_kill += 1;
            }
            let spooled = sink_counters().spooled;
            assert!(
                wait_until(Instant::now() + Duration::from_secs(10), || {
                    sink_counters().spooled >= spooled + 300
                }),
                "nothing was spooled while rsyslog was down: {}",
                sink_counters()
            );
            spooled_while_down.push(sink_counters().spooled - spooled);
            rsyslog = start_rsyslog(&binary, dir.path(), port, round);
        }
        sender.join().expect("sender thread");
    });
    let counters = sinks.shutdown(Duration::from_secs(30));
    let syslog = syslog_counters(&counters);
    let arrived = wait_until(Instant::now() + Duration::from_secs(30), || {
        if count_lines(&received_path) < N {
            return false;
        }
        let lines = read_lines(&received_path);
        let ids: std::collections::HashSet<String> =
            lines.iter().filter_map(|l| event_id(l)).collect();
        ids.len() >= N
    });
    rsyslog.stop(Signal::SIGTERM);
    let received = read_lines(&received_path);
    assert!(
        arrived,
        "not every line arrived ({} received): {syslog}; rsyslogd: {}",
        received.len(),
        rsyslog.log()
    );

    let file_copy = read_lines(&copy);
    assert!(
        file_copy == sent,
        "the file sink's copy differs from what was sent"
    );
    let tally = tally(&file_copy, &received);
    // Only rsyslog's own output can hold a cut line (it discards an
    // incomplete octet-counted frame), at most one per stop.
    assert!(
        tally.cut <= 2,
        "{} cut lines ({cut_by_kill} at a SIGKILL)",
        tally.cut
    );
    assert!(
        tally.duplicates as u64 <= syslog.resent,
        "{} duplicates but only {} lines resent",
        tally.duplicates,
        syslog.resent
    );
    assert_eq!(syslog.sent, N as u64, "{syslog}");
    assert_eq!(syslog.dropped, 0, "{syslog}");
    assert!(
        syslog.spooled > 0 && syslog.sent_from_spool == syslog.spooled,
        "{syslog}"
    );
    assert!(syslog.reconnects >= 2, "{syslog}");
    assert_eq!(syslog.spool_bytes, 0, "{syslog}");
    // Resent lines that were not duplicates had been lost in flight
    // (written, but never read by the dying rsyslog).
    eprintln!(
        "rsyslog stopped twice (SIGTERM, SIGKILL): sent {N}, received {} ({} unique, {} duplicates, \
         {} lost, {} cut by rsyslog's SIGKILL), resent {} of which {} had been lost in flight, \
         spooled while down {spooled_while_down:?}, {:.2?}; syslog sink: {syslog}",
        tally.received,
        tally.unique,
        tally.duplicates,
        tally.lost,
        tally.cut,
        syslog.resent,
        syslog.resent - tally.duplicates as u64,
        started.elapsed()
    );
}

/// What arrived, as a set: every sent line must be there; duplicates and
/// lines rsyslog left cut are counted. Lines of several connections may
/// interleave (a stalled connection is read after the one that replaced
/// it), so the order is not checked.
fn tally_set(sent: &[Vec<u8>], received: &[Vec<u8>]) -> Tally {
    let sent_by_id: HashMap<String, &Vec<u8>> = sent
        .iter()
        .map(|line| (event_id(line).expect("sent lines have an id"), line))
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut cut = 0;
    for line in received {
        match event_id(line) {
            Some(id) => {
                assert_eq!(
                    sent_by_id.get(&id).map(|l| l.as_slice()),
                    Some(line.as_slice()),
                    "received {id}, which differs from what was sent"
                );
                *seen.entry(id).or_default() += 1;
            }
            None => {
                assert!(
                    sent.iter()
                        .any(|s| s.len() > line.len() && s.starts_with(line)),
                    "received a line that was never sent: {}",
                    String::from_utf8_lossy(line)
                );
                cut += 1;
            }
        }
    }
    let lost = sent_by_id
        .keys()
        .filter(|id| !seen.contains_key(*id))
        .count();
    Tally {
        received: received.len(),
        unique: seen.len(),
        duplicates: seen.values().map(|n| n - 1).sum(),
        lost,
        cut,
    }
}

/// rsyslog stops reading (SIGSTOP: its sockets stay open and its kernel
/// keeps accepting connections, but nothing is read) while alerts keep
/// coming, well past what the socket buffers hold (about 30 MB); then it
/// resumes (SIGCONT), or is killed and restarted (`restart`). The sink
/// sees the receiver stop acknowledging, resets the connection after the
/// stall timeout, reconnects (to the stopped rsyslog's backlog, which
/// stalls too) and sends the unacknowledged lines and the resend window
/// again. A resumed rsyslog also reads what its kernel had acknowledged; a
/// restarted one has lost that, and gets it from the resend window. Every
/// alert arrives, and the set received equals the set sent.
///
/// Recorded runs (20,000 alerts, 2 stalls each), as counted by the sink
/// and by comparing what rsyslog wrote with what was sent:
///
/// | rsyslog | sent | acknowledged | resent | duplicates received | lost |
/// |---|---|---|---|---|---|
/// | SIGSTOP, SIGCONT | 20,000 | 20,000 | 7,049 | 2,286 | 0 |
/// | SIGSTOP, SIGKILL, restart | 20,000 | 20,000 | 7,911 | 2,000 | 0 |
///
/// With a resend window of 1,024 lines instead of 8 MiB, the restart run
/// lost 1,899 alerts: the stopped rsyslog's kernel had acknowledged them
/// and died with them unread.
fn stop_reading(restart: bool) {
    let Some(binary) = rsyslogd() else { return };
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let spool = dir.path().join("spool");
    let copy = dir.path().join("alerts.json");
    let received_path = dir.path().join("received.log");
    let mut rsyslog = start_rsyslog(&binary, dir.path(), port, 1);
    let options = SinkOptions {
        stall_timeout: Duration::from_secs(2),
        ..options(Some(&spool))
    };
    let sinks = Sinks::start(&specs(&copy, port), &options).expect("start sinks");
    let sink_counters = || syslog_counters(&sinks.counters());

    const N: usize = 20_000;
    const BEFORE_STOP: usize = 2_000;
    // The second stall is on a connection made to the stopped rsyslog
    // (its kernel still accepts them).
    const STALLS: u64 = 2;
    let sent: Vec<Vec<u8>> = (0..N).map(alert).collect();
    for line in &sent[..BEFORE_STOP] {
        sinks.send(line);
    }
    assert!(
        wait_until(Instant::now() + Duration::from_secs(30), || {
            count_lines(&received_path) >= BEFORE_STOP / 2
        }),
        "rsyslog received nothing: {}",
        rsyslog.log()
    );
    rsyslog.signal(Signal::SIGSTOP);
    // About 30 MB more: far beyond the socket buffers of both sides.
    for line in &sent[BEFORE_STOP..] {
        sinks.send(line);
    }
    let stalled = wait_until(Instant::now() + Duration::from_secs(60), || {
        sink_counters().stalls >= STALLS
    });
    let at_stall = sink_counters();
    if restart {
        rsyslog.stop(Signal::SIGKILL);
        terminate_cut_line(&received_path);
        rsyslog = start_rsyslog(&binary, dir.path(), port, 2);
    } else {
        rsyslog.signal(Signal::SIGCONT);
    }
    assert!(stalled, "fewer than {STALLS} stalls: {at_stall}");
    assert!(at_stall.acknowledged < N as u64, "{at_stall}");

    let counters = sinks.shutdown(Duration::from_secs(60));
    let syslog = syslog_counters(&counters);
    let arrived = wait_until(Instant::now() + Duration::from_secs(60), || {
        // Counting lines is cheap; parsing them only once there are enough.
        count_lines(&received_path) >= N && {
            let lines = read_lines(&received_path);
            let ids: std::collections::HashSet<String> =
                lines.iter().filter_map(|l| event_id(l)).collect();
            ids.len() >= N
        }
    });
    rsyslog.stop(Signal::SIGTERM);
    let received = read_lines(&received_path);
    let tally = tally_set(&sent, &received);
    assert!(
        arrived && tally.lost == 0,
        "{} of {N} alerts never arrived ({} received): {syslog}; rsyslogd: {}",
        tally.lost,
        received.len(),
        rsyslog.log()
    );
    assert_eq!(read_lines(&copy), sent, "the file sink's copy");
    assert!(
        tally.duplicates as u64 <= syslog.resent,
        "{} duplicates but only {} lines resent",
        tally.duplicates,
        syslog.resent
    );
    assert_eq!(syslog.sent, N as u64, "{syslog}");
    assert_eq!(syslog.acknowledged, N as u64, "{syslog}");
    assert_eq!(syslog.lost(), 0, "{syslog}");
    assert!(
        syslog.stalls >= STALLS && syslog.reconnects >= STALLS,
        "{syslog}"
    );
    assert!(syslog.resent > 0, "{syslog}");
    assert_eq!(syslog.spool_bytes, 0, "{syslog}");
    eprintln!(
        "rsyslog stopped reading (SIGSTOP, then {}):  sent {N}, received {} ({} unique, {} duplicates, \
         {} lost, {} cut); {} acknowledged when resumed; syslog sink: sent {}, acknowledged {}, \
         resent {}, spooled {}, stalls {}, reconnects {}, lost {}; {:.2?}",
        if restart {
            "SIGKILL and a restart"
        } else {
            "SIGCONT"
        },
        tally.received,
        tally.unique,
        tally.duplicates,
        tally.lost,
        tally.cut,
        at_stall.acknowledged,
        syslog.sent,
        syslog.acknowledged,
        syslog.resent,
        syslog.spooled,
        syslog.stalls,
        syslog.reconnects,
        syslog.lost(),
        started.elapsed()
    );
}

#[test]
fn rsyslog_that_stops_reading_loses_nothing() {
    stop_reading(false);
}

#[test]
fn rsyslog_that_stops_reading_then_restarts_loses_nothing() {
    stop_reading(true);
}

#[test]
fn spool_left_at_shutdown_is_sent_first_at_the_next_start() {
    let Some(binary) = rsyslogd() else { return };
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let spool = dir.path().join("spool");
    let copy = dir.path().join("alerts.json");
    let received_path = dir.path().join("received.log");

    // First run: the receiver is down the whole time.
    let first = Sinks::start(&specs(&copy, port), &options(Some(&spool))).expect("start sinks");
    let sent: Vec<Vec<u8>> = (0..1000).map(alert).collect();
    for line in &sent[..500] {
        first.send(line);
    }
    let down = syslog_counters(&first.shutdown(Duration::from_secs(2)));
    assert_eq!(down.sent, 0, "{down}");
    assert_eq!(down.spooled, 500, "{down}");
    assert!(down.spool_bytes > 0, "{down}");

    // Second run: the receiver is up; the spool goes first.
    let mut rsyslog = start_rsyslog(&binary, dir.path(), port, 1);
    let second = Sinks::start(&specs(&copy, port), &options(Some(&spool))).expect("start sinks");
    for line in &sent[500..] {
        second.send(line);
    }
    let up = syslog_counters(&second.shutdown(Duration::from_secs(20)));
    let arrived = wait_until(Instant::now() + Duration::from_secs(30), || {
        count_lines(&received_path) >= 1000
    });
    rsyslog.stop(Signal::SIGTERM);
    assert!(arrived, "{up}; rsyslogd: {}", rsyslog.log());
    let received = read_lines(&received_path);
    let tally = tally(&sent, &received);
    assert_eq!(tally.duplicates + tally.cut, 0);
    // The new lines queue behind the spool (through it, while it is not
    // empty), so at least the 500 old ones come from it.
    assert!(up.sent_from_spool >= 500, "{up}");
    assert_eq!(up.sent, 1000, "{up}");
    assert_eq!(up.spool_bytes, 0, "{up}");
    eprintln!(
        "spool across restart: 500 spooled while down, then 500 new; received {} in order, {:.2?}",
        tally.received,
        started.elapsed()
    );
}

/// The binary end to end: `camsentry replay` of a detector fixture with
/// alerts to a file and to rsyslog at once; rsyslog's copy must equal the
/// file's, line for line.
#[test]
fn replay_sends_every_alert_to_rsyslog_and_the_file() {
    let Some(binary) = rsyslogd() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut rsyslog = start_rsyslog(&binary, dir.path(), port, 1);
    let capture = dir.path().join("scan-tcp.pcap");
    let options = camsentry_synth::SynthOptions {
        seed: 1,
        packets: None,
    };
    let file = fs::File::create(&capture).expect("create the capture file");
    camsentry_synth::generate("scan-tcp", &options, std::io::BufWriter::new(file))
        .expect("synth scan-tcp");
    let camsentry = env!("CARGO_BIN_EXE_camsentry");
    let file = dir.path().join("alerts.json");
    let output = std::process::Command::new(camsentry)
        .args(["replay", "-q", "--learn-for", "0s", "--alerts"])
        .arg(&file)
        .args(["--alerts", &format!("syslog+tcp://127.0.0.1:{port}")])
        .arg(&capture)
        .output()
        .expect("replay runs");
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{err}");
    assert!(err.contains("delivery to syslog+tcp://"), "{err}");
    let expected = read_lines(&file);
    assert!(expected.len() >= 2, "the fixture raises alerts");
    let received_path = dir.path().join("received.log");
    let arrived = wait_until(Instant::now() + Duration::from_secs(20), || {
        count_lines(&received_path) >= expected.len()
    });
    rsyslog.stop(Signal::SIGTERM);
    assert!(
        arrived,
        "{} of {} alerts arrived",
        count_lines(&received_path),
        expected.len()
    );
    assert_eq!(read_lines(&received_path), expected);
}
