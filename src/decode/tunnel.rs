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

/// Decodes a GRE header, including ERSPAN I/II/III carried in GRE.
///
/// `ip_payload` is the payload of an IPv4 or IPv6 packet whose protocol /
/// next header is [`IP_PROTO_GRE`]. The [`Decap::kind`] tells plain GRE from
/// the three ERSPAN types.
pub fn gre(ip_payload: &[u8]) -> Result<Decap<'_>, TunnelError> {
    let flags = be16(ip_payload, 0)?;
    let proto = be16(ip_payload, 2)?;
    // Version 1 is PPTP's enhanced GRE; a routing header has a variable,
    // self-terminated layout that no mirroring device produces.
    if flags & GRE_VERSION_MASK != 0 || flags & GRE_FLAG_ROUTING != 0 {
        return Err(TunnelError::UnsupportedVersion);
    }
    let mut offset = 4;
    if flags & GRE_FLAG_CHECKSUM != 0 {
        // Checksum and Reserved1, 2 bytes each.
        offset += 4;
    }
    let key = if flags & GRE_FLAG_KEY != 0 {
        let key = be32(ip_payload, offset)?;
        offset += 4;
        Some(key)
    } else {
        None
    };
    let has_sequence = flags & GRE_FLAG_SEQUENCE != 0;
    if has_sequence {
        offset += 4;
    }
    let body = tail(ip_payload, offset)?;
    match proto {
        // Type I has no sequence number and no header of its own; type II
        // always sets S (the sequence number is part of the type II format).
        // tcpdump and Zeek tell the two apart the same way.
        GRE_PROTO_ERSPAN_I_II if !has_sequence => Ok(Decap {
            kind: TunnelKind::ErspanI,
            inner: Inner::Ethernet,
            payload: body,
            tunnel_id: key,
            vlan: None,
        }),
        GRE_PROTO_ERSPAN_I_II => erspan_ii(body),
        GRE_PROTO_ERSPAN_III => erspan_iii(body),
        _ => Ok(Decap {
            kind: TunnelKind::Gre,
            inner: inner_from_ethertype(proto),
            payload: body,
            tunnel_id: key,
            vlan: None,
        }),
    }
}

/// ERSPAN type II: Ver(4)=1 VLAN(12) | COS(3) En(2) T(1) SessionID(10) |
/// Reserved(12) Index(20).
fn erspan_ii(header: &[u8]) -> Result<Decap<'_>, TunnelError> {
    let word0 = be16(header, 0)?;
    let word1 = be16(header, 2)?;
    let payload = tail(header, 8)?;
    if word0 >> 12 != 1 {
        return Err(TunnelError::UnsupportedVersion);
    }
    Ok(Decap {
        kind: TunnelKind::ErspanII,
        inner: Inner::Ethernet,
        payload,
        tunnel_id: Some(u32::from(word1 & 0x03FF)),
        vlan: Some(word0 & 0x0FFF),
    })
}

/// ERSPAN type III: Ver(4)=2 VLAN(12) | COS(3) BSO(2) T(1) SessionID(10) |
/// Timestamp(32) | SGT(16) | P(1) FT(5) HwID(6) D(1) Gra(2) O(1) |
/// optional 8-byte platform-specific subheader when O is set.
fn erspan_iii(header: &[u8]) -> Result<Decap<'_>, TunnelError> {
    let word0 = be16(header, 0)?;
    let word1 = be16(header, 2)?;
    let word5 = be16(header, 10)?;
    if word0 >> 12 != 2 {
        return Err(TunnelError::UnsupportedVersion);
    }
    let header_len = if word5 & 0x0001 != 0 { 20 } else { 12 };
    let payload = tail(header, header_len)?;
    let frame_type = (word5 >> 10) & 0x1F;
    let inner = match frame_type {
        0 => Inner::Ethernet,
        2 => ip_by_version(payload).unwrap_or(Inner::Other(frame_type)),
        other => Inner::Other(other),
    };
    Ok(Decap {
        kind: TunnelKind::ErspanIII,
        inner,
        payload,
        tunnel_id: Some(u32::from(word1 & 0x03FF)),
        vlan: Some(word0 & 0x0FFF),
    })
}

