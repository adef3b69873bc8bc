//! Tunnel decoders against real captures (byte arrays cut from public
//! pcaps, each naming its source) and properties over mutations of them;
//! hand-built edge cases are in `edge`.

use super::*;
use proptest::prelude::*;

mod edge;

/// Header length of a decoded layer, after checking that the payload is
/// the tail of the input (borrowed, not copied).
fn header_len(input: &[u8], d: &Decap<'_>) -> usize {
    assert_eq!(d.payload.as_ptr_range().end, input.as_ptr_range().end);
    input.len() - d.payload.len()
}

// ---- Real captures. Each array starts at the tunnel header (the GRE
// header, the UDP payload, or the bytes after the EtherType) and is cut a
// few bytes into the inner frame; the comment names the capture, the frame
// and the frame offset the array starts at.

/// zeek-erspanI.pcap frame 1, offset 0x22: GRE 0x88BE, no flags.
const ERSPAN_I: [u8; 24] = [
    0x00, 0x00, 0x88, 0xbe, 0xa6, 0x83, 0xe7, 0x0c, 0x90, 0x64, 0x00, 0x0c, 0x29, 0xcf, 0x30, 0x15,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x94, 0x6a,
];

#[test]
fn erspan_i_from_zeek_capture() {
    let d = gre(&ERSPAN_I).unwrap();
    assert_eq!(d.kind, TunnelKind::ErspanI);
    assert_eq!(d.inner, Inner::Ethernet);
    assert_eq!(header_len(&ERSPAN_I, &d), 4);
    assert_eq!(d.payload[..6], [0xa6, 0x83, 0xe7, 0x0c, 0x90, 0x64]);
    assert_eq!(d.payload[12..14], [0x08, 0x00]);
    assert_eq!(d.tunnel_id, None);
    assert_eq!(d.vlan, None);
}

/// zeek-erspanII.pcap frame 1, offset 0x22: GRE S bit, sequence 1796,
/// ERSPAN II session 100, VLAN 23, En = ISL.
const ERSPAN_II: [u8; 40] = [
    0x10, 0x00, 0x88, 0xbe, 0x00, 0x00, 0x07, 0x04, 0x10, 0x17, 0x08, 0x64, 0x00, 0x00, 0x00, 0x00,
    0x64, 0x00, 0xf1, 0xe1, 0x03, 0x03, 0x64, 0x00, 0xf1, 0xe1, 0x02, 0x02, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x64, 0x08, 0x94, 0x00, 0x00, 0xff, 0x01,
];

#[test]
fn erspan_ii_from_zeek_capture() {
    let d = gre(&ERSPAN_II).unwrap();
    assert_eq!(d.kind, TunnelKind::ErspanII);
    assert_eq!(d.inner, Inner::Ethernet);
    assert_eq!(header_len(&ERSPAN_II, &d), 16);
    assert_eq!(d.payload[..6], [0x64, 0x00, 0xf1, 0xe1, 0x03, 0x03]);
    assert_eq!(d.tunnel_id, Some(100));
    assert_eq!(d.vlan, Some(23));
}

/// zeek-erspanIII.pcap frame 1, offset 0x22: GRE S bit, 0x22EB, session 0,
/// VLAN 20, FT 0, O = 0.
const ERSPAN_III_ZEEK: [u8; 40] = [
    0x10, 0x00, 0x22, 0xeb, 0x03, 0xb3, 0xed, 0x5c, 0x20, 0x14, 0x00, 0x00, 0x00, 0x00, 0x14, 0x58,
    0x00, 0x00, 0x80, 0x30, 0x02, 0x50, 0x56, 0x56, 0x44, 0x52, 0x00, 0x50, 0x56, 0xbe, 0xd5, 0x5d,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0xe1, 0xbc,
];

