//! Hand-built tunnel headers: every flag, truncation and version.

use super::*;

// ---- Hand-built edge cases.

const PAYLOAD: [u8; 4] = [0xde, 0xad, 0xbe, 0xef];

fn with_payload(header: &[u8]) -> Vec<u8> {
    let mut v = header.to_vec();
    v.extend_from_slice(&PAYLOAD);
    v
}

#[test]
fn gre_with_checksum() {
    // C bit: checksum 0x1234 and Reserved1 precede the payload.
    let pkt = with_payload(&[0x80, 0x00, 0x08, 0x00, 0x12, 0x34, 0x00, 0x00]);
    let d = gre(&pkt).unwrap();
    assert_eq!(d.inner, Inner::Ipv4);
    assert_eq!(header_len(&pkt, &d), 8);
    assert_eq!(d.payload, PAYLOAD);
    assert_eq!(d.tunnel_id, None);
}

#[test]
fn gre_with_key_and_sequence() {
    let pkt = with_payload(&[
        0x30, 0x00, 0x86, 0xdd, 0x00, 0x00, 0x30, 0x39, 0x00, 0x00, 0x00, 0x07,
    ]);
    let d = gre(&pkt).unwrap();
    assert_eq!(d.kind, TunnelKind::Gre);
    assert_eq!(d.inner, Inner::Ipv6);
    assert_eq!(header_len(&pkt, &d), 12);
    assert_eq!(d.payload, PAYLOAD);
    assert_eq!(d.tunnel_id, Some(12345));
}

/// C, K and S together: 4 + 4 + 4 + 4 bytes.
const GRE_ALL_FIELDS: [u8; 16] = [
    0xb0, 0x00, 0x65, 0x58, 0xab, 0xcd, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
];

#[test]
fn gre_with_checksum_key_and_sequence() {
    let pkt = with_payload(&GRE_ALL_FIELDS);
    let d = gre(&pkt).unwrap();
    assert_eq!(d.inner, Inner::Ethernet);
    assert_eq!(header_len(&pkt, &d), 16);
    assert_eq!(d.tunnel_id, Some(u32::MAX));
}

#[test]
fn gre_truncated_at_each_field() {
    for len in 0..GRE_ALL_FIELDS.len() {
        assert_eq!(
            gre(&GRE_ALL_FIELDS[..len]),
            Err(TunnelError::Truncated),
            "len {len}"
        );
    }
    // A header with nothing after it is complete; the payload is empty.
    let d = gre(&GRE_ALL_FIELDS).unwrap();
    assert!(d.payload.is_empty());
}

#[test]
fn gre_routing_and_other_versions_are_unsupported() {
    assert_eq!(
        gre(&with_payload(&[0x40, 0x00, 0x08, 0x00, 0, 0, 0, 0])),
        Err(TunnelError::UnsupportedVersion)
    );
    for version in 1..=7 {
        assert_eq!(
            gre(&with_payload(&[0x00, version, 0x08, 0x00])),
            Err(TunnelError::UnsupportedVersion),
            "version {version}"
        );
    }
}

#[test]
fn gre_ignores_recursion_and_reserved_bits() {
    let pkt = with_payload(&[0x0f, 0xf8, 0x08, 0x00]);
    assert_eq!(gre(&pkt).unwrap().payload, PAYLOAD);
}

#[test]
fn erspan_i_with_gre_key_reports_the_key() {
    let pkt = with_payload(&[0x20, 0x00, 0x88, 0xbe, 0x00, 0x00, 0x00, 0x2a]);
    let d = gre(&pkt).unwrap();
    assert_eq!(d.kind, TunnelKind::ErspanI);
    assert_eq!(d.tunnel_id, Some(42));
    assert_eq!(d.payload, PAYLOAD);
}