/// Decodes a VXLAN header (RFC 7348): Flags(8) Reserved(24) | VNI(24) Reserved(8).
///
/// `udp_payload` is the payload of a UDP datagram to [`UDP_PORT_VXLAN`]. The
/// payload is always an Ethernet frame.
pub fn vxlan(udp_payload: &[u8]) -> Result<Decap<'_>, TunnelError> {
    let flags = *udp_payload.first().ok_or(TunnelError::Truncated)?;
    let vni = be32(udp_payload, 4)? >> 8;
    // Without the I flag the VNI is not valid; Linux drops such packets, and
    // requiring the flag keeps other traffic on port 4789 from being taken
    // for Ethernet.
    if flags & 0x08 == 0 {
        return Err(TunnelError::Malformed);
    }
    Ok(Decap {
        kind: TunnelKind::Vxlan,
        inner: Inner::Ethernet,
        payload: tail(udp_payload, 8)?,
        tunnel_id: Some(vni),
        vlan: None,
    })
}

/// Decodes a Geneve header (RFC 8926): Ver(2) OptLen(6) O(1) C(1) Rsvd(6)
/// ProtocolType(16) | VNI(24) Reserved(8) | OptLen * 4 bytes of options.
///
/// `udp_payload` is the payload of a UDP datagram to [`UDP_PORT_GENEVE`].
pub fn geneve(udp_payload: &[u8]) -> Result<Decap<'_>, TunnelError> {
    let word0 = be16(udp_payload, 0)?;
    let proto = be16(udp_payload, 2)?;
    let vni = be32(udp_payload, 4)? >> 8;
    if word0 >> 14 != 0 {
        return Err(TunnelError::UnsupportedVersion);
    }
    let options_len = usize::from((word0 >> 8) & 0x3F) * 4;
    Ok(Decap {
        kind: TunnelKind::Geneve,
        inner: inner_from_ethertype(proto),
        payload: tail(udp_payload, 8 + options_len)?,
        tunnel_id: Some(vni),
        vlan: None,
    })
}

/// Walks an MPLS label stack (RFC 3032) to the bottom-of-stack entry and
/// guesses what follows it (see the module documentation).
///
/// `payload_after_ethertype` follows EtherType [`ETHERTYPE_MPLS_UNICAST`] or
/// [`ETHERTYPE_MPLS_MULTICAST`] (or is a UDP payload on [`UDP_PORT_MPLS`], or a
/// GRE payload of type 0x8847). Each entry is Label(20) TC(3) S(1) TTL(8).
pub fn mpls(payload_after_ethertype: &[u8]) -> Result<Decap<'_>, TunnelError> {
    let mut offset = 0;
    let bottom_label = loop {
        // The loop ends at the bottom-of-stack bit or, at the latest, when the
        // input runs out (be32 then reports Truncated).
        let entry = be32(payload_after_ethertype, offset)?;
        offset += 4;
        if entry & 0x0100 != 0 {
            break entry >> 12;
        }
    };
    let after_stack = tail(payload_after_ethertype, offset)?;
    let first = *after_stack.first().ok_or(TunnelError::Truncated)?;
    let (inner, payload) = match (bottom_label, first >> 4) {
        // IPv4 and IPv6 explicit null: the label itself names the payload.
        (0, _) => (Inner::Ipv4, after_stack),
        (2, _) => (Inner::Ipv6, after_stack),
        // An IPv4 header is at least 5 words long; a smaller IHL means this is
        // a MAC address that happens to start with 4.
        (_, 4) if first & 0x0F >= 5 => (Inner::Ipv4, after_stack),
        (_, 6) => (Inner::Ipv6, after_stack),
        // RFC 4385 associated channel header: 0001 Ver(4) Reserved(8) Channel Type(16).
        (_, 1) => {
            let channel_type = be16(after_stack, 2)?;
            (Inner::Other(channel_type), tail(after_stack, 4)?)
        }
        // RFC 4385 reserves the first nibble 0 for the pseudowire control
        // word precisely so that it is not taken for IP. A destination MAC can
        // start with 0 too, so the frame is read without the control word only
        // when that reading finds a common EtherType and the other does not.
        (_, 0) => {
            let plain = looks_like_ethernet(after_stack);
            let after_cw = after_stack.get(4..).is_some_and(looks_like_ethernet);
            let frame = if plain && !after_cw {
                after_stack
            } else {
                tail(after_stack, 4)?
            };
            (Inner::Ethernet, ethernet_frame(frame)?)
        }
        _ => (Inner::Ethernet, ethernet_frame(after_stack)?),
    };
    Ok(Decap {
        kind: TunnelKind::Mpls,
        inner,
        payload,
        tunnel_id: Some(bottom_label),
        vlan: None,
    })
}

