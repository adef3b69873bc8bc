//! Unit tests of the scan detector: the shared harness and the LAN rules
//! (walk, host and port windows, ARP sweep); one file per further concept.

mod internet;
mod memory;
mod sweep;

use super::*;
use crate::config::Policy;
use crate::decode::{Decoded, LinkType, decode};
use crate::detect::Baseline;
use crate::detect::Knowledge;
use crate::flow::{Flow, FlowKey, FlowTable, Timeouts};
use crate::observation::{Arp, DnsAnswer, Endpoint, FlowStart, RtspServer};

const CAM: [u8; 4] = [10, 0, 0, 10];
const WORKSTATION: [u8; 4] = [10, 0, 0, 99];

fn ip(a: [u8; 4]) -> IpAddr {
    IpAddr::from(a)
}

/// Host `n` of 10.0.2.0/24: nothing allows it.
fn stranger(n: u32) -> IpAddr {
    IpAddr::from([10, 0, 2 + (n / 250) as u8, (n % 250) as u8 + 1])
}

/// Recorder `n` of 10.1.0.0/16 (the policy lists the whole block).
fn recorder(n: u32) -> IpAddr {
    IpAddr::from([10, 1, (n / 250) as u8, (n % 250) as u8 + 1])
}

fn at(ms: u64) -> Timestamp {
    Timestamp::from_secs(1_767_600_000).plus(ms * 1_000_000)
}

const POLICY: &str = r#"
    [site]
    recorders = ["10.1.0.0/16"]
    dns = ["10.0.0.1"]
    ntp = ["10.0.0.1"]
"#;

/// A detector with a hand-made context: 10.0.0.10 is a camera (it
/// answered RTSP), 10.1.0.0/16 are recorders, 10.0.0.1 serves DNS/NTP.
struct Harness {
    knowledge: Knowledge,
    scan: Scan,
    alerts: Vec<Alert>,
    seq: u64,
}

impl Harness {
    fn new() -> Harness {
        Harness::with_policy(POLICY, 0)
    }

    fn with_policy(text: &str, learn_for: Nanos) -> Harness {
        let policy = Policy::from_str(text, "test").expect("valid policy");
        let scan = Scan::new(&policy.detect().scan);
        let mut knowledge = Knowledge::new(policy, Baseline::default(), learn_for);
        knowledge.observe(&Observation::RtspServer(RtspServer {
            ts: at(0),
            server: Endpoint {
                ip: ip(CAM),
                port: 554,
                mac: [0; 6],
            },
            banner: None,
        }));
        Harness {
            knowledge,
            scan,
            alerts: Vec::new(),
            seq: 0,
        }
    }

    fn feed(&mut self, observation: Observation) {
        self.knowledge.observe(&observation);
        let context = self.knowledge.context();
        self.scan.observe(&context, &observation, &mut self.alerts);
    }

    fn finish(&mut self, now: Timestamp) {
        let context = self.knowledge.context();
        self.scan.finish(&context, now, &mut self.alerts);
    }

    /// A flow from `src` (ephemeral port) to `dst:port`; its id.
    fn flow_from(
        &mut self,
        ms: u64,
        src: IpAddr,
        dst: IpAddr,
        port: u16,
        proto: u8,
        dst_mac: [u8; 6],
    ) -> FlowId {
        self.seq += 1;
        let sport = 40_000 + (self.seq % 20_000) as u16;
        let (key, _) = FlowKey::new(src, sport, dst, port, proto, 0, 0);
        let id = FlowId {
            key,
            first_seq: self.seq,
        };
        self.feed(Observation::FlowStart(FlowStart {
            id,
            ts: at(ms),
            initiator: Endpoint {
                ip: src,
                port: sport,
                mac: [0; 6],
            },
            responder: Endpoint {
                ip: dst,
                port,
                mac: dst_mac,
            },
            proto,
            vlan: 20,
            icmp_one_way: false,
            first_bytes: 60,
            midstream: false,
            sender_is_initiator: true,
            media: false,
        }));
        id
    }

