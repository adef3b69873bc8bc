//! NAT-PMP (RFC 6886) and PCP (RFC 6887) on UDP 5351: a device asking its
//! router to forward a port from the Internet.
//!
//! Both protocols share the port and tell themselves apart by the first
//! byte: version 0 is NAT-PMP, version 2 is PCP (RFC 6887 section 9 makes
//! servers answer version 0 in NAT-PMP). A camera or recorder that sends a
//! map request is opening itself to the Internet; the router's response
//! says whether it did, on which external port and for how long.
//!
//! Read: NAT-PMP external-address and map (UDP/TCP) requests and
//! responses (RFC 6886 sections 3.2 and 3.3); the PCP common request and
//! response headers (section 7.1, 7.2) and the MAP and PEER opcode bodies
//! (sections 11.1, 12.1), request or response.
//!
//! Deliberately ignored:
//! - PCP options (THIRD_PARTY, PREFER_FAILURE, FILTER) after the opcode
//!   body: their presence is reported as the byte count, not decoded;
//! - PCP ANNOUNCE and unknown opcodes: the header is returned, no body;
//! - lengths: NAT-PMP datagrams longer than their format are accepted
//!   (RFC 6886 does not forbid padding), shorter ones are rejected; PCP
//!   datagrams must be a multiple of 4 bytes and at most 1100 (section 7).
//!
//! Fixed-size reads only; nothing is allocated.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// UDP port of both protocols (clients send to it, servers answer from it).
pub const PORT: u16 = 5351;

/// Transport protocol of a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MapProtocol {
    Udp,
    Tcp,
    /// PCP: any other IANA protocol number (0 = all protocols).
    Other(u8),
}

impl MapProtocol {
    fn from_iana(number: u8) -> Self {
        match number {
            6 => Self::Tcp,
            17 => Self::Udp,
            other => Self::Other(other),
        }
    }
}

/// A NAT-PMP message (version 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NatPmp {
    /// Opcode 0: what is my external address?
    ExternalAddressRequest,
    /// Opcode 128.
    ExternalAddressResponse {
        result: u16,
        /// Seconds since the router's mapping table was (re)started.
        epoch: u32,
        external: Ipv4Addr,
    },
    /// Opcodes 1 (UDP) and 2 (TCP). A lifetime of 0 deletes the mapping.
    MapRequest {
        protocol: MapProtocol,
        internal_port: u16,
        suggested_external_port: u16,
        lifetime: u32,
    },
    /// Opcodes 129 and 130.
    MapResponse {
        protocol: MapProtocol,
        result: u16,
        epoch: u32,
        internal_port: u16,
        mapped_external_port: u16,
        lifetime: u32,
    },
}

impl NatPmp {
    /// True for a request (client to router).
    pub fn is_request(&self) -> bool {
        matches!(self, Self::ExternalAddressRequest | Self::MapRequest { .. })
    }
}

/// PCP opcodes (RFC 6887 section 19.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PcpOpcode {
    Announce,
    Map,
    Peer,
    Other(u8),
}

impl PcpOpcode {
    fn from_code(code: u8) -> Self {
        match code {
            0 => Self::Announce,
            1 => Self::Map,
            2 => Self::Peer,
            other => Self::Other(other),
        }
    }
}

/// The MAP or PEER body of a PCP message (both start with the MAP fields;
/// PEER adds the remote peer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PcpMapping {
    pub nonce: [u8; 12],
    pub protocol: MapProtocol,
    pub internal_port: u16,
    /// Suggested external port in a request, assigned one in a response.
    pub external_port: u16,
    /// Suggested external address in a request, assigned one in a
    /// response (IPv4 is carried IPv4-mapped; returned as IPv4).
    pub external_addr: IpAddr,
    /// PEER only: the remote peer's port and address.
    pub remote: Option<(u16, IpAddr)>,
}

/// A PCP message (version 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pcp {
    pub is_response: bool,
    pub opcode: PcpOpcode,
    /// Requested lifetime (request) or granted lifetime (response), seconds.
    pub lifetime: u32,
    /// Response only: result code (0 success, 2 NOT_AUTHORIZED, 8
    /// NO_RESOURCES, 11 CANNOT_PROVIDE_EXTERNAL, ...).
    pub result: Option<u8>,
    /// Response only: the server's epoch.
    pub epoch: Option<u32>,
    /// Request only: the client's own address as it sees it.
    pub client_addr: Option<IpAddr>,
    /// MAP or PEER body; `None` for other opcodes.
    pub mapping: Option<PcpMapping>,
    /// Bytes of options after the opcode body.
    pub options_len: usize,
}