#[test]
fn erspan_iii_from_zeek_capture() {
    let d = gre(&ERSPAN_III_ZEEK).unwrap();
    assert_eq!(d.kind, TunnelKind::ErspanIII);
    assert_eq!(d.inner, Inner::Ethernet);
    assert_eq!(header_len(&ERSPAN_III_ZEEK, &d), 8 + 12);
    assert_eq!(d.payload[..6], [0x02, 0x50, 0x56, 0x56, 0x44, 0x52]);
    assert_eq!(d.tunnel_id, Some(0));
    assert_eq!(d.vlan, Some(20));
}

/// tcpdump-erspan-type-iii-ft-0.pcap frame 1, offset 0x22: no GRE flags,
/// 0x22EB, session 0, VLAN 20, P = 0 although the frame is Ethernet; the
/// mirrored frame keeps its 802.1Q tag for VLAN 20.
const ERSPAN_III_TCPDUMP: [u8; 40] = [
    0x00, 0x00, 0x22, 0xeb, 0x20, 0x14, 0x00, 0x00, 0xa3, 0x59, 0x5b, 0xff, 0x00, 0x00, 0x00, 0x06,
    0x00, 0x50, 0x56, 0xac, 0x18, 0xa0, 0xf8, 0xc2, 0x88, 0x90, 0xd2, 0x7b, 0x81, 0x00, 0x00, 0x14,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x9d, 0x12,
];

#[test]
fn erspan_iii_without_sequence_from_tcpdump_capture() {
    let d = gre(&ERSPAN_III_TCPDUMP).unwrap();
    assert_eq!(d.kind, TunnelKind::ErspanIII);
    assert_eq!(d.inner, Inner::Ethernet);
    assert_eq!(header_len(&ERSPAN_III_TCPDUMP, &d), 4 + 12);
    assert_eq!(d.payload[..6], [0x00, 0x50, 0x56, 0xac, 0x18, 0xa0]);
    assert_eq!(d.payload[12..16], [0x81, 0x00, 0x00, 0x14]);
    assert_eq!(d.tunnel_id, Some(0));
    assert_eq!(d.vlan, Some(20));
}

/// zeek-gre-erspan3-dot1q.pcap frame 1, offset 0x22: ERSPAN III with O = 1
/// (platform ID 3, port 3), VLAN 10, session 0; inner frame tagged VLAN 10.
const ERSPAN_III_SUBHEADER: [u8; 44] = [
    0x00, 0x00, 0x22, 0xeb, 0x20, 0x0a, 0x00, 0x00, 0x70, 0x50, 0x7e, 0x55, 0x00, 0x00, 0x00, 0x07,
    0x0c, 0x00, 0x00, 0x03, 0x15, 0xf7, 0x42, 0xe8, 0x00, 0x50, 0x56, 0x8b, 0x6d, 0xc7, 0x00, 0xae,
    0xcd, 0x00, 0x0c, 0xf1, 0x81, 0x00, 0x00, 0x0a, 0x08, 0x00, 0x45, 0x00,
];

#[test]
fn erspan_iii_with_platform_subheader_from_zeek_capture() {
    let d = gre(&ERSPAN_III_SUBHEADER).unwrap();
    assert_eq!(d.kind, TunnelKind::ErspanIII);
    assert_eq!(d.inner, Inner::Ethernet);
    assert_eq!(header_len(&ERSPAN_III_SUBHEADER, &d), 4 + 12 + 8);
    assert_eq!(d.payload[..6], [0x00, 0x50, 0x56, 0x8b, 0x6d, 0xc7]);
    assert_eq!(d.payload[12..16], [0x81, 0x00, 0x00, 0x0a]);
    assert_eq!(d.tunnel_id, Some(0));
    assert_eq!(d.vlan, Some(10));
}

#[test]
fn erspan_iii_subheader_cut_short_is_truncated() {
    for len in 0..4 + 12 + 8 {
        assert_eq!(
            gre(&ERSPAN_III_SUBHEADER[..len]),
            Err(TunnelError::Truncated),
            "len {len}"
        );
    }
}

