//! Link layers: strip what the capture put in front of the network layer,
//! then hand the rest to etherparse's lax slicer.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{EtherType, LaxLinkExtSlice, LaxNetSlice, LaxSlicedPacket, LinkSlice};

use super::error::DecodeError;
use super::ipv6::{self, Chain};
use super::packet::{ArpView, Decoded, Fragment, PacketView};
use super::transport;
use super::tunnel::{self, Decap, Inner, TunnelError, TunnelKind};
use crate::net::IpProto;

/// The link types camsentry decodes, from the capture's DLT/LINKTYPE value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    Ethernet,
    /// Linux cooked capture v1 (`tcpdump -i any` before libpcap 1.10).
    LinuxSll,
    /// Linux cooked capture v2.
    LinuxSll2,
    /// Raw IPv4 or IPv6, version from the first nibble.
    RawIp,
    /// BSD loopback: a 4-byte address family in the capturing host's order.
    Null,
    /// OpenBSD loopback: the same family field in network order.
    Loop,
    Unsupported(i32),
}

impl LinkType {
    /// Maps libpcap's `pcap_datalink()` value. libpcap already translates
    /// file LINKTYPE_ values to DLT_ ones, but both spellings of raw IP are
    /// accepted so that the mapping holds for files read without it too.
    pub fn from_dlt(dlt: i32) -> LinkType {
        match dlt {
            1 => LinkType::Ethernet,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            12 | 14 | 101 | 228 | 229 => LinkType::RawIp,
            0 => LinkType::Null,
            108 => LinkType::Loop,
            other => LinkType::Unsupported(other),
        }
    }

    pub fn is_supported(self) -> bool {
        !matches!(self, LinkType::Unsupported(_))
    }
}

/// Decodes one captured frame. Never panics, never allocates.
pub fn decode(link: LinkType, frame: &[u8]) -> Result<Decoded, DecodeError> {
    match link {
        LinkType::Ethernet => {
            if let Some(view) = super::fast::ethernet_ipv4(frame) {
                return Ok(Decoded::Ip(view));
            }
            from_ethernet(frame, frame, 0)
        }
        LinkType::LinuxSll => {
            // 16-byte header: packet type, ARPHRD type, address length,
            // 8 bytes of address, then the protocol (an EtherType for
            // Ethernet-like devices).
            let header = frame.get(..16).ok_or(DecodeError::Truncated)?;
            let protocol = u16::from_be_bytes([header[14], header[15]]);
            let mut src_mac = [0u8; 6];
            if u16::from_be_bytes([header[4], header[5]]) == 6 {
                src_mac.copy_from_slice(&header[6..12]);
            }
            from_ether_type(protocol, &frame[16..], frame, src_mac, 0)
        }
        LinkType::LinuxSll2 => {
            // 20-byte header: protocol first, then interface index, ARPHRD
            // type, packet type, address length and 8 bytes of address.
            let header = frame.get(..20).ok_or(DecodeError::Truncated)?;
            let protocol = u16::from_be_bytes([header[0], header[1]]);
            let mut src_mac = [0u8; 6];
            if header[11] == 6 {
                src_mac.copy_from_slice(&header[12..18]);
            }
            from_ether_type(protocol, &frame[20..], frame, src_mac, 0)
        }
        LinkType::RawIp => from_ip(frame, frame, 0),
        LinkType::Null | LinkType::Loop => {
            let header = frame.get(..4).ok_or(DecodeError::Truncated)?;
            let family = if link == LinkType::Loop {
                u32::from_be_bytes([header[0], header[1], header[2], header[3]])
            } else {
                // The field is in the byte order of the machine that wrote
                // the capture, which we do not know: accept either.
                let le = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
                if le < 256 {
                    le
                } else {
                    u32::from_be_bytes([header[0], header[1], header[2], header[3]])
                }
            };
            match family {
                // AF_INET everywhere; AF_INET6 on Linux, *BSD, FreeBSD, macOS.
                2 | 10 | 24 | 28 | 30 => from_ip(&frame[4..], frame, 0),
                _ => Err(DecodeError::NonIp),
            }
        }
        LinkType::Unsupported(_) => Err(DecodeError::UnsupportedLinkType),
    }
}

