//! The policy file exactly as written: serde structures mirroring the TOML.
//!
//! These types only describe the file's shape. Every table refuses unknown
//! keys, so a misspelt setting is an error instead of a silently ignored
//! line. Values that need checking beyond their TOML type (networks, names,
//! budgets, durations) are kept as text wrapped in [`Spanned`], which
//! records where they sit in the file; the checks and the defaults are
//! applied when [`Policy`](super::policy::Policy) is built from these types,
//! so an error can point at the offending value's own line and column.
//!
//! Each field's documentation states the default used when it is absent.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A list of strings, each remembering its position in the file.
pub type SpannedList = Vec<Spanned<String>>;

/// The whole policy file. Every table is optional: an empty file is the
/// zero-configuration policy.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// `[site]`: the site's own address plan. Default: every key of
    /// [`SiteSection`] at its default.
    #[serde(default)]
    pub site: SiteSection,
    /// `[[group]]`: camera groups and what they may reach, in file order.
    /// A host belongs to the first group that matches it. Default: no
    /// groups, so no host has any allow rule.
    #[serde(default, rename = "group")]
    pub groups: Vec<GroupSection>,
    /// `[[suppress]]`: detector matches to drop, in file order. A match is
    /// counted against the first entry that covers it. Default: none.
    #[serde(default)]
    pub suppress: Vec<Spanned<SuppressSection>>,
    /// `[detect.*]`: detector tuning. Default: every detector at its
    /// defaults.
    #[serde(default)]
    pub detect: DetectSection,
    /// `[learn]`: the learning period. Default: see [`LearnSection`].
    #[serde(default)]
    pub learn: LearnSection,
}

/// `[site]`: which addresses belong to the site and which hosts provide
/// its services. Entries are CIDR blocks or single addresses.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSection {
    /// Networks counted as inside the site; traffic to anything else is
    /// egress. Must not be empty when given. Default: the RFC 1918 ranges
    /// `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`, IPv4 link-local
    /// `169.254.0.0/16`, IPv6 unique-local `fc00::/7` and link-local
    /// `fe80::/10`.
    pub internal: Option<Spanned<SpannedList>>,
    /// Recorders (NVR/VMS servers), which cameras stream to and which
    /// legitimately contact many cameras. Default: `[]`.
    pub recorders: Option<SpannedList>,
    /// The site's DNS resolvers. Default: `[]`.
    pub dns: Option<SpannedList>,
    /// The site's NTP servers. Default: `[]`.
    pub ntp: Option<SpannedList>,
}

/// One `[[group]]`: a set of cameras and the destinations they may reach.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSection {
    /// Unique, non-empty name used in alerts. Required; no default.
    pub name: Spanned<String>,
    /// Which hosts belong to the group. Required, with at least one
    /// non-empty selector; a group without one is refused, since it would
    /// either match nothing or, worse, be read as matching everything.
    #[serde(rename = "match")]
    pub selector: Option<Spanned<MatchSection>>,
    /// `[[group.allow]]`: allowed destinations, tried in file order; the
    /// first rule that matches a flow is the one reported. Default: `[]`
    /// (members may reach nothing outside the site).
    #[serde(default)]
    pub allow: Vec<AllowSection>,
    /// `[[group.inbound]]`: external sources allowed to reach members
    /// (an operator's VPN range, a monitoring service). Inbound flows from
    /// anywhere else that a member answers are exposure alerts. Default:
    /// `[]` (nothing outside the site may reach members).
    #[serde(default)]
    pub inbound: Vec<InboundSection>,
    /// Rules turned off for the group's cameras: rule ids
    /// (`"CAMSENTRY-EGRESS-1"`) or prefixes ending in `*`
    /// (`"CAMSENTRY-SCAN-*"`); each must cover at least one rule. Their
    /// matches are dropped and counted. Default: `[]`.
    pub disable: Option<SpannedList>,
    /// Severity overrides for the group's cameras, rule id or prefix to
    /// severity, 1 (high) to 3 (low): `{ "CAMSENTRY-SCAN-6" = 3 }`. An
    /// exact id wins over a prefix, a longer prefix over a shorter one.
    /// Default: `{}` (every rule at its own severity).
    pub severity: Option<Spanned<BTreeMap<Spanned<String>, Spanned<i64>>>>,
}

