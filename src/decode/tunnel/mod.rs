//! Zero-copy decoders for the encapsulations that mirror-port traffic arrives in.
//!
//! A switch mirror port, a remote SPAN session or a cloud traffic mirror rarely
//! hands over the camera's frame as it was: it wraps it in GRE, ERSPAN, VXLAN,
//! Geneve, an MPLS label stack or a PPPoE session. The packet parser does not
//! look inside tunnels, so this module peels them off. Each function takes the
//! bytes that follow the outer header that announced the tunnel (an IP payload
//! with protocol 47, a UDP payload on a well-known port, or the bytes after an
//! EtherType), decodes exactly one tunnel header, and returns what comes next
//! and what kind of frame it is ([`Inner`]). The caller then decodes that inner
//! frame and keys flows on it; the outer layers are only counted (by
//! [`TunnelKind`] and [`Decap::tunnel_id`]), never used as flow keys, because
//! the outer addresses belong to the mirroring switch, not to the cameras.
//!
//! Tunnels nest (for example GRE -> ERSPAN II -> Ethernet -> IPv4 -> UDP 4789
//! -> VXLAN -> Ethernet in a cloud mirror), so decoding is a loop in the
//! caller, which should bound its depth.
//!
//! # Supported
//!
//! | function | input | header |
//! |---|---|---|
//! | [`gre`] | IP payload, protocol [`IP_PROTO_GRE`] | GRE version 0 (RFC 2784, RFC 2890): optional checksum, key and sequence number |
//! | [`gre`] | GRE type 0x88BE, S bit clear | ERSPAN type I: no header, Ethernet follows the GRE header |
//! | [`gre`] | GRE type 0x88BE, S bit set | ERSPAN type II: 8 bytes, version 1 |
//! | [`gre`] | GRE type 0x22EB | ERSPAN type III: 12 bytes, version 2, plus the 8-byte platform-specific subheader when the O bit is set |
//! | [`vxlan`] | UDP payload, port [`UDP_PORT_VXLAN`] | VXLAN (RFC 7348): 8 bytes, I flag required |
//! | [`geneve`] | UDP payload, port [`UDP_PORT_GENEVE`] | Geneve (RFC 8926): 8 bytes plus options, version 0 |
//! | [`mpls`] | after EtherType 0x8847 / 0x8848, or UDP port [`UDP_PORT_MPLS`] | MPLS label stack (RFC 3032) and what follows it |
//! | [`pppoe_session`] | after EtherType [`ETHERTYPE_PPPOE_SESSION`] | PPPoE session stage (RFC 2516) and the PPP protocol field |
//!
//! GRE payload types 0x0800, 0x86DD and 0x6558 map to [`Inner::Ipv4`],
//! [`Inner::Ipv6`] and [`Inner::Ethernet`]; any other type is returned as
//! [`Inner::Other`] with the EtherType, so that, for example, MPLS over GRE
//! (`Other(0x8847)`) can be passed on to [`mpls`].
//!
//! The payload always runs to the end of the input, so the length of the
//! decoded header is `input.len() - decap.payload.len()`. Nothing is copied or
//! allocated, and no input makes a decoder panic: every read is bounds-checked.
//!
//! # Errors
//!
//! A decoder returns [`TunnelError::Truncated`] when the input ends inside the
//! header, [`TunnelError::UnsupportedVersion`] for a version it does not
//! decode, and [`TunnelError::Malformed`] for a field value the specification
//! forbids. Versions and fields are only looked at once the fixed part of the
//! header is present, so an input cut inside that part is `Truncated` whatever
//! it holds.
//!
//! # Not supported, and why
//!
//! - **GRE with the routing bit (R) set** (RFC 1701 source routing, deprecated
//!   by RFC 2784) and **GRE version 1** (the enhanced GRE of PPTP, RFC 2637,
//!   which carries PPP for a VPN rather than mirrored frames) are refused with
//!   [`TunnelError::UnsupportedVersion`]: their headers have a different
//!   layout, and neither is used to transport mirror traffic.
//! - **GRE checksums are not verified.** A wrong checksum does not move the
//!   payload, and verifying would cost a pass over every mirrored packet.
//!   The other reserved GRE bits (strict source route, recursion control,
//!   flags) are ignored, as the Linux GRE receiver ignores them.
//! - **ERSPAN II fields skipped:** COS, encapsulation type (En), truncated bit
//!   (T) and the 20-bit index. Only the session ID and the VLAN are reported.
//! - **ERSPAN III fields skipped:** COS, the bad/short/oversized bits (BSO),
//!   the truncated bit (T), the 32-bit timestamp, the security group tag
//!   (SGT), the "has Ethernet PDU" bit (P), the hardware ID, the direction
//!   bit (D), the timestamp granularity, and the whole platform-specific
//!   subheader (platform ID, port ID/index, upper timestamp bits), whose length
//!   is fixed at 8 bytes and is skipped unread. The P bit is not trusted: real
//!   switches send Ethernet frames with P = 0. The frame type (FT) is honoured
//!   instead: 0 is Ethernet, 2 is an IP packet (IPv4 or IPv6 by its version
//!   nibble), anything else is [`Inner::Other`] with the frame type.
//! - **VXLAN-GPE** (UDP 4790) and the group-policy extension are not
//!   interpreted; as RFC 7348 asks, the reserved bits are ignored, so the
//!   payload is always Ethernet.
//! - **Geneve options are not parsed**: the option-length field alone locates
//!   the payload, and the options are meant for the tunnel endpoints. The
//!   critical-options bit (C) is not enforced either, since a passive observer
//!   is not an endpoint that must drop what it does not understand.
//! - **MPLS payloads are guessed**, because the label stack does not say what
//!   it carries (only the signalling that set the labels up knows). The IPv4
//!   and IPv6 explicit-null labels (0 and 2) settle it; otherwise the first
//!   nibble after the stack decides: 4 (with a plausible header length) is
//!   IPv4, 6 is IPv6, 1 is a pseudowire associated channel (RFC 4385; OAM,
//!   returned as [`Inner::Other`] with the channel type), 0 is an Ethernet
//!   pseudowire with the RFC 4448 control word unless the frame only makes
//!   sense without it, and anything else is an Ethernet pseudowire without a
//!   control word. Pseudowires of other types (ATM, Frame Relay, TDM) are not
//!   recognised.
//! - **PPPoE discovery** (EtherType 0x8863) carries no user traffic and is not
//!   decoded. The PPPoE length field is not used to cut the payload: real
//!   captures carry wrong values in it, and the inner IP header carries its own
//!   length, which the caller's parser applies (Ethernet padding stays in the
//!   payload). PPP protocol-field compression (a one-byte protocol) is
//!   accepted, because real PPPoE clients negotiate it.

