//! Reopening on SIGHUP and the final flush at shutdown: waiting (until the
//! deadline) for every line to be acknowledged, then spooling or counting
//! what could not be delivered.

use super::*;

impl Worker {
    /// SIGHUP: files are reopened by path (after logrotate moved them);
    /// network connections are closed and made again at once (a receiver
    /// that moved, or a backoff cut short).
    pub(super) fn reopen(&mut self, deadline: Option<Instant>) {
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
            Target::Tcp { .. } | Target::Udp { .. } | Target::Tls { .. } | Target::Unix(_) => {
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

    pub(super) fn deadline(&self) -> Instant {
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
    pub(super) fn finish(&mut self) {
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