/// One `[[suppress]]` entry: which detector matches to drop. A match is
/// covered when every part the entry gives covers it; at least one of
/// `rule`, `camera` and `destination` is required.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressSection {
    /// A rule id, or a prefix ending in `*` (`"CAMSENTRY-SCAN-*"`).
    /// Default: any rule.
    pub rule: Option<Spanned<String>>,
    /// The camera: an address, a CIDR block, a MAC address, or the name of
    /// a `[[group]]`. Default: any camera.
    pub camera: Option<Spanned<String>>,
    /// The destination, written like an allow rule's `to`: a CIDR block or
    /// address (matched against the alert's destination address) or a DNS
    /// name pattern (matched against the name the camera used). Default:
    /// any destination, including none.
    pub destination: Option<Spanned<String>>,
    /// Why the entry exists; shown by `check-policy` and in the run
    /// summary. Default: none.
    pub reason: Option<Spanned<String>>,
    /// Last day the entry applies, `YYYY-MM-DD` (a string or a TOML date),
    /// UTC, compared with packet time: from the next day on it covers
    /// nothing. Default: never expires.
    pub expires: Option<Spanned<toml::Value>>,
}

/// A group's `match` table. A host matches when it satisfies every
/// selector kind that is given; within a kind, any entry will do. `cidr`
/// and `address` together form one kind (the host's IP address).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSection {
    /// Networks (CIDR blocks or single addresses) the host's IP address
    /// may lie in. Default: `[]` (no constraint).
    pub cidr: Option<SpannedList>,
    /// Exact IP addresses the host may have. Default: `[]` (no constraint).
    pub address: Option<SpannedList>,
    /// MAC addresses the host may have (`aa:bb:cc:dd:ee:ff` or with `-`).
    /// Only usable where the sensor sees the camera's own link layer.
    /// Default: `[]` (no constraint).
    pub mac: Option<SpannedList>,
    /// Vendors, by the names of the MAC-prefix table (case-insensitive),
    /// e.g. `"Hikvision"`. Default: `[]` (no constraint).
    pub vendor: Option<SpannedList>,
}

/// One `[[group.allow]]` rule: a destination members may reach.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowSection {
    /// Destination: a CIDR block, a single address, or a DNS name pattern
    /// (`cloud.example.com`, or `*.example.com` for any name below it but
    /// not the name itself). Required; no default.
    pub to: Spanned<String>,
    /// Destination ports: numbers, or `"LOW-HIGH"` strings for inclusive
    /// ranges, e.g. `[443, 8000, "10000-20000"]`. Must not be empty when
    /// given, and must not be given for `transport = "icmp"`. Default: any
    /// port (and flows without ports, such as ICMP, only match rules
    /// without `ports`).
    pub ports: Option<Spanned<Vec<Spanned<toml::Value>>>>,
    /// `"tcp"`, `"udp"`, `"icmp"` (ICMP and ICMPv6) or `"any"`. Default:
    /// `"any"`.
    pub transport: Option<Spanned<String>>,
    /// What the destination is for: `"recorder"`, `"dns"`, `"ntp"`,
    /// `"cloud"` or `"other"`. Default: `"other"`.
    pub role: Option<Spanned<String>>,
    /// Upload budget for traffic matched by this rule, e.g. `"200MB/1h"`.
    /// Default: none, except that role `"other"` gets
    /// `[detect.exfil] default_budget`.
    pub budget: Option<Spanned<String>>,
}

/// One `[[group.inbound]]` rule: external sources members may be reached
/// from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundSection {
    /// Source networks: CIDR blocks or single addresses, e.g.
    /// `["100.64.0.0/10"]`. Required, not empty; no default.
    pub from: Spanned<SpannedList>,
    /// The members' ports they may reach: numbers or `"LOW-HIGH"`
    /// strings. Must not be empty when given. Default: any port.
    pub ports: Option<Spanned<Vec<Spanned<toml::Value>>>>,
}

/// `[detect]`: one table per detector.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectSection {
    /// `[detect.egress]`. Default: see [`EgressSection`].
    #[serde(default)]
    pub egress: EgressSection,
    /// `[detect.scan]`. Default: see [`ScanSection`].
    #[serde(default)]
    pub scan: ScanSection,
    /// `[detect.exfil]`. Default: see [`ExfilSection`].
    #[serde(default)]
    pub exfil: ExfilSection,
    /// `[detect.incident]`. Default: see [`IncidentSection`].
    #[serde(default)]
    pub incident: IncidentSection,
    /// `[detect.tamper]`. Default: see [`TamperSection`].
    #[serde(default)]
    pub tamper: TamperSection,
}

/// `[detect.tamper]`: cameras that stop sending video, whose address or
/// stream is taken over.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TamperSection {
    /// Silence after which a continuously recorded camera raises an alert;
    /// longer than zero. Default: `"5m"`.
    pub dark_after: Option<Spanned<String>>,
    /// Silence after which an interruption is reported as an event (not an
    /// alert); longer than zero and shorter than `dark_after`. Default:
    /// `"1m"`.
    pub interrupted_after: Option<Spanned<String>>,
    /// Groups whose cameras record continuously: armed from their first
    /// video, without learning. Default: `[]`.
    pub continuous: Option<Vec<String>>,
    /// Groups whose cameras record on motion only: silence never alarms.
    /// Default: `[]`.
    pub motion: Option<Vec<String>>,
}

