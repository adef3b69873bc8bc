//! The command line, in two stages as ripgrep does: this module holds the
//! clap definitions (the raw flags), [`build`] turns them into the
//! validated runtime objects the library runs (the detection engine,
//! sensor options, outputs, telemetry), and [`error`] says which mistakes
//! are the user's (exit status 2). `main.rs` parses, dispatches to one
//! function per command and maps errors to exit codes.

pub mod build;
pub mod error;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use error::UsageError;

/// Exit status text, shared by every command's help.
macro_rules! exit_codes {
    () => {
        "\
EXIT STATUS:
    0  every input was read to its end and all outputs were written
    1  the run failed (an output could not be written, a thread failed)
    2  usage error: bad option, missing input path, directory without
       captures, invalid policy, unknown interface, invalid BPF filter
    3  the run completed, but at least one capture file was unreadable or
       truncated (its packets before the damage were processed)"
    };
}

const EXIT_CODES: &str = exit_codes!();

/// The top-level help's epilogue: examples, then exit status.
const TOP_HELP: &str = concat!(
    "\
EXAMPLES:
    Replay an incident capture against the site policy, alerts to a file:
        camsentry replay --policy site.toml --alerts alerts.json incident.pcapng
    Learn a week of normal traffic, then check new captures against it:
        camsentry learn week/ --out baseline.json
        camsentry replay --baseline baseline.json today.pcap
    Which cameras are in this capture, and whom do they talk to?
        camsentry inventory capture.pcap
    Watch a mirror port; alerts to a file and to a syslog collector:
        camsentry live -i eno2 --policy site.toml --user camsentry \\
            --alerts /var/log/camsentry/alerts.json \\
            --alerts syslog+tcp://10.0.0.5:6514 --spool-dir /var/lib/camsentry/spool

",
    exit_codes!()
);

/// Passive sensor for CCTV / IP-camera networks.
///
/// camsentry reads traffic from a switch mirror port or from pcap/pcapng
/// files, tracks every flow, and reports camera traffic that breaks the
/// site's policy. Output is JSON lines, one object per line.
#[derive(Debug, Parser)]
#[command(name = "camsentry", version, propagate_version = true, after_help = TOP_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay pcap/pcapng files through the sensor.
    ///
    /// Files are read in the order given, directories recursively in name
    /// order (only regular files that start with a pcap or pcapng magic
    /// number are taken from directories; FIFOs, sockets and devices there
    /// are skipped and reported). A FIFO named on the command line is read
    /// as it is written, and `-` reads standard input (`tcpdump -w - |
    /// camsentry replay -`); SIGINT/SIGTERM stop them even while no data
    /// comes. All inputs form one packet stream, as the pieces of a rotated
    /// capture do. A file that cannot be read, or that ends mid-record, is
    /// reported by name and the run goes on with the next one. At the end a
    /// summary goes to stderr.
    #[command(after_help = EXIT_CODES)]
    Replay(ReplayArgs),

    /// Capture live from network interfaces (mirror/SPAN ports).
    ///
    /// Same pipeline, detectors and outputs as `replay`. Runs until SIGINT or
    /// SIGTERM, then flushes flows and alerts, prints the summary and exits
    /// 0. SIGHUP reopens output files (for logrotate) and reloads the
    /// policy; an invalid policy is refused and the old one stays. Needs
    /// CAP_NET_RAW and CAP_NET_ADMIN (or root, with --user to drop it).
    /// Packets the reader cannot hand to a busy worker are dropped and
    /// counted; libpcap's own drop counters are reported too.
    #[command(after_help = EXIT_CODES)]
    Live(LiveArgs),

    /// Learn each camera's normal peers and upload volume from captures.
    ///
    /// Replays the captures with every camera in learning mode and writes
    /// the baseline (peers by address and DNS name, port, transport; largest
    /// hourly upload per destination class) as JSON. Load it later with
    /// `--baseline`; it combines with the policy.
    Learn(LearnArgs),

    /// List the cameras found in captures.
    ///
    /// Address, MAC, vendor, how each was identified (oui, rtsp, onvif,
    /// policy), its role, its peers and bytes each way; a table, JSON or
    /// CSV (--format).
    Inventory(InventoryArgs),

    /// Replay captures and write a self-contained HTML incident report.
    ///
    /// Same detection and outputs as `replay` (alerts still go to --alerts,
    /// stdout by default); at the end one HTML file with the site summary,
    /// camera inventory, alert timeline, per-camera peer maps and top
    /// external destinations. The file loads nothing from the network.
    #[command(after_help = EXIT_CODES)]
    Report(ReportArgs),

    /// Check a policy file and print the effective policy.
    ///
    /// Prints the policy with every default filled in, as TOML, or refuses
    /// the file with FILE:LINE:COLUMN and the reason (unknown key, bad CIDR,
    /// bad budget, empty group, ...), exiting with status 2.
    CheckPolicy {
        /// The policy file (TOML).
        #[arg(value_name = "FILE")]
        file: PathBuf,

        /// Print nothing when the policy is valid: only the exit status
        /// (and the error, when it is not) tells.
        #[arg(short, long)]
        quiet: bool,
    },
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Capture files, directories of them, FIFOs, or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub sensor: SensorArgs,

    #[command(flatten)]
    pub detect: DetectArgs,

    #[command(flatten)]
    pub outputs: OutputArgs,

    /// Also write the HTML incident report (see `camsentry report`) here.
    #[arg(long, value_name = "FILE", conflicts_with = "no_detect")]
    pub report: Option<PathBuf>,

    /// No progress line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `report`: `replay` whose HTML report is the point, so `--out` is
