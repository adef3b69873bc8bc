//! Threads and channels: one reader per packet source, `--workers` flow
//! workers, one collector.
//!
//! ```text
//!  reader ──batches (by flow hash)──▶ worker 0 ─┐
//!    │  ◀──────── recycled batches ── worker 1 ─┼─events per epoch─▶ collector ─▶ outputs
//!    └────────────────────────────▶  worker N ─┘
//! ```
//!
//! Workers own their flow tables; the only shared things are channels and
//! two signal flags. Replay blocks on a full worker queue (back-pressure,
//! nothing dropped); live capture never blocks and counts what it drops.

mod batch;
mod collector;
mod dispatcher;
mod live;
mod merge;
mod notify;
mod observe;
mod progress;
mod records;
mod watch;
mod worker;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::bounded;

pub use batch::{Batch, Event, EventOrder, PacketRecord, WorkerOutput};
pub use collector::{KeptAlerts, MAX_KEPT_ALERTS};
pub use dispatcher::{Backpressure, Dispatcher, EPOCH_PACKETS};
pub use live::{LiveInterface, LiveOptions, live};
pub use merge::{EpochMerge, Item, WorkerGone};
pub use records::{RecordChunk, RecordLine};

use crate::alert::{Format, Observer};
use crate::capture::{self, FileOutcome, InputError};
use crate::detect::Engine;
use crate::flow::Timeouts;
use crate::sink::Destinations;
use crate::stats::{ReaderCounters, RunSummary, WorkerCounters};

/// Batches queued per worker before the reader waits (replay) or drops
/// (live).
const QUEUE_BATCHES: usize = 4;

/// Stop and reload requests, set from signal handlers.
#[derive(Debug, Clone, Default)]
pub struct Control {
    /// SIGINT/SIGTERM: stop reading, flush, summarise.
    pub stop: Arc<AtomicBool>,
    /// SIGHUP: reopen output files and reload the policy.
    pub reload: Arc<AtomicBool>,
}

impl Control {
    /// Registers SIGINT, SIGTERM and SIGHUP.
    pub fn with_signals() -> std::io::Result<Control> {
        let control = Control::default();
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register(signal, Arc::clone(&control.stop))?;
        }
        signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&control.reload))?;
        Ok(control)
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Periodic telemetry.
pub struct Telemetry {
    /// Write a stats record this often (wall clock) to `stats_out`.
    pub interval: Option<Duration>,
    pub stats_out: Option<Destinations>,
    /// Text the metrics endpoint serves, refreshed every second.
    pub metrics: Option<Arc<Mutex<String>>>,
}

/// Detection for a run: the engine, where its alerts go (`None` when only
/// the engine's state is wanted, as for `inventory` and `learn`), and the
/// policy file to reload on SIGHUP.
pub struct Detection {
    pub engine: Engine,
    pub alerts: Option<Destinations>,
    pub policy_path: Option<PathBuf>,
    /// Keep the encoded alerts for a report ([`RunOutcome::alerts`]).
    pub keep_alerts: bool,
}

/// What every sensor run needs, whatever the packet source.
pub struct SensorOptions {
    pub workers: usize,
    /// Live flows across all workers before the stalest is evicted.
    pub max_flows: usize,
    pub timeouts: Timeouts,
    pub vlan_in_key: bool,
    pub flows: Option<Destinations>,
    /// How flow records are encoded (`--format`) and the sensor they name.
    pub flow_encoding: FlowEncoding,
    /// The detection engine (`None`: detection off).
    pub detection: Option<Detection>,
    pub progress: bool,
    pub control: Control,
    pub telemetry: Option<Telemetry>,
}

/// The encoding of flow records: ECS or EVE, with the sensor's fields.
#[derive(Debug, Clone)]
pub struct FlowEncoding {
    pub format: Format,
    pub observer: Observer,
}

impl Default for FlowEncoding {
    fn default() -> FlowEncoding {
        FlowEncoding {
            format: Format::Ecs,
            observer: Observer::local(),
        }
    }
}

/// Everything a replay run needs.
pub struct ReplayOptions {
    pub inputs: Vec<PathBuf>,
    pub sensor: SensorOptions,
}

/// Why a run could not produce a summary.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Input(#[from] InputError),
    /// An interface could not be opened, a filter was refused, privileges
    /// could not be dropped: nothing was captured.
    #[error("{0}")]
    Setup(String),
    /// Capture failed while running (the interface went away).
    #[error("{0}")]
    Capture(String),
    #[error("writing output: {0}")]
    Output(std::io::Error),
    #[error("a pipeline thread failed")]
    ThreadPanicked,
}

/// A finished run: its summary, and the detection engine with everything it
/// learned (inventory, baseline, per-detector figures).
pub struct RunOutcome {
    pub summary: RunSummary,
    pub engine: Option<Engine>,
    /// The alerts as encoded, when [`Detection::keep_alerts`] asked.
    pub alerts: KeptAlerts,
}

/// The running workers and collector, fed by a dispatcher.
struct Running {
    dispatcher: Dispatcher,
    workers: Vec<JoinHandle<WorkerCounters>>,
    collector: JoinHandle<collector::CollectorReport>,
    worker_threads: usize,
    started: Instant,
}