use std::fmt;

mod gre;
mod mpls;
mod pppoe;
#[cfg(test)]
mod tests;
mod udp;

pub use gre::gre;
pub use mpls::mpls;
pub use pppoe::pppoe_session;
pub use udp::{geneve, vxlan};

/// IP protocol number of GRE; the IP payload goes to [`gre`].
pub const IP_PROTO_GRE: u8 = crate::net::IpProto::GRE.0;
/// IANA UDP port of VXLAN (RFC 7348); the UDP payload goes to [`vxlan`].
pub const UDP_PORT_VXLAN: u16 = 4789;
/// IANA UDP port of Geneve (RFC 8926); the UDP payload goes to [`geneve`].
pub const UDP_PORT_GENEVE: u16 = 6081;
/// IANA UDP port of MPLS in UDP (RFC 7510); the UDP payload goes to [`mpls`].
pub const UDP_PORT_MPLS: u16 = 6635;
/// EtherType of an MPLS unicast label stack; what follows goes to [`mpls`].
pub const ETHERTYPE_MPLS_UNICAST: u16 = 0x8847;
/// EtherType of an MPLS multicast label stack; what follows goes to [`mpls`].
pub const ETHERTYPE_MPLS_MULTICAST: u16 = 0x8848;
/// EtherType of the PPPoE session stage; what follows goes to [`pppoe_session`].
pub const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;
/// GRE protocol type of transparent Ethernet bridging (an Ethernet frame follows).
pub const GRE_PROTO_TEB: u16 = 0x6558;
/// GRE protocol type of ERSPAN types I and II.
pub const GRE_PROTO_ERSPAN_I_II: u16 = 0x88BE;
/// GRE protocol type of ERSPAN type III.
pub const GRE_PROTO_ERSPAN_III: u16 = 0x22EB;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86DD;

const GRE_FLAG_CHECKSUM: u16 = 0x8000;
const GRE_FLAG_ROUTING: u16 = 0x4000;
const GRE_FLAG_KEY: u16 = 0x2000;
const GRE_FLAG_SEQUENCE: u16 = 0x1000;
const GRE_VERSION_MASK: u16 = 0x0007;

const PPP_PROTO_IPV4: u16 = 0x0021;
const PPP_PROTO_IPV6: u16 = 0x0057;

/// What follows a tunnel header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inner {
    /// An Ethernet II frame, starting at the destination MAC, without FCS.
    Ethernet,
    /// An IPv4 packet.
    Ipv4,
    /// An IPv6 packet.
    Ipv6,
    /// Something else. Holds the protocol number as the tunnel header gave it:
    /// the EtherType for GRE and Geneve, the PPP protocol for PPPoE, the frame
    /// type for ERSPAN III, the channel type of an MPLS associated channel.
    Other(u16),
}

/// Why a tunnel header could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunnelError {
    /// The input ends inside the header.
    Truncated,
    /// A version (or, for GRE, a legacy routing header) this module does not decode.
    UnsupportedVersion,
    /// A field holds a value the specification forbids.
    Malformed,
}

