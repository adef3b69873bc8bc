//! The tamper detector on hand-made observations: silence judged on packet
//! time, motion cameras, recorder outages, the end of input, DHCP and new
//! RTSP sessions as excuses, firmware events, and the RTP change tracker.

use std::net::IpAddr;

use super::rules::*;
use super::*;
use crate::config::policy::TamperSettings;
use crate::detect::Baseline;
use crate::detect::testing::{Harness, at_secs, endpoint};
use crate::flow::RtpTrack;
use crate::observation::{
    Arp, Bytes, DeviceInfo, Dhcp, FlowId, Observation, RtpChange, device_text,
};
use crate::timestamp::{NANOS_PER_SEC, Timestamp};

const POLICY: &str = r#"
[site]
recorders = ["10.20.0.2"]

[[group]]
name = "cameras"
match = { cidr = ["10.20.0.0/24"] }
"#;

const NVR: &str = "10.20.0.2";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

struct Site {
    h: Harness,
    tamper: Tamper,
    events: Vec<Alert>,
    /// One media flow per camera.
    flows: std::collections::BTreeMap<IpAddr, FlowId>,
}

impl Site {
    fn new(policy: &str) -> Site {
        let h = Harness::new(policy, Baseline::default(), 0);
        let tamper = Tamper::new(&h.policy().detect().tamper);
        Site {
            h,
            tamper,
            events: Vec::new(),
            flows: Default::default(),
        }
    }

    fn feed(&mut self, observation: Observation) -> usize {
        let raised = self.h.feed(&mut self.tamper, observation);
        self.tamper.drain_events(&mut self.events);
        raised
    }

    /// `camera` sent 256 KiB of video to the recorder at `secs`.
    fn video(&mut self, camera: &str, secs: u64) {
        let camera = ip(camera);
        let id = match self.flows.get(&camera) {
            Some(id) => *id,
            None => {
                let start = self.h.flow_from(0, camera, ip(NVR), 554, 6);
                self.flows.insert(camera, start.id);
                start.id
            }
        };
        self.feed(Observation::Bytes(Bytes {
            id,
            ts: at_secs(secs),
            from_initiator: true,
            chunks: 1,
            media: true,
            sender: camera,
        }));
    }

    /// Any other observation at `secs` (time passing).
    fn tick(&mut self, secs: u64) {
        self.feed(Observation::Arp(Arp {
            ts: at_secs(secs),
            operation: 1,
            sender_mac: [2, 0, 0, 0, 0, 1],
            sender_ip: ip("10.20.0.1"),
            target_ip: ip("10.20.0.99"),
            vlan: 0,
            interface: 0,
        }));
    }

    fn actions(&self) -> Vec<&'static str> {
        self.events.iter().map(|e| e.rule.action).collect()
    }
}

#[test]
fn a_continuous_camera_going_dark_alerts_once_after_dark_after() {
    let mut site = Site::new(POLICY);
    for s in (0..=600).step_by(10) {
        site.video("10.20.0.11", s);
        site.video("10.20.0.12", s + 5);
    }
    // 10.20.0.11 stops at 600 s; the other camera goes on, so the silence
    // is seen on the other camera's observations.
    for s in (610..=1200).step_by(10) {
        site.video("10.20.0.12", s + 5);
    }
    let alerts = site.h.of(RULE_DARK);
    assert_eq!(alerts.len(), 1, "{:?}", site.h.rules());
    let alert = alerts[0];
    assert_eq!(alert.source_ip, ip("10.20.0.11"));
    assert_eq!(alert.destination_ip, Some(ip(NVR)));
    // dark_after plus one cadence (10 s), judged at the next observation.
    let silent = alert.ts.since(at_secs(600)) / NANOS_PER_SEC;
    assert!((310..=320).contains(&silent), "{silent}");
    assert_eq!(site.actions(), ["stream-interrupted"]);
    // It comes back: an event, no alert.
    site.video("10.20.0.12", 1_215);
    site.video("10.20.0.11", 1_220);
    assert_eq!(site.actions(), ["stream-interrupted", "stream-resumed"]);
    assert_eq!(site.h.of(RULE_DARK).len(), 1);
    assert_eq!(site.events[1].evidence["outage"], "camera-dark");
}

