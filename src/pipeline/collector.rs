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

use super::batch::{Event, EventKind, WorkerOutput};
use crate::flow::FlowRecord;

pub struct CollectorReport {
    pub flow_records: u64,
    /// The first output error (other than a closed pipe), if any.
    pub output_error: Option<io::Error>,
}

pub fn run(
    outputs: Vec<Receiver<WorkerOutput>>,
    mut flows: Option<Box<dyn Write + Send>>,
) -> CollectorReport {
    let mut report = CollectorReport {
        flow_records: 0,
        output_error: None,
    };
    let mut merged: Vec<Event> = Vec::new();
    let mut line = Vec::with_capacity(512);
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
            match &event.kind {
                EventKind::FlowEnd { flow, reason } => {
                    let Some(out) = flows.as_mut() else { continue };
                    line.clear();
                    FlowRecord::new(flow, *reason).write_line(&mut line);
                    match out.write_all(&line) {
                        Ok(()) => report.flow_records += 1,
                        Err(error) => {
                            // A reader that went away (`| head`) is not an
                            // error; anything else is reported at the end.
                            if error.kind() != io::ErrorKind::BrokenPipe {
                                report.output_error.get_or_insert(error);
                            }
                            flows = None;
                        }
                    }
                }
            }
        }
        if last {
            break;
        }
    }
    if let Some(out) = flows.as_mut()
        && let Err(error) = out.flush()
        && error.kind() != io::ErrorKind::BrokenPipe
    {
        report.output_error.get_or_insert(error);
    }
    report
}
