//! The scan detector end to end through the real binary: each synthetic
//! scan scenario raises its alerts (rule, camera, evidence, delay), the
//! benign scenarios raise none, the output does not depend on the number of
//! workers, and the public scan captures give what the detector's design
//! predicts once a policy makes their scanning host a camera. A slow
//! ARP-heavy sweep and an Internet worm are built here from the synthetic
//! site's blocks.

mod common;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use camsentry_synth::scenario::{
    BASE_TS, SCAN_ARP_CAMERA, SCAN_ARP_RANGE, SCAN_SLOW_CAMERA, SCAN_SLOW_INTERVAL,
    SCAN_TCP_CAMERA, SCAN_UDP_CAMERA,
};
use camsentry_synth::site::{self, CAMERAS, Host};
use camsentry_synth::traffic::{MS, SEC, Sim};
use common::{EcsAlert, alerts, fixture, synth};

/// The two ways the site is run: with its policy, and with no
/// configuration at all (cameras found passively, no learning period).
fn modes() -> [Vec<String>; 2] {
    let policy = fixture("policy/site.toml");
    [
        vec!["--policy".into(), policy.to_str().unwrap().into()],
        vec!["--learn-for".into(), "0s".into()],
    ]
}

/// Replays `capture` with `args`; the scan alerts and the largest scan
/// detection delay (packet time from the crossing evidence to the alert,
/// in seconds; the summary records a zero delay as 1 µs) the run summary
/// reports.
fn run(capture: &Path, args: &[String]) -> (Vec<EcsAlert>, f64) {
    let stats = tempfile::NamedTempFile::new().unwrap();
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend(["--stats-json", stats.path().to_str().unwrap()]);
    let found = alerts(capture, &all);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(stats.path()).unwrap()).unwrap();
    let scan = &summary["detection"]["detectors"]["scan"];
    let delay = scan["delay_seconds"]["max"].as_f64().unwrap();
    let scans: Vec<EcsAlert> = found
        .into_iter()
        .filter(|a| a.rule.category == "scan")
        .collect();
    assert_eq!(scan["alerts"].as_u64(), Some(scans.len() as u64));
    (scans, delay)
}

/// (rule id, source address) of each alert, in output order.
fn rules(alerts: &[EcsAlert]) -> Vec<(&str, &str)> {
    alerts
        .iter()
        .map(|a| (a.rule.id.as_str(), a.source.ip.as_deref().unwrap_or("")))
        .collect()
}

fn n(alert: &EcsAlert, key: &str) -> u64 {
    alert.camsentry.evidence[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} in {:?}", alert.camsentry.evidence))
}

fn camera(i: usize) -> String {
    Ipv4Addr::from(CAMERAS[i].host.ip).to_string()
}

/// Seconds after 08:00:00 of an alert on 2026-01-05 (the synthetic day).
fn at_s(alert: &EcsAlert) -> f64 {
    let t = &alert.timestamp;
    assert!(t.starts_with("2026-01-05T"), "{t}");
    let clock = t[11..].trim_end_matches('Z');
    let mut parts = clock.split(':');
    let h: f64 = parts.next().unwrap().parse().unwrap();
    let m: f64 = parts.next().unwrap().parse().unwrap();
    let s: f64 = parts.next().unwrap().parse().unwrap();
    (h - 8.0) * 3600.0 + m * 60.0 + s
}

/// What every scan alert carries.
fn check_shape(alert: &EcsAlert) {
    assert_eq!(alert.rule.category, "scan");
    assert!(alert.rule.id.starts_with("CAMSENTRY-SCAN-"));
    assert_eq!(alert.event.kind, "alert");
    assert!(
        ["lan-scan", "port-scan", "arp-sweep", "internet-scan"]
            .contains(&alert.event.action.as_str())
    );
    assert!(alert.source.mac.is_some(), "{alert:?}");
    assert!(alert.camsentry.evidence["reason"].is_string());
    assert_eq!(alert.observer.product, "camsentry");
    assert!(!alert.camsentry.camera.identified_by.is_empty());
}

