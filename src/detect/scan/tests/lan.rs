//! Distinct LAN hosts and ports (rules 2 to 4), ARP sweeps (rule 5), what
//! counts as a probe, and memory bounds.

use super::*;

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
            interface: 0,
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
        h.site.alerts
    };
    let first = run();
    // The walk, the short host window and the ARP sweep.
    assert_eq!(first.len(), 3, "{first:?}");
    assert_eq!(first, run());
}