/// Ethernet through etherparse only: the reference the fast path is
/// checked against.
pub fn decode_ethernet_slow(frame: &[u8]) -> Result<Decoded, DecodeError> {
    from_ethernet(frame, frame, 0)
}

fn from_ethernet(bytes: &[u8], frame: &[u8], depth: u8) -> Result<Decoded, DecodeError> {
    let sliced = LaxSlicedPacket::from_ethernet(bytes).map_err(|_| DecodeError::Truncated)?;
    from_sliced(&sliced, frame, depth)
}

/// Tunnels inside tunnels deeper than this are not followed (each level
/// costs a decode; real mirror setups nest two or three).
const MAX_TUNNEL_DEPTH: u8 = 4;

/// Decodes what a tunnel carries and marks the tunnel in the view.
fn from_decap(decap: Decap<'_>, frame: &[u8], depth: u8) -> Result<Decoded, DecodeError> {
    let mut decoded = match decap.inner {
        Inner::Ethernet => from_ethernet(decap.payload, frame, depth + 1),
        Inner::Ipv4 | Inner::Ipv6 => from_ip(decap.payload, frame, depth + 1),
        Inner::Other(ether_type) => {
            from_ether_type(ether_type, decap.payload, frame, [0; 6], depth + 1)
        }
    }?;
    if let Decoded::Ip(view) = &mut decoded {
        view.encap |= 1 << tunnel_index(decap.kind);
        // ERSPAN II/III carry the mirrored frame's VLAN in their header;
        // use it when the frame itself arrived untagged.
        if view.vlan == 0
            && let Some(vlan) = decap.vlan
        {
            view.vlan = vlan;
        }
    }
    Ok(decoded)
}

/// Bit position of each tunnel kind in [`PacketView::encap`].
pub fn tunnel_index(kind: TunnelKind) -> usize {
    match kind {
        TunnelKind::Gre => 0,
        TunnelKind::ErspanI => 1,
        TunnelKind::ErspanII => 2,
        TunnelKind::ErspanIII => 3,
        TunnelKind::Vxlan => 4,
        TunnelKind::Geneve => 5,
        TunnelKind::Mpls => 6,
        TunnelKind::Pppoe => 7,
    }
}

/// The tunnel kinds in bit order, for counters.
pub const TUNNEL_KINDS: [TunnelKind; 8] = [
    TunnelKind::Gre,
    TunnelKind::ErspanI,
    TunnelKind::ErspanII,
    TunnelKind::ErspanIII,
    TunnelKind::Vxlan,
    TunnelKind::Geneve,
    TunnelKind::Mpls,
    TunnelKind::Pppoe,
];

/// The EtherType and payload after the last link header, for protocols
/// etherparse does not decode (MPLS, PPPoE).
fn ether_payload<'a>(sliced: &LaxSlicedPacket<'a>) -> Option<(u16, &'a [u8])> {
    if let Some(last) = sliced.link_exts.last() {
        let payload = last.payload()?;
        return Some((payload.ether_type.0, payload.payload));
    }
    match &sliced.link {
        Some(LinkSlice::Ethernet2(eth)) => {
            let payload = eth.payload();
            Some((payload.ether_type.0, payload.payload))
        }
        Some(LinkSlice::EtherPayload(payload)) => Some((payload.ether_type.0, payload.payload)),
        _ => None,
    }
}