#[test]
fn scan_tcp_raises_the_walk_then_the_host_window() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "scan-tcp");
    let scanner = camera(SCAN_TCP_CAMERA);
    for args in modes() {
        let (found, delay) = run(&capture, &args);
        assert_eq!(
            rules(&found),
            [
                ("CAMSENTRY-SCAN-1", scanner.as_str()),
                ("CAMSENTRY-SCAN-2", scanner.as_str())
            ],
            "{args:?}: {found:#?}"
        );
        found.iter().for_each(check_shape);
        // Probes start at 60 s, one every 2 ms; every probed host but the
        // recorder is one the camera may not talk to, so each first contact
        // fails the moment it is sent.
        assert!(delay <= 1e-6, "{delay}");
        let trw = &found[0];
        assert_eq!(trw.event.action, "lan-scan");
        // The walk holds the camera's earlier NTP poll (a success) and five
        // failed probes: 4^5 / 4 = 256 >= 99.
        assert_eq!(n(trw, "failures"), 5);
        assert_eq!(n(trw, "successes"), 1);
        assert_eq!(n(trw, "first_contacts"), 6);
        assert_eq!(n(trw, "not_allowed"), 5);
        assert_eq!(trw.camsentry.evidence["likelihood_ratio"], 256.0);
        assert_eq!(trw.camsentry.evidence["likelihood_threshold"], 99.0);
        assert_eq!(
            trw.camsentry.evidence["targets"].as_array().unwrap().len(),
            5
        );
        let t = at_s(trw);
        assert!((60.0..60.05).contains(&t), "{t}");

        let hosts = &found[1];
        assert_eq!(n(hosts, "distinct_hosts"), 20);
        assert_eq!(n(hosts, "threshold"), 20);
        assert_eq!(n(hosts, "failures"), 19);
        assert_eq!(n(hosts, "first_contacts"), 20);
        assert_eq!(hosts.camsentry.evidence["window_s"], 60.0);
        assert!((60.0..60.1).contains(&at_s(hosts)));
        // The fast scan also fills the long window: reported once, as rule 2.
    }
}

#[test]
fn scan_udp_raises_the_port_window_for_the_first_host_to_reach_it() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "scan-udp");
    let scanner = camera(SCAN_UDP_CAMERA);
    for args in modes() {
        let (found, delay) = run(&capture, &args);
        // Two hosts only: the walk sees two failed first contacts (16 < 99).
        assert_eq!(
            rules(&found),
            [("CAMSENTRY-SCAN-4", scanner.as_str())],
            "{args:?}: {found:#?}"
        );
        assert!(delay <= 1e-6, "{delay}");
        let alert = &found[0];
        check_shape(alert);
        assert_eq!(alert.event.action, "port-scan");
        let gateway = Ipv4Addr::from(site::GATEWAY.ip).to_string();
        let destination = alert.destination.as_ref().unwrap();
        assert_eq!(destination.ip.as_deref(), Some(gateway.as_str()));
        assert_eq!(
            alert.network.as_ref().unwrap().transport.as_deref(),
            Some("udp")
        );
        assert_eq!(alert.camsentry.evidence["target"], gateway.as_str());
        assert_eq!(n(alert, "distinct_ports"), 20);
        // The gateway's ICMP burst of 6 answered the first closed ports.
        assert_eq!(n(alert, "unreachable"), 6);
        assert_eq!(
            alert.camsentry.evidence["transports"],
            serde_json::json!(["udp"])
        );
        // The 19th gateway probe is 60 s + 19 x 40 ms.
        let t = at_s(alert);
        assert!((60.7..60.8).contains(&t), "{t}");
    }
}

#[test]
fn scan_arp_raises_the_sweep_then_the_walk_on_unanswered_requests() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "scan-arp");
    let scanner = camera(SCAN_ARP_CAMERA);
    for args in modes() {
        let (found, delay) = run(&capture, &args);
        assert_eq!(
            rules(&found),
            [
                ("CAMSENTRY-SCAN-5", scanner.as_str()),
                ("CAMSENTRY-SCAN-1", scanner.as_str())
            ],
            "{args:?}: {found:#?}"
        );
        found.iter().for_each(check_shape);
        let alert = &found[0];
        assert_eq!(alert.event.action, "arp-sweep");
        assert_eq!(n(alert, "distinct_targets"), 16);
        assert_eq!(n(alert, "answered"), 0);
        assert_eq!(n(alert, "failures"), 16);
        let first = format!("10.20.0.{}", SCAN_ARP_RANGE.0);
        assert_eq!(alert.camsentry.evidence["targets"][0], first.as_str());
        // The 16th request: 60 s + 15 x 5 ms.
        let t = at_s(alert);
        assert!((60.07..60.08).contains(&t), "{t}");
        // No request is answered: each is a failed first contact once the
        // answer wait is over, reported at the next packet; the walk
        // (started by an NTP poll's success) alarms on the fifth. The failed
        // contacts fill rule 6's windows too, which the sweep already
        // reported.
        let walk = &found[1];
        assert_eq!(n(walk, "arp_unanswered"), 5);
        assert_eq!(n(walk, "failures"), 5);
        assert_eq!(n(walk, "successes"), 1);
        assert!(walk.destination.as_ref().unwrap().port.is_none());
        assert!(walk.network.as_ref().unwrap().community_id.is_none());
        let t = at_s(walk);
        assert!((65.0..95.0).contains(&t), "{t}");
        assert!((5.0..35.0).contains(&delay), "{delay}");
    }
}

