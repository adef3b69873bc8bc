//! Suppression entries and group tuning end to end: the `egress` scenario
//! raises two egress alerts with the site policy (10.20.0.12 to
//! update.evil.example:443, 10.20.0.16 to 192.0.2.77:23); policies that
//! silence or retune them are replayed and the alerts and the summary
//! (`--stats-json`) compared.

mod common;

use std::path::Path;

use common::{EcsAlert, alerts, synth};

/// The site policy of `fixtures/policy/site.toml`, with `group` lines
/// added to its group and `rest` appended.
fn site_policy(group: &str, rest: &str) -> String {
    format!(
        r#"
[site]
recorders = ["10.20.0.2"]
dns = ["10.20.0.1"]
ntp = ["10.20.0.1"]

[[group]]
name = "cameras"
match = {{ cidr = ["10.20.0.0/24"] }}
{group}
  [[group.allow]]
  to = "*.camcloud.example"
  ports = [443]
  transport = "tcp"
  role = "cloud"
  budget = "5MB/1h"
{rest}
"#
    )
}

/// Replays `capture` with `policy`; the alerts and the summary's JSON.
fn replay(dir: &Path, capture: &Path, policy: &str) -> (Vec<EcsAlert>, serde_json::Value) {
    let policy_path = dir.join("policy.toml");
    std::fs::write(&policy_path, policy).unwrap();
    let stats = dir.join("stats.json");
    let found = alerts(
        capture,
        &[
            "--policy",
            policy_path.to_str().unwrap(),
            "--stats-json",
            stats.to_str().unwrap(),
        ],
    );
    let summary = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    (found, summary)
}

/// `(camera, destination address)` of each egress alert.
fn egress(found: &[EcsAlert]) -> Vec<(String, String)> {
    found
        .iter()
        .filter(|a| a.rule.id == "CAMSENTRY-EGRESS-1")
        .map(|a| {
            (
                a.source.ip.clone().unwrap_or_default(),
                a.destination
                    .as_ref()
                    .and_then(|d| d.ip.clone())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn both() -> Vec<(String, String)> {
    vec![
        ("10.20.0.12".to_string(), "198.51.100.66".to_string()),
        ("10.20.0.16".to_string(), "192.0.2.77".to_string()),
    ]
}

#[test]
fn a_suppression_entry_silences_its_alert_and_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "egress");

    let (found, summary) = replay(dir.path(), &capture, &site_policy("", ""));
    assert_eq!(egress(&found), both());
    assert_eq!(summary["detection"]["suppression"]["matches"], 0);

    let entry = r#"
[[suppress]]
rule = "CAMSENTRY-EGRESS-*"
camera = "10.20.0.12"
destination = "*.evil.example"
reason = "red team exercise"
expires = "2026-01-05"
"#;
    let (found, summary) = replay(dir.path(), &capture, &site_policy("", entry));
    assert_eq!(egress(&found), both()[1..]);
    let suppression = &summary["detection"]["suppression"];
    assert!(
        suppression["matches"].as_u64().unwrap() >= 1,
        "{suppression}"
    );
    let counted = &suppression["entries"][0];
    assert_eq!(counted["entry"], 1);
    assert_eq!(counted["rule"], "CAMSENTRY-EGRESS-*");
    assert_eq!(counted["camera"], "10.20.0.12");
    assert_eq!(counted["destination"], "*.evil.example");
    assert_eq!(counted["reason"], "red team exercise");
    assert_eq!(counted["expires"], "2026-01-05");
    assert!(counted["matches"].as_u64().unwrap() >= 1, "{counted}");
    assert_eq!(summary["detection"]["detectors"]["egress"]["alerts"], 1);

    // The capture is of 2026-01-05: an entry that expired the day before
    // no longer suppresses, whatever the wall clock says.
    let expired = entry.replace("2026-01-05", "2026-01-04");
    let (found, summary) = replay(dir.path(), &capture, &site_policy("", &expired));
    assert_eq!(egress(&found), both());
    assert_eq!(
        summary["detection"]["suppression"]["entries"][0]["matches"],
        0
    );
}

#[test]
fn cameras_by_mac_and_destinations_by_network() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "egress");
    let entries = r#"
[[suppress]]
camera = "44-19-B6-3C-4D-12"

[[suppress]]
destination = "192.0.2.0/24"
"#;
    let (found, summary) = replay(dir.path(), &capture, &site_policy("", entries));
    assert!(egress(&found).is_empty(), "{found:#?}");
    let entries = &summary["detection"]["suppression"]["entries"];
    assert_eq!(entries[0]["camera"], "44:19:b6:3c:4d:12");
    assert!(entries[0]["matches"].as_u64().unwrap() >= 1);
    assert!(entries[1]["matches"].as_u64().unwrap() >= 1);
}

