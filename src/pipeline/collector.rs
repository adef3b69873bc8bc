//! The collector thread: merges the workers' events of each epoch back into
//! input order and hands them to the outputs.
//!
//! Workers finish epochs at different speeds; the collector waits for all of
//! them for epoch `e` before handling it, then merges their streams, each
//! already in input order (`merge`), and writes the flow records the
//! workers encoded. That single ordering point is what makes the output
//! identical for any number of workers, and it is where cross-flow state
//! (per-camera detection) lives without locks. It also owns the outputs, so
//! reopening them on SIGHUP and writing periodic telemetry need no locks
//! either.

use std::io;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};
use hdrhistogram::Histogram;

use super::batch::{Refused, WorkerOutput};
use super::merge::{EpochMerge, Item};
use super::watch::ViewUpdate;
use super::{Control, Detection, Telemetry};
use crate::config::Policy;
use crate::detect::Engine;
use crate::flow::TableCounters;
use crate::sink::Destinations;
use crate::sink::SinkCounters;
use crate::stats::ReaderCounters;
use crate::stats::Snapshot;
use crate::stats::summary::Written;
use crate::stats::telemetry::{CameraGauges, SinkReport};

pub struct Outputs {
    pub flows: Option<Destinations>,
    pub detection: Option<Detection>,
    pub control: Control,
    pub telemetry: Option<Telemetry>,
    /// The workers' detection views, told after each epoch what the engine
    /// learned (`watch`).
    pub views: Vec<Sender<ViewUpdate>>,
}

pub struct CollectorReport {
    pub flow_records: u64,
    pub alerts: u64,
    /// The first output error (other than a closed pipe), if any.
    pub output_error: Option<io::Error>,
    pub engine: Option<Engine>,
    /// Counters of every network sink, after shutdown.
    pub deliveries: Vec<(String, SinkCounters)>,
    /// Lines each output took, by kind and spec.
    pub written: Vec<Written>,
    /// The alerts as encoded, when the run keeps them for a report.
    pub kept_alerts: KeptAlerts,
}

/// Encoded alerts kept for an end-of-run report, up to a bound: a capture
/// with a million alerts must not take a million JSON trees of memory.
#[derive(Debug, Default)]
pub struct KeptAlerts {
    pub values: Vec<serde_json::Value>,
    /// Alerts past the bound, counted only.
    pub left_out: u64,
}

/// Alerts a report keeps; an incident report past this is a flood whose
/// first alerts and counts tell the story.
pub const MAX_KEPT_ALERTS: usize = 20_000;

impl KeptAlerts {
    /// Keeps each JSON line of `lines` (alerts as the encoder wrote them).
    fn keep(&mut self, lines: &[u8]) {
        for line in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            if self.values.len() >= MAX_KEPT_ALERTS {
                self.left_out += 1;
            } else if let Ok(value) = serde_json::from_slice::<serde_json::Value>(line) {
                // Events (`event.kind: "event"`, EVE `event_type:
                // "camsentry"`) are no alerts.
                let event = value["event"]["kind"] == "event" || value["event_type"] == "camsentry";
                if !event {
                    self.values.push(value);
                }
            }
        }
    }
}

/// Writes `lines` to every destination of `out`; the first local failure
/// is kept for the end of the run. A reader that went away (`| head`) is
/// not an error.
fn write_or_close(
    out: &mut Option<Destinations>,
    lines: &[u8],
    error: &mut Option<io::Error>,
) -> bool {
    let Some(destinations) = out.as_mut() else {
        return false;
    };
    match destinations.write_lines(lines) {
        None => true,
        Some(e) => {
            error.get_or_insert(e);
            false
        }
    }
}

/// What the collector knows of the counters, for telemetry.
struct Counters {
    reader: ReaderCounters,
    tables: Vec<TableCounters>,
    live_flows: Vec<u64>,
    latency: Histogram<u64>,
}

