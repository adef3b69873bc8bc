//! Camera groups: which cameras a group holds ([`Selector`]), what they
//! may reach ([`AllowRule`], [`Target`], [`PortRange`], [`Transport`]) and
//! the hosts' roles.

use super::*;
use crate::net::IpProto;

/// A named set of cameras with the destinations they may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub(in crate::config) name: String,
    pub(in crate::config) selector: Selector,
    pub(in crate::config) allow: Vec<AllowRule>,
    pub(in crate::config) inbound: Vec<InboundRule>,
    pub(in crate::config) disable: Vec<RulePattern>,
    pub(in crate::config) severity: Vec<(RulePattern, u8)>,
}

impl Group {
    /// The group's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Which hosts belong to the group.
    pub fn selector(&self) -> &Selector {
        &self.selector
    }

    /// The allow rules in file order.
    pub fn rules(&self) -> &[AllowRule] {
        &self.allow
    }

    /// The `[[group.inbound]]` rules in file order.
    pub fn inbound(&self) -> &[InboundRule] {
        &self.inbound
    }

    /// Whether an inbound flow from external `peer` to a member's `port`
    /// is allowed by one of the group's inbound rules.
    pub fn allows_inbound(&self, peer: IpAddr, port: u16) -> bool {
        self.inbound.iter().any(|r| r.matches(peer, port))
    }

    /// Rules (ids or prefixes) turned off for the group's cameras.
    pub fn disabled(&self) -> &[RulePattern] {
        &self.disable
    }

    /// The first `disable` entry covering rule `id`, if any: matches of a
    /// disabled rule are dropped for the group's cameras.
    pub fn disables(&self, id: &str) -> Option<&RulePattern> {
        self.disable.iter().find(|p| p.matches(id))
    }

    /// Severity overrides, in rule-pattern order.
    pub fn severities(&self) -> &[(RulePattern, u8)] {
        &self.severity
    }

    /// The severity the group gives rule `id`, when it overrides it: an
    /// exact id wins over a prefix, a longer prefix over a shorter one.
    pub fn severity_for(&self, id: &str) -> Option<u8> {
        self.severity
            .iter()
            .filter(|(p, _)| p.matches(id))
            .max_by_key(|(p, _)| (!p.is_prefix(), p.fixed().len()))
            .map(|(_, severity)| *severity)
    }

    /// The first rule, in file order, allowing a flow to `dst_ip` on
    /// `port` over `transport`, or `None` when the flow is not allowed.
    ///
    /// `dst_name` is the DNS name the destination address was resolved
    /// from, when known; rules written as names only match through it, and
    /// rules written as addresses never look at it. `port` is the
    /// destination port, `None` for protocols without ports. The returned
    /// rule tells the caller the destination's role and upload budget.
    pub fn allows(
        &self,
        dst_ip: IpAddr,
        dst_name: Option<&str>,
        port: Option<u16>,
        transport: Transport,
    ) -> Option<&AllowRule> {
        self.allow
            .iter()
            .find(|r| r.matches(dst_ip, dst_name, port, transport))
    }
}

/// The `match` part of a group.
///
/// A host matches when it satisfies every selector kind that is non-empty,
/// and within a kind any one entry: `cidr = ["10.20.0.0/24"], vendor =
/// ["Axis"]` means "Axis devices in 10.20.0.0/24". `cidr` and `address` are
/// one kind, the host's IP address. Validation guarantees at least one
/// selector is non-empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub(in crate::config) cidrs: CidrSet,
    pub(in crate::config) addresses: Vec<IpAddr>,
    pub(in crate::config) macs: Vec<[u8; 6]>,
    pub(in crate::config) vendors: Vec<&'static str>,
}

impl Selector {
    /// Networks the host's address may lie in.
    pub fn cidrs(&self) -> &CidrSet {
        &self.cidrs
    }

    /// Exact addresses the host may have (IPv4-mapped ones stored as IPv4).
    pub fn addresses(&self) -> &[IpAddr] {
        &self.addresses
    }

    /// MAC addresses the host may have.
    pub fn macs(&self) -> &[[u8; 6]] {
        &self.macs
    }

    /// Vendor names (canonical spelling from the MAC-prefix table).
    pub fn vendors(&self) -> &[&'static str] {
        &self.vendors
    }

    /// True when the host matches; see the type's documentation. An unknown
    /// `mac` or `vendor` (`None`) fails a selector that requires one.
    pub fn matches(&self, ip: IpAddr, mac: Option<[u8; 6]>, vendor: Option<&str>) -> bool {
        let ip_ok = (self.cidrs.is_empty() && self.addresses.is_empty())
            || self.cidrs.contains(ip)
            || self.addresses.contains(&ip.to_canonical());
        let mac_ok = self.macs.is_empty() || mac.is_some_and(|m| self.macs.contains(&m));
        let vendor_ok = self.vendors.is_empty()
            || vendor.is_some_and(|v| self.vendors.iter().any(|n| n.eq_ignore_ascii_case(v)));
        ip_ok && mac_ok && vendor_ok
    }

