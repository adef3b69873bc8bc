//! Ethernet frame assembly for the small scenarios.
//!
//! Every frame is 802.1Q-tagged (the mirror port sees the trunk), carries
//! IPv4 or ARP, and has its IP, TCP, UDP and ICMP checksums computed by
//! etherparse's `PacketBuilder`. Short frames are padded to the 64 bytes a
//! tagged minimum-size frame has on the wire (60 bytes plus the 4-byte tag,
//! FCS not captured).
//!
//! Which link a routed packet is shown on follows one rule, so each packet
//! appears once: traffic between the camera VLAN and the outside is shown on
//! the camera VLAN (camera MAC <-> gateway MAC); traffic between the camera
//! VLAN and the workstation VLAN is shown on the workstation VLAN leg.

use std::io;

use etherparse::{
    ArpHardwareId, ArpOperation, ArpPacket, EtherType, Icmpv4Type, IpHeaders, IpNumber, Ipv4Header,
    PacketBuilder, VlanId, icmpv4::DestUnreachableHeader,
};

use crate::site::{self, Host};

/// Minimum captured size of a tagged frame (60-byte minimum + 802.1Q tag).
pub const MIN_FRAME: usize = 64;
/// Ethernet (14) + 802.1Q tag (4).
pub const L2_LEN: usize = 18;
/// IPv4 header without options.
pub const IP_LEN: usize = 20;

/// Layer-2 rendering of one IP packet: who sends it on which VLAN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// Ethernet source.
    pub src_mac: [u8; 6],
    /// Ethernet destination.
    pub dst_mac: [u8; 6],
    /// 802.1Q VLAN id.
    pub vlan: u16,
    /// IP TTL as observed on that link.
    pub ttl: u8,
}

/// Works out the link a packet from `src` to `dst` is seen on.
pub fn link(src: &Host, dst: &Host) -> Link {
    let gw = site::GATEWAY_MAC;
    if dst.is_group() {
        return Link {
            src_mac: src.mac,
            dst_mac: dst.mac,
            vlan: src.vlan,
            ttl: src.ttl,
        };
    }
    match (src.is_external(), dst.is_external()) {
        (false, false) if src.vlan == dst.vlan => Link {
            src_mac: src.mac,
            dst_mac: dst.mac,
            vlan: src.vlan,
            ttl: src.ttl,
        },
        (false, false) => {
            // Routed between internal VLANs: shown on the non-camera leg.
            let vlan = if src.vlan != site::CAMERA_VLAN {
                src.vlan
            } else {
                dst.vlan
            };
            if vlan == src.vlan {
                Link {
                    src_mac: src.mac,
                    dst_mac: gw,
                    vlan,
                    ttl: src.ttl,
                }
            } else {
                Link {
                    src_mac: gw,
                    dst_mac: dst.mac,
                    vlan,
                    ttl: src.ttl.saturating_sub(1),
                }
            }
        }
        (false, true) => Link {
            src_mac: src.mac,
            dst_mac: gw,
            vlan: src.vlan,
            ttl: src.ttl,
        },
        (true, _) => Link {
            src_mac: gw,
            dst_mac: dst.mac,
            vlan: if dst.is_external() {
                site::CAMERA_VLAN
            } else {
                dst.vlan
            },
            ttl: src.ttl,
        },
    }
}

/// Per-packet IPv4 header fields the caller controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpFields {
    /// Identification.
    pub id: u16,
    /// Don't-fragment flag.
    pub df: bool,
}

impl IpFields {
    /// Fields of a TCP or UDP packet from a Linux-like stack (DF set).
    pub const fn df(id: u16) -> Self {
        IpFields { id, df: true }
    }
}

/// TCP control bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// SYN.
    pub syn: bool,
    /// ACK (the acknowledgment number is valid).
    pub ack: bool,
    /// PSH.
    pub psh: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
}

