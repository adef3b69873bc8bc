//! Threshold Random Walk (rule 1): first contacts, their outcomes, and
//! when the walk alarms, resets or re-alerts.

use super::*;

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
    assert_eq!(alert.evidence["likelihood_threshold"], json!(99.0));
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
