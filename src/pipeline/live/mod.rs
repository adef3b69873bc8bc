//! The live reader loop: poll every interface, feed the dispatcher, keep
//! the clock moving when the network is quiet, read libpcap's drop
//! counters, and stop cleanly on SIGINT/SIGTERM.
//!
//! With one reader (the default) this thread polls every interface and
//! dispatches what it reads without a copy. With `--readers N` each
//! interface gets N sockets in a `PACKET_FANOUT` hash group (see
//! `capture::fanout`), N [`readers`] threads each read one socket of every
//! interface, and this thread dispatches their batches as they arrive.
//!
//! # Ordering
//!
//! The dispatcher numbers packets in the order it takes them, and that
//! order decides epochs, flow records and alerts; for a given order the
//! output is the same for any `--workers`. With one reader it is the order
//! libpcap delivers each interface's packets. With several readers, the
//! kernel keeps both directions of a flow on one socket, in arrival order,
//! so each flow's packets stay in order; packets of different flows read
//! by different readers interleave in the order their batches reach this
//! thread, which varies from run to run (as it already does across several
//! interfaces). Flows, their packet and byte counts and per-flow alerts
//! do not depend on it; what depends on the order across flows (which of
//! two hosts is seen first, the packet at which a cross-flow threshold
//! trips) is decided by the interleaving that happened, and the same
//! interleaving gives the same output.

mod readers;

use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::RecvTimeoutError;

use super::notify::Notifier;
use super::{Backpressure, RunError, RunOutcome, Running, SensorOptions, finish, start};
use crate::capture::{CaptureSettings, KernelStats, LiveCapture, open_fanout, privileges};
use crate::stats::ReaderCounters;
use crate::timestamp::Timestamp;
use readers::Readers;

/// One interface to capture on.
#[derive(Debug, Clone)]
pub struct LiveInterface {
    pub name: String,
}

pub struct LiveOptions {
    pub interfaces: Vec<LiveInterface>,
    pub capture: CaptureSettings,
    /// Reader threads (`--readers`); above 1, each interface gets this many
    /// sockets in a fanout group.
    pub readers: usize,
    /// Drop to this user once the interfaces are open.
    pub user: Option<String>,
    /// No `capturing on` notice on stderr (`-q`).
    pub quiet: bool,
    pub sensor: SensorOptions,
}

/// Packets read from one interface before looking at the others.
const DRAIN: usize = 4096;
/// Quiet time after which the epoch closes anyway, so alerts and expiries
/// are not held back on an idle network.
const IDLE_TICK: Duration = Duration::from_millis(200);

fn wall_clock() -> Timestamp {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_secs_nanos(since.as_secs() as i64, i64::from(since.subsec_nanos()))
}

/// Opens every interface: one handle each for one reader, or `readers`
/// fanout sockets each. Returns the handles by reader (reader `k` gets
/// socket `k` of every interface) and what to say about each interface.
fn open(options: &LiveOptions) -> Result<(Vec<Vec<LiveCapture>>, Vec<String>), RunError> {
    // Packets name their interface by a u16 index (see `Flow::interface`).
    if options.interfaces.len() > usize::from(u16::MAX) + 1 {
        return Err(RunError::Setup(format!(
            "{} interfaces: at most {} can be captured at once",
            options.interfaces.len(),
            usize::from(u16::MAX) + 1
        )));
    }
    let readers = options.readers.max(1);
    let mut groups: Vec<Vec<LiveCapture>> = (0..readers).map(|_| Vec::new()).collect();
    let mut names = Vec::with_capacity(options.interfaces.len());
    for interface in &options.interfaces {
        if readers == 1 {
            let capture =
                LiveCapture::open(&interface.name, &options.capture).map_err(RunError::Setup)?;
            names.push(capture.describe());
            groups[0].push(capture);
            continue;
        }
        let mut sockets =
            open_fanout(&interface.name, &options.capture, readers).map_err(RunError::Setup)?;
        let group = sockets.group;
        if let Some(first) = sockets.captures.first_mut() {
            first.note(&format!("{readers} readers, fanout group {group}"));
            names.push(first.describe());
        }
        for (reader, capture) in sockets.captures.into_iter().enumerate() {
            groups[reader].push(capture);
        }
    }
    Ok((groups, names))
}

/// Captures until SIGINT/SIGTERM, then flushes flows and alerts.
pub fn live(options: LiveOptions) -> Result<RunOutcome, RunError> {
    let (mut groups, names) = open(&options)?;
    if let Some(user) = &options.user {
        privileges::drop_to(user).map_err(RunError::Setup)?;
    }
    let control = options.sensor.control.clone();
    let mut running = start(options.sensor, Backpressure::Drop)?;
    let readers = if groups.len() > 1 {
        Some(
            Readers::start(std::mem::take(&mut groups), control.stop.clone())
                .map_err(|_| RunError::ThreadPanicked)?,
        )
    } else {
        None
    };
    // The interfaces are known (at zero) from the first metrics on, so
    // their labelled series never change shape.
    let interfaces: Vec<String> = options.interfaces.iter().map(|i| i.name.clone()).collect();
    set_kernel_stats(&mut running.dispatcher.counters, &interfaces, Vec::new());
    // Every handle is active and the workers run: from here on no packet
    // is missed, and whoever waits for us (tests, systemd) may go on.
    let mut notifier = Notifier::from_environment();
    for name in names.iter().filter(|_| !options.quiet) {
        // Never panics on a closed stderr: capture matters more.
        let _ = writeln!(std::io::stderr(), "camsentry: capturing on {name}");
    }
    notifier.ready(&format!("capturing on {}", names.join(", ")));
    let failure = match readers {
        Some(readers) => {
            dispatch_readers(readers, &interfaces, &mut running, &mut notifier, &control)
        }
        None => {
            let captures = groups.pop().unwrap_or_default();
            read_directly(captures, &interfaces, &mut running, &mut notifier, &control)
        }
    };
    notifier.stopping();
    let outcome = finish(running, Vec::new())?;
    match failure {
        Some(error) => Err(RunError::Capture(error)),
        None => Ok(outcome),
    }
}

