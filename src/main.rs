//! The `camsentry` binary: parse flags, build the run, map errors to exit
//! codes. Everything else lives in the library.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;

use camsentry::cli::{Cli, Command, ReplayArgs, SensorArgs};
use camsentry::flow::Timeouts;
use camsentry::pipeline::{self, ReplayError, ReplayOptions};

const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_PARTIAL: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(args) => replay(args),
        Command::CheckPolicy { file } => check_policy(&file),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("camsentry: error: {error:#}");
            let usage = error.chain().any(|cause| {
                matches!(
                    cause.downcast_ref::<ReplayError>(),
                    Some(ReplayError::Input(_))
                ) || cause.downcast_ref::<UsageError>().is_some()
            });
            ExitCode::from(if usage { EXIT_USAGE } else { EXIT_FAILED })
        }
    }
}

/// A bad flag value, reported with exit status 2 like clap's own errors.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

fn replay(args: ReplayArgs) -> Result<ExitCode> {
    let options = ReplayOptions {
        inputs: args.paths,
        workers: workers(&args.sensor),
        max_flows: args.sensor.max_flows,
        timeouts: timeouts(&args.sensor)?,
        vlan_in_key: !args.sensor.no_vlan_key,
        flows: open_output(args.sensor.flows.as_deref())?,
        progress: !args.quiet && io::stderr().is_terminal(),
    };
    let summary = pipeline::replay(options)?;
    eprint!("{}", summary.render_text());
    if let Some(path) = &args.stats_json {
        let text = serde_json::to_string_pretty(&summary.to_json())?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if summary.files_failed() > 0 {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

fn check_policy(file: &std::path::Path) -> Result<ExitCode> {
    let policy = camsentry::config::Policy::load(file).map_err(|e| UsageError(e.to_string()))?;
    print!("{}", policy.render());
    Ok(ExitCode::SUCCESS)
}

fn workers(sensor: &SensorArgs) -> usize {
    sensor.workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

fn open_output(target: Option<&str>) -> Result<Option<Box<dyn Write + Send>>> {
    Ok(match target {
        None => None,
        Some("-") => Some(Box::new(BufWriter::with_capacity(1 << 16, io::stdout()))),
        Some(path) => {
            let file = File::create(path).with_context(|| format!("creating {path}"))?;
            Some(Box::new(BufWriter::with_capacity(1 << 16, file)))
        }
    })
}

fn timeouts(sensor: &SensorArgs) -> Result<Timeouts> {
    let mut timeouts = Timeouts::default();
    for spec in &sensor.timeouts {
        let Some((class, duration)) = spec.split_once('=') else {
            bail!(UsageError(format!(
                "--timeout {spec}: expected CLASS=DURATION"
            )));
        };
        let nanos = camsentry::config::budget::parse_duration(duration)
            .map_err(|e| UsageError(format!("--timeout {spec}: bad duration `{duration}`: {e}")))?
            .as_nanos()
            .min(u128::from(u64::MAX)) as u64;
        let slot = match class {
            "tcp-opening" => &mut timeouts.tcp_opening,
            "tcp-established" => &mut timeouts.tcp_established,
            "tcp-closed" => &mut timeouts.tcp_closed,
            "udp" => &mut timeouts.udp,
            "icmp" => &mut timeouts.icmp,
            "other" => &mut timeouts.other,
            _ => bail!(UsageError(format!(
                "--timeout {spec}: unknown class `{class}`"
            ))),
        };
        *slot = nanos;
    }
    Ok(timeouts)
}
