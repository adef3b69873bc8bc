//! SIEM delivery: sinks that take JSON lines (alerts, flow records, stats)
//! from the collector and deliver them to files, stdout, syslog receivers
//! and sockets, without ever making packet processing wait.
//!
//! # Parts
//!
//! - [`spec`]: the URL-like sink specifications (`-`, a path, `file://`,
//!   `syslog+tcp://`, `syslog+udp://`, `tcp://`, `udp://`, `unix://`) and
//!   [`parse_spec`].
//! - [`syslog`]: RFC 5424 messages and RFC 6587 octet-counting frames.
//! - `spool`: the bounded on-disk queue of a network sink (segment files of
//!   whole lines plus a cursor file; layout and fsync policy in its docs).
//! - `transport`: connecting, writing, liveness checks and graceful close
//!   for each kind of target.
//! - `worker`: the thread of one sink, with the delivery order and the
//!   reconnect logic.
//! - `backoff`: reconnect delays (exponential, deterministic jitter).
//! - This module: [`Sink`] (one running sink), [`Sinks`] (several at once),
//!   [`SinkOptions`] and [`SinkCounters`].
//!
//! # How lines flow
//!
//! The collector calls [`Sink::send`] (or [`Sinks::send`]) with one whole
//! line. `send` copies the line into the sink's bounded queue
//! (`queue_lines` lines and `queue_max_bytes`) with a non-blocking
//! `try_send`: if the queue is full the line is dropped and counted
//! (`dropped_queue_full`); `send` never blocks, never does I/O. A sink's
//! memory is bounded by its queue, its resend window and one batch. Each sink has its own thread that drains
//! the queue in batches, encodes the lines (JSON lines, or RFC 5424 with
//! the JSON line as MSG) and writes them. Lines over `max_line_bytes`,
//! empty lines and lines with an embedded line feed are refused by `send`
//! and counted (`dropped_invalid`); for UDP the limit is lowered so that a
//! whole message fits in `udp_max_bytes` (lines are never truncated: half
//! a JSON object is useless to a SIEM).
//!
//! When a network target is down (connection refused, reset, write
//! timeout, receiver closed the connection), the thread reconnects with
//! exponential backoff (`backoff_min` to `backoff_max`, each delay drawn
//! from the upper half of the step with a seeded generator). Meanwhile,
//! with a spool directory, it moves queued lines into the sink's spool
//! (bounded by `spool_max_bytes`; when full, new lines are dropped and
//! counted as `dropped_spool_full`, the oldest are kept). Without a spool
//! the lines wait in the queue, and `send` counts what no longer fits.
//! Once connected again the thread sends, in order: the resend window (see
//! below), the spool, then the queue. While the spool is not empty new
//! lines go through it (or, when it is nearly full and draining, wait in
//! the queue), so the order per sink is the order of `send`, with at most
//! the resend window repeated after a failure.
//!
//! Files and stdout have no spool: a write error (a full disk) closes the
//! file, and it is reopened with the same backoff while lines wait in the
//! queue. Files are opened for appending, so logrotate's `copytruncate`
//! works and a restarted sensor continues the file; every write is a batch
//! of whole lines, and if a write was cut short (disk full) or a crash left
//! a partial last line, the next write starts with a line feed so that
//! every later line is whole. [`Sink::reopen`] (SIGHUP) reopens files by
//! path and makes network sinks reconnect at once.
//!
//! # Delivery guarantees
//!
//! - **No silent loss.** Every line given to `send` is delivered
//!   (`sent`), kept in the spool (`spooled`), or counted in one of the
//!   `dropped_*` counters; a line that was sent once and could be neither
//!   resent nor spooled after its connection failed is counted as
//!   `unconfirmed`. The counters are atomics that can be read at any time
//!   ([`Sink::counters`]); [`Sink::shutdown`] returns the final ones, and
//!   [`Sink::last_error`] tells why a target is down.
//! - **At-least-once across restarts, with a spool.** At shutdown the
//!   thread delivers what it can before the timeout, then writes what is
//!   left (the pending lines, then the queue) to the spool. A sensor
//!   restarted with the same spool directory sends the spool first, before
//!   any new line. The spool's cursor is advanced after each delivered
//!   batch and is not synced on every update, so a crash can make the next
//!   start resend up to one batch or a stale cursor's worth: duplicates,
//!   never gaps. A crash (not a clean shutdown) loses what was only in
//!   memory: the queue and the resend window. See `spool` for the fsync
//!   policy (a power loss can lose about the last second of spooled lines).
//! - **Within a run, TCP and Unix streams.** TCP acknowledges bytes to the
//!   receiver's kernel, not to the receiving program: when a receiver dies,
//!   what it had not yet read from its socket (and what we wrote before we
//!   noticed) is lost without any error on our side. Plain syslog has no
//!   application-level acknowledgement, so the sink cannot know which lines
//!   made it. It therefore keeps a **resend window**: the last
//!   `resend_window_lines` lines (at most `resend_window_bytes`) written on
//!   the current connection. When the connection fails, the window is sent
//!   again first on the next connection (counted as `replayed`). Lines can
//!   thus arrive twice, but none is lost as long as the receiver died with
//!   fewer unread lines than the window holds. The price is up to a
//!   window's worth of duplicates per failed connection (the rsyslog fault
//!   test sees about 1,024 duplicates per stop, of which 0 to 15 lines
//!   were really lost in flight and saved by the resend); they are
//!   recognisable by the alert's id (`event.id` in ECS,
//!   `alert.metadata.event_id` in EVE), and a smaller
//!   `resend_window_lines` trades duplicates for risk. Before each batch
//!   the sink also checks whether the receiver has closed the connection,
//!   so a batch is not written into a connection already known to be dead.
//!   At shutdown, and on `reopen`, the sink half-closes the connection and
//!   waits for the receiver to close its side, which it does once it has
//!   read everything: then nothing is in flight. If the receiver resets
//!   the connection instead, the window is kept for resending (in the
//!   spool at shutdown); if it does not answer in time, it is trusted.
//!   Exactly-once is therefore only claimed while connections do not fail;
//!   consumers that need it deduplicate on the event id.
//! - **UDP** is at-most-once: a datagram to a dead receiver is lost unless
//!   the kernel reports the ICMP error on a later send, which then spools
//!   the unsent line and reconnects like a stream.
//!
//! Receivers must accept messages of `max_line_bytes` plus the syslog
//! header (about 100 bytes): rsyslog's default `maxMessageSize` is 8 KiB,
//! so set `global(maxMessageSize="64k")` for the default 64 KiB lines.
//! TLS (`syslog+tls`, RFC 5425) and RELP are not implemented.

