//! The unknown-egress detector end to end on the synthetic site, plus the
//! inventory and learning commands that feed it.

mod common;

use std::collections::BTreeSet;

use common::{EcsAlert, alerts, fixture, synth};

fn egress(alerts: &[EcsAlert]) -> Vec<&EcsAlert> {
    alerts
        .iter()
        .filter(|a| a.rule.category == "egress")
        .collect()
}

#[test]
fn egress_scenario_flags_the_two_unknown_destinations_by_name_with_policy() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "egress");
    let policy = fixture("policy/site.toml");
    let all = alerts(&capture, &["--policy", policy.to_str().unwrap()]);
    let found = egress(&all);
    let destinations: BTreeSet<(String, Option<String>, Option<u16>)> = found
        .iter()
        .map(|a| {
            let d = a.destination.as_ref().unwrap();
            (d.ip.clone().unwrap(), d.domain.clone(), d.port)
        })
        .collect();
    assert_eq!(
        destinations,
        BTreeSet::from([
            (
                "198.51.100.66".to_string(),
                Some("update.evil.example".to_string()),
                Some(443)
            ),
            ("192.0.2.77".to_string(), None, Some(23)),
        ]),
        "{found:#?}"
    );
    for alert in &found {
        assert_eq!(alert.event.kind, "alert");
        assert_eq!(alert.event.category, ["network", "intrusion_detection"]);
        assert_eq!(alert.event.action, "unknown-egress");
        assert_eq!(alert.rule.id, "CAMSENTRY-EGRESS-1");
        assert!(alert.source.ip.as_deref().unwrap().starts_with("10.20.0."));
        assert!(alert.source.mac.is_some());
        let network = alert.network.as_ref().unwrap();
        assert_eq!(network.transport.as_deref(), Some("tcp"));
        assert!(network.community_id.as_deref().unwrap().starts_with("1:"));
        assert_eq!(network.vlan.as_ref().unwrap().id, "20");
        assert_eq!(alert.observer.product, "camsentry");
        assert_eq!(alert.camsentry.camera.group.as_deref(), Some("cameras"));
        assert!(
            alert
                .camsentry
                .camera
                .identified_by
                .contains(&"policy".to_string())
        );
        assert_eq!(alert.camsentry.evidence["flow_answered"], false);
        // The SYN: an Ethernet + 802.1Q + IPv4 + TCP header at least.
        assert!(alert.camsentry.evidence["bytes_so_far"].as_u64().unwrap() >= 58);
    }
    // The cloud the policy allows is not flagged.
    assert!(found.iter().all(|a| {
        a.destination.as_ref().unwrap().domain.as_deref() != Some("p2p.camcloud.example")
    }));
    // Event ids are unique.
    let ids: BTreeSet<&str> = all.iter().map(|a| a.event.id.as_str()).collect();
    assert_eq!(ids.len(), all.len());
}

#[test]
fn zero_configuration_without_learning_flags_every_external_destination() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "egress");
    let found = alerts(&capture, &["--learn-for", "0s"]);
    let domains: BTreeSet<Option<String>> = egress(&found)
        .iter()
        .map(|a| a.destination.as_ref().unwrap().domain.clone())
        .collect();
    assert!(
        domains.contains(&Some("update.evil.example".into())),
        "{domains:?}"
    );
    assert!(
        domains.contains(&Some("p2p.camcloud.example".into())),
        "{domains:?}"
    );
    // Identified passively: camera-maker MAC prefix.
    assert!(egress(&found).iter().all(|a| {
        a.camsentry
            .camera
            .identified_by
            .contains(&"oui".to_string())
    }));
}

#[test]
fn learning_then_alerting_keeps_known_peers_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let normal = synth(dir.path(), "camera-network");
    let attack = synth(dir.path(), "egress");
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
    let cameras = learned["cameras"].as_object().unwrap();
    assert!(!cameras.is_empty());
    let peers_named: Vec<&str> = cameras
        .values()
        .flat_map(|c| c["peers"].as_array().unwrap())
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(
        peers_named.contains(&"p2p.camcloud.example"),
        "{peers_named:?}"
    );

    let found = alerts(&attack, &["--baseline", baseline.to_str().unwrap()]);
    let domains: BTreeSet<Option<String>> = egress(&found)
        .iter()
        .map(|a| a.destination.as_ref().unwrap().domain.clone())
        .collect();
    assert!(
        domains.contains(&Some("update.evil.example".into())),
        "{domains:?}"
    );
    assert!(
        !domains.contains(&Some("p2p.camcloud.example".into())),
        "{domains:?}"
    );
}

#[test]
fn benign_scenarios_raise_no_egress_alert() {
    let dir = tempfile::tempdir().unwrap();
    let policy = fixture("policy/site.toml");
    for name in [
        "camera-network",
        "benign-onvif-poll",
        "benign-firmware",
        "benign-video",
        "benign-workstation",
        "benign-new-camera",
    ] {
        let capture = synth(dir.path(), name);
        let found = alerts(&capture, &["--policy", policy.to_str().unwrap()]);
        assert!(egress(&found).is_empty(), "{name}: {:#?}", egress(&found));
    }
}

