//! What an operator runs the sensor with, through the real binary and the
//! files under dist/:
//!
//! - `-q` is accepted by every command;
//! - the systemd unit spools into its state directory, and the logrotate
//!   file covers every file the unit writes;
//! - stats records start with `timestamp` and `event_type`;
//! - a live run that saw nothing says `live capture on IFACE` and prints
//!   the libpcap line; the real `logrotate` with dist/camsentry.logrotate
//!   rotates its stats log while it runs, and the sensor goes on in the new
//!   file with no record lost or cut (needs root, `ip` and `logrotate`;
//!   skipped with a message otherwise).
//!
//! Every wait is bounded; the sensor is killed and the namespace removed
//! when a test fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

fn dist(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("dist")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The arguments of the unit's `ExecStart=` (continuation lines joined).
fn exec_start() -> Vec<String> {
    let unit = dist("camsentry.service");
    let joined = unit.replace("\\\n", " ");
    let line = joined
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("an ExecStart line");
    line.split_whitespace().map(str::to_string).collect()
}

fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

#[test]
fn every_command_accepts_q() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = common::synth(dir.path(), "egress");
    let capture = capture.to_str().unwrap();
    let out = |name: &str| dir.path().join(name).display().to_string();
    let policy = common::fixture("policy/site.toml").display().to_string();
    let runs: [Vec<String>; 5] = [
        vec!["replay".into(), "-q".into(), capture.into()],
        vec![
            "report".into(),
            "-q".into(),
            "--out".into(),
            out("r.html"),
            capture.into(),
        ],
        vec![
            "learn".into(),
            "-q".into(),
            "--out".into(),
            out("b.json"),
            capture.into(),
        ],
        vec!["inventory".into(), "-q".into(), capture.into()],
        vec!["check-policy".into(), "-q".into(), policy],
    ];
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = common::run(&args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            common::stderr(&output)
        );
    }
    // check-policy -q prints nothing for a valid policy.
    let check = common::run(&runs[4].iter().map(String::as_str).collect::<Vec<_>>());
    assert!(check.stdout.is_empty());
    // live -q gets past the command line, to the interface.
    let output = common::run(&["live", "-q", "-i", "camsentry-absent0"]);
    let stderr = common::stderr(&output);
    assert!(!stderr.contains("unexpected argument"), "{stderr}");
    assert!(stderr.contains("camsentry-absent0: libpcap"), "{stderr}");
}

#[test]
fn the_unit_spools_in_its_state_directory_and_logrotate_covers_its_files() {
    let unit = dist("camsentry.service");
    let args = exec_start();
    let state = unit
        .lines()
        .find_map(|l| l.strip_prefix("StateDirectory="))
        .expect("StateDirectory");
    let spool = option(&args, "--spool-dir").expect("the unit passes --spool-dir");
    assert!(
        spool.starts_with(&format!("/var/lib/{state}/")),
        "{spool} is under StateDirectory={state}"
    );
    let logs = unit
        .lines()
        .find_map(|l| l.strip_prefix("LogsDirectory="))
        .expect("LogsDirectory");
    let rotate = dist("camsentry.logrotate");
    let pattern = rotate
        .lines()
        .find_map(|l| l.strip_suffix(" {"))
        .expect("a logrotate block");
    assert_eq!(pattern, format!("/var/log/{logs}/*.json"));
    // Every file the unit writes is rotated.
    for flag in ["--alerts", "--stats-log", "--flows"] {
        let Some(path) = option(&args, flag) else {
            continue;
        };
        if path.starts_with('/') {
            assert!(
                path.starts_with(&format!("/var/log/{logs}/")) && path.ends_with(".json"),
                "{flag} {path} is not covered by {pattern}"
            );
        }
    }
    // The sensor reopens on SIGHUP: the rotation reloads the unit.
    assert!(unit.contains("ExecReload=/bin/kill -HUP $MAINPID"));
    assert!(rotate.contains("systemctl reload camsentry.service"));
    assert!(!rotate.contains("\n    copytruncate"));
}