#[test]
fn scan_slow_raises_the_walk_the_failed_contacts_and_the_long_window() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "scan-slow");
    let scanner = camera(SCAN_SLOW_CAMERA);
    let interval = SCAN_SLOW_INTERVAL as f64 / 1e6;
    for args in modes() {
        let (found, delay) = run(&capture, &args);
        // The walk alarms on the fifth probe, the failed-contact window on
        // the eighth unanswered one (known 5 s later, reported at the next
        // packet), the long window fills with the 50th host, and the walk
        // and the failed contacts alarm again once the re-alert hour is
        // over.
        let s = scanner.as_str();
        assert_eq!(
            rules(&found),
            [
                ("CAMSENTRY-SCAN-1", s),
                ("CAMSENTRY-SCAN-6", s),
                ("CAMSENTRY-SCAN-3", s),
                ("CAMSENTRY-SCAN-1", s),
                ("CAMSENTRY-SCAN-6", s)
            ],
            "{args:?}: {found:#?}"
        );
        found.iter().for_each(check_shape);
        // The running RTP stream to the recorder is no first contact: the
        // walk alarms on the fifth probe (one success, the NTP server).
        let trw = &found[0];
        assert_eq!(n(trw, "failures"), 5);
        assert_eq!(n(trw, "successes"), 1);
        assert_eq!(at_s(trw), 120.0 + 4.0 * interval);
        let failed = &found[1];
        assert!(failed.rule.name.contains("slow sweep"));
        assert_eq!(failed.event.action, "lan-scan");
        assert_eq!(n(failed, "failed_targets"), 8);
        assert_eq!(n(failed, "threshold"), 8);
        assert_eq!(n(failed, "unanswered"), 8);
        assert_eq!(failed.camsentry.evidence["window_s"], 3600.0);
        let eighth = 120.0 + 7.0 * interval;
        let t = at_s(failed);
        assert!((eighth + 5.0..=eighth + interval).contains(&t), "{t}");
        assert!(t - 120.0 <= 600.0, "{t}");
        let slow = &found[2];
        assert!(slow.rule.name.contains("slow scan"));
        assert_eq!(n(slow, "distinct_hosts"), 50);
        assert_eq!(n(slow, "threshold"), 50);
        // 48 probes and two site servers.
        assert_eq!(n(slow, "failures"), 48);
        assert_eq!(slow.camsentry.evidence["window_s"], 3600.0);
        assert_eq!(at_s(slow), 120.0 + 47.0 * interval);
        let again = &found[3];
        assert!(at_s(again) - at_s(trw) >= 3600.0);
        assert_eq!(n(again, "failures"), 4);
        assert!(at_s(&found[4]) - at_s(failed) >= 3600.0);
        // The largest delay: a failure known after the answer wait and
        // reported at the next packet (the next probe at the latest).
        assert!((5.0..interval + 5.0).contains(&delay), "{delay}");
    }
}

#[test]
fn benign_scenarios_raise_no_scan_alert() {
    let dir = tempfile::tempdir().unwrap();
    // Also while every camera learns (zero configuration's default).
    let modes: Vec<Vec<String>> = modes().into_iter().chain([Vec::new()]).collect();
    for name in [
        "camera-network",
        "benign-onvif-poll",
        "benign-workstation",
        "benign-new-camera",
        "benign-video",
        "benign-firmware",
        "egress",
        "exfil",
    ] {
        let capture = synth(dir.path(), name);
        for args in &modes {
            let (found, _) = run(&capture, args);
            assert!(found.is_empty(), "{name} {args:?}: {found:#?}");
        }
    }
}

