//! IP prefixes (CIDR blocks) and small sets of them.
//!
//! Policy files name networks everywhere: the site's internal ranges, its
//! recorders and DNS/NTP servers, group selectors and allowed destinations.
//! [`Cidr`] is one IPv4 or IPv6 prefix, [`CidrSet`] a handful of them with a
//! membership test.
//!
//! IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are treated as the IPv4
//! address they carry: dual-stack software and some flow exporters report
//! IPv4 peers that way, and a policy written in IPv4 terms must still apply.
//! Likewise a prefix written inside `::ffff:0:0/96` is stored as the IPv4
//! prefix it denotes.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use thiserror::Error;

/// Why a string is not a CIDR block.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CidrError {
    /// The part before the `/` is not an IP address.
    #[error("`{0}` is not an IP address")]
    Address(String),
    /// The part after the `/` is not a prefix length for the address family.
    #[error("prefix length `{given}` is not a number from 0 to {max}")]
    PrefixLength {
        /// Text after the `/`.
        given: String,
        /// 32 for IPv4, 128 for IPv6.
        max: u8,
    },
    /// Bits beyond the prefix length are set, which is usually a typo.
    #[error("host bits set after the prefix (the network is `{network}`)")]
    HostBits {
        /// The network the text probably meant.
        network: Cidr,
    },
}

/// One IPv4 or IPv6 prefix, such as `10.0.0.0/8` or `fc00::/7`.
///
/// The network address never has bits set past the prefix length: parsing
/// refuses such text rather than silently masking it, since `10.20.0.5/24`
/// is more often a mistake than a shorthand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    len: u8,
}

impl Cidr {
    /// The prefix `network/len`.
    ///
    /// Fails if `len` exceeds the address width or `network` has host bits
    /// set. An IPv4-mapped IPv6 prefix of length 96 or more becomes the
    /// corresponding IPv4 prefix.
    pub fn new(network: IpAddr, len: u8) -> Result<Cidr, CidrError> {
        let (network, len) = match network {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) if len >= 96 => (IpAddr::V4(v4), len - 96),
                _ => (network, len),
            },
            IpAddr::V4(_) => (network, len),
        };
        let max = max_len(network);
        if len > max {
            return Err(CidrError::PrefixLength {
                given: len.to_string(),
                max,
            });
        }
        let masked = mask(network, len);
        if masked != network {
            return Err(CidrError::HostBits {
                network: Cidr {
                    network: masked,
                    len,
                },
            });
        }
        Ok(Cidr { network, len })
    }

    /// The single-address prefix (`/32` or `/128`) holding `addr`.
    pub fn host(addr: IpAddr) -> Cidr {
        let network = addr.to_canonical();
        Cidr {
            network,
            len: max_len(network),
        }
    }

    /// The network address (host bits all zero).
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length in bits.
    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    /// True when the prefix is a single address.
    pub fn is_host(&self) -> bool {
        self.len == max_len(self.network)
    }

    /// True when `addr` lies inside the prefix.
    ///
    /// An IPv4 prefix contains IPv4-mapped IPv6 addresses of its range; an
    /// IPv6 prefix only contains IPv6 addresses (so `::/0` also covers
    /// mapped ones, which are IPv6 addresses too).
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.network, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => v4_in(net, self.len, a),
            (IpAddr::V4(net), IpAddr::V6(a)) => {
                a.to_ipv4_mapped().is_some_and(|a| v4_in(net, self.len, a))
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                u128::from(a) & v6_mask(self.len) == u128::from(net)
            }
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }

    /// Policy-file spelling: a bare address for single-address prefixes,
    /// `network/len` otherwise. Both parse back to the same value.
    pub fn to_compact_string(&self) -> String {
        if self.is_host() {
            self.network.to_string()
        } else {
            self.to_string()
        }
    }
}

/// Parses `address/len`, or a bare address meaning a single host.
impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Cidr, CidrError> {
        let (addr, len) = match s.split_once('/') {
            Some((addr, len)) => (addr, Some(len)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| CidrError::Address(addr.to_string()))?;
        let Some(len_text) = len else {
            return Ok(Cidr::host(addr));
        };
        let max = max_len(addr);
        // u8::from_str would accept a leading `+`; only plain digits are a
        // prefix length.
        let len = Some(len_text)
            .filter(|t| !t.is_empty() && t.len() <= 3 && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<u8>().ok())
            .filter(|l| *l <= max)
            .ok_or_else(|| CidrError::PrefixLength {
                given: len_text.to_string(),
                max,
            })?;
        Cidr::new(addr, len)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.len)
    }
}

/// A small set of prefixes with a membership test.
///
/// Membership is a linear scan: policy sets hold a few dozen entries at
/// most, where a scan over a contiguous vector beats any tree. The scan
/// runs over the prefixes of the address's family as (network, mask)
/// integers: detection asks several times per observation (internal?
/// recorder? which group?), and matching `IpAddr` variants prefix by prefix
/// was a few percent of the collector's and the workers' time under a
/// flood. Order is kept as written so the set renders back the way it was
/// read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CidrSet {
    items: Vec<Cidr>,
    /// `items`' IPv4 prefixes as (network, mask).
    v4: Vec<(u32, u32)>,
    /// `items`' IPv6 prefixes as (network, mask).
    v6: Vec<(u128, u128)>,
}

