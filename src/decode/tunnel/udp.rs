//! The UDP encapsulations of cloud and overlay mirrors: VXLAN and Geneve.

use super::*;

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
