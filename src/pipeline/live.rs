//! The live reader loop: poll every interface, feed the dispatcher, keep
//! the clock moving when the network is quiet, read libpcap's drop
//! counters, and stop cleanly on SIGINT/SIGTERM.

use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

use super::notify::Notifier;
use super::{Backpressure, RunError, RunOutcome, SensorOptions, finish, start};
use crate::capture::{CaptureSettings, KernelStats, LiveCapture, privileges};
use crate::stats::ReaderCounters;
use crate::timestamp::Timestamp;

/// One interface to capture on.
#[derive(Debug, Clone)]
pub struct LiveInterface {
    pub name: String,
}

pub struct LiveOptions {
    pub interfaces: Vec<LiveInterface>,
    pub capture: CaptureSettings,
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

/// Captures until SIGINT/SIGTERM, then flushes flows and alerts.
pub fn live(options: LiveOptions) -> Result<RunOutcome, RunError> {
    let mut captures = Vec::with_capacity(options.interfaces.len());
    for interface in &options.interfaces {
        captures
            .push(LiveCapture::open(&interface.name, &options.capture).map_err(RunError::Setup)?);
    }
    if let Some(user) = &options.user {
        privileges::drop_to(user).map_err(RunError::Setup)?;
    }
    let control = options.sensor.control.clone();
    let mut running = start(options.sensor, Backpressure::Drop)?;
    // Every handle is active and the workers run: from here on no packet
    // is missed, and whoever waits for us (tests, systemd) may go on.
    let mut notifier = Notifier::from_environment();
    let names: Vec<String> = captures.iter().map(LiveCapture::describe).collect();
    for name in names.iter().filter(|_| !options.quiet) {
        // Never panics on a closed stderr: capture matters more.
        let _ = writeln!(std::io::stderr(), "camsentry: capturing on {name}");
    }
    notifier.ready(&format!("capturing on {}", names.join(", ")));
    let mut last_stats = Instant::now();
    let mut last_epoch = Instant::now();
    let mut failure = None;
    'capture: while !control.stopping() {
        let ready = crate::capture::live::wait_readable(&captures, 100);
        let before = running.dispatcher.packets();
        for index in ready {
            let dispatcher = &mut running.dispatcher;
            if let Err(error) = captures[index].drain(DRAIN, &mut |link, ts, wire_len, frame| {
                dispatcher.packet(link, ts, wire_len, frame)
            }) {
                failure = Some(error);
                break 'capture;
            }
        }
        let now = Instant::now();
        notifier.tick(now);
        if running.dispatcher.packets() != before {
            last_epoch = now;
        } else if now.duration_since(last_epoch) >= IDLE_TICK {
            running.dispatcher.idle(wall_clock());
            last_epoch = now;
        }
        if now.duration_since(last_stats) >= Duration::from_secs(1) {
            last_stats = now;
            read_kernel_stats(
                &mut captures,
                &options.interfaces,
                &mut running.dispatcher.counters,
            );
        }
    }
    notifier.stopping();
    // Final counters, then let the pipeline drain and flush.
    read_kernel_stats(
        &mut captures,
        &options.interfaces,
        &mut running.dispatcher.counters,
    );
    let outcome = finish(running, Vec::new())?;
    match failure {
        Some(error) => Err(RunError::Capture(error)),
        None => Ok(outcome),
    }
}

/// libpcap's counters are cumulative per interface: kept per interface
/// (named as given to `-i`), and the totals are their sums.
fn read_kernel_stats(
    captures: &mut [LiveCapture],
    interfaces: &[LiveInterface],
    counters: &mut ReaderCounters,
) {
    let mut total = KernelStats::default();
    counters.interfaces.clear();
    for (capture, interface) in captures.iter_mut().zip(interfaces) {
        let stats = capture.stats();
        total.received += stats.received;
        total.dropped += stats.dropped;
        total.interface_dropped += stats.interface_dropped;
        counters.interfaces.push((interface.name.clone(), stats));
    }
    counters.kernel_received = total.received;
    counters.kernel_dropped = total.dropped;
    counters.interface_dropped = total.interface_dropped;
}
