//! Sink-level tests against local receivers (files, UDP, TCP and Unix
//! sockets of this process). The rsyslog tests are in
//! `tests/sink_rsyslog.rs`.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, UdpSocket};
use std::os::unix::net::UnixListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::*;

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

/// Reads JSON lines from one Unix stream connection until end of stream
/// or until `stop` is set; then drops the connection (with whatever it
/// had not read: the sender cannot know).
fn unix_receiver(listener: UnixListener, stop: Arc<std::sync::atomic::AtomicBool>) -> Received {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let out = Arc::clone(&lines);
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let mut reader = BufReader::new(stream);
        let mut current = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            match reader.read_until(b'\n', &mut current) {
                Ok(0) => break,
                Ok(_) if current.ends_with(b"\n") => {
                    current.pop();
                    out.lock().unwrap().push(std::mem::take(&mut current));
                }
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
        // The listener goes with the thread.
        drop(listener);
    });
    (lines, handle)
}

#[test]
fn unix_socket_sink_survives_a_receiver_restart() {
    use std::sync::atomic::AtomicBool;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("camsentry.sock");
    let spool = dir.path().join("spool");
    let stop = Arc::new(AtomicBool::new(false));
    let (first, handle) = unix_receiver(UnixListener::bind(&path).unwrap(), Arc::clone(&stop));
    let options = SinkOptions {
        spool_dir: Some(spool),
        ..options()
    };
    let sink = Sink::start(&spec(&format!("unix://{}", path.display())), &options).unwrap();
    for n in 0..300 {
        sink.send(&line(n));
    }
    assert!(wait_for(Duration::from_secs(10), || first
        .lock()
        .unwrap()
        .len()
        >= 100));
    stop.store(true, Ordering::Relaxed);
    handle.join().unwrap();
    std::fs::remove_file(&path).unwrap();
    for n in 300..600 {
        sink.send(&line(n));
        if n % 50 == 0 {
            thread::sleep(Duration::from_millis(5));
        }
    }
    assert!(wait_for(Duration::from_secs(10), || !sink
        .counters()
        .connected));
    let (second, handle) = unix_receiver(
        UnixListener::bind(&path).unwrap(),
        Arc::new(AtomicBool::new(false)),
    );
    for n in 600..900 {
        sink.send(&line(n));
    }
    let counters = sink.shutdown(Duration::from_secs(10));
    handle.join().unwrap();
    let mut all: Vec<Vec<u8>> = first.lock().unwrap().clone();
    all.extend(second.lock().unwrap().iter().cloned());
    let mut seen = HashSet::new();
    let unique: Vec<Vec<u8>> = all
        .iter()
        .filter(|l| seen.insert((*l).clone()))
        .cloned()
        .collect();
    let duplicates = all.len() - unique.len();
    assert_eq!(unique, (0..900).map(line).collect::<Vec<_>>(), "{counters}");
    assert!(
        duplicates as u64 <= counters.resent,
        "{duplicates} duplicates, {counters}"
    );
    assert_eq!(counters.dropped, 0, "{counters}");
    assert!(counters.reconnects >= 1, "{counters}");
}

#[test]
fn network_reopen_reconnects_without_loss() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let out = Arc::clone(&messages);
    // Accepts two connections in turn (the second after the reopen).
    let receiver = thread::spawn(move || {
        for _ in 0..2 {
            let (mut stream, _) = listener.accept().unwrap();
            let mut data = Vec::new();
            stream.read_to_end(&mut data).unwrap();
            let mut parsed = Vec::new();
            parse_frames(&data, &mut parsed);
            out.lock().unwrap().extend(parsed);
        }
    });
    let sink = Sink::start(&spec(&format!("syslog+tcp://127.0.0.1:{port}")), &options()).unwrap();
    for n in 0..10 {
        sink.send(&line(n));
    }
    assert!(wait_for(Duration::from_secs(5), || sink.counters().sent == 10));
    sink.reopen();
    assert!(wait_for(Duration::from_secs(5), || sink
        .counters()
        .reconnects
        == 1));
    for n in 10..20 {
        sink.send(&line(n));
    }
    let counters = sink.shutdown(Duration::from_secs(5));
    receiver.join().unwrap();
    let got: Vec<Vec<u8>> = messages
        .lock()
        .unwrap()
        .iter()
        .map(|m| msg_of(m).to_vec())
        .collect();
    assert_eq!(got, (0..20).map(line).collect::<Vec<_>>());
    assert_eq!(counters.resent, 0, "the close was confirmed: {counters}");
}

#[test]
fn several_sinks_get_every_line() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    let sinks = Sinks::start(
        &[spec(a.to_str().unwrap()), spec(b.to_str().unwrap())],
        &options(),
    )
    .unwrap();
    assert_eq!(sinks.sinks().len(), 2);
    sinks.send_lines(b"{\"x\":1}\n{\"x\":2}\n", None);
    sinks.send(b"{\"x\":3}");
    let all = sinks.shutdown(Duration::from_secs(5));
    for (_, counters) in &all {
        assert_eq!(counters.sent, 3);
    }
    let want = "{\"x\":1}\n{\"x\":2}\n{\"x\":3}\n";
    assert_eq!(std::fs::read_to_string(&a).unwrap(), want);
    assert_eq!(std::fs::read_to_string(&b).unwrap(), want);
}

