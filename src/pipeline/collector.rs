//! The collector thread: merges the workers' events of each epoch back into
//! input order and hands them to the outputs.
//!
//! Workers finish epochs at different speeds; the collector waits for all of
//! them for epoch `e` before handling it, then sorts the events by their
//! input order. That single ordering point is what makes the output
//! identical for any number of workers, and it is where cross-flow state
//! (per-camera detection) can live without locks.

use std::io::{self, Write};

use crossbeam_channel::Receiver;

use super::Detection;
use super::batch::{Event, WorkerOutput};
use crate::detect::Engine;
use crate::flow::FlowRecord;
use crate::observation::Observation;

pub struct CollectorReport {
    pub flow_records: u64,
    pub alerts: u64,
    /// The first output error (other than a closed pipe), if any.
    pub output_error: Option<io::Error>,
    pub engine: Option<Engine>,
}

/// Writes `bytes` to `out`; on failure stops using the output. A reader
/// that went away (`| head`) is not an error; anything else is reported
/// at the end of the run.
fn write_or_close(
    out: &mut Option<Box<dyn Write + Send>>,
    bytes: &[u8],
    error: &mut Option<io::Error>,
) -> bool {
    let Some(writer) = out.as_mut() else {
        return false;
    };
    match writer.write_all(bytes) {
        Ok(()) => true,
        Err(e) => {
            if e.kind() != io::ErrorKind::BrokenPipe {
                error.get_or_insert(e);
            }
            *out = None;
            false
        }
    }
}

pub fn run(
    outputs: Vec<Receiver<WorkerOutput>>,
    mut flows: Option<Box<dyn Write + Send>>,
    detection: Option<Detection>,
) -> CollectorReport {
    let (mut engine, mut alerts_out) = match detection {
        Some(d) => (Some(d.engine), d.alerts),
        None => (None, None),
    };
    let mut report = CollectorReport {
        flow_records: 0,
        alerts: 0,
        output_error: None,
        engine: None,
    };
    let mut merged: Vec<Event> = Vec::new();
    let mut line = Vec::with_capacity(512);
    let mut alert_lines = Vec::with_capacity(4096);
    'epochs: loop {
        merged.clear();
        let mut last = false;
        for receiver in &outputs {
            match receiver.recv() {
                Ok(mut output) => {
                    last |= output.last;
                    merged.append(&mut output.events);
                }
                // A worker is gone: nothing more will come.
                Err(_) => break 'epochs,
            }
        }
        merged.sort_unstable_by_key(|event| event.order);
        for event in &merged {
            if let Some(engine) = engine.as_mut() {
                alert_lines.clear();
                let raised = engine.observe(&event.observation, &mut alert_lines);
                if raised > 0 {
                    report.alerts += raised as u64;
                    write_or_close(&mut alerts_out, &alert_lines, &mut report.output_error);
                }
            }
            if flows.is_some()
                && let Observation::FlowEnd { flow, reason } = &event.observation
            {
                line.clear();
                FlowRecord::new(flow, *reason).write_line(&mut line);
                if write_or_close(&mut flows, &line, &mut report.output_error) {
                    report.flow_records += 1;
                }
            }
        }
        if last {
            break;
        }
    }
    if let Some(engine) = engine.as_mut() {
        alert_lines.clear();
        report.alerts += engine.finish(&mut alert_lines) as u64;
        write_or_close(&mut alerts_out, &alert_lines, &mut report.output_error);
    }
    for out in [&mut flows, &mut alerts_out].into_iter().flatten() {
        if let Err(error) = out.flush()
            && error.kind() != io::ErrorKind::BrokenPipe
        {
            report.output_error.get_or_insert(error);
        }
    }
    report.engine = engine;
    report
}