impl Flags {
    /// SYN.
    pub const SYN: Flags = Flags {
        syn: true,
        ack: false,
        psh: false,
        fin: false,
        rst: false,
    };
    /// SYN+ACK.
    pub const SYN_ACK: Flags = Flags {
        syn: true,
        ack: true,
        psh: false,
        fin: false,
        rst: false,
    };
    /// Bare ACK.
    pub const ACK: Flags = Flags {
        syn: false,
        ack: true,
        psh: false,
        fin: false,
        rst: false,
    };
    /// PSH+ACK (last segment of a write).
    pub const PSH_ACK: Flags = Flags {
        syn: false,
        ack: true,
        psh: true,
        fin: false,
        rst: false,
    };
    /// FIN+ACK.
    pub const FIN_ACK: Flags = Flags {
        syn: false,
        ack: true,
        psh: false,
        fin: true,
        rst: false,
    };
    /// RST (after an unexpected segment, no ACK).
    pub const RST: Flags = Flags {
        syn: false,
        ack: false,
        psh: false,
        fin: false,
        rst: true,
    };
    /// RST+ACK (the answer of a closed port to a SYN).
    pub const RST_ACK: Flags = Flags {
        syn: false,
        ack: true,
        psh: false,
        fin: false,
        rst: true,
    };
}

/// One TCP segment's header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (only meaningful with the ACK flag).
    pub ack: u32,
    /// Control bits.
    pub flags: Flags,
    /// Advertised window.
    pub window: u16,
    /// Raw option bytes (a multiple of 4 long).
    pub options: &'a [u8],
}

/// SYN options of a Linux-like stack without timestamps:
/// MSS, NOP, window scale 7, NOP, NOP, SACK permitted.
pub fn syn_options(mss: u16) -> [u8; 12] {
    let m = mss.to_be_bytes();
    [2, 4, m[0], m[1], 1, 3, 3, 7, 1, 1, 4, 2]
}

fn build_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
}

fn vlan_id(v: u16) -> io::Result<VlanId> {
    VlanId::try_new(v).map_err(build_err)
}

fn ip_header(l: &Link, src: &Host, dst: &Host, f: IpFields) -> io::Result<IpHeaders> {
    // Protocol, total length and checksum are filled in by PacketBuilder.
    let mut h = Ipv4Header::new(0, l.ttl, IpNumber::UDP, src.ip, dst.ip).map_err(build_err)?;
    h.identification = f.id;
    h.dont_fragment = f.df;
    Ok(IpHeaders::Ipv4(h, Default::default()))
}

fn pad(mut v: Vec<u8>) -> Vec<u8> {
    if v.len() < MIN_FRAME {
        v.resize(MIN_FRAME, 0);
    }
    v
}

/// Ethernet, 802.1Q and IPv4 headers (checksummed) of a packet of
/// `l4_len` transport bytes, written into a new buffer with room for them.
fn l2_ip(l: &Link, src: &Host, dst: &Host, f: IpFields, proto: u8, l4_len: usize) -> Vec<u8> {
    let total = (IP_LEN + l4_len) as u16;
    let mut h = [0u8; L2_LEN + IP_LEN];
    h[0..6].copy_from_slice(&l.dst_mac);
    h[6..12].copy_from_slice(&l.src_mac);
    h[12] = 0x81;
    h[14..16].copy_from_slice(&(l.vlan & 0x0fff).to_be_bytes());
    h[16] = 0x08;
    h[18] = 0x45;
    h[20..22].copy_from_slice(&total.to_be_bytes());
    h[22..24].copy_from_slice(&f.id.to_be_bytes());
    h[24] = if f.df { 0x40 } else { 0 };
    h[26] = l.ttl;
    h[27] = proto;
    h[30..34].copy_from_slice(&src.ip);
    h[34..38].copy_from_slice(&dst.ip);
    let c = checksum::fold(checksum::add(0, &h[L2_LEN..]));
    h[28..30].copy_from_slice(&c.to_be_bytes());
    let mut v = Vec::with_capacity((L2_LEN + IP_LEN + l4_len).max(MIN_FRAME));
    v.extend_from_slice(&h);
    v
}

