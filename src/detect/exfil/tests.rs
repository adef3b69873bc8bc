//! Unit tests of the exfiltration detector.

use std::ops::{Deref, DerefMut};

use super::*;
use crate::decode::{Fragment, PacketView};
use crate::detect::LearnedPeer;
use crate::detect::testing::{self, evidence_f64, evidence_u64};
use crate::flow::{EndReason, Flow, FlowKey, FlowTable, Timeouts};
use crate::observation::{
    BYTES_CHUNK, Bytes, DnsAnswer, Endpoint, FlowEnd, FlowStart, OnvifProbe, RtspServer,
};

const MB: u64 = 1_000_000;
const CAM: &str = "10.20.0.11";
const RECORDER: &str = "10.20.0.2";
const EVIL: &str = "198.51.100.66";
const CLOUD: &str = "203.0.113.11";
const NO_BUDGET_CLOUD: &str = "203.0.113.50";

const POLICY: &str = r#"
[site]
recorders = ["10.20.0.2"]
dns = ["10.20.0.1"]

[[group]]
name = "cameras"
match = { cidr = ["10.20.0.0/24"] }
  [[group.allow]]
  to = "*.camcloud.example"
  ports = [443]
  transport = "tcp"
  role = "cloud"
  budget = "5MB/1h"
  [[group.allow]]
  to = "203.0.113.50"
  role = "cloud"
  [[group.allow]]
  to = "192.0.2.0/24"
"#;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn at(secs: u64) -> Timestamp {
    testing::at_secs(secs)
}

fn endpoint(address: &str, port: u16) -> Endpoint {
    let ip = ip(address);
    let last = match ip {
        IpAddr::V4(v4) => v4.octets()[3],
        IpAddr::V6(_) => 0,
    };
    Endpoint {
        ip,
        port,
        mac: [0x02, 0, 0, 0, 0, last],
    }
}

fn view(src: &Endpoint, dst: &Endpoint, proto: u8) -> PacketView {
    PacketView {
        src: src.ip,
        dst: dst.ip,
        src_port: src.port,
        dst_port: dst.port,
        proto,
        icmp_one_way: false,
        vlan: 20,
        inner_vlan: 0,
        src_mac: src.mac,
        dst_mac: dst.mac,
        tcp_flags: 0,
        fragment: Fragment::None,
        payload_offset: 0,
        payload_len: 0,
        quoted: None,
        encap: 0,
    }
}

/// A finished flow from `initiator` to `responder` that sent
/// `bytes[0]` and `bytes[1]` between `start` and `end`.
fn finished_flow(
    initiator: &Endpoint,
    responder: &Endpoint,
    (start, end): (Timestamp, Timestamp),
    bytes: [u64; 2],
    seq: u64,
) -> Flow {
    let mut table = FlowTable::new(16, Timeouts::default());
    let mut ended: Vec<Flow> = Vec::new();
    let mut on_end = |f: &Flow, _| ended.push(f.clone());
    let packet = |table: &mut FlowTable,
                  on_end: &mut dyn FnMut(&Flow, EndReason),
                  from: &Endpoint,
                  to: &Endpoint,
                  len: u64,
                  ts: Timestamp,
                  seq: u64| {
        let key = FlowKey::new(from.ip, from.port, to.ip, to.port, 6, 20, 0);
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        table.update(&view(from, to, 6), key, len, ts, seq, &mut |f, r| {
            on_end(f, r)
        });
    };
    let first = bytes[0].min(100);
    packet(
        &mut table,
        &mut on_end,
        initiator,
        responder,
        first,
        start,
        seq,
    );
    // Empty packets every 10 s keep the flow from timing out.
    let mut ts = start.plus(10 * NANOS_PER_SEC);
    while ts < end {
        packet(&mut table, &mut on_end, initiator, responder, 0, ts, seq);
        ts = ts.plus(10 * NANOS_PER_SEC);
    }
    if bytes[0] > first {
        packet(
            &mut table,
            &mut on_end,
            initiator,
            responder,
            bytes[0] - first,
            end,
            seq + 1,
        );
    }
    if bytes[1] > 0 {
        packet(
            &mut table,
            &mut on_end,
            responder,
            initiator,
            bytes[1],
            end,
            seq + 2,
        );
    }
    table.flush(end, &mut on_end);
    ended.pop().unwrap_or_else(|| panic!("no flow"))
}

