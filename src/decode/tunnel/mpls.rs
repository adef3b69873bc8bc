//! MPLS label stacks (RFC 3032) and the pseudowire payload under them.

use super::*;

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
