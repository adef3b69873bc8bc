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
//! On a TCP or Unix stream, a line handed to the connection joins the
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

use super::backoff::Backoff;
use super::spec::Target;
use super::spool::{Spool, SpoolError};
use super::syslog::SyslogFormat;
use super::transport::{self, Conn};
use super::{Counters, Line, Shared};

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

/// A line handed to the current stream connection.
struct Outstanding {
    item: Item,
    /// The offset just past its frame in the connection's byte stream.
    end: u64,
}

/// The current stream connection's lines, oldest first: acknowledged ones
/// kept for a resend, then written ones awaiting acknowledgement, then
/// those whose bytes the kernel has not taken whole yet. Offsets count
/// encoded bytes from the start of the connection.
struct Stream {
    window: VecDeque<Outstanding>,
    /// Lines at the front of the window that are acknowledged.
    acked_lines: usize,
    /// Their JSON bytes (for the `window_bytes` bound).
    acked_line_bytes: usize,
    /// Lines at the front of the window written whole.
    written_lines: usize,
    /// Bytes handed over (the end of the last line), written to the
    /// kernel, and acknowledged by the receiver.
    assigned: u64,
    written: u64,
    acked: u64,
    /// The encoded bytes from `written` to `assigned` start at
    /// `tail[tail_start]`.
    tail: Vec<u8>,
    tail_start: usize,
    /// When `acked` last moved, or bytes became outstanding.
    progress_at: Instant,
}

impl Stream {
    fn new() -> Stream {
        Stream {
            window: VecDeque::new(),
            acked_lines: 0,
            acked_line_bytes: 0,
            written_lines: 0,
            assigned: 0,
            written: 0,
            acked: 0,
            tail: Vec::new(),
            tail_start: 0,
            progress_at: Instant::now(),
        }
    }

    /// Bytes handed over and not yet acknowledged.
    fn outstanding(&self) -> u64 {
        self.assigned - self.acked
    }

    fn settled(&self) -> bool {
        self.assigned == self.acked
    }

    fn has_tail(&self) -> bool {
        self.tail_start < self.tail.len()
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
        match Conn::open(&self.target, remaining(deadline, self.settings.io_timeout)) {
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

    fn update_window_gauge(&self) {
        let unacknowledged = self.stream.window.len() - self.stream.acked_lines;
        self.shared
            .counters
            .unacknowledged
            .store(unacknowledged as u64, Ordering::Relaxed);
    }

    /// Hands lines to the current stream connection: they join the window
    /// and their frames the tail, which is then written as far as the
    /// kernel takes it.
    fn hand_over(&mut self, items: Vec<Item>) {
        let s = &mut self.stream;
        if s.settled() {
            // Bytes become outstanding now: the stall clock starts here.
            s.progress_at = Instant::now();
        }
        if s.tail_start > 0 && s.tail_start * 2 >= s.tail.len() {
            s.tail.drain(..s.tail_start);
            s.tail_start = 0;
        }
        let now = SystemTime::now();
        for item in items {
            let before = s.tail.len();
            self.encoder.encode(&item.line, now, &mut s.tail);
            s.assigned += (s.tail.len() - before) as u64;
            s.window.push_back(Outstanding {
                item,
                end: s.assigned,
            });
        }
        self.update_window_gauge();
        self.pump();
    }

    /// Writes the tail until it is all written, the kernel takes nothing
    /// for a write slice, or a write slice has passed (a slow receiver
    /// does not keep the thread from its other duties).
    fn pump(&mut self) {
        let until = Instant::now() + WRITE_SLICE;
        while self.stream.has_tail() {
            if Instant::now() >= until {
                return;
            }
            let Some(conn) = self.conn.as_mut() else {
                return;
            };
            let s = &mut self.stream;
            match conn.write_stream(&s.tail[s.tail_start..]) {
                Ok(0) => {
                    self.fail(io::ErrorKind::WriteZero.into(), Vec::new());
                    return;
                }
                Ok(n) => {
                    s.tail_start += n;
                    s.written += n as u64;
                    while s.written_lines < s.window.len()
                        && s.window[s.written_lines].end <= s.written
                    {
                        let origin = s.window[s.written_lines].item.origin;
                        s.written_lines += 1;
                        count_written(&self.shared.counters, origin);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return;
                }
                Err(e) => {
                    self.fail(e, Vec::new());
                    return;
                }
            }
        }
        self.stream.tail.clear();
        self.stream.tail_start = 0;
    }

    /// Reads how far the receiver has acknowledged the stream and counts
    /// the lines that are now acknowledged; then fails if the receiver has
    /// closed the connection.
    fn read_acks(&mut self) -> io::Result<()> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        let Some(queued) = conn.unacknowledged()? else {
            return Ok(());
        };
        // Unix sockets count buffer overhead too: never go backwards.
        let acked = self.stream.written.saturating_sub(queued);
        if acked > self.stream.acked {
            self.stream.acked = acked;
            self.stream.progress_at = Instant::now();
            self.acknowledge();
        }
        match self.conn.as_mut() {
            Some(conn) => conn.check_alive(),
            None => Ok(()),
        }
    }

    /// [`Worker::read_acks`], and drops the connection if the receiver
    /// closed it or stalled.
    fn poll_acks(&mut self) {
        if self.conn.is_none() {
            return;
        }
        if let Err(e) = self.read_acks() {
            self.fail(e, Vec::new());
            return;
        }
        let s = &self.stream;
        if !s.settled() && s.progress_at.elapsed() >= self.settings.stall_timeout {
            let error = io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the receiver stalled: {} bytes unacknowledged for {:.1} s",
                    s.outstanding(),
                    s.progress_at.elapsed().as_secs_f64()
                ),
            );
            self.shared.counters.stalls.fetch_add(1, Ordering::Relaxed);
            self.drop_connection(error, Vec::new(), true);
        }
    }

