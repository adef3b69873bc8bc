//! Command-line definitions (clap derive only; validation and running live
//! in `main.rs` and the library).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXIT_CODES: &str = "\
EXIT STATUS:
    0  every input was read to its end and all outputs were written
    1  the run failed (an output could not be written, a thread failed)
    2  usage error: bad option, missing input path, directory without captures
    3  the run completed, but at least one capture file was unreadable or
       truncated (its packets before the damage were processed)";

/// Passive sensor for CCTV / IP-camera networks.
///
/// camsentry reads traffic from a switch mirror port or from pcap/pcapng
/// files, tracks every flow, and reports camera traffic that breaks the
/// site's policy. Output is JSON lines, one object per line.
#[derive(Debug, Parser)]
#[command(name = "camsentry", version, propagate_version = true, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay pcap/pcapng files through the sensor.
    ///
    /// Files are read in the order given, directories recursively in name
    /// order (only files that start with a pcap or pcapng magic number are
    /// taken from directories). All files form one packet stream, as the
    /// pieces of a rotated capture do. A file that cannot be read, or that
    /// ends mid-record, is reported by name and the run goes on with the next
    /// one. At the end a summary goes to stderr.
    #[command(after_help = EXIT_CODES)]
    Replay(ReplayArgs),

    /// Check a policy file and print the effective policy.
    ///
    /// Prints the policy with every default filled in, as TOML, or refuses
    /// the file with FILE:LINE:COLUMN and the reason (unknown key, bad CIDR,
    /// bad budget, empty group, ...), exiting with status 2.
    CheckPolicy {
        /// The policy file (TOML).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Capture files or directories of them.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub sensor: SensorArgs,

    /// Write the run summary as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub stats_json: Option<PathBuf>,

    /// No progress line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Options shared by every command that runs the sensor.
#[derive(Debug, Args)]
pub struct SensorArgs {
    /// Worker threads for flow tracking [default: number of CPUs].
    #[arg(short, long, value_name = "N")]
    pub workers: Option<usize>,

    /// Write one JSON line per finished flow to PATH (`-` for stdout).
    #[arg(long, value_name = "PATH|-")]
    pub flows: Option<String>,

    /// Live flows kept across all workers; when full, the stalest flow is
    /// evicted (reported with end_reason "evicted" and counted). About 130
    /// bytes per flow.
    #[arg(long, value_name = "N", default_value_t = 2_000_000)]
    pub max_flows: usize,

    /// Do not put VLAN ids in the flow key (use when the mirror tags the two
    /// directions of a conversation differently).
    #[arg(long)]
    pub no_vlan_key: bool,

    /// Override an inactivity timeout, in packet time: CLASS=DURATION with
    /// CLASS one of tcp-opening (default 30s), tcp-established (300s),
    /// tcp-closed (10s), udp (60s), icmp (30s), other (60s), and DURATION
    /// like 90s, 5m, 1h. Repeatable.
    #[arg(long = "timeout", value_name = "CLASS=DURATION")]
    pub timeouts: Vec<String>,
}