    /// A flow the camera starts.
    fn start(&mut self, ms: u64, dst: IpAddr, port: u16, proto: u8) -> FlowId {
        self.flow_from(ms, ip(CAM), dst, port, proto, [0; 6])
    }

    fn answer(&mut self, ms: u64, id: FlowId, refused: bool) {
        let answerer = id.key.other_end(ip(CAM));
        self.feed(Observation::FirstAnswer(FirstAnswer {
            id,
            ts: at(ms),
            refused,
            answerer: Endpoint {
                ip: answerer.0,
                port: answerer.1,
                mac: [0; 6],
            },
            by_responder: true,
        }));
    }

    fn unreachable(&mut self, ms: u64, dst: IpAddr, port: u16, proto: u8) {
        self.feed(Observation::Unreachable(Unreachable {
            ts: at(ms),
            reporter: dst,
            src: ip(CAM),
            dst,
            dst_port: port,
            proto,
        }));
    }

    fn arp(&mut self, ms: u64, operation: u16, sender: IpAddr, target: IpAddr) {
        self.feed(Observation::Arp(Arp {
            ts: at(ms),
            operation,
            sender_mac: [0; 6],
            sender_ip: sender,
            target_ip: target,
            vlan: 20,
        }));
    }

    /// Something else happening at `ms` (moves packet time on).
    fn tick(&mut self, ms: u64) {
        self.feed(Observation::DnsAnswer(DnsAnswer {
            ts: at(ms),
            client: ip(WORKSTATION),
            name: "x.example".into(),
            address: ip([192, 0, 2, 1]),
        }));
    }

    fn of(&self, rule: Rule) -> Vec<&Alert> {
        self.alerts
            .iter()
            .filter(|a| a.rule.id == rule.id)
            .collect()
    }
}

fn evidence_u64(alert: &Alert, key: &str) -> u64 {
    alert.evidence[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} in {:?}", alert.evidence))
}

/// A finished flow as the flow table reports it: a TCP SYN from
/// `src:sport` (IPv4) at `ms` with input position `seq`, nothing back.
fn ended_flow(ms: u64, seq: u64, src: IpAddr, sport: u16, dst: IpAddr, dport: u16) -> Flow {
    let (IpAddr::V4(s), IpAddr::V4(d)) = (src, dst) else {
        panic!("IPv4 only");
    };
    let mut frame = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00];
    frame.extend_from_slice(&[0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0]);
    frame.extend_from_slice(&s.octets());
    frame.extend_from_slice(&d.octets());
    frame.extend_from_slice(&sport.to_be_bytes());
    frame.extend_from_slice(&dport.to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
    let Ok(Decoded::Ip(view)) = decode(LinkType::Ethernet, &frame) else {
        panic!("a TCP SYN decodes");
    };
    let mut table = FlowTable::new(16, Timeouts::default());
    let key = FlowKey::new(src, sport, dst, dport, 6, 0, 0);
    table.update(&view, key, 60, at(ms), seq, &mut |_, _| {});
    let mut ended = None;
    table.flush(at(ms + 60_000), &mut |flow, _| ended = Some(flow.clone()));
    ended.expect("the flow ends at flush")
}

#[test]
fn defaults_need_four_failures() {
    let s = ScanSettings::default();
    let per_failure = ((1.0 - s.theta1) / (1.0 - s.theta0)).ln();
    let needed = (s.upper_threshold().ln() / per_failure).ceil();
    assert_eq!(needed, 4.0);
}