#[test]
fn erspan_ii_truncated_and_wrong_version() {
    for len in 8..16 {
        assert_eq!(
            gre(&ERSPAN_II[..len]),
            Err(TunnelError::Truncated),
            "len {len}"
        );
    }
    let mut v2 = ERSPAN_II;
    v2[8] = 0x20; // version 2 under 0x88BE
    assert_eq!(gre(&v2), Err(TunnelError::UnsupportedVersion));
}

#[test]
fn erspan_iii_truncated_and_wrong_version() {
    for len in 4..16 {
        assert_eq!(
            gre(&ERSPAN_III_TCPDUMP[..len]),
            Err(TunnelError::Truncated),
            "len {len}"
        );
    }
    let mut v1 = ERSPAN_III_TCPDUMP;
    v1[4] = 0x10; // version 1 under 0x22EB
    assert_eq!(gre(&v1), Err(TunnelError::UnsupportedVersion));
}

#[test]
fn erspan_iii_frame_types() {
    let header = |ft: u8| {
        let mut h = vec![0x00, 0x00, 0x22, 0xeb, 0x20, 0x05, 0x03, 0xff];
        h.extend_from_slice(&[0, 0, 0, 0, 0, 0, ft << 2, 0]);
        h
    };
    let mut ip4 = header(2);
    ip4.extend_from_slice(&[0x45, 0x00]);
    let d = gre(&ip4).unwrap();
    assert_eq!(d.inner, Inner::Ipv4);
    assert_eq!(d.tunnel_id, Some(0x3ff));
    assert_eq!(d.vlan, Some(5));
    assert_eq!(d.payload, [0x45, 0x00]);

    let mut ip6 = header(2);
    ip6.push(0x60);
    assert_eq!(gre(&ip6).unwrap().inner, Inner::Ipv6);

    let mut neither = header(2);
    neither.push(0x00);
    assert_eq!(gre(&neither).unwrap().inner, Inner::Other(2));

    let other = with_payload(&header(0x1f));
    assert_eq!(gre(&other).unwrap().inner, Inner::Other(0x1f));
}

#[test]
fn vxlan_requires_the_i_flag_and_eight_bytes() {
    let mut no_i = VXLAN_ZEEK;
    no_i[0] = 0x00;
    assert_eq!(vxlan(&no_i), Err(TunnelError::Malformed));
    for len in 0..8 {
        assert_eq!(
            vxlan(&VXLAN_ZEEK[..len]),
            Err(TunnelError::Truncated),
            "len {len}"
        );
    }
    // Reserved bits are ignored (RFC 7348).
    let mut reserved = VXLAN_ZEEK;
    reserved[0] = 0xff;
    reserved[3] = 0xff;
    reserved[7] = 0xff;
    assert_eq!(vxlan(&reserved).unwrap().tunnel_id, Some(123));
}

#[test]
fn geneve_with_two_options_and_ipv6() {
    // OptLen 5 words: option A (class 0x0102, type 0x80 critical, 2 data
    // words) and option B (class 0xffff, type 1, 1 data word).
    let pkt = with_payload(&[
        0x05, 0x40, 0x86, 0xdd, 0x12, 0x34, 0x56, 0x00, // fixed header, C bit set
        0x01, 0x02, 0x80, 0x02, 1, 2, 3, 4, 5, 6, 7, 8, // option A
        0xff, 0xff, 0x01, 0x01, 9, 10, 11, 12, // option B
    ]);
    let d = geneve(&pkt).unwrap();
    assert_eq!(d.kind, TunnelKind::Geneve);
    assert_eq!(d.inner, Inner::Ipv6);
    assert_eq!(header_len(&pkt, &d), 8 + 20);
    assert_eq!(d.payload, PAYLOAD);
    assert_eq!(d.tunnel_id, Some(0x12_3456));
}

