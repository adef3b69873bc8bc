//! Parsing of the names, and the facts of a short day and its incidents.

use super::*;
use crate::incidents;
use crate::test_support::{Pkt, check_capture, records, summarize};
use crate::tls;
use crate::traffic::{RtpTransport, SEC};
use crate::{SynthOptions, generate};
use crate::{recording, scenario, site};
use std::collections::{HashMap, HashSet};

fn capture(name: &str) -> Vec<u8> {
    let mut v = Vec::new();
    generate(
        name,
        &SynthOptions {
            seed: 5,
            packets: None,
        },
        &mut v,
    )
    .unwrap();
    v
}

#[test]
fn names_parse() {
    assert_eq!(Day::parse("site-day"), Some(Ok(FULL)));
    assert_eq!(Day::parse("site-day-short"), Some(Ok(SHORT)));
    let d = Day::parse("site-day-incidents:90m:12cam:4pps")
        .unwrap()
        .unwrap();
    assert_eq!(
        (d.minutes, d.cameras, d.pps, d.incidents),
        (90, 12, 4, true)
    );
    assert_eq!(Day::parse("site-day:3h").unwrap().unwrap().minutes, 180);
    assert!(Day::parse("site-day:7cam").unwrap().is_err());
    assert!(Day::parse("site-day:fast").unwrap().is_err());
    assert!(Day::parse("site-dayx").is_none());
    assert!(Day::parse("site-day-short:1h").is_none());
}

#[test]
fn short_day_facts() {
    let pcap = capture("site-day-short");
    let recs = check_capture(&pcap);
    let pkts: Vec<Pkt> = recs.iter().map(summarize).collect();
    assert!(pkts.last().unwrap().ts > minute(SHORT.minutes) - 60 * SEC);
    let n = SHORT.cameras;
    // Continuous recording already running: first packet of each
    // interleaved session is the camera's video.
    for i in 0..n {
        let ip = site::bulk_camera(i).ip;
        if MOTION_CAMERAS.contains(&i) {
            // Opened and torn down several times.
            let syns = pkts
                .iter()
                .filter(|p| p.dst == ip && p.dport == 554 && p.flags == 0x02)
                .count();
            let teardowns = pkts
                .iter()
                .filter(|p| p.dst == ip && p.payload.starts_with(b"TEARDOWN "))
                .count();
            assert!(syns >= 3 && teardowns >= 3, "cam {i}: {syns} {teardowns}");
            continue;
        }
        if recording::transport_of(i) == RtpTransport::Interleaved {
            let first = pkts
                .iter()
                .find(|p| {
                    p.proto == 6
                        && (p.src == ip || p.dst == ip)
                        && (p.sport == 554 || p.dport == 554)
                })
                .unwrap();
            assert_eq!((first.src, first.sport, first.payload[0]), (ip, 554, b'$'));
        }
    }
    // Cloud: DNS first, TLS with SNI, from the cloud cameras and the NVR.
    let cloud: HashSet<[u8; 4]> = pkts
        .iter()
        .filter(|p| p.dst == site::CLOUD_P2P.ip && p.flags == 0x02)
        .map(|p| p.src)
        .collect();
    let want: HashSet<[u8; 4]> = (0..n)
        .filter(|i| cloud_camera(*i))
        .map(|i| site::bulk_camera(i).ip)
        .chain([site::NVR.ip])
        .collect();
    assert_eq!(cloud, want);
    // Several remote clients share the router's MAC.
    let behind: HashSet<[u8; 4]> = pkts
        .iter()
        .filter(|p| p.src[..3] == [10, 50, 0])
        .inspect(|p| assert_eq!(p.macs.0, site::GATEWAY_MAC))
        .map(|p| p.src)
        .collect();
    assert_eq!(behind.len(), REMOTE_CLIENTS);
    // DHCP renewals, the reboot's DISCOVER and the new camera's.
    let dhcp_type = |p: &Pkt| p.payload.get(240..243).map(|o| o[2]);
    let discovers = pkts
        .iter()
        .filter(|p| p.dport == 67 && dhcp_type(p) == Some(1))
        .count();
    assert_eq!(discovers, 2);
    let renewals = pkts
        .iter()
        .filter(|p| p.dport == 67 && p.src != [0; 4])
        .count();
    assert!(renewals >= 6, "{renewals}");
    // The firmware download and the workstation's web UI visits.
    let down: usize = pkts
        .iter()
        .filter(|p| p.src == site::CLOUD_API.ip && p.dst == site::bulk_camera(FIRMWARE_CAMERA).ip)
        .map(|p| p.len)
        .sum();
    assert!(down >= FIRMWARE_BYTES);
    let uis: HashSet<[u8; 4]> = pkts
        .iter()
        .filter(|p| p.src == site::WORKSTATION.ip && p.flags == 0x02)
        .map(|p| p.dst)
        .collect();
    assert_eq!(uis.len(), n.min(WORKSTATION_UIS));
    // The new camera records after joining.
    let newcomer = site::bulk_camera(n).ip;
    assert!(
        pkts.iter()
            .filter(|p| p.src == newcomer && p.sport == site::CAMERA_RTP_PORT)
            .count()
            > 100
    );
    // No incident: nothing to an unknown external host, no sweep.
    let externals: HashSet<[u8; 4]> = pkts
        .iter()
        .filter(|p| {
            p.arp.is_none()
                && p.macs.1 == site::GATEWAY_MAC
                && p.vlan == site::CAMERA_VLAN
                && p.dst[0] != 10
        })
        .map(|p| p.dst)
        .collect();
    let allowed: HashSet<[u8; 4]> = [site::CLOUD_P2P.ip, site::CLOUD_API.ip].into();
    assert_eq!(externals, allowed);
    let mut asked: HashMap<[u8; 4], HashSet<[u8; 4]>> = HashMap::new();
    for p in &pkts {
        if let Some((1, spa, tpa)) = p.arp {
            asked.entry(spa).or_default().insert(tpa);
        }
    }
    for (who, targets) in &asked {
        if *who != site::NVR.ip && *who != [0; 4] {
            assert!(targets.len() <= 3, "{who:?} asked {targets:?}");
        }
    }
}