/// arkime-gre-erspan-vxlan.pcap frame 1, offset 0x22 to the end: GRE S bit,
/// ERSPAN II session 20 VLAN 0, Ethernet, IPv4, UDP 4789 -> 4790, VXLAN
/// VNI 0, Ethernet, IPv4, TCP SYN to port 80.
const ERSPAN_VXLAN: [u8; 120] = [
    0x10, 0x00, 0x88, 0xbe, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x01,
    0xff, 0xdd, 0xff, 0xff, 0xff, 0xf1, 0xee, 0xee, 0xee, 0xee, 0xee, 0xe1, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x5a, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0xeb, 0x75, 0xac, 0x10, 0x1b, 0x83, 0xac, 0x10,
    0x1b, 0x79, 0x12, 0xb5, 0x12, 0xb6, 0x00, 0x46, 0xa3, 0xb7, 0x0c, 0x00, 0x00, 0x03, 0x00, 0x00,
    0x00, 0x00, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xd1, 0xaa, 0xbb, 0xcc, 0xdd, 0xcc, 0xc1, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x30, 0x21, 0x0a, 0x10, 0x1b, 0x0c,
    0x0a, 0x10, 0x1b, 0x83, 0xfe, 0x96, 0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x50, 0x02, 0x20, 0x00, 0x46, 0x4d, 0x00, 0x00,
];

#[test]
fn erspan_ii_then_vxlan_from_arkime_capture() {
    let outer = gre(&ERSPAN_VXLAN).unwrap();
    assert_eq!(outer.kind, TunnelKind::ErspanII);
    assert_eq!(outer.inner, Inner::Ethernet);
    assert_eq!(header_len(&ERSPAN_VXLAN, &outer), 16);
    assert_eq!(outer.payload[..6], [0xff, 0xdd, 0xff, 0xff, 0xff, 0xf1]);
    assert_eq!(outer.tunnel_id, Some(20));
    assert_eq!(outer.vlan, Some(0));
    // Skip the mirrored Ethernet (14), IPv4 (20) and UDP (8) headers.
    let udp = &outer.payload[14 + 20..];
    assert_eq!(u16::from_be_bytes([udp[0], udp[1]]), UDP_PORT_VXLAN);
    let inner = vxlan(&udp[8..]).unwrap();
    assert_eq!(inner.kind, TunnelKind::Vxlan);
    assert_eq!(inner.inner, Inner::Ethernet);
    assert_eq!(inner.tunnel_id, Some(0));
    assert_eq!(inner.payload[..6], [0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xd1]);
    assert_eq!(inner.payload.len(), 14 + 20 + 20);
}

/// zeek-erspan.pcap frame 2, offset 0x22: GRE with key 0x02000000 carrying
/// transparent Ethernet bridging (0x6558).
const GRE_TEB_KEY: [u8; 28] = [
    0x20, 0x00, 0x65, 0x58, 0x02, 0x00, 0x00, 0x00, 0x00, 0x50, 0x56, 0x82, 0x2b, 0x52, 0x00, 0x50,
    0x56, 0x82, 0x08, 0xd1, 0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x2c, 0x6b,
];

#[test]
fn gre_bridged_ethernet_with_key_from_zeek_capture() {
    let d = gre(&GRE_TEB_KEY).unwrap();
    assert_eq!(d.kind, TunnelKind::Gre);
    assert_eq!(d.inner, Inner::Ethernet);
    assert_eq!(header_len(&GRE_TEB_KEY, &d), 8);
    assert_eq!(d.payload[..6], [0x00, 0x50, 0x56, 0x82, 0x2b, 0x52]);
    assert_eq!(d.tunnel_id, Some(0x0200_0000));
}

/// tcpdump-various_gre.pcap frame 25, offset 0x26: GRE key 40, type 0x8909
/// (Cisco metadata), which this module does not decode.
const GRE_CISCO_METADATA: [u8; 32] = [
    0x20, 0x00, 0x89, 0x09, 0x00, 0x00, 0x00, 0x28, 0x08, 0x00, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00,
    0x45, 0x00, 0x00, 0x64, 0x00, 0x05, 0x00, 0x00, 0xff, 0x01, 0x61, 0x04, 0xac, 0x11, 0x01, 0x36,
];

