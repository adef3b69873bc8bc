//! The `camsentry` binary: parse the flags, dispatch to one function per
//! command, map errors to exit codes. The flags and their conversion into
//! runtime objects live in the library's `cli` module; everything else in
//! the library proper.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use camsentry::capture::CaptureSettings;
use camsentry::cli::build::{
    alerting, flow_encoding, learn_for, load_policy, observer, sensor_options, sink_options,
    telemetry,
};
use camsentry::cli::{
    Cli, Command, InventoryArgs, LearnArgs, LiveArgs, ReplayArgs, SensorArgs, UsageError,
};
use camsentry::config::Policy;
use camsentry::detect::{Baseline, Engine, EngineOptions};
use camsentry::pipeline::{
    self, Detection, LiveInterface, LiveOptions, ReplayOptions, RunError, RunOutcome,
};
use camsentry::report;
use camsentry::sink::SinkOptions;
use camsentry::stats::{Completion, RunSummary};
use camsentry::{stderr_line, stderr_text};

const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_PARTIAL: u8 = 3;
/// The run completed but some output lines were lost (dropped, refused
/// or unconfirmed by a network sink); takes precedence over 3.
const EXIT_OUTPUT_LOST: u8 = 4;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(args) => replay(args),
        Command::Live(args) => live(args),
        Command::Learn(args) => learn(args),
        Command::Inventory(args) => inventory(args),
        Command::CheckPolicy { file, quiet } => check_policy(&file, quiet),
        Command::Report(args) => replay(args.into_replay()),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            stderr_line!("camsentry: error: {error:#}");
            let usage = error.chain().any(|cause| {
                matches!(
                    cause.downcast_ref::<RunError>(),
                    Some(RunError::Input(_) | RunError::Setup(_))
                ) || cause.downcast_ref::<UsageError>().is_some()
            });
            ExitCode::from(if usage { EXIT_USAGE } else { EXIT_FAILED })
        }
    }
}