#[test]
fn silence_is_judged_only_as_packet_time_advances_and_the_end_is_no_outage() {
    let mut site = Site::new(POLICY);
    for s in (0..=600).step_by(10) {
        site.video("10.20.0.11", s);
    }
    // Nothing after 600 s: the capture ended.
    site.h.finish(&mut site.tamper, at_secs(3_600));
    site.tamper.drain_events(&mut site.events);
    assert!(site.h.alerts.is_empty());
    assert!(site.events.is_empty());
}

#[test]
fn a_camera_silent_for_an_outage_while_learning_is_motion_triggered() {
    let mut site = Site::new(POLICY);
    // Recording sessions of a minute, ten minutes apart.
    for session in 0..6u64 {
        for s in (0..60).step_by(10) {
            site.video("10.20.0.11", session * 600 + s);
        }
    }
    for s in (3_600..7_200).step_by(30) {
        site.tick(s);
    }
    assert!(site.h.alerts.is_empty(), "{:?}", site.h.rules());
    assert!(site.events.is_empty());
}

#[test]
fn the_policy_names_motion_cameras() {
    let policy = format!("{POLICY}\n[detect.tamper]\nmotion = [\"cameras\"]\n");
    let mut site = Site::new(&policy);
    for s in (0..=600).step_by(10) {
        site.video("10.20.0.11", s);
    }
    for s in (600..2_000).step_by(30) {
        site.tick(s);
    }
    assert!(site.h.alerts.is_empty());
}

#[test]
fn all_cameras_of_a_recorder_dark_at_once_is_one_recorder_alert() {
    let mut site = Site::new(POLICY);
    for s in (0..=600).step_by(10) {
        for (k, camera) in ["10.20.0.11", "10.20.0.12", "10.20.0.13"]
            .iter()
            .enumerate()
        {
            site.video(camera, s + k as u64);
        }
    }
    for s in (610..1_800).step_by(30) {
        site.tick(s);
    }
    assert_eq!(site.h.rules(), ["CAMSENTRY-TAMPER-2"]);
    let alert = &site.h.alerts[0];
    assert_eq!(alert.source_ip, ip(NVR));
    assert_eq!(alert.evidence["cameras_dark"], 3);
    // One camera back: the recorder's outage ends, its resumption is an
    // event of that camera.
    site.video("10.20.0.12", 1_900);
    assert_eq!(
        site.events.last().map(|e| e.rule.action),
        Some("stream-resumed")
    );
    assert_eq!(
        site.events.last().unwrap().evidence["outage"],
        "recorder-dark"
    );
    assert!(site.tamper.streams.recorders_dark.is_empty());
}

fn arp(secs: u64, mac: [u8; 6], sender: &str, target: &str, operation: u16) -> Observation {
    Observation::Arp(Arp {
        ts: at_secs(secs),
        operation,
        sender_mac: mac,
        sender_ip: ip(sender),
        target_ip: ip(target),
        vlan: 0,
        interface: 0,
    })
}

const CAMERA_MAC: [u8; 6] = [0xc0, 0x56, 0xe3, 1, 2, 3];
const OTHER_MAC: [u8; 6] = [0xb8, 0x27, 0xeb, 4, 5, 6];

#[test]
fn another_mac_claiming_a_camera_address_alerts_with_both_macs() {
    let mut site = Site::new(POLICY);
    site.feed(arp(1, CAMERA_MAC, "10.20.0.11", NVR, 1));
    assert_eq!(site.feed(arp(2, CAMERA_MAC, "10.20.0.11", NVR, 2)), 0);
    assert_eq!(
        site.feed(arp(10, OTHER_MAC, "10.20.0.11", "10.20.0.11", 2)),
        1
    );
    let alert = &site.h.alerts[0];
    assert_eq!(alert.rule.id, RULE_TAKEOVER.id);
    assert_eq!(alert.source_mac, Some(OTHER_MAC));
    assert_eq!(alert.evidence["bound_mac"], "C0-56-E3-01-02-03");
    assert_eq!(alert.evidence["claiming_mac"], "B8-27-EB-04-05-06");
    assert_eq!(alert.evidence["gratuitous"], true);
    // The binding stays: the camera's own ARP is fine, the attacker's
    // next claim matches again.
    assert_eq!(site.feed(arp(12, CAMERA_MAC, "10.20.0.11", NVR, 2)), 0);
    assert_eq!(site.feed(arp(14, OTHER_MAC, "10.20.0.11", NVR, 2)), 1);
}

