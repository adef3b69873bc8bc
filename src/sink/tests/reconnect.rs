//! Receivers that go away and come back: reconnection, reopen, several
//! sinks, lines in flight when a receiver died, the queue's byte bound.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixListener;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::*;

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
