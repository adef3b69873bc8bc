//! The incident scenarios' facts, checked on the generated captures.

use super::*;
use crate::scenario::{self, BASE_TS};
use crate::site::{self, CAMERAS};
use crate::test_support::{Pkt, gen_vec, records, summarize};
use crate::traffic::SEC;
use std::collections::HashSet;

const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;

fn pkts(pcap: &[u8]) -> Vec<Pkt<'_>> {
    records(pcap).iter().map(summarize).collect()
}

#[test]
fn scan_slow_arp_facts() {
    let plan = slow_arp_plan();
    let pcap = gen_vec("scan-slow-arp", 11, None).1;
    let pkts = pkts(&pcap);
    let me = CAMERAS[SLOW_ARP_CAMERA].host.ip;
    let t0 = BASE_TS + SLOW_ARP_START;
    // ARP requests for absent addresses, never answered.
    let absent: Vec<&Pkt> = pkts
        .iter()
        .filter(|p| matches!(p.arp, Some((1, spa, tpa)) if spa == me && scenario::live_host(tpa).is_none()))
        .collect();
    assert_eq!(absent.len(), plan.arps());
    assert!(
        absent
            .iter()
            .all(|p| p.ts >= t0 && p.ts < t0 + SLOW_ARP_DURATION)
    );
    for p in &absent {
        let (_, _, tpa) = p.arp.unwrap();
        assert!(!pkts.iter().any(|q| q.dst == tpa || q.src == tpa));
        assert!(
            !pkts
                .iter()
                .any(|q| matches!(q.arp, Some((2, spa, _)) if spa == tpa))
        );
    }
    let syns: Vec<&Pkt> = pkts
        .iter()
        .filter(|p| p.src == me && p.flags & (SYN | ACK) == SYN)
        .collect();
    assert_eq!(syns.len(), plan.syns(Reply::Open) + plan.syns(Reply::Reset));
    assert!(syns.iter().all(|p| SWEEP_PORTS.contains(&p.dport)));
    let synacks = pkts
        .iter()
        .filter(|p| p.dst == me && p.flags & (SYN | ACK) == SYN | ACK)
        .count();
    let resets = pkts
        .iter()
        .filter(|p| p.dst == me && p.flags & RST != 0)
        .count();
    assert_eq!(
        (synacks, resets),
        (plan.syns(Reply::Open), plan.syns(Reply::Reset))
    );
    assert!(plan.syns(Reply::Open) >= 2 && plan.syns(Reply::Reset) >= 2);
    // One probe every 20-60 s.
    let times: Vec<u64> = plan.probes.iter().map(|(t, _)| *t).collect();
    assert!(
        times
            .windows(2)
            .all(|w| (20 * SEC..=60 * SEC).contains(&(w[1] - w[0])))
    );
    assert!(
        (45..=70).contains(&plan.probes.len()),
        "{}",
        plan.probes.len()
    );
    // The recording runs throughout, the scanner's own stream included.
    let last_video = pkts
        .iter()
        .rev()
        .find(|p| p.src == me && p.sport == 554 && p.len > 1_000)
        .unwrap();
    assert!(last_video.ts > BASE_TS + SLOW_ARP_END - 5 * SEC);
}

#[test]
fn worm_internet_facts() {
    let plan = worm_plan();
    let pcap = gen_vec("worm-internet", 11, None).1;
    let pkts = pkts(&pcap);
    let me = CAMERAS[WORM_CAMERA].host.ip;
    // DNS to 8.8.8.8 for the C2 name, then the C2 connection on 23.
    let q = pkts
        .iter()
        .find(|p| p.src == me && p.dst == PUBLIC_RESOLVER && p.dport == 53)
        .unwrap();
    assert!(q.payload.windows(6).any(|w| w == b"\x05kxbot"));
    let c2 = pkts
        .iter()
        .find(|p| p.src == me && p.dst == WORM_C2 && p.flags == SYN)
        .unwrap();
    assert_eq!(c2.dport, 23);
    assert!(q.ts < c2.ts && c2.ts < BASE_TS + WORM_START);
    // Mirai SYNs: no options, seq = destination address.
    let syns: Vec<&Pkt> = pkts
        .iter()
        .filter(|p| {
            p.src == me && p.flags == SYN && p.dst != WORM_C2 && p.ts >= BASE_TS + WORM_START
        })
        .filter(|p| p.payload.is_empty() && p.len == 0)
        .collect();
    let raw: Vec<&&Pkt> = syns
        .iter()
        .filter(|p| p.seq == u32::from_be_bytes(p.dst))
        .collect();
    assert_eq!(raw.len(), WORM_PROBES);
    let dsts: HashSet<[u8; 4]> = raw.iter().map(|p| p.dst).collect();
    assert_eq!(dsts.len(), WORM_PROBES);
    assert!(dsts.iter().all(|d| worm_target(*d)));
    let telnet = raw.iter().filter(|p| p.dport == 23).count();
    assert!(telnet * 10 > WORM_PROBES * 7, "{telnet}");
    let span = raw.last().unwrap().ts - raw[0].ts;
    assert!((540 * SEC..=660 * SEC).contains(&span));
    let resets = pkts
        .iter()
        .filter(|p| p.dst == me && p.flags == RST | ACK && dsts.contains(&p.src))
        .count();
    let synacks = pkts
        .iter()
        .filter(|p| p.dst == me && p.flags == SYN | ACK && dsts.contains(&p.src))
        .count();
    assert_eq!(resets, plan.count(Reply::Reset));
    assert_eq!(synacks, plan.count(Reply::Open) + WORM_BRUTEFORCE);
    assert!(plan.count(Reply::Open) >= WORM_BRUTEFORCE);
    // Brute force: full connections sending the default credentials.
    let creds = pkts
        .iter()
        .filter(|p| p.src == me && p.payload == b"xc3511\r\n")
        .count();
    assert_eq!(creds, WORM_BRUTEFORCE);
}

