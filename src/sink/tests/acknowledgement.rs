//! Stream acknowledgement: a stalled receiver, and lines the receiver's
//! kernel never acknowledged at shutdown.

use std::time::{Duration, Instant};

use super::*;

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