#[test]
fn geneve_truncated_version_and_other_protocols() {
    for len in 0..16 {
        assert_eq!(
            geneve(&GENEVE_OPTION[..len]),
            Err(TunnelError::Truncated),
            "len {len}"
        );
    }
    let mut v1 = GENEVE_PLAIN;
    v1[0] = 0x40;
    assert_eq!(geneve(&v1), Err(TunnelError::UnsupportedVersion));
    let mut ipv4 = GENEVE_PLAIN;
    ipv4[2..4].copy_from_slice(&[0x08, 0x00]);
    assert_eq!(geneve(&ipv4).unwrap().inner, Inner::Ipv4);
    let mut nsh = GENEVE_PLAIN;
    nsh[2..4].copy_from_slice(&[0x89, 0x4f]);
    assert_eq!(geneve(&nsh).unwrap().inner, Inner::Other(0x894f));
}

/// Three labels: 1000 (transport), 2000, 3000 (bottom), then IPv6.
const MPLS_THREE: [u8; 16] = [
    0x00, 0x3e, 0x80, 0x40, 0x00, 0x7d, 0x00, 0x40, 0x00, 0xbb, 0x81, 0x40, 0x60, 0x00, 0x00, 0x00,
];

#[test]
fn mpls_three_label_stack() {
    let d = mpls(&MPLS_THREE).unwrap();
    assert_eq!(d.kind, TunnelKind::Mpls);
    assert_eq!(d.inner, Inner::Ipv6);
    assert_eq!(header_len(&MPLS_THREE, &d), 12);
    assert_eq!(d.payload, [0x60, 0, 0, 0]);
    assert_eq!(d.tunnel_id, Some(3000));
}

#[test]
fn mpls_truncated_at_each_entry() {
    // No bottom-of-stack bit before the input ends, or nothing after it.
    for len in 0..=12 {
        assert_eq!(
            mpls(&MPLS_THREE[..len]),
            Err(TunnelError::Truncated),
            "len {len}"
        );
    }
}

#[test]
fn mpls_explicit_null_labels_name_the_payload() {
    // Label 0 (IPv4 explicit null) even though the payload starts with 6.
    let ipv4_null = [0x00, 0x00, 0x01, 0x40, 0x60, 0x00];
    assert_eq!(mpls(&ipv4_null).unwrap().inner, Inner::Ipv4);
    let ipv6_null = [0x00, 0x00, 0x21, 0x40, 0x45, 0x00];
    let d = mpls(&ipv6_null).unwrap();
    assert_eq!(d.inner, Inner::Ipv6);
    assert_eq!(d.tunnel_id, Some(2));
}

/// One label (100), then `frame`.
fn mpls_over(frame: &[u8]) -> Vec<u8> {
    let mut v = vec![0x00, 0x06, 0x41, 0xff];
    v.extend_from_slice(frame);
    v
}

/// dst 00:50:56:01:02:03, src 00:0c:29:0a:0b:0c, EtherType IPv4, IPv4 start.
const ETH_DST_0: [u8; 20] = [
    0x00, 0x50, 0x56, 0x01, 0x02, 0x03, 0x00, 0x0c, 0x29, 0x0a, 0x0b, 0x0c, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x54, 0x00, 0x00,
];

#[test]
fn mpls_pseudowire_control_word_or_not() {
    // Control word, then a frame whose destination MAC starts with 0.
    let mut with_cw = vec![0x00, 0x00, 0x00, 0x05];
    with_cw.extend_from_slice(&ETH_DST_0);
    let pkt = mpls_over(&with_cw);
    let d = mpls(&pkt).unwrap();
    assert_eq!(d.inner, Inner::Ethernet);
    assert_eq!(header_len(&pkt, &d), 8);
    assert_eq!(d.payload, ETH_DST_0);
    assert_eq!(d.tunnel_id, Some(100));

    // The same frame without a control word: only that reading finds an
    // EtherType at offset 12.
    let pkt = mpls_over(&ETH_DST_0);
    let d = mpls(&pkt).unwrap();
    assert_eq!(d.inner, Inner::Ethernet);
    assert_eq!(header_len(&pkt, &d), 4);

    // A destination MAC that cannot be a control word or IP.
    let mut eth_c = ETH_DST_0;
    eth_c[0] = 0xcc;
    let pkt = mpls_over(&eth_c);
    let d = mpls(&pkt).unwrap();
    assert_eq!(d.inner, Inner::Ethernet);
    assert_eq!(header_len(&pkt, &d), 4);

    // A MAC starting with 0x44 has IHL 4: not IPv4.
    let mut eth_4 = ETH_DST_0;
    eth_4[0] = 0x44;
    assert_eq!(mpls(&mpls_over(&eth_4)).unwrap().inner, Inner::Ethernet);

    // Too short to hold an Ethernet header after the control word.
    assert_eq!(
        mpls(&mpls_over(&with_cw[..4 + 13])),
        Err(TunnelError::Truncated)
    );
}

