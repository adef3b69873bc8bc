//! The tamper detector end to end on the synthetic tamper scenarios: a
//! camera unplugged for ten minutes (one alert), a one-minute reboot
//! (events only), a recorder outage (one recorder alert, none per camera),
//! an ARP takeover, RTP injected into a running stream, and a firmware
//! update (an event). Each runs under the site policy and without one
//! (learning off: the cameras must first be seen recording).

mod common;

use std::path::Path;

use camsentry_synth::scenario::BASE_TS;
use camsentry_synth::site::{CAMERAS, NVR};
use camsentry_synth::tamper::*;
use common::EcsAlert;

const SITE: &str = "policy/site.toml";

/// Both modes: the site policy (learning off by default) and zero
/// configuration with learning off.
fn modes() -> Vec<Vec<String>> {
    let policy = common::fixture(SITE).to_str().unwrap().to_string();
    vec![
        vec!["--policy".to_string(), policy],
        vec!["--learn-for".to_string(), "0s".to_string()],
    ]
}

fn run(capture: &Path, args: &[String]) -> (Vec<EcsAlert>, Vec<serde_json::Value>) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    (
        common::alerts(capture, &args),
        common::events(capture, &args),
    )
}

fn ip(host: [u8; 4]) -> String {
    std::net::Ipv4Addr::from(host).to_string()
}

/// Seconds from the capture start of an RFC 3339 time of 2026-01-05.
fn offset_secs(rfc3339: &str) -> u64 {
    let time = &rfc3339[11..19];
    let mut parts = time.split(':').map(|p| p.parse::<u64>().unwrap());
    let (h, m, s) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    h * 3600 + m * 60 + s - (BASE_TS / 1_000_000) % 86_400
}

fn actions(events: &[serde_json::Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["event"]["action"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn a_camera_unplugged_for_ten_minutes_raises_one_alert_and_two_events() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "camera-unplugged");
    let camera = ip(CAMERAS[UNPLUG_CAMERA].host.ip);
    for args in modes() {
        let (alerts, events) = run(&capture, &args);
        let openings = common::openings(&alerts);
        assert_eq!(openings.len(), 1, "{args:?}: {alerts:#?}");
        let alert = &openings[0];
        assert_eq!(alert.rule.id, "CAMSENTRY-TAMPER-1");
        assert_eq!(alert.rule.category, "tamper");
        assert_eq!(alert.event.kind, "alert");
        assert_eq!(alert.source.ip.as_deref(), Some(camera.as_str()));
        assert_eq!(alert.camsentry.evidence["recorder"], ip(NVR.ip));
        // Alerted `dark_after` (5 min) after the last video, well before
        // the camera comes back.
        let at = offset_secs(&alert.timestamp);
        let down = UNPLUG_DOWN / 1_000_000;
        assert!(at >= down + 290 && at <= down + 350, "{args:?}: at {at}");
        let silent = alert.camsentry.evidence["silent_seconds"].as_u64().unwrap();
        assert!((300..=350).contains(&silent), "{silent}");
        // Interrupted, then resumed after the reboot: events, not alerts.
        assert_eq!(
            actions(&events),
            ["stream-interrupted", "stream-resumed"],
            "{args:?}"
        );
        assert!(events.iter().all(|e| e.get("rule").is_none()));
        let resumed = &events[1];
        assert_eq!(resumed["camsentry"]["evidence"]["outage"], "camera-dark");
        assert!(offset_secs(resumed["@timestamp"].as_str().unwrap()) > UNPLUG_UP / 1_000_000);
    }
}

#[test]
fn the_summary_counts_events_apart_from_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "camera-unplugged");
    let stats = dir.path().join("stats.json");
    let output = common::run(&[
        "replay",
        "-q",
        "--learn-for",
        "0s",
        "--alerts",
        "-",
        "--stats-json",
        stats.to_str().unwrap(),
        capture.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    let detection = &summary["detection"];
    assert_eq!(detection["detectors"]["tamper"]["alerts"], 1, "{detection}");
    assert_eq!(detection["events"], 2, "{detection}");
    // The delay from the evidence crossing `dark_after` to the alert is
    // the wait for the next observation: well under a second here.
    let delay = detection["detectors"]["tamper"]["delay_seconds"]["max"]
        .as_f64()
        .unwrap();
    assert!(delay < 1.0, "{delay}");
}

#[test]
fn a_one_minute_reboot_gives_events_only() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "camera-reboot-60s");
    for args in modes() {
        let (alerts, events) = run(&capture, &args);
        assert!(alerts.is_empty(), "{args:?}: {alerts:#?}");
        assert_eq!(
            actions(&events),
            ["stream-interrupted", "stream-resumed"],
            "{args:?}"
        );
        assert_eq!(events[1]["camsentry"]["evidence"]["outage"], "interrupted");
        assert_eq!(events[0]["event"]["kind"], "event");
    }
}

