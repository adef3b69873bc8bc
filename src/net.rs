//! Protocol numbers and header bits every layer shares: the one home of
//! "6 is TCP".
//!
//! Bottom floor: imports nothing from the crate. Decoding, flow tracking,
//! the payload hints, policy and the alert encoders all name IP protocols
//! through [`IpProto`] and TCP flags through [`tcp_flags`], so a protocol's
//! number and its properties (does it carry ports, what ECS calls it) are
//! written down once.
//!
//! Flow keys and packet views still store the number as a plain `u8` (their
//! layout is measured, see `flow::table`); `IpProto` compares with a `u8`
//! directly (`key.proto == IpProto::TCP`), and `IpProto(byte)` wraps one for
//! a `match` on the named constants. It is a `repr(transparent)` `Copy`
//! newtype, so all of this compiles to the same byte compares as the
//! literals it replaces.

/// An IP protocol number (the IPv4 `protocol` field, the IPv6 final
/// `next header`), as IANA assigns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(transparent)]
pub struct IpProto(pub u8);

impl IpProto {
    pub const ICMP: IpProto = IpProto(1);
    pub const IGMP: IpProto = IpProto(2);
    pub const TCP: IpProto = IpProto(6);
    pub const UDP: IpProto = IpProto(17);
    pub const GRE: IpProto = IpProto(47);
    pub const ESP: IpProto = IpProto(50);
    pub const ICMPV6: IpProto = IpProto(58);
    pub const SCTP: IpProto = IpProto(132);
    pub const UDP_LITE: IpProto = IpProto(136);

    /// Whether the transport header starts with a source and a destination
    /// port (TCP, UDP, SCTP): the transports a service listens on, that
    /// port rules and scan counts apply to. ICMP's Community ID pseudo-ports
    /// do not count.
    #[inline]
    pub const fn has_ports(self) -> bool {
        matches!(self, IpProto::TCP | IpProto::UDP | IpProto::SCTP)
    }

    /// ICMP for IPv4 or IPv6.
    #[inline]
    pub const fn is_icmp(self) -> bool {
        matches!(self, IpProto::ICMP | IpProto::ICMPV6)
    }

    /// The transport's name as ECS `network.transport` spells it (`"other"`
    /// for numbers without one here).
    pub const fn transport_name(self) -> &'static str {
        match self {
            IpProto::ICMP => "icmp",
            IpProto::TCP => "tcp",
            IpProto::UDP => "udp",
            IpProto::ICMPV6 => "ipv6-icmp",
            IpProto::SCTP => "sctp",
            IpProto::GRE => "gre",
            IpProto::ESP => "esp",
            IpProto::IGMP => "igmp",
            _ => "other",
        }
    }
}

impl From<u8> for IpProto {
    #[inline]
    fn from(number: u8) -> IpProto {
        IpProto(number)
    }
}

impl From<IpProto> for u8 {
    #[inline]
    fn from(proto: IpProto) -> u8 {
        proto.0
    }
}

impl PartialEq<u8> for IpProto {
    #[inline]
    fn eq(&self, other: &u8) -> bool {
        self.0 == *other
    }
}

impl PartialEq<IpProto> for u8 {
    #[inline]
    fn eq(&self, other: &IpProto) -> bool {
        *self == other.0
    }
}

/// TCP flag bits as they appear in the header's 13th byte.
pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_names() {
        assert!(IpProto::TCP.has_ports() && IpProto::UDP.has_ports() && IpProto::SCTP.has_ports());
        assert!(!IpProto::ICMP.has_ports() && !IpProto(47).has_ports());
        assert!(IpProto(58).is_icmp());
        assert_eq!(IpProto(58).transport_name(), "ipv6-icmp");
        assert_eq!(IpProto(99).transport_name(), "other");
        assert!(6u8 == IpProto::TCP && IpProto::UDP == 17u8);
        assert_eq!(size_of::<IpProto>(), 1);
    }
}
