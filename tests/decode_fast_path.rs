//! The Ethernet/IPv4 fast path must give exactly what etherparse's lax
//! slicer gives, on every Ethernet frame of the public captures and the
//! synthetic site.

mod common;

use std::path::{Path, PathBuf};

use camsentry::decode::{LinkType, decode, decode_ethernet_slow};

fn captures(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            captures(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "pcap" || e == "pcapng")
        {
            out.push(path);
        }
    }
}

fn compare(path: &Path) -> u64 {
    let Ok(mut capture) = pcap::Capture::from_file(path) else {
        return 0;
    };
    if LinkType::from_dlt(capture.get_datalink().0) != LinkType::Ethernet {
        return 0;
    }
    let mut frames = 0;
    while let Ok(packet) = capture.next_packet() {
        let fast = decode(LinkType::Ethernet, packet.data);
        let slow = decode_ethernet_slow(packet.data);
        assert_eq!(fast, slow, "{} frame {}", path.display(), frames + 1);
        frames += 1;
    }
    frames
}

#[test]
fn fast_path_equals_etherparse_on_every_frame() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec![
        common::synth(dir.path(), "camera-network"),
        common::synth(dir.path(), "scan-tcp"),
        common::synth(dir.path(), "exfil"),
    ];
    if let Some(shared) = common::shared("pcaps") {
        captures(&shared, &mut files);
    }
    let frames: u64 = files.iter().map(|f| compare(f)).sum();
    assert!(frames > 10_000, "compared {frames} frames");
}
