//! Frames of the traffic building blocks, checked field by field.

use super::*;
use crate::site;
use crate::test_support::check_frame;
use crate::{apps, tls};
use etherparse::{NetSlice, SlicedPacket, TransportSlice};

const T0: u64 = 1_767_600_000_000_000;

fn frames(sim: &mut Sim) -> Vec<(u64, Vec<u8>)> {
    sim.trace
        .take_sorted()
        .into_iter()
        .map(|r| {
            assert_eq!(r.data.len(), r.orig_len as usize);
            check_frame(&r.data);
            (r.ts, r.data)
        })
        .collect()
}

fn ports(f: &[u8]) -> (u16, u16) {
    match SlicedPacket::from_ethernet(f).unwrap().transport {
        Some(TransportSlice::Udp(u)) => (u.source_port(), u.destination_port()),
        Some(TransportSlice::Tcp(t)) => (t.source_port(), t.destination_port()),
        _ => panic!("no ports"),
    }
}

fn addrs(f: &[u8]) -> ([u8; 4], [u8; 4]) {
    match SlicedPacket::from_ethernet(f).unwrap().net {
        Some(NetSlice::Ipv4(ip)) => (ip.header().source(), ip.header().destination()),
        _ => panic!("not IPv4"),
    }
}

fn payload(f: &[u8]) -> Vec<u8> {
    match SlicedPacket::from_ethernet(f).unwrap().transport {
        Some(TransportSlice::Udp(u)) => u.payload().to_vec(),
        Some(TransportSlice::Tcp(t)) => t.payload().to_vec(),
        _ => Vec::new(),
    }
}

#[test]
fn dns_lookup_frames() {
    let mut sim = Sim::new(1);
    let cam = site::CAMERAS[0].host;
    sim.resolve(T0, &cam, site::CLOUD_API_NAME, site::CLOUD_API.ip, true)
        .unwrap();
    let f = frames(&mut sim);
    assert_eq!(f.len(), 2);
    assert_eq!(addrs(&f[0].1), (cam.ip, site::GATEWAY.ip));
    assert_eq!(ports(&f[0].1).1, 53);
    assert_eq!(ports(&f[1].1).0, 53);
    let answer = payload(&f[1].1);
    assert_eq!(&answer[..2], &payload(&f[0].1)[..2]); // same id
    assert_eq!(u16::from_be_bytes([answer[6], answer[7]]), 3); // 2 CNAME + A
    assert_eq!(&answer[answer.len() - 4..], &site::CLOUD_API.ip);
}

#[test]
fn ntp_and_arp_frames() {
    let mut sim = Sim::new(2);
    let cam = site::CAMERAS[1].host;
    sim.ntp_sync(T0, &cam).unwrap();
    sim.arp(T0 + SEC, &site::NVR, cam.ip, Some(&cam)).unwrap();
    let f = frames(&mut sim);
    assert_eq!(ports(&f[0].1), (123, 123));
    assert_eq!(payload(&f[0].1).len(), 48);
    assert_eq!(payload(&f[1].1)[0] & 7, 4); // server mode
    let p = SlicedPacket::from_ethernet(&f[3].1).unwrap();
    let Some(NetSlice::Arp(a)) = p.net else {
        panic!()
    };
    assert_eq!(a.sender_protocol_addr(), &cam.ip);
    assert_eq!(a.sender_hw_addr(), &cam.mac);
}

#[test]
fn tcp_sequence_numbers_are_consistent() {
    let mut sim = Sim::new(3);
    let ws = site::WORKSTATION;
    let mut c = sim.tcp(&ws, &site::NVR, 50_000, 80);
    let t = sim.tcp_open(T0, &mut c).unwrap();
    let t = sim
        .tcp_exchange(t, &mut c, &[b'a'; 3000], &[b'b'; 5000], MS)
        .unwrap();
    sim.tcp_close(t + MS, &mut c, Dir::ToServer).unwrap();
    let f = frames(&mut sim);
    let mut isn = [0u32; 2];
    let mut sent = [0u64; 2];
    let mut fin = [0u64; 2];
    for (i, (_, fr)) in f.iter().enumerate() {
        let p = SlicedPacket::from_ethernet(fr).unwrap();
        let Some(TransportSlice::Tcp(t)) = p.transport else {
            panic!()
        };
        let side = usize::from(t.source_port() == 80);
        if t.syn() {
            isn[side] = t.sequence_number();
        } else {
            // Every segment continues its sender's byte stream.
            let off = t.sequence_number().wrapping_sub(isn[side]) as u64;
            assert_eq!(off, 1 + sent[side] + fin[side], "frame {i}");
        }
        sent[side] += t.payload().len() as u64;
        fin[side] += u64::from(t.fin());
        if t.ack() && !t.syn() {
            let acked = t.acknowledgment_number().wrapping_sub(isn[1 - side]) as u64;
            assert!(acked <= 1 + sent[1 - side] + fin[1 - side]);
        }
    }
    assert_eq!(sent, [3000, 5000]);
    // Routed workstation traffic is on VLAN 30 via the gateway MAC.
    assert_eq!(&f[0].1[0..6], &site::GATEWAY_MAC);
    assert_eq!(u16::from_be_bytes([f[0].1[14], f[0].1[15]]) & 0xfff, 30);
}