fn from_ip(bytes: &[u8], frame: &[u8], depth: u8) -> Result<Decoded, DecodeError> {
    match bytes.first().map(|b| b >> 4) {
        None => Err(DecodeError::Truncated),
        Some(4) | Some(6) => {
            let sliced = LaxSlicedPacket::from_ip(bytes).map_err(|e| {
                use etherparse::err::ip::LaxHeaderSliceError;
                match e {
                    LaxHeaderSliceError::Len(_) => DecodeError::Truncated,
                    LaxHeaderSliceError::Content(_) => DecodeError::Malformed,
                }
            })?;
            from_sliced(&sliced, frame, depth)
        }
        Some(_) => Err(DecodeError::Malformed),
    }
}

fn from_ether_type(
    ether_type: u16,
    bytes: &[u8],
    frame: &[u8],
    src_mac: [u8; 6],
    depth: u8,
) -> Result<Decoded, DecodeError> {
    let sliced = LaxSlicedPacket::from_ether_type(EtherType(ether_type), bytes);
    let mut decoded = from_sliced(&sliced, frame, depth)?;
    if let Decoded::Ip(view) = &mut decoded
        && src_mac != [0; 6]
    {
        view.src_mac = src_mac;
    }
    Ok(decoded)
}

/// `frame` is the whole captured frame: every slice of `sliced` lies in it,
/// and payload offsets are counted from its start.
fn from_sliced(
    sliced: &LaxSlicedPacket<'_>,
    frame: &[u8],
    depth: u8,
) -> Result<Decoded, DecodeError> {
    let (src_mac, dst_mac) = match &sliced.link {
        Some(LinkSlice::Ethernet2(eth)) => (eth.source(), eth.destination()),
        _ => ([0; 6], [0; 6]),
    };
    let mut vlans = [0u16; 2];
    let mut tags = 0;
    for ext in &sliced.link_exts {
        if let LaxLinkExtSlice::Vlan(vlan) = ext {
            if tags < vlans.len() {
                vlans[tags] = vlan.vlan_identifier().value();
            }
            tags += 1;
        }
    }
    let net = match &sliced.net {
        Some(net) => net,
        None => {
            // MPLS and PPPoE sessions: peel them and decode what they carry.
            if depth < MAX_TUNNEL_DEPTH
                && sliced.stop_err.is_none()
                && let Some((ether_type, payload)) = ether_payload(sliced)
            {
                let decap = match ether_type {
                    tunnel::ETHERTYPE_MPLS_UNICAST | tunnel::ETHERTYPE_MPLS_MULTICAST => {
                        Some(tunnel::mpls(payload))
                    }
                    tunnel::ETHERTYPE_PPPOE_SESSION => Some(tunnel::pppoe_session(payload)),
                    _ => None,
                };
                match decap {
                    Some(Ok(decap)) => return from_decap(decap, frame, depth),
                    Some(Err(TunnelError::Truncated)) => return Err(DecodeError::Truncated),
                    Some(Err(_)) => return Err(DecodeError::Malformed),
                    None => {}
                }
            }
            return Err(stop_reason(sliced));
        }
    };
    let (src, dst, proto, payload, fragment) = match net {
        LaxNetSlice::Ipv4(ip) => {
            let header = ip.header();
            let payload = ip.payload();
            let fragment = if !payload.fragmented {
                Fragment::None
            } else if header.fragments_offset().value() == 0 {
                Fragment::First
            } else {
                return Ok(Decoded::LaterFragment);
            };
            (
                IpAddr::V4(Ipv4Addr::from(header.source())),
                IpAddr::V4(Ipv4Addr::from(header.destination())),
                payload.ip_number.0,
                payload.payload,
                fragment,
            )
        }
        LaxNetSlice::Ipv6(ip) => {
            let header = ip.header();
            // The extension headers are walked by our own code, never by
            // etherparse's iterator (see `ipv6`): it reads out of bounds on
            // a chain cut short.
            let (proto, payload, fragment) =
                match ipv6::walk(header.next_header().0, ipv6_payload(frame, ip)?)? {
                    Chain::Upper {
                        proto,
                        payload,
                        fragment,
                    } => (proto, payload, fragment),
                    Chain::LaterFragment => return Ok(Decoded::LaterFragment),
                };
            (
                IpAddr::V6(Ipv6Addr::from(header.source())),
                IpAddr::V6(Ipv6Addr::from(header.destination())),
                proto,
                payload,
                fragment,
            )
        }
        LaxNetSlice::Arp(arp) => return arp_view(arp, vlans[0]),
    };
    // Mirror-port encapsulations: decode the inner packet and key the flow
    // on it. What does not decode as the tunnel it claims to be stays an
    // ordinary flow of the outer packet.
    if depth < MAX_TUNNEL_DEPTH && fragment == Fragment::None {
        let decap = match IpProto(proto) {
            IpProto::GRE => tunnel::gre(payload).ok(),
            IpProto::UDP => udp_tunnel(payload),
            _ => None,
        };
        if let Some(decap) = decap
            && let Ok(inner) = from_decap(decap, frame, depth)
        {
            return Ok(inner);
        }
    }
    let ports = transport::parse(proto, payload, src.is_ipv6())?;
    let payload_start = ports.payload.as_ptr() as usize - frame.as_ptr() as usize;
    Ok(Decoded::Ip(PacketView {
        src,
        dst,
        src_port: ports.src_port,
        dst_port: ports.dst_port,
        proto,
        icmp_one_way: ports.icmp_one_way,
        vlan: vlans[0],
        inner_vlan: vlans[1],
        src_mac,
        dst_mac,
        tcp_flags: ports.tcp_flags,
        fragment,
        payload_offset: payload_start.min(u16::MAX as usize) as u16,
        payload_len: ports.payload.len().min(u16::MAX as usize) as u16,
        quoted: ports.quoted,
        encap: 0,
    }))
}

