//! Transport headers read by hand from the IP payload.
//!
//! etherparse would slice these too, but it refuses a first fragment and a
//! header cut by the snap length; flow tracking needs only the ports and the
//! TCP flags, which sit in the first 14 bytes, so reading them directly keeps
//! such packets in their flows.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::DecodeError;
use super::icmp;
use super::packet::QuotedHeader;
use crate::net::IpProto;

pub struct Ports<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub tcp_flags: u8,
    pub icmp_one_way: bool,
    pub payload: &'a [u8],
    pub quoted: Option<QuotedHeader>,
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
}

pub fn parse(proto: u8, bytes: &[u8], ipv6: bool) -> Result<Ports<'_>, DecodeError> {
    let empty = &bytes[bytes.len()..];
    match IpProto(proto) {
        IpProto::TCP => {
            let (Some(src_port), Some(dst_port)) = (be16(bytes, 0), be16(bytes, 2)) else {
                return Err(DecodeError::Truncated);
            };
            // Flags are byte 13; a header cut before it still has ports.
            let tcp_flags = bytes.get(13).copied().unwrap_or(0);
            let header_len = bytes.get(12).map_or(20, |b| usize::from(b >> 4) * 4);
            if header_len < 20 && bytes.len() >= 13 {
                return Err(DecodeError::Malformed);
            }
            let payload = bytes.get(header_len..).unwrap_or(empty);
            Ok(Ports {
                src_port,
                dst_port,
                tcp_flags,
                icmp_one_way: false,
                payload,
                quoted: None,
            })
        }
        IpProto::UDP | IpProto::SCTP | IpProto::UDP_LITE => {
            let (Some(src_port), Some(dst_port)) = (be16(bytes, 0), be16(bytes, 2)) else {
                return Err(DecodeError::Truncated);
            };
            let header_len = if proto == IpProto::SCTP { 12 } else { 8 };
            Ok(Ports {
                src_port,
                dst_port,
                tcp_flags: 0,
                icmp_one_way: false,
                payload: bytes.get(header_len..).unwrap_or(empty),
                quoted: None,
            })
        }
        IpProto::ICMP | IpProto::ICMPV6 => {
            let (Some(&kind), Some(&code)) = (bytes.first(), bytes.get(1)) else {
                return Err(DecodeError::Truncated);
            };
            let (src_port, dst_port, icmp_one_way) = icmp::icmp_ports(kind, code, ipv6);
            let payload = bytes.get(8..).unwrap_or(empty);
            let quoted = if icmp::is_error(kind, ipv6) {
                quoted_header(payload)
            } else {
                None
            };
            Ok(Ports {
                src_port,
                dst_port,
                tcp_flags: 0,
                icmp_one_way,
                payload,
                quoted,
            })
        }
        // Other protocols (GRE, ESP, OSPF, ...) still make flows, keyed on
        // addresses and protocol with zero ports, as Community ID does.
        _ => Ok(Ports {
            src_port: 0,
            dst_port: 0,
            tcp_flags: 0,
            icmp_one_way: false,
            payload: bytes,
            quoted: None,
        }),
    }
}

/// Reads the original IP header and first 4 transport bytes that an ICMP
/// error carries.
fn quoted_header(bytes: &[u8]) -> Option<QuotedHeader> {
    let version = bytes.first()? >> 4;
    let (src, dst, proto, rest) = match version {
        4 => {
            let ihl = usize::from(bytes[0] & 0x0f) * 4;
            if ihl < 20 {
                return None;
            }
            let src: [u8; 4] = bytes.get(12..16)?.try_into().ok()?;
            let dst: [u8; 4] = bytes.get(16..20)?.try_into().ok()?;
            (
                IpAddr::V4(Ipv4Addr::from(src)),
                IpAddr::V4(Ipv4Addr::from(dst)),
                *bytes.get(9)?,
                bytes.get(ihl..)?,
            )
        }
        6 => {
            let src: [u8; 16] = bytes.get(8..24)?.try_into().ok()?;
            let dst: [u8; 16] = bytes.get(24..40)?.try_into().ok()?;
            (
                IpAddr::V6(Ipv6Addr::from(src)),
                IpAddr::V6(Ipv6Addr::from(dst)),
                *bytes.get(6)?,
                bytes.get(40..)?,
            )
        }
        _ => return None,
    };
    let (src_port, dst_port) = if IpProto(proto).has_ports() {
        (be16(rest, 0)?, be16(rest, 2)?)
    } else {
        (0, 0)
    };
    Some(QuotedHeader {
        src,
        dst,
        src_port,
        dst_port,
        proto,
    })
}
