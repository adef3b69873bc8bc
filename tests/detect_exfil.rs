//! The bulk-upload / exfiltration detector end to end: synthetic uploads
//! (bulk, to an allowed cloud, low and slow), benign traffic that must stay
//! quiet, learning then alerting, worker-count independence, and public
//! captures of real uploads.

mod common;

use std::path::Path;

use common::{EcsAlert, alerts, fixture, synth};

const EXFIL_BYTES: u64 = 12_000_000;

fn exfil(alerts: &[EcsAlert]) -> Vec<&EcsAlert> {
    alerts
        .iter()
        .filter(|a| a.rule.category == "exfil")
        .collect()
}

fn policy_args() -> Vec<String> {
    vec![
        "--policy".to_string(),
        fixture("policy/site.toml").to_str().unwrap().to_string(),
    ]
}

fn run(capture: &Path, args: &[String]) -> Vec<EcsAlert> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    alerts(capture, &args)
}

fn number(alert: &EcsAlert, key: &str) -> f64 {
    alert.camsentry.evidence[key]
        .as_f64()
        .unwrap_or_else(|| panic!("evidence.{key}: {:?}", alert.camsentry.evidence))
}

fn text<'a>(alert: &'a EcsAlert, key: &str) -> &'a str {
    alert.camsentry.evidence[key]
        .as_str()
        .unwrap_or_else(|| panic!("evidence.{key}: {:?}", alert.camsentry.evidence))
}

/// Checks what every exfil alert carries.
fn check_common(alert: &EcsAlert) {
    assert_eq!(alert.rule.category, "exfil");
    assert_eq!(alert.event.kind, "alert");
    assert!(
        ["bulk-upload", "slow-upload"].contains(&alert.event.action.as_str()),
        "{alert:#?}"
    );
    assert!(alert.source.ip.as_deref().unwrap().starts_with("10.20.0."));
    for key in ["bytes", "window_seconds", "threshold_bytes", "ratio"] {
        assert!(number(alert, key) > 0.0, "{key}: {alert:#?}");
    }
    assert!(number(alert, "bytes") > number(alert, "threshold_bytes"));
    let top = alert.camsentry.evidence["top_destinations"]
        .as_array()
        .unwrap();
    assert!(!top.is_empty() && top.len() <= 3, "{top:?}");
    // The busiest destination comes first and is the alert's destination.
    let destination = alert.destination.as_ref().unwrap();
    assert_eq!(top[0]["ip"].as_str(), destination.ip.as_deref());
}

/// A budget alert: bytes over the budget, ratio = bytes / budget.
fn check_budget(alert: &EcsAlert, budget: f64) {
    check_common(alert);
    assert_eq!(alert.rule.id, "CAMSENTRY-EXFIL-1");
    assert_eq!(alert.event.action, "bulk-upload");
    assert_eq!(number(alert, "budget_bytes"), budget);
    let bytes = number(alert, "bytes");
    assert!(bytes >= budget, "{bytes}");
    let ratio = number(alert, "ratio");
    assert!(
        ratio >= 1.0 && (ratio - bytes / budget).abs() < 0.001,
        "{ratio}"
    );
    assert_eq!(number(alert, "window_seconds"), 3600.0);
}

#[test]
fn bulk_upload_to_an_unknown_host_breaks_the_default_budget() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "exfil");
    for args in [policy_args(), vec!["--learn-for".into(), "0s".into()]] {
        let all = run(&capture, &args);
        let found = exfil(&all);
        assert_eq!(found.len(), 1, "{args:?}: {found:#?}");
        let alert = found[0];
        check_budget(alert, 10_000_000.0);
        assert_eq!(alert.source.ip.as_deref(), Some("10.20.0.13"));
        let destination = alert.destination.as_ref().unwrap();
        assert_eq!(destination.ip.as_deref(), Some("198.51.100.66"));
        assert_eq!(destination.port, Some(443));
        assert_eq!(destination.domain.as_deref(), Some("update.evil.example"));
        assert_eq!(text(alert, "destination_class"), "other");
        assert_eq!(text(alert, "allowed_by"), "none");
        assert_eq!(text(alert, "budget"), "10MB/1h");
        assert!(number(alert, "bytes") < EXFIL_BYTES as f64 * 1.1);
        let network = alert.network.as_ref().unwrap();
        assert!(network.community_id.as_deref().unwrap().starts_with("1:"));
        assert_eq!(network.vlan.as_ref().unwrap().id, "20");
        // The egress detector reports the contact; this is about volume.
        assert!(all.iter().any(|a| a.rule.category == "egress"));
    }
}