#[test]
fn a_group_disables_a_rule_and_retunes_another() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "egress");

    let (found, summary) = replay(
        dir.path(),
        &capture,
        &site_policy("disable = [\"CAMSENTRY-EGRESS-1\"]", ""),
    );
    assert!(egress(&found).is_empty(), "{found:#?}");
    let disabled = &summary["detection"]["suppression"]["disabled"][0];
    assert_eq!(disabled["group"], "cameras");
    assert_eq!(disabled["rule"], "CAMSENTRY-EGRESS-1");
    assert!(disabled["matches"].as_u64().unwrap() >= 2, "{disabled}");

    // A group without the camera in it does not disable anything for it.
    let other = r#"
[[group]]
name = "parking"
match = { cidr = ["10.21.0.0/24"] }
disable = ["CAMSENTRY-*"]
"#;
    let (found, _) = replay(dir.path(), &capture, &site_policy("", other));
    assert_eq!(egress(&found), both());

    // Severity: egress is 2 by default.
    assert!(found.iter().all(|a| a.event.severity == 2));
    let (found, _) = replay(
        dir.path(),
        &capture,
        &site_policy("severity = { \"CAMSENTRY-EGRESS-1\" = 1 }", ""),
    );
    assert_eq!(egress(&found), both());
    assert!(
        found
            .iter()
            .filter(|a| a.rule.id == "CAMSENTRY-EGRESS-1")
            .all(|a| a.event.severity == 1),
        "{found:#?}"
    );
}

#[test]
fn the_summary_text_lists_the_entries() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "egress");
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        site_policy(
            "disable = [\"CAMSENTRY-SCAN-5\"]",
            "[[suppress]]\ndestination = \"update.evil.example\"\nreason = \"known updater\"\n",
        ),
    )
    .unwrap();
    let output = common::run(&[
        "replay",
        "-q",
        "--policy",
        policy.to_str().unwrap(),
        capture.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let text = common::stderr(&output);
    assert!(
        text.contains("  suppression: 1 match(es) dropped by policy (no alert, no incident)\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "    [[suppress]] entry 1 (destination update.evil.example; reason \"known updater\"): 1\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("    group \"cameras\" disable CAMSENTRY-SCAN-5: 0\n"),
        "{text}"
    );
}

#[test]
fn check_policy_shows_the_entries_and_incident_settings() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    let rest = r#"
[detect.incident]
update_interval = "5m"
max_alerts_per_hour = 0

[[suppress]]
rule = "CAMSENTRY-SCAN-6"
camera = "CAMERAS"
reason = "backup sweeps at night"
expires = 2026-06-30
"#;
    std::fs::write(
        &policy,
        site_policy("severity = { \"CAMSENTRY-SCAN-*\" = 3 }", rest),
    )
    .unwrap();
    let output = common::run(&["check-policy", policy.to_str().unwrap()]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains(
            "[detect.incident]\nupdate_interval = \"5m\"\nclose_after = \"1h\"\nmax_alerts_per_hour = 0  # no cap\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("severity = { \"CAMSENTRY-SCAN-*\" = 3 }\n"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "# suppression entry 1\n[[suppress]]\nrule = \"CAMSENTRY-SCAN-6\"\ncamera = \"cameras\"\nreason = \"backup sweeps at night\"\nexpires = \"2026-06-30\"\n"
        ),
        "{text}"
    );
}