    /// Counts the window lines that `acked` now covers, and forgets the
    /// oldest acknowledged ones beyond the resend window's bounds.
    fn acknowledge(&mut self) {
        let c = &self.shared.counters;
        let s = &mut self.stream;
        while s.acked_lines < s.written_lines && s.window[s.acked_lines].end <= s.acked {
            let entry = &mut s.window[s.acked_lines];
            if !entry.item.acked {
                entry.item.acked = true;
                c.acknowledged.fetch_add(1, Ordering::Relaxed);
            }
            s.acked_line_bytes += entry.item.line.bytes.len();
            s.acked_lines += 1;
        }
        while s.acked_lines > 0
            && (s.acked_lines > self.settings.window_lines
                || s.acked_line_bytes > self.settings.window_bytes)
        {
            if let Some(old) = s.window.pop_front() {
                s.acked_line_bytes -= old.item.line.bytes.len();
                s.acked_lines -= 1;
                s.written_lines -= 1;
            }
        }
        self.update_window_gauge();
    }

    /// Encodes and writes `lines` to a file, stdout or UDP socket; returns
    /// how many of them (a prefix) were written whole, and the error that
    /// stopped the rest.
    fn write_direct(&mut self, lines: &[&Line]) -> (usize, Option<io::Error>) {
        let Some(conn) = self.conn.as_mut() else {
            return (0, Some(io::Error::from(io::ErrorKind::NotConnected)));
        };
        self.buf.clear();
        self.ends.clear();
        let now = SystemTime::now();
        for line in lines {
            self.encoder.encode(line, now, &mut self.buf);
            self.ends.push(self.buf.len());
        }
        match conn.write_frames(&self.buf, &self.ends) {
            Ok(()) => (lines.len(), None),
            Err(e) => {
                let whole = self
                    .ends
                    .iter()
                    .take_while(|&&end| end <= e.written)
                    .count();
                (whole, Some(e.error))
            }
        }
    }

