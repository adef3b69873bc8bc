//! Reader tests over hand-built pcap and pcapng files.

use super::*;
use std::sync::atomic::AtomicBool;

/// Link, time (ns), wire length and bytes of a packet read.
type Read = (LinkType, u64, u32, Vec<u8>);

fn read_all(bytes: &[u8]) -> (Vec<Read>, Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capture");
    std::fs::write(&path, bytes).unwrap();
    let stop = AtomicBool::new(false);
    let source = Source::open(&path, &stop).unwrap();
    let mut packets = Vec::new();
    let mut reader = match Reader::new(source) {
        Ok(reader) => reader,
        Err(ReadError::Bad(e)) => return (packets, Some(e)),
        Err(ReadError::Stopped) => unreachable!(),
    };
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => packets.push((p.link, p.ts.as_nanos(), p.wire_len, p.data.to_vec())),
            Ok(None) => return (packets, None),
            Err(ReadError::Bad(e)) => return (packets, Some(e)),
            Err(ReadError::Stopped) => unreachable!(),
        }
    }
}

/// A pcapng block: type, length, body padded to 4, length.
fn block(big: bool, block_type: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    while !body.len().is_multiple_of(4) {
        body.push(0);
    }
    let total = (body.len() + 12) as u32;
    let word = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut out = word(block_type).to_vec();
    out.extend(word(total));
    out.extend(body);
    out.extend(word(total));
    out
}

fn shb(big: bool) -> Vec<u8> {
    let mut body = Vec::new();
    if big {
        body.extend(PCAPNG_BOM.to_be_bytes());
        body.extend(1u16.to_be_bytes());
        body.extend(0u16.to_be_bytes());
    } else {
        body.extend(PCAPNG_BOM.to_le_bytes());
        body.extend(1u16.to_le_bytes());
        body.extend(0u16.to_le_bytes());
    }
    body.extend((-1i64).to_le_bytes());
    block(big, PCAPNG_SHB, &body)
}

fn idb(linktype: u16, tsresol: Option<u8>, tsoffset: Option<i64>) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(linktype.to_le_bytes());
    body.extend(0u16.to_le_bytes());
    body.extend(0u32.to_le_bytes());
    if let Some(r) = tsresol {
        body.extend(9u16.to_le_bytes());
        body.extend(1u16.to_le_bytes());
        body.extend([r, 0, 0, 0]);
    }
    if let Some(o) = tsoffset {
        body.extend(14u16.to_le_bytes());
        body.extend(8u16.to_le_bytes());
        body.extend(o.to_le_bytes());
    }
    body.extend([0; 4]);
    block(false, PCAPNG_IDB, &body)
}

fn epb_in(big: bool, if_id: u32, units: u64, data: &[u8]) -> Vec<u8> {
    let word = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut body = Vec::new();
    body.extend(word(if_id));
    body.extend(word((units >> 32) as u32));
    body.extend(word(units as u32));
    body.extend(word(data.len() as u32));
    body.extend(word(data.len() as u32 + 10));
    body.extend(data);
    block(big, PCAPNG_EPB, &body)
}

fn epb(if_id: u32, units: u64, data: &[u8]) -> Vec<u8> {
    epb_in(false, if_id, units, data)
}

#[test]
fn pcapng_interfaces_keep_their_own_link_type_and_clock() {
    let mut file = shb(false);
    file.extend(idb(1, None, None));
    // Nanosecond clock, one hour ahead.
    file.extend(idb(0, Some(9), Some(3600)));
    // Binary fractions: 2^-10 s.
    file.extend(idb(101, Some(0x8A), None));
    file.extend(epb(0, 1_500_000, b"ether"));
    file.extend(epb(1, 2_000_000_001, b"null"));
    file.extend(block(false, 5, b"statistics block, skipped"));
    file.extend(epb(2, 3 * 1024 + 512, b"raw"));
    let (packets, error) = read_all(&file);
    assert_eq!(error, None);
    let expected = [
        (LinkType::Ethernet, 1_500_000_000, b"ether".to_vec()),
        (LinkType::Null, 3_602_000_000_001, b"null".to_vec()),
        (LinkType::RawIp, 3_500_000_000, b"raw".to_vec()),
    ];
    assert_eq!(packets.len(), 3);
    for ((link, ts, wire, data), (want_link, want_ts, want_data)) in packets.iter().zip(expected) {
        assert_eq!((*link, *ts, data.clone()), (want_link, want_ts, want_data));
        assert_eq!(*wire as usize, data.len() + 10);
    }
}

