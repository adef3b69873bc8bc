//! Replay end to end through the real binary: every public capture, bad
//! inputs, and identical output for any number of workers.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Packets libpcap itself reads from a file before EOF or its first error,
/// whether it read to the end, and its error.
fn libpcap_read(path: &Path) -> (u64, bool, String) {
    let mut capture = match pcap::Capture::from_file(path) {
        Ok(capture) => capture,
        Err(error) => return (0, false, error.to_string()),
    };
    let mut packets = 0;
    loop {
        match capture.next_packet() {
            Ok(_) => packets += 1,
            Err(pcap::Error::NoMorePackets) => return (packets, true, String::new()),
            Err(error) => return (packets, false, error.to_string()),
        }
    }
}

fn libpcap_count(path: &Path) -> (u64, bool) {
    let (packets, clean, _) = libpcap_read(path);
    (packets, clean)
}

/// What camsentry should read from a file: what libpcap reads, except
/// where camsentry's own reader goes further on purpose.
/// - pcapng files whose interfaces differ in link type or snapshot length,
///   which libpcap refuses at the second interface: camsentry reads them
///   whole, as capinfos counts them (`None` when capinfos is absent);
/// - a classic pcap header whose link-type field has reserved bits set,
///   which libpcap 1.10.3 takes for a link type and newer versions (and
///   Wireshark) refuse: camsentry refuses it.
fn expected_count(path: &Path) -> Option<(u64, bool)> {
    let (packets, clean, error) = libpcap_read(path);
    if !clean && error.contains("different from the") {
        return capinfos_count(path).map(|n| (n, true));
    }
    if clean && pcap::Capture::from_file(path).is_ok_and(|c| c.get_datalink().0 & 0x03FF_0000 != 0)
    {
        return Some((0, false));
    }
    Some((packets, clean))
}

/// Packets in a capture as capinfos counts them, when it is installed.
fn capinfos_count(path: &Path) -> Option<u64> {
    let output = std::process::Command::new("capinfos")
        .args(["-M", "-c"])
        .arg(path)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("Number of packets:"))
        .and_then(|n| n.trim().parse().ok())
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            all_files(&entry, out);
        } else if entry.extension().is_some_and(|e| e != "md") {
            out.push(entry);
        }
    }
}

#[test]
fn every_public_capture_replays_without_panic_and_counts_every_packet() {
    let Some(dir) = common::shared("pcaps") else {
        return;
    };
    let mut files = Vec::new();
    all_files(&dir, &mut files);
    assert!(files.len() > 100, "the public capture set is there");
    let stats = tempfile::NamedTempFile::new().unwrap();
    let mut failed = 0;
    for file in &files {
        let Some((expected, clean)) = expected_count(file) else {
            eprintln!("skipped {}: capinfos is absent", file.display());
            continue;
        };
        let output = common::run(&[
            "replay",
            "-q",
            "--workers",
            "2",
            "--stats-json",
            stats.path().to_str().unwrap(),
            file.to_str().unwrap(),
        ]);
        let err = common::stderr(&output);
        assert!(!err.contains("panicked"), "{}: {err}", file.display());
        let code = output.status.code();
        if clean {
            assert_eq!(code, Some(0), "{}: {err}", file.display());
        } else {
            failed += 1;
            assert_eq!(code, Some(3), "{}: {err}", file.display());
            let name = file.file_name().unwrap().to_str().unwrap();
            assert!(err.contains(name), "error names the file: {err}");
        }
        let summary: Value =
            serde_json::from_str(&std::fs::read_to_string(stats.path()).unwrap()).unwrap();
        assert_eq!(summary["packets"], expected, "{}", file.display());
        let counted = summary["ip_packets"].as_u64().unwrap()
            + summary["arp_packets"].as_u64().unwrap()
            + summary["later_fragments"].as_u64().unwrap()
            + summary["decode_failures"]
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_u64().unwrap())
                .sum::<u64>();
        assert_eq!(
            counted,
            expected,
            "every packet is accounted for: {}",
            file.display()
        );
    }
    assert!(failed > 5, "the malformed captures are refused ({failed})");
}