#[test]
fn flood_facts() {
    let plan = flood_plan();
    let pcap = gen_vec("flood-100k", 11, None).1;
    let pkts = pkts(&pcap);
    let me = CAMERAS[FLOOD_CAMERA].host.ip;
    let syns: Vec<&Pkt> = pkts
        .iter()
        .filter(|p| p.src == me && p.flags == SYN && p.ts >= BASE_TS + FLOOD_START)
        .collect();
    assert_eq!(syns.len(), FLOOD_SYNS);
    let dsts: HashSet<[u8; 4]> = syns.iter().map(|p| p.dst).collect();
    assert_eq!(dsts.len(), FLOOD_SYNS);
    let internal = dsts.iter().filter(|d| d[0] == 10).count();
    assert_eq!(internal, FLOOD_SYNS / FLOOD_INTERNAL_EVERY);
    assert!(
        dsts.iter()
            .filter(|d| d[0] == 10)
            .all(|d| d[1] == 20 && d[2] != 0)
    );
    let rate = FLOOD_SYNS as u64 * SEC / (syns.last().unwrap().ts - syns[0].ts);
    assert!((1_000..=5_000).contains(&rate), "{rate}");
    let answered = pkts
        .iter()
        .filter(|p| p.dst == me && dsts.contains(&p.src))
        .count();
    assert_eq!(answered, plan.count(Reply::Reset) + plan.count(Reply::Open));
    assert!(answered * 20 < FLOOD_SYNS);
}

#[test]
fn ghost_addresses_facts() {
    let pcap = gen_vec("ghost-addresses", 11, None).1;
    let pkts = pkts(&pcap);
    let me = LAPTOP.ip;
    let mut asked: std::collections::HashMap<[u8; 4], usize> = Default::default();
    for p in &pkts {
        if let Some((1, spa, tpa)) = p.arp
            && spa == me
            && tpa != me
        {
            *asked.entry(tpa).or_default() += 1;
        }
    }
    // Every address but the laptop's own (the gateway before the sweep).
    assert_eq!(asked.len(), 253);
    let absent: Vec<[u8; 4]> = asked
        .iter()
        .filter(|(ip, _)| scenario::live_host(**ip).is_none())
        .map(|(ip, n)| {
            assert_eq!(*n, GHOST_ARP_TRIES);
            *ip
        })
        .collect();
    assert_eq!(absent.len(), GHOST_ABSENT);
    // Absent addresses never appear in an IP packet or an ARP reply.
    for ip in &absent {
        assert!(!pkts.iter().any(|p| p.src == *ip || p.dst == *ip));
        assert!(
            !pkts
                .iter()
                .any(|p| matches!(p.arp, Some((2, spa, _)) if spa == *ip))
        );
    }
    // Live hosts are probed on 80 and 554; the gateway refuses 554.
    let syns: HashSet<([u8; 4], u16)> = pkts
        .iter()
        .filter(|p| p.src == me && p.flags == SYN && p.dst[..3] == [10, 20, 0])
        .map(|p| (p.dst, p.dport))
        .collect();
    assert_eq!(syns.len(), GHOST_LIVE * GHOST_PORTS.len());
    // The laptop is not a camera: non-camera OUI, Windows TTL.
    assert!(
        pkts.iter()
            .filter(|p| p.src == me)
            .all(|p| p.macs.0 == LAPTOP.mac)
    );
    // The gateway answers its DNS and NTP; the cameras its WS-Discovery.
    let gw = site::GATEWAY.ip;
    assert!(
        pkts.iter()
            .any(|p| p.src == gw && p.dst == me && p.sport == 53)
    );
    assert!(
        pkts.iter()
            .any(|p| p.src == gw && p.dst == me && p.sport == 123)
    );
    let matches = pkts
        .iter()
        .filter(|p| p.dst == me && p.sport == site::WSD_PORT)
        .count();
    assert_eq!(matches, CAMERAS.len());
}
