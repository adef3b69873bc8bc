//! GRE (RFC 2784, RFC 2890) and the ERSPAN types I, II and III a switch's
//! remote mirror session carries in it.

use super::*;

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
