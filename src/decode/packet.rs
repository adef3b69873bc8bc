//! The decoded view of one packet: plain `Copy` data, no borrows, so it can
//! sit in a batch next to the copied payload bytes.

use std::net::IpAddr;

/// TCP flag bits; defined with the protocol numbers in `net`.
pub use crate::net::tcp_flags;

/// Where a packet sits in an IP datagram that was fragmented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fragment {
    /// Not fragmented.
    None,
    /// Offset zero with more fragments following: has the transport header.
    First,
}

/// What flow tracking needs from an IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketView {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Transport ports; for ICMP, the type and code mapped as Community ID
    /// does (so that a request and its reply share a flow).
    pub src_port: u16,
    pub dst_port: u16,
    /// IP protocol number of the transport (after IPv6 extension headers).
    pub proto: u8,
    /// ICMP messages that have no reply type (unreachable, time exceeded...).
    pub icmp_one_way: bool,
    /// Outermost and second 802.1Q/802.1ad VLAN ids, 0 when absent.
    pub vlan: u16,
    pub inner_vlan: u16,
    pub src_mac: [u8; 6],
    pub dst_mac: [u8; 6],
    /// TCP flags, 0 for other transports.
    pub tcp_flags: u8,
    pub fragment: Fragment,
    /// Offset and length of the transport payload within the frame (as far
    /// as it was captured).
    pub payload_offset: u16,
    pub payload_len: u16,
    /// For ICMP errors: the flow the quoted header belongs to (original
    /// source, destination, ports, protocol), used to see UDP probes that
    /// were refused.
    pub quoted: Option<QuotedHeader>,
    /// Tunnels the packet arrived in, one bit per kind (see
    /// `decode::TUNNEL_KINDS`); the flow is keyed on the inner headers.
    pub encap: u8,
}

#[cfg(test)]
impl PacketView {
    /// A plain, unfragmented, untunnelled packet between `src` and `dst`
    /// with no payload, for unit tests of what reads views.
    pub(crate) fn for_test(
        src: IpAddr,
        src_port: u16,
        dst: IpAddr,
        dst_port: u16,
        proto: u8,
        tcp_flags: u8,
    ) -> PacketView {
        PacketView {
            src,
            dst,
            src_port,
            dst_port,
            proto,
            icmp_one_way: false,
            vlan: 0,
            inner_vlan: 0,
            src_mac: [0; 6],
            dst_mac: [0; 6],
            tcp_flags,
            fragment: Fragment::None,
            payload_offset: 0,
            payload_len: 0,
            quoted: None,
            encap: 0,
        }
    }
}

/// The IP + transport header an ICMP error quotes back to the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotedHeader {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub proto: u8,
}

/// An ARP request or reply (Ethernet/IPv4 only, which is all ARP carries in
/// practice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpView {
    pub operation: u16,
    pub sender_mac: [u8; 6],
    pub sender_ip: [u8; 4],
    pub target_ip: [u8; 4],
    pub vlan: u16,
}

/// A successfully decoded frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    Ip(PacketView),
    Arp(ArpView),
    /// A non-first IP fragment: counted, not keyed (see the module docs).
    LaterFragment,
}
