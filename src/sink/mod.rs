//! SIEM delivery: sinks that take JSON lines (alerts, flow records, stats)
//! from the collector and deliver them to files, stdout, syslog receivers
//! and sockets, without ever making packet processing wait.
//!
//! # Parts
//!
//! - [`spec`]: the URL-like sink specifications (`-`, a path, `file://`,
//!   `syslog+tcp://`, `syslog+udp://`, `syslog+tls://`, `tcp://`,
//!   `udp://`, `unix://`) and [`parse_spec`].
//! - [`syslog`]: RFC 5424 messages and RFC 6587 octet-counting frames.
//! - `structured`: the severity and STRUCTURED-DATA a syslog message takes
//!   from its JSON line (rule id, category, Community ID).
//! - `tls`: RFC 5425 connections (rustls) and how their delivery is
//!   accounted on the TCP socket underneath.
//! - `spool`: the bounded on-disk queue of a network sink (segment files of
//!   whole lines plus a cursor file; layout and fsync policy in its docs).
//! - `transport`: connecting, writing, liveness checks and graceful close
//!   for each kind of target.
//! - `worker`: the thread of one sink, with the delivery order and the
//!   reconnect logic.
//! - `backoff`: reconnect delays (exponential, deterministic jitter).
//! - [`local`]: stdout and appended files ([`Output`]), reopened on SIGHUP.
//! - [`destinations`]: every place one kind of line goes ([`Destinations`]),
//!   local outputs and network sinks behind one call.
//! - `counters`: [`SinkCounters`], what a sink did with its lines.
//! - This module: [`Sink`] (one running sink), [`Sinks`] (several at once)
//!   and [`SinkOptions`].
//!
//! # How lines flow
//!
//! The collector calls [`Sink::send`] (or [`Sinks::send`]) with one whole
//! line. `send` copies the line into the sink's bounded queue
//! (`queue_lines` lines and `queue_max_bytes`) with a non-blocking
//! `try_send`: if the queue is full the line is dropped and counted
//! (`dropped_queue_full`); `send` never blocks, never does I/O. A sink's
//! memory is bounded by its queue, its unacknowledged lines
//! (`unacknowledged_max_bytes`), its resend window and one batch. Each
//! sink has its own thread that drains the queue in batches, encodes the lines (JSON lines, or RFC 5424 with
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
//! Once connected again the thread sends, in order: the lines of the failed
//! connection (see below), the spool, then the queue. While the spool is not empty new
//! lines go through it (or, when it is nearly full and draining, wait in
//! the queue), so the order per sink is the order of `send`, with the
//! lines of a failed connection repeated after it.
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
//! # Delivery you can account for
//!
//! A line counts as `acknowledged` only once the target has taken it:
//!
//! - **Files and stdout**: when written.
//! - **TCP, TLS and Unix streams**: when the receiver has acknowledged its
//!   bytes. After each step the sink reads the socket's count of bytes
//!   written but not acknowledged (`SIOCOUTQ`, Linux) and keeps every line
//!   written and not yet acknowledged in memory, with the offset where its
//!   frame ends in the connection's byte stream; bytes before `written -
//!   unacknowledged` are acknowledged, and so are the lines that end there.
//!   At most `unacknowledged_max_bytes` are outstanding: at the bound the
//!   sink writes nothing more until acknowledgements come (lines wait in
//!   the queue or the spool). On TCP, acknowledged means the receiver's
//!   kernel has the bytes; on a Unix socket, that the receiving program has
//!   read them. Over TLS the same count is read on the TCP socket and
//!   mapped back to the plaintext by whole records (see `tls`).
//! - **UDP**: never (at-most-once). A datagram to a dead receiver is lost
//!   unless the kernel reports the ICMP error on a later send, which then
//!   spools the unsent line and reconnects like a stream.
//!
//! Why the kernel's count and not an acknowledging protocol such as RELP:
//! it works with every stream receiver as it is (rsyslog's `imtcp`,
//! syslog-ng, Vector, Splunk TCP inputs, plain `tcp://` and `unix://`
//! readers), costs one `ioctl` per batch instead of a round trip per
//! window of messages, and needs no receiver module (rsyslog's `imrelp` is
//! a separate package, and most SIEM inputs do not speak RELP). What it
//! cannot see is a receiving program that dies with acknowledged bytes
//! still unread in its kernel buffer or its own queue; the resend window
//! and the graceful close below cover that case, with duplicates, as long
//! as what the receiver held unread fits in the resend window (8 MiB by
//! default, more than a Linux receiver's default socket buffer of at most
//! 6 MiB holds). Beyond that, `acknowledged` overstates what arrived.
//!
//! **A receiver that stops reading** (accepts, then reads nothing: a hung
//! or stopped process, a full disk queue) leaves bytes unacknowledged. When
//! some are outstanding and none has been acknowledged for `stall_timeout`
//! (30 s), the connection is reset (`SO_LINGER` 0, so the kernel stops
//! retrying), counted in `stalls`, and made again; its unacknowledged lines
//! are sent again first on the new connection. What the stalled receiver's
//! kernel did acknowledge stays readable there, and a receiver that
//! resumes reads it.
//!
//! **A connection that fails** (an error, the receiver closed or reset it,
//! or a stall) gives back all its lines: the unacknowledged ones and the
//! resend window, the newest acknowledged lines up to
//! `resend_window_bytes` (8 MiB) and `resend_window_lines` (65,536), which
//! a receiving program that died or was restarted may not have read. They are sent first on the next connection; a line
//! written whole before counts as `resent` (the receiver may get it
//! twice, recognisable by the alert's id: `event.id` in ECS,
//! `alert.metadata.event_id` in EVE); a line the kernel had not taken whole
//! counts as `sent` on its first whole write. Consumers that need
//! exactly-once deduplicate on the event id; a smaller resend window trades
//! duplicates for the risk of a receiver that dies with unread lines.
//! Before each batch the sink checks whether the receiver has closed the
//! connection, so a batch is not written into a connection known to be
//! dead.
//!
//! **At shutdown** the thread delivers what it can and waits for the
//! receiver to acknowledge it, until the timeout. If everything is
//! acknowledged it half-closes the connection and waits for the receiver
//! to close its side (it does once it has read everything: then nothing is
//! in flight; a reset instead gives the resend window back). Otherwise the
//! connection is reset and the unacknowledged lines are kept: with a spool
//! they are written to it (`spooled`, and sent first by the next start),
//! without one (or without room) they are counted as `unconfirmed`
//! (written, fate unknown) or, if never written whole,
//! `dropped_at_shutdown`. On `reopen` the connection is closed the same
//! way and what is not confirmed is sent again on the new one.
//!
//! **No silent loss.** Every line given to `send` is acknowledged (for UDP:
//! sent), kept in the spool, or counted as `dropped_*` or `unconfirmed`;
//! [`SinkCounters::lost`] is the sum of the last two, which the binary
//! turns into its exit status. The counters are atomics that can be read
//! at any time ([`Sink::counters`]); [`Sink::shutdown`] returns the final
//! ones, and [`Sink::last_error`] tells why a target is down or stalled.
//!
//! **At-least-once across restarts, with a spool.** A sensor restarted
//! with the same spool directory sends the spool first, before any new
//! line. The spool's cursor is advanced once a batch is handed to the
//! connection (the window keeps its lines until acknowledged) and is not
//! synced on every update, so a crash can make the next start resend up to
//! one batch or a stale cursor's worth: duplicates, never gaps. A crash
//! (not a clean shutdown) loses what was only in memory: the queue and the
//! unacknowledged lines. See `spool` for the fsync policy (a power loss can
//! lose about the last second of spooled lines).
//!
//! Measured against a real rsyslog (`tests/sink_rsyslog.rs`): stopped with
//! SIGSTOP while 20,000 alerts were sent (two stalls), it received all
//! 20,000 once resumed, 0 lost, with 2,286 duplicates; the sink counted
//! 20,000 sent, 20,000 acknowledged and 7,049 resent. Killed and restarted
//! instead of resumed: 0 lost, 2,000 duplicates (with a 1,024-line resend
//! window, 1,899 acknowledged but unread lines were lost, hence the
//! window's size in bytes).
//!
//! Receivers must accept messages of `max_line_bytes` plus the syslog
//! header (about 100 bytes): rsyslog's default `maxMessageSize` is 8 KiB,
//! so set `global(maxMessageSize="64k")` for the default 64 KiB lines.
//! RELP is not implemented (see above for why the kernel's count is used
//! instead); TLS is (`syslog+tls`, RFC 5425), tested against rsyslog's
//! GnuTLS driver in `tests/sink_tls.rs`.

