//! Failed ARP requests, the failed-contact windows (rule 6), slow sweeps
//! and a healthy camera's day.

use super::*;

const MINUTE: u64 = 60_000;
const HOUR: u64 = 60 * MINUTE;

/// The answer wait in ms.
const WAIT_MS: u64 = ANSWER_WAIT / 1_000_000;

/// Address `n` of 10.0.3.0/24 and up: no host there.
fn absent(n: u64) -> IpAddr {
    IpAddr::from([10, 0, 3 + (n / 250) as u8, (n % 250) as u8 + 1])
}

/// Address `n` of 10.0.9.0/24: a live host (a workstation, a printer).
fn live(n: u64) -> IpAddr {
    IpAddr::from([10, 0, 9, (n % 250) as u8 + 1])
}

const GATEWAY: [u8; 4] = [10, 0, 0, 1];
const ZERO_CONFIG: &str = "";

#[test]
fn an_unanswered_arp_request_is_a_failed_first_contact() {
    let mut h = Harness::new();
    let cam = ip(CAM);
    // Answered, followed by a flow, or for a host the camera knows: none
    // of these fail.
    h.arp(1_000, 1, cam, stranger(0));
    h.arp(1_001, 2, stranger(0), cam);
    h.arp(1_100, 1, cam, recorder(0));
    let id = h.start(1_102, recorder(0), 554, 6);
    h.answer(1_103, id, false);
    h.arp(1_200, 1, cam, recorder(0));
    // Three requests a second apart for one dead address: one failure.
    h.arp(2_000, 1, cam, stranger(1));
    h.arp(2_001, 1, cam, stranger(2));
    h.arp(2_002, 1, cam, stranger(3));
    h.arp(3_000, 1, cam, stranger(1));
    h.arp(4_000, 1, cam, stranger(1));
    h.tick(2_000 + WAIT_MS - 1);
    assert!(h.alerts.is_empty(), "{:?}", h.alerts);
    assert_eq!(h.scan.arp_pending.len(), 3);
    h.tick(2_002 + WAIT_MS);
    assert!(h.alerts.is_empty(), "one success, three failures: 16");
    assert!(h.scan.arp_pending.is_empty());
    // Asked again later: the address is known now, no new contact.
    h.arp(20_000, 1, cam, stranger(1));
    h.tick(30_000);
    assert!(h.alerts.is_empty());
    h.arp(31_000, 1, cam, stranger(4));
    h.arp(31_001, 1, cam, stranger(5));
    h.tick(31_001 + WAIT_MS);
    let trw = h.of(RULE_TRW);
    assert_eq!(trw.len(), 1, "{:?}", h.alerts);
    let alert = trw[0];
    assert_eq!(evidence_u64(alert, "arp_unanswered"), 5);
    assert_eq!(evidence_u64(alert, "successes"), 1);
    assert_eq!(alert.destination_ip, Some(stranger(5)));
    assert_eq!(alert.destination_port, None);
    assert_eq!(alert.transport, None);
    assert_eq!(alert.community_id, None);
    assert_eq!(alert.evidence_ts, at(31_001));
    assert_eq!(alert.ts, at(31_001 + WAIT_MS));
    assert_eq!(alert.evidence["ports"], json!([]));
}

#[test]
fn a_host_showing_itself_answers_the_request() {
    let mut h = Harness::new();
    let cam = ip(CAM);
    // The host asks for the camera, or starts a flow to it, instead of
    // replying: it is there all the same.
    h.arp(1_000, 1, cam, stranger(0));
    h.arp(1_001, 1, stranger(0), cam);
    h.arp(1_100, 1, cam, stranger(1));
    h.flow_from(1_101, stranger(1), cam, 80, 6, [0; 6]);
    assert!(h.scan.arp_pending.is_empty());
    h.tick(10_000);
    assert!(h.alerts.is_empty());
}

/// A failed first contact to `absent(n)` at `t` (kind by `n`), then an
/// answered first contact to a recorder, so the walk never alarms.
fn fail_then_succeed(events: &mut Vec<(u64, Event)>, t: u64, n: u64) {
    let target = absent(n);
    let event = match n % 4 {
        0 => Event::Arp(target, false),
        1 => Event::Flow(target, 23, 6, Back::Refuse),
        2 => Event::Flow(target, 8000, 6, Back::Silence),
        _ => Event::Flow(target, 161, 17, Back::Silence),
    };
    events.push((t, event));
    events.push((
        t + 10,
        Event::Flow(recorder(n as u32), 554, 6, Back::Answer),
    ));
}

