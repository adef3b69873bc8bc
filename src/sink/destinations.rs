//! [`Destinations`]: every place one kind of line (alerts, flow records,
//! stats) goes, local outputs and network sinks behind one `write_lines`.

use std::io;

use super::local::Output;
use super::{Encoding, Sink, SinkCounters, SinkOptions, SinkSpecError, Target, parse_spec};

/// Each network sink's spec and final counters.
pub type Deliveries = Vec<(String, SinkCounters)>;

/// Why a destination could not be opened; the message names the spec.
#[derive(Debug, thiserror::Error)]
pub enum DestinationError {
    /// The spec itself is malformed.
    #[error("{0}")]
    Spec(SinkSpecError),
    /// The file could not be opened or the sink's thread not started.
    #[error("{spec}: {source}")]
    Open { spec: String, source: io::Error },
}

/// Every place one kind of line goes (`--alerts` may be given several
/// times): local outputs are written directly (a replay then waits for a
/// slow disk rather than lose a line); network targets are [`Sink`]s with
/// their own thread, bounded queue, reconnection and spool, so a collector
/// never waits on a network.
pub struct Destinations {
    targets: Vec<(String, Destination)>,
}

enum Destination {
    /// A file or stdout, and the lines written to it.
    Local(Output, u64),
    Remote(Sink),
}

impl Destinations {
    /// Opens every spec (`-`, a path, `file://`, `syslog+tcp://`,
    /// `syslog+udp://`, `tcp://`, `udp://`, `unix://`).
    pub fn open(specs: &[String], options: &SinkOptions) -> Result<Destinations, DestinationError> {
        let mut targets = Vec::with_capacity(specs.len());
        for spec in specs {
            let parsed = parse_spec(spec).map_err(DestinationError::Spec)?;
            let opening = |source| DestinationError::Open {
                spec: spec.clone(),
                source,
            };
            let destination = match (&parsed.target, &parsed.encoding) {
                (Target::Stdout, Encoding::JsonLines) => {
                    Destination::Local(Output::open("-").map_err(opening)?, 0)
                }
                (Target::File(path), Encoding::JsonLines) => {
                    Destination::Local(Output::open(&path.to_string_lossy()).map_err(opening)?, 0)
                }
                _ => Destination::Remote(Sink::start(&parsed, options).map_err(opening)?),
            };
            targets.push((spec.clone(), destination));
        }
        Ok(Destinations { targets })
    }

    /// A single local output (tests, benchmarks, stderr).
    pub fn local(name: &str, output: Output) -> Destinations {
        Destinations {
            targets: vec![(name.to_string(), Destination::Local(output, 0))],
        }
    }

    /// Writes whole lines everywhere. A local output that fails is closed
    /// and its error returned (a closed pipe is not an error); network
    /// sinks never fail here, they queue, spool or count drops.
    pub fn write_lines(&mut self, lines: &[u8]) -> Option<io::Error> {
        let mut failure = None;
        self.targets
            .retain_mut(|(_, destination)| match destination {
                Destination::Local(output, written) => match output.write_lines(lines) {
                    Ok(()) => {
                        *written += lines.iter().filter(|&&b| b == b'\n').count() as u64;
                        true
                    }
                    Err(e) => {
                        if e.kind() != io::ErrorKind::BrokenPipe {
                            failure.get_or_insert(e);
                        }
                        false
                    }
                },
                Destination::Remote(sink) => {
                    sink.send_lines(lines, None);
                    true
                }
            });
        failure
    }

    pub fn flush(&mut self) -> Option<io::Error> {
        let mut failure = None;
        for (_, destination) in &mut self.targets {
            if let Destination::Local(output, _) = destination
                && let Err(e) = output.flush()
                && e.kind() != io::ErrorKind::BrokenPipe
            {
                failure.get_or_insert(e);
            }
        }
        failure
    }

    /// The counters of each network sink now, with its spec as given.
    pub fn counters(&self) -> Vec<(String, SinkCounters)> {
        self.targets
            .iter()
            .filter_map(|(spec, destination)| match destination {
                Destination::Remote(sink) => Some((spec.clone(), sink.counters())),
                Destination::Local(..) => None,
            })
            .collect()
    }

    /// SIGHUP: files reopen by path; network sinks reconnect.
    pub fn reopen(&mut self) {
        for (spec, destination) in &mut self.targets {
            match destination {
                Destination::Local(output, _) => {
                    if let Err(error) = output.reopen() {
                        crate::stderr_line!("camsentry: reopening {spec} after SIGHUP: {error}");
                    }
                }
                Destination::Remote(sink) => sink.reopen(),
            }
        }
    }

    /// Flushes local outputs and stops network sinks (what they cannot
    /// deliver within `timeout` is spooled, or counted as dropped); returns
    /// each network sink's counters.
    pub fn shutdown(self, timeout: std::time::Duration) -> Vec<(String, SinkCounters)> {
        self.shutdown_counted(timeout).1
    }

    /// [`Destinations::shutdown`], and the lines each destination took, by
    /// spec: written to a file or stdout; for a network sink, sent (its
    /// counters say how many were acknowledged).
    pub fn shutdown_counted(
        self,
        timeout: std::time::Duration,
    ) -> (Vec<(String, u64)>, Deliveries) {
        let mut written = Vec::new();
        let mut report = Vec::new();
        for (spec, destination) in self.targets {
            match destination {
                Destination::Local(mut output, lines) => {
                    let _ = output.flush();
                    written.push((spec, lines));
                }
                Destination::Remote(sink) => {
                    let counters = sink.shutdown(timeout);
                    written.push((spec.clone(), counters.sent));
                    report.push((spec, counters));
                }
            }
        }
        (written, report)
    }
}