/// tcpdump-various_gre.pcap frame 49, offset 0x26: GRE key 40, type 0x2000 (CDP).
const GRE_CDP: [u8; 16] = [
    0x20, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x28, 0x02, 0xb4, 0xa8, 0x2e, 0x00, 0x01, 0x00, 0x06,
];

#[test]
fn gre_unknown_payload_types_from_tcpdump_capture() {
    let d = gre(&GRE_CISCO_METADATA).unwrap();
    assert_eq!(d.kind, TunnelKind::Gre);
    assert_eq!(d.inner, Inner::Other(0x8909));
    assert_eq!(header_len(&GRE_CISCO_METADATA, &d), 8);
    assert_eq!(d.payload[..2], [0x08, 0x00]);
    assert_eq!(d.tunnel_id, Some(40));

    let d = gre(&GRE_CDP).unwrap();
    assert_eq!(d.inner, Inner::Other(0x2000));
    assert_eq!(header_len(&GRE_CDP, &d), 8);
    assert_eq!(d.tunnel_id, Some(40));
}

/// zeek-gre-within-gre.pcap frame 1, offset 0x22: GRE (IPv4) carrying an
/// IPv4 packet whose payload is GRE (IPv4) again.
const GRE_IN_GRE: [u8; 52] = [
    0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x7c, 0x27, 0xe0, 0x00, 0x00, 0xfe, 0x2f, 0x68, 0x5b,
    0x0a, 0x0a, 0x0b, 0x02, 0x0a, 0x0a, 0x0d, 0x02, 0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x64,
    0x23, 0xb8, 0x00, 0x00, 0xff, 0x01, 0xb3, 0x2b, 0x0a, 0x0a, 0x19, 0x01, 0xc0, 0xa8, 0x01, 0x02,
    0x08, 0x00, 0xcb, 0xca,
];

#[test]
fn gre_within_gre_from_zeek_capture() {
    let outer = gre(&GRE_IN_GRE).unwrap();
    assert_eq!(outer.kind, TunnelKind::Gre);
    assert_eq!(outer.inner, Inner::Ipv4);
    assert_eq!(header_len(&GRE_IN_GRE, &outer), 4);
    assert_eq!(outer.payload[..4], [0x45, 0x00, 0x00, 0x7c]);
    assert_eq!(outer.payload[9], IP_PROTO_GRE);
    assert_eq!(outer.tunnel_id, None);
    let inner = gre(&outer.payload[20..]).unwrap();
    assert_eq!(inner.kind, TunnelKind::Gre);
    assert_eq!(inner.inner, Inner::Ipv4);
    assert_eq!(inner.payload[..4], [0x45, 0x00, 0x00, 0x64]);
    assert_eq!(inner.payload[9], 1); // ICMP
}

/// arkime-6-4-gre-ppp-udp-4-dns.pcap frame 1, offset 0x4e: enhanced GRE
/// (version 1, PPTP) with key, sequence and acknowledgement, type 0x880B.
const GRE_PPTP: [u8; 24] = [
    0x30, 0x81, 0x88, 0x0b, 0x00, 0x67, 0x17, 0x80, 0x00, 0x06, 0x8f, 0xb1, 0x00, 0x08, 0x3a, 0x76,
    0xff, 0x03, 0x00, 0x21, 0x45, 0x00, 0x00, 0x63,
];

#[test]
fn gre_version_1_from_arkime_capture_is_unsupported() {
    assert_eq!(gre(&GRE_PPTP), Err(TunnelError::UnsupportedVersion));
}

/// zeek-vxlan.pcap frame 1, UDP payload (offset 0x2a): VNI 123, ARP inside.
const VXLAN_ZEEK: [u8; 24] = [
    0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7b, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xba, 0x09,
    0x2b, 0x6e, 0xf8, 0xbe, 0x08, 0x06, 0x00, 0x01,
];

