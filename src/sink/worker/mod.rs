//! The thread of one sink: takes lines from the bounded queue, encodes and
//! writes them, and while the target is down keeps them (spool or queue)
//! and reconnects with backoff.
//!
//! The order of delivery is: the `pending` lines (those of a failed
//! connection that must be sent again, and the unsent rest of a failed
//! batch, kept in memory), then the spool, then the queue. A line goes from
//! the queue straight to the target only while nothing is pending and the
//! spool is empty; otherwise it waits in the queue or, with a spool, is
//! appended to the spool, and reaches the target in its turn. That keeps
//! the per-sink order across outages and restarts.
//!
//! # Streams: lines kept until acknowledged
//!
//! On a TCP, TLS or Unix stream, a line handed to the connection joins the
//! connection's window with the offset where its frame ends in the byte
//! stream. Its bytes go to the kernel as fast as it takes them (a write
//! blocks at most [`WRITE_SLICE`], so a full send buffer never keeps the
//! thread from its other duties); what the kernel has not taken yet waits
//! in the window's tail. After each step the worker reads the kernel's
//! count of unacknowledged bytes (`SIOCOUTQ`): everything before
//! `written - unacknowledged` was acknowledged by the receiver, and the
//! lines that end there are counted as `acknowledged`. Unacknowledged
//! lines are never forgotten while the connection lives; new lines are
//! held back while `unacknowledged_max` bytes are outstanding. Of the
//! acknowledged lines the newest `window_lines` (and `window_bytes`) are
//! kept as well, because a receiving program that dies may not have read
//! what its kernel acknowledged.
//!
//! When the connection fails (an error, the receiver closed it, or it
//! stalled: bytes outstanding and no acknowledgement for `stall_timeout`,
//! after which it is reset), the whole window goes to the front of
//! `pending`: lines written whole count as `resent` when they are written
//! again, the others as `sent` on their first whole write. At shutdown the
//! worker waits (until the deadline) for every line to be acknowledged,
//! then closes gracefully; what was not acknowledged goes to the spool, or
//! is counted as `unconfirmed` (written, fate unknown) or
//! `dropped_at_shutdown` (never written whole).

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, PoisonError};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

mod delivery;
mod shutdown;
mod stream;

use super::backoff::Backoff;
use super::spec::Target;
use super::spool::{Spool, SpoolError};
use super::syslog::SyslogFormat;
use super::tls::TlsClient;
use super::transport::{self, Conn};
use super::{Counters, Line, Shared};
use stream::Stream;

/// What the queue carries: lines, and nudges that make a waiting worker
/// look at its flags (reopen, stop) at once.
pub enum Msg {
    Line(Line),
    Wake,
}

/// Lines and bytes written with one call.
const BATCH_LINES: usize = 512;
const BATCH_BYTES: usize = 256 * 1024;
/// Lines moved from the queue to the spool per step while catching up, so
/// that sending the backlog is not starved by a busy queue.
const ABSORB_LINES: usize = 4096;
/// How long an idle worker waits before its periodic duties (spool sync,
/// acknowledgements, stall detection).
const IDLE_TICK: Duration = Duration::from_secs(1);
/// A connection that lasted this long was healthy: the next failure starts
/// the backoff from its floor again. Shorter ones (a receiver that accepts
/// and drops connections) keep the backoff growing.
const HEALTHY: Duration = Duration::from_secs(1);
/// How long a reopen (SIGHUP) waits for the receiver to confirm the close.
const REOPEN_CLOSE: Duration = Duration::from_secs(1);
/// The least time given to a graceful close at shutdown.
const MIN_CLOSE: Duration = Duration::from_millis(50);
/// The longest one write to a stream blocks (its send timeout).
const WRITE_SLICE: Duration = Duration::from_millis(100);
/// How often acknowledgements are read while waiting only for them.
const ACK_POLL: Duration = Duration::from_millis(10);

/// How lines are put on the wire.
pub enum Encoder {
    /// The line, then `\n` unless it goes alone in a datagram.
    Lines { newline: bool },
    Syslog {
        format: SyslogFormat,
        octet_counting: bool,
    },
}

impl Encoder {
    pub fn encode(&self, line: &Line, now: SystemTime, out: &mut Vec<u8>) {
        match self {
            Encoder::Lines { newline } => {
                out.extend_from_slice(&line.bytes);
                if *newline {
                    out.push(b'\n');
                }
            }
            Encoder::Syslog {
                format,
                octet_counting: true,
            } => format.octet_counted(line.severity, now, &line.bytes, out),
            Encoder::Syslog { format, .. } => format.message(line.severity, now, &line.bytes, out),
        }
    }
}

/// Where a line comes from, which decides what its whole write counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// From the queue: `sent`.
    Queue,
    /// From the spool: `sent` and `sent_from_spool`.
    Spool,
    /// Written whole before, on a connection that then failed: `resent`.
    Repeat,
}

/// A line on its way, with what is known of its earlier attempts.
struct Item {
    line: Line,
    origin: Origin,
    /// Acknowledged on an earlier connection (counted once).
    acked: bool,
}