impl fmt::Display for TunnelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Truncated => "tunnel header truncated",
            Self::UnsupportedVersion => "unsupported tunnel header version",
            Self::Malformed => "malformed tunnel header",
        })
    }
}

impl std::error::Error for TunnelError {}

/// Which encapsulation was removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunnelKind {
    /// Plain GRE (anything but ERSPAN).
    Gre,
    /// ERSPAN type I over GRE.
    ErspanI,
    /// ERSPAN type II over GRE.
    ErspanII,
    /// ERSPAN type III over GRE.
    ErspanIII,
    /// VXLAN.
    Vxlan,
    /// Geneve.
    Geneve,
    /// An MPLS label stack.
    Mpls,
    /// A PPPoE session.
    Pppoe,
}

impl TunnelKind {
    /// A short lower-case name, for counters and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gre => "gre",
            Self::ErspanI => "erspan1",
            Self::ErspanII => "erspan2",
            Self::ErspanIII => "erspan3",
            Self::Vxlan => "vxlan",
            Self::Geneve => "geneve",
            Self::Mpls => "mpls",
            Self::Pppoe => "pppoe",
        }
    }
}

/// One decoded tunnel header and the frame it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decap<'a> {
    /// The encapsulation that was removed.
    pub kind: TunnelKind,
    /// What `payload` holds.
    pub inner: Inner,
    /// The carried frame: the rest of the input after the tunnel header.
    pub payload: &'a [u8],
    /// The identifier the tunnel header carries, if any, for counting:
    /// the GRE key (RFC 2890) for [`TunnelKind::Gre`] and [`TunnelKind::ErspanI`];
    /// the 10-bit session ID for [`TunnelKind::ErspanII`] and [`TunnelKind::ErspanIII`];
    /// the 24-bit VNI for [`TunnelKind::Vxlan`] and [`TunnelKind::Geneve`];
    /// the bottom-of-stack label for [`TunnelKind::Mpls`] (the service or
    /// pseudowire label; the top label is a transport label that changes hop by hop);
    /// the session ID for [`TunnelKind::Pppoe`].
    pub tunnel_id: Option<u32>,
    /// ERSPAN II and III only: the 12-bit VLAN of the mirrored frame as the
    /// ERSPAN header reports it. Switches strip or keep the frame's own 802.1Q
    /// tag depending on the session, so this may be the only VLAN information
    /// left, or it may repeat a tag still present in the frame.
    pub vlan: Option<u16>,
}

pub(super) fn be16(bytes: &[u8], at: usize) -> Result<u16, TunnelError> {
    bytes
        .get(at..)
        .and_then(<[u8]>::first_chunk::<2>)
        .map(|b| u16::from_be_bytes(*b))
        .ok_or(TunnelError::Truncated)
}

pub(super) fn be32(bytes: &[u8], at: usize) -> Result<u32, TunnelError> {
    bytes
        .get(at..)
        .and_then(<[u8]>::first_chunk::<4>)
        .map(|b| u32::from_be_bytes(*b))
        .ok_or(TunnelError::Truncated)
}

pub(super) fn tail(bytes: &[u8], at: usize) -> Result<&[u8], TunnelError> {
    bytes.get(at..).ok_or(TunnelError::Truncated)
}

pub(super) fn inner_from_ethertype(ethertype: u16) -> Inner {
    match ethertype {
        ETHERTYPE_IPV4 => Inner::Ipv4,
        ETHERTYPE_IPV6 => Inner::Ipv6,
        GRE_PROTO_TEB => Inner::Ethernet,
        other => Inner::Other(other),
    }
}

pub(super) fn ip_by_version(packet: &[u8]) -> Option<Inner> {
    match packet.first()? >> 4 {
        4 => Some(Inner::Ipv4),
        6 => Some(Inner::Ipv6),
        _ => None,
    }
}

/// An Ethernet frame must at least hold its 14-byte header.
pub(super) fn ethernet_frame(frame: &[u8]) -> Result<&[u8], TunnelError> {
    if frame.len() < 14 {
        Err(TunnelError::Truncated)
    } else {
        Ok(frame)
    }
}

/// Whether `frame` has an EtherType that is common on camera networks and in
/// carrier pseudowires at offset 12.
pub(super) fn looks_like_ethernet(frame: &[u8]) -> bool {
    matches!(
        be16(frame, 12),
        Ok(0x0800 // IPv4
            | 0x86DD // IPv6
            | 0x0806 // ARP
            | 0x8100 // 802.1Q
            | 0x88A8 // 802.1ad
            | 0x9100 // legacy QinQ
            | 0x8847 // MPLS unicast
            | 0x8848 // MPLS multicast
            | 0x8863 // PPPoE discovery
            | 0x8864 // PPPoE session
            | 0x88CC) // LLDP
    )
}
