//! The validated runtime policy and the lookups detectors make against it.
//!
//! A [`Policy`] is built from a policy file by [`Policy::load`] or
//! [`Policy::from_str`]; the file's shape and each key's default are
//! documented on the types in [`raw`](super::raw). Everything in a `Policy`
//! has been checked, so detectors never meet a malformed network, name or
//! budget, and [`Policy::default`] is what an empty file gives. Building is
//! in `build.rs`, printing the effective policy back as TOML
//! ([`Policy::render`]) in `render.rs`.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use super::budget::{ByteBudget, CountWindow};
use super::cidr::{Cidr, CidrSet};
use super::date::Date;
use super::domain::DomainPattern;
use super::error::PolicyError;
use super::mac::format_mac;
use crate::alert::Alert;
use crate::net::IpProto;

/// Default `[site] internal`: RFC 1918, IPv4 link-local, IPv6 unique-local
/// and link-local. Link-local is included because cameras use it for
/// discovery and fallback addressing, which is never egress.
pub const DEFAULT_INTERNAL: [&str; 6] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
];

/// The site policy: address plan, camera groups, suppression entries and
/// detector settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub(super) site: Site,
    pub(super) groups: Vec<Group>,
    pub(super) suppress: Vec<Suppression>,
    pub(super) detect: DetectSettings,
    pub(super) learn: LearnSettings,
}

impl Policy {
    /// Reads and validates the policy file at `path`. Errors name the path
    /// as given, with line and column when the content is at fault.
    pub fn load(path: impl AsRef<Path>) -> Result<Policy, PolicyError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            origin: origin.clone(),
            source,
        })?;
        Policy::from_str(&text, &origin)
    }

    /// Validates policy `text`; `origin` names it in error messages
    /// (usually the file name). The first problem found is reported.
    pub fn from_str(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        super::build::build(text, origin)
    }

    /// The site's address plan.
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// The groups in file order.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The group called `name`, compared ASCII case-insensitively as group
    /// names are unique that way.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups
            .iter()
            .find(|g| g.name.eq_ignore_ascii_case(name))
    }

    /// The `[[suppress]]` entries in file order.
    pub fn suppressions(&self) -> &[Suppression] {
        &self.suppress
    }

    /// The first `[[suppress]]` entry, in file order, that silences
    /// `alert` (about a camera of group `group`), with its index.
    pub fn suppression_for(&self, alert: &Alert, group: Option<&str>) -> Option<usize> {
        self.suppress.iter().position(|s| s.matches(alert, group))
    }

    /// Detector settings.
    pub fn detect(&self) -> &DetectSettings {
        &self.detect
    }

    /// Learning-period settings.
    pub fn learn(&self) -> &LearnSettings {
        &self.learn
    }

    /// True when `ip` is inside the site (`[site] internal`).
    ///
    /// Multicast and broadcast destinations are not covered unless listed:
    /// they never leave the site by routing, and detectors are expected to
    /// classify them by address class rather than by this list.
    pub fn is_internal(&self, ip: IpAddr) -> bool {
        self.site.internal.contains(ip)
    }

    /// True when `ip` is one of the site's recorders.
    pub fn is_recorder(&self, ip: IpAddr) -> bool {
        self.site.recorders.contains(ip)
    }

    /// True when `ip` is one of the site's DNS resolvers.
    pub fn is_dns_server(&self, ip: IpAddr) -> bool {
        self.site.dns.contains(ip)
    }

    /// True when `ip` is one of the site's NTP servers.
    pub fn is_ntp_server(&self, ip: IpAddr) -> bool {
        self.site.ntp.contains(ip)
    }

    /// The group of the host with address `ip`, MAC address `mac` (when the
    /// sensor sees the host's own link layer) and vendor `vendor` (a name
    /// from the MAC-prefix table, when known).
    ///
    /// Groups are tried in file order and the first match wins, so put
    /// narrow groups before broad ones. See [`Selector::matches`] for what
    /// matching means.
    pub fn group_for(
        &self,
        ip: IpAddr,
        mac: Option<[u8; 6]>,
        vendor: Option<&str>,
    ) -> Option<&Group> {
        self.groups
            .iter()
            .find(|g| g.selector.matches(ip, mac, vendor))
    }
}

