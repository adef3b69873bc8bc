//! Alerts an engineer can trust: the incidents of worms, floods and slow
//! sweeps, each reported once (with bounded updates and a summary), in
//! zero-configuration and policy modes, and an inventory without ghosts.

mod common;

use common::{EcsAlert, openings};

fn modes(policy: &str) -> Vec<Vec<String>> {
    vec![vec!["--policy".into(), policy.into()], vec![]]
}

fn run(capture: &std::path::Path, args: &[String]) -> Vec<EcsAlert> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    common::alerts(capture, &args)
}

fn site_policy() -> String {
    common::fixture("policy/site.toml")
        .to_str()
        .unwrap()
        .to_string()
}

/// Seconds since the capture's first packet (2026-01-05T08:00:00Z).
fn offset(timestamp: &str) -> f64 {
    let time = &timestamp["2026-01-05T".len()..timestamp.len() - 1];
    let parts: Vec<f64> = time.split(':').map(|p| p.parse().unwrap()).collect();
    (parts[0] - 8.0) * 3600.0 + parts[1] * 60.0 + parts[2]
}

#[test]
fn a_100k_probe_flood_is_a_handful_of_lines_with_a_scan_alert() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "flood-100k");
    for args in modes(&site_policy()) {
        let found = run(&capture, &args);
        assert!(found.len() <= 20, "{args:?}: {} lines", found.len());
        assert!(
            found
                .iter()
                .any(|a| a.rule.id == "CAMSENTRY-SCAN-7" && a.incident_state() == "open"),
            "{args:?}: {found:#?}"
        );
        // Every line is about the worm camera, and each incident opens once.
        assert!(
            found
                .iter()
                .all(|a| a.source.ip.as_deref() == Some("10.20.0.14"))
        );
        let opened = openings(&found);
        let mut rules: Vec<&str> = opened.iter().map(|a| a.rule.id.as_str()).collect();
        let all = rules.len();
        rules.sort();
        rules.dedup();
        assert_eq!(rules.len(), all, "{args:?}: {found:#?}");
    }
}

#[test]
fn a_mirai_style_worm_is_one_internet_scan_incident() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "worm-internet");
    for args in modes(&site_policy()) {
        let found = run(&capture, &args);
        let worm: Vec<&EcsAlert> = found
            .iter()
            .filter(|a| a.source.ip.as_deref() == Some("10.20.0.16"))
            .collect();
        let scans: Vec<&&EcsAlert> = worm
            .iter()
            .filter(|a| a.rule.id == "CAMSENTRY-SCAN-7" && a.incident_state() == "open")
            .collect();
        assert_eq!(scans.len(), 1, "{args:?}: {found:#?}");
        // 2,400 probes: no per-destination egress alerts.
        assert!(worm.len() <= 6, "{args:?}: {found:#?}");
        let probes = scans[0].camsentry.evidence["distinct_destinations"]
            .as_u64()
            .unwrap();
        assert!(probes <= 20, "{probes}");
    }
}

#[test]
fn a_slow_arp_heavy_sweep_is_flagged_within_ten_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "scan-slow-arp");
    // The first probe's time, from the capture itself: the camera's first
    // ARP request for an address it never contacted.
    for args in modes(&site_policy()) {
        let found = run(&capture, &args);
        let sweep: Vec<&EcsAlert> = found
            .iter()
            .filter(|a| a.source.ip.as_deref() == Some("10.20.0.12") && a.rule.category == "scan")
            .collect();
        assert!(!sweep.is_empty(), "{args:?}: {found:#?}");
        let first = sweep
            .iter()
            .map(|a| offset(&a.timestamp))
            .fold(f64::MAX, f64::min);
        let start = camsentry_synth::incidents::SLOW_ARP_START as f64 / 1e6;
        assert!(
            first >= start && first - start <= 600.0,
            "{args:?}: flagged {first} s into the capture, sweep from {start} s"
        );
        // Nothing about any other host.
        assert!(
            found
                .iter()
                .all(|a| a.source.ip.as_deref() == Some("10.20.0.12")),
            "{args:?}: {found:#?}"
        );
    }
}

#[test]
fn probed_addresses_and_the_gateway_are_not_cameras() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "ghost-addresses");
    let policy = site_policy();
    let output = common::run(&[
        "inventory",
        "-q",
        "--json",
        "--policy",
        &policy,
        capture.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let inventory: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let cameras: Vec<&str> = inventory["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ip"].as_str().unwrap())
        .collect();
    // The site's eight cameras, not the 250 addresses the laptop probed.
    assert!(cameras.len() <= 10, "{cameras:?}");
    assert!(!cameras.contains(&"10.20.0.1"), "{cameras:?}");
    let roles: Vec<(&str, &str)> = inventory["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["ip"].as_str().unwrap(), h["role"].as_str().unwrap()))
        .collect();
    // The gateway also serves DNS and NTP: any of those roles, never camera.
    assert!(
        roles
            .iter()
            .any(|(ip, role)| *ip == "10.20.0.1" && ["gateway", "dns", "ntp"].contains(role)),
        "{roles:?}"
    );
    assert!(roles.contains(&("10.20.0.2", "recorder")), "{roles:?}");
}