/// sv-vxlan-decoder-03.pcap frame 1, UDP payload (offset 0x2a): VNI 5569041.
const VXLAN_SURICATA: [u8; 24] = [
    0x08, 0x00, 0x00, 0x00, 0x54, 0xfa, 0x11, 0x00, 0x02, 0x29, 0x23, 0x74, 0xc7, 0x7d, 0x02, 0x85,
    0x69, 0xc2, 0xab, 0x02, 0x08, 0x00, 0x45, 0x00,
];

#[test]
fn vxlan_from_real_captures() {
    let d = vxlan(&VXLAN_ZEEK).unwrap();
    assert_eq!(d.kind, TunnelKind::Vxlan);
    assert_eq!(d.inner, Inner::Ethernet);
    assert_eq!(header_len(&VXLAN_ZEEK, &d), 8);
    assert_eq!(d.payload[..6], [0xff; 6]);
    assert_eq!(d.payload[12..14], [0x08, 0x06]);
    assert_eq!(d.tunnel_id, Some(123));

    let d = vxlan(&VXLAN_SURICATA).unwrap();
    assert_eq!(header_len(&VXLAN_SURICATA, &d), 8);
    assert_eq!(d.payload[..6], [0x02, 0x29, 0x23, 0x74, 0xc7, 0x7d]);
    assert_eq!(d.tunnel_id, Some(5_569_041));
}

/// zeek-geneve.pcap frame 1, UDP payload (offset 0x2a): VNI 0, type 0x6558,
/// one 8-byte option (class 0, type 0, 4 data bytes 0000000a).
const GENEVE_OPTION: [u8; 40] = [
    0x02, 0x00, 0x65, 0x58, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0a,
    0x76, 0xb5, 0xd5, 0x0a, 0xa6, 0x41, 0xb2, 0x1a, 0x43, 0xd5, 0xfa, 0x4c, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x54, 0x00, 0x00, 0x40, 0x00, 0x40, 0x01,
];

/// zeek-geneve.pcap frame 2, UDP payload (offset 0x2a): no options.
const GENEVE_PLAIN: [u8; 32] = [
    0x00, 0x00, 0x65, 0x58, 0x00, 0x00, 0x00, 0x00, 0xb2, 0x1a, 0x43, 0xd5, 0xfa, 0x4c, 0x76, 0xb5,
    0xd5, 0x0a, 0xa6, 0x41, 0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x11, 0x97, 0x00, 0x00, 0x40, 0x01,
];

#[test]
fn geneve_from_zeek_capture() {
    let d = geneve(&GENEVE_OPTION).unwrap();
    assert_eq!(d.kind, TunnelKind::Geneve);
    assert_eq!(d.inner, Inner::Ethernet);
    assert_eq!(header_len(&GENEVE_OPTION, &d), 16);
    assert_eq!(d.payload[..6], [0x76, 0xb5, 0xd5, 0x0a, 0xa6, 0x41]);
    assert_eq!(d.tunnel_id, Some(0));

    let d = geneve(&GENEVE_PLAIN).unwrap();
    assert_eq!(d.inner, Inner::Ethernet);
    assert_eq!(header_len(&GENEVE_PLAIN, &d), 8);
    assert_eq!(d.payload[..6], [0xb2, 0x1a, 0x43, 0xd5, 0xfa, 0x4c]);
    assert_eq!(d.tunnel_id, Some(0));
}

/// arkime-mpls-basic.pcap frame 9, after EtherType 0x8847 (offset 0x0e):
/// one label, 29, then IPv4.
const MPLS_ARKIME: [u8; 24] = [
    0x00, 0x01, 0xd1, 0xff, 0x45, 0x00, 0x00, 0x64, 0x00, 0x0a, 0x00, 0x00, 0xff, 0x01, 0xa5, 0x6a,
    0x0a, 0x01, 0x02, 0x01, 0x0a, 0x22, 0x00, 0x01,
];

/// pcpp-MplsPackets.pcap frame 1, after two 802.1Q tags and 0x8847 (offset
/// 0x16): one label, 16000, then IPv4 (the frame is snaplen-truncated).
const MPLS_PCPP_IPV4: [u8; 24] = [
    0x03, 0xe8, 0x01, 0x7e, 0x45, 0x00, 0x01, 0x4f, 0x7a, 0xc5, 0x00, 0x00, 0x7e, 0x06, 0xa0, 0xbf,
    0x02, 0x03, 0x04, 0x06, 0x0c, 0x0d, 0x0e, 0x0f,
];