mod backoff;
pub mod spec;
mod spool;
pub mod syslog;
#[cfg(test)]
mod tests;
mod transport;
mod worker;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub use spec::{Encoding, SinkSpec, SyslogOptions, Target, parse_spec};
pub use syslog::{Facility, Severity};

use backoff::{Backoff, fnv1a};
use spool::Spool;
use syslog::SyslogFormat;
use transport::Conn;
use worker::{Encoder, Msg, Parts, Settings, Worker};

/// One line on its way: the JSON bytes (no line feed) and the syslog
/// severity it is sent with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub severity: Severity,
    pub bytes: Vec<u8>,
}

/// Settings shared by the sinks of a run (defaults in parentheses).
#[derive(Debug, Clone)]
pub struct SinkOptions {
    /// Capacity of each sink's queue, in lines (65,536). Memory: at most
    /// this many lines of up to `max_line_bytes`, per sink.
    pub queue_lines: usize,
    /// Bytes of lines in each sink's queue, at most (64 MiB): with
    /// `queue_lines`, what bounds a sink's memory while its target is slow
    /// or down without a spool.
    pub queue_max_bytes: usize,
    /// Longest accepted line, without its line feed (64 KiB).
    pub max_line_bytes: usize,
    /// Spool directory: each network sink spools in its own subdirectory,
    /// named after its target (none: no spool).
    pub spool_dir: Option<PathBuf>,
    /// Bound of each sink's spool, in bytes of segment files (256 MiB).
    pub spool_max_bytes: u64,
    /// Resend window of stream sinks, see the module documentation (1,024
    /// lines, 4 MiB); 0 lines turns it off.
    pub resend_window_lines: usize,
    pub resend_window_bytes: usize,
    /// Largest UDP datagram sent (8,192 bytes); lines whose message would
    /// be longer are refused by `send`.
    pub udp_max_bytes: usize,
    /// Bound of each connect and write (10 s).
    pub io_timeout: Duration,
    /// Reconnect backoff floor and ceiling (100 ms, 30 s).
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Syslog APP-NAME (`camsentry`).
    pub app_name: String,
    /// Syslog HOSTNAME (the kernel's host name); also seeds the backoff
    /// jitter.
    pub hostname: String,
}