#[test]
fn mpls_associated_channel() {
    // ACH version 0, channel type 0x0007 (BFD without IP/UDP).
    let pkt = mpls_over(&[0x10, 0x00, 0x00, 0x07, 0x20, 0x40]);
    let d = mpls(&pkt).unwrap();
    assert_eq!(d.inner, Inner::Other(0x0007));
    assert_eq!(d.payload, [0x20, 0x40]);
    assert_eq!(
        mpls(&mpls_over(&[0x10, 0x00, 0x00])),
        Err(TunnelError::Truncated)
    );
}

#[test]
fn pppoe_ipv6_and_control_protocols() {
    let ipv6 = with_payload(&[0x11, 0x00, 0x12, 0x34, 0x00, 0x06, 0x00, 0x57]);
    let d = pppoe_session(&ipv6).unwrap();
    assert_eq!(d.inner, Inner::Ipv6);
    assert_eq!(d.tunnel_id, Some(0x1234));
    assert_eq!(d.payload, PAYLOAD);
    let lcp = with_payload(&[0x11, 0x00, 0x12, 0x34, 0x00, 0x06, 0xc0, 0x21]);
    assert_eq!(pppoe_session(&lcp).unwrap().inner, Inner::Other(0xc021));
    let ipv6_compressed = with_payload(&[0x11, 0x00, 0x12, 0x34, 0x00, 0x05, 0x57]);
    let d = pppoe_session(&ipv6_compressed).unwrap();
    assert_eq!(d.inner, Inner::Ipv6);
    assert_eq!(d.payload, PAYLOAD);
}

#[test]
fn pppoe_errors() {
    for len in 0..8 {
        assert_eq!(
            pppoe_session(&PPPOE_QINQ[..len]),
            Err(TunnelError::Truncated),
            "len {len}"
        );
    }
    // A one-byte protocol needs only 7 bytes.
    assert!(pppoe_session(&PPPOE_PFC[..7]).unwrap().payload.is_empty());
    let mut version2 = PPPOE_QINQ;
    version2[0] = 0x21;
    assert_eq!(
        pppoe_session(&version2),
        Err(TunnelError::UnsupportedVersion)
    );
    let mut padt = PPPOE_QINQ;
    padt[1] = 0xa7;
    assert_eq!(pppoe_session(&padt), Err(TunnelError::Malformed));
    let mut even = PPPOE_QINQ;
    even[7] = 0x20;
    assert_eq!(pppoe_session(&even), Err(TunnelError::Malformed));
}

#[test]
fn kinds_have_distinct_names_and_errors_display() {
    let kinds = [
        TunnelKind::Gre,
        TunnelKind::ErspanI,
        TunnelKind::ErspanII,
        TunnelKind::ErspanIII,
        TunnelKind::Vxlan,
        TunnelKind::Geneve,
        TunnelKind::Mpls,
        TunnelKind::Pppoe,
    ];
    let names: std::collections::HashSet<_> = kinds.iter().map(|k| k.name()).collect();
    assert_eq!(names.len(), kinds.len());
    assert_eq!(
        TunnelError::Truncated.to_string(),
        "tunnel header truncated"
    );
}
