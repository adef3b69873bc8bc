//! Mirror-port encapsulations: the inner packet camsentry keys a flow on
//! must be the innermost IP packet tshark shows for the same frame, on the
//! public captures in `../shared/pcaps/encap/`.

mod common;

use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

use camsentry::decode::{Decoded, LinkType, TUNNEL_KINDS, decode};

/// Per frame: tshark's innermost IP source and destination, and whether
/// the frame holds an ICMP error (whose quoted header tshark lists last).
fn tshark_inner(path: &Path) -> Option<Vec<Option<(IpAddr, IpAddr, bool)>>> {
    let output = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args([
            "-T",
            "fields",
            "-E",
            "separator=|",
            "-e",
            "ip.src",
            "-e",
            "ip.dst",
            "-e",
            "ipv6.src",
            "-e",
            "ipv6.dst",
            "-e",
            "icmp.type",
            "-e",
            "icmpv6.type",
        ])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Some(
        text.lines()
            .map(|line| {
                let fields: Vec<&str> = line.split('|').collect();
                let last = |i: usize| {
                    fields
                        .get(i)?
                        .split(',')
                        .next_back()
                        .filter(|s| !s.is_empty())
                };
                let icmp_error = fields.get(4).is_some_and(|t| {
                    t.split(',')
                        .any(|t| matches!(t, "3" | "4" | "5" | "11" | "12"))
                }) || fields
                    .get(5)
                    .is_some_and(|t| t.split(',').any(|t| t.parse::<u8>().is_ok_and(|t| t < 128)));
                // The innermost header is the one tshark lists last; IPv4
                // and IPv6 columns are separate, so take whichever is set
                // (4in6/6in4 frames are left out below).
                let (src, dst) = match (last(0), last(1), last(2), last(3)) {
                    (Some(s), Some(d), None, None) | (None, None, Some(s), Some(d)) => (s, d),
                    _ => return None,
                };
                Some((src.parse().ok()?, dst.parse().ok()?, icmp_error))
            })
            .collect(),
    )
}

#[test]
fn inner_flows_match_tshark() {
    let Some(dir) = common::shared("pcaps/encap") else {
        return;
    };
    if Command::new("tshark").arg("-v").output().is_err() {
        eprintln!("skipped: tshark is not installed");
        return;
    }
    let mut tunnelled = [0u64; 8];
    let mut compared = 0u64;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let Some(expected) = tshark_inner(&path) else {
            continue;
        };
        let mut capture = pcap::Capture::from_file(&path).unwrap();
        let link = LinkType::from_dlt(capture.get_datalink().0);
        let mut frame = 0;
        while let Ok(packet) = capture.next_packet() {
            let want = expected.get(frame).copied().flatten();
            frame += 1;
            let Ok(Decoded::Ip(view)) = decode(link, packet.data) else {
                continue;
            };
            if view.encap == 0 {
                continue;
            }
            for (bit, count) in tunnelled.iter_mut().enumerate() {
                if view.encap & (1 << bit) != 0 {
                    *count += 1;
                }
            }
            let Some((src, dst, icmp_error)) = want else {
                continue;
            };
            if icmp_error {
                continue;
            }
            assert_eq!(
                (view.src, view.dst),
                (src, dst),
                "{} frame {frame}: camsentry's inner packet differs from tshark's",
                path.display()
            );
            compared += 1;
        }
    }
    let counts: Vec<(&str, u64)> = TUNNEL_KINDS
        .iter()
        .map(|k| k.name())
        .zip(tunnelled)
        .collect();
    eprintln!("tunnelled frames by kind: {counts:?}; compared with tshark: {compared}");
    // Every supported kind appears in the public set.
    for (name, count) in &counts {
        assert!(*count > 0, "no {name} frame decoded: {counts:?}");
    }
    assert!(compared > 500, "{compared}");
}