#[test]
fn spool_subdirectories_are_stable_and_distinct() {
    let a = spool_subdir(&spec("syslog+tcp://127.0.0.1:6514").target);
    assert_eq!(
        a,
        spool_subdir(&spec("syslog+tcp://127.0.0.1:6514?facility=daemon").target)
    );
    assert_ne!(a, spool_subdir(&spec("syslog+udp://127.0.0.1:6514").target));
    assert!(a.starts_with("tcp___127.0.0.1_6514-"), "{a}");
}

#[test]
fn lines_in_flight_when_the_receiver_died_are_spooled_at_shutdown() {
    let spool = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let target = spec(&format!("syslog+tcp://127.0.0.1:{port}"));
    let options = SinkOptions {
        spool_dir: Some(spool.path().to_path_buf()),
        ..options()
    };
    // A receiver that reads 50 messages and dies.
    let first = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut data = Vec::new();
        let mut messages = Vec::new();
        let mut buf = [0u8; 4096];
        while messages.len() < 50 {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => data.extend_from_slice(&buf[..n]),
            }
            let used = parse_frames(&data, &mut messages);
            data.drain(..used);
        }
        messages.len()
    });
    let sink = Sink::start(&target, &options).unwrap();
    for n in 0..50 {
        sink.send(&line(n));
    }
    assert_eq!(first.join().unwrap(), 50);
    for n in 50..60 {
        sink.send(&line(n));
    }
    assert!(wait_for(Duration::from_secs(5), || {
        let c = sink.counters();
        !c.connected && c.write_errors == 1
    }));
    let down = sink.shutdown(Duration::from_secs(1));
    // The 50 acknowledged lines (the resend window) and the 10 others are
    // kept, in order, ahead of anything newer.
    assert_eq!(down.acknowledged, 50, "{down}");
    assert_eq!(down.spooled, 60, "{down}");
    assert_eq!(down.dropped + down.unconfirmed, 0, "{down}");

    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let (messages, receiver) = tcp_receiver(listener);
    let sink = Sink::start(&target, &options).unwrap();
    for n in 60..70 {
        sink.send(&line(n));
    }
    let up = sink.shutdown(Duration::from_secs(10));
    receiver.join().unwrap();
    let got: Vec<Vec<u8>> = messages
        .lock()
        .unwrap()
        .iter()
        .map(|m| msg_of(m).to_vec())
        .collect();
    assert_eq!(got, (0..70).map(line).collect::<Vec<_>>(), "{up}");
    assert_eq!(up.spool_bytes, 0, "{up}");
}

#[test]
fn the_queue_is_bounded_in_bytes_too() {
    // Lines 0 to 9 are 31 bytes long: three fit in 100 bytes.
    let options = SinkOptions {
        queue_max_bytes: 100,
        ..options()
    };
    let sink = Sink::start(
        &spec(&format!("syslog+tcp://127.0.0.1:{}", closed_port())),
        &options,
    )
    .unwrap();
    for n in 0..10 {
        sink.send(&line(n));
    }
    let counters = sink.counters();
    assert_eq!(counters.queued, 3, "{counters}");
    assert_eq!(counters.dropped_queue_full, 7, "{counters}");
    let counters = sink.shutdown(Duration::from_millis(100));
    assert_eq!(counters.dropped_at_shutdown, 3, "{counters}");
}

/// A JSON line of about 1 KB.
fn big_line(n: usize) -> Vec<u8> {
    format!(
        r#"{{"event":{{"id":"e{n:05}"}},"pad":"{}"}}"#,
        "x".repeat(1000)
    )
    .into_bytes()
}