#[test]
fn a_dhcp_lease_to_the_new_mac_is_no_takeover() {
    let mut site = Site::new(POLICY);
    site.feed(arp(1, CAMERA_MAC, "10.20.0.11", NVR, 1));
    // The camera is replaced: the new one gets the address by DHCP.
    site.feed(Observation::Dhcp(Dhcp {
        ts: at_secs(100),
        mac: OTHER_MAC,
        address: Some(ip("10.20.0.11")),
        host_name: None,
        vendor_class: None,
    }));
    assert_eq!(
        site.feed(arp(102, OTHER_MAC, "10.20.0.11", "10.20.0.11", 1)),
        0
    );
    // The old MAC claiming it back is now the contradiction.
    assert_eq!(site.feed(arp(200, CAMERA_MAC, "10.20.0.11", NVR, 2)), 1);
    // Addresses that are neither camera nor recorder are not watched.
    site.feed(arp(300, CAMERA_MAC, "192.168.9.9", NVR, 2));
    assert_eq!(site.feed(arp(301, OTHER_MAC, "192.168.9.9", NVR, 2)), 0);
}

fn rtp_change(site: &mut Site, secs: u64, old_ssrc: u32, new_ssrc: u32, new_seq: u16) -> usize {
    let start = site.h.flow_from(0, ip("10.20.0.16"), ip(NVR), 50_010, 17);
    site.feed(Observation::RtpChange(RtpChange {
        id: start.id,
        ts: at_secs(secs),
        interface: 1,
        sender: endpoint(ip("10.20.0.16"), 5_000, OTHER_MAC),
        receiver: endpoint(ip(NVR), 50_010, [0; 6]),
        old_ssrc,
        new_ssrc,
        old_seq: 100,
        new_seq,
    }))
}

#[test]
fn an_ssrc_change_alerts_unless_a_new_rtsp_session_just_opened() {
    let mut site = Site::new(POLICY);
    // The camera is known from its stream.
    let start = site.h.flow_from(0, ip("10.20.0.16"), ip(NVR), 50_010, 17);
    site.feed(Observation::FlowStart(start));
    assert_eq!(rtp_change(&mut site, 10, 1, 2, 101), 1);
    assert_eq!(site.h.alerts[0].rule.id, RULE_SSRC.id);
    assert_eq!(site.h.alerts[0].evidence["old_ssrc"], "0x00000001");
    assert_eq!(site.h.alerts[0].evidence["new_ssrc"], "0x00000002");
    assert_eq!(site.h.alerts[0].transport, Some("udp"));
    // Named by the interface its media flow came in on.
    assert_eq!(site.h.alerts[0].interface, Some(1));
    assert_eq!(rtp_change(&mut site, 20, 2, 2, 30_000), 1);
    assert_eq!(site.h.alerts[1].rule.id, RULE_SEQUENCE.id);
    // The recorder sets the stream up again: the new SSRC is expected.
    let mut setup = site.h.flow_from(0, ip(NVR), ip("10.20.0.16"), 554, 6);
    setup.ts = at_secs(100);
    site.feed(Observation::FlowStart(setup));
    assert_eq!(rtp_change(&mut site, 105, 2, 3, 7), 0);
    // Long after it, a change is suspect again.
    assert_eq!(rtp_change(&mut site, 400, 3, 4, 8), 1);
}

fn device(secs: u64, firmware: &str) -> Observation {
    device_from("onvif", secs, firmware)
}

fn device_from(source: &'static str, secs: u64, firmware: &str) -> Observation {
    Observation::DeviceInfo(DeviceInfo {
        ts: at_secs(secs),
        device: endpoint(ip("10.20.0.11"), 80, CAMERA_MAC),
        source,
        manufacturer: device_text("HIKVISION"),
        model: device_text("DS-2CD2143G2-I"),
        firmware: device_text(firmware),
        serial: None,
        server: None,
    })
}

