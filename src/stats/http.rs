//! The `--metrics-listen` endpoint: serves the latest metrics text over
//! HTTP. Small and sequential by design, for a loopback scraper; each
//! connection gets a deadline so an idle client delays nobody.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