/// required.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Capture files, directories of them, FIFOs, or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Where to write the HTML report.
    #[arg(long, value_name = "FILE", conflicts_with = "no_detect")]
    pub out: PathBuf,

    #[command(flatten)]
    pub sensor: SensorArgs,

    #[command(flatten)]
    pub detect: DetectArgs,

    #[command(flatten)]
    pub outputs: OutputArgs,

    /// No progress line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

impl ReportArgs {
    /// The `replay --report` run this command is.
    pub fn into_replay(self) -> ReplayArgs {
        ReplayArgs {
            paths: self.paths,
            sensor: self.sensor,
            detect: self.detect,
            outputs: self.outputs,
            report: Some(self.out),
            quiet: self.quiet,
        }
    }
}

#[derive(Debug, Args)]
pub struct LiveArgs {
    /// Interface to capture on (a mirror/SPAN port); repeat for several.
    #[arg(short, long = "interface", value_name = "IFACE", required = true)]
    pub interfaces: Vec<String>,

    /// BPF filter (tcpdump syntax), compiled by libpcap; refused with
    /// libpcap's message when invalid.
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,

    /// Bytes kept of each packet [default: whole packets, 262144].
    #[arg(long, value_name = "BYTES", default_value_t = 262_144)]
    pub snaplen: i32,

    /// Kernel capture buffer per interface, in MiB: absorbs bursts while
    /// workers are busy (64 MiB is about half a second of a saturated
    /// gigabit port). Also disable GRO/LRO on the capture NIC (`ethtool -K
    /// IFACE gro off lro off`) so that the sensor sees the frames the wire
    /// carried.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub buffer_mib: i32,

    /// Reader threads per interface [default: 1].
    ///
    /// One reader takes every packet of every interface from the kernel and
    /// decodes it before handing it to the workers; on a busy port it is the
    /// first thread to run out of CPU, and the kernel then drops packets
    /// (`dropped N (kernel buffer)` in the summary, `kernel` in the stats).
    /// With N above 1, each interface gets N capture sockets joined in a
    /// Linux PACKET_FANOUT group: the kernel spreads packets over them by a
    /// hash of addresses and ports that keeps both directions of a flow on
    /// one socket, and N threads read them (thread k reads socket k of every
    /// interface). Decoding and routing to workers stay in one thread, so
    /// flows and alerts are the same as with one reader; each flow's packets
    /// stay in order, while packets of different flows interleave in the
    /// order the readers hand them over. IPv4 fragments are reassembled by
    /// the kernel before they are spread (PACKET_FANOUT_FLAG_DEFRAG), so the
    /// sensor sees whole datagrams instead of fragments.
    ///
    /// Use more than 1 only when the summary shows kernel-buffer drops with
    /// the reader thread (`camsentry-reader-0` / the main thread in top -H)
    /// at 100% CPU and cores to spare: the readers, the workers and the
    /// kernel's own copying share the CPUs, and on a machine with few cores
    /// more readers can lose more. Each reader has its own --buffer-mib
    /// ring on every interface (N times the memory). Needs Linux and an
    /// Ethernet interface (not `any`); refused otherwise. At most 16.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=crate::capture::MAX_READERS as i64),
          hide_default_value = true)]
    pub readers: u16,

    /// Do not put the interface in promiscuous mode.
    #[arg(long)]
    pub no_promisc: bool,

    /// Drop root privileges to this user (and its group) once the
    /// interfaces are open.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    #[command(flatten)]
    pub sensor: SensorArgs,

    #[command(flatten)]
    pub detect: DetectArgs,

    #[command(flatten)]
    pub outputs: OutputArgs,

    /// No `capturing on` notice on stderr (readiness still reaches systemd
    /// through sd_notify); the end-of-run summary is printed as for
    /// `replay`.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Where results go; shared by `replay` and `live`.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Where alerts go; repeat for several. `-` (stdout), a file path
    /// (appended to, reopened on SIGHUP), `syslog+tcp://HOST:PORT` (RFC 5424,
    /// RFC 6587 octet counting), `syslog+udp://HOST:PORT`,
    /// `syslog+tls://HOST:PORT` (RFC 5425; options `?ca=FILE`,
    /// `cert=FILE&key=FILE`, `name=NAME`), `unix:///path/to.sock`, or
    /// `tcp://`/`udp://` for bare JSON lines. Syslog messages take their
    /// severity and structured data (rule, category, Community ID) from the
    /// alert. Network targets reconnect with backoff and spool to
    /// --spool-dir while down.
    #[arg(long, value_name = "SPEC", default_value = "-")]
    pub alerts: Vec<String>,

    /// Directory where network sinks queue lines while their receiver is
    /// down (one subdirectory per sink); sent in order once it is back, or
    /// at the next start. Without it, lines that do not fit in memory are
    /// dropped and counted.
    #[arg(long, value_name = "DIR")]
    pub spool_dir: Option<PathBuf>,

    /// Largest spool per network sink, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    pub spool_max_mib: u64,

    /// Alert encoding: `ecs` (Elastic Common Schema) or `eve` (Suricata EVE
    /// compatible).
    #[arg(long, value_name = "FORMAT", default_value = "ecs")]
    pub format: AlertFormat,

    /// Track flows only: no camera inventory, no detectors, no alerts.
    #[arg(long)]
    pub no_detect: bool,

    /// Write the end-of-run summary as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub stats_json: Option<PathBuf>,

    /// Write a stats record (JSON line) this often, wall clock, e.g. 10s.
    #[arg(long, value_name = "DURATION")]
    pub stats_interval: Option<String>,

    /// Where stats records go (a file, `-`, or a network sink as for
    /// --alerts) [default: stderr].
    #[arg(long, value_name = "SPEC")]
    pub stats_log: Option<String>,

    /// Serve Prometheus metrics over HTTP on ADDR:PORT (e.g.
    /// 127.0.0.1:9477). Off by default.
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics_listen: Option<std::net::SocketAddr>,
}