/// `[detect.incident]`: how detector matches become alert lines. Per
/// camera and rule, the first match opens an incident (one line), later
/// ones update it (at most one line per `update_interval`), and it closes
/// with a summary after `close_after` without a match.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentSection {
    /// Least packet time between two lines of one incident; longer than
    /// zero. Default: `"10m"`.
    pub update_interval: Option<Spanned<String>>,
    /// Packet time without a match after which an incident closes; at
    /// least `update_interval`. Default: `"1h"`, the detectors' longest
    /// quiet period (exfil and scan re-alert after an hour), so a
    /// continuing incident reports updates, not a second incident.
    pub close_after: Option<Spanned<String>>,
    /// Lines per camera per hour of packet time; `0` for no cap. Default:
    /// `30`.
    pub max_alerts_per_hour: Option<Spanned<i64>>,
}

/// `[detect.egress]`: traffic to destinations no rule allows.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EgressSection {
    /// Minimum time between two alerts for the same camera and
    /// destination; must be longer than zero. Default: `"1h"`.
    pub realert: Option<Spanned<String>>,
}

/// `[detect.scan]`: cameras probing other hosts.
///
/// The probabilistic part is Threshold Random Walk (Jung, Paxson, Berger,
/// Balakrishnan, "Fast Portscan Detection Using Sequential Hypothesis
/// Testing", IEEE S&P 2004): each first contact to a new host succeeds with
/// probability `theta0` for a benign host and `theta1` for a scanner, and
/// the walk stops at the false-positive and detection targets `alpha` and
/// `beta`. The fixed thresholds catch what the walk is too slow for.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSection {
    /// Success probability of a benign host's first contacts; between 0
    /// and 1, above `theta1`. Default: `0.8`.
    pub theta0: Option<Spanned<f64>>,
    /// Success probability of a scanner's first contacts; between 0 and 1.
    /// Default: `0.2`.
    pub theta1: Option<Spanned<f64>>,
    /// Target false-positive rate; between 0 and 1, below `beta`.
    /// Default: `0.01`.
    pub alpha: Option<Spanned<f64>>,
    /// Target detection rate; between 0 and 1. Default: `0.99`.
    pub beta: Option<Spanned<f64>>,
    /// Distinct hosts contacted within a short window, `"COUNT/WINDOW"`.
    /// Default: `"20/1m"`.
    pub distinct_hosts: Option<Spanned<String>>,
    /// Distinct hosts contacted within a long window, for slow scans.
    /// Default: `"50/1h"`.
    pub distinct_hosts_long: Option<Spanned<String>>,
    /// Distinct ports tried on one host. Default: `"20/1m"`.
    pub distinct_ports: Option<Spanned<String>>,
    /// Distinct addresses one host asks for by ARP: a sweep of the local
    /// segment. Default: `"16/1m"`.
    pub arp_sweep: Option<Spanned<String>>,
    /// Failed first contacts to distinct LAN hosts (refused, unreachable,
    /// unanswered, or an ARP request nobody answered), one `"COUNT/WINDOW"`
    /// per window: a slow sweep. One to four thresholds, windows in
    /// increasing order. Default: `["8/1h", "20/24h"]`.
    pub failed_contacts: Option<Spanned<SpannedList>>,
    /// Distinct Internet addresses whose TCP connection attempt (SYN) from
    /// one camera was not answered (refused, unreachable, silent, or still
    /// waiting): a worm scanning the Internet. Default: `"10/10m"`.
    pub internet_scan: Option<Spanned<String>>,
}

/// `[detect.exfil]`: unusual upload volume.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExfilSection {
    /// Windows over which upload volume is compared with the learned
    /// baseline; non-empty, each longer than zero, in increasing order.
    /// Default: `["1m", "1h", "24h"]`.
    pub windows: Option<Spanned<SpannedList>>,
    /// How many times its baseline a camera may upload in a window before
    /// an alert; greater than 1. Default: `4.0`.
    pub baseline_factor: Option<Spanned<f64>>,
    /// Budget for allow rules of role `"other"` that set none themselves.
    /// Default: `"10MB/1h"`.
    pub default_budget: Option<Spanned<String>>,
    /// Long window that sums uploads trickled out below the other windows'
    /// thresholds; longer than zero. Default: `"6h"`.
    pub slow_window: Option<Spanned<String>>,
}

/// `[learn]`: the initial period in which camsentry records normal
/// behaviour (baselines, contacted destinations) instead of alerting.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnSection {
    /// Length of the learning period; `"0s"` turns learning off.
    /// Default: `"0s"`: a policy file is itself the allowlist. (Without any
    /// policy file or baseline, the sensor learns for 1 hour; the
    /// `--learn-for` flag overrides both.)
    pub duration: Option<Spanned<String>>,
}