#[test]
fn failed_contacts_within_the_hour() {
    let mut h = Harness::new();
    let mut events = Vec::new();
    // Failures alternate with successes: the walk stays at 4 or below.
    for n in 0..12 {
        fail_then_succeed(&mut events, MINUTE + n * 5 * MINUTE, n);
    }
    h.play(events);
    h.tick(2 * HOUR);
    assert!(h.of(RULE_TRW).is_empty(), "{:?}", h.alerts);
    let failed = h.of(RULE_FAILED);
    // UDP silence is no failure: the 8th failure is n = 9 (n = 3 and 7
    // are silent UDP); a refusal, known 1 ms after the SYN.
    assert_eq!(failed.len(), 1, "{:?}", h.alerts);
    let alert = failed[0];
    assert_eq!(alert.rule.action, "lan-scan");
    assert_eq!(evidence_u64(alert, "failed_targets"), 8);
    assert_eq!(evidence_u64(alert, "threshold"), 8);
    assert_eq!(alert.evidence["window_s"], json!(3600.0));
    assert_eq!(evidence_u64(alert, "arp_unanswered"), 3);
    assert_eq!(evidence_u64(alert, "refused"), 3);
    assert_eq!(evidence_u64(alert, "unanswered"), 2);
    assert_eq!(evidence_u64(alert, "unreachable"), 0);
    assert!(alert.evidence.get("not_allowed").is_none());
    assert_eq!(alert.evidence["ports"], json!([23, 8000]));
    assert_eq!(alert.evidence_ts, at(MINUTE + 9 * 5 * MINUTE));
    assert_eq!(alert.ts, at(MINUTE + 9 * 5 * MINUTE + 1));
    assert_eq!(alert.evidence["targets"].as_array().map(Vec::len), Some(8));
}

#[test]
fn failed_contacts_within_the_day() {
    let mut h = Harness::new();
    let mut events = Vec::new();
    // One failure every 10 minutes, never 8 in an hour: the 20th in a day.
    for n in 0..24 {
        let n4 = n * 4;
        fail_then_succeed(&mut events, MINUTE + n * 10 * MINUTE, n4);
    }
    h.play(events);
    h.tick(6 * HOUR);
    assert!(h.of(RULE_TRW).is_empty(), "{:?}", h.alerts);
    let failed = h.of(RULE_FAILED);
    assert_eq!(evidence_u64(failed[0], "failed_targets"), 20);
    assert_eq!(failed[0].evidence["window_s"], json!(86_400.0));
    assert_eq!(failed[0].evidence_ts, at(MINUTE + 19 * 10 * MINUTE));
    // The sweep goes on: again once the re-alert interval is over.
    assert_eq!(failed.len(), 2, "{:?}", h.alerts);
    assert!(failed[1].ts.since(failed[0].ts) >= 3_600 * NANOS_PER_SEC);
}

#[test]
fn thresholds_come_from_the_policy() {
    let text = format!("{POLICY}\n[detect.scan]\nfailed_contacts = [\"3/10m\"]\n");
    let mut h = Harness::with_policy(&text, 0);
    let mut events = Vec::new();
    for n in 0..3 {
        fail_then_succeed(&mut events, MINUTE + n * 2 * MINUTE, n * 4);
    }
    h.play(events);
    h.tick(HOUR);
    let failed = h.of(RULE_FAILED);
    assert_eq!(failed.len(), 1, "{:?}", h.alerts);
    assert_eq!(failed[0].evidence["window_s"], json!(600.0));
}

/// A slow sweep from `start` for `minutes`, the gap after probe `i` being
/// `gap(i)` ms. Five probes in six are ARP requests for addresses without
/// a host (no reply, no IP packet); every sixth asks for a live host, which
/// replies, and then gets a SYN on a port a worm tries, which it accepts or
/// refuses.
fn slow_sweep(start: u64, minutes: u64, gap: impl Fn(u64) -> u64) -> Vec<(u64, Event)> {
    const PORTS: [u16; 6] = [22, 23, 80, 554, 2323, 8000];
    let mut events = Vec::new();
    let mut t = start;
    let mut i = 0;
    while t < start + minutes * MINUTE {
        if i % 6 == 5 {
            let host = live(i);
            let back = if i % 12 == 5 {
                Back::Answer
            } else {
                Back::Refuse
            };
            events.push((t, Event::Arp(host, true)));
            events.push((
                t + 3,
                Event::Flow(host, PORTS[(i / 6) as usize % 6], 6, back),
            ));
        } else {
            events.push((t, Event::Arp(absent(i), false)));
        }
        t += gap(i);
        i += 1;
    }
    events
}