    /// Counts a direct write: files and stdout have taken the lines for
    /// good once written; UDP has no acknowledgement.
    fn count_direct(&self, origin: Origin) {
        count_written(&self.shared.counters, origin);
        if matches!(self.target, Target::File(_) | Target::Stdout) {
            self.shared
                .counters
                .acknowledged
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Delivers `items`: a stream takes them all into its window; other
    /// targets write them now, and a failed write puts the unsent rest in
    /// front of `pending`.
    fn deliver(&mut self, items: Vec<Item>) {
        if self.is_stream() {
            // Not into a connection already known to be gone: those bytes
            // would be lost without an error.
            if let Err(e) = self.read_acks() {
                self.fail(e, items);
                return;
            }
            self.hand_over(items);
            return;
        }
        let lines: Vec<&Line> = items.iter().map(|i| &i.line).collect();
        let (written, error) = self.write_direct(&lines);
        let mut items = items.into_iter();
        for item in items.by_ref().take(written) {
            self.count_direct(item.origin);
        }
        if let Some(error) = error {
            self.fail(error, items.collect());
        }
    }

    /// The connection failed: drop it, schedule the next attempt, and put
    /// the window and the unsent lines in front of what is pending.
    fn fail(&mut self, error: io::Error, unsent: Vec<Item>) {
        self.shared
            .counters
            .write_errors
            .fetch_add(1, Ordering::Relaxed);
        self.drop_connection(error, unsent, false);
    }

    /// Ends the connection (resetting it when `abort`), as `fail`.
    fn drop_connection(&mut self, error: io::Error, unsent: Vec<Item>, abort: bool) {
        self.shared
            .counters
            .connected
            .store(false, Ordering::Relaxed);
        self.set_error(&error);
        if let Some(conn) = self.conn.take()
            && abort
        {
            conn.abort();
        }
        if self.connected_at.elapsed() >= HEALTHY {
            self.backoff.reset();
        }
        self.next_attempt = Instant::now() + self.backoff.next_delay();
        self.window_to_pending(unsent, false);
    }

    /// Moves the window of the connection that just ended to the front of
    /// `pending`, then `unsent`. With `drop_acknowledged`, the lines the
    /// receiver acknowledged are confirmed and left out.
    fn window_to_pending(&mut self, unsent: Vec<Item>, drop_acknowledged: bool) {
        let stream = std::mem::replace(&mut self.stream, Stream::new());
        let mut front: VecDeque<Item> = VecDeque::with_capacity(stream.window.len());
        for (i, entry) in stream.window.into_iter().enumerate() {
            if drop_acknowledged && i < stream.acked_lines {
                continue;
            }
            let mut item = entry.item;
            if i < stream.written_lines {
                item.origin = Origin::Repeat;
            }
            front.push_back(item);
        }
        front.extend(unsent);
        front.append(&mut self.pending);
        self.pending = front;
        self.update_window_gauge();
    }

    /// After a graceful close: `Some(true)`, the receiver read everything
    /// up to our end of stream, so every line written whole is confirmed;
    /// `None` (no answer in time), what it acknowledged is trusted;
    /// `Some(false)`, it reset the connection, so every line is sent again.
    fn settle(&mut self, closed: Option<bool>) {
        match closed {
            Some(true) => {
                self.stream.acked = self.stream.written;
                self.acknowledge();
                self.window_to_pending(Vec::new(), true);
            }
            None => self.window_to_pending(Vec::new(), true),
            Some(false) => self.window_to_pending(Vec::new(), false),
        }
    }

    fn send_pending(&mut self) {
        let count = self.pending.len().min(BATCH_LINES);
        let items: Vec<Item> = self.pending.drain(..count).collect();
        self.deliver(items);
    }

    fn send_spooled(&mut self) {
        let Some(spool) = self.spool.as_mut() else {
            return;
        };
        let batch = match spool.peek(BATCH_LINES, BATCH_BYTES) {
            Ok(batch) => batch,
            Err(e) => {
                // An unreadable spool is set aside (left on disk for the
                // next start) rather than retried in a loop.
                self.shared
                    .counters
                    .spool_errors
                    .fetch_add(1, Ordering::Relaxed);
                self.set_error(&e);
                self.spool = None;
                return;
            }
        };
        self.update_spool_gauge();
        let Some(last) = batch.last() else {
            return;
        };
        if self.is_stream() {
            // The window keeps the lines from here on (and gives them back
            // to `pending` if the connection fails).
            self.commit_spool(last);
            let items = batch
                .into_iter()
                .map(|p| Item::new(p.line, Origin::Spool))
                .collect();
            self.deliver(items);
            return;
        }
        let lines: Vec<&Line> = batch.iter().map(|p| &p.line).collect();
        let (written, error) = self.write_direct(&lines);
        for _ in 0..written {
            self.count_direct(Origin::Spool);
        }
        if written > 0 {
            self.commit_spool(&batch[written - 1]);
        }
        if let Some(error) = error {
            // The unsent rest is still in the spool.
            self.fail(error, Vec::new());
        }
    }

    fn commit_spool(&mut self, last: &super::spool::Peeked) {
        if let Some(spool) = self.spool.as_mut()
            && let Err(e) = spool.commit(last)
        {
            self.shared
                .counters
                .spool_errors
                .fetch_add(1, Ordering::Relaxed);
            self.set_error(&e);
        }
        self.update_spool_gauge();
    }

    fn send_from_queue(&mut self, deadline: Option<Instant>) {
        // While lines await acknowledgement, look again soon (sooner when
        // stopping, where nothing else is left to do).
        let tick = match (self.stream.settled(), self.rx_closed) {
            (true, _) => IDLE_TICK,
            (false, false) => IDLE_TICK / 10,
            (false, true) => ACK_POLL,
        };
        if self.rx_closed {
            // Only reached while stopping; never spin.
            thread::park_timeout(remaining(deadline, tick));
            return;
        }
        let first = match self.recv_timeout(remaining(deadline, tick)) {
            Ok(Msg::Line(line)) => line,
            Ok(Msg::Wake) => return,
            Err(RecvTimeoutError::Timeout) => {
                self.on_idle();
                return;
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.rx_closed = true;
                return;
            }
        };
        let mut bytes = first.bytes.len();
        let mut batch = vec![Item::new(first, Origin::Queue)];
        while batch.len() < BATCH_LINES && bytes < BATCH_BYTES {
            match self.try_recv() {
                Ok(Msg::Line(line)) => {
                    bytes += line.bytes.len();
                    batch.push(Item::new(line, Origin::Queue));
                }
                Ok(Msg::Wake) => {}
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.rx_closed = true;
                    break;
                }
            }
        }
        self.deliver(batch);
    }

    /// SIGHUP: files are reopened by path (after logrotate moved them);
    /// network connections are closed and made again at once (a receiver
    /// that moved, or a backoff cut short).
    fn reopen(&mut self, deadline: Option<Instant>) {
        match &self.target {
            Target::Stdout => {}
            Target::File(path) => match transport::open_file(path) {
                Ok(conn) => {
                    if let Some(old) = self.conn.replace(conn) {
                        old.close(Duration::ZERO);
                    }
                }
                Err(e) => {
                    // Retried with backoff by the main loop.
                    self.set_error(&e);
                    self.conn = None;
                    self.shared
                        .counters
                        .connected
                        .store(false, Ordering::Relaxed);
                    self.next_attempt = Instant::now() + self.backoff.next_delay();
                }
            },
            Target::Tcp { .. } | Target::Udp { .. } | Target::Unix(_) => {
                if self.is_stream() {
                    self.poll_acks();
                }
                if let Some(conn) = self.conn.take() {
                    self.shared
                        .counters
                        .connected
                        .store(false, Ordering::Relaxed);
                    let closed = conn.close(remaining(deadline, REOPEN_CLOSE));
                    if self.is_stream() {
                        self.settle(closed);
                    }
                }
                self.backoff.reset();
                self.next_attempt = Instant::now();
            }
        }
    }

    fn deadline(&self) -> Instant {
        self.shared
            .deadline
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .unwrap_or_else(Instant::now)
    }

    /// Shutdown: deliver what can be delivered before the deadline, wait
    /// for the receiver to acknowledge it, close the connection gracefully,
    /// and put the rest in the spool (or count it as dropped or
    /// unconfirmed when there is none).
    fn finish(&mut self) {
        let deadline = self.deadline();
        if self.spool.is_none() {
            // Without a spool the queue is all there is; taking it now lets
            // the loop below end as soon as everything is delivered, instead
            // of waiting for the deadline while the target is down.
            while let Ok(msg) = self.try_recv() {
                if let Msg::Line(line) = msg {
                    self.pending.push_back(Item::new(line, Origin::Queue));
                }
            }
            // No line can come any more: `request_stop` (which needs the
            // `Sink` exclusively) runs after the last `send`.
            self.rx_closed = true;
        }
        let mut tried_now = false;
        loop {
            let spool_empty = self.spool.as_ref().is_none_or(Spool::is_empty);
            if self.rx_closed && self.pending.is_empty() && spool_empty && self.stream.settled() {
                break;
            }
            if Instant::now() >= deadline {
                break;
            }
            if self.conn.is_none() && self.spool.is_some() {
                // One immediate attempt (the receiver may be back), then
                // the rest goes to the spool without waiting for backoff.
                if tried_now {
                    break;
                }
                tried_now = true;
                self.connect(Some(deadline));
                if self.conn.is_none() {
                    break;
                }
            }
            let mut timeout = remaining(Some(deadline), self.settings.io_timeout);
            if self.is_stream() {
                timeout = timeout.min(WRITE_SLICE);
            }
            if let Some(conn) = self.conn.as_mut() {
                conn.set_timeout(timeout);
            }
            self.step(Some(deadline));
        }

        if self.is_stream() {
            self.poll_acks();
        }
        if let Some(conn) = self.conn.take() {
            if conn.is_stream() && !self.stream.settled() {
                // Not all acknowledged in time: reset rather than leave the
                // kernel retrying; the unacknowledged lines are kept below.
                conn.abort();
                self.settle(None);
            } else {
                let grace = deadline
                    .saturating_duration_since(Instant::now())
                    .max(MIN_CLOSE);
                // The receiver closes its side once it has read everything
                // we sent; a reset instead means the last lines may be lost.
                let closed = conn.close(grace);
                if self.is_stream() {
                    self.settle(closed);
                }
            }
        }
        self.shared
            .counters
            .connected
            .store(false, Ordering::Relaxed);

        let mut leftovers = Vec::new();
        while !self.rx_closed {
            match self.try_recv() {
                Ok(Msg::Line(line)) => leftovers.push(line),
                Ok(Msg::Wake) => {}
                Err(_) => self.rx_closed = true,
            }
        }
        let pending: Vec<Item> = self.pending.drain(..).collect();
        let c = &self.shared.counters;
        let lost = |items: &[Item]| {
            for item in items {
                if item.origin == Origin::Repeat {
                    c.unconfirmed.fetch_add(1, Ordering::Relaxed);
                } else {
                    c.dropped_at_shutdown.fetch_add(1, Ordering::Relaxed);
                }
            }
        };
        match self.spool.as_mut() {
            Some(spool) => {
                let lines: Vec<Line> = pending.iter().map(|i| i.line.clone()).collect();
                match spool.prepend(&lines) {
                    Ok(stored) => {
                        c.spooled.fetch_add(stored as u64, Ordering::Relaxed);
                        lost(&pending[..pending.len() - stored]);
                    }
                    Err(e) => {
                        c.spool_errors.fetch_add(1, Ordering::Relaxed);
                        *self
                            .shared
                            .last_error
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner) = Some(e.to_string());
                        lost(&pending);
                    }
                }
                for line in leftovers {
                    self.spool_line(line);
                }
                if let Some(spool) = self.spool.as_mut()
                    && let Err(e) = spool.sync()
                {
                    self.shared
                        .counters
                        .spool_errors
                        .fetch_add(1, Ordering::Relaxed);
                    self.set_error(&e);
                }
                self.update_spool_gauge();
            }
            None => {
                lost(&pending);
                c.dropped_at_shutdown
                    .fetch_add(leftovers.len() as u64, Ordering::Relaxed);
            }
        }
    }
}
