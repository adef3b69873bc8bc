//! Sink-level tests against local receivers (files, UDP, TCP and Unix
//! sockets of this process). The rsyslog tests are in
//! `tests/sink_rsyslog.rs`.

use std::collections::HashSet;
use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::*;

mod acknowledgement;
mod reconnect;

fn line(n: usize) -> Vec<u8> {
    format!(r#"{{"event":{{"id":"e{n:05}"}},"n":{n}}}"#).into_bytes()
}

fn spec(text: &str) -> SinkSpec {
    parse_spec(text).unwrap()
}

fn options() -> SinkOptions {
    SinkOptions {
        hostname: "sensor-1".into(),
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        io_timeout: Duration::from_secs(2),
        ..SinkOptions::default()
    }
}

/// Polls `done` every 10 ms until it holds or `timeout` passes.
fn wait_for(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    done()
}

/// A port on loopback with nothing listening on it.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Splits an octet-counted stream into messages; returns the rest.
fn parse_frames(mut data: &[u8], out: &mut Vec<Vec<u8>>) -> usize {
    let total = data.len();
    while let Some(space) = data.iter().position(|&b| b == b' ') {
        let len: usize = std::str::from_utf8(&data[..space])
            .unwrap()
            .parse()
            .unwrap();
        let end = space + 1 + len;
        if data.len() < end {
            break;
        }
        out.push(data[space + 1..end].to_vec());
        data = &data[end..];
    }
    total - data.len()
}

/// The MSG of an RFC 5424 message with a NILVALUE structured data.
fn msg_of(message: &[u8]) -> &[u8] {
    let text = message;
    let mut spaces = 0;
    for (i, &b) in text.iter().enumerate() {
        if b == b' ' {
            spaces += 1;
            if spaces == 7 {
                return &text[i + 1..];
            }
        }
    }
    panic!("not an RFC 5424 message: {}", String::from_utf8_lossy(text));
}

/// Accepts TCP connections one after the other and collects the messages
/// of their octet-counted frames.
/// What a test receiver collected, and its thread.
type Received = (Arc<Mutex<Vec<Vec<u8>>>>, thread::JoinHandle<()>);

fn tcp_receiver(listener: TcpListener) -> Received {
    let messages = Arc::new(Mutex::new(Vec::new()));
    let out = Arc::clone(&messages);
    let handle = thread::spawn(move || {
        listener.set_nonblocking(false).unwrap();
        // One connection is enough for these tests.
        let (mut stream, _) = listener.accept().unwrap();
        let mut data = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => data.extend_from_slice(&buf[..n]),
            }
            let mut parsed = Vec::new();
            let used = parse_frames(&data, &mut parsed);
            data.drain(..used);
            out.lock().unwrap().extend(parsed);
        }
    });
    (messages, handle)
}

#[test]
fn file_sink_appends_whole_lines_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alerts.json");
    // A previous run died in the middle of a line.
    std::fs::write(&path, "{\"old\":1}\n{\"cut\":").unwrap();
    let sink = Sink::start(&spec(path.to_str().unwrap()), &options()).unwrap();
    sink.send(&line(1));
    assert!(wait_for(Duration::from_secs(5), || sink.counters().sent == 1));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!(
            "{{\"old\":1}}\n{{\"cut\":\n{}\n",
            String::from_utf8(line(1)).unwrap()
        )
    );
    // copytruncate: the next write lands at the new end.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    sink.send(&line(2));
    assert!(wait_for(Duration::from_secs(5), || sink.counters().sent == 2));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        [line(2), b"\n".to_vec()].concat()
    );
    // logrotate moved the file away; SIGHUP reopens the path.
    let rotated = dir.path().join("alerts.json.1");
    std::fs::rename(&path, &rotated).unwrap();
    sink.reopen();
    assert!(wait_for(Duration::from_secs(5), || path.exists()));
    sink.send(&line(3));
    let counters = sink.shutdown(Duration::from_secs(5));
    assert_eq!(counters.sent, 3);
    assert_eq!(counters.dropped, 0);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        [line(3), b"\n".to_vec()].concat()
    );
}

#[test]
fn bad_file_path_fails_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("alerts.json");
    let error = Sink::start(&spec(path.to_str().unwrap()), &options())
        .err()
        .unwrap();
    assert!(error.to_string().contains("cannot open"), "{error}");
}

#[test]
fn invalid_lines_are_refused_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.json");
    let options = SinkOptions {
        max_line_bytes: 64,
        ..options()
    };
    let sink = Sink::start(&spec(path.to_str().unwrap()), &options).unwrap();
    sink.send(b"");
    sink.send(b"\n");
    sink.send(b"{\"a\":1}\n{\"b\":2}");
    sink.send(&[b'x'; 65]);
    sink.send(b"{\"ok\":1}\n");
    sink.send_lines(b"{\"c\":3}\n{\"d\":4}\n\n", None);
    let counters = sink.shutdown(Duration::from_secs(5));
    assert_eq!(counters.dropped_invalid, 4);
    assert_eq!(counters.sent, 3);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"ok\":1}\n{\"c\":3}\n{\"d\":4}\n"
    );
}