#[test]
fn upload_to_the_allowed_cloud_breaks_its_rule_budget() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "exfil-cloud");
    let all = run(&capture, &policy_args());
    let found = exfil(&all);
    assert_eq!(found.len(), 1, "{found:#?}");
    let alert = found[0];
    check_budget(alert, 5_000_000.0);
    assert_eq!(alert.source.ip.as_deref(), Some("10.20.0.11"));
    let destination = alert.destination.as_ref().unwrap();
    assert_eq!(destination.ip.as_deref(), Some("203.0.113.11"));
    assert_eq!(destination.domain.as_deref(), Some("api.camcloud.example"));
    assert_eq!(text(alert, "destination_class"), "cloud");
    assert_eq!(text(alert, "allowed_by"), "policy");
    assert_eq!(text(alert, "rule"), "*.camcloud.example");
    assert_eq!(text(alert, "budget"), "5MB/1h");
    assert_eq!(alert.camsentry.camera.group.as_deref(), Some("cameras"));
    // The destination is allowed: no egress alert for it.
    assert!(!all.iter().any(|a| a.rule.category == "egress"));

    // Without a policy nothing allows the cloud: the default budget.
    let zero = run(&capture, &["--learn-for".into(), "0s".into()]);
    let found = exfil(&zero);
    assert_eq!(found.len(), 1, "{found:#?}");
    check_budget(found[0], 10_000_000.0);
    assert_eq!(text(found[0], "destination_class"), "other");
}

#[test]
fn slow_trickle_is_caught_over_the_slow_window() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "exfil-slow");
    for args in [policy_args(), vec!["--learn-for".into(), "0s".into()]] {
        let found_all = run(&capture, &args);
        let found = exfil(&found_all);
        // No per-window bulk alert (300 kB per 10 min), one slow alert.
        assert_eq!(found.len(), 1, "{args:?}: {found:#?}");
        let alert = found[0];
        check_common(alert);
        assert_eq!(alert.rule.id, "CAMSENTRY-EXFIL-3");
        assert_eq!(alert.event.action, "slow-upload");
        assert_eq!(alert.source.ip.as_deref(), Some("10.20.0.17"));
        let destination = alert.destination.as_ref().unwrap();
        assert_eq!(destination.domain.as_deref(), Some("update.evil.example"));
        assert_eq!(text(alert, "destination_class"), "other");
        assert_eq!(number(alert, "window_seconds"), 6.0 * 3600.0);
        // 10 MB/1h scaled to 6 h at a twelfth of its rate.
        assert_eq!(number(alert, "budget_bytes"), 5_000_000.0);
        let bytes = number(alert, "bytes");
        assert!((5_000_000.0..5_700_000.0).contains(&bytes), "{bytes}");
        assert!(number(alert, "ratio") >= 1.0);
        // Spread out: at most half of it in the latest hour.
        assert!(number(alert, "recent_bytes") * 2.0 <= bytes);
    }
}

#[test]
fn benign_traffic_raises_no_exfil_alert() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "camera-network",
        "benign-video",
        "benign-firmware",
        "benign-onvif-poll",
        "benign-new-camera",
        "benign-workstation",
        "egress",
        "scan-tcp",
    ] {
        let capture = synth(dir.path(), name);
        for args in [policy_args(), vec!["--learn-for".into(), "0s".into()]] {
            let found = run(&capture, &args);
            assert!(exfil(&found).is_empty(), "{name} {args:?}: {found:#?}");
        }
    }
}