/// The kernel's host name, `-` (syslog's NILVALUE) when unknown.
fn system_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "-".into())
}

impl Default for SinkOptions {
    fn default() -> SinkOptions {
        SinkOptions {
            queue_lines: 65_536,
            queue_max_bytes: 64 * 1024 * 1024,
            max_line_bytes: 64 * 1024,
            spool_dir: None,
            spool_max_bytes: 256 * 1024 * 1024,
            resend_window_lines: 1024,
            resend_window_bytes: 4 * 1024 * 1024,
            udp_max_bytes: 8192,
            io_timeout: Duration::from_secs(10),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(30),
            app_name: "camsentry".into(),
            hostname: system_hostname(),
        }
    }
}

/// A snapshot of a sink's counters. Totals since the sink started, except
/// the gauges `connected` and `spool_bytes`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinkCounters {
    /// Lines accepted by `send` into the queue.
    pub queued: u64,
    /// Lines delivered to the target for the first time (directly, from
    /// the spool, or after a failed batch).
    pub sent: u64,
    /// Lines written to the spool (including, at shutdown, resend-window
    /// lines kept for the next start).
    pub spooled: u64,
    /// Lines delivered from the spool (a part of `sent`).
    pub resent_from_spool: u64,
    /// Resend-window lines sent again after a connection failed: possible
    /// duplicates.
    pub replayed: u64,
    /// Sum of the four `dropped_*` counters.
    pub dropped: u64,
    /// Refused by `send`: the queue was full (or the sink had stopped).
    pub dropped_queue_full: u64,
    /// The target was down and the spool full, failing or absent.
    pub dropped_spool_full: u64,
    /// Refused by `send`: empty, an embedded line feed, or too long.
    pub dropped_invalid: u64,
    /// Still undelivered when shutdown's timeout ran out, with no spool
    /// (or no room in it) to keep them.
    pub dropped_at_shutdown: u64,
    /// Resend-window lines that could be neither resent nor spooled at
    /// shutdown: they were sent once and may or may not have arrived.
    pub unconfirmed: u64,
    /// Connections made after the first (after failures or reopens).
    pub reconnects: u64,
    pub connect_failures: u64,
    /// Failed writes (each one ends a connection).
    pub write_errors: u64,
    pub spool_errors: u64,
    /// Spool records skipped because they were corrupt.
    pub spool_corrupt: u64,
    /// Bytes in the spool now.
    pub spool_bytes: u64,
    /// Whether the target is connected (or the file open) now.
    pub connected: bool,
}

impl fmt::Display for SinkCounters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "queued {}, sent {}, spooled {}, resent from spool {}, replayed {}, \
             dropped {} (queue full {}, spool full {}, invalid {}, at shutdown {}), \
             unconfirmed {}, reconnects {}, connect failures {}, write errors {}, \
             spool errors {}, spool {} bytes",
            self.queued,
            self.sent,
            self.spooled,
            self.resent_from_spool,
            self.replayed,
            self.dropped,
            self.dropped_queue_full,
            self.dropped_spool_full,
            self.dropped_invalid,
            self.dropped_at_shutdown,
            self.unconfirmed,
            self.reconnects,
            self.connect_failures,
            self.write_errors,
            self.spool_errors,
            self.spool_bytes,
        )
    }
}