impl Default for Policy {
    /// The zero-configuration policy: default address plan and detector
    /// settings, no groups. Equal to loading an empty file.
    fn default() -> Policy {
        Policy {
            site: Site::default(),
            groups: Vec::new(),
            suppress: Vec::new(),
            detect: DetectSettings::default(),
            learn: LearnSettings::default(),
        }
    }
}

/// The site's own networks and service hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub(super) internal: CidrSet,
    pub(super) recorders: CidrSet,
    pub(super) dns: CidrSet,
    pub(super) ntp: CidrSet,
}

impl Site {
    /// Networks inside the site.
    pub fn internal(&self) -> &CidrSet {
        &self.internal
    }

    /// Recorders (NVR/VMS servers).
    pub fn recorders(&self) -> &CidrSet {
        &self.recorders
    }

    /// DNS resolvers.
    pub fn dns(&self) -> &CidrSet {
        &self.dns
    }

    /// NTP servers.
    pub fn ntp(&self) -> &CidrSet {
        &self.ntp
    }
}

impl Default for Site {
    fn default() -> Site {
        Site {
            // The constants are valid prefixes (a test checks all of them
            // survive), so nothing is dropped here in practice.
            internal: DEFAULT_INTERNAL
                .iter()
                .filter_map(|s| s.parse::<Cidr>().ok())
                .collect(),
            recorders: CidrSet::new(),
            dns: CidrSet::new(),
            ntp: CidrSet::new(),
        }
    }
}

/// A named set of cameras with the destinations they may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub(super) name: String,
    pub(super) selector: Selector,
    pub(super) allow: Vec<AllowRule>,
    pub(super) disable: Vec<RulePattern>,
    pub(super) severity: Vec<(RulePattern, u8)>,
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
    pub(super) cidrs: CidrSet,
    pub(super) addresses: Vec<IpAddr>,
    pub(super) macs: Vec<[u8; 6]>,
    pub(super) vendors: Vec<&'static str>,
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
    pub(super) target: Target,
    pub(super) ports: Vec<PortRange>,
    pub(super) transport: Option<Transport>,
    pub(super) role: Role,
    pub(super) budget: Option<ByteBudget>,
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

/// Where an allow rule lets traffic go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A network or single address.
    Network(Cidr),
    /// A DNS name or `*.` wildcard.
    Name(DomainPattern),
}

/// A rule id (`CAMSENTRY-EGRESS-1`) or a prefix of rule ids ending in `*`
/// (`CAMSENTRY-SCAN-*`; `*` alone covers every rule). Validation checks
/// that it covers at least one rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RulePattern {
    /// The id, or the prefix without its `*`.
    pub(super) fixed: String,
    pub(super) prefix: bool,
}

impl RulePattern {
    /// True for `...*` patterns.
    pub fn is_prefix(&self) -> bool {
        self.prefix
    }

    /// The id, or for a prefix the part before `*`.
    pub fn fixed(&self) -> &str {
        &self.fixed
    }

    /// True when rule `id` is covered (exactly, or by the prefix).
    pub fn matches(&self, id: &str) -> bool {
        if self.prefix {
            id.starts_with(&self.fixed)
        } else {
            id == self.fixed
        }
    }
}

impl std::fmt::Display for RulePattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.fixed, if self.prefix { "*" } else { "" })
    }
}

/// Which cameras a suppression entry covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraRef {
    /// Cameras whose address lies in the network (a single address is a
    /// host network).
    Network(Cidr),
    /// The camera with this MAC address.
    Mac([u8; 6]),
    /// The cameras of the group of this name (spelled as the group is).
    Group(String),
}

impl CameraRef {
    /// True when the camera at `ip`, with MAC `mac` when seen, in group
    /// `group` (ASCII case-insensitive), is covered.
    pub fn matches(&self, ip: IpAddr, mac: Option<[u8; 6]>, group: Option<&str>) -> bool {
        match self {
            CameraRef::Network(cidr) => cidr.contains(ip),
            CameraRef::Mac(m) => mac == Some(*m),
            CameraRef::Group(name) => group.is_some_and(|g| g.eq_ignore_ascii_case(name)),
        }
    }
}

impl std::fmt::Display for CameraRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CameraRef::Network(cidr) => f.write_str(&cidr.to_compact_string()),
            CameraRef::Mac(mac) => f.write_str(&format_mac(*mac)),
            CameraRef::Group(name) => f.write_str(name),
        }
    }
}

