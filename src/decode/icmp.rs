//! ICMP messages as flow tracking sees them: request/reply pairing and the
//! pseudo-ports a message is keyed on.
//!
//! ICMP has no ports, yet an echo request and its reply belong to one
//! conversation. Community ID v1 (corelight/community-id-spec) solves this
//! by hashing the message type and its counterpart's type as the two
//! "ports"; the decoder keys flows the same way, so that a flow key and the
//! Community ID the flow record carries agree. `flow::community_id` uses
//! these pseudo-ports from here.

/// The ICMP type that answers `kind`, for the request/reply pairs the spec
/// lists.
fn icmp_counterpart(kind: u8, ipv6: bool) -> Option<u8> {
    if ipv6 {
        match kind {
            128 => Some(129),
            129 => Some(128),
            130 => Some(131),
            131 => Some(130),
            133 => Some(134),
            134 => Some(133),
            135 => Some(136),
            136 => Some(135),
            139 => Some(140),
            140 => Some(139),
            144 => Some(145),
            145 => Some(144),
            _ => None,
        }
    } else {
        match kind {
            8 => Some(0),
            0 => Some(8),
            13 => Some(14),
            14 => Some(13),
            15 => Some(16),
            16 => Some(15),
            10 => Some(9),
            9 => Some(10),
            17 => Some(18),
            18 => Some(17),
            _ => None,
        }
    }
}

/// Maps an ICMP type and code to the (source port, destination port,
/// one-way) triple the spec hashes: request/reply pairs get the pair's types
/// so both directions order the same way; other messages keep (type, code)
/// and are never reordered.
pub fn icmp_ports(kind: u8, code: u8, ipv6: bool) -> (u16, u16, bool) {
    match icmp_counterpart(kind, ipv6) {
        Some(other) => (u16::from(kind), u16::from(other), false),
        None => (u16::from(kind), u16::from(code), true),
    }
}

/// Whether an ICMP message of type `kind` is an error that quotes the
/// header of the packet it reports on (ICMPv6: every type below 128;
/// ICMPv4: unreachable, source quench, redirect, time exceeded, parameter
/// problem).
pub fn is_error(kind: u8, ipv6: bool) -> bool {
    if ipv6 {
        kind < 128
    } else {
        matches!(kind, 3 | 4 | 5 | 11 | 12)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icmp_mapping() {
        assert_eq!(icmp_ports(8, 0, false), (8, 0, false));
        assert_eq!(icmp_ports(0, 0, false), (0, 8, false));
        assert_eq!(icmp_ports(3, 3, false), (3, 3, true));
        assert_eq!(icmp_ports(135, 0, true), (135, 136, false));
        assert_eq!(icmp_ports(1, 4, true), (1, 4, true));
    }
}