/// Decodes a PPPoE session header (RFC 2516) and the PPP protocol field:
/// Ver(4)=1 Type(4)=1 | Code(8)=0 | SessionID(16) | Length(16) | Protocol(8 or 16).
///
/// `payload_after_ethertype` follows EtherType [`ETHERTYPE_PPPOE_SESSION`].
/// The PPPoE length field is not applied (see the module documentation).
pub fn pppoe_session(payload_after_ethertype: &[u8]) -> Result<Decap<'_>, TunnelError> {
    let b = payload_after_ethertype;
    let version_type = *b.first().ok_or(TunnelError::Truncated)?;
    let code = *b.get(1).ok_or(TunnelError::Truncated)?;
    let session_id = be16(b, 2)?;
    // Length: read only so that a header cut inside it counts as truncated.
    be16(b, 4)?;
    if version_type != 0x11 {
        return Err(TunnelError::UnsupportedVersion);
    }
    // Session-stage packets always carry code 0; other codes belong to the
    // discovery stage.
    if code != 0 {
        return Err(TunnelError::Malformed);
    }
    // RFC 1661: protocol numbers are odd in their low byte and even in their
    // high byte, so an odd first byte is a compressed one-byte protocol.
    let first = *b.get(6).ok_or(TunnelError::Truncated)?;
    let (protocol, header_len) = if first & 1 == 1 {
        (u16::from(first), 7)
    } else {
        let protocol = be16(b, 6)?;
        if protocol & 1 == 0 {
            return Err(TunnelError::Malformed);
        }
        (protocol, 8)
    };
    let inner = match protocol {
        PPP_PROTO_IPV4 => Inner::Ipv4,
        PPP_PROTO_IPV6 => Inner::Ipv6,
        other => Inner::Other(other),
    };
    Ok(Decap {
        kind: TunnelKind::Pppoe,
        inner,
        payload: tail(b, header_len)?,
        tunnel_id: Some(u32::from(session_id)),
        vlan: None,
    })
}

fn be16(bytes: &[u8], at: usize) -> Result<u16, TunnelError> {
    bytes
        .get(at..)
        .and_then(<[u8]>::first_chunk::<2>)
        .map(|b| u16::from_be_bytes(*b))
        .ok_or(TunnelError::Truncated)
}

fn be32(bytes: &[u8], at: usize) -> Result<u32, TunnelError> {
    bytes
        .get(at..)
        .and_then(<[u8]>::first_chunk::<4>)
        .map(|b| u32::from_be_bytes(*b))
        .ok_or(TunnelError::Truncated)
}

fn tail(bytes: &[u8], at: usize) -> Result<&[u8], TunnelError> {
    bytes.get(at..).ok_or(TunnelError::Truncated)
}

fn inner_from_ethertype(ethertype: u16) -> Inner {
    match ethertype {
        ETHERTYPE_IPV4 => Inner::Ipv4,
        ETHERTYPE_IPV6 => Inner::Ipv6,
        GRE_PROTO_TEB => Inner::Ethernet,
        other => Inner::Other(other),
    }
}

fn ip_by_version(packet: &[u8]) -> Option<Inner> {
    match packet.first()? >> 4 {
        4 => Some(Inner::Ipv4),
        6 => Some(Inner::Ipv6),
        _ => None,
    }
}

/// An Ethernet frame must at least hold its 14-byte header.
fn ethernet_frame(frame: &[u8]) -> Result<&[u8], TunnelError> {
    if frame.len() < 14 {
        Err(TunnelError::Truncated)
    } else {
        Ok(frame)
    }
}

