//! PPPoE sessions (RFC 2516) and the PPP protocol field.

use super::*;

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