#[test]
fn trw_alarms_on_the_fourth_failed_first_contact() {
    let mut h = Harness::new();
    for n in 0..3 {
        h.start(1_000 + n * 100, stranger(n as u32), 23, 6);
    }
    assert!(h.alerts.is_empty(), "{:?}", h.alerts);
    h.start(1_300, stranger(3), 23, 6);
    let trw = h.of(RULE_TRW);
    assert_eq!(trw.len(), 1);
    let alert = trw[0];
    assert_eq!(alert.rule.category, Category::Scan);
    assert_eq!(alert.source_ip, ip(CAM));
    assert_eq!(alert.evidence_ts, at(1_300));
    assert_eq!(alert.ts, at(1_300), "a host nothing allows fails at once");
    assert_eq!(evidence_u64(alert, "failures"), 4);
    assert_eq!(evidence_u64(alert, "successes"), 0);
    assert_eq!(evidence_u64(alert, "not_allowed"), 4);
    assert_eq!(alert.evidence["likelihood_ratio"], json!(256.0));
    assert_eq!(alert.evidence["threshold"], json!(99.0));
    assert_eq!(alert.evidence["ports"], json!([23]));
    assert_eq!(alert.evidence["span_s"], json!(0.3));
    assert_eq!(alert.vlan, Some(20));
    let targets: Vec<String> = (0..4).map(|n| stranger(n).to_string()).collect();
    assert_eq!(alert.evidence["targets"], json!(targets));
}

#[test]
fn a_second_flow_to_the_same_host_is_no_first_contact() {
    let mut h = Harness::new();
    for port in [23, 80, 443, 8080, 554, 8000] {
        h.start(1_000 + u64::from(port), stranger(0), port, 6);
    }
    assert!(h.of(RULE_TRW).is_empty());
}

#[test]
fn not_allowed_fails_even_when_answered() {
    let mut h = Harness::new();
    for n in 0..4 {
        let id = h.start(1_000 + n * 100, stranger(n as u32), 80, 6);
        h.answer(1_001 + n * 100, id, false);
    }
    assert_eq!(h.of(RULE_TRW).len(), 1);
}

#[test]
fn successes_to_allowed_peers_pull_the_walk_back() {
    let mut h = Harness::new();
    let mut t = 1_000;
    for n in 0..3 {
        h.start(t, stranger(n), 23, 6);
        t += 100;
    }
    // Ratio 64, then a recorder answers: 16.
    let id = h.start(t, recorder(0), 554, 6);
    h.answer(t + 1, id, false);
    t += 100;
    // 64: still below 99.
    h.start(t, stranger(3), 23, 6);
    t += 100;
    assert!(h.of(RULE_TRW).is_empty());
    // 256.
    h.start(t, stranger(4), 23, 6);
    let trw = h.of(RULE_TRW);
    assert_eq!(trw.len(), 1);
    assert_eq!(evidence_u64(trw[0], "failures"), 5);
    assert_eq!(evidence_u64(trw[0], "successes"), 1);
    assert_eq!(evidence_u64(trw[0], "first_contacts"), 6);
}

#[test]
fn enough_successes_declare_the_camera_benign_and_restart_the_walk() {
    let mut h = Harness::new();
    let mut t = 1_000;
    // Three failures (64), then seven successes: 64 / 4^7 < eta0, and
    // the walk restarts at 1 instead of carrying the credit.
    for n in 0..3 {
        h.start(t, stranger(n), 23, 6);
        t += 100;
    }
    for n in 0..7 {
        let id = h.start(t, recorder(n), 554, 6);
        h.answer(t + 1, id, false);
        t += 100;
    }
    for n in 3..6 {
        h.start(t, stranger(n), 23, 6);
        t += 100;
    }
    assert!(h.of(RULE_TRW).is_empty());
    h.start(t, stranger(6), 23, 6);
    let trw = h.of(RULE_TRW);
    assert_eq!(trw.len(), 1);
    assert_eq!(evidence_u64(trw[0], "failures"), 4);
    assert_eq!(evidence_u64(trw[0], "successes"), 0);
}