#[test]
fn a_camera_scanning_while_it_learns_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "scan-tcp");
    let scanner = camera(SCAN_TCP_CAMERA);
    // Zero configuration learns for an hour by default: every probed host
    // is learned, yet 20 hosts in a minute are a sweep, and the probes that
    // nothing answers fail the walk once the answer wait is over.
    let (found, _) = run(&capture, &[]);
    assert_eq!(
        rules(&found),
        [
            ("CAMSENTRY-SCAN-2", scanner.as_str()),
            ("CAMSENTRY-SCAN-1", scanner.as_str())
        ],
        "{found:#?}"
    );
    let walk = &found[1];
    assert_eq!(n(walk, "not_allowed"), 0);
    assert!(n(walk, "unanswered") >= 4);
    assert!(at_s(walk) >= 65.0, "{}", at_s(walk));

    let capture = synth(dir.path(), "scan-slow");
    let scanner = camera(SCAN_SLOW_CAMERA);
    let (found, _) = run(&capture, &[]);
    let firsts: Vec<(&str, &str)> = rules(&found).into_iter().take(2).collect();
    assert_eq!(
        firsts,
        [
            ("CAMSENTRY-SCAN-1", scanner.as_str()),
            ("CAMSENTRY-SCAN-6", scanner.as_str())
        ],
        "{found:#?}"
    );
    assert!(at_s(&found[1]) - 120.0 <= 600.0);
}

#[test]
fn scan_alerts_do_not_depend_on_the_number_of_workers() {
    let dir = tempfile::tempdir().unwrap();
    let policy = fixture("policy/site.toml");
    for name in ["scan-tcp", "scan-udp", "scan-arp", "scan-slow"] {
        let capture = synth(dir.path(), name);
        let with = |workers: &str| {
            let args: Vec<String> = vec![
                "--policy".into(),
                policy.to_str().unwrap().into(),
                "--workers".into(),
                workers.into(),
            ];
            run(&capture, &args).0
        };
        let one = with("1");
        assert!(!one.is_empty(), "{name}");
        assert_eq!(one, with("2"), "{name}");
        assert_eq!(one, with("4"), "{name}");
    }
}

/// A policy file in `dir` that makes `scanner` a camera by address and adds
/// `internal` to the default internal networks; `extra` is appended.
fn scanner_policy(
    dir: &Path,
    case: usize,
    scanner: &str,
    internal: &[&str],
    extra: &str,
) -> String {
    let networks: Vec<String> = [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
    ]
    .iter()
    .chain(internal)
    .map(|n| format!("{n:?}"))
    .collect();
    let text = format!(
        "[site]\ninternal = [{}]\n\n[[group]]\nname = \"suspect\"\nmatch = {{ address = [\"{scanner}\"] }}\n{extra}",
        networks.join(", ")
    );
    let path = dir.join(format!("policy-{case}.toml"));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// One public capture run: the host made a camera, networks added to the
/// internal ones, extra policy text, the scan rules expected in order.
#[derive(Clone, Copy)]
struct Case {
    file: &'static str,
    scanner: &'static str,
    internal: &'static [&'static str],
    extra: &'static str,
    expected: &'static [&'static str],
}