#[derive(Default)]
pub(crate) struct Counters {
    pub queued: AtomicU64,
    pub sent: AtomicU64,
    pub spooled: AtomicU64,
    pub resent_from_spool: AtomicU64,
    pub replayed: AtomicU64,
    pub dropped_queue_full: AtomicU64,
    pub dropped_spool_full: AtomicU64,
    pub dropped_invalid: AtomicU64,
    pub dropped_at_shutdown: AtomicU64,
    pub unconfirmed: AtomicU64,
    pub reconnects: AtomicU64,
    pub connect_failures: AtomicU64,
    pub write_errors: AtomicU64,
    pub spool_errors: AtomicU64,
    pub spool_corrupt: AtomicU64,
    pub spool_bytes: AtomicU64,
    pub connected: AtomicBool,
}

impl Counters {
    fn snapshot(&self) -> SinkCounters {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut s = SinkCounters {
            queued: get(&self.queued),
            sent: get(&self.sent),
            spooled: get(&self.spooled),
            resent_from_spool: get(&self.resent_from_spool),
            replayed: get(&self.replayed),
            dropped: 0,
            dropped_queue_full: get(&self.dropped_queue_full),
            dropped_spool_full: get(&self.dropped_spool_full),
            dropped_invalid: get(&self.dropped_invalid),
            dropped_at_shutdown: get(&self.dropped_at_shutdown),
            unconfirmed: get(&self.unconfirmed),
            reconnects: get(&self.reconnects),
            connect_failures: get(&self.connect_failures),
            write_errors: get(&self.write_errors),
            spool_errors: get(&self.spool_errors),
            spool_corrupt: get(&self.spool_corrupt),
            spool_bytes: get(&self.spool_bytes),
            connected: self.connected.load(Ordering::Relaxed),
        };
        s.dropped =
            s.dropped_queue_full + s.dropped_spool_full + s.dropped_invalid + s.dropped_at_shutdown;
        s
    }
}

/// State shared by a [`Sink`] and its thread.
#[derive(Default)]
pub(crate) struct Shared {
    pub counters: Counters,
    /// Bytes of the lines in the queue.
    pub queue_bytes: AtomicUsize,
    pub reopen: AtomicBool,
    pub stop: AtomicBool,
    /// When the thread must be done, set with `stop`.
    pub deadline: Mutex<Option<Instant>>,
    pub last_error: Mutex<Option<String>>,
}

/// How long dropping a [`Sink`] without `shutdown` gives it.
const DROP_TIMEOUT: Duration = Duration::from_secs(2);

/// The spool subdirectory of a target: readable, and stable across runs.
fn spool_subdir(target: &Target) -> String {
    let text = target.to_string();
    let readable: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    format!("{readable}-{:016x}", fnv1a(text.as_bytes()))
}

/// One running sink: a thread fed by a bounded queue.
pub struct Sink {
    spec: SinkSpec,
    tx: Option<SyncSender<Msg>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    max_line_bytes: usize,
    queue_max_bytes: usize,
    severity: Severity,
    spool_dir: Option<PathBuf>,
}