impl CidrSet {
    /// An empty set, which contains nothing.
    pub fn new() -> CidrSet {
        CidrSet::default()
    }

    /// Adds a prefix (duplicates are kept; they are harmless).
    pub fn push(&mut self, cidr: Cidr) {
        match cidr.network {
            IpAddr::V4(net) => self.v4.push((u32::from(net), v4_mask(cidr.len))),
            IpAddr::V6(net) => self.v6.push((u128::from(net), v6_mask(cidr.len))),
        }
        self.items.push(cidr);
    }

    /// True when any prefix in the set contains `addr` (as
    /// [`Cidr::contains`] says).
    pub fn contains(&self, addr: IpAddr) -> bool {
        let in_v4 = |a: Ipv4Addr| {
            let a = u32::from(a);
            self.v4.iter().any(|&(net, mask)| a & mask == net)
        };
        match addr {
            IpAddr::V4(a) => in_v4(a),
            IpAddr::V6(a) => {
                let bits = u128::from(a);
                self.v6.iter().any(|&(net, mask)| bits & mask == net)
                    || a.to_ipv4_mapped().is_some_and(in_v4)
            }
        }
    }

    /// The prefixes in the order they were added.
    pub fn iter(&self) -> std::slice::Iter<'_, Cidr> {
        self.items.iter()
    }

    /// Number of prefixes.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the set holds no prefix.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl FromIterator<Cidr> for CidrSet {
    fn from_iter<I: IntoIterator<Item = Cidr>>(iter: I) -> CidrSet {
        let mut set = CidrSet::new();
        for cidr in iter {
            set.push(cidr);
        }
        set
    }
}