#[test]
fn refused_and_unanswered_contacts_to_allowed_peers_fail() {
    let mut h = Harness::new();
    // Refused: known at the answer.
    let id = h.start(1_000, recorder(0), 23, 6);
    h.answer(1_001, id, true);
    // Unanswered TCP: known once the wait is over.
    h.start(1_100, recorder(1), 23, 6);
    h.start(1_200, recorder(2), 23, 6);
    let id = h.start(1_300, recorder(3), 23, 6);
    h.answer(1_301, id, true);
    assert!(h.of(RULE_TRW).is_empty(), "the two silent ones still wait");
    h.tick(1_100 + ANSWER_WAIT / 1_000_000 - 1);
    assert!(h.of(RULE_TRW).is_empty());
    h.tick(1_200 + ANSWER_WAIT / 1_000_000);
    let trw = h.of(RULE_TRW);
    assert_eq!(trw.len(), 1);
    let alert = trw[0];
    assert_eq!(evidence_u64(alert, "refused"), 2);
    assert_eq!(evidence_u64(alert, "unanswered"), 2);
    assert_eq!(evidence_u64(alert, "not_allowed"), 0);
    // The crossing contact is the one sent at 1.2 s; known 5 s later.
    assert_eq!(alert.evidence_ts, at(1_200));
    assert_eq!(alert.ts.since(alert.evidence_ts), ANSWER_WAIT);
}

#[test]
fn udp_unreachable_fails_and_udp_silence_does_not() {
    let mut h = Harness::new();
    let mut t = 1_000;
    // Silent UDP peers (RTP, syslog) are successes once the wait is over.
    for n in 0..4 {
        h.start(t, recorder(n), 514, 17);
        t += 10;
    }
    h.tick(t + 6_000);
    assert!(h.alerts.is_empty());
    // Four successes took the ratio to 1/256, below eta0: the walk
    // restarted at 1, so four ICMP port unreachables now alarm.
    t += 10_000;
    for n in 4..8 {
        h.start(t, recorder(n), 161, 17);
        h.unreachable(t + 1, recorder(n), 161, 17);
        t += 10;
    }
    let trw = h.of(RULE_TRW);
    assert_eq!(trw.len(), 1, "{:?}", h.alerts);
    assert_eq!(evidence_u64(trw[0], "unreachable"), 4);
    assert_eq!(evidence_u64(trw[0], "successes"), 0);
    // An unreachable for another port of a pending host is not its
    // outcome.
    let mut h = Harness::new();
    h.start(1_000, recorder(0), 161, 17);
    h.unreachable(1_001, recorder(0), 162, 17);
    assert_eq!(h.scan.pending.len(), 1);
    h.unreachable(1_002, recorder(0), 161, 17);
    assert!(h.scan.pending.is_empty());
}

#[test]
fn flow_end_and_end_of_input_resolve_waiting_contacts() {
    let mut h = Harness::new();
    let mut t = 1_000;
    for n in 0..3 {
        h.start(t, stranger(n), 23, 6);
        t += 100;
    }
    let id = h.start(t, recorder(0), 23, 6);
    assert!(h.of(RULE_TRW).is_empty());
    let (src, sport) = if id.key.addr_lo == ip(CAM) {
        (id.key.addr_lo, id.key.port_lo)
    } else {
        (id.key.addr_hi, id.key.port_hi)
    };
    let flow = ended_flow(t, id.first_seq, src, sport, recorder(0), 23);
    assert_eq!(
        FlowId {
            key: flow.key,
            first_seq: flow.first_seq
        },
        id
    );
    h.feed(Observation::FlowEnd(FlowEnd {
        flow: Box::new(flow),
        reason: crate::flow::EndReason::Timeout,
    }));
    assert_eq!(h.of(RULE_TRW).len(), 1);

    // Still waiting at the end of input: unanswered.
    let mut h = Harness::new();
    for n in 0..3 {
        h.start(1_000 + n * 100, stranger(n as u32), 23, 6);
    }
    h.start(1_300, recorder(0), 23, 6);
    assert!(h.alerts.is_empty());
    h.finish(at(2_000));
    let trw = h.of(RULE_TRW);
    assert_eq!(trw.len(), 1);
    assert_eq!(trw[0].evidence_ts, at(1_300));
    assert_eq!(trw[0].ts, at(2_000));
    assert!(h.scan.pending.is_empty() && h.scan.deadlines.is_empty());
}