mod backoff;
mod counters;
pub mod destinations;
pub mod local;
pub mod spec;
mod spool;
mod structured;
pub mod syslog;
#[cfg(test)]
mod tests;
mod tls;
mod transport;
mod worker;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub(crate) use counters::Counters;
pub use counters::SinkCounters;
pub use destinations::{DestinationError, Destinations};
pub use local::Output;
pub use spec::{
    Encoding, SinkSpec, SinkSpecError, SpecProblem, SyslogOptions, Target, TlsOptions, parse_spec,
};
pub use syslog::{Facility, Severity};

use backoff::{Backoff, fnv1a};
use spool::Spool;
use syslog::SyslogFormat;
use tls::TlsClient;
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
    /// Acknowledged lines a stream sink keeps, to send again should the
    /// connection fail or stall (the receiving program may not have read
    /// them), see the module documentation (65,536 lines, 8 MiB: sized in
    /// bytes to cover a receiver's socket buffer of unread lines); 0 lines
    /// keeps none.
    pub resend_window_lines: usize,
    pub resend_window_bytes: usize,
    /// Bytes written on a stream connection and not yet acknowledged, at
    /// most (8 MiB): the sink keeps these lines in memory until the
    /// receiver acknowledges them, and writes no more while at the bound.
    pub unacknowledged_max_bytes: usize,
    /// A stream receiver that leaves bytes unacknowledged this long without
    /// any progress is stalled: the connection is reset and made again,
    /// and the unacknowledged lines are sent again (30 s).
    pub stall_timeout: Duration,
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
            resend_window_lines: 65_536,
            resend_window_bytes: 8 * 1024 * 1024,
            unacknowledged_max_bytes: 8 * 1024 * 1024,
            stall_timeout: Duration::from_secs(30),
            udp_max_bytes: 8192,
            io_timeout: Duration::from_secs(10),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(30),
            app_name: "camsentry".into(),
            hostname: system_hostname(),
        }
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
            Target::Stdout => Some(Conn::open(&spec.target, options.io_timeout, None)?),
            Target::File(path) => Some(transport::open_file(path)?),
            Target::Tcp { .. } | Target::Udp { .. } | Target::Tls { .. } | Target::Unix(_) => None,
        };
        // Certificates and keys are read now: a bad file fails the start.
        let tls = match &spec.target {
            Target::Tls { host, tls, .. } => Some(TlsClient::new(tls, host)?),
            _ => None,
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
                    syslog.enterprise,
                );
                let overhead = format.overhead();
                let format = if datagram {
                    format.with_max_message(options.udp_max_bytes)
                } else {
                    format
                };
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
            tls,
            settings: Settings {
                io_timeout: options.io_timeout,
                // `S SP LINE LF`
                max_record: max_line_bytes as u64 + 3,
                window_lines: options.resend_window_lines,
                window_bytes: options.resend_window_bytes,
                unacknowledged_max: options.unacknowledged_max_bytes.max(1) as u64,
                stall_timeout: options.stall_timeout,
            },
            backoff: Backoff::new(options.backoff_min, options.backoff_max, seed),
        });
        let name = match &spec.target {
            Target::Stdout => "sink-stdout",
            Target::File(_) => "sink-file",
            Target::Tcp { .. } => "sink-tcp",
            Target::Tls { .. } => "sink-tls",
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
                c.queue_lines.fetch_add(1, Ordering::Relaxed);
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
        let mut counters = self.shared.counters.snapshot();
        counters.queue_bytes = self.shared.queue_bytes.load(Ordering::Relaxed) as u64;
        counters.last_error = self.last_error();
        counters
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
