//! The `camsentry-synth` binary: writes one synthetic scenario as a pcap
//! file, or lists the scenarios. Flags are parsed here; the capture comes
//! from the library's [`camsentry_synth::generate`].

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;

use camsentry_synth::{SynthOptions, generate, scenario_names};

const EXIT_FAILED: u8 = 1;
/// Same status as clap's own usage errors.
const EXIT_USAGE: u8 = 2;

/// Write a synthetic camera-network capture (deterministic).
///
/// The same scenario and seed always give a byte-identical pcap file.
/// Small scenarios are the fixtures under fixtures/; `cctv-mix` and
/// `small-flows` are the large benchmark captures (about 5 GB and 130 MB at
/// their default sizes). `camsentry-synth --list` names them all.
#[derive(Debug, Parser)]
#[command(name = "camsentry-synth", version, after_help = AFTER_HELP)]
struct Cli {
    /// Scenario to write (see --list).
    #[arg(value_name = "SCENARIO", required_unless_present = "list")]
    scenario: Option<String>,

    /// Output pcap file.
    #[arg(short, long, value_name = "PATH", required_unless_present = "list")]
    out: Option<PathBuf>,

    /// Packets to write (bulk scenarios only).
    #[arg(long, value_name = "N")]
    packets: Option<u64>,

    /// Seed of the scenario's random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
}

const AFTER_HELP: &str = "\
EXAMPLES:
    Regenerate a fixture:
        camsentry-synth camera-network --out fixtures/camera-network.pcap
    A 1,000,000-packet benchmark capture:
        camsentry-synth cctv-mix --packets 1000000 --out /tmp/cctv-mix-1m.pcap

EXIT STATUS:
    0  the capture was written (or the list printed)
    1  the capture could not be written
    2  usage error: bad option, unknown scenario";

/// A bad flag value or scenario name: exit status 2.
#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Like the sensor, never panic on a closed stderr.
            let _ = writeln!(io::stderr().lock(), "camsentry-synth: error: {error:#}");
            let usage = error.chain().any(|cause| cause.is::<UsageError>());
            ExitCode::from(if usage { EXIT_USAGE } else { EXIT_FAILED })
        }
    }
}

fn run(args: Cli) -> Result<()> {
    if args.list {
        let list: String = scenario_names()
            .iter()
            .map(|(name, description)| format!("{name:<20} {description}\n"))
            .collect();
        return write_stdout(&list);
    }
    let (Some(name), Some(out)) = (args.scenario, args.out) else {
        bail!(UsageError("a scenario and --out are required".into()));
    };
    // Only the listed names: the library also takes parameterised
    // `site-day:...` names, which stay a library feature.
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
    let _ = writeln!(
        io::stderr().lock(),
        "camsentry-synth: wrote {packets} packets to {}",
        out.display()
    );
    Ok(())
}

/// Writes the list to stdout. A closed pipe (`| head`) is not an error; any
/// other failure is, unlike `print!`, which would panic.
fn write_stdout(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("writing to stdout"))
        }
        _ => Ok(()),
    }
}
