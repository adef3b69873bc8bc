//! The `camsentry` binary: parse flags, build the run, map errors to exit
//! codes. Everything else lives in the library.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;

use camsentry::alert::{Encoder, Format, Observer};
use camsentry::capture::CaptureSettings;
use camsentry::cli::{
    Cli, Command, DetectArgs, InventoryArgs, LearnArgs, LiveArgs, OutputArgs, ReplayArgs,
    SensorArgs, SynthArgs,
};
use camsentry::config::Policy;
use camsentry::config::budget::parse_duration;
use camsentry::detect::{Baseline, Engine, EngineOptions};
use camsentry::flow::Timeouts;
use camsentry::pipeline::{
    self, Control, Detection, LiveInterface, LiveOptions, ReplayError, ReplayOptions, RunOutcome,
    SensorOptions, Telemetry,
};
use camsentry::report;
use camsentry::sink::SinkOptions;
use camsentry::sink::{Destinations, Output};
use camsentry::stats::{Completion, RunSummary};
use camsentry::{stderr_line, stderr_text};

const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_PARTIAL: u8 = 3;
/// The run completed but some output lines were lost (dropped, refused
/// or unconfirmed by a network sink); takes precedence over 3.
const EXIT_OUTPUT_LOST: u8 = 4;

/// Learning period when neither a policy nor a baseline says what is
/// normal: long enough to see a camera's daily cloud check-ins start.
const DEFAULT_LEARN_SECS: u64 = 3600;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(args) => replay(args),
        Command::Live(args) => live(args),
        Command::Learn(args) => learn(args),
        Command::Inventory(args) => inventory(args),
        Command::CheckPolicy { file } => check_policy(&file),
        Command::Synth(args) => synth(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            stderr_line!("camsentry: error: {error:#}");
            let usage = error.chain().any(|cause| {
                matches!(
                    cause.downcast_ref::<ReplayError>(),
                    Some(ReplayError::Input(_) | ReplayError::Setup(_))
                ) || cause.downcast_ref::<UsageError>().is_some()
            });
            ExitCode::from(if usage { EXIT_USAGE } else { EXIT_FAILED })
        }
    }
}

/// A bad flag value or input file, reported with exit status 2 like clap's
/// own errors.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

fn load_policy(path: Option<&Path>) -> Result<Policy> {
    match path {
        None => Ok(Policy::default()),
        Some(path) => Policy::load(path).map_err(|e| UsageError(e.to_string()).into()),
    }
}

fn nanos(duration: std::time::Duration) -> u64 {
    duration.as_nanos().min(u128::from(u64::MAX)) as u64
}

/// Builds the detection engine from `--policy`, `--baseline`,
/// `--learn-for`.
fn engine(detect: &DetectArgs, encoder: Option<Encoder>) -> Result<Engine> {
    let policy = load_policy(detect.policy.as_deref())?;
    let baseline = match &detect.baseline {
        Some(path) => Baseline::load(path).map_err(|e| UsageError(e.to_string()))?,
        None => Baseline::default(),
    };
    let learn_for = match &detect.learn_for {
        Some(text) => {
            nanos(parse_duration(text).map_err(|e| UsageError(format!("--learn-for {text}: {e}")))?)
        }
        None if detect.policy.is_none() && detect.baseline.is_none() => {
            DEFAULT_LEARN_SECS * 1_000_000_000
        }
        None => nanos(policy.learn().duration),
    };
    Ok(Engine::new(
        policy,
        baseline,
        EngineOptions { learn_for },
        encoder,
    ))
}

fn sensor_options(
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
        detection,
        progress: !quiet && io::stderr().is_terminal(),
        control: Control::with_signals().context("installing signal handlers")?,
        telemetry,
    })
}

/// Detection with alerts, as `replay` and `live` run it.
fn sink_options(outputs: &OutputArgs) -> SinkOptions {
    SinkOptions {
        spool_dir: outputs.spool_dir.clone(),
        spool_max_bytes: outputs.spool_max_mib.saturating_mul(1 << 20),
        ..SinkOptions::default()
    }
}

fn alerting(
    detect: &DetectArgs,
    outputs: &OutputArgs,
    sinks: &SinkOptions,
) -> Result<Option<Detection>> {
    if outputs.no_detect {
        return Ok(None);
    }
    let format = if outputs.format == "eve" {
        Format::Eve
    } else {
        Format::Ecs
    };
    let encoder = Encoder::new(format, Observer::local());
    Ok(Some(Detection {
        engine: engine(detect, Some(encoder))?,
        alerts: Some(
            Destinations::open(&outputs.alerts, sinks)
                .map_err(|e| UsageError(format!("--alerts {e}")))?,
        ),
        policy_path: detect.policy.clone(),
    }))
}