#[test]
fn a_walk_idle_for_the_long_window_starts_over() {
    let mut h = Harness::new();
    for n in 0..3 {
        h.start(1_000 + n * 100, stranger(n as u32), 23, 6);
    }
    let later = 1_200 + 3_600_001;
    h.start(later, stranger(3), 23, 6);
    assert!(h.of(RULE_TRW).is_empty());
}

#[test]
fn one_alert_per_rule_until_the_realert_interval_passes() {
    let mut h = Harness::new();
    let mut n = 0;
    let mut burst = |h: &mut Harness, t: u64| {
        for k in 0..4 {
            h.start(t + k * 100, stranger(n), 23, 6);
            n += 1;
        }
    };
    burst(&mut h, 1_000);
    burst(&mut h, 60_000);
    assert_eq!(h.of(RULE_TRW).len(), 1);
    burst(&mut h, 1_000 + 3_600_000);
    assert_eq!(h.of(RULE_TRW).len(), 2);
}

#[test]
fn distinct_hosts_in_the_short_window() {
    let mut h = Harness::new();
    // 19 hosts in a minute: nothing; spread thinly, 30 do nothing either.
    for n in 0..19 {
        h.start(1_000 + u64::from(n) * 1_000, stranger(n), 80, 6);
    }
    assert!(h.of(RULE_HOSTS).is_empty());
    h.start(20_000, stranger(19), 80, 6);
    let hosts = h.of(RULE_HOSTS);
    assert_eq!(hosts.len(), 1);
    let alert = hosts[0];
    assert_eq!(alert.evidence_ts, at(20_000));
    assert_eq!(alert.ts, alert.evidence_ts);
    assert_eq!(evidence_u64(alert, "distinct_hosts"), 20);
    assert_eq!(evidence_u64(alert, "threshold"), 20);
    assert_eq!(evidence_u64(alert, "failures"), 20);
    assert_eq!(evidence_u64(alert, "first_contacts"), 20);
    assert_eq!(alert.evidence["window_s"], json!(60.0));
    assert_eq!(alert.evidence["span_s"], json!(19.0));
    assert_eq!(alert.evidence["ports"], json!([80]));
    assert_eq!(alert.evidence["transports"], json!(["tcp"]));
    assert!(h.of(RULE_SLOW).is_empty(), "not a slow scan");

    let mut h = Harness::new();
    for n in 0..30 {
        h.start(1_000 + u64::from(n) * 4_000, stranger(n), 80, 6);
    }
    assert!(h.of(RULE_HOSTS).is_empty(), "15 per minute at most");
}

#[test]
fn distinct_hosts_in_the_long_window() {
    let mut h = Harness::new();
    // One probe every 45 s: never 20 in a minute, 50 within 37 min.
    for n in 0..49 {
        h.start(1_000 + u64::from(n) * 45_000, stranger(n), 23, 6);
    }
    assert!(h.of(RULE_SLOW).is_empty());
    let t = 1_000 + 49 * 45_000;
    h.start(t, stranger(49), 23, 6);
    let slow = h.of(RULE_SLOW);
    assert_eq!(slow.len(), 1);
    assert_eq!(evidence_u64(slow[0], "distinct_hosts"), 50);
    assert_eq!(evidence_u64(slow[0], "failures"), 50);
    assert_eq!(slow[0].evidence["window_s"], json!(3600.0));
    assert_eq!(slow[0].evidence_ts, at(t));
    assert!(h.of(RULE_HOSTS).is_empty());
}

