//! The validated runtime policy and the lookups detectors make against it.
//!
//! A [`Policy`] is built from a policy file by [`Policy::load`] or
//! [`Policy::from_str`]; the file's shape and each key's default are
//! documented on the types in [`raw`](super::raw). Everything in a `Policy`
//! has been checked, so detectors never meet a malformed network, name or
//! budget, and [`Policy::default`] is what an empty file gives. Building is
//! in `build/`, printing the effective policy back as TOML
//! ([`Policy::render`]) in `render.rs`.

mod groups;
mod settings;
mod suppress;

pub use groups::{AllowRule, Group, InboundRule, PortRange, Role, Selector, Target, Transport};
pub use settings::{
    DetectSettings, EgressSettings, ExfilSettings, IncidentSettings, LearnSettings, MAX_THRESHOLDS,
    ScanSettings, TamperSettings,
};
pub use suppress::{CameraRef, RulePattern, Suppression};

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

#[cfg(test)]
mod tests;