fn start(options: SensorOptions, backpressure: Backpressure) -> Result<Running, RunError> {
    let started = Instant::now();
    let workers = options.workers.max(1);
    let emit_flow_ends = options.flows.is_some();
    let observe = options.detection.is_some();
    let per_worker_capacity = options.max_flows.div_ceil(workers).max(1);

    let (recycle_tx, recycle_rx) = bounded(workers * (QUEUE_BATCHES + 2));
    let mut batch_senders = Vec::with_capacity(workers);
    let mut output_receivers = Vec::with_capacity(workers);
    let mut handles = Vec::with_capacity(workers);
    // Detection's view for the workers: one update channel each, never
    // full (the collector must not block on a worker that waits for it).
    let policy = options
        .detection
        .as_ref()
        .map(|d| std::sync::Arc::new(d.engine.policy().clone()));
    let mut view_senders = Vec::new();
    for index in 0..workers {
        let watch = policy.as_ref().map(|policy| {
            let (tx, rx) = crossbeam_channel::unbounded();
            view_senders.push(tx);
            watch::Watch::new(policy.clone(), rx)
        });
        let (batch_tx, batch_rx) = bounded(QUEUE_BATCHES);
        let (out_tx, out_rx) = bounded(QUEUE_BATCHES * 2);
        batch_senders.push(batch_tx);
        output_receivers.push(out_rx);
        let config = worker::WorkerConfig {
            capacity: per_worker_capacity,
            timeouts: options.timeouts,
            emit_flow_ends,
            flow_encoding: options.flow_encoding.clone(),
            observe,
            watch,
        };
        let recycle = recycle_tx.clone();
        let handle = thread::Builder::new()
            .name(format!("camsentry-worker-{index}"))
            .spawn(move || worker::run(config, batch_rx, recycle, out_tx))
            .map_err(|_| RunError::ThreadPanicked)?;
        handles.push(handle);
    }
    drop(recycle_tx);
    let outputs = collector::Outputs {
        flows: options.flows,
        detection: options.detection,
        control: options.control,
        telemetry: options.telemetry,
        views: view_senders,
    };
    let collector = thread::Builder::new()
        .name("camsentry-collector".into())
        .spawn(move || collector::run(output_receivers, outputs))
        .map_err(|_| RunError::ThreadPanicked)?;
    let mut dispatcher =
        Dispatcher::new(batch_senders, recycle_rx, options.vlan_in_key, backpressure);
    if observe {
        dispatcher.collect_candidates();
    }
    Ok(Running {
        dispatcher,
        workers: handles,
        collector,
        worker_threads: workers,
        started,
    })
}

fn finish(running: Running, files: Vec<FileOutcome>) -> Result<RunOutcome, RunError> {
    let reader: ReaderCounters = running.dispatcher.finish();
    let mut merged = WorkerCounters::default();
    for handle in running.workers {
        let counters = handle.join().map_err(|_| RunError::ThreadPanicked)?;
        merged.merge(&counters);
    }
    let report = running
        .collector
        .join()
        .map_err(|_| RunError::ThreadPanicked)?;
    if let Some(error) = report.output_error {
        return Err(RunError::Output(error));
    }
    Ok(RunOutcome {
        summary: RunSummary {
            files,
            reader,
            workers: merged,
            worker_threads: running.worker_threads,
            flow_records: report.flow_records,
            alerts: report.alerts,
            elapsed: running.started.elapsed(),
            deliveries: report.deliveries,
            written: report.written,
            skipped_inputs: 0,
        },
        engine: report.engine,
        alerts: report.kept_alerts,
    })
}

/// Replays capture files, in the order given, as one packet source.
pub fn replay(options: ReplayOptions) -> Result<RunOutcome, RunError> {
    let inputs = capture::expand_inputs(&options.inputs)?;
    for (path, kind) in &inputs.skipped {
        crate::stderr_line!(
            "camsentry: {}: skipped, a {kind} (only regular files are read from directories; name it to read it)",
            path.display()
        );
    }
    let files = inputs.files;
    let progress_enabled = options.sensor.progress;
    let control = options.sensor.control.clone();
    let mut running = start(options.sensor, Backpressure::Block)?;
    let mut progress = progress::Progress::new(progress_enabled, files.len());
    let mut outcomes = Vec::with_capacity(files.len());
    let mut reported_links = Vec::new();
    for (index, path) in files.iter().enumerate() {
        if control.stopping() {
            break;
        }
        let size = std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .map_or(0, |m| m.len());
        progress.start_file(index, path, size);
        let dispatcher = &mut running.dispatcher;
        let outcome = capture::replay_file(
            path,
            &control.stop,
            &mut |link, ts, wire_len, frame| dispatcher.packet(0, link, ts, wire_len, frame),
            &mut |bytes, packets| {
                progress.update(bytes, packets);
                // Checked every few thousand packets: an interrupted replay
                // still flushes its flows and prints its summary.
                !control.stopping()
            },
        );
        progress.end_file(outcome.packets);
        for (link, name) in &outcome.links {
            if !link.is_supported() && !reported_links.contains(name) {
                progress.clear();
                crate::stderr_line!(
                    "camsentry: {}: link type {name} is not supported; its packets are counted as undecodable",
                    outcome.display_name(),
                );
                reported_links.push(name.clone());
            }
        }
        if let Some(error) = &outcome.error {
            progress.clear();
            crate::stderr_line!(
                "camsentry: {}: {error} (after {} packets); continuing",
                outcome.display_name(),
                outcome.packets
            );
        }
        outcomes.push(outcome);
    }
    progress.clear();
    let mut outcome = finish(running, outcomes)?;
    outcome.summary.skipped_inputs = inputs.skipped.len();
    Ok(outcome)
}