/// Prints the summary (and writes `--stats-json`). Lost output, if any,
/// is the summary's last line.
fn report_run(outcome: &RunOutcome, stats_json: Option<&Path>) -> Result<()> {
    stderr_text!("{}", outcome.summary.render_text());
    if let Some(engine) = &outcome.engine {
        stderr_text!("{}", report::detection_text(engine));
    }
    report_loss(&outcome.summary);
    if let Some(path) = stats_json {
        let mut json = outcome.summary.to_json();
        if let Some(engine) = &outcome.engine {
            json["detection"] = report::detection_json(engine);
        }
        let text = serde_json::to_string_pretty(&json)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// The summary's last line when output was lost.
fn report_loss(summary: &RunSummary) {
    if let Some(line) = summary.render_loss() {
        stderr_line!("{line}");
    }
}

fn exit_code(summary: &RunSummary) -> ExitCode {
    match summary.completion() {
        Completion::Complete => ExitCode::SUCCESS,
        Completion::CapturesDamaged => ExitCode::from(EXIT_PARTIAL),
        Completion::OutputLost => ExitCode::from(EXIT_OUTPUT_LOST),
    }
}

fn replay(args: ReplayArgs) -> Result<ExitCode> {
    let sinks = sink_options(&args.outputs);
    let observer = observer(&[]);
    let mut detection = alerting(&args.detect, &args.outputs, &sinks, &observer)?;
    if let Some(detection) = detection.as_mut() {
        detection.keep_alerts = args.report.is_some();
    }
    let telemetry = telemetry(&args.outputs, &sinks)?;
    let mut sensor = sensor_options(&args.sensor, args.quiet, detection, telemetry, &sinks)?;
    sensor.flow_encoding = flow_encoding(&args.outputs, &observer);
    let outcome = pipeline::replay(ReplayOptions {
        inputs: args.paths,
        sensor,
    })?;
    report_run(&outcome, args.outputs.stats_json.as_deref())?;
    if let Some(engine) = &outcome.engine {
        let learn_for = learn_for(&args.detect, engine.policy())?;
        report::finish_replay(&outcome, learn_for, args.report.as_deref())?;
    }
    let code = exit_code(&outcome.summary);
    leave(outcome);
    Ok(code)
}

/// Lets the process's exit free the engine: every output is written by
/// now, and freeing the state of thousands of cameras piece by piece took
/// a tenth of a flood replay's time. The engine holds no file, socket or
/// thread, only memory.
fn leave(mut outcome: RunOutcome) {
    if let Some(engine) = outcome.engine.take() {
        std::mem::forget(engine);
    }
}

fn live(args: LiveArgs) -> Result<ExitCode> {
    let sinks = sink_options(&args.outputs);
    let observer = observer(&args.interfaces);
    let detection = alerting(&args.detect, &args.outputs, &sinks, &observer)?;
    let telemetry = telemetry(&args.outputs, &sinks)?;
    let mut sensor = sensor_options(&args.sensor, true, detection, telemetry, &sinks)?;
    sensor.flow_encoding = flow_encoding(&args.outputs, &observer);
    let outcome = pipeline::live(LiveOptions {
        interfaces: args
            .interfaces
            .iter()
            .map(|name| LiveInterface { name: name.clone() })
            .collect(),
        capture: CaptureSettings {
            promiscuous: !args.no_promisc,
            snaplen: args.snaplen,
            buffer_bytes: args.buffer_mib.saturating_mul(1 << 20),
            filter: args.filter.clone(),
        },
        readers: usize::from(args.readers),
        user: args.user.clone(),
        quiet: args.quiet,
        sensor,
    })?;
    report_run(&outcome, args.outputs.stats_json.as_deref())?;
    let code = exit_code(&outcome.summary);
    leave(outcome);
    Ok(code)
}

/// Replays captures through detection without alerting, for the engine's
/// state afterwards (`learn`, `inventory`).
fn study(
    paths: Vec<PathBuf>,
    sensor: &SensorArgs,
    policy: Option<&Path>,
    learn_for: u64,
    quiet: bool,
) -> Result<(RunSummary, Engine)> {
    let engine = Engine::new(
        load_policy(policy)?,
        Baseline::default(),
        EngineOptions { learn_for },
        None,
    );
    let detection = Detection {
        engine,
        alerts: None,
        policy_path: None,
        keep_alerts: false,
    };
    let sensor = sensor_options(
        sensor,
        quiet,
        Some(detection),
        None,
        &SinkOptions::default(),
    )?;
    let RunOutcome {
        summary, engine, ..
    } = pipeline::replay(ReplayOptions {
        inputs: paths,
        sensor,
    })?;
    let engine = engine.context("detection engine missing after the run")?;
    Ok((summary, engine))
}

fn learn(args: LearnArgs) -> Result<ExitCode> {
    // Everything in the captures is normal by definition: learn throughout.
    let (summary, engine) = study(
        args.paths,
        &args.sensor,
        args.policy.as_deref(),
        u64::MAX,
        args.quiet,
    )?;
    std::fs::write(&args.out, engine.baseline().to_json())
        .with_context(|| format!("writing {}", args.out.display()))?;
    stderr_text!("{}", summary.render_text());
    stderr_line!(
        "camsentry: baseline of {} camera(s) written to {}",
        engine.baseline().cameras.len(),
        args.out.display()
    );
    report_loss(&summary);
    Ok(exit_code(&summary))
}

fn inventory(args: InventoryArgs) -> Result<ExitCode> {
    let format = args.output_format();
    let (summary, engine) = study(
        args.paths,
        &args.sensor,
        args.policy.as_deref(),
        0,
        args.quiet,
    )?;
    let text = report::inventory_text(&engine, format)?;
    write_stdout(&text)?;
    if !args.quiet {
        stderr_text!("{}", summary.render_text());
    }
    report_loss(&summary);
    Ok(exit_code(&summary))
}

fn check_policy(file: &Path, quiet: bool) -> Result<ExitCode> {
    let policy = Policy::load(file).map_err(UsageError::Policy)?;
    if !quiet {
        write_stdout(&policy.render())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes a command's result to stdout. A closed pipe (`| head`) is not an
/// error; any other failure is, unlike `print!`, which would panic.
fn write_stdout(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("writing to stdout"))
        }
        _ => Ok(()),
    }
}