/// Fills in the transport checksum of a frame built by [`l2_ip`] plus its
/// transport header and payload.
fn transport_checksum(v: &mut [u8], proto: u8, at: usize) {
    let ip = L2_LEN;
    let l4 = ip + IP_LEN;
    let len = v.len() - l4;
    let mut sum = checksum::add(0, &v[ip + 12..ip + 20]) + u64::from(proto) + len as u64;
    sum = checksum::add(sum, &v[l4..]);
    let mut c = checksum::fold(sum);
    if proto == 17 && c == 0 {
        c = 0xffff;
    }
    v[l4 + at..l4 + at + 2].copy_from_slice(&c.to_be_bytes());
}

/// One's-complement sums of big-endian 16-bit words.
pub(crate) mod checksum {
    /// Adds the words of `data` to `sum`; an odd last byte is padded with
    /// zero (only valid for the final part of a checksummed range).
    pub fn add(mut sum: u64, data: &[u8]) -> u64 {
        // Eight bytes at a time: few iterations even in unoptimised builds.
        let mut i = 0;
        let n = data.len();
        while i + 8 <= n {
            let d = &data[i..i + 8];
            sum += (u64::from(d[0]) << 8 | u64::from(d[1]))
                + (u64::from(d[2]) << 8 | u64::from(d[3]))
                + (u64::from(d[4]) << 8 | u64::from(d[5]))
                + (u64::from(d[6]) << 8 | u64::from(d[7]));
            i += 8;
        }
        while i + 2 <= n {
            sum += u64::from(data[i]) << 8 | u64::from(data[i + 1]);
            i += 2;
        }
        if i < n {
            sum += u64::from(data[i]) << 8;
        }
        sum
    }

    /// Folds a sum into a checksum field value.
    pub fn fold(mut sum: u64) -> u16 {
        while sum >> 16 != 0 {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }
}

/// A UDP datagram from `src` to `dst`.
pub fn udp(
    src: &Host,
    dst: &Host,
    sport: u16,
    dport: u16,
    ip: IpFields,
    payload: &[u8],
) -> io::Result<Vec<u8>> {
    let l = link(src, dst);
    let len = 8 + payload.len();
    if L2_LEN + IP_LEN + len > usize::from(u16::MAX) {
        return Err(build_err("UDP payload too long"));
    }
    let mut v = l2_ip(&l, src, dst, ip, 17, len);
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&(len as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    transport_checksum(&mut v, 17, 6);
    Ok(pad(v))
}

/// A TCP segment from `src` to `dst`.
pub fn tcp(
    src: &Host,
    dst: &Host,
    seg: &Segment<'_>,
    ip: IpFields,
    payload: &[u8],
) -> io::Result<Vec<u8>> {
    let l = link(src, dst);
    if !seg.options.len().is_multiple_of(4) || seg.options.len() > 40 {
        return Err(build_err(
            "TCP options must be a multiple of 4 bytes, at most 40",
        ));
    }
    let hl = 20 + seg.options.len();
    let mut v = l2_ip(&l, src, dst, ip, 6, hl + payload.len());
    v.extend_from_slice(&seg.sport.to_be_bytes());
    v.extend_from_slice(&seg.dport.to_be_bytes());
    v.extend_from_slice(&seg.seq.to_be_bytes());
    let ack = if seg.flags.ack { seg.ack } else { 0 };
    v.extend_from_slice(&ack.to_be_bytes());
    let f = seg.flags;
    let bits = u8::from(f.fin)
        | u8::from(f.syn) << 1
        | u8::from(f.rst) << 2
        | u8::from(f.psh) << 3
        | u8::from(f.ack) << 4;
    v.extend_from_slice(&[((hl / 4) as u8) << 4, bits]);
    v.extend_from_slice(&seg.window.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0]);
    v.extend_from_slice(seg.options);
    v.extend_from_slice(payload);
    transport_checksum(&mut v, 6, 16);
    Ok(pad(v))
}

/// ARP message fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arp {
    /// Ethernet source.
    pub eth_src: [u8; 6],
    /// Ethernet destination (broadcast for requests).
    pub eth_dst: [u8; 6],
    /// VLAN.
    pub vlan: u16,
    /// `true` for a reply, `false` for a request.
    pub reply: bool,
    /// Sender hardware address.
    pub sha: [u8; 6],
    /// Sender protocol address (0.0.0.0 in an RFC 5227 probe).
    pub spa: [u8; 4],
    /// Target hardware address (zero in requests).
    pub tha: [u8; 6],
    /// Target protocol address.
    pub tpa: [u8; 4],
}