#[test]
fn alerts_are_identical_for_1_2_and_4_workers() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "egress");
    let run = |workers: &str| {
        let output = common::run(&[
            "replay",
            "-q",
            "--learn-for",
            "0s",
            "--workers",
            workers,
            capture.to_str().unwrap(),
        ]);
        assert!(output.status.success());
        output.stdout
    };
    let one = run("1");
    assert!(!one.is_empty());
    assert_eq!(one, run("2"));
    assert_eq!(one, run("4"));
}

#[test]
fn eve_format_is_suricata_shaped() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "egress");
    let output = common::run(&[
        "replay",
        "-q",
        "--format",
        "eve",
        "--learn-for",
        "0s",
        capture.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let lines = common::stdout_lines(&output);
    assert!(!lines.is_empty());
    for line in lines {
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["event_type"], "alert");
        let ts = value["timestamp"].as_str().unwrap();
        assert!(ts.ends_with("+0000") && ts.len() == 31, "{ts}");
        assert!(value["alert"]["signature_id"].as_u64().unwrap() > 0);
        assert!(value["src_ip"].is_string() && value["community_id"].is_string());
    }
}

#[test]
fn inventory_lists_the_cameras_with_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path(), "camera-network");
    let output = common::run(&["inventory", "-q", "--json", capture.to_str().unwrap()]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let cameras = value["cameras"].as_array().unwrap();
    let ips: Vec<&str> = cameras.iter().map(|c| c["ip"].as_str().unwrap()).collect();
    assert!(ips.contains(&"10.20.0.11"), "{ips:?}");
    assert!(
        !ips.contains(&"10.20.0.2"),
        "the recorder is not a camera: {ips:?}"
    );
    assert!(
        !ips.contains(&"10.30.0.50"),
        "the workstation is not a camera: {ips:?}"
    );
    let first = cameras.iter().find(|c| c["ip"] == "10.20.0.11").unwrap();
    assert_eq!(first["vendor"], "Hikvision");
    let evidence: Vec<&str> = first["identified_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        evidence.contains(&"oui") && evidence.contains(&"rtsp"),
        "{evidence:?}"
    );
    assert!(first["bytes_sent"].as_u64().unwrap() > first["bytes_received"].as_u64().unwrap());

    let table = common::run(&["inventory", "-q", capture.to_str().unwrap()]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.starts_with("ADDRESS"));
    assert!(text.contains("10.20.0.11") && text.contains("Hikvision"));
}

/// A real camera's first boot (IoT Sentinel, D-Link DCS camera, MAC
/// b0:c5:54:25:5b:0e): selected by a policy group with no allow rule, it
/// reaches its vendor cloud and the vendor's NTP server by name, and each
/// destination is an egress alert named by the DNS answer the camera got;
/// allowing the vendor's domains silences them. D-Link is not a
/// camera-only maker, so without the policy the camera is not identified
/// (it serves no RTSP in this capture) and nothing alerts.
#[test]
fn public_dlink_camera_setup_reaches_its_cloud_by_name() {
    let Some(dir) = common::shared("pcaps/camera") else {
        return;
    };
    let capture = dir.join("iotsentinel-dlinkcam-setup-A-1.pcap");
    let tmp = tempfile::tempdir().unwrap();
    let select = "[[group]]\nname = \"dlink\"\nmatch = { mac = [\"b0:c5:54:25:5b:0e\"] }\n";
    let strict = tmp.path().join("strict.toml");
    std::fs::write(&strict, select).unwrap();
    let found = alerts(&capture, &["--policy", strict.to_str().unwrap()]);
    let destinations: BTreeSet<(Option<String>, Option<u16>)> = egress(&found)
        .iter()
        .map(|a| {
            let d = a.destination.as_ref().unwrap();
            (d.domain.clone(), d.port)
        })
        .collect();
    assert_eq!(
        destinations,
        BTreeSet::from([
            (Some("signal.mydlink.com".to_string()), Some(443)),
            (Some("ntp1.dlink.com".to_string()), Some(123)),
        ]),
        "{found:#?}"
    );
    assert!(
        egress(&found)
            .iter()
            .all(|a| a.source.ip.as_deref() == Some("10.10.10.37"))
    );

    let allowed = tmp.path().join("allowed.toml");
    std::fs::write(
        &allowed,
        format!(
            "{select}  [[group.allow]]\n  to = \"*.mydlink.com\"\n  ports = [443]\n  role = \"cloud\"\n  [[group.allow]]\n  to = \"*.dlink.com\"\n  ports = [123]\n  role = \"ntp\"\n"
        ),
    )
    .unwrap();
    assert!(egress(&alerts(&capture, &["--policy", allowed.to_str().unwrap()])).is_empty());
    assert!(alerts(&capture, &["--learn-for", "0s"]).is_empty());
}