impl<'a> IntoIterator for &'a CidrSet {
    type Item = &'a Cidr;
    type IntoIter = std::slice::Iter<'a, Cidr>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

fn max_len(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

fn v4_mask(len: u8) -> u32 {
    // Shifting a u32 by 32 overflows, so /0 is special.
    u32::MAX
        .checked_shl(32 - u32::from(len.min(32)))
        .unwrap_or(0)
}

fn v6_mask(len: u8) -> u128 {
    u128::MAX
        .checked_shl(128 - u32::from(len.min(128)))
        .unwrap_or(0)
}

fn v4_in(net: Ipv4Addr, len: u8, addr: Ipv4Addr) -> bool {
    u32::from(addr) & v4_mask(len) == u32::from(net)
}

fn mask(addr: IpAddr, len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & v4_mask(len))),
        IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & v6_mask(len))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(s: &str) -> Cidr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_and_displays() {
        assert_eq!(c("10.0.0.0/8").to_string(), "10.0.0.0/8");
        assert_eq!(c("fc00::/7").to_string(), "fc00::/7");
        assert_eq!(c("10.20.0.2").to_string(), "10.20.0.2/32");
        assert_eq!(c("10.20.0.2").to_compact_string(), "10.20.0.2");
        assert_eq!(c("10.0.0.0/8").to_compact_string(), "10.0.0.0/8");
        assert_eq!(c("2001:db8::1").prefix_len(), 128);
    }

    #[test]
    fn zero_length_prefix_contains_its_whole_family() {
        let all4 = c("0.0.0.0/0");
        assert!(all4.contains(ip("0.0.0.0")));
        assert!(all4.contains(ip("255.255.255.255")));
        assert!(!all4.contains(ip("::1")));
        let all6 = c("::/0");
        assert!(all6.contains(ip("::")));
        assert!(all6.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
        assert!(!all6.contains(ip("10.0.0.1")));
    }

    #[test]
    fn full_length_prefix_is_one_address() {
        let h4 = c("192.168.1.7/32");
        assert!(h4.is_host());
        assert!(h4.contains(ip("192.168.1.7")));
        assert!(!h4.contains(ip("192.168.1.6")));
        assert!(!h4.contains(ip("192.168.1.8")));
        let h6 = c("2001:db8::7/128");
        assert!(h6.contains(ip("2001:db8::7")));
        assert!(!h6.contains(ip("2001:db8::8")));
    }

    #[test]
    fn boundaries_of_a_block() {
        let n = c("172.16.0.0/12");
        assert!(n.contains(ip("172.16.0.0")));
        assert!(n.contains(ip("172.31.255.255")));
        assert!(!n.contains(ip("172.32.0.0")));
        assert!(!n.contains(ip("172.15.255.255")));
        let u = c("fc00::/7");
        assert!(u.contains(ip("fd12:3456::1")));
        assert!(!u.contains(ip("fe80::1")));
    }

    #[test]
    fn ipv4_mapped_addresses_act_as_ipv4() {
        let n = c("10.0.0.0/8");
        assert!(n.contains(ip("::ffff:10.1.2.3")));
        assert!(!n.contains(ip("::ffff:11.1.2.3")));
        // Written in mapped form, stored and matched as IPv4.
        let m = c("::ffff:10.0.0.0/104");
        assert_eq!(m, n);
        assert!(m.contains(ip("10.9.9.9")));
        assert_eq!(c("::ffff:0:0/96"), c("0.0.0.0/0"));
        assert_eq!(c("::ffff:192.0.2.1"), c("192.0.2.1/32"));
        // A mapped address is still an IPv6 address for IPv6 prefixes.
        assert!(c("::/0").contains(ip("::ffff:10.1.2.3")));
        // Shorter than /96 the mapped marker bits are host bits: refused.
        assert!("::ffff:0:0/95".parse::<Cidr>().is_err());
    }

    #[test]
    fn refusals() {
        let err = |s: &str| s.parse::<Cidr>().err().map(|e| e.to_string());
        assert_eq!(
            err("10.0.0.0/33").as_deref(),
            Some("prefix length `33` is not a number from 0 to 32")
        );
        assert_eq!(
            err("::/129").as_deref(),
            Some("prefix length `129` is not a number from 0 to 128")
        );
        assert_eq!(
            err("10.0.0.0/+8").as_deref(),
            Some("prefix length `+8` is not a number from 0 to 32")
        );
        assert!(err("10.0.0.0/").is_some());
        assert!(err("10.0.0.0/8/9").is_some());
        assert_eq!(
            err("10.0.0.256/8").as_deref(),
            Some("`10.0.0.256` is not an IP address")
        );
        assert_eq!(
            err("10.20.0.5/24").as_deref(),
            Some("host bits set after the prefix (the network is `10.20.0.0/24`)")
        );
        assert!(err("").is_some());
        assert!(err("example.com").is_some());
    }

    #[test]
    fn set_membership() {
        let set: CidrSet = ["10.0.0.0/8", "fc00::/7", "192.0.2.9"]
            .iter()
            .map(|s| c(s))
            .collect();
        assert_eq!(set.len(), 3);
        assert!(set.contains(ip("10.255.0.1")));
        assert!(set.contains(ip("fd00::1")));
        assert!(set.contains(ip("192.0.2.9")));
        assert!(!set.contains(ip("192.0.2.10")));
        assert!(!CidrSet::new().contains(ip("10.0.0.1")));
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = s.parse::<Cidr>();
        }

        #[test]
        fn parsing_cidr_shaped_text_never_panics(s in "[0-9a-f:.]{0,20}/[0-9+-]{0,4}") {
            let _ = s.parse::<Cidr>();
        }

        #[test]
        fn every_v4_prefix_contains_its_own_range(a: u32, len in 0u8..=32) {
            let net = Ipv4Addr::from(a & v4_mask(len));
            let cidr = Cidr::new(IpAddr::V4(net), len).unwrap();
            prop_assert!(cidr.contains(IpAddr::V4(net)));
            let last = Ipv4Addr::from(u32::from(net) | !v4_mask(len));
            prop_assert!(cidr.contains(IpAddr::V4(last)));
            prop_assert_eq!(cidr.to_string().parse::<Cidr>().unwrap(), cidr);
        }

        /// The set's integer scan says what its prefixes say, for both
        /// families and IPv4-mapped addresses, near and far from them.
        #[test]
        fn a_set_contains_what_one_of_its_prefixes_contains(
            prefixes in proptest::collection::vec((any::<u32>(), 0u8..=32, any::<u128>(), 0u8..=128, any::<bool>()), 0..6),
            probes in proptest::collection::vec((any::<u32>(), any::<u128>(), 0u8..4), 1..40),
        ) {
            let set: CidrSet = prefixes
                .iter()
                .map(|&(a4, l4, a6, l6, v6)| {
                    if v6 {
                        let net = a6 & v6_mask(l6);
                        Cidr::new(IpAddr::V6(Ipv6Addr::from(net)), l6).unwrap()
                    } else {
                        Cidr::new(IpAddr::V4(Ipv4Addr::from(a4 & v4_mask(l4))), l4).unwrap()
                    }
                })
                .collect();
            // Probes: random ones, and ones inside each prefix, plain or
            // written as IPv4-mapped IPv6.
            let mut addrs = Vec::new();
            for &(a4, a6, kind) in &probes {
                addrs.push(IpAddr::V4(Ipv4Addr::from(a4)));
                addrs.push(IpAddr::V6(Ipv6Addr::from(a6)));
                for cidr in &set {
                    let inside = match cidr.network() {
                        IpAddr::V4(n) => IpAddr::V4(Ipv4Addr::from(
                            u32::from(n) | (a4 & !v4_mask(cidr.prefix_len())),
                        )),
                        IpAddr::V6(n) => IpAddr::V6(Ipv6Addr::from(
                            u128::from(n) | (a6 & !v6_mask(cidr.prefix_len())),
                        )),
                    };
                    addrs.push(inside);
                    if let (IpAddr::V4(v4), 0) = (inside, kind) {
                        addrs.push(IpAddr::V6(v4.to_ipv6_mapped()));
                    }
                }
            }
            for addr in addrs {
                let want = set.iter().any(|c| c.contains(addr));
                prop_assert_eq!(set.contains(addr), want, "{}", addr);
            }
        }
    }
}