impl Sink {
    /// Starts the sink's thread. Files are opened (and spools opened and
    /// locked) here, so that a bad path fails at once; a network receiver
    /// that is down is not an error (its lines are kept until it is up).
    pub fn start(spec: &SinkSpec, options: &SinkOptions) -> io::Result<Sink> {
        let conn = match &spec.target {
            Target::Stdout => Some(Conn::open(&spec.target, options.io_timeout)?),
            Target::File(path) => Some(transport::open_file(path)?),
            Target::Tcp { .. } | Target::Udp { .. } | Target::Unix(_) => None,
        };
        let spool = match &options.spool_dir {
            Some(dir) if spec.target.is_network() => {
                let segment_bytes = (options.spool_max_bytes / 16).clamp(4096, 16 * 1024 * 1024);
                let dir = dir.join(spool_subdir(&spec.target));
                Some(Spool::open(&dir, options.spool_max_bytes, segment_bytes)?)
            }
            _ => None,
        };
        let spool_dir = spool.as_ref().map(|s| s.dir().to_path_buf());
        let datagram = matches!(spec.target, Target::Udp { .. });
        let (encoder, severity, overhead) = match &spec.encoding {
            Encoding::JsonLines => (Encoder::Lines { newline: !datagram }, Severity::Notice, 0),
            Encoding::Syslog(syslog) => {
                let format = SyslogFormat::new(
                    syslog.facility,
                    &options.hostname,
                    &options.app_name,
                    std::process::id(),
                    &syslog.msgid,
                );
                let overhead = format.overhead();
                let encoder = Encoder::Syslog {
                    format,
                    octet_counting: !datagram,
                };
                (encoder, syslog.severity, overhead)
            }
        };
        let mut max_line_bytes = options.max_line_bytes;
        if datagram {
            max_line_bytes = max_line_bytes.min(options.udp_max_bytes.saturating_sub(overhead));
        }
        let shared = Arc::new(Shared::default());
        let (tx, rx) = mpsc::sync_channel(options.queue_lines.max(1));
        let seed = fnv1a(spec.target.to_string().as_bytes()) ^ fnv1a(options.hostname.as_bytes());
        let worker = Worker::new(Parts {
            target: spec.target.clone(),
            encoder,
            rx,
            shared: Arc::clone(&shared),
            spool,
            conn,
            settings: Settings {
                io_timeout: options.io_timeout,
                // `S SP LINE LF`
                max_record: max_line_bytes as u64 + 3,
                window_lines: options.resend_window_lines,
                window_bytes: options.resend_window_bytes,
            },
            backoff: Backoff::new(options.backoff_min, options.backoff_max, seed),
        });
        let name = match &spec.target {
            Target::Stdout => "sink-stdout",
            Target::File(_) => "sink-file",
            Target::Tcp { .. } => "sink-tcp",
            Target::Udp { .. } => "sink-udp",
            Target::Unix(_) => "sink-unix",
        };
        let thread = thread::Builder::new()
            .name(name.into())
            .spawn(move || worker.run())?;
        Ok(Sink {
            spec: spec.clone(),
            tx: Some(tx),
            shared,
            thread: Some(thread),
            max_line_bytes,
            queue_max_bytes: options.queue_max_bytes,
            severity,
            spool_dir,
        })
    }

    pub fn spec(&self) -> &SinkSpec {
        &self.spec
    }

    /// This sink's own spool directory, if it has one.
    pub fn spool_dir(&self) -> Option<&Path> {
        self.spool_dir.as_deref()
    }

    /// Queues one whole line (without its line feed; one trailing `\n` is
    /// tolerated) with the sink's default severity. Never blocks: a line
    /// that does not fit is dropped and counted.
    pub fn send(&self, line: &[u8]) {
        self.send_with(line, self.severity);
    }

