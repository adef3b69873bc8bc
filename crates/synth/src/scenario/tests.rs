//! The facts the constants promise, checked on the generated captures.

use super::*;
use crate::site::{self, CAMERAS};
use crate::test_support::{Pkt, gen_vec, records, summarize};
use crate::tls;
use crate::traffic::SEC;
use std::collections::HashSet;

fn capture(name: &str) -> Vec<u8> {
    gen_vec(name, 11, None).1
}

const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn egress_facts() {
    let pcap = capture("egress");
    let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
    let cam = CAMERAS[EGRESS_DNS_CAMERA].host.ip;
    let evil = site::EVIL.ip;
    let dns_answer = pkts
        .iter()
        .find(|p| p.sport == 53 && p.dst == cam && contains(p.payload, b"\x06update\x04evil"));
    let answer = dns_answer.expect("DNS answer for update.evil.example");
    assert!(answer.payload.ends_with(&evil));
    let hello = pkts
        .iter()
        .find(|p| p.src == cam && p.dst == evil && p.dport == 443 && p.len > 0)
        .unwrap();
    assert_eq!(tls::sni_of(hello.payload).as_deref(), Some(site::EVIL_NAME));
    assert!(answer.ts < hello.ts);

    let raw = CAMERAS[EGRESS_RAW_CAMERA].host.ip;
    let syn = pkts
        .iter()
        .find(|p| p.src == raw && p.flags & SYN != 0)
        .unwrap();
    assert_eq!((syn.dst, syn.dport), (site::RAW_IP_TARGET.ip, 23));
    // No DNS answer anywhere names the raw address.
    assert!(
        !pkts
            .iter()
            .any(|p| p.sport == 53 && contains(p.payload, &site::RAW_IP_TARGET.ip))
    );
}

#[test]
fn scan_tcp_facts() {
    let pcap = capture("scan-tcp");
    let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
    let me = CAMERAS[SCAN_TCP_CAMERA].host.ip;
    let syns: Vec<&Pkt> = pkts
        .iter()
        .filter(|p| p.src == me && p.flags & (SYN | ACK) == SYN)
        .collect();
    assert_eq!(syns.len(), SCAN_TCP_SYNS);
    let hosts: HashSet<[u8; 4]> = syns.iter().map(|p| p.dst).collect();
    assert_eq!(hosts.len(), SCAN_TCP_ADDRESSES);
    assert!(syns.iter().all(|p| SCAN_TCP_PORTS.contains(&p.dport)));
    let synacks = pkts
        .iter()
        .filter(|p| p.dst == me && p.flags & (SYN | ACK) == SYN | ACK)
        .count();
    let rsts = pkts
        .iter()
        .filter(|p| p.dst == me && p.flags & RST != 0)
        .count();
    assert_eq!((synacks, rsts), (SCAN_TCP_OPEN, SCAN_TCP_CLOSED));
    let answering: HashSet<[u8; 4]> = pkts
        .iter()
        .filter(|p| p.dst == me && p.proto == 6 && p.sport != 443 && p.sport != 53)
        .map(|p| p.src)
        .collect();
    assert_eq!(answering.len(), SCAN_TCP_LIVE_HOSTS);
    // The scan lasts about two seconds and sends no ARP.
    assert!(syns.last().unwrap().ts - syns[0].ts < 3 * SEC);
    assert!(
        !pkts
            .iter()
            .filter_map(|p| p.arp)
            .any(|(_, spa, _)| spa == me)
    );
}

#[test]
fn scan_udp_facts() {
    let pcap = capture("scan-udp");
    let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
    let me = CAMERAS[SCAN_UDP_CAMERA].host.ip;
    let probes: HashSet<([u8; 4], u16)> = pkts
        .iter()
        .filter(|p| p.src == me && p.sport == SCAN_UDP_SOURCE_PORT)
        .map(|p| (p.dst, p.dport))
        .collect();
    assert_eq!(probes.len(), 2 * SCAN_UDP_PORTS_PER_HOST);
    assert!(probes.iter().all(|(d, _)| SCAN_UDP_TARGETS.contains(d)));
    let unreachable = pkts.iter().filter(|p| p.proto == 1 && p.dst == me).count();
    assert_eq!(unreachable, 18);
}