/// `--format`: how alerts are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlertFormat {
    // No doc comments on the variants: clap would turn them into a
    // per-value help list, and the flag's own help already says it.
    Ecs,
    Eve,
}

impl From<AlertFormat> for crate::alert::Format {
    fn from(format: AlertFormat) -> Self {
        match format {
            AlertFormat::Ecs => crate::alert::Format::Ecs,
            AlertFormat::Eve => crate::alert::Format::Eve,
        }
    }
}

/// A count that must be 1 or more (`--workers`, `--max-flows`): zero would
/// leave nothing to do the work or nowhere to keep a flow.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("not a whole number: {e}")),
    }
}

/// Options shared by every command that runs the sensor.
#[derive(Debug, Args)]
pub struct SensorArgs {
    /// Worker threads for flow tracking [default: number of CPUs].
    #[arg(short, long, value_name = "N", value_parser = at_least_one)]
    pub workers: Option<usize>,

    /// Write one JSON line per finished flow to SPEC: `-` (stdout), a file
    /// path, or a network sink as for --alerts.
    #[arg(long, value_name = "SPEC")]
    pub flows: Option<String>,

    /// Live flows kept across all workers; when full, the stalest flow is
    /// evicted (reported with end_reason "evicted" and counted). About 130
    /// bytes per flow.
    #[arg(long, value_name = "N", default_value_t = 2_000_000, value_parser = at_least_one)]
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

/// Detection inputs shared by `replay`, `learn` and `inventory`.
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Site policy (TOML): networks, recorders, camera groups and what each
    /// may reach. See fixtures/policy/example.toml. Without one, cameras are
    /// found passively and their normal peers are learned.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// A baseline written by `camsentry learn`; combines with the policy.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Learn each camera's peers for this long (packet time, from the
    /// camera's first packet) before alerting on it [default: 1h without
    /// --policy or --baseline, else the policy's `[learn] duration`, 0s].
    #[arg(long, value_name = "DURATION")]
    pub learn_for: Option<String>,
}

#[derive(Debug, Args)]
pub struct LearnArgs {
    /// Capture files, directories of them, FIFOs, or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Where to write the baseline (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    #[command(flatten)]
    pub sensor: SensorArgs,

    /// Site policy (TOML), to place recorders and internal networks.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// No progress line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Capture files, directories of them, FIFOs, or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format: an aligned `table`, `json` (one object with
    /// `cameras` and `hosts` arrays, MACs in ECS form), or `csv` (one row
    /// per host with a header, MACs in colon form).
    #[arg(long, value_enum, value_name = "FORMAT", conflicts_with = "json")]
    pub format: Option<InventoryFormat>,

    /// Same as --format json.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub sensor: SensorArgs,

    /// Site policy (TOML): policy groups also identify cameras.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// No progress line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `inventory --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InventoryFormat {
    Table,
    Json,
    Csv,
}

impl InventoryArgs {
    /// The format asked for: `--format`, `--json`, else the table.
    pub fn output_format(&self) -> InventoryFormat {
        match (self.format, self.json) {
            (Some(format), _) => format,
            (None, true) => InventoryFormat::Json,
            (None, false) => InventoryFormat::Table,
        }
    }
}