impl Counters {
    /// `outputs`: the destinations of each kind of line, whose network
    /// sinks' counters the snapshot reports.
    fn snapshot(
        &self,
        engine: Option<&Engine>,
        outputs: [(&'static str, Option<&Destinations>); 3],
    ) -> Snapshot {
        let mut table = TableCounters::default();
        for t in &self.tables {
            table.created += t.created;
            table.expired += t.expired;
            table.evicted += t.evicted;
            table.flushed += t.flushed;
        }
        Snapshot {
            reader: self.reader.clone(),
            table,
            live_flows: self.live_flows.iter().sum(),
            batch_latency: self.latency.clone(),
            alerts_by_rule: engine.map(|e| e.stats.by_rule.clone()).unwrap_or_default(),
            cameras: engine.map(|e| {
                let (cameras, learning) = e.camera_counts();
                CameraGauges { cameras, learning }
            }),
            deliveries: SinkReport::of(outputs),
        }
    }
}

pub fn run(receivers: Vec<Receiver<WorkerOutput>>, outputs: Outputs) -> CollectorReport {
    let Outputs {
        mut flows,
        detection,
        control,
        mut telemetry,
        views,
    } = outputs;
    let (mut engine, mut alerts_out, policy_path, keep_alerts) = match detection {
        Some(d) => (Some(d.engine), d.alerts, d.policy_path, d.keep_alerts),
        None => (None, None, None, false),
    };
    let mut report = CollectorReport {
        flow_records: 0,
        alerts: 0,
        output_error: None,
        engine: None,
        deliveries: Vec::new(),
        written: Vec::new(),
        kept_alerts: KeptAlerts::default(),
    };
    let mut counters = Counters {
        reader: ReaderCounters::default(),
        tables: vec![TableCounters::default(); receivers.len()],
        live_flows: vec![0; receivers.len()],
        latency: Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("static bounds"),
    };
    let started = Instant::now();
    let mut last_stats = started;
    // Rendered at the first epoch, then once a second.
    let mut last_metrics: Option<Instant> = None;
    let mut line = Vec::with_capacity(512);
    let mut alert_lines = Vec::with_capacity(4096);
    let mut epoch = 0;
    'epochs: loop {
        let mut refused = Refused::default();
        let mut held_back = 0;
        let mut on_part = |index: usize, output: &mut WorkerOutput| {
            epoch = output.epoch;
            refused.add(output.refused);
            held_back += output.held_back;
            // Counters are those at the end of the epoch: its last part.
            if output.more {
                return;
            }
            if index == 0 {
                counters.reader = std::mem::take(&mut output.reader);
            }
            counters.tables[index] = output.table;
            counters.live_flows[index] = output.live_flows;
            let _ = counters.latency.record(output.batch_nanos.max(1));
        };
        let Ok(mut merge) = EpochMerge::start(&receivers, &mut on_part) else {
            break 'epochs;
        };
        let last = merge.last();
        let merged = merge.run(&mut on_part, &mut |item| match item {
            Item::Observation(observation) => {
                if let Some(engine) = engine.as_mut() {
                    alert_lines.clear();
                    let raised = engine.observe(observation, &mut alert_lines);
                    report.alerts += raised as u64;
                    // Informational events (a stream resumed) share the alert
                    // outputs but are not counted as alerts.
                    if !alert_lines.is_empty() {
                        if keep_alerts {
                            report.kept_alerts.keep(&alert_lines);
                        }
                        write_or_close(&mut alerts_out, &alert_lines, &mut report.output_error);
                    }
                }
            }
            Item::Record(record) => {
                // The record's FlowEnd went to the engine just before (same
                // order, events first): whether an alert named this flow is
                // known now, and only here (see `records`).
                let alerted = engine
                    .as_mut()
                    .is_some_and(|e| e.take_alerted(record.flow_id));
                let bytes = record.with_alerted(alerted, &mut line);
                if write_or_close(&mut flows, bytes, &mut report.output_error) {
                    report.flow_records += 1;
                }
            }
        });
        // A worker is gone: nothing more will come.
        if merged.is_err() {
            break 'epochs;
        }
        let mut update = ViewUpdate {
            epoch,
            ..ViewUpdate::default()
        };
        if control.reload.swap(false, Ordering::Relaxed) {
            reload(
                &mut flows,
                &mut alerts_out,
                &mut telemetry,
                engine.as_mut(),
                policy_path.as_deref(),
            );
            update.policy = engine.as_ref().map(|e| Arc::new(e.policy().clone()));
        }
        if let Some(engine) = engine.as_mut()
            && !views.is_empty()
        {
            engine.take_learned(&mut update.hosts, &mut update.shared_macs);
            update.cameras_full = engine.cameras_full();
            engine.stats.held_back += held_back;
            if let Some(last) = refused.last {
                engine.refused_cameras(refused.count, last);
            }
            // A worker that is gone no longer needs its view.
            for view in &views {
                let _ = view.send(update.clone());
            }
        }
        if let Some(telemetry) = telemetry.as_mut() {
            let now = Instant::now();
            if let Some(metrics) = &telemetry.metrics
                && (last_metrics.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
                    || last)
            {
                last_metrics = Some(now);
                let outputs = [
                    ("alerts", alerts_out.as_ref()),
                    ("flows", flows.as_ref()),
                    ("stats", telemetry.stats_out.as_ref()),
                ];
                let text = counters.snapshot(engine.as_ref(), outputs).prometheus();
                if let Ok(mut shared) = metrics.lock() {
                    *shared = text;
                }
            }
            if let Some(interval) = telemetry.interval
                && (now.duration_since(last_stats) >= interval || last)
            {
                last_stats = now;
                line.clear();
                let outputs = [
                    ("alerts", alerts_out.as_ref()),
                    ("flows", flows.as_ref()),
                    ("stats", telemetry.stats_out.as_ref()),
                ];
                let snapshot = counters.snapshot(engine.as_ref(), outputs);
                snapshot.json_line(SystemTime::now(), &mut line);
                line.push(b'\n');
                write_or_close(&mut telemetry.stats_out, &line, &mut report.output_error);
            }
            if let Some(out) = telemetry.stats_out.as_mut() {
                let _ = out.flush();
            }
        }
        // Live runs can be quiet for hours: let alerts reach their file
        // or pipe promptly instead of waiting for a full buffer.
        for out in [&mut flows, &mut alerts_out].into_iter().flatten() {
            let _ = out.flush();
        }
        if last {
            break;
        }
    }
    if let Some(engine) = engine.as_mut() {
        alert_lines.clear();
        report.alerts += engine.finish(&mut alert_lines) as u64;
        if keep_alerts {
            report.kept_alerts.keep(&alert_lines);
        }
        write_or_close(&mut alerts_out, &alert_lines, &mut report.output_error);
    }
    let stats_out = telemetry.and_then(|t| t.stats_out);
    for (output, out) in [
        ("flows", flows),
        ("alerts", alerts_out),
        ("stats", stats_out),
    ] {
        let Some(mut out) = out else { continue };
        if let Some(error) = out.flush() {
            report.output_error.get_or_insert(error);
        }
        // Network sinks get a few seconds to deliver, then spool the rest.
        let (written, deliveries) = out.shutdown_counted(SHUTDOWN_GRACE);
        report.deliveries.extend(deliveries);
        report
            .written
            .extend(written.into_iter().map(|(sink, lines)| Written {
                output,
                sink,
                lines,
            }));
    }
    report.engine = engine;
    report
}

/// How long network sinks may take to deliver at the end of a run.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// SIGHUP: reopen every file output (logrotate), reload the policy. An
/// invalid policy is refused with its error and the old one stays.
fn reload(
    flows: &mut Option<Destinations>,
    alerts: &mut Option<Destinations>,
    telemetry: &mut Option<Telemetry>,
    engine: Option<&mut Engine>,
    policy_path: Option<&std::path::Path>,
) {
    let stats = telemetry.as_mut().and_then(|t| t.stats_out.as_mut());
    for out in [flows.as_mut(), alerts.as_mut(), stats]
        .into_iter()
        .flatten()
    {
        out.reopen();
    }
    if let (Some(engine), Some(path)) = (engine, policy_path) {
        match Policy::load(path) {
            Ok(policy) => {
                engine.set_policy(policy);
                crate::stderr_line!("camsentry: SIGHUP: reloaded {}", path.display());
            }
            Err(error) => {
                crate::stderr_line!("camsentry: SIGHUP: keeping the current policy: {error}")
            }
        }
    }
}
