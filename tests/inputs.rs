//! Inputs that are not plain files: FIFOs named on the command line, FIFOs
//! met while scanning a directory, standard input, and pcapng files with
//! several interfaces. Every wait is bounded; a hang fails the test instead
//! of stalling the suite.

mod common;

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

/// Longest a run may take before it counts as hung.
const HANG: Duration = Duration::from_secs(20);

/// Kills the child if a test fails before it exits.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    fn pid(&self) -> Pid {
        Pid::from_raw(self.0.id() as i32)
    }

    /// Waits for the exit, at most `limit`.
    fn wait(&mut self, limit: Duration, what: &str) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "camsentry still running {limit:?} after {what}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn stderr(&mut self) -> String {
        let mut text = String::new();
        if let Some(mut err) = self.0.stderr.take() {
            let _ = err.read_to_string(&mut text);
        }
        text
    }

    /// Waits until the process holds `path` open (it has then installed its
    /// signal handlers and reached its reading loop).
    fn wait_until_open(&mut self, path: &Path) {
        let target = path.canonicalize().unwrap();
        let fds = PathBuf::from(format!("/proc/{}/fd", self.0.id()));
        let deadline = Instant::now() + HANG;
        loop {
            let open = std::fs::read_dir(&fds)
                .into_iter()
                .flatten()
                .flatten()
                .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|link| link == target));
            if open {
                return;
            }
            if let Some(status) = self.0.try_wait().unwrap() {
                panic!("camsentry exited ({status}) before opening the FIFO");
            }
            assert!(
                Instant::now() < deadline,
                "camsentry did not open {} within {HANG:?}",
                path.display()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn mkfifo(path: &Path) {
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::S_IRWXU).unwrap();
}

fn replay(args: &[&str], stdin: Stdio) -> Running {
    Running(
        common::camsentry()
            .arg("replay")
            .args(args)
            .stdin(stdin)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    )
}

fn summary(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Byte offsets where each record of a classic little-endian pcap ends.
fn record_ends(capture: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut at = 24;
    while at + 16 <= capture.len() {
        let caplen = u32::from_le_bytes(capture[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + caplen;
        ends.push(at);
    }
    ends
}

#[test]
fn a_fifo_without_a_writer_stops_on_sigterm_with_its_summary() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("capture.fifo");
    mkfifo(&fifo);
    let stats = dir.path().join("stats.json");
    let mut run = replay(
        &[
            "-q",
            "--no-detect",
            "--stats-json",
            stats.to_str().unwrap(),
            fifo.to_str().unwrap(),
        ],
        Stdio::null(),
    );
    // Before the fix, open() blocked here until a writer came.
    run.wait_until_open(&fifo);
    kill(run.pid(), Signal::SIGTERM).unwrap();
    let status = run.wait(HANG, "SIGTERM");
    let err = run.stderr();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(
        err.contains("camsentry: 1 file(s) (0 failed, interrupted)"),
        "{err}"
    );
    let summary = summary(&stats);
    assert_eq!(summary["packets"], 0);
    assert_eq!(summary["files"][0]["interrupted"], true);
}

#[test]
fn a_stalled_writer_is_interrupted_and_its_packets_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("capture.fifo");
    mkfifo(&fifo);
    let stats = dir.path().join("stats.json");
    let mut run = replay(
        &[
            "-q",
            "--no-detect",
            "--stats-json",
            stats.to_str().unwrap(),
            fifo.to_str().unwrap(),
        ],
        Stdio::null(),
    );
    // Opening for writing without blocking succeeds once camsentry has the
    // FIFO open for reading.
    let deadline = Instant::now() + HANG;
    let mut writer = loop {
        match OpenOptions::new()
            .write(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(&fifo)
        {
            Ok(file) => break file,
            Err(e) if e.raw_os_error() == Some(nix::libc::ENXIO) => {
                assert!(Instant::now() < deadline, "camsentry never opened the FIFO");
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("opening the FIFO: {e}"),
        }
    };
    // Ten whole records and half of the eleventh (well within the pipe's
    // buffer, so the write does not wait for the reader), then nothing.
    let capture = std::fs::read(common::fixture("camera-network.pcap")).unwrap();
    let ends = record_ends(&capture);
    let cut = ends[9] + (ends[10] - ends[9]) / 2;
    assert!(cut < 60_000);
    writer.write_all(&capture[..cut]).unwrap();
    kill(run.pid(), Signal::SIGINT).unwrap();
    let status = run.wait(HANG, "SIGINT");
    let err = run.stderr();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    let summary = summary(&stats);
    assert_eq!(summary["packets"], 10, "{err}");
    assert_eq!(summary["files"][0]["interrupted"], true);
    assert_eq!(summary["files"][0]["error"], Value::Null);
    drop(writer);
}

#[test]
fn directory_scans_skip_fifos_instead_of_hanging() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("a-live.pcap"));
    std::fs::copy(
        common::fixture("camera-network.pcap"),
        dir.path().join("b.pcap"),
    )
    .unwrap();
    let stats = dir.path().join("stats.json");
    let mut run = replay(
        &[
            "-q",
            "--no-detect",
            "--stats-json",
            stats.to_str().unwrap(),
            dir.path().to_str().unwrap(),
        ],
        Stdio::null(),
    );
    let status = run.wait(HANG, "start");
    let err = run.stderr();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("a-live.pcap: skipped, a FIFO"), "{err}");
    assert!(err.contains("(0 failed, 1 skipped)"), "{err}");
    let summary = summary(&stats);
    let capture = std::fs::read(common::fixture("camera-network.pcap")).unwrap();
    assert_eq!(summary["packets"], record_ends(&capture).len());
    assert_eq!(summary["skipped_inputs"], 1);
}