/// Whether `frame` has an EtherType that is common on camera networks and in
/// carrier pseudowires at offset 12.
fn looks_like_ethernet(frame: &[u8]) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
        0x00, 0x00, 0x88, 0xbe, 0xa6, 0x83, 0xe7, 0x0c, 0x90, 0x64, 0x00, 0x0c, 0x29, 0xcf, 0x30,
        0x15, 0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x94, 0x6a,
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
        0x10, 0x00, 0x88, 0xbe, 0x00, 0x00, 0x07, 0x04, 0x10, 0x17, 0x08, 0x64, 0x00, 0x00, 0x00,
        0x00, 0x64, 0x00, 0xf1, 0xe1, 0x03, 0x03, 0x64, 0x00, 0xf1, 0xe1, 0x02, 0x02, 0x08, 0x00,
        0x45, 0x00, 0x00, 0x64, 0x08, 0x94, 0x00, 0x00, 0xff, 0x01,
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
        0x10, 0x00, 0x22, 0xeb, 0x03, 0xb3, 0xed, 0x5c, 0x20, 0x14, 0x00, 0x00, 0x00, 0x00, 0x14,
        0x58, 0x00, 0x00, 0x80, 0x30, 0x02, 0x50, 0x56, 0x56, 0x44, 0x52, 0x00, 0x50, 0x56, 0xbe,
        0xd5, 0x5d, 0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0xe1, 0xbc,
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
        0x00, 0x00, 0x22, 0xeb, 0x20, 0x14, 0x00, 0x00, 0xa3, 0x59, 0x5b, 0xff, 0x00, 0x00, 0x00,
        0x06, 0x00, 0x50, 0x56, 0xac, 0x18, 0xa0, 0xf8, 0xc2, 0x88, 0x90, 0xd2, 0x7b, 0x81, 0x00,
        0x00, 0x14, 0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x9d, 0x12,
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
        0x00, 0x00, 0x22, 0xeb, 0x20, 0x0a, 0x00, 0x00, 0x70, 0x50, 0x7e, 0x55, 0x00, 0x00, 0x00,
        0x07, 0x0c, 0x00, 0x00, 0x03, 0x15, 0xf7, 0x42, 0xe8, 0x00, 0x50, 0x56, 0x8b, 0x6d, 0xc7,
        0x00, 0xae, 0xcd, 0x00, 0x0c, 0xf1, 0x81, 0x00, 0x00, 0x0a, 0x08, 0x00, 0x45, 0x00,
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
        0x10, 0x00, 0x88, 0xbe, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,
        0x01, 0xff, 0xdd, 0xff, 0xff, 0xff, 0xf1, 0xee, 0xee, 0xee, 0xee, 0xee, 0xe1, 0x08, 0x00,
        0x45, 0x00, 0x00, 0x5a, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0xeb, 0x75, 0xac, 0x10, 0x1b,
        0x83, 0xac, 0x10, 0x1b, 0x79, 0x12, 0xb5, 0x12, 0xb6, 0x00, 0x46, 0xa3, 0xb7, 0x0c, 0x00,
        0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xd1, 0xaa, 0xbb, 0xcc,
        0xdd, 0xcc, 0xc1, 0x08, 0x00, 0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06,
        0x30, 0x21, 0x0a, 0x10, 0x1b, 0x0c, 0x0a, 0x10, 0x1b, 0x83, 0xfe, 0x96, 0x00, 0x50, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x20, 0x00, 0x46, 0x4d, 0x00, 0x00,
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
        0x20, 0x00, 0x65, 0x58, 0x02, 0x00, 0x00, 0x00, 0x00, 0x50, 0x56, 0x82, 0x2b, 0x52, 0x00,
        0x50, 0x56, 0x82, 0x08, 0xd1, 0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x2c, 0x6b,
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
        0x20, 0x00, 0x89, 0x09, 0x00, 0x00, 0x00, 0x28, 0x08, 0x00, 0x01, 0x01, 0x00, 0x01, 0x00,
        0x00, 0x45, 0x00, 0x00, 0x64, 0x00, 0x05, 0x00, 0x00, 0xff, 0x01, 0x61, 0x04, 0xac, 0x11,
        0x01, 0x36,
    ];

    /// tcpdump-various_gre.pcap frame 49, offset 0x26: GRE key 40, type 0x2000 (CDP).
    const GRE_CDP: [u8; 16] = [
        0x20, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x28, 0x02, 0xb4, 0xa8, 0x2e, 0x00, 0x01, 0x00,
        0x06,
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
        0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x7c, 0x27, 0xe0, 0x00, 0x00, 0xfe, 0x2f, 0x68,
        0x5b, 0x0a, 0x0a, 0x0b, 0x02, 0x0a, 0x0a, 0x0d, 0x02, 0x00, 0x00, 0x08, 0x00, 0x45, 0x00,
        0x00, 0x64, 0x23, 0xb8, 0x00, 0x00, 0xff, 0x01, 0xb3, 0x2b, 0x0a, 0x0a, 0x19, 0x01, 0xc0,
        0xa8, 0x01, 0x02, 0x08, 0x00, 0xcb, 0xca,
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
        0x30, 0x81, 0x88, 0x0b, 0x00, 0x67, 0x17, 0x80, 0x00, 0x06, 0x8f, 0xb1, 0x00, 0x08, 0x3a,
        0x76, 0xff, 0x03, 0x00, 0x21, 0x45, 0x00, 0x00, 0x63,
    ];

    #[test]
    fn gre_version_1_from_arkime_capture_is_unsupported() {
        assert_eq!(gre(&GRE_PPTP), Err(TunnelError::UnsupportedVersion));
    }

    /// zeek-vxlan.pcap frame 1, UDP payload (offset 0x2a): VNI 123, ARP inside.
    const VXLAN_ZEEK: [u8; 24] = [
        0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7b, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xba,
        0x09, 0x2b, 0x6e, 0xf8, 0xbe, 0x08, 0x06, 0x00, 0x01,
    ];

    /// sv-vxlan-decoder-03.pcap frame 1, UDP payload (offset 0x2a): VNI 5569041.
    const VXLAN_SURICATA: [u8; 24] = [
        0x08, 0x00, 0x00, 0x00, 0x54, 0xfa, 0x11, 0x00, 0x02, 0x29, 0x23, 0x74, 0xc7, 0x7d, 0x02,
        0x85, 0x69, 0xc2, 0xab, 0x02, 0x08, 0x00, 0x45, 0x00,
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
        0x02, 0x00, 0x65, 0x58, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x0a, 0x76, 0xb5, 0xd5, 0x0a, 0xa6, 0x41, 0xb2, 0x1a, 0x43, 0xd5, 0xfa, 0x4c, 0x08, 0x00,
        0x45, 0x00, 0x00, 0x54, 0x00, 0x00, 0x40, 0x00, 0x40, 0x01,
    ];

    /// zeek-geneve.pcap frame 2, UDP payload (offset 0x2a): no options.
    const GENEVE_PLAIN: [u8; 32] = [
        0x00, 0x00, 0x65, 0x58, 0x00, 0x00, 0x00, 0x00, 0xb2, 0x1a, 0x43, 0xd5, 0xfa, 0x4c, 0x76,
        0xb5, 0xd5, 0x0a, 0xa6, 0x41, 0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x11, 0x97, 0x00, 0x00,
        0x40, 0x01,
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
        0x00, 0x01, 0xd1, 0xff, 0x45, 0x00, 0x00, 0x64, 0x00, 0x0a, 0x00, 0x00, 0xff, 0x01, 0xa5,
        0x6a, 0x0a, 0x01, 0x02, 0x01, 0x0a, 0x22, 0x00, 0x01,
    ];

    /// pcpp-MplsPackets.pcap frame 1, after two 802.1Q tags and 0x8847 (offset
    /// 0x16): one label, 16000, then IPv4 (the frame is snaplen-truncated).
    const MPLS_PCPP_IPV4: [u8; 24] = [
        0x03, 0xe8, 0x01, 0x7e, 0x45, 0x00, 0x01, 0x4f, 0x7a, 0xc5, 0x00, 0x00, 0x7e, 0x06, 0xa0,
        0xbf, 0x02, 0x03, 0x04, 0x06, 0x0c, 0x0d, 0x0e, 0x0f,
    ];

    /// zeek-mpls-in-vlan.pcap frame 3, after 802.1Q and 0x8847 (offset 0x12):
    /// labels 254 and 99, then IPv4.
    const MPLS_TWO_LABELS: [u8; 28] = [
        0x00, 0x0f, 0xe0, 0x3c, 0x00, 0x06, 0x31, 0x3c, 0x45, 0x00, 0x02, 0xc6, 0x58, 0xf6, 0x40,
        0x00, 0x3d, 0x06, 0xb7, 0x2c, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    ];

    /// tcpdump-mpls-over-udp.pcap frames 1 and 2, UDP payload to port 6635
    /// (offset 0x2a): label 21, then label 46, each followed by IPv4.
    const MPLS_UDP_1: [u8; 24] = [
        0x00, 0x01, 0x51, 0x3f, 0x45, 0x00, 0x00, 0x54, 0x67, 0x6f, 0x40, 0x00, 0x3f, 0x01, 0xc0,
        0x22, 0x0a, 0x03, 0x00, 0x0a, 0x0a, 0x01, 0x00, 0x0a,
    ];
    const MPLS_UDP_2: [u8; 24] = [
        0x00, 0x02, 0xe1, 0x3f, 0x45, 0x00, 0x00, 0x54, 0xb6, 0x14, 0x00, 0x00, 0x3f, 0x01, 0xb1,
        0x7d, 0x0a, 0x01, 0x00, 0x0a, 0x0a, 0x03, 0x00, 0x0a,
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
        0x00, 0x01, 0x20, 0xfe, 0x00, 0x01, 0x01, 0xff, 0x00, 0x00, 0x00, 0x00, 0xcc, 0x07, 0x0d,
        0x08, 0x00, 0x00, 0xcc, 0x00, 0x0a, 0x64, 0x00, 0x00, 0x81, 0x00, 0x00, 0x01, 0x08, 0x00,
        0x45, 0x00, 0x00, 0x64, 0x00, 0x07, 0x00, 0x00, 0xff, 0x01, 0x38, 0x3e, 0xc0, 0xa8, 0x01,
        0x02, 0xc0, 0xa8,
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
        0x11, 0x00, 0x00, 0x2d, 0x00, 0x3d, 0x21, 0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00,
        0x40, 0x06, 0xed, 0xda, 0x0a, 0x64, 0x00, 0x00, 0x8e, 0xfa, 0xb3, 0x83, 0xde,
    ];

    /// zeek-pppoe-over-qinq.pcap frame 1, after two 802.1Q tags and 0x8864
    /// (offset 0x16): session 0x0f07, length 66, PPP protocol 0x0021.
    const PPPOE_QINQ: [u8; 28] = [
        0x11, 0x00, 0x0f, 0x07, 0x00, 0x42, 0x00, 0x21, 0x45, 0x00, 0x00, 0x40, 0x00, 0x00, 0x40,
        0x00, 0x3f, 0x06, 0x35, 0xb3, 0x01, 0x01, 0x01, 0x01, 0x02, 0x02, 0x02, 0x02,
    ];

    /// zeek-pppoe-over-qinq.pcap frame 19, offset 0x16 to the end of the frame:
    /// the PPPoE length says 42 but a 46-byte IPv4 packet (total length 0x2e)
    /// follows the 2-byte protocol field.
    const PPPOE_BAD_LENGTH: [u8; 54] = [
        0x11, 0x00, 0x0f, 0x07, 0x00, 0x2a, 0x00, 0x21, 0x45, 0x00, 0x00, 0x2e, 0x1c, 0x46, 0x40,
        0x00, 0xef, 0x06, 0x69, 0x7e, 0x02, 0x02, 0x02, 0x02, 0x01, 0x01, 0x01, 0x01, 0x01, 0xbb,
        0x4f, 0xaa, 0xfc, 0x90, 0xb0, 0x07, 0xd7, 0xa8, 0x44, 0x99, 0x50, 0x10, 0x08, 0x62, 0x87,
        0x27, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
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
        0xb0, 0x00, 0x65, 0x58, 0xab, 0xcd, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00,
        0x01,
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
        0x00, 0x3e, 0x80, 0x40, 0x00, 0x7d, 0x00, 0x40, 0x00, 0xbb, 0x81, 0x40, 0x60, 0x00, 0x00,
        0x00,
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
        0x00, 0x50, 0x56, 0x01, 0x02, 0x03, 0x00, 0x0c, 0x29, 0x0a, 0x0b, 0x0c, 0x08, 0x00, 0x45,
        0x00, 0x00, 0x54, 0x00, 0x00,
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
}
