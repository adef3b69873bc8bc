//! The thread of one sink: takes lines from the bounded queue, encodes and
//! writes them, and while the target is down keeps them (spool or queue)
//! and reconnects with backoff.
//!
//! The order of delivery is: the `pending` lines (the resend window and
//! the unsent rest of a failed batch, kept in memory), then the spool,
//! then the queue. A line goes from the queue straight to the target only
//! while nothing is pending and the spool is empty; otherwise it waits in
//! the queue or, with a spool, is appended to the spool, and reaches the
//! target in its turn. That keeps the per-sink order across outages and
//! restarts.

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
use super::{Line, Shared};

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
/// How long an idle worker waits before its periodic duties (spool sync).
const IDLE_TICK: Duration = Duration::from_secs(1);
/// A connection that lasted this long was healthy: the next failure starts
/// the backoff from its floor again. Shorter ones (a receiver that accepts
/// and drops connections) keep the backoff growing.
const HEALTHY: Duration = Duration::from_secs(1);
/// How long a reopen (SIGHUP) waits for the receiver to confirm the close.
const REOPEN_CLOSE: Duration = Duration::from_secs(1);
/// The least time given to a graceful close at shutdown.
const MIN_CLOSE: Duration = Duration::from_millis(50);

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

/// A line taken out of the queue, spool or window, not yet (re)delivered.
struct Item {
    line: Line,
    /// Sent before on a connection that then failed: it may have arrived.
    replay: bool,
}

pub struct Settings {
    pub io_timeout: Duration,
    /// Spool bytes of the longest accepted line.
    pub max_record: u64,
    pub window_lines: usize,
    pub window_bytes: usize,
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
    /// The last lines written on the current stream connection (newest
    /// last), bounded by `window_lines` and `window_bytes`.
    window: VecDeque<Line>,
    window_bytes: usize,
    pending: VecDeque<Item>,
    backoff: Backoff,
    next_attempt: Instant,
    connected_at: Instant,
    had_connection: bool,
    buf: Vec<u8>,
    ends: Vec<usize>,
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
            window: VecDeque::new(),
            window_bytes: 0,
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

