//! Helpers shared by the integration tests: run the real binary, find the
//! public captures that sit beside the checkout.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod rsyslog;

pub fn camsentry() -> Command {
    Command::new(env!("CARGO_BIN_EXE_camsentry"))
}

pub fn run(args: &[&str]) -> Output {
    camsentry()
        .args(args)
        .output()
        .expect("camsentry binary runs")
}

/// Set (to anything but `0`) where `../shared` must be present, as CI
/// does: a missing capture then fails the test instead of passing it as
/// skipped.
pub const REQUIRE_SHARED: &str = "CAMSENTRY_REQUIRE_SHARED";

/// Whether a missing `../shared` file is a failure (see [`REQUIRE_SHARED`]).
pub fn shared_required() -> bool {
    std::env::var_os(REQUIRE_SHARED).is_some_and(|v| v != "0")
}

/// Reports `path` (under `../shared`) as absent: a skip on a developer
/// machine, a panic when [`REQUIRE_SHARED`] is set.
pub fn shared_absent(path: &Path) {
    if shared_required() {
        panic!(
            "{} is absent and {REQUIRE_SHARED} is set: the public captures must sit \
             beside the checkout (../shared)",
            path.display()
        );
    }
    eprintln!("skipped: {} is absent", path.display());
}

/// `../shared/<sub>` next to the checkout, or `None` (and a message) when
/// this machine does not have it. Panics instead when
/// [`REQUIRE_SHARED`] is set.
pub fn shared(sub: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join(sub);
    if path.exists() {
        Some(path)
    } else {
        shared_absent(&path);
        None
    }
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The ECS alert fields tests compare (decoded, not string-matched).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct EcsAlert {
    #[serde(rename = "@timestamp")]
    pub timestamp: String,
    pub event: EcsEvent,
    pub rule: EcsRule,
    pub source: EcsEndpoint,
    #[serde(default)]
    pub destination: Option<EcsEndpoint>,
    #[serde(default)]
    pub network: Option<EcsNetwork>,
    pub observer: EcsObserver,
    pub camsentry: CamsentryFields,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct EcsEvent {
    pub kind: String,
    pub category: Vec<String>,
    pub action: String,
    pub severity: u8,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct EcsRule {
    pub id: String,
    pub name: String,
    pub category: String,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct EcsEndpoint {
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub mac: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct EcsNetwork {
    #[serde(default)]
    pub transport: Option<String>,
    #[serde(default)]
    pub community_id: Option<String>,
    #[serde(default)]
    pub vlan: Option<EcsVlan>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct EcsVlan {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct EcsObserver {
    pub hostname: String,
    pub product: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct CamsentryFields {
    pub camera: CameraFields,
    pub evidence: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub incident: Option<Incident>,
}

/// `camsentry.incident`: which incident a line belongs to and where it
/// stands.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Incident {
    pub id: String,
    pub state: String,
    pub matches: u64,
    pub first_seen: String,
    pub last_seen: String,
    pub suppressed: u64,
    pub top_destinations: Vec<serde_json::Value>,
    pub top_ports: Vec<serde_json::Value>,
}

impl EcsAlert {
    /// The incident's state (`open`, `update`, `closed`).
    pub fn incident_state(&self) -> &str {
        self.camsentry
            .incident
            .as_ref()
            .map_or("", |i| i.state.as_str())
    }
}

/// The lines that open an incident: one per incident.
pub fn openings(alerts: &[EcsAlert]) -> Vec<EcsAlert> {
    alerts
        .iter()
        .filter(|a| a.incident_state() == "open")
        .cloned()
        .collect()
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct CameraFields {
    pub name: Option<String>,
    pub vendor: Option<String>,
    pub group: Option<String>,
    pub identified_by: Vec<String>,
}

/// Path of a repository fixture.
pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(relative)
}

/// Writes synthetic scenario `name` into `dir` and returns its path: the
/// same file as `camsentry-synth NAME --out PATH` (seed 1, default size).
pub fn synth(dir: &Path, name: &str) -> PathBuf {
    synth_sized(dir, name, None)
}

/// [`synth`] with `packets` packets for the bulk scenarios (the generator's
/// `--packets`).
pub fn synth_sized(dir: &Path, name: &str, packets: Option<u64>) -> PathBuf {
    let path = dir.join(format!("{name}.pcap"));
    let file = std::fs::File::create(&path).expect("create the capture file");
    let options = camsentry_synth::SynthOptions { seed: 1, packets };
    camsentry_synth::generate(name, &options, std::io::BufWriter::new(file))
        .unwrap_or_else(|e| panic!("synth {name}: {e}"));
    path
}

/// Replays `capture` with `args` (detection on, alerts on stdout) and
/// decodes every alert line; informational events (`event.kind:
/// "event"`, see [`events`]) share the output and are left out.
pub fn alerts(capture: &Path, args: &[&str]) -> Vec<EcsAlert> {
    lines(capture, args)
        .iter()
        .filter(|line| !is_event(line))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// The informational events (`event.kind: "event"`) of a replay of
/// `capture` with `args`, as JSON values.
pub fn events(capture: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    lines(capture, args)
        .iter()
        .filter(|line| is_event(line))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn is_event(line: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(line)
        .is_ok_and(|value| value["event"]["kind"] == "event")
}

/// The output lines of a replay of `capture` with `args`.
fn lines(capture: &Path, args: &[&str]) -> Vec<String> {
    let mut command = camsentry();
    command
        .args(["replay", "-q", "--alerts", "-"])
        .args(args)
        .arg(capture);
    let output = command.output().expect("camsentry runs");
    assert!(
        output.status.success(),
        "replay {}: {}",
        capture.display(),
        stderr(&output)
    );
    stdout_lines(&output)
}

/// A flow record (`--flows`, ECS) read into the typed document, then seen
/// through the names the flow tests compare.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowView {
    pub src_ip: String,
    pub src_port: u16,
    pub dest_ip: String,
    pub dest_port: u16,
    pub proto: u8,
    pub transport: String,
    pub vlan: Option<u16>,
    pub orig_packets: u64,
    pub orig_bytes: u64,
    pub resp_packets: u64,
    pub resp_bytes: u64,
    pub answered: bool,
    pub tcp: Option<camsentry::alert::ecs::TcpFields>,
    pub community_id: String,
}

/// Parses one ECS flow record line (panics on anything else).
pub fn flow_view(line: &str) -> FlowView {
    let doc: camsentry::alert::ecs::EcsFlow =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("ECS flow record ({e}): {line}"));
    FlowView {
        src_ip: doc.source.ip.unwrap_or_default(),
        src_port: doc.source.port.unwrap_or(0),
        dest_ip: doc.destination.ip.unwrap_or_default(),
        dest_port: doc.destination.port.unwrap_or(0),
        proto: doc
            .network
            .iana_number
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
        transport: doc.network.transport.unwrap_or_default(),
        vlan: doc.network.vlan.and_then(|v| v.id.parse().ok()),
        orig_packets: doc.source.packets.unwrap_or(0),
        orig_bytes: doc.source.bytes.unwrap_or(0),
        resp_packets: doc.destination.packets.unwrap_or(0),
        resp_bytes: doc.destination.bytes.unwrap_or(0),
        answered: doc.camsentry.answered,
        tcp: doc.camsentry.tcp,
        community_id: doc.network.community_id.unwrap_or_default(),
    }
}

/// A port on loopback that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on loopback")
        .port()
}

/// Polls `done` every 20 ms until it holds or the deadline passes; whether
/// it held. For waiting on a server's readiness (it accepts connections),
/// never on a file to appear.
pub fn wait_until(deadline: std::time::Instant, mut done: impl FnMut() -> bool) -> bool {
    loop {
        if done() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