/// The clock and counters kept between reads, whoever reads.
struct Pacing {
    last_stats: Instant,
    last_epoch: Instant,
}

impl Pacing {
    fn new() -> Pacing {
        Pacing {
            last_stats: Instant::now(),
            last_epoch: Instant::now(),
        }
    }

    /// After a round of reading: closes the epoch on a quiet network, and
    /// says whether the libpcap counters are due.
    fn after_round(&mut self, running: &mut Running, notifier: &mut Notifier, before: u64) -> bool {
        let now = Instant::now();
        notifier.tick(now);
        if running.dispatcher.packets() != before {
            self.last_epoch = now;
        } else if now.duration_since(self.last_epoch) >= IDLE_TICK {
            running.dispatcher.idle(wall_clock());
            self.last_epoch = now;
        }
        let due = now.duration_since(self.last_stats) >= Duration::from_secs(1);
        if due {
            self.last_stats = now;
        }
        due
    }
}

/// One reader: this thread polls every interface and dispatches in place.
/// Returns the capture failure that ended the run, if any.
fn read_directly(
    mut captures: Vec<LiveCapture>,
    interfaces: &[String],
    running: &mut Running,
    notifier: &mut Notifier,
    control: &super::Control,
) -> Option<String> {
    let mut pacing = Pacing::new();
    let mut failure = None;
    'capture: while !control.stopping() {
        let ready = crate::capture::live::wait_readable(&captures, 100);
        let before = running.dispatcher.packets();
        for index in ready {
            let dispatcher = &mut running.dispatcher;
            // Handles are in `-i` order: the index names the interface.
            let interface = index as u16;
            if let Err(error) = captures[index].drain(DRAIN, &mut |link, ts, wire_len, frame| {
                dispatcher.packet(interface, link, ts, wire_len, frame)
            }) {
                failure = Some(error);
                break 'capture;
            }
        }
        if pacing.after_round(running, notifier, before) {
            let stats = read_kernel_stats(&mut captures);
            set_kernel_stats(&mut running.dispatcher.counters, interfaces, vec![stats]);
        }
    }
    // Final counters, then the pipeline drains and flushes.
    let stats = read_kernel_stats(&mut captures);
    set_kernel_stats(&mut running.dispatcher.counters, interfaces, vec![stats]);
    failure
}

/// Several readers: dispatches their batches in the order they arrive
/// until every reader has ended (after stop, or when one failed).
fn dispatch_readers(
    readers: Readers,
    interfaces: &[String],
    running: &mut Running,
    notifier: &mut Notifier,
    control: &super::Control,
) -> Option<String> {
    let mut pacing = Pacing::new();
    loop {
        let before = running.dispatcher.packets();
        match readers.frames.recv_timeout(Duration::from_millis(100)) {
            Ok(frames) => {
                for (frame, bytes) in frames.iter() {
                    running.dispatcher.packet(
                        frame.interface,
                        frame.link,
                        frame.ts,
                        frame.wire_len,
                        bytes,
                    );
                }
                readers.recycle(frames);
            }
            Err(RecvTimeoutError::Timeout) => {}
            // Every reader has ended and its last batch is dispatched.
            Err(RecvTimeoutError::Disconnected) => break,
        }
        // While stopping, the readers end within one poll; the queue is
        // emptied meanwhile so none of them waits on it forever.
        if pacing.after_round(running, notifier, before) && !control.stopping() && !readers.failed()
        {
            set_kernel_stats(
                &mut running.dispatcher.counters,
                interfaces,
                readers.stats(),
            );
        }
    }
    match readers.join() {
        Ok(stats) => {
            set_kernel_stats(&mut running.dispatcher.counters, interfaces, stats);
            None
        }
        Err(error) => Some(error),
    }
}

/// libpcap's counters of each socket (one per interface, in `-i` order);
/// they are cumulative.
fn read_kernel_stats(captures: &mut [LiveCapture]) -> Vec<KernelStats> {
    captures.iter_mut().map(|c| c.stats()).collect()
}

fn add(total: &mut KernelStats, stats: &KernelStats) {
    total.received += stats.received;
    total.dropped += stats.dropped;
    total.interface_dropped += stats.interface_dropped;
}

/// Stores the counters of each reader's sockets (`per_reader[k][i]`:
/// reader `k`, interface `i`) as per-reader sums, per-interface sums (by
/// the names given to `-i`) and totals.
fn set_kernel_stats(
    counters: &mut ReaderCounters,
    interfaces: &[String],
    per_reader: Vec<Vec<KernelStats>>,
) {
    let mut by_interface = vec![KernelStats::default(); interfaces.len()];
    let mut readers = Vec::with_capacity(per_reader.len());
    for sockets in &per_reader {
        let mut reader = KernelStats::default();
        for (index, stats) in sockets.iter().enumerate() {
            add(&mut reader, stats);
            if let Some(slot) = by_interface.get_mut(index) {
                add(slot, stats);
            }
        }
        readers.push(reader);
    }
    counters.kernel_received = readers.iter().map(|s| s.received).sum();
    counters.kernel_dropped = readers.iter().map(|s| s.dropped).sum();
    counters.interface_dropped = readers.iter().map(|s| s.interface_dropped).sum();
    counters.readers = readers;
    counters.interfaces = interfaces.iter().cloned().zip(by_interface).collect();
}