    /// Like [`Sink::send`], with the syslog severity of this line (ignored
    /// by JSON-lines sinks).
    pub fn send_with(&self, line: &[u8], severity: Severity) {
        let c = &self.shared.counters;
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        if line.is_empty() || line.len() > self.max_line_bytes || line.contains(&b'\n') {
            c.dropped_invalid.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let Some(tx) = &self.tx else {
            c.dropped_queue_full.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let size = line.len();
        let before = self.shared.queue_bytes.fetch_add(size, Ordering::Relaxed);
        if before + size > self.queue_max_bytes {
            self.shared.queue_bytes.fetch_sub(size, Ordering::Relaxed);
            c.dropped_queue_full.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let msg = Msg::Line(Line {
            severity,
            bytes: line.to_vec(),
        });
        match tx.try_send(msg) {
            Ok(()) => {
                c.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.shared.queue_bytes.fetch_sub(size, Ordering::Relaxed);
                c.dropped_queue_full.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Queues each line of `lines` (lines separated by `\n`, as an encoder
    /// appends them to a buffer); empty lines are skipped.
    pub fn send_lines(&self, lines: &[u8], severity: Option<Severity>) {
        for line in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            self.send_with(line, severity.unwrap_or(self.severity));
        }
    }

    /// SIGHUP: files are reopened by path, network sinks reconnect (a
    /// pending backoff is cut short). Does not wait.
    pub fn reopen(&self) {
        self.shared.reopen.store(true, Ordering::Release);
        self.wake();
    }

    fn wake(&self) {
        if let Some(tx) = &self.tx {
            // A full queue wakes the thread anyway.
            let _ = tx.try_send(Msg::Wake);
        }
        if let Some(thread) = &self.thread {
            thread.thread().unpark();
        }
    }

    pub fn counters(&self) -> SinkCounters {
        self.shared.counters.snapshot()
    }

    /// The latest connect, write or spool error, for reports.
    pub fn last_error(&self) -> Option<String> {
        self.shared
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Tells the thread to finish within `timeout` and stops the queue.
    fn request_stop(&mut self, timeout: Duration) {
        if self.tx.is_none() {
            return;
        }
        *self
            .shared
            .deadline
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now() + timeout);
        self.shared.stop.store(true, Ordering::Release);
        self.wake();
        // The thread sees the queue closed once it has drained it.
        self.tx = None;
        if let Some(thread) = &self.thread {
            thread.thread().unpark();
        }
    }

    fn join(&mut self) -> SinkCounters {
        if let Some(thread) = self.thread.take() {
            // A panic in the thread (a bug) must not become one here; the
            // counters tell what was delivered.
            let _ = thread.join();
        }
        self.counters()
    }

    /// Delivers what can be delivered within `timeout`, spools the rest
    /// (network sinks with a spool) or counts it as dropped, closes the
    /// connection gracefully, joins the thread and returns the final
    /// counters. The timeout bounds the delivery; a connect or write in
    /// progress is bounded by it too.
    pub fn shutdown(mut self, timeout: Duration) -> SinkCounters {
        self.request_stop(timeout);
        self.join()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.request_stop(DROP_TIMEOUT);
            self.join();
        }
    }
}

/// Several sinks fed with the same lines.
#[derive(Default)]
pub struct Sinks {
    sinks: Vec<Sink>,
}

impl Sinks {
    /// Starts one sink per spec; if one fails, those already started are
    /// stopped and the error names the failing spec.
    pub fn start(specs: &[SinkSpec], options: &SinkOptions) -> io::Result<Sinks> {
        let mut sinks = Vec::with_capacity(specs.len());
        for spec in specs {
            match Sink::start(spec, options) {
                Ok(sink) => sinks.push(sink),
                Err(e) => {
                    return Err(io::Error::new(e.kind(), format!("sink `{spec}`: {e}")));
                }
            }
        }
        Ok(Sinks { sinks })
    }

    pub fn from_sinks(sinks: Vec<Sink>) -> Sinks {
        Sinks { sinks }
    }

    pub fn sinks(&self) -> &[Sink] {
        &self.sinks
    }

    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    pub fn send(&self, line: &[u8]) {
        for sink in &self.sinks {
            sink.send(line);
        }
    }

    pub fn send_with(&self, line: &[u8], severity: Severity) {
        for sink in &self.sinks {
            sink.send_with(line, severity);
        }
    }

    pub fn send_lines(&self, lines: &[u8], severity: Option<Severity>) {
        for sink in &self.sinks {
            sink.send_lines(lines, severity);
        }
    }

    pub fn reopen(&self) {
        for sink in &self.sinks {
            sink.reopen();
        }
    }

    /// Each sink's canonical spec and counters.
    pub fn counters(&self) -> Vec<(String, SinkCounters)> {
        self.sinks
            .iter()
            .map(|s| (s.spec.to_string(), s.counters()))
            .collect()
    }

    /// Shuts all sinks down in parallel, within one `timeout`.
    pub fn shutdown(mut self, timeout: Duration) -> Vec<(String, SinkCounters)> {
        for sink in &mut self.sinks {
            sink.request_stop(timeout);
        }
        self.sinks
            .iter_mut()
            .map(|s| (s.spec.to_string(), s.join()))
            .collect()
    }
}