#[test]
fn a_firmware_change_is_an_event_and_fills_the_inventory() {
    let mut site = Site::new(POLICY);
    site.feed(device(10, "V5.7.3"));
    site.feed(device(20, "V5.7.3"));
    assert!(site.events.is_empty());
    site.feed(device(30, "V5.7.23"));
    assert!(site.h.alerts.is_empty());
    assert_eq!(site.actions(), ["firmware-changed"]);
    assert_eq!(site.events[0].evidence["old_firmware"], "V5.7.3");
    assert_eq!(site.events[0].evidence["new_firmware"], "V5.7.23");
    let host = site.h.knowledge.inventory.host(ip("10.20.0.11")).unwrap();
    assert_eq!(host.device.firmware.as_deref(), Some("V5.7.23"));
    assert_eq!(host.device.model.as_deref(), Some("DS-2CD2143G2-I"));
}

#[test]
fn two_sources_spelling_one_version_differently_is_no_change() {
    let mut site = Site::new(POLICY);
    site.feed(device(10, "V5.7.3 build 220112"));
    site.feed(device_from("mdns", 20, "5.7.3"));
    site.feed(device(30, "V5.7.3 build 220112"));
    site.feed(device_from("mdns", 40, "5.7.3"));
    assert!(site.events.is_empty());
    // The inventory keeps ONVIF's spelling.
    let host = site.h.knowledge.inventory.host(ip("10.20.0.11")).unwrap();
    assert_eq!(host.device.firmware.as_deref(), Some("V5.7.3 build 220112"));
}

#[test]
fn device_strings_are_bounded_and_trimmed() {
    let long = "x".repeat(1_000);
    assert_eq!(device_text(&long).unwrap().len(), 64);
    assert_eq!(device_text("  V5 ").as_deref(), Some("V5"));
    assert_eq!(device_text("   "), None);
    // Multi-byte characters are cut on a character boundary.
    let wide = "é".repeat(100);
    assert_eq!(device_text(&wide).unwrap().chars().count(), 64);
}

#[test]
fn the_rtp_tracker_reports_changes_not_packets() {
    let mut track = RtpTrack::default();
    assert_eq!(track.update(1, 7, 100), None);
    assert_eq!(track.update(1, 7, 101), None);
    // Loss of a few hundred packets, reordering, wrap-around: nothing.
    assert_eq!(track.update(1, 7, 600), None);
    assert_eq!(track.update(1, 7, 590), None);
    assert_eq!(track.update(1, 7, 601), None);
    let mut wrap = RtpTrack::default();
    assert_eq!(wrap.update(2, 9, 65_535), None);
    assert_eq!(wrap.update(2, 9, 0), None);
    // The other side's packets are not compared.
    assert_eq!(track.update(2, 8, 5), None);
    // A new SSRC, then a jump far beyond loss.
    let change = track.update(1, 8, 602).unwrap();
    assert_eq!((change.old_ssrc, change.new_ssrc), (7, 8));
    let jump = track.update(1, 8, 40_000).unwrap();
    assert_eq!((jump.old_seq, jump.new_seq), (602, 40_000));
    assert_eq!(track.update(1, 8, 40_001), None);
}

#[test]
fn settings_default_to_five_minutes_dark_and_one_interrupted() {
    let settings = TamperSettings::default();
    assert_eq!(settings.dark_after.as_secs(), 300);
    assert_eq!(settings.interrupted_after.as_secs(), 60);
    let _ = Timestamp::ZERO;
}

#[test]
fn an_event_line_is_no_alert_in_either_encoding() {
    use crate::alert::{Encoder, Format, Observer};
    let mut site = Site::new(POLICY);
    site.feed(device(10, "V1"));
    site.feed(device(20, "V2"));
    let event = &site.events[0];
    let observer = Observer {
        hostname: "sensor".into(),
        product: "camsentry",
        version: "0",
        interfaces: Vec::new(),
    };
    let mut out = Vec::new();
    Encoder::new(Format::Ecs, observer.clone()).encode_event(event, &mut out);
    let ecs: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(ecs["event"]["kind"], "event");
    assert_eq!(ecs["event"]["action"], "firmware-changed");
    assert_eq!(ecs["event"]["dataset"], "camsentry.event");
    assert!(ecs.get("rule").is_none());
    assert_eq!(ecs["camsentry"]["evidence"]["new_firmware"], "V2");
    let mut out = Vec::new();
    Encoder::new(Format::Eve, observer).encode_event(event, &mut out);
    let eve: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(eve["event_type"], "camsentry");
    assert!(eve.get("alert").is_none());
    assert_eq!(eve["event"]["action"], "firmware-changed");
}
