//! Writing lines, in the worker's order of delivery: the pending lines,
//! then the spool, then the queue; and what a failed write does to the
//! connection and the lines it carried.

use super::*;

impl Worker {
    /// Encodes and writes `lines` to a file, stdout or UDP socket; returns
    /// how many of them (a prefix) were written whole, and the error that
    /// stopped the rest.
    pub(super) fn write_direct(&mut self, lines: &[&Line]) -> (usize, Option<io::Error>) {
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
    pub(super) fn count_direct(&self, origin: Origin) {
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
    pub(super) fn deliver(&mut self, items: Vec<Item>) {
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
    pub(super) fn fail(&mut self, error: io::Error, unsent: Vec<Item>) {
        self.shared
            .counters
            .write_errors
            .fetch_add(1, Ordering::Relaxed);
        self.drop_connection(error, unsent, false);
    }

    /// Ends the connection (resetting it when `abort`), as `fail`.
    pub(super) fn drop_connection(&mut self, error: io::Error, unsent: Vec<Item>, abort: bool) {
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

    pub(super) fn send_pending(&mut self) {
        let count = self.pending.len().min(BATCH_LINES);
        let items: Vec<Item> = self.pending.drain(..count).collect();
        self.deliver(items);
    }

    pub(super) fn send_spooled(&mut self) {
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

    pub(super) fn commit_spool(&mut self, last: &crate::sink::spool::Peeked) {
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

    pub(super) fn send_from_queue(&mut self, deadline: Option<Instant>) {
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
}