#[test]
fn a_new_section_may_change_byte_order_and_forgets_interfaces() {
    let mut file = shb(false);
    file.extend(idb(1, None, None));
    file.extend(epb(0, 0, b"one"));
    file.extend(shb(true));
    // No interface in the new section: the packet is refused.
    file.extend(epb_in(true, 0, 0, b"two"));
    let (packets, error) = read_all(&file);
    assert_eq!(packets.len(), 1);
    assert!(error.unwrap().contains("interface 0"));
}

#[test]
fn damaged_pcapng_blocks_are_errors_not_panics() {
    let mut file = shb(false);
    file.extend(idb(1, None, None));
    let good = epb(0, 0, b"packet");
    file.extend(&good);
    // Trailer disagrees with the header.
    let mut broken = good.clone();
    let n = broken.len();
    broken[n - 4] ^= 0x10;
    let mut with_bad_trailer = file.clone();
    with_bad_trailer.extend(broken);
    let (packets, error) = read_all(&with_bad_trailer);
    assert_eq!(packets.len(), 1);
    assert!(error.unwrap().contains("don't match"));
    // Cut inside the block.
    let mut cut = file.clone();
    cut.extend(&good[..good.len() - 3]);
    let (packets, error) = read_all(&cut);
    assert_eq!(packets.len(), 1);
    assert!(error.unwrap().contains("truncated"));
}

fn pcap_header(magic: u32, major: u16, linktype: u32) -> Vec<u8> {
    let mut out = magic.to_le_bytes().to_vec();
    out.extend(major.to_le_bytes());
    out.extend(4u16.to_le_bytes());
    out.extend([0; 8]);
    out.extend(65535u32.to_le_bytes());
    out.extend(linktype.to_le_bytes());
    out
}

fn pcap_record(secs: u32, frac: u32, caplen: u32, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [secs, frac, caplen, data.len() as u32] {
        out.extend(v.to_le_bytes());
    }
    out.extend(data);
    out
}

#[test]
fn classic_pcap_variants_and_their_errors() {
    let mut micro = pcap_header(0xa1b2_c3d4, 2, 1);
    micro.extend(pcap_record(10, 5, 3, b"abc"));
    let (packets, error) = read_all(&micro);
    assert_eq!(error, None);
    assert_eq!(packets[0].1, 10_000_005_000);

    let mut nano = pcap_header(0xa1b2_3c4d, 2, 113);
    nano.extend(pcap_record(10, 5, 3, b"abc"));
    let (packets, _) = read_all(&nano);
    assert_eq!(
        (packets[0].0, packets[0].1),
        (LinkType::LinuxSll, 10_000_000_005)
    );

    let mut huge = pcap_header(0xa1b2_c3d4, 2, 1);
    huge.extend(pcap_record(10, 5, 3, b"abc"));
    huge.extend(pcap_record(10, 5, MAX_CAPLEN + 1, b""));
    let (packets, error) = read_all(&huge);
    assert_eq!(packets.len(), 1);
    assert!(error.unwrap().contains("bigger than the maximum"));

    let (_, error) = read_all(&pcap_header(0xa1b2_c3d4, 1, 1));
    assert!(error.unwrap().contains("archaic"));
    let (_, error) = read_all(&pcap_header(0xa1b2_c3d4, 2, 0x0030_0001));
    assert!(error.unwrap().contains("reserved bits"));
    let (_, error) = read_all(b"<html>");
    assert!(error.unwrap().contains("not a pcap or pcapng"));
    let (_, error) = read_all(b"");
    assert!(error.unwrap().contains("truncated"));
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_after_a_valid_start_never_panic(
        tail in proptest::collection::vec(proptest::num::u8::ANY, 0..400),
        ng in proptest::bool::ANY,
    ) {
        let mut file = if ng {
            let mut f = shb(false);
            f.extend(idb(1, Some(9), None));
            f
        } else {
            pcap_header(0xa1b2_c3d4, 2, 1)
        };
        file.extend(tail);
        let _ = read_all(&file);
    }
}