/// A datagram on UDP 5351.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortControl {
    NatPmp(NatPmp),
    Pcp(Pcp),
}

/// Reads a NAT-PMP or PCP datagram; `None` for any other version or a
/// malformed message.
pub fn parse(payload: &[u8]) -> Option<PortControl> {
    match payload.first()? {
        0 => parse_natpmp(payload).map(PortControl::NatPmp),
        2 => parse_pcp(payload).map(PortControl::Pcp),
        _ => None,
    }
}

/// Reads a NAT-PMP (version 0) datagram.
pub fn parse_natpmp(payload: &[u8]) -> Option<NatPmp> {
    let [0, opcode, rest @ ..] = payload else {
        return None;
    };
    let map_protocol = |op: u8| match op & 0x7f {
        1 => Some(MapProtocol::Udp),
        2 => Some(MapProtocol::Tcp),
        _ => None,
    };
    Some(match *opcode {
        0 => NatPmp::ExternalAddressRequest,
        128 => {
            let [r0, r1, e0, e1, e2, e3, a, b, c, d, ..] = *rest else {
                return None;
            };
            NatPmp::ExternalAddressResponse {
                result: u16::from_be_bytes([r0, r1]),
                epoch: u32::from_be_bytes([e0, e1, e2, e3]),
                external: Ipv4Addr::new(a, b, c, d),
            }
        }
        op @ (1 | 2) => {
            // Two reserved bytes, then the ports and the lifetime.
            let [_, _, i0, i1, x0, x1, l0, l1, l2, l3, ..] = *rest else {
                return None;
            };
            NatPmp::MapRequest {
                protocol: map_protocol(op)?,
                internal_port: u16::from_be_bytes([i0, i1]),
                suggested_external_port: u16::from_be_bytes([x0, x1]),
                lifetime: u32::from_be_bytes([l0, l1, l2, l3]),
            }
        }
        op @ (129 | 130) => {
            let [r0, r1, e0, e1, e2, e3, i0, i1, x0, x1, l0, l1, l2, l3, ..] = *rest else {
                return None;
            };
            NatPmp::MapResponse {
                protocol: map_protocol(op)?,
                result: u16::from_be_bytes([r0, r1]),
                epoch: u32::from_be_bytes([e0, e1, e2, e3]),
                internal_port: u16::from_be_bytes([i0, i1]),
                mapped_external_port: u16::from_be_bytes([x0, x1]),
                lifetime: u32::from_be_bytes([l0, l1, l2, l3]),
            }
        }
        _ => return None,
    })
}

const PCP_HEADER_LEN: usize = 24;
const PCP_MAX_LEN: usize = 1100;
const MAP_BODY_LEN: usize = 36;
const PEER_BODY_LEN: usize = 56;

/// Reads a PCP (version 2) datagram.
pub fn parse_pcp(payload: &[u8]) -> Option<Pcp> {
    if payload.len() > PCP_MAX_LEN || !payload.len().is_multiple_of(4) {
        return None;
    }
    let (header, body) = payload.split_first_chunk::<PCP_HEADER_LEN>()?;
    let [2, r_opcode, _, result, l0, l1, l2, l3, ref rest @ ..] = *header else {
        return None;
    };
    let is_response = r_opcode & 0x80 != 0;
    let opcode = PcpOpcode::from_code(r_opcode & 0x7f);
    let lifetime = u32::from_be_bytes([l0, l1, l2, l3]);
    let (result, epoch, client_addr) = if is_response {
        let [e0, e1, e2, e3, ..] = *rest;
        (
            Some(result),
            Some(u32::from_be_bytes([e0, e1, e2, e3])),
            None,
        )
    } else {
        (None, None, Some(addr16(rest)))
    };
    let body_len = match opcode {
        PcpOpcode::Map => MAP_BODY_LEN,
        PcpOpcode::Peer => PEER_BODY_LEN,
        _ => 0,
    };
    let mapping = if body_len == 0 {
        None
    } else {
        Some(mapping(body.get(..body_len)?, opcode == PcpOpcode::Peer)?)
    };
    Some(Pcp {
        is_response,
        opcode,
        lifetime,
        result,
        epoch,
        client_addr,
        mapping,
        options_len: body.len() - body_len,
    })
}

