//! Community ID v1 against the spec's published baseline vectors and the
//! capture they were computed from.

mod common;

use std::collections::BTreeSet;
use std::net::IpAddr;

use camsentry::decode::icmp::icmp_ports;
use camsentry::flow::community_id::{community_id_v1, digest_v1};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vector {
    proto: u8,
    saddr: IpAddr,
    daddr: IpAddr,
    /// Absent (null) for protocols without ports.
    sport: Option<u16>,
    dport: Option<u16>,
    communityid: String,
}

fn vectors(name: &str) -> Option<Vec<Vector>> {
    let dir = common::shared("vectors/community-id")?;
    let text = std::fs::read_to_string(dir.join(name)).expect("vector file readable");
    Some(serde_json::from_str(&text).expect("vector file is JSON"))
}

/// The vectors give ICMP type and code in the port fields.
fn compute(v: &Vector, seed: u16, hex: bool) -> String {
    let (sport, dport) = (v.sport.unwrap_or(0), v.dport.unwrap_or(0));
    let (sport, dport, one_way) = match v.proto {
        1 | 58 => icmp_ports(sport as u8, dport as u8, v.proto == 58),
        _ => (sport, dport, false),
    };
    if hex {
        let digest = digest_v1(seed, v.proto, v.saddr, v.daddr, sport, dport, one_way);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("1:{hex}")
    } else {
        community_id_v1(seed, v.proto, v.saddr, v.daddr, sport, dport, one_way)
    }
}

#[test]
fn baseline_vectors_default_seed1_and_hex() {
    for (file, seed, hex) in [
        ("baseline_deflt.json", 0, false),
        ("baseline_seed1.json", 1, false),
        ("baseline_nob64.json", 0, true),
    ] {
        let Some(vectors) = vectors(file) else { return };
        assert!(vectors.len() > 20, "{file} has its vectors");
        for v in &vectors {
            assert_eq!(
                compute(v, seed, hex),
                v.communityid,
                "{file}: proto {} {}:{:?} -> {}:{:?}",
                v.proto,
                v.saddr,
                v.sport,
                v.daddr,
                v.dport
            );
        }
    }
}

#[test]
fn flow_records_of_the_baseline_capture_carry_the_baseline_ids() {
    let Some(dir) = common::shared("vectors/community-id") else {
        return;
    };
    let Some(vectors) = vectors("baseline_deflt.json") else {
        return;
    };
    let expected: BTreeSet<String> = vectors.into_iter().map(|v| v.communityid).collect();
    let capture = dir.join("combined.pcap");
    let output = common::run(&[
        "replay",
        "-q",
        "--no-detect",
        "--flows",
        "-",
        capture.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let seen: BTreeSet<String> = common::stdout_lines(&output)
        .iter()
        .map(|line| common::flow_view(line).community_id)
        .collect();
    assert_eq!(seen, expected);
}

#[test]
fn per_protocol_spec_captures_give_baseline_ids() {
    let Some(dir) = common::shared("vectors/community-id") else {
        return;
    };
    let Some(vectors) = vectors("baseline_deflt.json") else {
        return;
    };
    let known: BTreeSet<String> = vectors.into_iter().map(|v| v.communityid).collect();
    for name in [
        "tcp.pcap",
        "udp.pcap",
        "icmp.pcap",
        "icmp6.pcap",
        "sctp.pcap",
        "rsvp.pcap",
        "ipv6.pcap",
    ] {
        let capture = dir.join(name);
        let output = common::run(&[
            "replay",
            "-q",
            "--no-detect",
            "--flows",
            "-",
            capture.to_str().unwrap(),
        ]);
        assert!(
            output.status.success(),
            "{name}: {}",
            common::stderr(&output)
        );
        let lines = common::stdout_lines(&output);
        assert!(!lines.is_empty(), "{name} gives flows");
        for line in lines {
            let record = common::flow_view(&line);
            assert!(known.contains(&record.community_id), "{name}: {line}");
        }
    }
}