    /// One unit of work; every wait in it is bounded (by the idle tick, the
    /// next reconnect attempt or `deadline`).
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
            Ok(conn) => {
                if self.had_connection {
                    c.reconnects.fetch_add(1, Ordering::Relaxed);
                }
                self.had_connection = true;
                self.conn = Some(conn);
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

    /// Encodes and writes `lines`; returns how many of them (a prefix) were
    /// written whole, and the error that stopped the rest.
    fn write(&mut self, lines: &[&Line]) -> (usize, Option<io::Error>) {
        let Some(conn) = self.conn.as_mut() else {
            return (0, Some(io::Error::from(io::ErrorKind::NotConnected)));
        };
        if let Err(e) = conn.check_alive() {
            return (0, Some(e));
        }
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

    /// Remembers a written line for a resend should the stream fail.
    fn remember(&mut self, line: Line) {
        if self.settings.window_lines == 0 || !self.target.is_stream() {
            return;
        }
        self.window_bytes += line.bytes.len();
        self.window.push_back(line);
        while self.window.len() > self.settings.window_lines
            || (self.window_bytes > self.settings.window_bytes && self.window.len() > 1)
        {
            if let Some(old) = self.window.pop_front() {
                self.window_bytes -= old.bytes.len();
            }
        }
    }

    /// The connection failed: drop it, schedule the next attempt, and put
    /// the resend window and the unsent lines in front of what is pending.
    fn fail(&mut self, error: io::Error, unsent: Vec<Item>) {
        let c = &self.shared.counters;
        c.write_errors.fetch_add(1, Ordering::Relaxed);
        c.connected.store(false, Ordering::Relaxed);
        self.set_error(&error);
        self.conn = None;
        if self.connected_at.elapsed() >= HEALTHY {
            self.backoff.reset();
        }
        self.next_attempt = Instant::now() + self.backoff.next_delay();
        self.window_to_pending(unsent);
    }

    fn window_to_pending(&mut self, unsent: Vec<Item>) {
        let mut front: VecDeque<Item> = self
            .window
            .drain(..)
            .map(|line| Item { line, replay: true })
            .collect();
        self.window_bytes = 0;
        front.extend(unsent);
        front.append(&mut self.pending);
        self.pending = front;
    }

    fn send_pending(&mut self) {
        let count = self.pending.len().min(BATCH_LINES);
        let items: Vec<Item> = self.pending.drain(..count).collect();
        let lines: Vec<&Line> = items.iter().map(|i| &i.line).collect();
        let (written, error) = self.write(&lines);
        let mut items = items.into_iter();
        for item in items.by_ref().take(written) {
            let counter = if item.replay {
                &self.shared.counters.replayed
            } else {
                &self.shared.counters.sent
            };
            counter.fetch_add(1, Ordering::Relaxed);
            self.remember(item.line);
        }
        if let Some(error) = error {
            self.fail(error, items.collect());
        }
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
        if batch.is_empty() {
            return;
        }
        let lines: Vec<&Line> = batch.iter().map(|p| &p.line).collect();
        let (written, error) = self.write(&lines);
        if written > 0 {
            let c = &self.shared.counters;
            c.sent.fetch_add(written as u64, Ordering::Relaxed);
            c.resent_from_spool
                .fetch_add(written as u64, Ordering::Relaxed);
            if let Some(spool) = self.spool.as_mut()
                && let Err(e) = spool.commit(&batch[written - 1])
            {
                c.spool_errors.fetch_add(1, Ordering::Relaxed);
                self.set_error(&e);
            }
            self.update_spool_gauge();
        }
        for peeked in batch.into_iter().take(written) {
            self.remember(peeked.line);
        }
        if let Some(error) = error {
            // The unsent rest is still in the spool.
            self.fail(error, Vec::new());
        }
    }

    fn send_from_queue(&mut self, deadline: Option<Instant>) {
        if self.rx_closed {
            // Only reached while stopping; never spin.
            thread::park_timeout(remaining(deadline, IDLE_TICK));
            return;
        }
        let first = match self.recv_timeout(remaining(deadline, IDLE_TICK)) {
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
        let mut batch = vec![first];
        while batch.len() < BATCH_LINES && bytes < BATCH_BYTES {
            match self.try_recv() {
                Ok(Msg::Line(line)) => {
                    bytes += line.bytes.len();
                    batch.push(line);
                }
                Ok(Msg::Wake) => {}
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.rx_closed = true;
                    break;
                }
            }
        }
        let lines: Vec<&Line> = batch.iter().collect();
        let (written, error) = self.write(&lines);
        self.shared
            .counters
            .sent
            .fetch_add(written as u64, Ordering::Relaxed);
        let mut batch = batch.into_iter();
        for line in batch.by_ref().take(written) {
            self.remember(line);
        }
        if let Some(error) = error {
            let unsent = batch
                .map(|line| Item {
                    line,
                    replay: false,
                })
                .collect();
            self.fail(error, unsent);
        }
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
                if let Some(conn) = self.conn.take() {
                    self.shared
                        .counters
                        .connected
                        .store(false, Ordering::Relaxed);
                    if conn.close(remaining(deadline, REOPEN_CLOSE)) == Some(false) {
                        self.window_to_pending(Vec::new());
                    } else {
                        self.window.clear();
                        self.window_bytes = 0;
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

    /// Shutdown: deliver what can be delivered before the deadline, close
    /// the connection gracefully, and put the rest in the spool (or count
    /// it as dropped when there is none).
    fn finish(&mut self) {
        let deadline = self.deadline();
        if self.spool.is_none() {
            // Without a spool the queue is all there is; taking it now lets
            // the loop below end as soon as everything is delivered, instead
            // of waiting for the deadline while the target is down.
            while let Ok(msg) = self.try_recv() {
                if let Msg::Line(line) = msg {
                    self.pending.push_back(Item {
                        line,
                        replay: false,
                    });
                }
            }
            // No line can come any more: `request_stop` (which needs the
            // `Sink` exclusively) runs after the last `send`.
            self.rx_closed = true;
        }
        let mut tried_now = false;
        loop {
            let spool_empty = self.spool.as_ref().is_none_or(Spool::is_empty);
            if self.rx_closed && self.pending.is_empty() && spool_empty {
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
            let timeout = remaining(Some(deadline), self.settings.io_timeout);
            if let Some(conn) = self.conn.as_mut() {
                conn.set_timeout(timeout);
            }
            self.step(Some(deadline));
        }

        if let Some(conn) = self.conn.take() {
            let grace = deadline
                .saturating_duration_since(Instant::now())
                .max(MIN_CLOSE);
            // The receiver closes its side once it has read everything we
            // sent; a reset instead means the last lines may be lost.
            if conn.close(grace) == Some(false) {
                self.window_to_pending(Vec::new());
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
                if item.replay {
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