/// Flow records of `capture` replayed as a named file and through stdin.
fn flows_by_file_and_stdin(capture: &Path) -> (Vec<String>, Vec<String>) {
    let args = [
        "replay",
        "-q",
        "--no-detect",
        "--workers",
        "2",
        "--flows",
        "-",
    ];
    let by_file = common::camsentry()
        .args(args)
        .arg(capture)
        .output()
        .unwrap();
    assert!(by_file.status.success(), "{}", common::stderr(&by_file));
    let mut child = Running(
        common::camsentry()
            .args(args)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Fed from a thread through a pipe, in pieces, as tcpdump would.
    let mut stdin = child.0.stdin.take().unwrap();
    let bytes = std::fs::read(capture).unwrap();
    let feeder = std::thread::spawn(move || {
        for piece in bytes.chunks(1000) {
            if stdin.write_all(piece).is_err() {
                break;
            }
        }
    });
    let mut stdout = child.0.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let status = child.wait(HANG, "stdin was closed");
    feeder.join().unwrap();
    let by_stdin = reader.join().unwrap();
    let err = child.stderr();
    assert!(status.success(), "{err}");
    assert!(err.contains("1 file(s) (0 failed)"), "{err}");
    (
        common::stdout_lines(&by_file),
        by_stdin.lines().map(str::to_owned).collect(),
    )
}

#[test]
fn stdin_gives_the_same_flows_as_the_file() {
    let (by_file, by_stdin) = flows_by_file_and_stdin(&common::fixture("camera-network.pcap"));
    assert!(by_file.len() > 10);
    assert_eq!(by_file, by_stdin);
    if let Some(pcapng) = common::shared("pcaps/formats/pcpp-many_interfaces-1.pcapng") {
        let (by_file, by_stdin) = flows_by_file_and_stdin(&pcapng);
        assert!(!by_file.is_empty());
        assert_eq!(by_file, by_stdin);
    }
}

#[test]
fn stdin_named_twice_is_a_usage_error() {
    let output = common::camsentry()
        .args(["replay", "-", "-"])
        .stdin(File::open(common::fixture("camera-network.pcap")).unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(common::stderr(&output).contains("only once"));
}

/// Seconds since the epoch of an RFC 3339 UTC time with microseconds, as
/// flow records write it.
fn epoch_micros(text: &str) -> i64 {
    let (date, time) = text.trim_end_matches('Z').split_once('T').unwrap();
    let d: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
    let (hms, micros) = time.split_once('.').unwrap();
    let t: Vec<i64> = hms.split(':').map(|p| p.parse().unwrap()).collect();
    // Days from civil (Howard Hinnant's algorithm).
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days * 86_400 + t[0] * 3600 + t[1] * 60 + t[2]) * 1_000_000 + micros.parse::<i64>().unwrap()
}

/// Packets capinfos counts, and the packet times tshark reads
/// (microseconds), when both are installed.
fn wireshark_view(path: &Path) -> Option<(u64, BTreeSet<i64>)> {
    let capinfos = std::process::Command::new("capinfos")
        .args(["-M", "-c"])
        .arg(path)
        .output()
        .ok()?;
    let count = String::from_utf8_lossy(&capinfos.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Number of packets:"))?
        .trim()
        .parse()
        .ok()?;
    let tshark = std::process::Command::new("tshark")
        .args(["-T", "fields", "-e", "frame.time_epoch", "-r"])
        .arg(path)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    // A Simple Packet Block carries no time: tshark prints none, camsentry
    // gives it the time of the packet before (here: none, 0).
    let times: BTreeSet<i64> = String::from_utf8_lossy(&tshark.stdout)
        .lines()
        .map(|l| if l.trim().is_empty() { "0" } else { l })
        .filter_map(|l| {
            let (secs, frac) = l.trim().split_once('.').unwrap_or((l.trim(), "0"));
            let micros: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
            secs.parse::<i64>()
                .ok()?
                .checked_mul(1_000_000)?
                .checked_add(micros.parse().ok()?)
        })
        .collect();
    Some((count, times))
}

#[test]
fn multi_interface_pcapng_files_are_read_whole() {
    let Some(dir) = common::shared("pcaps/formats") else {
        return;
    };
    // Interfaces of different link types (Ethernet, BSD null, raw IP, Linux
    // cooked), snapshot lengths and timestamp resolutions.
    for name in [
        "pcpp-many_interfaces-1.pcapng",
        "zeek-pcapng-multi-interface.pcapng",
        "pcpp-pcapng-example.pcapng",
        "gopacket-le-test202.pcapng",
        "gopacket-be-test100.pcapng",
        "pcpp-too_many_interfaces.pcapng",
    ] {
        let file = dir.join(name);
        let stats = tempfile::NamedTempFile::new().unwrap();
        let output = common::run(&[
            "replay",
            "-q",
            "--no-detect",
            "--flows",
            "-",
            "--stats-json",
            stats.path().to_str().unwrap(),
            file.to_str().unwrap(),
        ]);
        let err = common::stderr(&output);
        assert_eq!(output.status.code(), Some(0), "{name}: {err}");
        let summary = summary(stats.path());
        assert_eq!(summary["files_failed"], 0, "{name}");
        assert_eq!(
            summary["decode_failures"]["unsupported_link_type"], 0,
            "{name}: every interface's link type is decoded"
        );
        let Some((count, times)) = wireshark_view(&file) else {
            eprintln!("skipped the comparison with Wireshark: capinfos or tshark is absent");
            continue;
        };
        assert_eq!(summary["packets"], count, "{name}: every packet is counted");
        let flows: Vec<Value> = common::stdout_lines(&output)
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(!flows.is_empty(), "{name}");
        // Each interface's own clock (resolution and offset) is applied:
        // every flow starts and ends at the time of a packet tshark reads.
        // (Times past 2554 do not fit camsentry's 64-bit nanoseconds and
        // are clamped; pcpp-pcapng-example.pcapng has some.)
        for flow in &flows {
            for field in ["start", "end"] {
                // ECS flow records keep their times under `event`.
                let time = epoch_micros(flow["event"][field].as_str().unwrap());
                if time < (u64::MAX / 1000) as i64 - 1_000_000 {
                    assert!(times.contains(&time), "{name}: {field} of {flow}");
                }
            }
        }
    }
}