/// The IPv6 payload (extension headers included) as one slice of `frame`:
/// etherparse's extension slice and the payload after it are contiguous.
fn ipv6_payload<'a>(
    frame: &'a [u8],
    ip: &etherparse::LaxIpv6Slice<'a>,
) -> Result<&'a [u8], DecodeError> {
    let header = ip.header().slice();
    let start = (header.as_ptr() as usize)
        .checked_sub(frame.as_ptr() as usize)
        .ok_or(DecodeError::Malformed)?
        + header.len();
    let len = ip.extensions().slice().len() + ip.payload().payload.len();
    frame.get(start..start + len).ok_or(DecodeError::Malformed)
}

/// A UDP tunnel is recognised by its well-known port on either side (as
/// Wireshark does: a VTEP may reply from the port), then must parse.
fn udp_tunnel(udp: &[u8]) -> Option<Decap<'_>> {
    let ports = [
        u16::from_be_bytes([*udp.get(2)?, *udp.get(3)?]),
        u16::from_be_bytes([*udp.first()?, *udp.get(1)?]),
    ];
    let body = udp.get(8..)?;
    ports.iter().find_map(|port| match *port {
        tunnel::UDP_PORT_VXLAN => tunnel::vxlan(body).ok(),
        tunnel::UDP_PORT_GENEVE => tunnel::geneve(body).ok(),
        tunnel::UDP_PORT_MPLS => tunnel::mpls(body).ok(),
        _ => None,
    })
}

fn stop_reason(sliced: &LaxSlicedPacket<'_>) -> DecodeError {
    use etherparse::err::packet::SliceError;
    match &sliced.stop_err {
        Some((SliceError::Len(_), _)) => DecodeError::Truncated,
        Some(_) => DecodeError::Malformed,
        None => DecodeError::NonIp,
    }
}

