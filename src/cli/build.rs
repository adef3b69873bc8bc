//! From flags to the objects a run is made of (ripgrep's "high args"
//! step): the detection engine from `--policy`, `--baseline` and
//! `--learn-for`; the sensor options with their flow timeouts and outputs;
//! alerting; telemetry, whose metrics endpoint starts listening here so
//! that a busy port is refused before any packet is read.

use std::io::{self, IsTerminal};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};

use super::{DetectArgs, OutputArgs, SensorArgs, UsageError};
use crate::alert::{Encoder, Observer};
use crate::config::Policy;
use crate::config::budget::parse_duration;
use crate::detect::{Baseline, Engine, EngineOptions};
use crate::flow::Timeouts;
use crate::pipeline::{Control, Detection, FlowEncoding, SensorOptions, Telemetry};
use crate::sink::{Destinations, Output, SinkOptions};
use crate::stats::http::serve_metrics;
use crate::timestamp::{NANOS_PER_SEC, Nanos};

/// Learning period when neither a policy nor a baseline says what is
/// normal: long enough to see a camera's daily cloud check-ins start.
const DEFAULT_LEARN_SECS: u64 = 3600;

fn nanos(duration: Duration) -> Nanos {
    duration.as_nanos().min(u128::from(u64::MAX)) as u64
}

/// `--policy FILE`, or the empty policy without one.
pub fn load_policy(path: Option<&Path>) -> Result<Policy, UsageError> {
    match path {
        None => Ok(Policy::default()),
        Some(path) => Policy::load(path).map_err(UsageError::Policy),
    }
}

/// A duration flag's value.
fn duration(flag: &'static str, text: &str) -> Result<Duration, UsageError> {
    parse_duration(text).map_err(|reason| UsageError::Duration {
        flag,
        text: text.to_string(),
        reason,
    })
}

/// The detection engine from `--policy`, `--baseline`, `--learn-for`.
pub fn engine(detect: &DetectArgs, encoder: Option<Encoder>) -> Result<Engine, UsageError> {
    let policy = load_policy(detect.policy.as_deref())?;
    let baseline = match &detect.baseline {
        Some(path) => Baseline::load(path).map_err(UsageError::Baseline)?,
        None => Baseline::default(),
    };
    let learn_for = learn_for(detect, &policy)?;
    Ok(Engine::new(
        policy,
        baseline,
        EngineOptions { learn_for },
        encoder,
    ))
}

/// Each camera's learning period, packet time from its first packet.
pub fn learn_for(detect: &DetectArgs, policy: &Policy) -> Result<u64, UsageError> {
    Ok(match &detect.learn_for {
        Some(text) => nanos(duration("--learn-for", text)?),
        None if detect.policy.is_none() && detect.baseline.is_none() => {
            DEFAULT_LEARN_SECS * NANOS_PER_SEC
        }
        None => nanos(policy.learn().duration),
    })
}

/// The sensor as alerts and flow records name it, with its capture
/// interfaces (live) in `-i` order: each flow record and flow alert names
/// the one its flow came in on.
pub fn observer(interfaces: &[String]) -> Observer {
    Observer::local().with_interfaces(interfaces.to_vec())
}

/// How `--flows` records are encoded: `--format`, as alerts are.
pub fn flow_encoding(outputs: &OutputArgs, observer: &Observer) -> FlowEncoding {
    FlowEncoding {
        format: outputs.format.into(),
        observer: observer.clone(),
    }
}

/// What every command that runs the sensor shares.
pub fn sensor_options(
    sensor: &SensorArgs,
    quiet: bool,
    detection: Option<Detection>,
    telemetry: Option<Telemetry>,
    sinks: &SinkOptions,
) -> Result<SensorOptions> {
    Ok(SensorOptions {
        workers: workers(sensor),
        max_flows: sensor.max_flows,
        timeouts: timeouts(sensor)?,
        vlan_in_key: !sensor.no_vlan_key,
        flows: open_output(sensor.flows.as_deref(), sinks)?,
        flow_encoding: FlowEncoding::default(),
        detection,
        progress: !quiet && io::stderr().is_terminal(),
        control: Control::with_signals().context("installing signal handlers")?,
        telemetry,
    })
}