#[test]
fn distinct_ports_of_one_host() {
    let mut h = Harness::new();
    for port in 1..20u16 {
        h.start(1_000 + u64::from(port) * 10, recorder(0), port, 17);
        if port % 2 == 0 {
            h.unreachable(1_001 + u64::from(port) * 10, recorder(0), port, 17);
        }
    }
    assert!(h.of(RULE_PORTS).is_empty());
    h.start(2_000, recorder(0), 20, 17);
    let ports = h.of(RULE_PORTS);
    assert_eq!(ports.len(), 1);
    let alert = ports[0];
    assert_eq!(alert.destination_ip, Some(recorder(0)));
    assert_eq!(alert.transport, Some("udp"));
    assert_eq!(alert.rule.action, "port-scan");
    assert_eq!(evidence_u64(alert, "distinct_ports"), 20);
    assert_eq!(evidence_u64(alert, "unreachable"), 9);
    assert_eq!(alert.evidence["target"], json!("10.1.0.1"));
    assert_eq!(
        alert.evidence["ports"],
        json!((1..=20).collect::<Vec<u16>>())
    );
    // A vertical scan is one first contact for the walk.
    assert!(h.of(RULE_TRW).is_empty());
    // Ports spread over more than a minute do not add up.
    let mut h = Harness::new();
    for port in 1..40u16 {
        h.start(u64::from(port) * 4_000, recorder(0), port, 6);
    }
    assert!(h.of(RULE_PORTS).is_empty());
}

#[test]
fn arp_sweep() {
    let mut h = Harness::new();
    let cam = ip(CAM);
    // Gratuitous ARP, RFC 5227 probes and replies are not requests for
    // other hosts.
    h.arp(500, 1, cam, cam);
    h.arp(501, 1, ip([0, 0, 0, 0]), cam);
    for n in 0..15 {
        h.arp(1_000 + n * 5, 1, cam, stranger(n as u32));
    }
    h.arp(1_001, 2, stranger(0), cam);
    h.arp(1_002, 1, cam, stranger(0));
    assert!(h.of(RULE_ARP).is_empty());
    h.arp(1_100, 1, cam, stranger(15));
    let arp = h.of(RULE_ARP);
    assert_eq!(arp.len(), 1);
    let alert = arp[0];
    assert_eq!(alert.rule.action, "arp-sweep");
    assert_eq!(alert.evidence_ts, at(1_100));
    assert_eq!(evidence_u64(alert, "distinct_targets"), 16);
    assert_eq!(evidence_u64(alert, "answered"), 1);
    assert_eq!(evidence_u64(alert, "failures"), 15);
    assert_eq!(alert.vlan, Some(20));
    // A workstation sweeping is not a camera's business here.
    for n in 0..40 {
        h.arp(2_000 + n, 1, ip(WORKSTATION), stranger(n as u32));
    }
    assert_eq!(h.of(RULE_ARP).len(), 1);
}

#[test]
fn arp_requests_spread_over_the_window_do_not_add_up() {
    let mut h = Harness::new();
    for n in 0..40 {
        h.arp(u64::from(n) * 5_000, 1, ip(CAM), stranger(n));
    }
    assert!(h.of(RULE_ARP).is_empty());
}

#[test]
fn only_cameras_are_judged_and_learning_does_not_silence_them() {
    // A workstation and a recorder probing widely: nothing.
    let mut h = Harness::new();
    for n in 0..60 {
        h.flow_from(
            1_000 + n,
            ip(WORKSTATION),
            stranger(n as u32),
            23,
            6,
            [0; 6],
        );
        h.flow_from(1_000 + n, recorder(0), stranger(n as u32), 554, 6, [0; 6]);
    }
    assert!(h.alerts.is_empty(), "{:?}", h.alerts);

    // A camera in its learning period: every host it contacts is learned
    // (allowed), but the probes still fail, and 20 hosts in a minute are
    // still 20 hosts.
    let mut h = Harness::with_policy(POLICY, 600 * NANOS_PER_SEC);
    for n in 0..60 {
        h.start(1_000 + n, stranger(n as u32), 23, 6);
    }
    assert_eq!(h.of(RULE_HOSTS).len(), 1);
    assert!(h.of(RULE_TRW).is_empty(), "the outcomes are not known yet");
    h.tick(1_003 + ANSWER_WAIT / 1_000_000);
    let trw = h.of(RULE_TRW);
    assert_eq!(trw.len(), 1, "{:?}", h.alerts);
    assert_eq!(evidence_u64(trw[0], "unanswered"), 4);
    assert_eq!(evidence_u64(trw[0], "not_allowed"), 0);
}