/// The exfiltration detector on a site; derefs to the shared harness
/// (`alerts`, `seq`, `rules`).
struct Site {
    site: testing::Harness,
    exfil: Exfil,
}

impl Deref for Site {
    type Target = testing::Harness;

    fn deref(&self) -> &testing::Harness {
        &self.site
    }
}

impl DerefMut for Site {
    fn deref_mut(&mut self) -> &mut testing::Harness {
        &mut self.site
    }
}

impl Site {
    fn new(policy: &str, baseline: Baseline, learn_for: Nanos) -> Site {
        let site = testing::Harness::new(policy, baseline, learn_for);
        let exfil = Exfil::new(&site.policy().detect().exfil);
        Site { site, exfil }
    }

    fn feed(&mut self, observation: Observation) {
        self.site.feed(&mut self.exfil, observation);
    }

    fn finish(&mut self, now: Timestamp) {
        self.site.finish(&mut self.exfil, now);
    }

    fn resolve(&mut self, name: &str, address: &str, secs: u64) {
        self.feed(Observation::DnsAnswer(DnsAnswer {
            ts: at(secs),
            client: ip(CAM),
            client_mac: [0; 6],
            name: Box::from(name),
            address: ip(address),
        }));
    }

    /// A flow whose initiator sends `bytes[0]` and responder `bytes[1]`
    /// evenly from `start` to `end` (seconds after T0), with the chunk
    /// and end observations the workers would emit.
    fn flow(
        &mut self,
        initiator: Endpoint,
        responder: Endpoint,
        start: u64,
        end: u64,
        bytes: [u64; 2],
    ) {
        self.seq += 10;
        let (t0, t1) = (at(start), at(end));
        let flow = finished_flow(&initiator, &responder, (t0, t1), bytes, self.seq);
        let id = FlowId {
            key: flow.key,
            first_seq: flow.first_seq,
        };
        self.feed(Observation::FlowStart(FlowStart {
            id,
            ts: t0,
            initiator,
            responder,
            proto: 6,
            vlan: 20,
            interface: 0,
            icmp_one_way: false,
            first_bytes: 60,
            midstream: false,
            sender_is_initiator: true,
            media: false,
        }));
        // Chunk crossings of both sides, in time order.
        let mut chunks: Vec<(Timestamp, bool)> = Vec::new();
        for (side, total) in bytes.iter().enumerate() {
            for k in 1..=total / BYTES_CHUNK {
                let offset =
                    t1.since(t0) as u128 * u128::from(k * BYTES_CHUNK) / u128::from(*total);
                chunks.push((t0.plus(offset as u64), side == 0));
            }
        }
        chunks.sort_by_key(|c| (c.0, !c.1));
        for (ts, from_initiator) in chunks {
            self.feed(Observation::Bytes(Bytes {
                id,
                ts,
                from_initiator,
                chunks: 1,
                media: false,
                sender: if from_initiator {
                    initiator.ip
                } else {
                    responder.ip
                },
            }));
        }
        self.feed(Observation::FlowEnd(FlowEnd {
            flow: Box::new(flow),
            reason: EndReason::Fin,
        }));
    }

    /// The camera uploads `bytes` to `peer:port` between `start` and
    /// `end`, with small answers.
    fn upload(&mut self, peer: &str, port: u16, start: u64, end: u64, bytes: u64) {
        let answer = (bytes / 50).max(60);
        self.flow(
            endpoint(CAM, 40000 + (self.seq % 20000) as u16),
            endpoint(peer, port),
            start,
            end,
            [bytes, answer],
        );
    }
}