#[test]
fn scan_arp_and_slow_facts() {
    let pcap = capture("scan-arp");
    let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
    let me = CAMERAS[SCAN_ARP_CAMERA].host.ip;
    let asked: Vec<[u8; 4]> = pkts
        .iter()
        .filter_map(|p| p.arp)
        .filter(|(op, spa, tpa)| *op == 1 && *spa == me && tpa[3] >= SCAN_ARP_RANGE.0)
        .map(|(_, _, tpa)| tpa)
        .collect();
    assert_eq!(asked.len(), 101);
    assert!(asked.iter().all(|t| t[3] <= SCAN_ARP_RANGE.1));

    let pcap = capture("scan-slow");
    let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
    let me = CAMERAS[SCAN_SLOW_CAMERA].host.ip;
    let syns: Vec<&Pkt> = pkts
        .iter()
        .filter(|p| p.src == me && p.flags & (SYN | ACK) == SYN)
        .collect();
    assert_eq!(syns.len(), SCAN_SLOW_PROBES);
    assert_eq!(
        syns.iter().map(|p| p.dst).collect::<HashSet<_>>().len(),
        SCAN_SLOW_PROBES
    );
    assert!(
        syns.windows(2)
            .all(|w| w[1].ts - w[0].ts == SCAN_SLOW_INTERVAL)
    );
}

fn bytes_between(pkts: &[Pkt], src: [u8; 4], dst: [u8; 4], port: u16) -> usize {
    pkts.iter()
        .filter(|p| {
            p.proto == 6 && p.src == src && p.dst == dst && (p.dport == port || p.sport == port)
        })
        .map(|p| p.len)
        .sum()
}

#[test]
fn transfer_volumes() {
    // Handshake and request overhead on top of the bulk payload.
    let slack = 1_500;
    let pcap = capture("exfil");
    let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
    let up = bytes_between(&pkts, CAMERAS[EXFIL_CAMERA].host.ip, site::EVIL.ip, 443);
    assert!((EXFIL_BYTES..EXFIL_BYTES + slack).contains(&up), "{up}");

    let pcap = capture("exfil-cloud");
    let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
    let up = bytes_between(
        &pkts,
        CAMERAS[EXFIL_CLOUD_CAMERA].host.ip,
        site::CLOUD_API.ip,
        443,
    );
    assert!((EXFIL_BYTES..EXFIL_BYTES + 6 * slack).contains(&up), "{up}");

    let pcap = capture("exfil-slow");
    let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
    let cam = CAMERAS[EXFIL_SLOW_CAMERA].host.ip;
    let total = EXFIL_SLOW_BYTES_PER_WINDOW * EXFIL_SLOW_WINDOWS;
    let up = bytes_between(&pkts, cam, site::EVIL.ip, 443);
    assert!(
        (total..total + EXFIL_SLOW_WINDOWS * slack).contains(&up),
        "{up}"
    );
    let conns = pkts
        .iter()
        .filter(|p| p.src == cam && p.dst == site::EVIL.ip && p.flags & (SYN | ACK) == SYN)
        .count();
    assert_eq!(conns, EXFIL_SLOW_WINDOWS);

    let pcap = capture("benign-firmware");
    let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
    let down = bytes_between(
        &pkts,
        site::CLOUD_API.ip,
        CAMERAS[FIRMWARE_CAMERA].host.ip,
        443,
    );
    assert!(
        (FIRMWARE_BYTES..FIRMWARE_BYTES + 6_000).contains(&down),
        "{down}"
    );
}

#[test]
fn video_and_workstation_facts() {
    let pcap = capture("benign-video");
    let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
    for &i in &STREAMING_CAMERAS {
        let n = pkts
            .iter()
            .filter(|p| p.src == CAMERAS[i].host.ip && p.sport == site::CAMERA_RTP_PORT)
            .count() as u64;
        assert!((VIDEO_PPS * 590..=VIDEO_PPS * 600).contains(&n), "{n}");
    }

    let pcap = capture("benign-workstation");
    let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
    let ws = site::WORKSTATION.ip;
    let peers: HashSet<[u8; 4]> = pkts
        .iter()
        .filter(|p| p.src == ws && p.flags & (SYN | ACK) == SYN)
        .map(|p| p.dst)
        .collect();
    assert_eq!(peers.len(), WORKSTATION_PEERS);
}

#[test]
fn new_camera_dhcp_and_arp_probe() {
    let pcap = capture("benign-new-camera");
    let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
    let dhcp: Vec<&Pkt> = pkts
        .iter()
        .filter(|p| p.dport == 67 || p.dport == 68)
        .collect();
    assert_eq!(dhcp.len(), 4);
    let discover = dhcp[0].payload;
    assert!(contains(discover, site::NEW_CAMERA.hostname.as_bytes()));
    assert!(contains(discover, site::NEW_CAMERA_VENDOR_CLASS.as_bytes()));
    let probes = pkts
        .iter()
        .filter_map(|p| p.arp)
        .filter(|(_, spa, tpa)| *spa == [0; 4] && *tpa == site::NEW_CAMERA.host.ip)
        .count();
    assert_eq!(probes, 3);
    assert!(
        pkts.iter()
            .any(|p| p.src == site::NEW_CAMERA.host.ip && p.sport == site::CAMERA_RTP_PORT)
    );
}