    /// True when no selector kind is given.
    pub fn is_empty(&self) -> bool {
        self.cidrs.is_empty()
            && self.addresses.is_empty()
            && self.macs.is_empty()
            && self.vendors.is_empty()
    }
}

/// One allowed destination of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowRule {
    pub(in crate::config) target: Target,
    pub(in crate::config) ports: Vec<PortRange>,
    pub(in crate::config) transport: Option<Transport>,
    pub(in crate::config) role: Role,
    pub(in crate::config) budget: Option<ByteBudget>,
}

impl AllowRule {
    /// The destination.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Allowed destination ports; empty means any port.
    pub fn ports(&self) -> &[PortRange] {
        &self.ports
    }

    /// The transport the rule is limited to; `None` means any.
    pub fn transport(&self) -> Option<Transport> {
        self.transport
    }

    /// What the destination is for.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Upload budget for matching traffic, already resolved: the rule's
    /// own, or the `[detect.exfil]` default for role `other`, or `None`
    /// (no fixed budget; baseline checks still apply).
    pub fn budget(&self) -> Option<ByteBudget> {
        self.budget
    }

    /// True when a flow with these properties is allowed by this rule.
    pub fn matches(
        &self,
        dst_ip: IpAddr,
        dst_name: Option<&str>,
        port: Option<u16>,
        transport: Transport,
    ) -> bool {
        self.transport.is_none_or(|t| t == transport)
            && (self.ports.is_empty()
                || port.is_some_and(|p| self.ports.iter().any(|r| r.contains(p))))
            && match &self.target {
                Target::Network(cidr) => cidr.contains(dst_ip),
                Target::Name(pattern) => dst_name.is_some_and(|n| pattern.matches(n)),
            }
    }
}

/// External sources that may reach a group's members: `from` networks,
/// optionally only on some of the members' ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundRule {
    pub(in crate::config) from: CidrSet,
    pub(in crate::config) ports: Vec<PortRange>,
}

impl InboundRule {
    /// Source networks.
    pub fn from(&self) -> &CidrSet {
        &self.from
    }

    /// The members' ports; empty means any port.
    pub fn ports(&self) -> &[PortRange] {
        &self.ports
    }

    /// True when a flow from `peer` to a member's `port` is allowed.
    pub fn matches(&self, peer: IpAddr, port: u16) -> bool {
        self.from.contains(peer)
            && (self.ports.is_empty() || self.ports.iter().any(|r| r.contains(port)))
    }
}

/// Where an allow rule lets traffic go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A network or single address.
    Network(Cidr),
    /// A DNS name or `*.` wildcard.
    Name(DomainPattern),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Network(cidr) => f.write_str(&cidr.to_compact_string()),
            Target::Name(pattern) => write!(f, "{pattern}"),
        }
    }
}

/// An inclusive range of ports; a single port has `start == end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortRange {
    pub(in crate::config) start: u16,
    pub(in crate::config) end: u16,
}

impl PortRange {
    /// `start..=end`, or `None` when `start` is 0 (not a usable port) or
    /// above `end`.
    pub fn new(start: u16, end: u16) -> Option<PortRange> {
        (start != 0 && start <= end).then_some(PortRange { start, end })
    }

    /// First port.
    pub fn start(&self) -> u16 {
        self.start
    }

    /// Last port (inclusive).
    pub fn end(&self) -> u16 {
        self.end
    }

    /// True when `port` is in the range.
    pub fn contains(&self, port: u16) -> bool {
        (self.start..=self.end).contains(&port)
    }
}

/// The transport protocol of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP or ICMPv6.
    Icmp,
    /// Anything else (GRE, ESP, ...); only rules for any transport allow it.
    Other,
}

impl Transport {
    /// The transport of IP protocol number `proto` (as in a flow key).
    pub fn from_ip_proto(proto: u8) -> Transport {
        match IpProto(proto) {
            IpProto::TCP => Transport::Tcp,
            IpProto::UDP => Transport::Udp,
            IpProto::ICMP | IpProto::ICMPV6 => Transport::Icmp,
            _ => Transport::Other,
        }
    }

    /// Policy-file spelling (`"tcp"`, `"udp"`, `"icmp"`, `"other"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
            Transport::Icmp => "icmp",
            Transport::Other => "other",
        }
    }
}

/// What an allowed destination is for; detectors and alerts use it to
/// tell expected traffic (a recorder) from traffic worth watching (a
/// cloud upload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A recorder (NVR/VMS) the cameras stream to.
    Recorder,
    /// A DNS resolver.
    Dns,
    /// An NTP server.
    Ntp,
    /// A vendor or monitoring cloud service.
    Cloud,
    /// Anything else.
    Other,
}

impl Role {
    /// Every role, in the order the documentation lists them.
    pub const ALL: [Role; 5] = [
        Role::Recorder,
        Role::Dns,
        Role::Ntp,
        Role::Cloud,
        Role::Other,
    ];

    /// Policy-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Recorder => "recorder",
            Role::Dns => "dns",
            Role::Ntp => "ntp",
            Role::Cloud => "cloud",
            Role::Other => "other",
        }
    }
}