#[test]
fn bulk_upload_to_an_unlisted_host_breaks_the_default_budget_once() {
    let mut site = Site::new(POLICY, Baseline::default(), 0);
    site.resolve("update.evil.example", EVIL, 0);
    // 12 MB over 10 minutes (20 kB/s).
    site.upload(EVIL, 443, 120, 720, 12 * MB);
    assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-1"], "{:#?}", site.alerts);
    let alert = &site.alerts[0];
    assert_eq!(alert.rule.category, Category::Exfil);
    assert_eq!(alert.rule.action, "bulk-upload");
    assert_eq!(alert.source_ip, ip(CAM));
    assert_eq!(alert.destination_ip, Some(ip(EVIL)));
    assert_eq!(alert.destination_port, Some(443));
    assert_eq!(
        alert.destination_domain.as_deref(),
        Some("update.evil.example")
    );
    assert!(alert.community_id.is_some());
    assert_eq!(alert.vlan, Some(20));
    assert_eq!(alert.evidence["destination_class"], "other");
    assert_eq!(alert.evidence["allowed_by"], "none");
    assert_eq!(alert.evidence["budget"], "10MB/1h");
    assert_eq!(evidence_u64(alert, "budget_bytes"), 10 * MB);
    assert_eq!(evidence_u64(alert, "window_seconds"), 3600);
    let bytes = evidence_u64(alert, "bytes");
    assert!(
        bytes > 10 * MB && bytes < 10 * MB + 2 * BYTES_CHUNK,
        "{bytes}"
    );
    assert!(evidence_f64(alert, "ratio") >= 1.0);
    // Crossed 10 MB at about 500 s into the upload; known at the next
    // chunk at the latest (13 s at 20 kB/s).
    assert!(alert.evidence_ts <= alert.ts);
    assert!(alert.ts.since(alert.evidence_ts) < 14 * NANOS_PER_SEC);
    let crossed = alert.evidence_ts.since(at(120)) / NANOS_PER_SEC;
    assert!((495..=505).contains(&crossed), "{crossed}");
    let top = alert.evidence["top_destinations"].as_array().map(Vec::len);
    assert_eq!(top, Some(1));

    // More within the quiet hour: nothing new; after it, still over the
    // budget: a reminder.
    site.upload(EVIL, 443, 1000, 1300, 3 * MB);
    assert_eq!(site.alerts.len(), 1);
    site.upload(EVIL, 443, 4300, 4500, 11 * MB);
    assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-1", "CAMSENTRY-EXFIL-1"]);
    assert!(site.alerts[1].ts.since(site.alerts[0].ts) >= HOUR);
}

#[test]
fn video_to_the_recorder_and_multicast_are_never_counted() {
    let mut site = Site::new(POLICY, Baseline::default(), 0);
    // The camera pushes 100 MB to the recorder, the recorder pulls 100 MB
    // from it, and it multicasts 100 MB.
    site.upload(RECORDER, 554, 0, 600, 100 * MB);
    site.flow(
        endpoint(RECORDER, 50000),
        endpoint(CAM, 554),
        0,
        600,
        [10_000, 100 * MB],
    );
    site.upload("239.1.1.1", 5004, 0, 600, 100 * MB);
    site.finish(at(7200));
    assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
    // Nothing is kept for the recorder and multicast flows.
    assert!(site.exfil.flows.is_empty());
}

#[test]
fn an_allowed_cloud_is_held_to_its_rule_budget_and_downloads_do_not_count() {
    let mut site = Site::new(POLICY, Baseline::default(), 0);
    site.resolve("api.camcloud.example", CLOUD, 0);
    // A 30 MB firmware download: a small upload of requests and ACKs.
    site.flow(
        endpoint(CAM, 40000),
        endpoint(CLOUD, 443),
        10,
        310,
        [700_000, 30 * MB],
    );
    assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
    site.upload(CLOUD, 443, 400, 1000, 6 * MB);
    assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-1"]);
    let alert = &site.alerts[0];
    assert_eq!(alert.evidence["destination_class"], "cloud");
    assert_eq!(alert.evidence["allowed_by"], "policy");
    assert_eq!(alert.evidence["rule"], "*.camcloud.example");
    assert_eq!(alert.evidence["budget"], "5MB/1h");
    assert!(evidence_u64(alert, "bytes") > 5 * MB);
    assert_eq!(
        alert.destination_domain.as_deref(),
        Some("api.camcloud.example")
    );
}

#[test]
fn an_allowed_cloud_above_its_learned_baseline() {
    let mut baseline = Baseline::default();
    baseline.learn_upload(ip(CAM), "cloud", MB);
    let mut site = Site::new(POLICY, baseline, 0);
    // The rule has no budget: only the baseline judges (4 x 1 MB/h).
    site.upload(NO_BUDGET_CLOUD, 443, 0, 600, 3_500_000);
    assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
    site.upload(NO_BUDGET_CLOUD, 443, 700, 900, MB);
    assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-2"], "{:#?}", site.alerts);
    let alert = &site.alerts[0];
    assert_eq!(alert.rule.action, "bulk-upload");
    assert_eq!(alert.evidence["destination_class"], "cloud");
    assert_eq!(alert.evidence["allowed_by"], "policy");
    assert_eq!(evidence_u64(alert, "learned_bytes_per_hour"), MB);
    assert_eq!(evidence_u64(alert, "baseline_bytes"), MB);
    assert_eq!(evidence_u64(alert, "threshold_bytes"), 4 * MB);
    assert_eq!(evidence_u64(alert, "window_seconds"), 3600);
    assert!(evidence_f64(alert, "ratio") > 4.0);
    assert!(evidence_u64(alert, "bytes") > 4 * MB);
}

#[test]
fn a_learned_peer_is_cloud_judged_by_the_baseline_with_a_floor() {
    let mut baseline = Baseline::default();
    baseline.learn_peer(
        ip(CAM),
        LearnedPeer {
            address: Some(ip(CLOUD)),
            name: None,
            port: 443,
            transport: "tcp".into(),
        },
    );
    // Learned over a quiet period: 3 kB per hour.
    baseline.learn_upload(ip(CAM), "cloud", 3_000);
    let mut site = Site::new("", baseline, 0);
    site.feed(Observation::RtspServer(RtspServer {
        ts: at(0),
        server: endpoint(CAM, 554),
        banner: None,
    }));
    // 2 MB is below the floor (a quarter of 10 MB/1h).
    site.upload(CLOUD, 443, 10, 400, 2 * MB);
    assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
    site.upload(CLOUD, 443, 500, 900, 2 * MB);
    assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-2"], "{:#?}", site.alerts);
    let alert = &site.alerts[0];
    assert_eq!(alert.evidence["destination_class"], "cloud");
    assert_eq!(alert.evidence["allowed_by"], "baseline");
    assert_eq!(evidence_u64(alert, "learned_bytes_per_hour"), 3_000);
    assert_eq!(evidence_u64(alert, "threshold_bytes"), 2_500_000);
    assert_eq!(evidence_u64(alert, "baseline_bytes"), 625_000);
}

#[test]
fn a_slow_trickle_to_an_unlisted_host_alerts_once_over_the_slow_window() {
    let mut site = Site::new(POLICY, Baseline::default(), 0);
    // 300 kB every 10 minutes for 3 hours: 1.8 MB per hour, 5.4 MB.
    for i in 0..18 {
        let start = 60 + 600 * i;
        site.upload(EVIL, 443, start, start + 60, 300_000);
    }
    site.finish(at(3 * 3600 + 120));
    assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-3"], "{:#?}", site.alerts);
    let alert = &site.alerts[0];
    assert_eq!(alert.rule.action, "slow-upload");
    assert_eq!(alert.evidence["destination_class"], "other");
    assert_eq!(evidence_u64(alert, "window_seconds"), 6 * 3600);
    // 10 MB/1h scaled to 6 h at a twelfth of its rate.
    assert_eq!(evidence_u64(alert, "budget_bytes"), 5 * MB);
    let bytes = evidence_u64(alert, "bytes");
    assert!(bytes > 5 * MB, "{bytes}");
    assert!(evidence_u64(alert, "recent_bytes") * 2 <= bytes);
    assert!(evidence_f64(alert, "ratio") > 1.0);
    assert!(alert.ts.since(alert.evidence_ts) < 60 * NANOS_PER_SEC);
}

#[test]
fn a_burst_under_the_budget_waits_to_be_spread_before_counting_as_slow() {
    let mut site = Site::new(POLICY, Baseline::default(), 0);
    // 6 MB in 5 minutes: under 10 MB/1h, over the 5 MB slow threshold,
    // but not spread out.
    site.upload(EVIL, 443, 600, 900, 6 * MB);
    site.upload(EVIL, 443, 1800, 1810, 1000);
    assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
    // Two hours later it is the slow window's business.
    site.finish(at(8000));
    assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-3"]);
    let alert = &site.alerts[0];
    assert_eq!(alert.ts, at(8000));
    assert!(alert.evidence_ts < at(900));
    assert_eq!(evidence_u64(alert, "recent_bytes"), 0);
}

#[test]
fn no_slow_alert_after_a_budget_alert_for_the_same_upload() {
    let mut site = Site::new(POLICY, Baseline::default(), 0);
    site.upload(EVIL, 443, 0, 600, 12 * MB);
    site.upload(EVIL, 443, 4000, 4010, 1000);
    site.finish(at(5 * 3600));
    assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-1"]);
}

#[test]
fn a_late_flow_end_is_compared_at_the_current_time() {
    let mut site = Site::new(POLICY, Baseline::default(), 0);
    // A DNS flow that ended at 100 s is reported only after a 6 MB burst
    // (inactivity timeouts): it must not make the burst look spread out.
    self::late_flow(&mut site);
    assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
}

fn late_flow(site: &mut Site) {
    let camera = endpoint(CAM, 53000);
    let dns = endpoint("10.20.0.1", 53);
    let flow = finished_flow(&camera, &dns, (at(100), at(100)), [80, 120], 1);
    let id = FlowId {
        key: flow.key,
        first_seq: flow.first_seq,
    };
    site.feed(Observation::FlowStart(FlowStart {
        id,
        ts: at(100),
        initiator: camera,
        responder: dns,
        proto: 6,
        vlan: 20,
        interface: 0,
        icmp_one_way: false,
        first_bytes: 60,
        midstream: false,
        sender_is_initiator: true,
        media: false,
    }));
    site.upload(EVIL, 443, 900, 1200, 6 * MB);
    site.feed(Observation::FlowEnd(FlowEnd {
        flow: Box::new(flow),
        reason: EndReason::Timeout,
    }));
}

#[test]
fn learning_suppresses_alerts_and_records_the_busiest_hour() {
    let mut site = Site::new(POLICY, Baseline::default(), HOUR);
    site.resolve("api.camcloud.example", CLOUD, 0);
    // While learning: 3 MB to the cloud within an hour (under its 5 MB
    // budget anyway), then 8 MB more in the next half hour, and 200 kB
    // to an unlisted host.
    site.upload(CLOUD, 443, 10, 600, 3 * MB);
    site.upload(EVIL, 443, 700, 760, 200_000);
    site.upload(CLOUD, 443, 2000, 3000, 8 * MB);
    assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
    let mut learned = Baseline::default();
    site.exfil.learned(&mut learned);
    let cloud = learned.upload_per_hour(ip(CAM), "cloud").unwrap_or(0);
    let other = learned.upload_per_hour(ip(CAM), "other").unwrap_or(0);
    // The busiest hour holds both cloud uploads and the 200 kB: a host
    // first contacted while learning becomes a learned peer, which
    // counts as cloud (answers are not uploads).
    assert!(
        (11 * MB + 200_000..11 * MB + 2 * BYTES_CHUNK).contains(&cloud),
        "{cloud}"
    );
    assert_eq!(other, 0);
    // After learning: the budget applies, and the baseline once the
    // upload is four times the busiest hour.
    site.upload(CLOUD, 443, 20_000, 21_000, 50 * MB);
    assert_eq!(
        site.rules(),
        ["CAMSENTRY-EXFIL-1", "CAMSENTRY-EXFIL-2"],
        "{:#?}",
        site.alerts
    );
    assert_eq!(
        evidence_u64(&site.alerts[1], "learned_bytes_per_hour"),
        cloud
    );
}

const NAS: &str = "10.40.0.50";

#[test]
fn bytes_sent_while_learning_never_alert_and_a_learned_peer_keeps_its_rate() {
    let mut site = Site::new(POLICY, Baseline::default(), HOUR);
    // The camera (first seen now) stores snapshots on a NAS: 30 MB in
    // the last half hour of its hour of learning, three times the
    // default budget.
    site.upload(NAS, 445, 0, 1, 1000);
    site.upload(NAS, 445, 1800, 3590, 30 * MB);
    assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
    // Learning ends with that hour still in the windows: nothing, and
    // the same rate afterwards is normal for this destination.
    site.upload(NAS, 445, 3700, 3800, MB);
    site.upload(NAS, 445, 4000, 7000, 30 * MB);
    assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
    // Four times the learned hour is not.
    site.upload(NAS, 445, 8000, 9000, 150 * MB);
    // One alert: the destination's learned hour and its class's say
    // the same here.
    assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-2"], "{:#?}", site.alerts);
    let learned = evidence_u64(&site.alerts[0], "learned_bytes_per_hour");
    assert!((30 * MB..31 * MB).contains(&learned), "{learned}");
    assert_eq!(site.alerts[0].evidence["allowed_by"], "baseline");
    // `learn --out` keeps the rate.
    let mut learned = Baseline::default();
    site.exfil.learned(&mut learned);
    let rate = learned.peer_upload_per_hour(ip(CAM), ip(NAS)).unwrap();
    assert!((30 * MB..31 * MB).contains(&rate), "{rate}");
}

#[test]
fn a_recorder_recognised_mid_flow_stops_the_count() {
    let mut site = Site::new(POLICY, Baseline::default(), 0);
    let (camera, nvr) = (endpoint(CAM, 554), endpoint("10.20.0.60", 50000));
    // The second NVR's RTSP session predates the capture; until it is
    // recognised its video looks like an upload to an unlisted host.
    let flow = finished_flow(&nvr, &camera, (at(0), at(3000)), [1000, 60 * MB], 5);
    let id = FlowId {
        key: flow.key,
        first_seq: flow.first_seq,
    };
    site.feed(Observation::FlowStart(FlowStart {
        id,
        ts: at(0),
        initiator: nvr,
        responder: camera,
        proto: 6,
        vlan: 20,
        interface: 0,
        icmp_one_way: false,
        first_bytes: 1400,
        midstream: true,
        sender_is_initiator: false,
        media: false,
    }));
    let chunk = |site: &mut Site, secs: u64| {
        site.feed(Observation::Bytes(Bytes {
            id,
            ts: at(secs),
            from_initiator: false,
            chunks: 4,
            media: false,
            sender: camera.ip,
        }))
    };
    for secs in 1..8 {
        chunk(&mut site, secs);
    }
    // It sends a WS-Discovery probe: a recorder.
    site.feed(Observation::OnvifProbe(OnvifProbe {
        ts: at(10),
        prober: nvr,
    }));
    for secs in 11..2000 {
        chunk(&mut site, secs);
    }
    site.feed(Observation::FlowEnd(FlowEnd {
        flow: Box::new(flow),
        reason: EndReason::Fin,
    }));
    assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
}

#[test]
fn a_camera_answering_an_outside_host_is_counted_by_address() {
    let mut site = Site::new(POLICY, Baseline::default(), 0);
    // An outside host pulls 11 MB from the camera's web server.
    site.flow(
        endpoint("198.51.100.7", 51000),
        endpoint(CAM, 80),
        0,
        300,
        [20_000, 11 * MB],
    );
    assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-1"]);
    let alert = &site.alerts[0];
    assert_eq!(alert.destination_ip, Some(ip("198.51.100.7")));
    assert_eq!(alert.destination_port, None);
    assert_eq!(alert.source_port, Some(80));
    assert_eq!(alert.evidence["destination_class"], "other");
}

#[test]
fn a_flow_of_a_host_identified_later_is_counted_at_its_end() {
    let mut site = Site::new("", Baseline::default(), 0);
    let camera = endpoint("10.20.0.30", 40000);
    let peer = endpoint(EVIL, 443);
    let flow = finished_flow(&camera, &peer, (at(0), at(600)), [11 * MB, 1000], 1);
    let id = FlowId {
        key: flow.key,
        first_seq: flow.first_seq,
    };
    site.feed(Observation::FlowStart(FlowStart {
        id,
        ts: at(0),
        initiator: camera,
        responder: peer,
        proto: 6,
        vlan: 20,
        interface: 0,
        icmp_one_way: false,
        first_bytes: 60,
        midstream: false,
        sender_is_initiator: true,
        media: false,
    }));
    site.feed(Observation::Bytes(Bytes {
        id,
        ts: at(300),
        from_initiator: true,
        chunks: 20,
        media: false,
        sender: camera.ip,
    }));
    // Not a camera yet: nothing tracked, nothing counted.
    assert!(site.exfil.flows.is_empty() && site.alerts.is_empty());
    site.feed(Observation::RtspServer(RtspServer {
        ts: at(400),
        server: endpoint("10.20.0.30", 554),
        banner: None,
    }));
    site.feed(Observation::FlowEnd(FlowEnd {
        flow: Box::new(flow),
        reason: EndReason::Fin,
    }));
    assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-1"]);
    assert_eq!(evidence_u64(&site.alerts[0], "bytes"), 11 * MB);
}

#[test]
fn same_input_same_alerts() {
    let run = || {
        let mut site = Site::new(POLICY, Baseline::default(), 0);
        site.resolve("api.camcloud.example", CLOUD, 0);
        site.upload(CLOUD, 443, 0, 600, 6 * MB);
        site.upload("192.0.2.9", 8443, 0, 600, 11 * MB);
        site.upload(EVIL, 443, 0, 600, 11 * MB);
        site.site.alerts
    };
    let first = run();
    assert_eq!(first.len(), 3);
    assert_eq!(first, run());
}