/// A healthy camera from `start` to `end`: answered ARP refreshes of the
/// gateway and the recorder, DNS every minute and NTP every 10 minutes,
/// RTSP sessions from the recorder, HTTPS to two cloud addresses and NTP to
/// two pool servers, a dead syslog host on the segment asked for by ARP
/// every 5 minutes, a routed syslog server that never answers and an FTP
/// server that refuses, each retried, and a reboot at `reboot` (gratuitous
/// ARP, RFC 5227 probes, requests for the gateway and the recorder).
fn healthy(start: u64, end: u64, reboot: u64) -> Vec<(u64, Event)> {
    let cam = ip(CAM);
    let gateway = ip(GATEWAY);
    let nvr = recorder(0);
    let boot = |t: u64| {
        vec![
            (t, Event::RawArp(1, ip([0, 0, 0, 0]), cam)),
            (t + 200, Event::RawArp(1, ip([0, 0, 0, 0]), cam)),
            (t + 400, Event::RawArp(1, cam, cam)),
            (t + 600, Event::Arp(gateway, true)),
            (t + 800, Event::Arp(nvr, true)),
        ]
    };
    let mut events = boot(start);
    events.extend(boot(reboot));
    let mut t = start + 1_000;
    let mut k = 0u64;
    while t < end {
        events.push((t, Event::Flow(gateway, 53, 17, Back::Answer)));
        if k.is_multiple_of(4) {
            events.push((t + 100, Event::Arp(gateway, true)));
            events.push((t + 110, Event::Arp(nvr, true)));
        }
        if k.is_multiple_of(5) {
            events.push((t + 200, Event::Arp(ip([10, 0, 0, 50]), false)));
            events.push((
                t + 300,
                Event::Flow(ip([10, 5, 0, 1]), 514, 6, Back::Silence),
            ));
        }
        if k.is_multiple_of(10) {
            events.push((t + 400, Event::Flow(gateway, 123, 17, Back::Answer)));
            events.push((
                t + 500,
                Event::Flow(ip([10, 0, 0, 60]), 21, 6, Back::Refuse),
            ));
            events.push((t + 600, Event::Flow(public(1), 123, 17, Back::Answer)));
            events.push((t + 700, Event::Flow(public(2), 123, 17, Back::Answer)));
        }
        if k.is_multiple_of(15) {
            events.push((t + 800, Event::Flow(public(3), 443, 6, Back::Answer)));
            events.push((t + 900, Event::Flow(public(4), 443, 6, Back::Answer)));
        }
        if k.is_multiple_of(30) {
            events.push((t + 1_000, Event::Inbound(nvr, 554)));
        }
        t += MINUTE;
        k += 1;
    }
    events
}

/// The three ways a camera is met: zero configuration while it learns, the
/// same after its hour of learning, and with a policy.
fn modes() -> [(&'static str, &'static str, Nanos, u64); 3] {
    let hour = 3_600 * NANOS_PER_SEC;
    [
        ("learning", ZERO_CONFIG, hour, MINUTE),
        ("learned", ZERO_CONFIG, hour, 2 * HOUR),
        ("policy", POLICY, 0, MINUTE),
    ]
}

/// Runs a sweep with gaps `gap` over a healthy camera in every mode; the
/// first walk and failed-contact alerts, in seconds after the sweep began.
fn first_alerts(gap: impl Fn(u64) -> u64 + Copy) -> Vec<(&'static str, f64, f64)> {
    let mut found = Vec::new();
    for (mode, policy, learn_for, sweep_at) in modes() {
        let mut h = Harness::with_policy(policy, learn_for);
        let mut events = healthy(0, sweep_at + 40 * MINUTE, 12 * HOUR);
        events.extend(slow_sweep(sweep_at, 40, gap));
        h.play(events);
        let raised = h.raised_since(sweep_at);
        // Nothing fired before the sweep started (times saturate at 0).
        assert!(
            h.alerts.iter().all(|a| a.ts >= at(sweep_at)),
            "{mode}: {raised:?}"
        );
        let first = |rule: Rule| {
            raised
                .iter()
                .find(|(id, _)| *id == rule.id)
                .map_or(f64::INFINITY, |(_, s)| *s)
        };
        found.push((mode, first(RULE_TRW), first(RULE_FAILED)));
    }
    found
}

#[test]
fn a_slow_arp_sweep_is_flagged_within_ten_minutes() {
    for seed in 0..8 {
        for (mode, walk, failed) in first_alerts(|i| 20_000 + mix(seed, i) % 40_001) {
            println!("{mode} seed {seed}: walk after {walk} s, failed contacts after {failed} s");
            assert!(walk <= 600.0, "{mode} {seed}: {walk}");
            assert!(failed <= 600.0, "{mode} {seed}: {failed}");
        }
    }
}

#[test]
fn a_sweep_at_one_probe_a_minute_is_flagged_within_ten_minutes() {
    // The slowest spacing throughout: probes at 0, 60, ..., 540 s.
    for (mode, walk, failed) in first_alerts(|_| MINUTE) {
        println!(
            "{mode}, one probe a minute: walk after {walk} s, failed contacts after {failed} s"
        );
        assert!(walk <= 600.0, "{mode}: {walk}");
        assert!(failed <= 600.0, "{mode}: {failed}");
    }
}

#[test]
fn a_healthy_camera_stays_silent_for_a_day() {
    for (mode, policy, learn_for, _) in modes() {
        let mut h = Harness::with_policy(policy, learn_for);
        h.play(healthy(0, 24 * HOUR, 12 * HOUR));
        h.finish(at(24 * HOUR));
        assert!(h.alerts.is_empty(), "{mode}: {:?}", h.alerts);
        // It did fail: the dead syslog host, the routed server, the FTP
        // server, each once.
        let state = &h.scan.cameras[&ip(CAM)];
        let stored: usize = state.failed.windows.last().map_or(0, |w| w.len());
        assert_eq!(stored, 3, "{mode}");
    }
}