/// zeek-mpls-in-vlan.pcap frame 3, after 802.1Q and 0x8847 (offset 0x12):
/// labels 254 and 99, then IPv4.
const MPLS_TWO_LABELS: [u8; 28] = [
    0x00, 0x0f, 0xe0, 0x3c, 0x00, 0x06, 0x31, 0x3c, 0x45, 0x00, 0x02, 0xc6, 0x58, 0xf6, 0x40, 0x00,
    0x3d, 0x06, 0xb7, 0x2c, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
];

/// tcpdump-mpls-over-udp.pcap frames 1 and 2, UDP payload to port 6635
/// (offset 0x2a): label 21, then label 46, each followed by IPv4.
const MPLS_UDP_1: [u8; 24] = [
    0x00, 0x01, 0x51, 0x3f, 0x45, 0x00, 0x00, 0x54, 0x67, 0x6f, 0x40, 0x00, 0x3f, 0x01, 0xc0, 0x22,
    0x0a, 0x03, 0x00, 0x0a, 0x0a, 0x01, 0x00, 0x0a,
];
const MPLS_UDP_2: [u8; 24] = [
    0x00, 0x02, 0xe1, 0x3f, 0x45, 0x00, 0x00, 0x54, 0xb6, 0x14, 0x00, 0x00, 0x3f, 0x01, 0xb1, 0x7d,
    0x0a, 0x01, 0x00, 0x0a, 0x0a, 0x03, 0x00, 0x0a,
];

#[test]
fn mpls_ipv4_from_real_captures() {
    for (bytes, label, stack) in [
        (&MPLS_ARKIME[..], 29, 4),
        (&MPLS_PCPP_IPV4[..], 16000, 4),
        (&MPLS_TWO_LABELS[..], 99, 8),
        (&MPLS_UDP_1[..], 21, 4),
        (&MPLS_UDP_2[..], 46, 4),
    ] {
        let d = mpls(bytes).unwrap();
        assert_eq!(d.kind, TunnelKind::Mpls);
        assert_eq!(d.inner, Inner::Ipv4);
        assert_eq!(header_len(bytes, &d), stack);
        assert_eq!(d.payload[0], 0x45);
        assert_eq!(d.tunnel_id, Some(label));
    }
}

/// pcpp-MplsPackets.pcap frame 2, after 0x8847 (offset 0x0e): labels 18 and
/// 16, an all-zero Ethernet pseudowire control word, then an Ethernet frame
/// (destination cc:07:0d:08:00:00) tagged VLAN 1.
const MPLS_PW_CW: [u8; 48] = [
    0x00, 0x01, 0x20, 0xfe, 0x00, 0x01, 0x01, 0xff, 0x00, 0x00, 0x00, 0x00, 0xcc, 0x07, 0x0d, 0x08,
    0x00, 0x00, 0xcc, 0x00, 0x0a, 0x64, 0x00, 0x00, 0x81, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x64, 0x00, 0x07, 0x00, 0x00, 0xff, 0x01, 0x38, 0x3e, 0xc0, 0xa8, 0x01, 0x02, 0xc0, 0xa8,
];

#[test]
fn mpls_pseudowire_with_control_word_from_pcpp_capture() {
    let d = mpls(&MPLS_PW_CW).unwrap();
    assert_eq!(d.kind, TunnelKind::Mpls);
    assert_eq!(d.inner, Inner::Ethernet);
    assert_eq!(header_len(&MPLS_PW_CW, &d), 8 + 4);
    assert_eq!(d.payload[..6], [0xcc, 0x07, 0x0d, 0x08, 0x00, 0x00]);
    assert_eq!(d.payload[12..14], [0x81, 0x00]);
    assert_eq!(d.tunnel_id, Some(16));
}

