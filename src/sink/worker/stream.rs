//! Stream connections (TCP, Unix): the window of lines handed to the
//! connection and kept until the receiver's kernel acknowledged them, and
//! what happens to that window when the connection fails (see the module
//! documentation of the worker).

use super::*;

/// A line handed to the current stream connection.
pub(super) struct Outstanding {
    pub(super) item: Item,
    /// The offset just past its frame in the connection's byte stream.
    pub(super) end: u64,
}

/// The current stream connection's lines, oldest first: acknowledged ones
/// kept for a resend, then written ones awaiting acknowledgement, then
/// those whose bytes the kernel has not taken whole yet. Offsets count
/// encoded bytes from the start of the connection.
pub(super) struct Stream {
    pub(super) window: VecDeque<Outstanding>,
    /// Lines at the front of the window that are acknowledged.
    pub(super) acked_lines: usize,
    /// Their JSON bytes (for the `window_bytes` bound).
    pub(super) acked_line_bytes: usize,
    /// Lines at the front of the window written whole.
    pub(super) written_lines: usize,
    /// Bytes handed over (the end of the last line), written to the
    /// kernel, and acknowledged by the receiver.
    pub(super) assigned: u64,
    pub(super) written: u64,
    pub(super) acked: u64,
    /// The encoded bytes from `written` to `assigned` start at
    /// `tail[tail_start]`.
    pub(super) tail: Vec<u8>,
    pub(super) tail_start: usize,
    /// When `acked` last moved, or bytes became outstanding.
    pub(super) progress_at: Instant,
}

impl Stream {
    pub(super) fn new() -> Stream {
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
    pub(super) fn outstanding(&self) -> u64 {
        self.assigned - self.acked
    }

    pub(super) fn settled(&self) -> bool {
        self.assigned == self.acked
    }

    pub(super) fn has_tail(&self) -> bool {
        self.tail_start < self.tail.len()
    }
}

impl Worker {
    pub(super) fn update_window_gauge(&self) {
        let unacknowledged = self.stream.window.len() - self.stream.acked_lines;
        self.shared
            .counters
            .unacknowledged
            .store(unacknowledged as u64, Ordering::Relaxed);
    }

    /// Hands lines to the current stream connection: they join the window
    /// and their frames the tail, which is then written as far as the
    /// kernel takes it.
    pub(super) fn hand_over(&mut self, items: Vec<Item>) {
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
    pub(super) fn pump(&mut self) {
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
    pub(super) fn read_acks(&mut self) -> io::Result<()> {
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
    pub(super) fn poll_acks(&mut self) {
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
    pub(super) fn acknowledge(&mut self) {
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

    /// Moves the window of the connection that just ended to the front of
    /// `pending`, then `unsent`. With `drop_acknowledged`, the lines the
    /// receiver acknowledged are confirmed and left out.
    pub(super) fn window_to_pending(&mut self, unsent: Vec<Item>, drop_acknowledged: bool) {
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
    pub(super) fn settle(&mut self, closed: Option<bool>) {
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
}