#[test]
fn incidents_are_where_the_readme_says() {
    let pcap = capture("site-day-incidents-short");
    let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
    let ip = |i: usize| site::bulk_camera(i).ip;
    let after = |m: u64| minute(m);
    // Nothing unusual before minute 70.
    let first_evil = pkts
        .iter()
        .filter(|p| {
            p.dst == site::EVIL.ip
                || p.dst == INC_UPLOAD_HOST
                || p.dst == incidents::PUBLIC_RESOLVER
        })
        .map(|p| p.ts)
        .min()
        .unwrap();
    assert!(first_evil >= after(70));
    let hello = pkts
        .iter()
        .find(|p| p.src == ip(INC_EGRESS_CAMERA) && p.dst == site::EVIL.ip && p.len > 0)
        .unwrap();
    assert_eq!(tls::sni_of(hello.payload).as_deref(), Some(site::EVIL_NAME));
    assert!(hello.ts >= after(INC_EGRESS_AT) && hello.ts < after(INC_EGRESS_AT + 1));
    let plan = sweep_plan(SHORT.cameras);
    let swept = pkts
        .iter()
        .filter(|p| matches!(p.arp, Some((1, spa, tpa)) if spa == ip(INC_SWEEP_CAMERA) && scenario::live_host(tpa).is_none()))
        .count();
    assert_eq!(swept, plan.arps());
    let worm = pkts
        .iter()
        .filter(|p| {
            p.src == ip(INC_WORM_CAMERA) && p.flags == 0x02 && p.seq == u32::from_be_bytes(p.dst)
        })
        .count();
    assert_eq!(worm, INC_WORM_PROBES);
    let up: usize = pkts
        .iter()
        .filter(|p| p.src == ip(INC_UPLOAD_CAMERA) && p.dst == INC_UPLOAD_HOST)
        .map(|p| p.len)
        .sum();
    assert!(
        (INC_UPLOAD_BYTES..INC_UPLOAD_BYTES + 3_000).contains(&up),
        "{up}"
    );
}