#[test]
fn stats_records_start_with_timestamp_and_event_type() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = common::synth(dir.path(), "egress");
    let stats = dir.path().join("stats.json");
    let output = common::run(&[
        "replay",
        "-q",
        "--stats-interval",
        "1h",
        "--stats-log",
        stats.to_str().unwrap(),
        capture.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let text = std::fs::read_to_string(&stats).expect("stats log");
    let line = text.lines().next().expect("a stats record at the end");
    assert!(line.starts_with("{\"timestamp\":\""), "{line}");
    let after = line.split_once("\",").expect("timestamp ends").1;
    assert!(after.starts_with("\"event_type\":\"stats\","), "{line}");
}

struct Namespace(String);

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// A namespace with an idle veth end `cap0`, or `None` (said on stderr).
fn namespace(test: &str) -> Option<Namespace> {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: needs root (network namespaces)");
        return None;
    }
    let found = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !found("ip") || !found("logrotate") {
        eprintln!("skipped: ip or logrotate (Debian package `logrotate`) is not installed");
        return None;
    }
    let name = format!("camsentry-{test}-{}", std::process::id());
    let ip = |args: &[&str]| {
        Command::new("ip")
            .args(args)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ip(&["netns", "add", &name]) {
        eprintln!("skipped: cannot create a network namespace here");
        return None;
    }
    let namespace = Namespace(name.clone());
    // No IPv6 autoconfiguration chatter: nothing may cross the link.
    for key in [
        "net.ipv6.conf.all.disable_ipv6=1",
        "net.ipv6.conf.default.disable_ipv6=1",
    ] {
        let _ = Command::new("ip")
            .args(["netns", "exec", &name, "sysctl", "-q", "-w", key])
            .status();
    }
    let ready = ip(&[
        "-n", &name, "link", "add", "cap0", "type", "veth", "peer", "name", "inj0",
    ]) && ip(&["-n", &name, "link", "set", "cap0", "up"])
        && ip(&["-n", &name, "link", "set", "inj0", "up"]);
    assert!(ready, "veth pair in {name}");
    Some(namespace)
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of the sensor's stderr, read on a thread.
fn stderr_lines(child: &mut Child) -> Receiver<String> {
    let pipe = child.stderr.take().expect("piped stderr");
    let (sender, lines) = channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(pipe)) {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

/// Waits (at most `seconds`) for a stderr line containing `needle`.
fn wait_for(lines: &Receiver<String>, seen: &mut Vec<String>, needle: &str, seconds: u64) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return;
                }
            }
            Err(_) => panic!("no `{needle}` within {seconds} s:\n{}", seen.join("\n")),
        }
    }
}

fn records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a cut record {l:?}: {e}")))
        .collect()
}

fn wait_until(what: &str, seconds: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_idle_live_run_is_rotated_by_logrotate_and_says_what_it_captured() {
    let Some(namespace) = namespace("ops") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = dir.path().join("log");
    std::fs::create_dir(&logs).expect("log directory");
    let stats = logs.join("stats.json");
    let policy = common::fixture("policy/site.toml");
    let sensor = Command::new("ip")
        .args([
            "netns",
            "exec",
            &namespace.0,
            env!("CARGO_BIN_EXE_camsentry"),
        ])
        .args(["live", "-i", "cap0", "--policy"])
        .arg(&policy)
        .args(["--stats-interval", "50ms", "--stats-log"])
        .arg(&stats)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start camsentry live");
    let mut sensor = Killed(sensor);
    let lines = stderr_lines(&mut sensor.0);
    let mut seen = Vec::new();
    wait_for(&lines, &mut seen, "capturing on cap0", 20);
    wait_until("stats records", 10, || records(&stats).len() >= 2);

    // The shipped rotation, pointed at this run's directory and process.
    let config: PathBuf = dir.path().join("logrotate.conf");
    let text = dist("camsentry.logrotate")
        .replace("/var/log/camsentry", &logs.display().to_string())
        .replace(
            "systemctl reload camsentry.service",
            &format!("kill -HUP {}", sensor.0.id()),
        );
    std::fs::write(&config, text).expect("logrotate.conf");
    let rotate = Command::new("logrotate")
        .arg("--force")
        .arg("--state")
        .arg(dir.path().join("logrotate.state"))
        .arg(&config)
        .output()
        .expect("run logrotate");
    assert!(
        rotate.status.success(),
        "logrotate: {}",
        String::from_utf8_lossy(&rotate.stderr)
    );
    // The policy reload follows the reopening of the outputs.
    wait_for(&lines, &mut seen, "SIGHUP: reloaded", 10);
    let rotated = logs.join("stats.json.1");
    assert!(rotated.exists(), "logrotate renamed the stats log");
    wait_until("records in the new stats log", 10, || {
        records(&stats).len() >= 2
    });

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(sensor.0.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("SIGTERM");
    wait_until("the sensor to stop", 15, || {
        sensor.0.try_wait().ok().flatten().is_some()
    });
    assert_eq!(
        sensor.0.try_wait().ok().flatten().and_then(|s| s.code()),
        Some(0)
    );
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(5)) {
        seen.push(line);
    }
    let stderr = seen.join("\n");
    // Nothing crossed the idle link: still the live wording and the
    // libpcap line.
    assert!(
        stderr.contains("camsentry: live capture on cap0, 0 packets,"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  capture: 0 received by libpcap,"),
        "{stderr}"
    );
    assert!(stderr.contains("  stats written: "), "{stderr}");
    // Every record whole (records() panics on a cut one), in both files.
    let (old, new) = (records(&rotated), records(&stats));
    assert!(old.len() >= 2 && new.len() >= 2);
}