#[test]
fn syslog_udp_one_datagram_per_line_and_oversize_is_dropped() {
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    receiver
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let port = receiver.local_addr().unwrap().port();
    let options = SinkOptions {
        udp_max_bytes: 512,
        ..options()
    };
    let sink = Sink::start(
        &spec(&format!(
            "syslog+udp://127.0.0.1:{port}?facility=local4&msgid=alert"
        )),
        &options,
    )
    .unwrap();
    sink.send(&line(1));
    sink.send_with(&line(2), Severity::Warning);
    sink.send(&[b'x'; 500]);
    let counters = sink.shutdown(Duration::from_secs(5));
    assert_eq!(counters.sent, 2);
    assert_eq!(counters.dropped_invalid, 1);
    let mut buf = [0u8; 2048];
    let mut got = Vec::new();
    for _ in 0..2 {
        let n = receiver.recv(&mut buf).unwrap();
        got.push(buf[..n].to_vec());
    }
    let first = String::from_utf8(got[0].clone()).unwrap();
    // local4 (20) * 8 + notice (5) = 165; local4 * 8 + warning (4) = 164.
    assert!(first.starts_with("<165>1 "), "{first}");
    assert!(
        first.contains(&format!(
            " sensor-1 camsentry {} alert - ",
            std::process::id()
        )),
        "{first}"
    );
    assert_eq!(msg_of(&got[0]), line(1));
    assert!(got[1].starts_with(b"<164>1 "));
    assert_eq!(msg_of(&got[1]), line(2));
}

#[test]
fn syslog_tcp_octet_counted_frames() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (messages, receiver) = tcp_receiver(listener);
    let sink = Sink::start(&spec(&format!("syslog+tcp://127.0.0.1:{port}")), &options()).unwrap();
    for n in 0..1000 {
        sink.send(&line(n));
    }
    let counters = sink.shutdown(Duration::from_secs(10));
    receiver.join().unwrap();
    assert_eq!(counters.sent, 1000);
    assert_eq!(counters.dropped, 0);
    let messages = messages.lock().unwrap();
    assert_eq!(messages.len(), 1000);
    for (n, message) in messages.iter().enumerate() {
        assert!(message.starts_with(b"<133>1 "));
        assert_eq!(msg_of(message), line(n));
    }
}

#[test]
fn queue_full_and_shutdown_losses_are_counted_without_a_spool() {
    let options = SinkOptions {
        queue_lines: 4,
        ..options()
    };
    let sink = Sink::start(
        &spec(&format!("syslog+tcp://127.0.0.1:{}", closed_port())),
        &options,
    )
    .unwrap();
    for n in 0..100 {
        sink.send(&line(n));
    }
    let started = Instant::now();
    let counters = sink.shutdown(Duration::from_millis(300));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(counters.queued, 4);
    assert_eq!(counters.dropped_queue_full, 96);
    assert_eq!(counters.dropped_at_shutdown, 4);
    assert_eq!(counters.dropped, 100);
    assert_eq!(counters.sent, 0);
    assert!(counters.connect_failures >= 1);
}

#[test]
fn full_spool_drops_are_counted_and_the_spool_is_sent_first_after_restart() {
    let spool = tempfile::tempdir().unwrap();
    let port = closed_port();
    let target = spec(&format!("syslog+tcp://127.0.0.1:{port}"));
    let options = SinkOptions {
        spool_dir: Some(spool.path().to_path_buf()),
        spool_max_bytes: 4096,
        ..options()
    };
    let sink = Sink::start(&target, &options).unwrap();
    for n in 0..200 {
        sink.send(&line(n));
    }
    let down = sink.shutdown(Duration::from_secs(2));
    // A record is `5 LINE\n`; the oldest lines that fit are kept.
    let mut fit = 0;
    let mut bytes = 0;
    while bytes + line(fit).len() + 3 <= 4096 {
        bytes += line(fit).len() + 3;
        fit += 1;
    }
    assert_eq!(down.queued, 200);
    assert_eq!(down.sent, 0);
    assert_eq!(down.spooled, fit as u64);
    assert_eq!(down.dropped_spool_full, 200 - fit as u64);
    assert_eq!(down.spooled + down.dropped, 200);
    assert!(down.spool_bytes > 0 && down.spool_bytes <= 4096);

    // The receiver is back; a restarted sensor resends the spool first.
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let (messages, receiver) = tcp_receiver(listener);
    let sink = Sink::start(&target, &options).unwrap();
    for n in 1000..1010 {
        sink.send(&line(n));
    }
    let up = sink.shutdown(Duration::from_secs(10));
    receiver.join().unwrap();
    assert_eq!(up.sent_from_spool, fit as u64);
    assert_eq!(up.sent, fit as u64 + 10);
    assert_eq!(up.spool_bytes, 0);
    let got: Vec<Vec<u8>> = messages
        .lock()
        .unwrap()
        .iter()
        .map(|m| msg_of(m).to_vec())
        .collect();
    let want: Vec<Vec<u8>> = (0..fit).chain(1000..1010).map(line).collect();
    assert_eq!(got, want);
}

#[test]
fn two_sinks_cannot_share_a_spool() {
    let spool = tempfile::tempdir().unwrap();
    let options = SinkOptions {
        spool_dir: Some(spool.path().to_path_buf()),
        ..options()
    };
    let target = spec(&format!("syslog+tcp://127.0.0.1:{}", closed_port()));
    let first = Sink::start(&target, &options).unwrap();
    let error = Sinks::start(&[target.clone(), target], &options)
        .err()
        .unwrap();
    assert!(error.to_string().contains("in use"), "{error}");
    assert!(first.spool_dir().unwrap().starts_with(spool.path()));
    first.shutdown(Duration::from_secs(1));
}
