//! Memory bounds under a large worm.

use super::*;

#[test]
fn a_worm_of_100000_probes_keeps_every_map_below_its_cap() {
    let mut h = Harness::new();
    let cam = ip(CAM);
    // 100,000 SYNs every 5 ms (500 s): nine in ten to random Internet
    // addresses, one in ten to a random LAN address after an ARP request
    // nothing answers (an absent host), none answered.
    for n in 0..100_000u64 {
        let t = 1_000 + n * 5;
        let x = mix(0xface, n);
        if n % 10 == 9 {
            let b = x.to_le_bytes();
            let dst = IpAddr::from([10, 100 + b[0] % 100, b[1], b[2].max(1)]);
            h.arp(t, 1, cam, dst);
            h.start(t, dst, 23, 6);
        } else {
            h.start(t, public(x), [23, 2323, 80, 8080][(x >> 62) as usize], 6);
        }
    }
    h.finish(at(600_000));
    let scan = &h.scan;
    let state = &scan.cameras[&cam];
    assert!(state.contacted.len() <= MAX_CONTACTED);
    assert!(state.contacted_order.len() <= MAX_CONTACTED);
    assert!(state.outcomes.len() <= MAX_OUTCOMES);
    for window in [&state.hosts_short, &state.hosts_long, &state.arp] {
        assert!(window.len() <= MAX_WINDOW_KEYS);
        assert!(window.order.len() <= MAX_WINDOW_KEYS);
    }
    for window in [&state.ports_short, &state.ports_long] {
        assert!(window.len() <= MAX_WINDOW_PORTS);
    }
    assert!(state.ports.len() <= MAX_PORT_HOSTS);
    assert!(state.arp_replied.len() <= MAX_WINDOW_KEYS);
    let (failed, kinds) = state.failed.stored();
    assert!(failed <= MAX_FAILED_TARGETS && kinds <= MAX_FAILED_TARGETS);
    let (targets, ports) = state.internet.stored();
    assert!(targets <= MAX_INTERNET_TARGETS && ports <= MAX_INTERNET_TARGETS);
    assert!(scan.internet_order.len() <= MAX_INTERNET_STORED);
    assert!(scan.pending.len() <= MAX_PENDING_PER_CAMERA);
    assert!(scan.deadlines.len() <= MAX_PENDING);
    assert!(scan.arp_pending.len() <= MAX_ARP_PENDING_PER_CAMERA);
    assert!(scan.arp_deadlines.len() <= MAX_ARP_PENDING);
    // The bounds were hit, and counted.
    let counters = scan.counters();
    assert!(counters.capped > 0, "{counters:?}");
    assert_eq!(counters.internet_targets, targets);
    assert_eq!(targets, MAX_INTERNET_TARGETS);
    // One alert per rule the worm triggers.
    let mut rules: Vec<&str> = h.alerts.iter().map(|a| a.rule.id).collect();
    rules.sort_unstable();
    rules.dedup();
    assert_eq!(rules.len(), h.alerts.len(), "{rules:?}");
    assert_eq!(h.of(RULE_INTERNET).len(), 1);
}
