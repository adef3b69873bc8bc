//! The fast path for the frames that make up almost all camera traffic:
//! Ethernet, at most two VLAN tags, IPv4 without options and not
//! fragmented, carrying a complete TCP or UDP header.
//!
//! Video is millions of such frames per minute, and the reader thread that
//! decodes them is the pipeline's serial part, so it pays to read these few
//! fixed offsets directly. Anything else (IPv6, options, fragments, ICMP,
//! ARP, truncation, odd lengths) returns `None` and goes through
//! etherparse's lax slicer, which is the reference: a test checks that both
//! give the same view for every frame of the public captures.

use std::net::{IpAddr, Ipv4Addr};

use super::packet::{Fragment, PacketView};
use super::tunnel::{UDP_PORT_GENEVE, UDP_PORT_MPLS, UDP_PORT_VXLAN};
use crate::net::IpProto;

#[inline]
fn be16(frame: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([frame[at], frame[at + 1]])
}

/// Decodes the common case or returns `None`.
#[inline]
pub fn ethernet_ipv4(frame: &[u8]) -> Option<PacketView> {
    // Ethernet (14) + 2 tags (8) + IPv4 (20) + TCP (20) is the longest
    // header run handled; check lengths before every read below.
    if frame.len() < 14 + 20 + 8 {
        return None;
    }
    let mut at = 12;
    let mut vlans = [0u16; 2];
    let mut tags = 0;
    let mut ether_type = be16(frame, at);
    while matches!(ether_type, 0x8100 | 0x88a8) {
        if tags == 2 || frame.len() < at + 4 + 2 + 20 + 8 {
            return None;
        }
        vlans[tags] = be16(frame, at + 2) & 0x0fff;
        tags += 1;
        at += 4;
        ether_type = be16(frame, at);
    }
    if ether_type != 0x0800 {
        return None;
    }
    let ip = at + 2;
    // Version 4, no options.
    if frame[ip] != 0x45 {
        return None;
    }
    let total_len = usize::from(be16(frame, ip + 2));
    // More-fragments or a fragment offset: the slow path classifies it.
    if be16(frame, ip + 6) & 0x3fff != 0 || total_len < 20 {
        return None;
    }
    // GRE and everything but TCP/UDP go the slow way.
    let proto = frame[ip + 9];
    let l4 = ip + 20;
    let (header_len, tcp_flags) = match IpProto(proto) {
        // UDP, unless it is a tunnel the slow path unwraps.
        IpProto::UDP => {
            let is_tunnel = |port| matches!(port, UDP_PORT_VXLAN | UDP_PORT_GENEVE | UDP_PORT_MPLS);
            if is_tunnel(be16(frame, l4 + 2)) || is_tunnel(be16(frame, l4)) {
                return None;
            }
            (8, 0)
        }
        IpProto::TCP => {
            if frame.len() < l4 + 20 {
                return None;
            }
            let data_offset = usize::from(frame[l4 + 12] >> 4) * 4;
            if data_offset < 20 || frame.len() < l4 + data_offset {
                return None;
            }
            (data_offset, frame[l4 + 13])
        }
        _ => return None,
    };
    // The IP length bounds the payload (Ethernet padding is not payload);
    // a capture cut by the snap length bounds it too.
    let ip_end = (ip + total_len).min(frame.len());
    let payload_start = l4 + header_len;
    if ip_end < payload_start {
        return None;
    }
    let mut src_mac = [0u8; 6];
    let mut dst_mac = [0u8; 6];
    dst_mac.copy_from_slice(&frame[0..6]);
    src_mac.copy_from_slice(&frame[6..12]);
    let src = Ipv4Addr::new(
        frame[ip + 12],
        frame[ip + 13],
        frame[ip + 14],
        frame[ip + 15],
    );
    let dst = Ipv4Addr::new(
        frame[ip + 16],
        frame[ip + 17],
        frame[ip + 18],
        frame[ip + 19],
    );
    Some(PacketView {
        src: IpAddr::V4(src),
        dst: IpAddr::V4(dst),
        src_port: be16(frame, l4),
        dst_port: be16(frame, l4 + 2),
        proto,
        icmp_one_way: false,
        vlan: vlans[0],
        inner_vlan: vlans[1],
        src_mac,
        dst_mac,
        tcp_flags,
        fragment: Fragment::None,
        payload_offset: payload_start.min(usize::from(u16::MAX)) as u16,
        payload_len: (ip_end - payload_start).min(usize::from(u16::MAX)) as u16,
        quoted: None,
        encap: 0,
    })
}