fn arp_view(arp: &etherparse::ArpPacketSlice<'_>, vlan: u16) -> Result<Decoded, DecodeError> {
    let (Ok(sender_mac), Ok(sender_ip), Ok(target_ip)) = (
        <[u8; 6]>::try_from(arp.sender_hw_addr()),
        <[u8; 4]>::try_from(arp.sender_protocol_addr()),
        <[u8; 4]>::try_from(arp.target_protocol_addr()),
    ) else {
        // ARP for something other than Ethernet/IPv4: nothing a camera does.
        return Err(DecodeError::NonIp);
    };
    Ok(Decoded::Arp(ArpView {
        operation: arp.operation().0,
        sender_mac,
        sender_ip,
        target_ip,
        vlan,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tcp_flags::{ACK, SYN};
    use etherparse::PacketBuilder;
    use proptest::prelude::*;

    macro_rules! build {
        ($builder:expr, $payload:expr $(,)?) => {{
            let mut out = Vec::new();
            $builder.write(&mut out, $payload).unwrap();
            out
        }};
    }

    fn tcp_syn_frame() -> Vec<u8> {
        let builder = PacketBuilder::ethernet2([0xc0, 0x56, 0xe3, 1, 2, 3], [0, 0, 0, 0, 0, 2])
            .single_vlan(20.try_into().unwrap())
            .ipv4([10, 20, 0, 11], [10, 20, 0, 2], 64)
            .tcp(40000, 554, 1, 1000)
            .syn()
            .ack(7);
        build!(builder, b"OPTIONS rtsp://x RTSP/1.0\r\n\r\n")
    }

    #[test]
    fn ethernet_vlan_ipv4_tcp() {
        let frame = tcp_syn_frame();
        let Ok(Decoded::Ip(view)) = decode(LinkType::Ethernet, &frame) else {
            panic!("decodes");
        };
        assert_eq!(view.src, IpAddr::from([10, 20, 0, 11]));
        assert_eq!(view.dst_port, 554);
        assert_eq!(view.vlan, 20);
        assert_eq!(view.inner_vlan, 0);
        assert_eq!(view.tcp_flags, SYN | ACK);
        assert_eq!(view.src_mac, [0xc0, 0x56, 0xe3, 1, 2, 3]);
        let start = usize::from(view.payload_offset);
        assert_eq!(&frame[start..start + 7], b"OPTIONS");
        assert_eq!(usize::from(view.payload_len), 29);
    }

    #[test]
    fn double_tagged_ipv6_udp_and_truncation() {
        let builder = PacketBuilder::ethernet2([1; 6], [2; 6])
            .double_vlan(100.try_into().unwrap(), 20.try_into().unwrap())
            .ipv6([0xfd; 16], [0xfe; 16], 64)
            .udp(5353, 53);
        let frame = build!(builder, &[0u8; 12]);
        let Ok(Decoded::Ip(view)) = decode(LinkType::Ethernet, &frame) else {
            panic!("decodes");
        };
        assert_eq!((view.vlan, view.inner_vlan), (100, 20));
        assert_eq!((view.proto, view.src_port, view.dst_port), (17, 5353, 53));
        // Cut inside the IPv6 header, then inside the Ethernet header.
        assert_eq!(
            decode(LinkType::Ethernet, &frame[..30]),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            decode(LinkType::Ethernet, &frame[..10]),
            Err(DecodeError::Truncated)
        );
    }

    #[test]
    fn raw_sll_sll2_and_null_links() {
        let ip = build!(
            PacketBuilder::ipv4([192, 168, 1, 5], [8, 8, 8, 8], 64).udp(33000, 53),
            b"q",
        );
        let expect = |decoded: Result<Decoded, DecodeError>| {
            let Ok(Decoded::Ip(view)) = decoded else {
                panic!("decodes: {decoded:?}");
            };
            assert_eq!(view.dst, IpAddr::from([8, 8, 8, 8]));
            assert_eq!(view.dst_port, 53);
            view
        };
        expect(decode(LinkType::RawIp, &ip));
        let mut sll = vec![
            0, 0, 0, 1, 0, 6, 0xc0, 0x56, 0xe3, 9, 9, 9, 0, 0, 0x08, 0x00,
        ];
        sll.extend_from_slice(&ip);
        let view = expect(decode(LinkType::LinuxSll, &sll));
        assert_eq!(view.src_mac, [0xc0, 0x56, 0xe3, 9, 9, 9]);
        let mut sll2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6];
        sll2.extend_from_slice(&[0xc0, 0x56, 0xe3, 7, 7, 7, 0, 0]);
        sll2.extend_from_slice(&ip);
        let view = expect(decode(LinkType::LinuxSll2, &sll2));
        assert_eq!(view.src_mac, [0xc0, 0x56, 0xe3, 7, 7, 7]);
        for header in [[2u8, 0, 0, 0], [0, 0, 0, 2]] {
            let mut null = header.to_vec();
            null.extend_from_slice(&ip);
            expect(decode(LinkType::Null, &null));
        }
        let mut looped = vec![0, 0, 0, 2];
        looped.extend_from_slice(&ip);
        expect(decode(LinkType::Loop, &looped));
        assert_eq!(
            decode(LinkType::from_dlt(147), &ip),
            Err(DecodeError::UnsupportedLinkType)
        );
    }

    #[test]
    fn arp_and_non_ip() {
        let arp = etherparse::ArpPacket::new(
            etherparse::ArpHardwareId::ETHERNET,
            EtherType::IPV4,
            etherparse::ArpOperation::REQUEST,
            &[0xc0, 0x56, 0xe3, 1, 2, 3],
            &[10, 20, 0, 11],
            &[0; 6],
            &[10, 20, 0, 77],
        )
        .unwrap();
        let mut frame = vec![0xff; 6];
        frame.extend_from_slice(&[0xc0, 0x56, 0xe3, 1, 2, 3, 0x08, 0x06]);
        frame.extend_from_slice(&arp.to_bytes());
        let Ok(Decoded::Arp(view)) = decode(LinkType::Ethernet, &frame) else {
            panic!("arp decodes");
        };
        assert_eq!(view.target_ip, [10, 20, 0, 77]);
        assert_eq!(view.operation, 1);
        // LLDP.
        let mut lldp = vec![0x01, 0x80, 0xc2, 0, 0, 0x0e, 1, 2, 3, 4, 5, 6, 0x88, 0xcc];
        lldp.extend_from_slice(&[0; 40]);
        assert_eq!(decode(LinkType::Ethernet, &lldp), Err(DecodeError::NonIp));
    }

    #[test]
    fn fragments_first_keys_later_counted() {
        let frame = tcp_syn_frame();
        let ip_start = 18;
        // Set MF on the first fragment (flags byte at IP offset 6).
        let mut first = frame.clone();
        first[ip_start + 6] = 0x20;
        let Ok(Decoded::Ip(view)) = decode(LinkType::Ethernet, &first) else {
            panic!("first fragment keys");
        };
        assert_eq!(view.fragment, Fragment::First);
        assert_eq!(view.dst_port, 554);
        let mut later = frame.clone();
        later[ip_start + 6] = 0x00;
        later[ip_start + 7] = 0x10;
        assert_eq!(
            decode(LinkType::Ethernet, &later),
            Ok(Decoded::LaterFragment)
        );
    }

    #[test]
    fn icmp_unreachable_quotes_the_probe() {
        let probe = build!(
            PacketBuilder::ipv4([10, 20, 0, 11], [10, 20, 0, 40], 64).udp(40000, 161),
            b"x"
        );
        let mut icmp = vec![3u8, 3, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&probe[..28]);
        let frame = build!(
            PacketBuilder::ipv4([10, 20, 0, 40], [10, 20, 0, 11], 64).icmpv4(
                etherparse::Icmpv4Type::Unknown {
                    type_u8: 99,
                    code_u8: 0,
                    bytes5to8: [0; 4],
                }
            ),
            &[],
        );
        // Replace the builder's ICMP with the unreachable message.
        let mut frame = frame[..20].to_vec();
        frame[2..4].copy_from_slice(&((20 + icmp.len()) as u16).to_be_bytes());
        frame.extend_from_slice(&icmp);
        let Ok(Decoded::Ip(view)) = decode(LinkType::RawIp, &frame) else {
            panic!("decodes");
        };
        assert!(view.icmp_one_way);
        let quoted = view.quoted.expect("quoted header");
        assert_eq!(quoted.dst, IpAddr::from([10, 20, 0, 40]));
        assert_eq!(
            (quoted.proto, quoted.src_port, quoted.dst_port),
            (17, 40000, 161)
        );
    }

    /// An IPv6 first fragment whose extension chain stops short: the
    /// fragment header names a hop-by-hop header that is not there (one
    /// byte follows). Iterating etherparse 0.21.0's extension slice on this
    /// packet reads past its end; with debug assertions on (as `cargo test`
    /// builds) the standard library's precondition check inside etherparse
    /// aborts the test process instead.
    #[test]
    fn truncated_ipv6_extension_chain() {
        const REPRODUCER: &str = "682c2c2c2c2c2c2c2c000000000000464135ff0000002c2c2c2c\
                                  437473703a6e772f16320000000000000001f64719ff0d";
        let frame: Vec<u8> = (0..REPRODUCER.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&REPRODUCER[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(decode(LinkType::RawIp, &frame), Err(DecodeError::Truncated));
        // The same chain inside Ethernet and SLL framing.
        let mut ethernet = vec![0; 12];
        ethernet.extend_from_slice(&[0x86, 0xdd]);
        ethernet.extend_from_slice(&frame);
        assert_eq!(
            decode(LinkType::Ethernet, &ethernet),
            Err(DecodeError::Truncated)
        );
        // Complete the chain (an empty hop-by-hop header, then UDP): a first
        // fragment keyed on its ports.
        let mut whole = frame[..frame.len() - 1].to_vec();
        whole.extend_from_slice(&[17, 0, 0, 0, 0, 0, 0, 0]);
        whole.extend_from_slice(&[0x13, 0x88, 0x00, 0x35, 0, 12, 0, 0, 1, 2, 3, 4]);
        let Ok(Decoded::Ip(view)) = decode(LinkType::RawIp, &whole) else {
            panic!("completed chain decodes");
        };
        assert_eq!((view.proto, view.src_port, view.dst_port), (17, 5000, 53));
        assert_eq!(view.fragment, Fragment::First);
        assert_eq!(&whole[usize::from(view.payload_offset)..], &[1, 2, 3, 4]);
    }

    /// The regression test above only fails loudly on the old code when the
    /// debug checks are compiled in; keep the test profile that way.
    #[test]
    #[allow(clippy::assertions_on_constants)]
    fn tests_run_with_debug_assertions() {
        assert!(
            cfg!(debug_assertions),
            "decoder regression tests rely on debug assertions (run `cargo test` without --release)"
        );
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200),
                                                 link in 0usize..6) {
            let link = [LinkType::Ethernet, LinkType::LinuxSll, LinkType::LinuxSll2,
                        LinkType::RawIp, LinkType::Null, LinkType::Loop][link];
            let _ = decode(link, &bytes);
        }

        #[test]
        fn mutated_real_frames_never_panic(at in 0usize..80, value in any::<u8>(), cut in 0usize..90) {
            let mut frame = tcp_syn_frame();
            if at < frame.len() {
                frame[at] = value;
            }
            frame.truncate(cut.min(frame.len()));
            // The fast path agrees with etherparse on every variant.
            prop_assert_eq!(decode(LinkType::Ethernet, &frame), decode_ethernet_slow(&frame));
        }
    }
}
