//! Link layers: strip what the capture put in front of the network layer,
//! then hand the rest to etherparse's lax slicer.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{EtherType, LaxLinkExtSlice, LaxNetSlice, LaxSlicedPacket, LinkSlice};

use super::error::DecodeError;
use super::packet::{ArpView, Decoded, Fragment, PacketView};
use super::transport;

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
    let base = frame.as_ptr() as usize;
    match link {
        LinkType::Ethernet => {
            let sliced =
                LaxSlicedPacket::from_ethernet(frame).map_err(|_| DecodeError::Truncated)?;
            from_sliced(&sliced, base)
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
            from_ether_type(protocol, &frame[16..], base, src_mac)
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
            from_ether_type(protocol, &frame[20..], base, src_mac)
        }
        LinkType::RawIp => from_ip(frame, base),
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
                2 | 10 | 24 | 28 | 30 => from_ip(&frame[4..], base),
                _ => Err(DecodeError::NonIp),
            }
        }
        LinkType::Unsupported(_) => Err(DecodeError::UnsupportedLinkType),
    }
}

fn from_ip(bytes: &[u8], base: usize) -> Result<Decoded, DecodeError> {
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
            from_sliced(&sliced, base)
        }
        Some(_) => Err(DecodeError::Malformed),
    }
}

fn from_ether_type(
    ether_type: u16,
    bytes: &[u8],
    base: usize,
    src_mac: [u8; 6],
) -> Result<Decoded, DecodeError> {
    let sliced = LaxSlicedPacket::from_ether_type(EtherType(ether_type), bytes);
    let mut decoded = from_sliced(&sliced, base)?;
    if let Decoded::Ip(view) = &mut decoded {
        view.src_mac = src_mac;
    }
    Ok(decoded)
}

fn from_sliced(sliced: &LaxSlicedPacket<'_>, base: usize) -> Result<Decoded, DecodeError> {
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
        None => return Err(stop_reason(sliced)),
    };
    let (src, dst, payload, fragment) = match net {
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
                payload,
                fragment,
            )
        }
        LaxNetSlice::Ipv6(ip) => {
            let header = ip.header();
            let payload = ip.payload();
            let mut fragment = Fragment::None;
            if payload.fragmented {
                for ext in ip.extensions().clone() {
                    if let etherparse::Ipv6ExtensionSlice::Fragment(frag) = ext {
                        if frag.fragment_offset().value() != 0 {
                            return Ok(Decoded::LaterFragment);
                        }
                        fragment = Fragment::First;
                    }
                }
            }
            (
                IpAddr::V6(Ipv6Addr::from(header.source())),
                IpAddr::V6(Ipv6Addr::from(header.destination())),
                payload,
                fragment,
            )
        }
        LaxNetSlice::Arp(arp) => return arp_view(arp, vlans[0]),
    };
    let proto = payload.ip_number.0;
    let ports = transport::parse(proto, payload.payload, src.is_ipv6())?;
    let payload_start = ports.payload.as_ptr() as usize - base;
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
    }))
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
