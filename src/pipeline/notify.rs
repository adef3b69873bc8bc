//! Readiness and liveness for supervisors: systemd's `sd_notify` protocol.
//!
//! A live sensor is ready once every capture handle is active and the
//! workers run; packets that arrive before that are not seen, so anything
//! that injects traffic (a test, an operator checking a new mirror port, a
//! `Type=notify` unit ordering other services after camsentry) must wait
//! for this moment, not for an output file to appear. The same moment is
//! announced twice: as the `capturing on IFACE (...)` line on stderr, and as
//! `READY=1` on `$NOTIFY_SOCKET` when systemd started us.
//!
//! When the unit sets `WatchdogSec=`, systemd passes `$WATCHDOG_USEC` and
//! expects `WATCHDOG=1` at least that often; the reader loop pings at half
//! the interval, so a reader stuck anywhere (a wedged libpcap handle, a
//! blocked output) is restarted by systemd instead of silently capturing
//! nothing for months.
//!
//! The protocol is one datagram per message on a Unix socket; it is a few
//! lines, so no libsystemd dependency. Failures are ignored on purpose: a
//! supervisor that went away must not stop capture.

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

/// A connection to the service manager, when there is one.
pub struct Notifier {
    socket: Option<(UnixDatagram, std::os::unix::net::SocketAddr)>,
    watchdog: Option<Duration>,
    last_ping: Instant,
}

impl Notifier {
    /// Reads `$NOTIFY_SOCKET` and `$WATCHDOG_USEC` (with `$WATCHDOG_PID`,
    /// which must be ours when set).
    pub fn from_environment() -> Notifier {
        let socket = std::env::var_os("NOTIFY_SOCKET").and_then(|path| {
            let path = path.to_str()?.to_owned();
            let address = socket_address(&path)?;
            let socket = UnixDatagram::unbound().ok()?;
            Some((socket, address))
        });
        let ours = std::env::var("WATCHDOG_PID")
            .ok()
            .and_then(|pid| pid.parse::<u32>().ok())
            .is_none_or(|pid| pid == std::process::id());
        let watchdog = std::env::var("WATCHDOG_USEC")
            .ok()
            .and_then(|usec| usec.parse::<u64>().ok())
            .filter(|&usec| usec > 0 && ours)
            .map(|usec| Duration::from_micros(usec / 2));
        Notifier {
            socket,
            watchdog,
            last_ping: Instant::now(),
        }
    }

    fn send(&self, message: &str) {
        if let Some((socket, address)) = &self.socket {
            let _ = socket.send_to_addr(message.as_bytes(), address);
        }
    }

    /// Every capture is active: tells the supervisor and the operator.
    pub fn ready(&mut self, status: &str) {
        self.send(&format!("READY=1\nSTATUS={status}"));
        self.last_ping = Instant::now();
    }

    /// Called on every turn of the reader loop; pings the watchdog when
    /// half its interval has passed.
    pub fn tick(&mut self, now: Instant) {
        if let Some(interval) = self.watchdog
            && now.duration_since(self.last_ping) >= interval
        {
            self.send("WATCHDOG=1");
            self.last_ping = now;
        }
    }

    /// Capture stops: the flush that follows may take a while.
    pub fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=flushing flows and alerts");
    }
}

/// `$NOTIFY_SOCKET` is a filesystem path, or `@name` for Linux's abstract
/// namespace.
fn socket_address(path: &str) -> Option<std::os::unix::net::SocketAddr> {
    if let Some(name) = path.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).ok()
    } else if path.starts_with('/') {
        std::os::unix::net::SocketAddr::from_pathname(path).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_and_watchdog_reach_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        let mut notifier = Notifier {
            socket: Some((
                UnixDatagram::unbound().unwrap(),
                socket_address(path.to_str().unwrap()).unwrap(),
            )),
            watchdog: Some(Duration::from_secs(5)),
            last_ping: Instant::now(),
        };
        notifier.ready("capturing on eth1");
        let mut buffer = [0u8; 256];
        let n = listener.recv(&mut buffer).unwrap();
        assert_eq!(&buffer[..n], b"READY=1\nSTATUS=capturing on eth1");
        // Not yet due, then due: exactly one ping.
        let start = notifier.last_ping;
        notifier.tick(start + Duration::from_secs(1));
        notifier.tick(start + Duration::from_secs(6));
        listener.set_nonblocking(true).unwrap();
        let n = listener.recv(&mut buffer).unwrap();
        assert_eq!(&buffer[..n], b"WATCHDOG=1");
        assert!(listener.recv(&mut buffer).is_err());
    }

    #[test]
    fn relative_and_empty_socket_paths_are_ignored() {
        assert!(socket_address("relative/path").is_none());
        assert!(socket_address("").is_none());
        assert!(socket_address("@abstract").is_some());
    }
}