/// sv-pppoe-session-http.pcap frame 1, after 0x8864 (offset 0x0e): session
/// 0x002d, length 61, compressed PPP protocol 0x21 (IPv4).
const PPPOE_PFC: [u8; 28] = [
    0x11, 0x00, 0x00, 0x2d, 0x00, 0x3d, 0x21, 0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x40,
    0x06, 0xed, 0xda, 0x0a, 0x64, 0x00, 0x00, 0x8e, 0xfa, 0xb3, 0x83, 0xde,
];

/// zeek-pppoe-over-qinq.pcap frame 1, after two 802.1Q tags and 0x8864
/// (offset 0x16): session 0x0f07, length 66, PPP protocol 0x0021.
const PPPOE_QINQ: [u8; 28] = [
    0x11, 0x00, 0x0f, 0x07, 0x00, 0x42, 0x00, 0x21, 0x45, 0x00, 0x00, 0x40, 0x00, 0x00, 0x40, 0x00,
    0x3f, 0x06, 0x35, 0xb3, 0x01, 0x01, 0x01, 0x01, 0x02, 0x02, 0x02, 0x02,
];

/// zeek-pppoe-over-qinq.pcap frame 19, offset 0x16 to the end of the frame:
/// the PPPoE length says 42 but a 46-byte IPv4 packet (total length 0x2e)
/// follows the 2-byte protocol field.
const PPPOE_BAD_LENGTH: [u8; 54] = [
    0x11, 0x00, 0x0f, 0x07, 0x00, 0x2a, 0x00, 0x21, 0x45, 0x00, 0x00, 0x2e, 0x1c, 0x46, 0x40, 0x00,
    0xef, 0x06, 0x69, 0x7e, 0x02, 0x02, 0x02, 0x02, 0x01, 0x01, 0x01, 0x01, 0x01, 0xbb, 0x4f, 0xaa,
    0xfc, 0x90, 0xb0, 0x07, 0xd7, 0xa8, 0x44, 0x99, 0x50, 0x10, 0x08, 0x62, 0x87, 0x27, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

#[test]
fn pppoe_from_real_captures() {
    let d = pppoe_session(&PPPOE_PFC).unwrap();
    assert_eq!(d.kind, TunnelKind::Pppoe);
    assert_eq!(d.inner, Inner::Ipv4);
    assert_eq!(header_len(&PPPOE_PFC, &d), 7);
    assert_eq!(d.payload[..4], [0x45, 0x00, 0x00, 0x3c]);
    assert_eq!(d.tunnel_id, Some(0x002d));

    let d = pppoe_session(&PPPOE_QINQ).unwrap();
    assert_eq!(d.inner, Inner::Ipv4);
    assert_eq!(header_len(&PPPOE_QINQ, &d), 8);
    assert_eq!(d.payload[..4], [0x45, 0x00, 0x00, 0x40]);
    assert_eq!(d.tunnel_id, Some(0x0f07));
}

#[test]
fn pppoe_length_field_does_not_cut_the_payload() {
    let d = pppoe_session(&PPPOE_BAD_LENGTH).unwrap();
    assert_eq!(d.inner, Inner::Ipv4);
    assert_eq!(header_len(&PPPOE_BAD_LENGTH, &d), 8);
    let ip_total_len = usize::from(u16::from_be_bytes([d.payload[2], d.payload[3]]));
    assert_eq!(ip_total_len, 46);
    assert_eq!(d.payload.len(), ip_total_len);
}

// ---- Properties.

/// Any successful decode borrows a tail of the input.
fn check_tail(input: &[u8], result: Result<Decap<'_>, TunnelError>) {
    if let Ok(d) = result {
        assert_eq!(d.payload.as_ptr_range().end, input.as_ptr_range().end);
        assert!(d.payload.len() <= input.len());
    }
}

/// Every real-capture array above, for mutation.
const CAPTURES: [&[u8]; 24] = [
    &ERSPAN_I,
    &ERSPAN_II,
    &ERSPAN_III_ZEEK,
    &ERSPAN_III_TCPDUMP,
    &ERSPAN_III_SUBHEADER,
    &ERSPAN_VXLAN,
    &GRE_TEB_KEY,
    &GRE_CISCO_METADATA,
    &GRE_CDP,
    &GRE_IN_GRE,
    &GRE_PPTP,
    &VXLAN_ZEEK,
    &VXLAN_SURICATA,
    &GENEVE_OPTION,
    &GENEVE_PLAIN,
    &MPLS_ARKIME,
    &MPLS_PCPP_IPV4,
    &MPLS_TWO_LABELS,
    &MPLS_UDP_1,
    &MPLS_UDP_2,
    &MPLS_PW_CW,
    &PPPOE_PFC,
    &PPPOE_QINQ,
    &PPPOE_BAD_LENGTH,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Random bytes rarely get past the first checks, so also feed every
    /// decoder near-valid input: a real header with a few bytes changed,
    /// cut at any length.
    #[test]
    fn mutated_captures_never_panic(
        which in 0..CAPTURES.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut data = CAPTURES[which].to_vec();
        for (at, byte) in edits {
            let at = at.index(data.len());
            data[at] = byte;
        }
        data.truncate(cut.index(data.len() + 1));
        check_tail(&data, gre(&data));
        check_tail(&data, vxlan(&data));
        check_tail(&data, geneve(&data));
        check_tail(&data, mpls(&data));
        check_tail(&data, pppoe_session(&data));
    }

    #[test]
    fn gre_never_panics(data in proptest::collection::vec(any::<u8>(), 0..96)) {
        check_tail(&data, gre(&data));
    }

    #[test]
    fn vxlan_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        check_tail(&data, vxlan(&data));
    }

    #[test]
    fn geneve_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        check_tail(&data, geneve(&data));
    }

    #[test]
    fn mpls_never_panics(data in proptest::collection::vec(any::<u8>(), 0..96)) {
        check_tail(&data, mpls(&data));
    }

    #[test]
    fn pppoe_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        check_tail(&data, pppoe_session(&data));
    }

    /// The header ends where the C, K and S bits say, whatever the rest
    /// of the flags word and the protocol type.
    #[test]
    fn gre_header_length_follows_flags(
        c in any::<bool>(), k in any::<bool>(), s in any::<bool>(),
        ignored in 0u16..0x0100, proto in any::<u16>(),
        body in proptest::collection::vec(any::<u8>(), 0..32),
    ) {
        prop_assume!(proto != GRE_PROTO_ERSPAN_I_II && proto != GRE_PROTO_ERSPAN_III);
        let flags = u16::from(c) << 15 | u16::from(k) << 13 | u16::from(s) << 12
            | ((ignored << 3) & 0x0ff8);
        let mut pkt = [flags.to_be_bytes(), proto.to_be_bytes()].concat();
        let fields = usize::from(c) + usize::from(k) + usize::from(s);
        pkt.extend(std::iter::repeat_n(0x11, 4 * fields));
        pkt.extend_from_slice(&body);
        let d = gre(&pkt).unwrap();
        prop_assert_eq!(d.kind, TunnelKind::Gre);
        prop_assert_eq!(d.payload, &body[..]);
        prop_assert_eq!(d.tunnel_id, k.then_some(0x1111_1111));
    }

    /// The Geneve payload starts after 8 + 4 * OptLen bytes.
    #[test]
    fn geneve_payload_follows_options(
        opt_words in 0u8..64, vni in 0u32..(1 << 24),
        body in proptest::collection::vec(any::<u8>(), 0..32),
    ) {
        let mut pkt = vec![opt_words, 0x00, 0x65, 0x58];
        pkt.extend_from_slice(&(vni << 8).to_be_bytes());
        pkt.extend(std::iter::repeat_n(0xaa, 4 * usize::from(opt_words)));
        pkt.extend_from_slice(&body);
        let d = geneve(&pkt).unwrap();
        prop_assert_eq!(d.payload, &body[..]);
        prop_assert_eq!(d.tunnel_id, Some(vni));
    }
}