#[test]
fn a_recorder_outage_is_one_recorder_alert() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "recorder-outage");
    for args in modes() {
        let (alerts, _) = run(&capture, &args);
        let openings = common::openings(&alerts);
        let rules: Vec<&str> = openings.iter().map(|a| a.rule.id.as_str()).collect();
        assert_eq!(rules, ["CAMSENTRY-TAMPER-2"], "{args:?}: {alerts:#?}");
        let alert = &openings[0];
        assert_eq!(alert.source.ip.as_deref(), Some(ip(NVR.ip).as_str()));
        assert_eq!(
            alert.camsentry.evidence["cameras_dark"],
            TAMPER_RECORDED.len()
        );
        let at = offset_secs(&alert.timestamp);
        let down = OUTAGE_DOWN / 1_000_000;
        assert!(at >= down + 290 && at <= down + 350, "{args:?}: at {at}");
    }
}

#[test]
fn an_arp_takeover_names_both_macs() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "arp-takeover");
    let camera = CAMERAS[VICTIM_CAMERA].host;
    for args in modes() {
        let (alerts, _) = run(&capture, &args);
        let openings = common::openings(&alerts);
        assert_eq!(openings.len(), 1, "{args:?}: {alerts:#?}");
        let alert = &openings[0];
        assert_eq!(alert.rule.id, "CAMSENTRY-TAMPER-3");
        assert_eq!(alert.source.ip.as_deref(), Some(ip(camera.ip).as_str()));
        assert_eq!(alert.source.mac.as_deref(), Some("B8-27-EB-4D-21-07"));
        let evidence = &alert.camsentry.evidence;
        assert_eq!(evidence["claiming_mac"], "B8-27-EB-4D-21-07");
        let bound = camera
            .mac
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join("-");
        assert_eq!(evidence["bound_mac"], bound);
        assert_eq!(evidence["gratuitous"], true);
        assert_eq!(offset_secs(&alert.timestamp), TAKEOVER_AT / 1_000_000);
        assert!(alerts.iter().all(|a| a.rule.id == "CAMSENTRY-TAMPER-3"));
    }
}

#[test]
fn rtp_injected_into_a_running_stream_names_both_ssrcs() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "ssrc-switch");
    let camera = ip(CAMERAS[VICTIM_CAMERA].host.ip);
    for args in modes() {
        let (alerts, _) = run(&capture, &args);
        let openings = common::openings(&alerts);
        assert_eq!(openings.len(), 1, "{args:?}: {alerts:#?}");
        let alert = &openings[0];
        assert_eq!(alert.rule.id, "CAMSENTRY-TAMPER-4");
        assert_eq!(alert.source.ip.as_deref(), Some(camera.as_str()));
        let destination = alert.destination.as_ref().unwrap();
        assert_eq!(destination.ip.as_deref(), Some(ip(NVR.ip).as_str()));
        let network = alert.network.as_ref().unwrap();
        assert_eq!(network.transport.as_deref(), Some("udp"));
        let evidence = &alert.camsentry.evidence;
        assert_eq!(evidence["new_ssrc"], format!("0x{INJECT_SSRC:08x}"));
        assert_ne!(evidence["old_ssrc"], evidence["new_ssrc"]);
        assert_eq!(offset_secs(&alert.timestamp), INJECT_AT / 1_000_000);
    }
}

#[test]
fn a_firmware_update_is_an_event_and_reaches_the_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "firmware-change");
    let camera = CAMERAS[FIRMWARE_CHANGE_CAMERA];
    for args in modes() {
        let (alerts, events) = run(&capture, &args);
        assert!(alerts.is_empty(), "{args:?}: {alerts:#?}");
        let changed: Vec<&serde_json::Value> = events
            .iter()
            .filter(|e| e["event"]["action"] == "firmware-changed")
            .collect();
        assert_eq!(changed.len(), 1, "{args:?}: {events:#?}");
        let evidence = &changed[0]["camsentry"]["evidence"];
        assert_eq!(evidence["old_firmware"], camera.firmware);
        assert_eq!(evidence["new_firmware"], FIRMWARE_NEW);
        assert_eq!(evidence["model"], camera.model);
        assert_eq!(changed[0]["source"]["ip"], ip(camera.host.ip));
    }
    let output = common::run(&["inventory", "--format", "csv", capture.to_str().unwrap()]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    let row = text
        .lines()
        .find(|l| l.starts_with(&format!("{},", ip(camera.host.ip))))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains(camera.model), "{row}");
    assert!(row.contains(FIRMWARE_NEW), "{row}");
}
