//! Internet scans (rule 7) and the Internet peers of healthy cameras.

use super::*;

const WORM_PORTS: [u16; 8] = [23, 2323, 80, 8080, 5555, 7547, 37_215, 52_869];

/// Probe `n` of a worm: a random Internet address and one of its ports
/// (telnet three times in four, as Mirai does).
fn worm_probe(seed: u64, n: u64) -> (IpAddr, u16) {
    let x = mix(seed, n);
    let port = if x >> 60 < 12 {
        23
    } else {
        WORM_PORTS[(x >> 56) as usize % WORM_PORTS.len()]
    };
    (public(x), port)
}

#[test]
fn a_fast_worm_is_flagged_on_its_tenth_probe() {
    let mut h = Harness::new();
    // One SYN every 10 ms; one address in 20 has a host that answers 100
    // ms later, one in 25 refuses at once.
    let mut answers = Vec::new();
    for n in 0..2_000u64 {
        let t = 1_000 + n * 10;
        while let Some(&(when, id, refused)) = answers.first() {
            if when > t {
                break;
            }
            answers.remove(0);
            h.answer(when, id, refused);
        }
        let (dst, port) = worm_probe(7, n);
        let id = h.start(t, dst, port, 6);
        if n % 20 == 3 {
            answers.push((t + 100, id, false));
        } else if n % 25 == 4 {
            h.answer(t, id, true);
        }
        if n == 9 {
            let worm = h.of(RULE_INTERNET);
            assert_eq!(worm.len(), 1, "the tenth probe: {:?}", h.alerts);
        }
    }
    h.finish(at(30_000));
    let worm = h.of(RULE_INTERNET);
    assert_eq!(worm.len(), 1, "one alert per re-alert interval");
    let alert = worm[0];
    assert_eq!(alert.rule.action, "internet-scan");
    assert_eq!(alert.rule.category, Category::Scan);
    assert_eq!(alert.ts, alert.evidence_ts, "known at the crossing probe");
    assert_eq!(alert.evidence_ts, at(1_000 + 9 * 10));
    let (dst, port) = worm_probe(7, 9);
    assert_eq!(alert.destination_ip, Some(dst));
    assert_eq!(alert.destination_port, Some(port));
    assert_eq!(alert.transport, Some("tcp"));
    assert!(alert.community_id.is_some());
    assert_eq!(evidence_u64(alert, "distinct_destinations"), 10);
    assert_eq!(evidence_u64(alert, "not_answered"), 10);
    assert_eq!(evidence_u64(alert, "threshold"), 10);
    // The probe answered 100 ms later still waits; the refused one failed.
    assert_eq!(evidence_u64(alert, "refused"), 1);
    assert_eq!(evidence_u64(alert, "answered"), 0);
    assert_eq!(evidence_u64(alert, "pending"), 9);
    assert_eq!(alert.evidence["window_s"], json!(600.0));
    assert_eq!(alert.evidence["span_s"], json!(0.09));
    assert_eq!(alert.evidence["targets"].as_array().map(Vec::len), Some(10));
    assert_eq!(
        alert.evidence["targets"][0],
        json!(worm_probe(7, 0).0.to_string())
    );
    let top = alert.evidence["top_ports"].as_array().expect("a list");
    assert_eq!(top[0]["port"], json!(23));
    let total: u64 = top.iter().filter_map(|p| p["count"].as_u64()).sum();
    assert_eq!(total, 10);
    // Nothing about the LAN.
    assert_eq!(h.alerts.len(), 1, "{:?}", h.alerts);
}

#[test]
fn a_slow_worm_is_flagged_within_twenty_probes() {
    for seed in 0..8 {
        let mut h = Harness::new();
        // One SYN every 2 s; three addresses in ten answer (SYN-ACK 80 ms
        // later), the rest stay silent.
        let mut flagged = None;
        for n in 0..100u64 {
            let t = 1_000 + n * 2_000;
            let (dst, port) = worm_probe(seed, n);
            let id = h.start(t, dst, port, 6);
            if mix(seed ^ 0xa5, n) % 10 < 3 {
                h.answer(t + 80, id, false);
            }
            if flagged.is_none() && !h.of(RULE_INTERNET).is_empty() {
                flagged = Some(n + 1);
            }
        }
        let probes = flagged.expect("flagged");
        println!("seed {seed}: slow worm flagged on probe {probes}");
        assert!(probes <= 20, "seed {seed}: {probes}");
        let worm = h.of(RULE_INTERNET);
        assert_eq!(worm.len(), 1);
        let alert = worm[0];
        assert!(evidence_u64(alert, "answered") > 0);
        assert_eq!(evidence_u64(alert, "not_answered"), 10);
        let silent = evidence_u64(alert, "unanswered") + evidence_u64(alert, "pending");
        assert_eq!(silent, 10, "{:?}", alert.evidence);
        let answered = evidence_u64(alert, "answered") as f64;
        let distinct = evidence_u64(alert, "distinct_destinations") as f64;
        assert_eq!(
            alert.evidence["answer_ratio"],
            json!(round3(answered / distinct))
        );
    }
}