#[test]
fn replies_broadcasts_and_external_hosts_are_not_probes() {
    let mut h = Harness::new();
    let cam = ip(CAM);
    for n in 0..30u32 {
        let t = 1_000 + u64::from(n);
        // The camera's web server answering a client whose SYN was not
        // seen: from port 80 to an ephemeral port.
        h.seq += 1;
        let (key, _) = FlowKey::new(cam, 80, stranger(n), 50_000, 6, 0, 0);
        h.feed(Observation::FlowStart(FlowStart {
            id: FlowId {
                key,
                first_seq: h.seq,
            },
            ts: at(t),
            initiator: Endpoint {
                ip: cam,
                port: 80,
                mac: [0; 6],
            },
            responder: Endpoint {
                ip: stranger(n),
                port: 50_000,
                mac: [0; 6],
            },
            proto: 6,
            vlan: 0,
            icmp_one_way: false,
            first_bytes: 60,
            midstream: false,
            sender_is_initiator: true,
            media: false,
        }));
        // Subnet-directed broadcast, multicast, the outside world.
        h.flow_from(t, cam, ip([10, 0, 0, 255]), 9_000 + n as u16, 17, [0xff; 6]);
        h.start(t, ip([239, 255, 255, 250]), 3_702 + n as u16, 17);
        // The outside world is not the LAN, and answered Internet peers
        // are no worm's probes.
        let id = h.start(t, ip([198, 51, 100, n as u8]), 23, 6);
        h.answer(t, id, false);
    }
    assert!(h.alerts.is_empty(), "{:?}", h.alerts);
}

#[test]
fn hosts_that_contacted_the_camera_are_known() {
    let mut h = Harness::new();
    for n in 0..4 {
        h.flow_from(1_000 + n, stranger(n as u32), ip(CAM), 80, 6, [0; 6]);
    }
    for n in 0..4 {
        h.start(2_000 + n, stranger(n as u32), 5_000, 6);
    }
    assert!(h.of(RULE_TRW).is_empty());
}

#[test]
fn distinct_window_counts_what_it_cannot_store() {
    let mut w: DistinctWindow<u32> = DistinctWindow::new(3);
    for k in 0..5 {
        assert!(w.insert(k, at(u64::from(k))));
    }
    assert!(!w.insert(1, at(10)));
    assert_eq!(w.entered.len(), 3);
    assert_eq!(w.count(), 5);
    w.expire(at(1_000), 10_000_000_000, |_| {});
    assert_eq!(w.count(), 5, "all within 10 s");
    let mut gone = Vec::new();
    w.expire(at(20_000), 10_000_000_000, |k| gone.push(k));
    assert_eq!(gone, [0, 1, 2]);
    assert_eq!(w.count(), 0);
}

#[test]
fn memory_stays_bounded() {
    let mut h = Harness::new();
    // Far more hosts than remembered, each with two ports, ten a second.
    let hosts = (MAX_CONTACTED + 500) as u32;
    for n in 0..hosts {
        let t = 1_000 + u64::from(n) * 100;
        h.start(t, stranger(n), 23, 6);
        h.start(t, stranger(n), 80, 6);
    }
    let state = &h.scan.cameras[&ip(CAM)];
    assert_eq!(state.contacted.len(), MAX_CONTACTED);
    assert_eq!(state.contacted_order.len(), MAX_CONTACTED);
    assert!(state.ports.len() <= MAX_PORT_HOSTS);
    assert!(state.hosts_long.entered.len() <= MAX_WINDOW_KEYS);
    assert!(
        state.hosts_long.count()
            >= u64::from(h.knowledge.policy.detect().scan.distinct_hosts_long.count())
    );
    assert!(state.outcomes.len() <= MAX_OUTCOMES);
    assert!(state.capped > 0);

    // First contacts waiting for answers: bounded per camera.
    let mut h = Harness::new();
    for n in 0..(MAX_PENDING_PER_CAMERA as u32 + 50) {
        h.start(1_000, recorder(n), 554, 6);
    }
    assert_eq!(h.scan.pending.len(), MAX_PENDING_PER_CAMERA);
    assert_eq!(h.scan.cameras[&ip(CAM)].pending, MAX_PENDING_PER_CAMERA);
    // The 50 without waiting room, and hosts whose ports were dropped.
    assert!(h.scan.cameras[&ip(CAM)].capped >= 50);
    assert!(h.scan.cameras[&ip(CAM)].ports.len() <= MAX_PORT_HOSTS);
    h.tick(1_000 + ANSWER_WAIT / 1_000_000);
    assert!(h.scan.pending.is_empty());
    assert!(h.scan.deadlines.is_empty());
    assert_eq!(h.scan.cameras[&ip(CAM)].pending, 0);
}