/// One `[[suppress]]` entry: detector matches it covers are dropped before
/// they reach the incident layer (no line, no incident), and counted.
///
/// An entry covers a match when every part it gives covers it; at least one
/// of `rule`, `camera` and `destination` is given (validation refuses an
/// entry that would silence everything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub(super) rule: Option<RulePattern>,
    pub(super) camera: Option<CameraRef>,
    pub(super) destination: Option<Target>,
    pub(super) reason: Option<String>,
    pub(super) expires: Option<Date>,
}

impl Suppression {
    /// The rule id or prefix, when limited to some rules.
    pub fn rule(&self) -> Option<&RulePattern> {
        self.rule.as_ref()
    }

    /// The cameras, when limited to some.
    pub fn camera(&self) -> Option<&CameraRef> {
        self.camera.as_ref()
    }

    /// The destination, when limited to one: a network matched against
    /// the alert's destination address, or a DNS name pattern matched
    /// against the name the camera used (`destination.domain`).
    pub fn destination(&self) -> Option<&Target> {
        self.destination.as_ref()
    }

    /// Why the entry exists, as written.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// The last day (UTC, in packet time) the entry applies.
    pub fn expires(&self) -> Option<Date> {
        self.expires
    }

    /// True when the entry covers `alert`, a match about a camera of group
    /// `group`, at the alert's packet time: past its `expires` date an
    /// entry covers nothing.
    pub fn matches(&self, alert: &Alert, group: Option<&str>) -> bool {
        self.expires.is_none_or(|d| !d.is_past(alert.ts))
            && self.rule.as_ref().is_none_or(|r| r.matches(alert.rule.id))
            && self
                .camera
                .as_ref()
                .is_none_or(|c| c.matches(alert.source_ip, alert.source_mac, group))
            && self.destination.as_ref().is_none_or(|t| match t {
                Target::Network(cidr) => alert.destination_ip.is_some_and(|ip| cidr.contains(ip)),
                Target::Name(pattern) => alert
                    .destination_domain
                    .as_deref()
                    .is_some_and(|name| pattern.matches(name)),
            })
    }

    /// A short description of what the entry covers, for the run summary:
    /// `rule CAMSENTRY-EGRESS-1, camera 10.20.0.12, destination
    /// *.example.com`.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(rule) = &self.rule {
            parts.push(format!("rule {rule}"));
        }
        if let Some(camera) = &self.camera {
            parts.push(format!("camera {camera}"));
        }
        if let Some(destination) = &self.destination {
            parts.push(format!("destination {destination}"));
        }
        parts.join(", ")
    }
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
    pub(super) start: u16,
    pub(super) end: u16,
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

/// Settings of all detectors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetectSettings {
    /// Unknown-egress detector.
    pub egress: EgressSettings,
    /// Scan detector.
    pub scan: ScanSettings,
    /// Exfiltration (upload volume) detector.
    pub exfil: ExfilSettings,
    /// The incident layer that turns matches into lines.
    pub incident: IncidentSettings,
}

/// `[detect.incident]`, validated: `update_interval` longer than zero,
/// `close_after` at least `update_interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentSettings {
    /// Least packet time between two lines of one incident.
    pub update_interval: Duration,
    /// Packet time without a match after which an incident closes.
    pub close_after: Duration,
    /// Lines per camera per hour of packet time; 0 for no cap.
    pub max_alerts_per_hour: u32,
}

impl Default for IncidentSettings {
    fn default() -> IncidentSettings {
        IncidentSettings {
            update_interval: Duration::from_secs(600),
            close_after: Duration::from_secs(3600),
            max_alerts_per_hour: 30,
        }
    }
}

/// `[detect.egress]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressSettings {
    /// Minimum time between alerts for one camera and destination.
    pub realert: Duration,
}

impl Default for EgressSettings {
    fn default() -> EgressSettings {
        EgressSettings {
            realert: Duration::from_secs(3600),
        }
    }
}

/// Thresholds a list such as `failed_contacts` may hold.
pub const MAX_THRESHOLDS: usize = 4;