fn telemetry(outputs: &OutputArgs, sinks: &SinkOptions) -> Result<Option<Telemetry>> {
    let interval = match &outputs.stats_interval {
        Some(text) => Some(
            parse_duration(text)
                .map_err(|e| UsageError(format!("--stats-interval {text}: {e}")))?,
        ),
        None => None,
    };
    let metrics = match outputs.metrics_listen {
        Some(address) => {
            let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
            camsentry::stats::http::serve_metrics(address, std::sync::Arc::clone(&text))
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
    let detection = alerting(&args.detect, &args.outputs, &sinks)?;
    let telemetry = telemetry(&args.outputs, &sinks)?;
    let sensor = sensor_options(&args.sensor, args.quiet, detection, telemetry, &sinks)?;
    let outcome = pipeline::replay(ReplayOptions {
        inputs: args.paths,
        sensor,
    })?;
    report_run(&outcome, args.outputs.stats_json.as_deref())?;
    Ok(exit_code(&outcome.summary))
}

fn live(args: LiveArgs) -> Result<ExitCode> {
    let sinks = sink_options(&args.outputs);
    let detection = alerting(&args.detect, &args.outputs, &sinks)?;
    let telemetry = telemetry(&args.outputs, &sinks)?;
    let sensor = sensor_options(&args.sensor, true, detection, telemetry, &sinks)?;
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
        user: args.user.clone(),
        sensor,
    })?;
    report_run(&outcome, args.outputs.stats_json.as_deref())?;
    Ok(exit_code(&outcome.summary))
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
    };
    let sensor = sensor_options(
        sensor,
        quiet,
        Some(detection),
        None,
        &SinkOptions::default(),
    )?;
    let RunOutcome { summary, engine } = pipeline::replay(ReplayOptions {
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
    let (summary, engine) = study(
        args.paths,
        &args.sensor,
        args.policy.as_deref(),
        0,
        args.quiet,
    )?;
    let text = if args.json {
        serde_json::to_string_pretty(&report::inventory_json(&engine))? + "\n"
    } else {
        report::inventory_table(&engine)
    };
    write_stdout(&text)?;
    if !args.quiet {
        stderr_text!("{}", summary.render_text());
    }
    report_loss(&summary);
    Ok(exit_code(&summary))
}

fn synth(args: SynthArgs) -> Result<ExitCode> {
    use camsentry::synth::{SynthOptions, generate, scenario_names};
    if args.list {
        let list: String = scenario_names()
            .iter()
            .map(|(name, description)| format!("{name:<20} {description}\n"))
            .collect();
        write_stdout(&list)?;
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(name), Some(out)) = (args.scenario, args.out) else {
        bail!(UsageError("a scenario and --out are required".into()));
    };
    if !scenario_names().iter().any(|(n, _)| *n == name) {
        bail!(UsageError(format!(
            "unknown scenario `{name}` (see --list)"
        )));
    }
    let file = File::create(&out).with_context(|| format!("creating {}", out.display()))?;
    let options = SynthOptions {
        seed: args.seed,
        packets: args.packets,
    };
    let packets = generate(&name, &options, BufWriter::with_capacity(1 << 20, file))
        .with_context(|| format!("writing {}", out.display()))?;
    stderr_line!("camsentry: wrote {packets} packets to {}", out.display());
    Ok(ExitCode::SUCCESS)
}

fn check_policy(file: &Path) -> Result<ExitCode> {
    let policy = Policy::load(file).map_err(|e| UsageError(e.to_string()))?;
    write_stdout(&policy.render())?;
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

fn workers(sensor: &SensorArgs) -> usize {
    sensor.workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

fn open_output(target: Option<&str>, sinks: &SinkOptions) -> Result<Option<Destinations>> {
    match target {
        None => Ok(None),
        Some(spec) => Destinations::open(&[spec.to_string()], sinks)
            .map(Some)
            .map_err(|e| UsageError(e.to_string()).into()),
    }
}

fn timeouts(sensor: &SensorArgs) -> Result<Timeouts> {
    let mut timeouts = Timeouts::default();
    for spec in &sensor.timeouts {
        let Some((class, duration)) = spec.split_once('=') else {
            bail!(UsageError(format!(
                "--timeout {spec}: expected CLASS=DURATION"
            )));
        };
        let value = nanos(parse_duration(duration).map_err(|e| {
            UsageError(format!("--timeout {spec}: bad duration `{duration}`: {e}"))
        })?);
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
        *slot = value;
    }
    Ok(timeouts)
}