impl Item {
    fn new(line: Line, origin: Origin) -> Item {
        Item {
            line,
            origin,
            acked: false,
        }
    }
}

pub struct Settings {
    pub io_timeout: Duration,
    /// Spool bytes of the longest accepted line.
    pub max_record: u64,
    /// Acknowledged lines (and their bytes) kept for a resend.
    pub window_lines: usize,
    pub window_bytes: usize,
    /// Outstanding bytes on a stream, at most.
    pub unacknowledged_max: u64,
    pub stall_timeout: Duration,
}

/// What a worker is made of.
pub struct Parts {
    pub target: Target,
    pub encoder: Encoder,
    pub rx: Receiver<Msg>,
    pub shared: Arc<Shared>,
    pub spool: Option<Spool>,
    /// Files and stdout are opened by `Sink::start`, to report errors early.
    pub conn: Option<Conn>,
    /// The TLS client of a `Target::Tls`.
    pub tls: Option<TlsClient>,
    pub settings: Settings,
    pub backoff: Backoff,
}

pub struct Worker {
    target: Target,
    encoder: Encoder,
    rx: Receiver<Msg>,
    rx_closed: bool,
    shared: Arc<Shared>,
    spool: Option<Spool>,
    conn: Option<Conn>,
    tls: Option<TlsClient>,
    settings: Settings,
    /// The current stream connection's window (empty for other targets).
    stream: Stream,
    pending: VecDeque<Item>,
    backoff: Backoff,
    next_attempt: Instant,
    connected_at: Instant,
    had_connection: bool,
    buf: Vec<u8>,
    ends: Vec<usize>,
}