/// `[detect.scan]`, validated: `0 < theta1 < theta0 < 1` and
/// `0 < alpha < beta < 1`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanSettings {
    /// Success probability of a benign host's first contacts.
    pub theta0: f64,
    /// Success probability of a scanner's first contacts.
    pub theta1: f64,
    /// Target false-positive rate.
    pub alpha: f64,
    /// Target detection rate.
    pub beta: f64,
    /// Distinct hosts within the short window.
    pub distinct_hosts: CountWindow,
    /// Distinct hosts within the long window.
    pub distinct_hosts_long: CountWindow,
    /// Distinct ports on one host.
    pub distinct_ports: CountWindow,
    /// Distinct ARP targets.
    pub arp_sweep: CountWindow,
    /// Failed first contacts to distinct LAN hosts, one threshold per
    /// window (one to four, windows increasing).
    pub failed_contacts: Vec<CountWindow>,
    /// Distinct Internet addresses whose TCP probes were not answered.
    pub internet_scan: CountWindow,
}

impl ScanSettings {
    /// TRW upper threshold `eta1 = beta / alpha`: a likelihood ratio at or
    /// above it declares the host a scanner.
    pub fn upper_threshold(&self) -> f64 {
        self.beta / self.alpha
    }

    /// TRW lower threshold `eta0 = (1 - beta) / (1 - alpha)`: a likelihood
    /// ratio at or below it declares the host benign.
    pub fn lower_threshold(&self) -> f64 {
        (1.0 - self.beta) / (1.0 - self.alpha)
    }
}

impl Default for ScanSettings {
    fn default() -> ScanSettings {
        ScanSettings {
            theta0: 0.8,
            theta1: 0.2,
            alpha: 0.01,
            beta: 0.99,
            distinct_hosts: count_window(20, 60),
            distinct_hosts_long: count_window(50, 3600),
            distinct_ports: count_window(20, 60),
            arp_sweep: count_window(16, 60),
            failed_contacts: vec![count_window(8, 3600), count_window(20, 86_400)],
            internet_scan: count_window(10, 600),
        }
    }
}

/// `[detect.exfil]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ExfilSettings {
    /// Comparison windows, shortest first, each longer than zero.
    pub windows: Vec<Duration>,
    /// Multiple of the baseline that triggers an alert (greater than 1).
    pub baseline_factor: f64,
    /// Budget given to `other` allow rules without their own.
    pub default_budget: ByteBudget,
    /// Window for slow, steady uploads.
    pub slow_window: Duration,
}

impl Default for ExfilSettings {
    fn default() -> ExfilSettings {
        ExfilSettings {
            windows: vec![
                Duration::from_secs(60),
                Duration::from_secs(3600),
                Duration::from_secs(86_400),
            ],
            baseline_factor: 4.0,
            default_budget: ByteBudget {
                bytes: 10_000_000,
                window: Duration::from_secs(3600),
            },
            slow_window: Duration::from_secs(6 * 3600),
        }
    }
}

/// `[learn]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnSettings {
    /// Length of the learning period; zero means no learning.
    pub duration: Duration,
}

impl Default for LearnSettings {
    fn default() -> LearnSettings {
        LearnSettings {
            duration: Duration::ZERO,
        }
    }
}