#[test]
fn learned_upload_volume_then_a_cloud_upload_above_it() {
    let dir = tempfile::tempdir().unwrap();
    let normal = synth(dir.path(), "camera-network");
    let attack = synth(dir.path(), "exfil-cloud");
    let baseline = dir.path().join("baseline.json");
    let output = common::run(&[
        "learn",
        "-q",
        normal.to_str().unwrap(),
        "--out",
        baseline.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let learned: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    let volumes = &learned["cameras"]["10.20.0.11"]["upload_per_hour"];
    let cloud = volumes["cloud"].as_u64().unwrap();
    // Heartbeats and two API calls in five minutes: a few kB.
    assert!((1_000..100_000).contains(&cloud), "{volumes}");
    assert!(volumes["other"].as_u64().is_some(), "{volumes}");
    // A camera that never used the cloud learned zero.
    assert_eq!(
        learned["cameras"]["10.20.0.13"]["upload_per_hour"]["cloud"].as_u64(),
        Some(0)
    );

    let baseline_arg = baseline.to_str().unwrap().to_string();
    let quiet = run(&normal, &["--baseline".into(), baseline_arg.clone()]);
    assert!(exfil(&quiet).is_empty(), "{quiet:#?}");

    let all = run(&attack, &["--baseline".into(), baseline_arg.clone()]);
    let found = exfil(&all);
    assert_eq!(found.len(), 1, "{found:#?}");
    let alert = found[0];
    check_common(alert);
    assert_eq!(alert.rule.id, "CAMSENTRY-EXFIL-2");
    assert_eq!(alert.event.action, "bulk-upload");
    assert_eq!(alert.source.ip.as_deref(), Some("10.20.0.11"));
    let destination = alert.destination.as_ref().unwrap();
    assert_eq!(destination.domain.as_deref(), Some("api.camcloud.example"));
    assert_eq!(text(alert, "destination_class"), "cloud");
    assert_eq!(text(alert, "allowed_by"), "baseline");
    assert_eq!(number(alert, "learned_bytes_per_hour"), cloud as f64);
    let factor = number(alert, "baseline_factor");
    assert_eq!(factor, 4.0);
    assert!(number(alert, "ratio") >= factor);
    assert!(number(alert, "bytes") >= number(alert, "baseline_bytes") * factor);
    assert!(number(alert, "bytes") < EXFIL_BYTES as f64);

    // With the policy as well: the baseline speaks first, the rule's
    // budget later.
    let mut args = policy_args();
    args.extend(["--baseline".into(), baseline_arg]);
    let all = run(&attack, &args);
    let rules: Vec<&str> = exfil(&all).iter().map(|a| a.rule.id.as_str()).collect();
    assert_eq!(rules, ["CAMSENTRY-EXFIL-2", "CAMSENTRY-EXFIL-1"]);
}

#[test]
fn alerts_do_not_depend_on_the_number_of_workers() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["exfil", "exfil-cloud", "exfil-slow"] {
        let capture = synth(dir.path(), name);
        let runs: Vec<Vec<EcsAlert>> = ["1", "2", "4"]
            .iter()
            .map(|workers| {
                let mut args = policy_args();
                args.extend(["--workers".into(), workers.to_string()]);
                run(&capture, &args)
            })
            .collect();
        assert!(!exfil(&runs[0]).is_empty(), "{name}");
        assert_eq!(runs[0], runs[1], "{name}: 1 vs 2 workers");
        assert_eq!(runs[0], runs[2], "{name}: 1 vs 4 workers");
    }
}

/// Real uploads from public captures. None of the hosts is a camera, so a
/// policy group makes the uploader one and a tiny default budget stands in
/// for megabytes.
#[test]
fn public_captures_of_uploads() {
    let Some(pcaps) = common::shared("pcaps") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("uploaders.toml");
    std::fs::write(
        &policy,
        "[[group]]\nname = \"uploaders\"\nmatch = { address = [\"192.168.8.97\", \"172.23.0.3\"] }\n\n\
         [detect.exfil]\ndefault_budget = \"2kB/1h\"\n",
    )
    .unwrap();
    let args = vec!["--policy".to_string(), policy.to_str().unwrap().to_string()];

    // An HTTP multipart upload: one flow, 5,222 bytes up, counted at its end.
    let all = run(&pcaps.join("misc/arkime-http-post-upload.pcap"), &args);
    let found = exfil(&all);
    assert_eq!(found.len(), 1, "{found:#?}");
    let alert = found[0];
    assert_eq!(alert.rule.id, "CAMSENTRY-EXFIL-1");
    assert_eq!(alert.source.ip.as_deref(), Some("192.168.8.97"));
    let destination = alert.destination.as_ref().unwrap();
    assert_eq!(destination.ip.as_deref(), Some("192.168.57.14"));
    assert_eq!(destination.port, Some(8080));
    assert_eq!(number(alert, "bytes"), 5222.0);
    assert_eq!(number(alert, "budget_bytes"), 2000.0);
    assert_eq!(text(alert, "destination_class"), "other");

    // A passive-mode FTP upload: no flow reaches 2 kB on its own (control
    // and data connections), their sum to the server does.
    let all = run(&pcaps.join("misc/sv-ftp-upload-passive.pcap"), &args);
    let found = exfil(&all);
    assert_eq!(found.len(), 1, "{found:#?}");
    let alert = found[0];
    assert_eq!(alert.source.ip.as_deref(), Some("172.23.0.3"));
    assert_eq!(
        alert.destination.as_ref().unwrap().ip.as_deref(),
        Some("172.23.0.2")
    );
    assert!(number(alert, "bytes") > 2000.0);

    // An RTSP server streaming to its client: the client opens RTSP
    // sessions to a camera, so it is a recorder and nothing is counted,
    // even against a 1 kB budget.
    let tiny = dir.path().join("tiny.toml");
    std::fs::write(&tiny, "[detect.exfil]\ndefault_budget = \"1kB/1h\"\n").unwrap();
    let all = run(
        &pcaps.join("camera/ndpi-rtsp.pcapng"),
        &[
            "--policy".to_string(),
            tiny.to_str().unwrap().to_string(),
            "--learn-for".to_string(),
            "0s".to_string(),
        ],
    );
    assert!(exfil(&all).is_empty(), "{all:#?}");
}