#[test]
fn unreachable_probes_fail_and_answered_ones_leave_the_count() {
    let mut h = Harness::new();
    let cam = ip(CAM);
    // Answered probes never add up, however many.
    for n in 0..100u64 {
        let t = 1_000 + n * 100;
        let (dst, port) = worm_probe(3, n);
        let id = h.start(t, dst, port, 6);
        h.answer(t + 20, id, false);
    }
    for n in 100..109u64 {
        let t = 20_000 + n * 100;
        let (dst, port) = worm_probe(3, n);
        h.start(t, dst, port, 6);
        h.feed(Observation::Unreachable(Unreachable {
            ts: at(t + 1),
            reporter: ip([192, 0, 2, 1]),
            src: cam,
            dst,
            dst_port: port,
            proto: 6,
        }));
    }
    assert!(h.alerts.is_empty(), "{:?}", h.alerts);
    let (dst, port) = worm_probe(3, 300);
    h.start(40_000, dst, port, 6);
    let worm = h.of(RULE_INTERNET);
    assert_eq!(worm.len(), 1);
    assert_eq!(evidence_u64(worm[0], "unreachable"), 9);
    assert_eq!(evidence_u64(worm[0], "answered"), 100);
    assert_eq!(evidence_u64(worm[0], "distinct_destinations"), 110);
    assert_eq!(evidence_u64(worm[0], "not_answered"), 10);
}

#[test]
fn probes_older_than_the_window_are_forgotten() {
    let mut h = Harness::new();
    // Nine silent probes, then nine more 11 minutes later: never ten
    // within 10 minutes.
    for round in 0..2u64 {
        for n in 0..9u64 {
            let (dst, port) = worm_probe(5, round * 100 + n);
            h.start(1_000 + round * 660_000 + n * 1_000, dst, port, 6);
        }
    }
    assert!(h.alerts.is_empty(), "{:?}", h.alerts);
    assert_eq!(h.scan.internet_order.len(), 9);
}

#[test]
fn udp_and_connections_to_the_lan_are_not_internet_probes() {
    let mut h = Harness::new();
    for n in 0..40u64 {
        let (dst, _) = worm_probe(9, n);
        h.start(1_000 + n * 10, dst, 37_215, 17);
    }
    assert!(h.of(RULE_INTERNET).is_empty());
    assert!(h.scan.internet_order.is_empty());
}

/// A P2P camera from `start` to `end`: HTTPS to four cloud addresses and
/// NTP to two pool servers, all answered; UDP to 30 relays, most of them
/// silent; a dead cloud server retried every 30 s, and three addresses of
/// a load-balanced cloud name that time out during an outage.
fn p2p_camera(start: u64, end: u64) -> Vec<(u64, Event)> {
    let mut events = Vec::new();
    let mut t = start;
    let mut k = 0u64;
    while t < end {
        if k.is_multiple_of(10) {
            for n in 0..4 {
                events.push((t + n, Event::Flow(public(100 + n), 443, 6, Back::Answer)));
            }
            for n in 0..2 {
                events.push((
                    t + 10 + n,
                    Event::Flow(public(200 + n), 123, 17, Back::Answer),
                ));
            }
        }
        for n in 0..30 {
            let back = if n % 3 == 0 {
                Back::Answer
            } else {
                Back::Silence
            };
            events.push((t + 100 + n, Event::Flow(public(300 + n), 32_100, 17, back)));
        }
        events.push((t + 500, Event::Flow(public(400), 443, 6, Back::Silence)));
        events.push((t + 30_500, Event::Flow(public(400), 443, 6, Back::Silence)));
        if k == 30 {
            for n in 0..3 {
                events.push((
                    t + 700 + n,
                    Event::Flow(public(500 + n), 443, 6, Back::Silence),
                ));
            }
        }
        t += 60_000;
        k += 1;
    }
    events
}

#[test]
fn cloud_ntp_and_p2p_relays_stay_silent() {
    let hour = 3_600 * NANOS_PER_SEC;
    for (policy, learn_for) in [("", hour), ("", 0), (POLICY, 0)] {
        let mut h = Harness::with_policy(policy, learn_for);
        h.play(p2p_camera(1_000, 6 * 3_600_000));
        h.finish(at(6 * 3_600_000));
        assert!(
            h.alerts.is_empty(),
            "{policy:?} {learn_for}: {:?}",
            h.alerts
        );
    }
}