/// A count threshold from constants known to be non-zero.
fn count_window(count: u32, secs: u64) -> CountWindow {
    CountWindow {
        count,
        window: Duration::from_secs(secs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn policy(text: &str) -> Policy {
        Policy::from_str(text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
    }

    const SITE: &str = r#"
[site]
recorders = ["10.20.0.2"]
dns = ["10.20.0.1", "fd00::53"]
ntp = ["10.20.0.1"]

[[group]]
name = "lobby-hik"
match = { cidr = ["10.20.0.0/24"], vendor = ["hikvision"] }
  [[group.allow]]
  to = "*.camcloud.example"
  ports = [443, "8000-8010"]
  transport = "tcp"
  role = "cloud"
  budget = "200MB/1h"
  [[group.allow]]
  to = "198.51.100.0/24"

[[group]]
name = "lobby"
match = { cidr = ["10.20.0.0/24"], address = ["10.30.0.9"] }

[[group]]
name = "by-mac"
match = { mac = ["c0:56:e3:00:00:11"] }
  [[group.allow]]
  to = "203.0.113.5"
  transport = "icmp"
"#;

    #[test]
    fn default_internal_ranges_all_parse() {
        assert_eq!(Site::default().internal.len(), DEFAULT_INTERNAL.len());
    }

    #[test]
    fn zero_configuration_policy() {
        let p = Policy::default();
        assert!(p.groups().is_empty());
        for inside in [
            "10.1.2.3",
            "172.31.0.1",
            "192.168.1.1",
            "169.254.9.9",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(p.is_internal(ip(inside)), "{inside}");
        }
        for outside in ["8.8.8.8", "172.32.0.1", "2001:db8::1"] {
            assert!(!p.is_internal(ip(outside)), "{outside}");
        }
        assert!(!p.is_recorder(ip("10.0.0.1")));
        assert_eq!(p.detect().scan.theta0, 0.8);
        assert_eq!(p.learn().duration, Duration::ZERO);
        assert_eq!(policy(""), p);
    }

    #[test]
    fn site_services() {
        let p = policy(SITE);
        assert!(p.is_recorder(ip("10.20.0.2")));
        assert!(!p.is_recorder(ip("10.20.0.3")));
        assert!(p.is_dns_server(ip("10.20.0.1")));
        assert!(p.is_dns_server(ip("fd00::53")));
        assert!(p.is_ntp_server(ip("::ffff:10.20.0.1")));
        assert!(!p.is_ntp_server(ip("10.20.0.2")));
    }

    #[test]
    fn first_matching_group_wins() {
        let p = policy(SITE);
        let name = |ip_: &str, mac: Option<[u8; 6]>, vendor: Option<&str>| {
            p.group_for(ip(ip_), mac, vendor).map(Group::name)
        };
        // Both "lobby-hik" and "lobby" match; the earlier one wins.
        assert_eq!(
            name("10.20.0.7", None, Some("Hikvision")),
            Some("lobby-hik")
        );
        // Vendor unknown or different: "lobby-hik" requires it.
        assert_eq!(name("10.20.0.7", None, None), Some("lobby"));
        assert_eq!(name("10.20.0.7", None, Some("Axis")), Some("lobby"));
        // `address` and `cidr` are alternatives for the same host address.
        assert_eq!(name("10.30.0.9", None, None), Some("lobby"));
        assert_eq!(name("10.30.0.10", None, None), None);
        // A MAC-only group matches wherever the host is.
        let mac = [0xc0, 0x56, 0xe3, 0x00, 0x00, 0x11];
        assert_eq!(name("192.168.5.5", Some(mac), None), Some("by-mac"));
        assert_eq!(name("192.168.5.5", None, None), None);
        assert_eq!(p.group("LOBBY").map(Group::name), Some("lobby"));
    }

    #[test]
    fn allow_rules() {
        let p = policy(SITE);
        let Some(g) = p.group("lobby-hik") else {
            panic!("group missing")
        };
        let cloud = ip("192.0.2.50");
        let rule = g.allows(
            cloud,
            Some("eu.camcloud.example"),
            Some(443),
            Transport::Tcp,
        );
        assert_eq!(rule.map(AllowRule::role), Some(Role::Cloud));
        assert_eq!(
            rule.and_then(AllowRule::budget).map(|b| b.to_string()),
            Some("200MB/1h".to_string())
        );
        assert!(
            g.allows(
                cloud,
                Some("eu.camcloud.example"),
                Some(8010),
                Transport::Tcp
            )
            .is_some()
        );
        // Wrong port, wrong transport, apex name, no name: not allowed.
        assert!(
            g.allows(
                cloud,
                Some("eu.camcloud.example"),
                Some(8011),
                Transport::Tcp
            )
            .is_none()
        );
        assert!(
            g.allows(
                cloud,
                Some("eu.camcloud.example"),
                Some(443),
                Transport::Udp
            )
            .is_none()
        );
        assert!(
            g.allows(cloud, Some("camcloud.example"), Some(443), Transport::Tcp)
                .is_none()
        );
        assert!(g.allows(cloud, None, Some(443), Transport::Tcp).is_none());
        // Second rule: any port and transport, role `other` with the
        // default budget filled in.
        let other = g.allows(ip("198.51.100.7"), None, None, Transport::Icmp);
        assert_eq!(other.map(AllowRule::role), Some(Role::Other));
        assert_eq!(
            other.and_then(AllowRule::budget),
            Some(p.detect().exfil.default_budget)
        );
        // ICMP-only rule.
        let Some(m) = p.group("by-mac") else {
            panic!("group missing")
        };
        assert!(
            m.allows(ip("203.0.113.5"), None, None, Transport::Icmp)
                .is_some()
        );
        assert!(
            m.allows(ip("203.0.113.5"), None, Some(80), Transport::Tcp)
                .is_none()
        );
        // A group without rules allows nothing.
        let Some(l) = p.group("lobby") else {
            panic!("group missing")
        };
        assert!(l.allows(cloud, None, Some(443), Transport::Tcp).is_none());
    }

    /// A detector match at `ts` (seconds after 2026-01-05T00:00:00Z)
    /// about `camera` to `dst` (named `domain`).
    fn matched(
        rule: &'static str,
        camera: &str,
        mac: Option<[u8; 6]>,
        dst: Option<&str>,
        domain: Option<&str>,
        secs: u64,
    ) -> Alert {
        Alert {
            ts: crate::timestamp::Timestamp::from_secs(1_767_571_200 + secs),
            evidence_ts: crate::timestamp::Timestamp::from_secs(1_767_571_200 + secs),
            rule: crate::alert::Rule {
                id: rule,
                signature_id: 1,
                name: "test",
                category: crate::alert::Category::Scan,
                action: "lan-scan",
                severity: 1,
            },
            source_ip: ip(camera),
            source_port: None,
            source_mac: mac,
            destination_ip: dst.map(ip),
            destination_port: None,
            destination_domain: domain.map(str::to_string),
            transport: None,
            community_id: None,
            vlan: None,
            camera: crate::alert::CameraInfo::default(),
            evidence: serde_json::Map::new(),
            incident: None,
        }
    }

    const MAC: [u8; 6] = [0xc0, 0x56, 0xe3, 0x00, 0x00, 0x11];

    const TUNED: &str = r#"
[[group]]
name = "Lobby"
match = { cidr = ["10.20.0.0/24"] }
disable = ["CAMSENTRY-EGRESS-1", "CAMSENTRY-EXFIL-*"]
severity = { "CAMSENTRY-*" = 1, "CAMSENTRY-SCAN-*" = 3, "CAMSENTRY-SCAN-6" = 2 }

[[suppress]]
rule = "CAMSENTRY-SCAN-*"
camera = "10.30.0.0/16"

[[suppress]]
camera = "C0-56-E3-00-00-11"
destination = "*.updates.example"
reason = "firmware mirror"

[[suppress]]
rule = "CAMSENTRY-SCAN-6"
camera = "lobby"
expires = "2026-01-05"

[[suppress]]
destination = "192.0.2.0/24"
"#;

    #[test]
    fn suppression_matching() {
        let p = policy(TUNED);
        let which = |a: &Alert, group: Option<&str>| p.suppression_for(a, group);
        // Rule prefix and camera by CIDR: any SCAN rule, not EGRESS.
        let a = matched("CAMSENTRY-SCAN-4", "10.30.1.2", None, None, None, 0);
        assert_eq!(which(&a, None), Some(0));
        let a = matched("CAMSENTRY-EGRESS-1", "10.30.1.2", None, None, None, 0);
        assert_eq!(which(&a, None), None);
        let a = matched("CAMSENTRY-SCAN-4", "10.31.1.2", None, None, None, 0);
        assert_eq!(which(&a, None), None);
        // Camera by MAC and destination by name pattern: both must hold,
        // for any rule.
        let named = |mac, domain| {
            matched(
                "CAMSENTRY-EGRESS-1",
                "10.99.0.5",
                mac,
                Some("203.0.113.9"),
                domain,
                0,
            )
        };
        assert_eq!(
            which(&named(Some(MAC), Some("eu.updates.example")), None),
            Some(1)
        );
        assert_eq!(
            which(&named(Some(MAC), Some("EU.Updates.Example.")), None),
            Some(1)
        );
        assert_eq!(
            which(&named(Some(MAC), Some("updates.example")), None),
            None
        );
        assert_eq!(which(&named(Some(MAC), None), None), None);
        assert_eq!(which(&named(None, Some("eu.updates.example")), None), None);
        assert_eq!(
            which(
                &named(
                    Some([0xc0, 0x56, 0xe3, 0, 0, 0x12]),
                    Some("eu.updates.example")
                ),
                None
            ),
            None
        );
        // Camera by group (as the alert names it, any case), expiring at
        // the end of 2026-01-05 in packet time.
        let slow = |secs| matched("CAMSENTRY-SCAN-6", "10.20.0.7", None, None, None, secs);
        assert_eq!(which(&slow(0), Some("Lobby")), Some(2));
        assert_eq!(which(&slow(86_399), Some("LOBBY")), Some(2));
        assert_eq!(which(&slow(86_400), Some("Lobby")), None);
        assert_eq!(which(&slow(0), None), None);
        assert_eq!(which(&slow(0), Some("parking")), None);
        // Destination by network: alerts without a destination never match
        // it, scan alerts with one do.
        let a = matched(
            "CAMSENTRY-SCAN-1",
            "10.20.0.7",
            None,
            Some("192.0.2.200"),
            None,
            0,
        );
        assert_eq!(which(&a, Some("Lobby")), Some(3));
        // First entry in file order wins.
        let a = matched(
            "CAMSENTRY-SCAN-1",
            "10.30.0.7",
            None,
            Some("192.0.2.200"),
            None,
            0,
        );
        assert_eq!(which(&a, None), Some(0));
        // The entries as the summary labels them.
        let labels: Vec<String> = p.suppressions().iter().map(Suppression::label).collect();
        assert_eq!(
            labels,
            [
                "rule CAMSENTRY-SCAN-*, camera 10.30.0.0/16",
                "camera c0:56:e3:00:00:11, destination *.updates.example",
                "rule CAMSENTRY-SCAN-6, camera Lobby",
                "destination 192.0.2.0/24",
            ]
        );
        assert_eq!(p.suppressions()[1].reason(), Some("firmware mirror"));
        assert_eq!(
            p.suppressions()[2].expires().map(|d| d.to_string()),
            Some("2026-01-05".to_string())
        );
    }

    #[test]
    fn group_disable_and_severity() {
        let p = policy(TUNED);
        let Some(g) = p.group("lobby") else {
            panic!("group missing")
        };
        assert_eq!(
            g.disables("CAMSENTRY-EGRESS-1").map(ToString::to_string),
            Some("CAMSENTRY-EGRESS-1".to_string())
        );
        assert_eq!(
            g.disables("CAMSENTRY-EXFIL-3").map(ToString::to_string),
            Some("CAMSENTRY-EXFIL-*".to_string())
        );
        assert!(g.disables("CAMSENTRY-SCAN-1").is_none());
        // Exact id over prefix, longer prefix over shorter.
        assert_eq!(g.severity_for("CAMSENTRY-SCAN-6"), Some(2));
        assert_eq!(g.severity_for("CAMSENTRY-SCAN-1"), Some(3));
        assert_eq!(g.severity_for("CAMSENTRY-EGRESS-1"), Some(1));
        let none = policy(SITE);
        assert_eq!(none.groups()[0].severity_for("CAMSENTRY-SCAN-1"), None);
        // `*` alone covers every rule.
        let all = policy(
            "[[group]]\nname = \"lab\"\nmatch = { cidr = [\"10.9.0.0/16\"] }\ndisable = [\"*\"]\n",
        );
        let lab = all
            .group("lab")
            .map(|g| g.disables("CAMSENTRY-SCAN-7").is_some());
        assert_eq!(lab, Some(true));
    }

    #[test]
    fn trw_thresholds() {
        let s = ScanSettings::default();
        assert!((s.upper_threshold() - 99.0).abs() < 1e-9);
        assert!((s.lower_threshold() - 0.01 / 0.99).abs() < 1e-12);
    }

    #[test]
    fn transports_from_protocol_numbers() {
        assert_eq!(Transport::from_ip_proto(6), Transport::Tcp);
        assert_eq!(Transport::from_ip_proto(17), Transport::Udp);
        assert_eq!(Transport::from_ip_proto(1), Transport::Icmp);
        assert_eq!(Transport::from_ip_proto(58), Transport::Icmp);
        assert_eq!(Transport::from_ip_proto(47), Transport::Other);
    }

    #[test]
    fn port_ranges() {
        assert_eq!(PortRange::new(0, 10), None);
        assert_eq!(PortRange::new(20, 10), None);
        let r = PortRange::new(10, 20);
        assert!(r.is_some_and(|r| r.contains(10) && r.contains(20) && !r.contains(21)));
    }
}