impl Arp {
    /// "Who has `target`? Tell `asker`", broadcast.
    pub fn request(asker: &Host, target_ip: [u8; 4]) -> Arp {
        Arp {
            eth_src: asker.mac,
            eth_dst: [0xff; 6],
            vlan: asker.vlan,
            reply: false,
            sha: asker.mac,
            spa: asker.ip,
            tha: [0; 6],
            tpa: target_ip,
        }
    }

    /// "`owner` is at its MAC", unicast to `asker`.
    pub fn reply(owner: &Host, asker: &Host) -> Arp {
        Arp {
            eth_src: owner.mac,
            eth_dst: asker.mac,
            vlan: owner.vlan,
            reply: true,
            sha: owner.mac,
            spa: owner.ip,
            tha: asker.mac,
            tpa: asker.ip,
        }
    }
}

/// An ARP frame.
pub fn arp(a: &Arp) -> io::Result<Vec<u8>> {
    let op = if a.reply {
        ArpOperation::REPLY
    } else {
        ArpOperation::REQUEST
    };
    let pkt = ArpPacket::new(
        ArpHardwareId::ETHERNET,
        EtherType::IPV4,
        op,
        &a.sha,
        &a.spa,
        &a.tha,
        &a.tpa,
    )
    .map_err(build_err)?;
    let b = PacketBuilder::ethernet2(a.eth_src, a.eth_dst)
        .single_vlan(vlan_id(a.vlan)?)
        .arp(pkt);
    let mut v = Vec::with_capacity(MIN_FRAME);
    b.write_to_vec(&mut v).map_err(build_err)?;
    Ok(pad(v))
}

