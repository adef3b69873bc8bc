//! `[[suppress]]` entries: which alerts they silence ([`RulePattern`],
//! [`CameraRef`]), until when and why.

use super::*;

/// A rule id (`CAMSENTRY-EGRESS-1`) or a prefix of rule ids ending in `*`
/// (`CAMSENTRY-SCAN-*`; `*` alone covers every rule). Validation checks
/// that it covers at least one rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RulePattern {
    /// The id, or the prefix without its `*`.
    pub(in crate::config) fixed: String,
    pub(in crate::config) prefix: bool,
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
    pub(in crate::config) rule: Option<RulePattern>,
    pub(in crate::config) camera: Option<CameraRef>,
    pub(in crate::config) destination: Option<Target>,
    pub(in crate::config) reason: Option<String>,
    pub(in crate::config) expires: Option<Date>,
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
