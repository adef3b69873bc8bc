//! Threads and channels: one reader per packet source, `--workers` flow
//! workers, one collector.
//!
//! ```text
//!  reader ──batches (by flow hash)──▶ worker 0 ─┐
//!    │  ◀──────── recycled batches ── worker 1 ─┼─events per epoch─▶ collector ─▶ outputs
//!    └────────────────────────────▶  worker N ─┘
//! ```
//!
//! Workers own their flow tables; the only shared things are channels.
//! Replay blocks on a full worker queue (back-pressure, nothing dropped).

mod batch;
mod collector;
mod dispatcher;
mod observe;
mod progress;
mod worker;

use std::io::Write;
use std::path::PathBuf;
use std::thread;
use std::time::Instant;

use crossbeam_channel::bounded;

pub use batch::{Batch, Event, PacketRecord, WorkerOutput};
pub use dispatcher::{Backpressure, Dispatcher, EPOCH_PACKETS};

use crate::capture::{self, InputError};
use crate::detect::Engine;
use crate::flow::Timeouts;
use crate::stats::{RunSummary, WorkerCounters};

/// Batches queued per worker before the reader waits.
const QUEUE_BATCHES: usize = 4;

/// Everything a replay run needs.
pub struct ReplayOptions {
    pub inputs: Vec<PathBuf>,
    pub workers: usize,
    /// Live flows across all workers before the stalest is evicted.
    pub max_flows: usize,
    pub timeouts: Timeouts,
    pub vlan_in_key: bool,
    pub flows: Option<Box<dyn Write + Send>>,
    /// The detection engine and where its alerts go (`None`: detection off).
    pub detection: Option<Detection>,
    pub progress: bool,
}

/// Detection for a run: the engine, and the alert output (`None` when only
/// the engine's state is wanted, as for `inventory` and `learn`).
pub struct Detection {
    pub engine: Engine,
    pub alerts: Option<Box<dyn Write + Send>>,
}

/// Why a replay could not produce a summary.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("writing output: {0}")]
    Output(std::io::Error),
    #[error("a pipeline thread panicked")]
    ThreadPanicked,
}

/// Replays capture files, in the order given, as one packet source.
pub fn replay(options: ReplayOptions) -> Result<RunOutcome, ReplayError> {
    let files = capture::expand_inputs(&options.inputs)?;
    let started = Instant::now();
    let workers = options.workers.max(1);
    let emit_flow_ends = options.flows.is_some();
    let observe = options.detection.is_some();
    let per_worker_capacity = options.max_flows.div_ceil(workers).max(1);

    let (recycle_tx, recycle_rx) = bounded(workers * (QUEUE_BATCHES + 2));
    let mut batch_senders = Vec::with_capacity(workers);
    let mut output_receivers = Vec::with_capacity(workers);
    let mut handles = Vec::with_capacity(workers);
    for index in 0..workers {
        let (batch_tx, batch_rx) = bounded(QUEUE_BATCHES);
        let (out_tx, out_rx) = bounded(QUEUE_BATCHES * 2);
        batch_senders.push(batch_tx);
        output_receivers.push(out_rx);
        let config = worker::WorkerConfig {
            capacity: per_worker_capacity,
            timeouts: options.timeouts,
            emit_flow_ends,
            observe,
        };
        let recycle = recycle_tx.clone();
        let handle = thread::Builder::new()
            .name(format!("camsentry-worker-{index}"))
            .spawn(move || worker::run(config, batch_rx, recycle, out_tx))
            .map_err(|_| ReplayError::ThreadPanicked)?;
        handles.push(handle);
    }
    drop(recycle_tx);
    let flows_out = options.flows;
    let detection = options.detection;
    let collector = thread::Builder::new()
        .name("camsentry-collector".into())
        .spawn(move || collector::run(output_receivers, flows_out, detection))
        .map_err(|_| ReplayError::ThreadPanicked)?;

    let mut dispatcher = Dispatcher::new(
        batch_senders,
        recycle_rx,
        options.vlan_in_key,
        Backpressure::Block,
    );
    let mut progress = progress::Progress::new(options.progress, files.len());
    let mut outcomes = Vec::with_capacity(files.len());
    let mut reported_links = Vec::new();
    for (index, path) in files.iter().enumerate() {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        progress.start_file(index, path, size);
        let outcome = capture::replay_file(
            path,
            &mut |link, ts, wire_len, frame| dispatcher.packet(link, ts, wire_len, frame),
            &mut |bytes, packets| progress.update(bytes, packets),
        );
        if let Some(link) = outcome.link
            && !link.is_supported()
            && !reported_links.contains(&outcome.link_name)
        {
            progress.clear();
            eprintln!(
                "camsentry: {}: link type {} is not supported; its packets are counted as undecodable",
                path.display(),
                outcome.link_name
            );
            reported_links.push(outcome.link_name.clone());
        }
        if let Some(error) = &outcome.error {
            progress.clear();
            eprintln!(
                "camsentry: {}: {error} (after {} packets); continuing",
                path.display(),
                outcome.packets
            );
        }
        progress.end_file(outcome.packets);
        outcomes.push(outcome);
    }
    progress.clear();
    let (reader, _dropped) = dispatcher.finish();

    let mut merged = WorkerCounters::default();
    for handle in handles {
        let counters = handle.join().map_err(|_| ReplayError::ThreadPanicked)?;
        merged.merge(&counters);
    }
    let report = collector.join().map_err(|_| ReplayError::ThreadPanicked)?;
    if let Some(error) = report.output_error {
        return Err(ReplayError::Output(error));
    }
    Ok(RunOutcome {
        summary: RunSummary {
            files: outcomes,
            reader,
            workers: merged,
            worker_threads: workers,
            flow_records: report.flow_records,
            alerts: report.alerts,
            elapsed: started.elapsed(),
        },
        engine: report.engine,
    })
}

/// A finished run: its summary, and the detection engine with everything it
/// learned (inventory, baseline, per-detector figures).
pub struct RunOutcome {
    pub summary: RunSummary,
    pub engine: Option<Engine>,
}