/// Accepts the next connection on a non-blocking listener, or gives up at
/// `deadline`.
fn accept_until(listener: &TcpListener, deadline: Instant) -> Option<std::net::TcpStream> {
    listener.set_nonblocking(true).unwrap();
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).unwrap();
                return Some(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("accept: {e}"),
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Reads a connection until end of stream, reset or `deadline`; returns
/// its whole lines (a line cut by a reset is left out).
fn read_lines_of(mut stream: std::net::TcpStream, deadline: Instant) -> Vec<Vec<u8>> {
    let mut data = Vec::new();
    let mut buf = [0u8; 65536];
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    // After the last line feed: empty, or a line cut short.
    lines.pop();
    lines
}

/// How often each of `sent` occurs in `received`; panics on a line that
/// was never sent.
fn arrivals(sent: &[Vec<u8>], received: &[Vec<u8>]) -> (usize, usize) {
    let known: HashSet<&Vec<u8>> = sent.iter().collect();
    let mut seen = HashSet::new();
    let mut duplicates = 0;
    for line in received {
        assert!(
            known.contains(line),
            "received a line never sent: {}",
            String::from_utf8_lossy(&line[..line.len().min(80)])
        );
        if !seen.insert(line) {
            duplicates += 1;
        }
    }
    let lost = sent.iter().filter(|l| !seen.contains(l)).count();
    (lost, duplicates)
}

#[test]
fn a_stalled_receiver_is_dropped_and_its_unacknowledged_lines_resent() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let options = SinkOptions {
        stall_timeout: Duration::from_millis(300),
        unacknowledged_max_bytes: 512 * 1024,
        ..options()
    };
    let sink = Sink::start(&spec(&format!("tcp://127.0.0.1:{port}")), &options).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    // The receiver accepts, then reads nothing: its buffers fill.
    let stalled = accept_until(&listener, deadline).expect("the sink connects");
    let sent: Vec<Vec<u8>> = (0..4000).map(big_line).collect();
    for line in &sent {
        sink.send(line);
    }
    assert!(
        wait_for(Duration::from_secs(20), || sink.counters().stalls >= 1),
        "{}",
        sink.counters()
    );
    let at_stall = sink.counters();
    assert!(at_stall.acknowledged < 4000, "{at_stall}");
    // The receiver comes back: it reads what the stalled connection had
    // taken (the sink reset it), and every later connection.
    let mut received = read_lines_of(stalled, deadline);
    let from_stalled = received.len();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let mut lines = Vec::new();
            while !done.load(Ordering::Acquire) || lines.is_empty() {
                let Some(stream) = accept_until(&listener, Instant::now() + Duration::from_secs(1))
                else {
                    if Instant::now() >= deadline {
                        break;
                    }
                    continue;
                };
                lines.extend(read_lines_of(stream, deadline));
            }
            lines
        })
    };
    let counters = sink.shutdown(Duration::from_secs(20));
    done.store(true, Ordering::Release);
    received.extend(reader.join().unwrap());
    let (lost, duplicates) = arrivals(&sent, &received);
    assert_eq!(lost, 0, "{counters}");
    assert!(
        from_stalled as u64 >= at_stall.acknowledged,
        "{from_stalled} {at_stall}"
    );
    assert!(
        duplicates as u64 <= counters.resent,
        "{duplicates} {counters}"
    );
    assert!(counters.resent > 0, "{counters}");
    assert!(counters.reconnects >= 1, "{counters}");
    assert_eq!(counters.sent, 4000, "{counters}");
    assert_eq!(counters.acknowledged, 4000, "{counters}");
    assert_eq!(counters.lost(), 0, "{counters}");
    assert_eq!(counters.unacknowledged, 0, "{counters}");
}

#[test]
fn unacknowledged_lines_at_shutdown_are_counted_as_unconfirmed_without_a_spool() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sink = Sink::start(&spec(&format!("tcp://127.0.0.1:{port}")), &options()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let held = accept_until(&listener, deadline).expect("the sink connects");
    for n in 0..3000 {
        sink.send(&big_line(n));
    }
    // Written whole, but the receiver (which reads nothing) has not
    // acknowledged them all.
    assert!(wait_for(Duration::from_secs(10), || {
        let c = sink.counters();
        c.sent > c.acknowledged
    }));
    let counters = sink.shutdown(Duration::from_millis(300));
    drop(held);
    assert!(counters.unconfirmed > 0, "{counters}");
    assert_eq!(
        counters.acknowledged + counters.unconfirmed + counters.dropped_at_shutdown,
        3000,
        "{counters}"
    );
    assert_eq!(counters.lost(), 3000 - counters.acknowledged, "{counters}");
}

#[test]
fn unacknowledged_lines_at_shutdown_are_spooled_and_sent_by_the_next_start() {
    let spool = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let target = spec(&format!("tcp://127.0.0.1:{port}"));
    let options = SinkOptions {
        spool_dir: Some(spool.path().to_path_buf()),
        ..options()
    };
    let sink = Sink::start(&target, &options).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let held = accept_until(&listener, deadline).expect("the sink connects");
    let sent: Vec<Vec<u8>> = (0..3000).map(big_line).collect();
    for line in &sent {
        sink.send(line);
    }
    assert!(wait_for(Duration::from_secs(10), || {
        let c = sink.counters();
        c.sent > c.acknowledged
    }));
    let down = sink.shutdown(Duration::from_millis(300));
    assert_eq!(down.lost(), 0, "{down}");
    assert_eq!(down.spooled, 3000 - down.acknowledged, "{down}");
    // What the receiver's kernel acknowledged is there to read.
    let mut received = read_lines_of(held, deadline);
    assert!(received.len() as u64 >= down.acknowledged, "{down}");

    let sink = Sink::start(&target, &options).unwrap();
    let stream = accept_until(&listener, deadline).expect("the sink connects again");
    let reader = thread::spawn(move || read_lines_of(stream, deadline));
    let up = sink.shutdown(Duration::from_secs(20));
    received.extend(reader.join().unwrap());
    assert_eq!(up.sent_from_spool, down.spooled, "{up}");
    assert_eq!(up.acknowledged, down.spooled, "{up}");
    assert_eq!(up.spool_bytes, 0, "{up}");
    let (lost, _) = arrivals(&sent, &received);
    assert_eq!(lost, 0, "{down} / {up}");
}