/// Counts one line written whole, by its origin.
fn count_written(c: &Counters, origin: Origin) {
    match origin {
        Origin::Queue => {
            c.sent.fetch_add(1, Ordering::Relaxed);
        }
        Origin::Spool => {
            c.sent.fetch_add(1, Ordering::Relaxed);
            c.sent_from_spool.fetch_add(1, Ordering::Relaxed);
        }
        Origin::Repeat => {
            c.resent.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn remaining(deadline: Option<Instant>, bound: Duration) -> Duration {
    match deadline {
        Some(deadline) => bound.min(deadline.saturating_duration_since(Instant::now())),
        None => bound,
    }
}

impl Worker {
    pub fn new(parts: Parts) -> Worker {
        let Parts {
            target,
            encoder,
            rx,
            shared,
            spool,
            conn,
            tls,
            settings,
            backoff,
        } = parts;
        let had_connection = conn.is_some();
        shared
            .counters
            .connected
            .store(had_connection, Ordering::Relaxed);
        if let Some(spool) = &spool {
            shared
                .counters
                .spool_bytes
                .store(spool.bytes(), Ordering::Relaxed);
        }
        Worker {
            target,
            encoder,
            rx,
            rx_closed: false,
            shared,
            spool,
            conn,
            tls,
            settings,
            stream: Stream::new(),
            pending: VecDeque::new(),
            backoff,
            next_attempt: Instant::now(),
            connected_at: Instant::now(),
            had_connection,
            buf: Vec::with_capacity(BATCH_BYTES + 1024),
            ends: Vec::with_capacity(BATCH_LINES),
        }
    }

    /// Takes the next message from the queue, releasing its bytes from
    /// the queue's byte bound.
    fn try_recv(&mut self) -> Result<Msg, TryRecvError> {
        let msg = self.rx.try_recv()?;
        self.release(&msg);
        Ok(msg)
    }

    fn recv_timeout(&mut self, timeout: Duration) -> Result<Msg, RecvTimeoutError> {
        let msg = self.rx.recv_timeout(timeout)?;
        self.release(&msg);
        Ok(msg)
    }

    fn release(&self, msg: &Msg) {
        if let Msg::Line(line) = msg {
            self.shared
                .queue_bytes
                .fetch_sub(line.bytes.len(), Ordering::Relaxed);
            self.shared
                .counters
                .queue_lines
                .fetch_sub(1, Ordering::Relaxed);
        }
    }

    fn stopping(&self) -> bool {
        self.shared.stop.load(Ordering::Acquire)
    }

    fn set_error(&self, error: &io::Error) {
        *self
            .shared
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(error.to_string());
    }

    fn update_spool_gauge(&self) {
        if let Some(spool) = &self.spool {
            let c = &self.shared.counters;
            c.spool_bytes.store(spool.bytes(), Ordering::Relaxed);
            c.spool_corrupt.store(spool.corrupt, Ordering::Relaxed);
        }
    }

    pub fn run(mut self) {
        while !self.stopping() {
            self.step(None);
        }
        self.finish();
    }

    fn is_stream(&self) -> bool {
        self.target.is_stream()
    }

    /// One unit of work; every wait in it is bounded (by the idle tick, the
    /// next reconnect attempt, a write slice or `deadline`).
    fn step(&mut self, deadline: Option<Instant>) {
        if self.shared.reopen.swap(false, Ordering::AcqRel) {
            self.reopen(deadline);
        }
        if self.conn.is_none() {
            if Instant::now() >= self.next_attempt {
                self.connect(deadline);
            }
            if self.conn.is_none() {
                let until = match deadline {
                    Some(deadline) => self.next_attempt.min(deadline),
                    None => self.next_attempt,
                };
                self.wait_while_down(until);
                return;
            }
        }
        if self.is_stream() {
            self.poll_acks();
            if self.conn.is_none() {
                return;
            }
            if self.stream.has_tail() {
                let before = self.stream.written;
                self.pump();
                if self.conn.is_some() && self.stream.written == before {
                    // The receiver takes nothing now: keep the queue
                    // moving (into the spool, if there is one).
                    self.absorb(ABSORB_LINES);
                }
                return;
            }
            if self.stream.outstanding() >= self.settings.unacknowledged_max {
                self.absorb(ABSORB_LINES);
                thread::park_timeout(remaining(deadline, ACK_POLL));
                return;
            }
        }
        if !self.pending.is_empty() {
            self.send_pending();
        } else if self.spool.as_ref().is_some_and(|s| !s.is_empty()) {
            self.absorb(ABSORB_LINES);
            self.send_spooled();
        } else {
            self.send_from_queue(deadline);
        }
    }

    fn connect(&mut self, deadline: Option<Instant>) {
        let c = &self.shared.counters;
        let timeout = remaining(deadline, self.settings.io_timeout);
        match Conn::open(&self.target, timeout, self.tls.as_ref()) {
            Ok(mut conn) => {
                if self.had_connection {
                    c.reconnects.fetch_add(1, Ordering::Relaxed);
                }
                if conn.is_stream() {
                    conn.set_timeout(WRITE_SLICE);
                }
                self.had_connection = true;
                self.conn = Some(conn);
                self.stream = Stream::new();
                self.connected_at = Instant::now();
                c.connected.store(true, Ordering::Relaxed);
            }
            Err(e) => {
                c.connect_failures.fetch_add(1, Ordering::Relaxed);
                self.set_error(&e);
                self.next_attempt = Instant::now() + self.backoff.next_delay();
            }
        }
    }

    /// While the target is down: with a spool, moves queued lines into it
    /// (so the queue never fills); without, leaves them queued (bounded
    /// memory; `send` counts what no longer fits) and sleeps. Returns at
    /// `until` or when woken for a reopen or stop.
    fn wait_while_down(&mut self, until: Instant) {
        if self.spool.is_some() && !self.rx_closed {
            while let Some(left) = until.checked_duration_since(Instant::now()) {
                // Waking at least every tick keeps the spool's sync policy
                // (a backoff step can be 30 s).
                match self.recv_timeout(left.min(IDLE_TICK)) {
                    Ok(Msg::Line(line)) => self.spool_line(line),
                    Err(RecvTimeoutError::Timeout) => self.on_idle(),
                    Ok(Msg::Wake) => break,
                    Err(RecvTimeoutError::Disconnected) => {
                        self.rx_closed = true;
                        break;
                    }
                }
                if self.stopping() {
                    break;
                }
            }
            self.on_idle();
        } else if let Some(left) = until.checked_duration_since(Instant::now()) {
            // `Sink::reopen` and `Sink::shutdown` unpark the thread.
            thread::park_timeout(left);
        }
    }

    fn spool_line(&mut self, line: Line) {
        let c = &self.shared.counters;
        let Some(spool) = self.spool.as_mut() else {
            c.dropped_spool_full.fetch_add(1, Ordering::Relaxed);
            return;
        };
        match spool.append(&line) {
            Ok(()) => {
                c.spooled.fetch_add(1, Ordering::Relaxed);
            }
            Err(SpoolError::Full) => {
                c.dropped_spool_full.fetch_add(1, Ordering::Relaxed);
            }
            Err(SpoolError::Io(e)) => {
                c.dropped_spool_full.fetch_add(1, Ordering::Relaxed);
                c.spool_errors.fetch_add(1, Ordering::Relaxed);
                self.set_error(&e);
            }
        }
        self.update_spool_gauge();
    }

    /// Moves up to `max` queued lines into the spool without waiting, while
    /// the spool has room for a line of the longest size: the target is up
    /// and the spool draining, so a line that would not fit is better left
    /// waiting in the queue than dropped.
    fn absorb(&mut self, max: usize) {
        for _ in 0..max {
            if self
                .spool
                .as_ref()
                .is_none_or(|s| s.free_bytes() < self.settings.max_record)
            {
                break;
            }
            match self.try_recv() {
                Ok(Msg::Line(line)) => self.spool_line(line),
                Ok(Msg::Wake) => {}
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.rx_closed = true;
                    break;
                }
            }
        }
    }

    fn on_idle(&mut self) {
        if let Some(spool) = self.spool.as_mut()
            && let Err(e) = spool.maybe_sync()
        {
            self.shared
                .counters
                .spool_errors
                .fetch_add(1, Ordering::Relaxed);
            self.set_error(&e);
        }
        self.update_spool_gauge();
    }
}
