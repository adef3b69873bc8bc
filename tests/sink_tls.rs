//! `syslog+tls` (RFC 5425) against a real rsyslog with its GnuTLS driver
//! (`gtls`) on loopback:
//!
//! - every alert arrives byte-identical, with the severity taken from its
//!   `event.severity` and the rule id, category and Community ID in RFC
//!   5424 structured data that rsyslog parses; every line is counted
//!   acknowledged through the TLS accounting;
//! - a receiver that demands a client certificate (`x509/certvalid`)
//!   takes the sink's `cert=`/`key=`;
//! - a sink given the wrong CA refuses the receiver, loses the alerts
//!   and says why: in its counters, and through the binary in the exit
//!   status and the summary's last line.
//!
//! The CA and certificates are made by the `openssl` command for each test.
//! Skipped (with a message) when `rsyslogd`, its `lmnsd_gtls` module
//! (Debian package `rsyslog-gnutls`) or `openssl` is missing. rsyslog runs
//! in a temporary directory, is stopped by its own PID (and killed by a
//! drop guard on failure); every wait has a deadline.

mod common;

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use camsentry::sink::{SinkOptions, Sinks, parse_spec};
use common::rsyslog::RsyslogProcess;
use nix::sys::signal::Signal;
use serde_json::json;

const RSYSLOGD: &str = "/usr/sbin/rsyslogd";
const GTLS_MODULE: &str = "/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so";

/// Whether the tools are here; says what is missing otherwise.
fn available() -> bool {
    let gtls = [GTLS_MODULE, "/usr/lib/rsyslog/lmnsd_gtls.so"]
        .iter()
        .any(|p| Path::new(p).exists());
    let openssl = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    let missing: Vec<&str> = [
        (
            Path::new(RSYSLOGD).exists(),
            "rsyslogd (Debian package `rsyslog`)",
        ),
        (
            gtls,
            "rsyslog's gtls driver (Debian package `rsyslog-gnutls`)",
        ),
        (openssl, "openssl"),
    ]
    .into_iter()
    .filter(|(present, _)| !present)
    .map(|(_, what)| what)
    .collect();
    if !missing.is_empty() {
        eprintln!("skipped: not installed: {}", missing.join(", "));
    }
    missing.is_empty()
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CA (`NAME-ca.pem`, `NAME-ca.key`) in `dir`.
fn make_ca(dir: &Path, name: &str) -> PathBuf {
    let (key, pem) = (format!("{name}-ca.key"), format!("{name}-ca.pem"));
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-noenc",
            "-keyout",
            &key,
            "-out",
            &pem,
            "-days",
            "2",
            "-subj",
            &format!("/CN={name} test CA"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    dir.join(pem)
}

/// A certificate for `name` signed by the CA `ca` (`NAME.pem`,
/// `NAME.key`), for a server or a client.
fn make_cert(dir: &Path, ca: &str, name: &str, usage: &str) -> (PathBuf, PathBuf) {
    let ext = dir.join(format!("{name}.ext"));
    fs::write(
        &ext,
        format!(
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage={usage}\n"
        ),
    )
    .expect("write extensions");
    let (key, csr, pem) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-noenc",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            &format!("/CN={name}"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &format!("{ca}-ca.pem"),
            "-CAkey",
            &format!("{ca}-ca.key"),
            "-CAcreateserial",
            "-out",
            &pem,
            "-days",
            "2",
            "-extfile",
            ext.to_str().unwrap(),
        ],
    );
    (dir.join(pem), dir.join(key))
}

/// An rsyslogd with a TLS listener on loopback; killed when dropped while
/// running.
struct Rsyslog {
    process: RsyslogProcess,
    dir: PathBuf,
    port: u16,
}