fn mapping(body: &[u8], peer: bool) -> Option<PcpMapping> {
    let (nonce, rest) = body.split_first_chunk::<12>()?;
    let [protocol, _, _, _, i0, i1, x0, x1, ref rest @ ..] = *rest else {
        return None;
    };
    let (external, rest) = rest.split_first_chunk::<16>()?;
    let remote = if peer {
        let [p0, p1, _, _, ref addr @ ..] = *rest else {
            return None;
        };
        Some((u16::from_be_bytes([p0, p1]), addr16(addr.try_into().ok()?)))
    } else {
        None
    };
    Some(PcpMapping {
        nonce: *nonce,
        protocol: MapProtocol::from_iana(protocol),
        internal_port: u16::from_be_bytes([i0, i1]),
        external_port: u16::from_be_bytes([x0, x1]),
        external_addr: addr16(external),
        remote,
    })
}

/// A 128-bit PCP address field: IPv4-mapped addresses (`::ffff:a.b.c.d`,
/// RFC 6887 section 5) come back as IPv4.
fn addr16(bytes: &[u8; 16]) -> IpAddr {
    let v6 = Ipv6Addr::from(*bytes);
    match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::testing::hex;
    use proptest::prelude::*;

    // NAT-PMP payloads from ntop/nDPI tests/cfgs/default/pcap/natpmp.pcap
    // (LGPL-3.0, ../shared/pcaps/exposure/ndpi-natpmp.pcap), by frame.
    /// Frame 1: external address request.
    const EXT_REQUEST: &str = "0000";
    /// Frame 2: its response, epoch 2833117, 10.201.213.174.
    const EXT_RESPONSE: &str = "00800000002b3add0ac9d5ae";
    /// Frame 3: map TCP 51413 -> 51413 for 3600 s.
    const MAP_TCP_REQUEST: &str = "00020000c8d5c8d500000e10";
    /// Frame 4: the router grants it.
    const MAP_TCP_RESPONSE: &str = "00820000002b3ae5c8d5c8d500000e10";
    /// Frame 6: map TCP 22000, suggesting 6243, never answered.
    const MAP_TCP_UNANSWERED: &str = "0002000055f0186300000e10";

    /// PCP MAP request laid out as RFC 6887 figures 2 and 9: client
    /// 192.168.1.64 asks for TCP 554 -> suggested 554 for 7200 s, no
    /// suggested external address (all zeros).
    fn pcp_map_request() -> Vec<u8> {
        let mut m = vec![2, 1, 0, 0, 0, 0, 0x1c, 0x20];
        m.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 64]);
        m.extend_from_slice(b"nonce-12byte");
        m.extend_from_slice(&[6, 0, 0, 0, 0x02, 0x2a, 0x02, 0x2a]);
        m.extend_from_slice(&[0; 16]);
        m
    }

    #[test]
    fn captured_natpmp() {
        assert_eq!(
            parse(&hex(EXT_REQUEST)),
            Some(PortControl::NatPmp(NatPmp::ExternalAddressRequest))
        );
        assert_eq!(
            parse_natpmp(&hex(EXT_RESPONSE)),
            Some(NatPmp::ExternalAddressResponse {
                result: 0,
                epoch: 2_833_117,
                external: Ipv4Addr::new(10, 201, 213, 174),
            })
        );
        let request = parse_natpmp(&hex(MAP_TCP_REQUEST)).unwrap();
        assert!(request.is_request());
        assert_eq!(
            request,
            NatPmp::MapRequest {
                protocol: MapProtocol::Tcp,
                internal_port: 51413,
                suggested_external_port: 51413,
                lifetime: 3600,
            }
        );
        assert_eq!(
            parse_natpmp(&hex(MAP_TCP_RESPONSE)),
            Some(NatPmp::MapResponse {
                protocol: MapProtocol::Tcp,
                result: 0,
                epoch: 2_833_125,
                internal_port: 51413,
                mapped_external_port: 51413,
                lifetime: 3600,
            })
        );
        assert!(matches!(
            parse_natpmp(&hex(MAP_TCP_UNANSWERED)),
            Some(NatPmp::MapRequest {
                internal_port: 22000,
                suggested_external_port: 6243,
                ..
            })
        ));
    }

    #[test]
    fn natpmp_edges() {
        // UDP map request (opcode 1), refused (result 2, RFC 6886 3.5).
        let mut udp = hex(MAP_TCP_RESPONSE);
        udp[1] = 129;
        udp[3] = 2;
        assert!(matches!(
            parse_natpmp(&udp),
            Some(NatPmp::MapResponse {
                protocol: MapProtocol::Udp,
                result: 2,
                ..
            })
        ));
        // Truncated, unknown opcode, wrong version.
        let map = hex(MAP_TCP_REQUEST);
        assert_eq!(parse_natpmp(&map[..11]), None);
        assert_eq!(parse_natpmp(&hex(EXT_RESPONSE)[..11]), None);
        assert_eq!(parse_natpmp(&[0, 3, 0, 0]), None);
        assert_eq!(parse_natpmp(&[0]), None);
        assert_eq!(parse(&[1, 0]), None);
        assert_eq!(parse(&[]), None);
    }

    #[test]
    fn pcp_map_request_and_response() {
        let request = pcp_map_request();
        let PortControl::Pcp(pcp) = parse(&request).unwrap() else {
            panic!("not PCP");
        };
        assert!(!pcp.is_response);
        assert_eq!(pcp.opcode, PcpOpcode::Map);
        assert_eq!(pcp.lifetime, 7200);
        assert_eq!(
            pcp.client_addr,
            Some(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 64)))
        );
        assert_eq!(pcp.result, None);
        let mapping = pcp.mapping.unwrap();
        assert_eq!(mapping.protocol, MapProtocol::Tcp);
        assert_eq!((mapping.internal_port, mapping.external_port), (554, 554));
        assert_eq!(mapping.external_addr, IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        assert_eq!(&mapping.nonce, b"nonce-12byte");
        assert_eq!(pcp.options_len, 0);

        // The response (RFC 6887 figure 3): R bit, result 0, epoch, the
        // assigned port 40554 on 203.0.113.7.
        let mut response = request.clone();
        response[1] = 0x81;
        response[3] = 0;
        response[8..12].copy_from_slice(&1234u32.to_be_bytes());
        response[12..24].fill(0);
        response[42..44].copy_from_slice(&40554u16.to_be_bytes());
        response[44..60]
            .copy_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 7]);
        let pcp = parse_pcp(&response).unwrap();
        assert!(pcp.is_response);
        assert_eq!(
            (pcp.result, pcp.epoch, pcp.client_addr),
            (Some(0), Some(1234), None)
        );
        let mapping = pcp.mapping.unwrap();
        assert_eq!(mapping.external_port, 40554);
        assert_eq!(
            mapping.external_addr,
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7))
        );
        // Refused: NOT_AUTHORIZED.
        response[3] = 2;
        assert_eq!(parse_pcp(&response).unwrap().result, Some(2));
    }

    #[test]
    fn pcp_peer_options_and_bounds() {
        // PEER (RFC 6887 figure 10): MAP fields plus remote port and address.
        let mut peer = pcp_map_request();
        peer[1] = 2;
        peer.extend_from_slice(&[0x1f, 0x90, 0, 0]);
        peer.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        let pcp = parse_pcp(&peer).unwrap();
        assert_eq!(pcp.opcode, PcpOpcode::Peer);
        assert_eq!(
            pcp.mapping.unwrap().remote,
            Some((8080, "2001:db8::1".parse().unwrap()))
        );
        // An option after the MAP body (PREFER_FAILURE, 4 bytes).
        let mut with_option = pcp_map_request();
        with_option.extend_from_slice(&[2, 0, 0, 0]);
        assert_eq!(parse_pcp(&with_option).unwrap().options_len, 4);
        // ANNOUNCE: header only.
        let announce = parse_pcp(
            &pcp_map_request()[..24]
                .iter()
                .enumerate()
                .map(|(i, &b)| if i == 1 { 0 } else { b })
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert_eq!(
            (announce.opcode, announce.mapping),
            (PcpOpcode::Announce, None)
        );
        // MAP body cut, length not a multiple of 4, too long.
        let request = pcp_map_request();
        assert_eq!(parse_pcp(&request[..56]), None);
        assert_eq!(parse_pcp(&request[..59]), None);
        let mut long = request.clone();
        long.resize(1104, 0);
        assert_eq!(parse_pcp(&long), None);
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
            match parse(&bytes) {
                Some(PortControl::Pcp(pcp)) => {
                    prop_assert!(pcp.options_len <= bytes.len());
                    prop_assert_eq!(pcp.result.is_some(), pcp.is_response);
                }
                Some(PortControl::NatPmp(_)) => prop_assert_eq!(bytes[0], 0),
                None => {}
            }
        }
    }
}