#[test]
fn a_truncated_file_keeps_its_packets_and_the_run_goes_on() {
    let Some(dir) = common::shared("pcaps") else {
        return;
    };
    let truncated = dir.join("malformed/ndpi-fuzz-2021-10-13-cut-short.pcap");
    let good = dir.join("camera/iotsentinel-dlinkcam-setup-A-1.pcap");
    let stats = tempfile::NamedTempFile::new().unwrap();
    let output = common::run(&[
        "replay",
        "-q",
        "--stats-json",
        stats.path().to_str().unwrap(),
        truncated.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(3));
    let err = common::stderr(&output);
    assert!(err.contains("ndpi-fuzz-2021-10-13-cut-short.pcap"), "{err}");
    assert!(err.contains("truncated"), "{err}");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(stats.path()).unwrap()).unwrap();
    let (before_cut, _) = libpcap_count(&truncated);
    assert!(before_cut > 0);
    assert_eq!(summary["packets"], before_cut + 624);
    assert_eq!(summary["files"][0]["packets"], before_cut);
    assert_eq!(summary["files_failed"], 1);
}

#[test]
fn unsupported_link_type_is_reported_once_and_counted() {
    let Some(dir) = common::shared("pcaps") else {
        return;
    };
    let file = dir.join("malformed/tcpdump-unsupported-link-type-160.pcap");
    let stats = tempfile::NamedTempFile::new().unwrap();
    let output = common::run(&[
        "replay",
        "-q",
        "--stats-json",
        stats.path().to_str().unwrap(),
        file.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let err = common::stderr(&output);
    assert_eq!(err.matches("is not supported").count(), 1, "{err}");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(stats.path()).unwrap()).unwrap();
    let (count, _) = libpcap_count(&file);
    assert_eq!(
        summary["decode_failures"]["unsupported_link_type"],
        2 * count
    );
}

#[test]
fn bad_inputs_get_clear_errors_and_documented_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pcap");
    let output = common::run(&["replay", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(common::stderr(&output).contains("missing.pcap: no such file"));

    let empty = dir.path().join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    let output = common::run(&["replay", empty.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3));
    let err = common::stderr(&output);
    assert!(
        err.contains("empty.pcap") && err.contains("truncated"),
        "{err}"
    );

    let notes = dir.path().join("notes");
    std::fs::create_dir(&notes).unwrap();
    std::fs::write(notes.join("readme.txt"), b"no captures here").unwrap();
    let output = common::run(&["replay", notes.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(common::stderr(&output).contains("holds no pcap or pcapng files"));

    let output = common::run(&["replay", "--timeout", "udp=soon", empty.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(common::stderr(&output).contains("bad duration `soon`"));

    // Zero workers or zero flows would leave nothing to do the work.
    let sample = common::fixture("camera-network.pcap");
    for (command, flag) in [
        ("replay", "-w"),
        ("replay", "--workers"),
        ("replay", "--max-flows"),
        ("inventory", "--max-flows"),
        ("learn", "--workers"),
    ] {
        let out = dir.path().join("baseline.json");
        let mut args = vec![command, flag, "0", sample.to_str().unwrap()];
        if command == "learn" {
            args.extend(["--out", out.to_str().unwrap()]);
        }
        let output = common::run(&args);
        let err = common::stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{command} {flag} 0: {err}");
        assert!(
            err.contains("invalid value '0'") && err.contains("must be at least 1"),
            "{err}"
        );
        assert!(!out.exists());
    }
}

fn flows_with_workers(inputs: &[&Path], workers: usize) -> Vec<String> {
    let mut args = vec![
        "replay".to_string(),
        "-q".into(),
        "--flows".into(),
        "-".into(),
    ];
    args.extend(["--workers".to_string(), workers.to_string()]);
    args.extend(inputs.iter().map(|p| p.to_str().unwrap().to_string()));
    let output = common::camsentry().args(&args).output().unwrap();
    assert!(output.status.code().is_some_and(|c| c == 0 || c == 3));
    common::stdout_lines(&output)
}

#[test]
fn flow_records_are_identical_for_1_2_and_4_workers() {
    let Some(dir) = common::shared("pcaps") else {
        return;
    };
    let inputs = [dir.join("camera"), dir.join("scan"), dir.join("encap")];
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let one = flows_with_workers(&inputs, 1);
    assert!(one.len() > 500, "a real amount of flows ({})", one.len());
    for line in &one {
        let record = common::flow_view(line);
        assert!(record.community_id.starts_with("1:"));
    }
    assert_eq!(one, flows_with_workers(&inputs, 2));
    assert_eq!(one, flows_with_workers(&inputs, 4));
}

#[test]
fn the_bundled_sample_is_what_the_generator_writes() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = common::synth(dir.path(), "camera-network");
    let bundled = common::fixture("camera-network.pcap");
    assert_eq!(
        std::fs::read(&fresh).unwrap(),
        std::fs::read(&bundled).unwrap(),
        "regenerate with: camsentry-synth camera-network --out fixtures/camera-network.pcap"
    );
}

#[test]
fn sample_replay_prints_flows_and_summary() {
    let sample = common::fixture("camera-network.pcap");
    let stats = tempfile::NamedTempFile::new().unwrap();
    let output = common::run(&[
        "replay",
        "--no-detect",
        "--flows",
        "-",
        "--stats-json",
        stats.path().to_str().unwrap(),
        sample.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let records: Vec<common::FlowView> = common::stdout_lines(&output)
        .iter()
        .map(|l| common::flow_view(l))
        .collect();
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(stats.path()).unwrap()).unwrap();
    assert_eq!(summary["flows"]["records_written"], records.len());
    assert_eq!(summary["flows"]["created"], records.len());
    assert_eq!(summary["decode_failures"]["truncated"], 0);
    // RTSP from the recorder to the first camera: initiated by the NVR,
    // answered, on VLAN 20.
    let rtsp = records
        .iter()
        .find(|r| r.dest_ip == "10.20.0.11" && r.dest_port == 554)
        .expect("an RTSP flow");
    assert_eq!(rtsp.src_ip, "10.20.0.2");
    assert!(rtsp.answered);
    assert_eq!(rtsp.vlan, Some(20));
    assert_eq!(
        rtsp.tcp.as_ref().unwrap().source_flags.chars().next(),
        Some('S')
    );
    // Video: camera to recorder over UDP, many packets one way.
    let video = records
        .iter()
        .filter(|r| r.src_ip == "10.20.0.11" && r.transport == "udp" && r.dest_ip == "10.20.0.2")
        .max_by_key(|r| r.orig_packets)
        .expect("an RTP flow");
    assert!(video.orig_packets > 50 && video.orig_bytes > video.orig_packets * 1000);
    let err = common::stderr(&output);
    assert!(
        err.contains("packets/s") && err.contains("batch latency"),
        "{err}"
    );
}

#[test]
fn a_full_or_closed_stderr_does_not_abort_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let sample = common::fixture("camera-network.pcap");
    // A cut copy, so that an error message is written too.
    let bytes = std::fs::read(&sample).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 7]).unwrap();
    let flows = dir.path().join("flows.json");
    let stats = dir.path().join("stats.json");
    let baseline = dir.path().join("baseline.json");
    let replay_args = [
        "replay",
        "--flows",
        flows.to_str().unwrap(),
        "--stats-json",
        stats.to_str().unwrap(),
        cut.to_str().unwrap(),
        sample.to_str().unwrap(),
    ];
    let learn_args = [
        "learn",
        "--out",
        baseline.to_str().unwrap(),
        sample.to_str().unwrap(),
    ];
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    for closed in [false, true] {
        for path in [&flows, &stats, &baseline] {
            let _ = std::fs::remove_file(path);
        }
        let run = |args: &[&str]| {
            let mut command = if closed {
                // The shell closes descriptor 2 before camsentry starts.
                let mut c = std::process::Command::new("sh");
                c.arg("-c")
                    .arg("exec \"$0\" \"$@\" 2>&-")
                    .arg(env!("CARGO_BIN_EXE_camsentry"));
                c
            } else {
                let mut c = common::camsentry();
                c.stderr(full());
                c
            };
            command.args(args).output().unwrap().status.code()
        };
        let how = if closed { "closed" } else { "full" };
        // Exit 3: the cut file. Not 101: a panic.
        assert_eq!(run(&replay_args), Some(3), "replay, stderr {how}");
        let summary: Value =
            serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
        assert_eq!(summary["files_failed"], 1);
        let records = std::fs::read_to_string(&flows).unwrap().lines().count();
        assert_eq!(summary["flows"]["records_written"], records);
        assert!(records > 0);
        assert_eq!(run(&learn_args), Some(0), "learn, stderr {how}");
        assert!(baseline.exists());
        assert_eq!(
            run(&["replay", "missing.pcap"]),
            Some(2),
            "usage error, stderr {how}"
        );
    }
}

/// Flow records and alerts of one detection run over `inputs`, with
/// options `args`. Outputs go to files of their own: an existing output
/// file is appended to.
fn flows_and_alerts(
    inputs: &[&Path],
    args: &[&str],
    workers: usize,
    dir: &Path,
) -> (Vec<u8>, Vec<u8>) {
    let (flows, alerts) = (
        dir.join(format!("flows-{workers}")),
        dir.join(format!("alerts-{workers}")),
    );
    let output = common::camsentry()
        .args(["replay", "-q", "--workers", &workers.to_string()])
        .args(args)
        .arg("--flows")
        .arg(&flows)
        .arg("--alerts")
        .arg(&alerts)
        .args(inputs)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", common::stderr(&output));
    (
        std::fs::read(flows).unwrap(),
        std::fs::read(alerts).unwrap(),
    )
}

/// Flow-heavy inputs give the same records and alerts for any number of
/// workers: 40,000 short flows flushed at the end of input (several parts
/// per worker through the collector's merge), and the same flows ended by
/// one expiry sweep when a scan that alerts follows them an hour later;
/// and EVE records whose `flow.alerted` the collector sets for the flows
/// that egress alerts name.
#[test]
fn flow_heavy_detection_runs_are_identical_for_1_2_and_4_workers() {
    let dir = tempfile::tempdir().unwrap();
    let scan = common::synth(dir.path(), "scan-tcp");
    let egress = common::synth(dir.path(), "egress");
    let policy = common::fixture("policy/site.toml");
    let eve = ["--policy", policy.to_str().unwrap(), "--format", "eve"];
    let small = common::synth_sized(dir.path(), "small-flows", Some(80_000));
    // Inputs in time order: the small flows (08:00) before the scan (09:00).
    for (name, inputs, args) in [
        ("flush", vec![small.as_path()], &[][..]),
        ("sweep", vec![small.as_path(), scan.as_path()], &[]),
        ("eve", vec![egress.as_path()], &eve),
    ] {
        let run_dir = dir.path().join(name);
        std::fs::create_dir(&run_dir).unwrap();
        let one = flows_and_alerts(&inputs, args, 1, &run_dir);
        let records = one.0.iter().filter(|&&b| b == b'\n').count();
        if name == "eve" {
            let text = String::from_utf8_lossy(&one.0);
            assert_eq!(
                text.matches("\"alerted\":true").count(),
                2,
                "the two egress flows alerted"
            );
        } else {
            assert!(
                records >= 40_000,
                "{name}: every short flow has a record ({records})"
            );
        }
        if name != "flush" {
            assert!(!one.1.is_empty(), "{name}: alerts");
        }
        for workers in [2, 4] {
            let other = flows_and_alerts(&inputs, args, workers, &run_dir);
            assert!(
                one.0 == other.0,
                "{name}: flow records differ with {workers} workers"
            );
            assert!(
                one.1 == other.1,
                "{name}: alerts differ with {workers} workers"
            );
        }
    }
}

/// Flows ended by the expiry sweep come out in the same order for any
/// number of workers, also when a sweep finds a flow that saw packets since
/// it was filed while newer idle flows share its worker: 250,000 short
/// flows (DNS lookups answered in the next packet, TLS attempts) from as
/// many addresses, among a site's own traffic. With recency queues, 1, 2
/// and 4 workers wrote the same records in three different orders here.
#[test]
fn timeout_records_keep_their_order_whatever_the_workers() {
    let dir = tempfile::tempdir().unwrap();
    let flood = common::synth_sized(dir.path(), "identity-flood-plain", Some(500_000));
    let records = |workers: usize| {
        let flows = dir.path().join(format!("flows-{workers}"));
        let output = common::camsentry()
            .args(["replay", "-q", "--no-detect", "--workers"])
            .arg(workers.to_string())
            .arg("--flows")
            .arg(&flows)
            .arg(&flood)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", common::stderr(&output));
        std::fs::read(flows).unwrap()
    };
    let one = records(1);
    let text = String::from_utf8_lossy(&one);
    let timeouts = text.matches("\"reason\":\"timeout\"").count();
    assert!(timeouts > 90_000, "most lookups time out ({timeouts})");
    for workers in [2, 4] {
        assert!(
            one == records(workers),
            "flow records differ with {workers} workers"
        );
    }
}