impl Rsyslog {
    /// Listens with TLS on a free port (certificate `server`, trusting
    /// `ca` for clients, `auth_mode` `anon` or `x509/certvalid`), writing
    /// `SEVERITY|STRUCTURED-DATA|MSG` of each message to `received.log`.
    /// Returns once it accepts connections.
    fn start(dir: &Path, ca: &Path, server: &(PathBuf, PathBuf), auth_mode: &str) -> Rsyslog {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let work = dir.join("work");
        fs::create_dir_all(&work).expect("work directory");
        let config = dir.join("rsyslog.conf");
        let text = format!(
            r#"global(workDirectory="{work}" maxMessageSize="64k"
       defaultNetstreamDriverCAFile="{ca}"
       defaultNetstreamDriverCertFile="{cert}"
       defaultNetstreamDriverKeyFile="{key}")
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="{auth_mode}")
template(name="fields" type="string" string="%syslogseverity-text%|%structured-data%|%msg%\n")
ruleset(name="camsentry") {{
    action(type="omfile" file="{out}" template="fields")
}}
input(type="imtcp" port="{port}" address="127.0.0.1" ruleset="camsentry")
"#,
            work = work.display(),
            ca = ca.display(),
            cert = server.0.display(),
            key = server.1.display(),
            out = dir.join("received.log").display(),
        );
        fs::write(&config, text).expect("write rsyslog.conf");
        let process = RsyslogProcess::start(
            Path::new(RSYSLOGD),
            &config,
            &dir.join("rsyslogd.pid"),
            dir,
            port,
        );
        Rsyslog {
            process,
            dir: dir.to_path_buf(),
            port,
        }
    }

    fn log(&self) -> String {
        self.process.log()
    }

    /// Stops rsyslogd with SIGTERM (it writes out its queues first) and
    /// waits for it to exit; returns the lines it wrote.
    fn stop(mut self) -> Vec<String> {
        self.process.stop(Signal::SIGTERM);
        fs::read_to_string(self.dir.join("received.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// An ECS alert line: severity 1 to 3 in turn, non-ASCII text.
fn alert(n: usize) -> Vec<u8> {
    let value = json!({
        "@timestamp": "2026-05-01T12:00:00.000000Z",
        "event": {"kind": "alert", "severity": 1 + n % 3, "id": format!("{n:024x}")},
        "rule": {"id": format!("SCAN-{}", 1 + n % 2), "category": "scan"},
        "network": {"community_id": "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
        "camsentry": {"camera": {"name": format!("Caméra nº{n}")}, "padding": "x".repeat(n % 50 * 37)},
    });
    serde_json::to_vec(&value).expect("serialisable")
}

fn options() -> SinkOptions {
    SinkOptions {
        hostname: "sensor-1".into(),
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        ..SinkOptions::default()
    }
}

/// Sends `count` alerts to `spec` and shuts the sink down; returns its
/// counters.
fn deliver(spec: &str, count: usize) -> camsentry::sink::SinkCounters {
    let sinks = Sinks::start(&[parse_spec(spec).expect("spec")], &options()).expect("start");
    for n in 0..count {
        sinks.send(&alert(n));
    }
    let mut report = sinks.shutdown(Duration::from_secs(20));
    report.pop().expect("one sink").1
}

fn check_received(lines: &[String], count: usize) {
    assert_eq!(lines.len(), count, "every alert arrives once");
    for (n, line) in lines.iter().enumerate() {
        let severity = ["warning", "notice", "info"][n % 3];
        let sd = format!(
            "[camsentry@32473 rule=\"SCAN-{}\" category=\"scan\" community_id=\"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\"]",
            1 + n % 2
        );
        let expected = format!(
            "{severity}|{sd}|{}",
            String::from_utf8(alert(n)).expect("UTF-8")
        );
        assert_eq!(line, &expected, "line {n}");
    }
}

#[test]
fn alerts_cross_tls_to_rsyslog_whole_with_severity_and_structured_data() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = make_ca(dir.path(), "site");
    let server = make_cert(dir.path(), "site", "server", "serverAuth");
    let rsyslog = Rsyslog::start(dir.path(), &ca, &server, "anon");
    let count = 2_000;
    // The certificate holds `localhost` and 127.0.0.1: check by name.
    let spec = format!(
        "syslog+tls://127.0.0.1:{}?ca={}&name=localhost",
        rsyslog.port,
        ca.display()
    );
    let counters = deliver(&spec, count);
    let log = rsyslog.log();
    let lines = rsyslog.stop();
    assert_eq!(counters.sent, count as u64, "{counters}; {log}");
    assert_eq!(counters.acknowledged, count as u64, "{counters}");
    assert_eq!(counters.lost(), 0, "{counters}");
    check_received(&lines, count);
}

#[test]
fn a_receiver_that_demands_a_client_certificate_gets_it() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = make_ca(dir.path(), "site");
    let server = make_cert(dir.path(), "site", "server", "serverAuth");
    let (cert, key) = make_cert(dir.path(), "site", "sensor", "clientAuth");
    let rsyslog = Rsyslog::start(dir.path(), &ca, &server, "x509/certvalid");
    let spec = format!(
        "syslog+tls://127.0.0.1:{}?ca={}&cert={}&key={}",
        rsyslog.port,
        ca.display(),
        cert.display(),
        key.display()
    );
    let counters = deliver(&spec, 50);
    let log = rsyslog.log();
    let lines = rsyslog.stop();
    assert_eq!(counters.acknowledged, 50, "{counters}; {log}");
    check_received(&lines, 50);
}

#[test]
fn a_wrong_ca_is_refused_and_said() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = make_ca(dir.path(), "site");
    let other = make_ca(dir.path(), "other");
    let server = make_cert(dir.path(), "site", "server", "serverAuth");
    let rsyslog = Rsyslog::start(dir.path(), &ca, &server, "anon");
    let spec = format!(
        "syslog+tls://127.0.0.1:{}?ca={}",
        rsyslog.port,
        other.display()
    );

    // The library: nothing sent, everything lost, the reason kept.
    let counters = deliver(&spec, 5);
    assert_eq!(counters.sent, 0, "{counters}");
    assert_eq!(counters.lost(), 5, "{counters}");
    let error = counters.last_error.clone().unwrap_or_default();
    assert!(
        error.contains("the receiver's certificate is not signed by a CA in")
            && error.contains("other-ca.pem"),
        "{error}"
    );

    // The binary: exit status 4 and the summary names the problem.
    let capture = common::synth(dir.path(), "egress");
    let policy = common::fixture("policy/site.toml");
    let output = common::run(&[
        "replay",
        "-q",
        "--policy",
        policy.to_str().unwrap(),
        "--alerts",
        &spec,
        capture.to_str().unwrap(),
    ]);
    let stderr = common::stderr(&output);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("camsentry: output lost: ")
            && last.contains("not signed by a CA in")
            && last.contains("UnknownIssuer"),
        "{last}"
    );
    assert!(rsyslog.stop().is_empty(), "nothing reached rsyslog");
}