#[test]
fn failed_connections() {
    let mut sim = Sim::new(4);
    let cam = site::CAMERAS[0].host;
    sim.tcp_refused(T0, &cam, &site::NVR, (40_000, 23)).unwrap();
    sim.tcp_unanswered(T0 + SEC, &cam, &site::EVIL, (40_001, 443), 2)
        .unwrap();
    let f = frames(&mut sim);
    assert_eq!(f.len(), 5);
    let p = SlicedPacket::from_ethernet(&f[1].1).unwrap();
    let Some(TransportSlice::Tcp(t)) = p.transport else {
        panic!()
    };
    assert!(t.rst() && t.ack());
    // Retransmissions after 1 s and 2 s more.
    assert_eq!(f[3].0 - f[2].0, SEC);
    assert_eq!(f[4].0 - f[3].0, 2 * SEC);
}

#[test]
fn https_starts_with_client_hello_sni() {
    let mut sim = Sim::new(5);
    let cam = site::CAMERAS[0].host;
    let hello = tls::Hello {
        sni: Some(site::CLOUD_P2P_NAME),
        alpn: &[],
    };
    sim.https(T0, &cam, &site::CLOUD_P2P, &hello, &[(300, 400)])
        .unwrap();
    let f = frames(&mut sim);
    let ch = payload(&f[3].1);
    assert_eq!(ports(&f[3].1).1, 443);
    assert_eq!(tls::sni_of(&ch).as_deref(), Some(site::CLOUD_P2P_NAME));
    // SYN to SYN/ACK takes the cloud's round trip.
    assert!(f[1].0 - f[0].0 >= 28 * MS);
}

#[test]
fn rtsp_rtp_and_onvif() {
    let mut sim = Sim::new(6);
    let cam = site::CAMERAS[4];
    let (mut s, play) = sim.rtsp_start(T0, &cam, 4).unwrap();
    sim.rtsp_keepalive(play + 30 * SEC, &mut s).unwrap();
    sim.rtp_stream(&RtpStream {
        cam: cam.host,
        index: 4,
        start: play,
        end: play + 12 * SEC,
        interval: SEC,
        rtcp_interval: 10 * SEC,
        slice: false,
    })
    .unwrap();
    sim.onvif_call(play + 40 * SEC, &cam, apps::OnvifOp::GetDeviceInformation)
        .unwrap();
    sim.wsd_probe(play + 50 * SEC, &[cam]).unwrap();
    let f = frames(&mut sim);
    let texts: Vec<String> = f
        .iter()
        .map(|(_, fr)| String::from_utf8_lossy(&payload(fr)).into_owned())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("RTSP/1.0 200 OK") && t.contains("Server: Dahua Rtsp Server"))
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("SETUP ") && t.contains("client_port=50008-50009"))
    );
    let rtp: Vec<_> = f
        .iter()
        .filter(|(_, fr)| ports(fr) == (8000, 50_008))
        .collect();
    assert_eq!(rtp.len(), 12);
    let p = payload(&rtp[0].1);
    assert_eq!(p[0] >> 6, 2);
    assert!((1200..=1400).contains(&(p.len() - 12)));
    assert!(
        texts
            .iter()
            .any(|t| t.contains("<tds:Model>IPC-HDW2431T-AS-S2</tds:Model>"))
    );
    let probe = f
        .iter()
        .find(|(_, fr)| addrs(fr).1 == site::WSD_MULTICAST.ip)
        .unwrap();
    assert_eq!(ports(&probe.1).1, 3702);
    assert!(
        texts
            .iter()
            .any(|t| t.contains("ProbeMatches") && t.contains("onvif://www.onvif.org/name/Dahua"))
    );
}

#[test]
fn udp_probe_answered_by_icmp() {
    let mut sim = Sim::new(7);
    let cam = site::CAMERAS[2].host;
    sim.udp_probe(T0, &cam, &site::NVR, (41_000, 161), true)
        .unwrap();
    let f = frames(&mut sim);
    let p = SlicedPacket::from_ethernet(&f[1].1).unwrap();
    let Some(TransportSlice::Icmpv4(i)) = p.transport else {
        panic!()
    };
    assert_eq!((i.type_u8(), i.code_u8()), (3, 3));
    // The quoted datagram is the probe's IP + UDP header.
    assert_eq!(i.payload(), &f[0].1[18..18 + 28]);
}