/// The public scan captures, each with its scanning host made a camera.
///
/// | capture | scanner | scan alerts | why |
/// |---|---|---|---|
/// | ndpi-synscan | 172.16.0.8 | SCAN-4 (20 ports of 64.13.134.52 in 1.4 s) once the target is declared internal; none otherwise | 1000 ports of one host; an external target is egress business (one egress alert per port) |
/// | ndpi-tcp_scan | 192.168.1.178 | none with the defaults, SCAN-4 with `distinct_ports = "5/1m"` | 7 ports (SYN, FIN, NULL, Xmas probes) of one host over 40 s, one first contact |
/// | slips-nmap-ssh-bruteforce | 147.32.80.40 | none | 67 connections to one port of one host: brute force, not a scan |
/// | slips-test12-icmp-sweep | 192.168.1.109 | SCAN-1 after 4 failed echo requests | 18 hosts (below the 20-host window) |
/// | slips-test8-arp-sweep | 192.168.1.247 | SCAN-5, 1 of the 16 answered, then SCAN-1 after 4 unanswered requests | ARP requests for about 257 addresses |
/// | zeek-dhcp_flood | every 128.2.0.0/16 host | none | one relayed DHCP flow per host, requests from 0.0.0.0 |
/// | zeek-ftp-bruteforce | 192.168.56.1 | none | 30 logins to one port of one host |
/// | zeek-nmap-vsn | 192.168.1.71 | SCAN-5 (ARP host discovery), then SCAN-1 (4 failed first contacts) | ARP sweep of the /24, then version probes of 7 hosts |
/// | zeek-sshguess | 192.168.56.1 | none | 11 SSH sessions to one host |
/// | zeek-vnc-scanner | 192.168.0.11 | none | one VNC connection |
#[test]
fn public_scan_captures() {
    let Some(dir) = common::shared("pcaps/scan") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let case = |file, scanner, internal, extra, expected| Case {
        file,
        scanner,
        internal,
        extra,
        expected,
    };
    let cases = [
        case(
            "ndpi-synscan.pcap",
            "172.16.0.8",
            &["64.13.134.52"],
            "",
            &["CAMSENTRY-SCAN-4"],
        ),
        case("ndpi-synscan.pcap", "172.16.0.8", &[], "", &[]),
        case("ndpi-tcp_scan.pcap", "192.168.1.178", &[], "", &[]),
        case(
            "ndpi-tcp_scan.pcap",
            "192.168.1.178",
            &[],
            "\n[detect.scan]\ndistinct_ports = \"5/1m\"\n",
            &["CAMSENTRY-SCAN-4"],
        ),
        case(
            "slips-nmap-ssh-bruteforce.pcap",
            "147.32.80.40",
            &["147.32.80.0/24"],
            "",
            &[],
        ),
        case(
            "slips-test12-icmp-sweep.pcap",
            "192.168.1.109",
            &[],
            "",
            &["CAMSENTRY-SCAN-1"],
        ),
        case(
            "slips-test8-arp-sweep.pcap",
            "192.168.1.247",
            &[],
            "",
            &["CAMSENTRY-SCAN-5", "CAMSENTRY-SCAN-1"],
        ),
        case("zeek-ftp-bruteforce.pcap", "192.168.56.1", &[], "", &[]),
        case(
            "zeek-nmap-vsn.pcap",
            "192.168.1.71",
            &[],
            "",
            &["CAMSENTRY-SCAN-5", "CAMSENTRY-SCAN-1"],
        ),
        case("zeek-sshguess.pcap", "192.168.56.1", &[], "", &[]),
        case("zeek-vnc-scanner.pcap", "192.168.0.11", &[], "", &[]),
    ];
    for (index, c) in cases.iter().enumerate() {
        let Case {
            file,
            scanner,
            internal,
            extra,
            expected,
        } = *c;
        let capture = dir.join(file);
        if !capture.exists() {
            common::shared_absent(&capture);
            continue;
        }
        let policy = scanner_policy(tmp.path(), index, scanner, internal, extra);
        let (found, delay) = run(&capture, &["--policy".into(), policy]);
        let ids: Vec<&str> = found.iter().map(|a| a.rule.id.as_str()).collect();
        assert_eq!(ids, expected, "{file} {internal:?} {extra:?}: {found:#?}");
        assert!(
            found
                .iter()
                .all(|a| a.source.ip.as_deref() == Some(scanner)),
            "{file}"
        );
        // Unanswered ARP requests are known after the answer wait.
        assert!(delay < 6.0, "{file}: {delay}");
        for alert in &found {
            assert_eq!(alert.rule.category, "scan");
            match alert.rule.id.as_str() {
                "CAMSENTRY-SCAN-1" => assert_eq!(n(alert, "failures"), 4, "{file}"),
                "CAMSENTRY-SCAN-4" => assert!(n(alert, "distinct_ports") >= 5, "{file}"),
                "CAMSENTRY-SCAN-5" => assert_eq!(n(alert, "distinct_targets"), 16, "{file}"),
                _ => {}
            }
        }
    }

    // A DHCP flood: every host of the relay network a camera, none scans.
    let capture = dir.join("zeek-dhcp_flood.pcap");
    if capture.exists() {
        let path = tmp.path().join("dhcp.toml");
        std::fs::write(
            &path,
            "[site]\ninternal = [\"128.2.0.0/16\", \"10.0.0.0/8\", \"192.168.0.0/16\"]\n\n\
             [[group]]\nname = \"suspect\"\nmatch = { cidr = [\"128.2.0.0/16\"] }\n",
        )
        .unwrap();
        let (found, _) = run(
            &capture,
            &["--policy".into(), path.to_str().unwrap().into()],
        );
        assert!(found.is_empty(), "{found:#?}");
    }
}

#[test]
fn the_walk_alert_names_the_flow_that_crossed_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "scan-tcp");
    let policy = common::fixture("policy/site.toml");
    let found = common::alerts(&capture, &["--policy", policy.to_str().unwrap()]);
    let walk = found
        .iter()
        .find(|a| a.rule.id == "CAMSENTRY-SCAN-1")
        .expect("a TRW alert");
    let network = walk.network.as_ref().expect("network fields");
    assert!(
        network
            .community_id
            .as_deref()
            .is_some_and(|c| c.starts_with("1:"))
    );
    assert_eq!(network.transport.as_deref(), Some("tcp"));
    let destination = walk.destination.as_ref().expect("the crossing flow's peer");
    assert!(destination.ip.as_deref().unwrap().starts_with("10.20.0."));
}

#[path = "detect_scan/slow.rs"]
mod slow;