#[test]
fn alerts_are_the_same_for_the_same_input() {
    let run = || {
        let mut h = Harness::new();
        for n in 0..120u32 {
            let t = 1_000 + u64::from(n) * 7;
            let id = h.start(t, stranger(n % 70), 20 + (n % 25) as u16, 6);
            if n % 3 == 0 {
                h.answer(t + 1, id, n % 2 == 0);
            }
            h.arp(t, 1, ip(CAM), stranger(n));
        }
        h.finish(at(10_000));
        h.alerts
    };
    let first = run();
    // The walk, the short host window and the ARP sweep.
    assert_eq!(first.len(), 3, "{first:?}");
    assert_eq!(first, run());
}

/// A deterministic stream of numbers (SplitMix64) for test traffic.
fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed
        .wrapping_add(n.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A public address drawn from `x` (never one of the internal blocks).
fn public(x: u64) -> IpAddr {
    const FIRST: [u8; 16] = [
        23, 31, 45, 58, 61, 77, 89, 101, 112, 125, 141, 152, 163, 185, 203, 217,
    ];
    let b = x.to_le_bytes();
    IpAddr::from([FIRST[usize::from(b[0] % 16)], b[1], b[2], b[3].max(1)])
}

/// What comes back for a flow of a timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Back {
    /// An answer 1 ms later.
    Answer,
    /// A TCP RST 1 ms later.
    Refuse,
    /// Nothing.
    Silence,
}

/// One event of a timeline, at a time in ms.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// The camera asks ARP for an address; the host there replies 1 ms
    /// later when `true`.
    Arp(IpAddr, bool),
    /// Any ARP packet: operation, sender, target.
    RawArp(u16, IpAddr, IpAddr),
    /// The camera starts a flow to `dst:port` over `proto`.
    Flow(IpAddr, u16, u8, Back),
    /// A host starts a flow to the camera's port.
    Inbound(IpAddr, u16),
}

impl Harness {
    /// Feeds `events` in time order (stable for equal times).
    fn play(&mut self, mut events: Vec<(u64, Event)>) {
        events.sort_by_key(|(t, _)| *t);
        let cam = ip(CAM);
        for (t, event) in events {
            match event {
                Event::Arp(target, answered) => {
                    self.arp(t, 1, cam, target);
                    if answered {
                        self.arp(t + 1, 2, target, cam);
                    }
                }
                Event::RawArp(operation, sender, target) => self.arp(t, operation, sender, target),
                Event::Flow(dst, port, proto, back) => {
                    let id = self.start(t, dst, port, proto);
                    match back {
                        Back::Answer => self.answer(t + 1, id, false),
                        Back::Refuse => self.answer(t + 1, id, true),
                        Back::Silence => {}
                    }
                }
                Event::Inbound(src, port) => {
                    self.flow_from(t, src, cam, port, 6, [0; 6]);
                }
            }
        }
    }

    /// Scan alerts raised so far, as (rule id, seconds after `since_ms`).
    fn raised_since(&self, since_ms: u64) -> Vec<(&'static str, f64)> {
        self.alerts
            .iter()
            .map(|a| (a.rule.id, a.ts.since(at(since_ms)) as f64 / 1e9))
            .collect()
    }
}