/// Network sinks' spooling, from `--spool-dir` and `--spool-max-mib`.
pub fn sink_options(outputs: &OutputArgs) -> SinkOptions {
    SinkOptions {
        spool_dir: outputs.spool_dir.clone(),
        spool_max_bytes: outputs.spool_max_mib.saturating_mul(1 << 20),
        ..SinkOptions::default()
    }
}

/// Detection with alerts, as `replay` and `live` run it; `None` with
/// `--no-detect`.
pub fn alerting(
    detect: &DetectArgs,
    outputs: &OutputArgs,
    sinks: &SinkOptions,
    observer: &Observer,
) -> Result<Option<Detection>, UsageError> {
    if outputs.no_detect {
        return Ok(None);
    }
    let encoder = Encoder::new(outputs.format.into(), observer.clone());
    Ok(Some(Detection {
        engine: engine(detect, Some(encoder))?,
        alerts: Some(Destinations::open(&outputs.alerts, sinks).map_err(UsageError::Alerts)?),
        policy_path: detect.policy.clone(),
        keep_alerts: false,
    }))
}

/// Stats records (`--stats-interval`, `--stats-log`) and the metrics
/// endpoint (`--metrics-listen`), which starts listening now.
pub fn telemetry(outputs: &OutputArgs, sinks: &SinkOptions) -> Result<Option<Telemetry>> {
    let interval = match &outputs.stats_interval {
        Some(text) => Some(duration("--stats-interval", text)?),
        None => None,
    };
    let metrics = match outputs.metrics_listen {
        Some(address) => {
            let text = Arc::new(Mutex::new(String::new()));
            serve_metrics(address, Arc::clone(&text))
                .with_context(|| format!("--metrics-listen {address}"))?;
            Some(text)
        }
        None => None,
    };
    if interval.is_none() && metrics.is_none() {
        return Ok(None);
    }
    let stats_out = match (&interval, &outputs.stats_log) {
        (None, _) => None,
        (Some(_), None) => Some(Destinations::local("stderr", Output::stderr())),
        (Some(_), Some(spec)) => open_output(Some(spec), sinks)?,
    };
    Ok(Some(Telemetry {
        interval,
        stats_out,
        metrics,
    }))
}

fn workers(sensor: &SensorArgs) -> usize {
    sensor.workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

/// One line output (`--flows`, `--stats-log`), if asked for.
fn open_output(
    target: Option<&str>,
    sinks: &SinkOptions,
) -> Result<Option<Destinations>, UsageError> {
    match target {
        None => Ok(None),
        Some(spec) => Destinations::open(&[spec.to_string()], sinks)
            .map(Some)
            .map_err(UsageError::Output),
    }
}

/// The flow table's inactivity timeouts, with each `--timeout` applied.
fn timeouts(sensor: &SensorArgs) -> Result<Timeouts, UsageError> {
    let mut timeouts = Timeouts::default();
    for spec in &sensor.timeouts {
        let Some((class, text)) = spec.split_once('=') else {
            return Err(UsageError::TimeoutSyntax(spec.clone()));
        };
        let value = nanos(
            parse_duration(text).map_err(|reason| UsageError::TimeoutDuration {
                spec: spec.clone(),
                duration: text.to_string(),
                reason,
            })?,
        );
        let slot = match class {
            "tcp-opening" => &mut timeouts.tcp_opening,
            "tcp-established" => &mut timeouts.tcp_established,
            "tcp-closed" => &mut timeouts.tcp_closed,
            "udp" => &mut timeouts.udp,
            "icmp" => &mut timeouts.icmp,
            "other" => &mut timeouts.other,
            _ => {
                return Err(UsageError::TimeoutClass {
                    spec: spec.clone(),
                    class: class.to_string(),
                });
            }
        };
        *slot = value;
    }
    Ok(timeouts)
}