/// ICMP port unreachable sent by `src` in answer to `probe`, a UDP frame
/// built by [`udp`]; it quotes the probe's IP header and first 8 payload
/// bytes (the UDP header) as RFC 792 requires.
pub fn icmp_port_unreachable(
    src: &Host,
    dst: &Host,
    ip: IpFields,
    probe: &[u8],
) -> io::Result<Vec<u8>> {
    let start = L2_LEN;
    let end = start + IP_LEN + 8;
    let quoted = probe
        .get(start..end)
        .ok_or_else(|| build_err("probe frame too short to quote"))?;
    let l = link(src, dst);
    let b = PacketBuilder::ethernet2(l.src_mac, l.dst_mac)
        .single_vlan(vlan_id(l.vlan)?)
        .ip(ip_header(
            &l,
            src,
            dst,
            IpFields {
                id: ip.id,
                df: false,
            },
        )?)
        .icmpv4(Icmpv4Type::DestinationUnreachable(
            DestUnreachableHeader::Port,
        ));
    let mut v = Vec::with_capacity(b.size(quoted.len()).max(MIN_FRAME));
    b.write_to_vec(&mut v, quoted).map_err(build_err)?;
    Ok(pad(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{LinkExtSlice, NetSlice, SlicedPacket, TransportSlice};

    fn cam() -> Host {
        site::CAMERAS[0].host
    }

    #[test]
    fn udp_frame_parses_with_valid_checksum() {
        let f = udp(
            &cam(),
            &site::NVR,
            8000,
            50_000,
            IpFields::df(7),
            &[1, 2, 3],
        )
        .unwrap();
        assert_eq!(f.len(), MIN_FRAME);
        let p = SlicedPacket::from_ethernet(&f).unwrap();
        match p.link_exts.first() {
            Some(LinkExtSlice::Vlan(v)) => assert_eq!(v.vlan_identifier().value(), 20),
            other => panic!("no vlan: {other:?}"),
        }
        let Some(NetSlice::Ipv4(ip)) = &p.net else {
            panic!()
        };
        assert_eq!(ip.header().source(), [10, 20, 0, 11]);
        assert_eq!(ip.header().destination(), [10, 20, 0, 2]);
        let h = ip.header().to_header();
        assert_eq!(h.header_checksum, h.calc_header_checksum());
        let Some(TransportSlice::Udp(u)) = &p.transport else {
            panic!()
        };
        assert_eq!(u.source_port(), 8000);
        assert_eq!(
            u.checksum(),
            u.to_header().calc_checksum_ipv4(&h, u.payload()).unwrap()
        );
    }

    #[test]
    fn tcp_frame_parses_with_valid_checksum() {
        let opts = syn_options(1460);
        let seg = Segment {
            sport: 40_000,
            dport: 443,
            seq: 1000,
            ack: 0,
            flags: Flags::SYN,
            window: 64_240,
            options: &opts,
        };
        let f = tcp(&cam(), &site::CLOUD_P2P, &seg, IpFields::df(1), &[]).unwrap();
        let p = SlicedPacket::from_ethernet(&f).unwrap();
        let Some(etherparse::LinkSlice::Ethernet2(e)) = &p.link else {
            panic!()
        };
        assert_eq!(e.destination(), site::GATEWAY_MAC);
        let Some(NetSlice::Ipv4(ip)) = &p.net else {
            panic!()
        };
        let h = ip.header().to_header();
        let Some(TransportSlice::Tcp(t)) = &p.transport else {
            panic!()
        };
        assert!(t.syn() && !t.ack());
        assert_eq!(t.destination_port(), 443);
        assert_eq!(
            t.checksum(),
            t.to_header().calc_checksum_ipv4(&h, t.payload()).unwrap()
        );
    }

    #[test]
    fn routed_workstation_traffic_uses_vlan_30() {
        let to = link(&site::WORKSTATION, &site::NVR);
        let back = link(&site::NVR, &site::WORKSTATION);
        assert_eq!((to.vlan, back.vlan), (30, 30));
        assert_eq!(to.dst_mac, site::GATEWAY_MAC);
        assert_eq!(back.src_mac, site::GATEWAY_MAC);
        assert_eq!(back.ttl, 63);
    }

    #[test]
    fn arp_and_icmp_frames_parse() {
        let f = arp(&Arp::request(&cam(), [10, 20, 0, 2])).unwrap();
        assert_eq!(f.len(), MIN_FRAME);
        let p = SlicedPacket::from_ethernet(&f).unwrap();
        assert!(matches!(p.net, Some(NetSlice::Arp(_))));

        let probe = udp(&cam(), &site::NVR, 40_000, 161, IpFields::df(3), &[]).unwrap();
        let r = icmp_port_unreachable(&site::NVR, &cam(), IpFields::df(9), &probe).unwrap();
        let p = SlicedPacket::from_ethernet(&r).unwrap();
        let Some(TransportSlice::Icmpv4(i)) = &p.transport else {
            panic!()
        };
        assert_eq!(i.type_u8(), 3);
        assert_eq!(i.code_u8(), 3);
        assert_eq!(
            i.checksum(),
            i.header().icmp_type.calc_checksum(i.payload())
        );
        assert_eq!(&i.payload()[12..16], &[10, 20, 0, 11]);
    }
}
