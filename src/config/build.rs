//! Turning a parsed policy file into a validated [`Policy`].
//!
//! The TOML is first read into the [`raw`](super::raw) structures, which
//! catches syntax errors, wrong types and unknown keys. This module then
//! checks every value's meaning (networks, names, budgets, probabilities,
//! group rules), fills in defaults and reports the first problem at the
//! offending value's own line and column.

use std::net::IpAddr;
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::budget::{ByteBudget, CountWindow, parse_duration};
use super::cidr::{Cidr, CidrSet};
use super::date::{Date, DateError};
use super::domain::{DomainError, DomainPattern};
use super::error::{Location, PolicyError};
use super::mac::parse_mac;
use super::policy::{
    AllowRule, CameraRef, DetectSettings, EgressSettings, ExfilSettings, Group, IncidentSettings,
    LearnSettings, MAX_THRESHOLDS, Policy, PortRange, Role, RulePattern, ScanSettings, Selector,
    Site, Suppression, Target, Transport,
};
use super::raw::{
    AllowSection, DetectSection, GroupSection, LearnSection, MatchSection, PolicyFile, SiteSection,
    SpannedList, SuppressSection,
};
use crate::detect::RULES;
use crate::vendor as oui;

type Result<T> = std::result::Result<T, PolicyError>;

/// Longest group name, in characters: it is written into every alert about
/// the group's cameras.
pub const MAX_GROUP_NAME: usize = 64;

/// Longest allow-rule destination: a DNS name of 253 characters, with `*.`
/// in front and a trailing dot.
pub const MAX_DESTINATION: usize = 256;

/// Longest of every other string value (networks, addresses, MAC
/// addresses, vendors, durations, budgets, thresholds, port ranges,
/// keywords, rule ids, cameras, dates); the longest valid one is an IPv6
/// CIDR of 49 characters.
pub const MAX_VALUE: usize = 64;

/// Longest `reason` of a suppression entry: one line of free text, printed
/// by `check-policy` and in the run summary.
pub const MAX_REASON: usize = 256;

/// Highest (least severe) severity a group may give a rule: alerts count
/// 1 (high) to 3 (low), as Suricata does.
pub const LOWEST_SEVERITY: i64 = 3;

/// Longest TOML error message kept: serde quotes the offending value, which
/// may be of any size.
const MAX_MESSAGE: usize = 300;

/// `text` cut to `max` characters, with `…` when something was cut.
fn preview(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// Parses and validates `text`; `origin` names it in errors.
pub(super) fn build(text: &str, origin: &str) -> Result<Policy> {
    let file: PolicyFile = toml::from_str(text).map_err(|e| toml_error(&e, text, origin))?;
    Builder { text, origin }.policy(file)
}

/// Rephrases serde's wording in the policy file's terms ("key" rather than
/// "field") and keeps toml's location.
fn toml_error(e: &toml::de::Error, text: &str, origin: &str) -> PolicyError {
    let message = e.message().trim_end();
    let reason = if let Some(rest) = message.strip_prefix("unknown field ") {
        match rest.split_once(", expected ") {
            Some((key, expected)) => format!("unknown key {key} (expected {expected})"),
            None => match rest.split_once(", there are no fields") {
                Some((key, _)) => format!("unknown key {key}"),
                None => format!("unknown key {rest}"),
            },
        }
    } else if let Some(rest) = message.strip_prefix("missing field ") {
        format!("missing key {rest}")
    } else if message == "duplicate key" {
        match e.span().and_then(|s| text.get(s)) {
            Some(key) => format!("duplicate key `{key}`"),
            None => message.to_string(),
        }
    } else {
        message.to_string()
    };
    let reason = preview(&reason, MAX_MESSAGE);
    PolicyError::Invalid {
        origin: origin.to_string(),
        location: e.span().map(|s| Location::in_text(text, s)),
        reason,
    }
}

struct Builder<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Builder<'_> {
    fn err(&self, span: Range<usize>, reason: String) -> PolicyError {
        PolicyError::at(self.origin, self.text, span, reason)
    }

    /// The text of `s`, refused when longer than `max` characters (the
    /// message quotes only its start).
    fn limited<'s>(&self, s: &'s Spanned<String>, what: &str, max: usize) -> Result<&'s str> {
        let text = s.get_ref();
        let length = text.chars().count();
        if length > max {
            return Err(self.err(
                s.span(),
                format!(
                    "{what} `{}` is {length} characters long; at most {max} are allowed",
                    preview(text, 16)
                ),
            ));
        }
        Ok(text)
    }

    fn policy(&self, file: PolicyFile) -> Result<Policy> {
        let site = self.site(file.site)?;
        let detect = self.detect(file.detect)?;
        let learn = self.learn(file.learn)?;
        // Groups after the detectors: `other` rules take their default
        // budget from `[detect.exfil]`.
        let groups = self.groups(file.groups, &detect.exfil)?;
        // Suppression last: a camera may be named by its group.
        let suppress = file
            .suppress
            .into_iter()
            .map(|entry| self.suppression(entry, &groups))
            .collect::<Result<Vec<_>>>()?;
        Ok(Policy {
            site,
            groups,
            suppress,
            detect,
            learn,
        })
    }

    /// A rule id, or a prefix ending in `*`, that covers at least one of
    /// camsentry's rules.
    fn rule_pattern(&self, s: &Spanned<String>) -> Result<RulePattern> {
        let text = self.limited(s, "rule", MAX_VALUE)?;
        let (fixed, prefix) = match text.strip_suffix('*') {
            Some(fixed) => (fixed, true),
            None => (text, false),
        };
        if fixed.contains('*') {
            return Err(self.err(
                s.span(),
                format!("bad rule `{text}`: `*` may only end a prefix, as in `CAMSENTRY-SCAN-*`"),
            ));
        }
        let pattern = RulePattern {
            fixed: fixed.to_string(),
            prefix,
        };
        if !RULES.iter().any(|r| pattern.matches(r.id)) {
            let known: Vec<&str> = RULES.iter().map(|r| r.id).collect();
            return Err(self.err(
                s.span(),
                format!(
                    "unknown rule `{text}` (expected a rule id or a prefix ending in `*`; rules are {})",
                    known.join(", ")
                ),
            ));
        }
        Ok(pattern)
    }

    /// A suppression entry's `camera`: a CIDR block if it has a `/`, else
    /// an address, a MAC address or a group name, tried in that order.
    fn camera(&self, s: &Spanned<String>, groups: &[Group]) -> Result<CameraRef> {
        let text = self.limited(s, "camera", MAX_VALUE)?;
        if text.contains('/') {
            return self.cidr(s).map(CameraRef::Network);
        }
        if let Ok(addr) = text.parse::<IpAddr>() {
            return Ok(CameraRef::Network(Cidr::host(addr)));
        }
        if let Ok(mac) = parse_mac(text) {
            return Ok(CameraRef::Mac(mac));
        }
        if let Some(group) = groups.iter().find(|g| g.name.eq_ignore_ascii_case(text)) {
            return Ok(CameraRef::Group(group.name.clone()));
        }
        let reason = if text.contains(':') {
            format!(
                "bad camera `{text}`: neither an IP address nor a MAC address (`c0:56:e3:00:00:11`)"
            )
        } else {
            format!(
                "unknown camera `{text}`: not an address, CIDR block, MAC address or group name"
            )
        };
        Err(self.err(s.span(), reason))
    }

    fn suppression(
        &self,
        entry: Spanned<SuppressSection>,
        groups: &[Group],
    ) -> Result<Suppression> {
        let at = entry.span();
        let raw = entry.into_inner();
        if raw.rule.is_none() && raw.camera.is_none() && raw.destination.is_none() {
            return Err(self.err(
                at,
                "empty `[[suppress]]` entry: give at least one of `rule`, `camera`, `destination`"
                    .to_string(),
            ));
        }
        let rule = raw
            .rule
            .as_ref()
            .map(|r| self.rule_pattern(r))
            .transpose()?;
        let camera = raw
            .camera
            .as_ref()
            .map(|c| self.camera(c, groups))
            .transpose()?;
        let destination = raw
            .destination
            .as_ref()
            .map(|d| self.target(d))
            .transpose()?;
        let reason = match &raw.reason {
            None => None,
            Some(r) => {
                let text = self.limited(r, "reason", MAX_REASON)?;
                if text.trim().is_empty() {
                    return Err(self.err(
                        r.span(),
                        "empty `reason`: say why, or leave it out".to_string(),
                    ));
                }
                if text.chars().any(char::is_control) {
                    return Err(self.err(
                        r.span(),
                        "`reason` must be one line of text without control characters".to_string(),
                    ));
                }
                Some(text.to_string())
            }
        };
        let expires = raw.expires.as_ref().map(|e| self.date(e)).transpose()?;
        Ok(Suppression {
            rule,
            camera,
            destination,
            reason,
            expires,
        })
    }

    /// `YYYY-MM-DD`, as a string or a TOML local date.
    fn date(&self, v: &Spanned<toml::Value>) -> Result<Date> {
        let text = match v.get_ref() {
            toml::Value::String(s) => preview(s, MAX_VALUE),
            toml::Value::Datetime(d) => d.to_string(),
            other => {
                return Err(self.err(
                    v.span(),
                    format!("bad date `{other}`: {}", DateError::Shape),
                ));
            }
        };
        text.parse::<Date>()
            .map_err(|e| self.err(v.span(), format!("bad date `{text}`: {e}")))
    }

    fn site(&self, raw: SiteSection) -> Result<Site> {
        let mut site = Site::default();
        if let Some(list) = raw.internal {
            if list.get_ref().is_empty() {
                return Err(self.err(
                    list.span(),
                    "`internal` must list at least one network; leave it out for the defaults"
                        .to_string(),
                ));
            }
            site.internal = self.cidrs(list.into_inner())?;
        }
        site.recorders = self.cidrs(raw.recorders.unwrap_or_default())?;
        site.dns = self.cidrs(raw.dns.unwrap_or_default())?;
        site.ntp = self.cidrs(raw.ntp.unwrap_or_default())?;
        Ok(site)
    }

    fn cidrs(&self, list: SpannedList) -> Result<CidrSet> {
        list.into_iter().map(|s| self.cidr(&s)).collect()
    }

    fn cidr(&self, s: &Spanned<String>) -> Result<Cidr> {
        self.limited(s, "network", MAX_VALUE)?
            .parse::<Cidr>()
            .map_err(|e| self.err(s.span(), format!("bad CIDR `{}`: {e}", s.get_ref())))
    }

    fn duration(&self, s: &Spanned<String>, allow_zero: bool) -> Result<Duration> {
        let text = self.limited(s, "duration", MAX_VALUE)?;
        let d = parse_duration(text)
            .map_err(|e| self.err(s.span(), format!("bad duration `{text}`: {e}")))?;
        if d.is_zero() && !allow_zero {
            return Err(self.err(
                s.span(),
                format!("bad duration `{text}`: must be longer than zero"),
            ));
        }
        Ok(d)
    }

    fn budget(&self, s: &Spanned<String>) -> Result<ByteBudget> {
        let text = self.limited(s, "budget", MAX_VALUE)?;
        text.parse()
            .map_err(|e| self.err(s.span(), format!("bad budget `{text}`: {e}")))
    }

    fn threshold(&self, s: Option<Spanned<String>>, default: CountWindow) -> Result<CountWindow> {
        let Some(s) = s else { return Ok(default) };
        let text = self.limited(&s, "threshold", MAX_VALUE)?;
        text.parse()
            .map_err(|e| self.err(s.span(), format!("bad threshold `{text}`: {e}")))
    }

    /// One to [`MAX_THRESHOLDS`] thresholds with windows in increasing
    /// order.
    fn thresholds(&self, list: Spanned<SpannedList>, key: &str) -> Result<Vec<CountWindow>> {
        let span = list.span();
        let list = list.into_inner();
        if list.is_empty() || list.len() > MAX_THRESHOLDS {
            return Err(self.err(
                span,
                format!("`{key}` must list one to {MAX_THRESHOLDS} thresholds"),
            ));
        }
        let mut out: Vec<CountWindow> = Vec::with_capacity(list.len());
        for item in &list {
            let text = item.get_ref();
            let t: CountWindow = text
                .parse()
                .map_err(|e| self.err(item.span(), format!("bad threshold `{text}`: {e}")))?;
            if let Some(prev) = out.last().filter(|p| p.window() >= t.window()) {
                return Err(self.err(
                    item.span(),
                    format!(
                        "`{key}` windows must be in increasing order: `{text}` is not longer than `{prev}`"
                    ),
                ));
            }
            out.push(t);
        }
        Ok(out)
    }

    /// A probability strictly between 0 and 1.
    fn probability(&self, v: Option<&Spanned<f64>>, key: &str, default: f64) -> Result<f64> {
        let Some(v) = v else { return Ok(default) };
        let x = *v.get_ref();
        // `!(..)` rather than `<=`/`>=` so that NaN is refused too.
        if !(x > 0.0 && x < 1.0) {
            return Err(self.err(
                v.span(),
                format!("`{key}` must be between 0 and 1, exclusive (got {x})"),
            ));
        }
        Ok(x)
    }

    /// Checks `low < high`, pointing at whichever of the two was written
    /// (the later key when both were).
    fn ordered(
        &self,
        (low_key, low, low_at): (&str, f64, Option<Range<usize>>),
        (high_key, high, high_at): (&str, f64, Option<Range<usize>>),
    ) -> Result<()> {
        if low < high {
            return Ok(());
        }
        let span = match (low_at, high_at) {
            (Some(a), Some(b)) => {
                if a.start > b.start {
                    a
                } else {
                    b
                }
            }
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => 0..0,
        };
        Err(self.err(
            span,
            format!("`{low_key}` ({low}) must be below `{high_key}` ({high})"),
        ))
    }

    fn detect(&self, raw: DetectSection) -> Result<DetectSettings> {
        let mut d = DetectSettings::default();

        if let Some(r) = &raw.egress.realert {
            d.egress = EgressSettings {
                realert: self.duration(r, false)?,
            };
        }

        let s = &raw.scan;
        let def = ScanSettings::default();
        let theta0 = self.probability(s.theta0.as_ref(), "theta0", def.theta0)?;
        let theta1 = self.probability(s.theta1.as_ref(), "theta1", def.theta1)?;
        let alpha = self.probability(s.alpha.as_ref(), "alpha", def.alpha)?;
        let beta = self.probability(s.beta.as_ref(), "beta", def.beta)?;
        let at = |v: &Option<Spanned<f64>>| v.as_ref().map(Spanned::span);
        self.ordered(
            ("theta1", theta1, at(&s.theta1)),
            ("theta0", theta0, at(&s.theta0)),
        )?;
        self.ordered(("alpha", alpha, at(&s.alpha)), ("beta", beta, at(&s.beta)))?;
        let scan = raw.scan;
        d.scan = ScanSettings {
            theta0,
            theta1,
            alpha,
            beta,
            distinct_hosts: self.threshold(scan.distinct_hosts, def.distinct_hosts)?,
            distinct_hosts_long: self
                .threshold(scan.distinct_hosts_long, def.distinct_hosts_long)?,
            distinct_ports: self.threshold(scan.distinct_ports, def.distinct_ports)?,
            arp_sweep: self.threshold(scan.arp_sweep, def.arp_sweep)?,
            failed_contacts: match scan.failed_contacts {
                Some(list) => self.thresholds(list, "failed_contacts")?,
                None => def.failed_contacts,
            },
            internet_scan: self.threshold(scan.internet_scan, def.internet_scan)?,
        };

        let x = raw.exfil;
        let mut exfil = ExfilSettings::default();
        if let Some(list) = x.windows {
            if list.get_ref().is_empty() {
                return Err(self.err(
                    list.span(),
                    "`windows` must list at least one window".to_string(),
                ));
            }
            let mut windows: Vec<Duration> = Vec::with_capacity(list.get_ref().len());
            for w in list.get_ref() {
                let d = self.duration(w, false)?;
                if let Some(prev) = windows.last().filter(|p| **p >= d) {
                    return Err(self.err(
                        w.span(),
                        format!(
                            "`windows` must be in increasing order: `{}` is not longer than `{}`",
                            w.get_ref(),
                            super::budget::format_duration(*prev)
                        ),
                    ));
                }
                windows.push(d);
            }
            exfil.windows = windows;
        }
        if let Some(f) = &x.baseline_factor {
            let v = *f.get_ref();
            if !(v > 1.0 && v.is_finite()) {
                return Err(self.err(
                    f.span(),
                    format!("`baseline_factor` must be a finite number greater than 1 (got {v})"),
                ));
            }
            exfil.baseline_factor = v;
        }
        if let Some(b) = &x.default_budget {
            exfil.default_budget = self.budget(b)?;
        }
        if let Some(w) = &x.slow_window {
            exfil.slow_window = self.duration(w, false)?;
        }
        d.exfil = exfil;
        d.incident = self.incident(raw.incident)?;
        Ok(d)
    }

    fn incident(&self, raw: super::raw::IncidentSection) -> Result<IncidentSettings> {
        let mut incident = IncidentSettings::default();
        if let Some(u) = &raw.update_interval {
            incident.update_interval = self.duration(u, false)?;
        }
        if let Some(c) = &raw.close_after {
            incident.close_after = self.duration(c, false)?;
        }
        if incident.close_after < incident.update_interval {
            let span = raw
                .close_after
                .as_ref()
                .or(raw.update_interval.as_ref())
                .map_or(0..0, Spanned::span);
            return Err(self.err(
                span,
                format!(
                    "`close_after` ({}) must be at least `update_interval` ({})",
                    super::budget::format_duration(incident.close_after),
                    super::budget::format_duration(incident.update_interval)
                ),
            ));
        }
        if let Some(m) = &raw.max_alerts_per_hour {
            let n = *m.get_ref();
            incident.max_alerts_per_hour = u32::try_from(n).map_err(|_| {
                self.err(
                    m.span(),
                    format!(
                        "`max_alerts_per_hour` must be 0 (no cap) to {} (got {n})",
                        u32::MAX
                    ),
                )
            })?;
        }
        Ok(incident)
    }

    fn learn(&self, raw: LearnSection) -> Result<LearnSettings> {
        let mut learn = LearnSettings::default();
        if let Some(d) = &raw.duration {
            // Zero is allowed: it turns learning off.
            learn.duration = self.duration(d, true)?;
        }
        Ok(learn)
    }

    fn groups(&self, raw: Vec<GroupSection>, exfil: &ExfilSettings) -> Result<Vec<Group>> {
        let mut groups: Vec<Group> = Vec::with_capacity(raw.len());
        let mut first_seen: Vec<Range<usize>> = Vec::with_capacity(raw.len());
        for g in raw {
            let name_at = g.name.span();
            self.limited(&g.name, "group name", MAX_GROUP_NAME)?;
            let name = g.name.into_inner();
            if name.trim().is_empty() {
                return Err(self.err(name_at, "empty group name".to_string()));
            }
            // Case-insensitive: alerts must name one group unambiguously.
            if let Some(i) = groups
                .iter()
                .position(|other| other.name.eq_ignore_ascii_case(&name))
            {
                let line = first_seen
                    .get(i)
                    .map_or(0, |s| Location::in_text(self.text, s.clone()).line);
                return Err(self.err(
                    name_at,
                    format!("duplicate group name `{name}` (first used on line {line})"),
                ));
            }
            let empty = || {
                format!(
                    "empty group `{name}`: `match` needs at least one of cidr, address, mac, vendor"
                )
            };
            let selector = match g.selector {
                None => return Err(self.err(name_at, empty())),
                Some(m) => {
                    let at = m.span();
                    let selector = self.selector(m.into_inner())?;
                    if selector.is_empty() {
                        return Err(self.err(at, empty()));
                    }
                    selector
                }
            };
            let allow = g
                .allow
                .into_iter()
                .map(|a| self.allow(a, exfil.default_budget))
                .collect::<Result<Vec<_>>>()?;
            let disable = g
                .disable
                .unwrap_or_default()
                .iter()
                .map(|d| self.rule_pattern(d))
                .collect::<Result<Vec<_>>>()?;
            let severity = match g.severity {
                None => Vec::new(),
                Some(map) => self.severities(map.into_inner())?,
            };
            groups.push(Group {
                name,
                selector,
                allow,
                disable,
                severity,
            });
            first_seen.push(name_at);
        }
        Ok(groups)
    }

    /// A group's `severity` table, in file order.
    fn severities(
        &self,
        map: std::collections::BTreeMap<Spanned<String>, Spanned<i64>>,
    ) -> Result<Vec<(RulePattern, u8)>> {
        let mut entries: Vec<_> = map.into_iter().collect();
        entries.sort_by_key(|(key, _)| key.span().start);
        entries
            .into_iter()
            .map(|(key, value)| {
                let pattern = self.rule_pattern(&key)?;
                let n = *value.get_ref();
                let severity = u8::try_from(n)
                    .ok()
                    .filter(|s| (1..=LOWEST_SEVERITY).contains(&i64::from(*s)))
                    .ok_or_else(|| {
                        self.err(
                            value.span(),
                            format!(
                                "bad severity `{n}` for `{}`: severities are 1 (high) to {LOWEST_SEVERITY} (low)",
                                key.get_ref()
                            ),
                        )
                    })?;
                Ok((pattern, severity))
            })
            .collect()
    }

    fn selector(&self, raw: MatchSection) -> Result<Selector> {
        let cidrs = self.cidrs(raw.cidr.unwrap_or_default())?;
        let addresses = raw
            .address
            .unwrap_or_default()
            .iter()
            .map(|a| self.address(a))
            .collect::<Result<Vec<_>>>()?;
        let macs = raw
            .mac
            .unwrap_or_default()
            .iter()
            .map(|m| {
                parse_mac(self.limited(m, "MAC address", MAX_VALUE)?).map_err(|e| {
                    self.err(m.span(), format!("bad MAC address `{}`: {e}", m.get_ref()))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let vendors = raw
            .vendor
            .unwrap_or_default()
            .iter()
            .map(|v| {
                oui::vendor_by_name(self.limited(v, "vendor", MAX_VALUE)?)
                    .map(|found| found.name)
                    .ok_or_else(|| {
                        let known: Vec<&str> = oui::vendors().iter().map(|k| k.name).collect();
                        self.err(
                            v.span(),
                            format!(
                                "unknown vendor `{}` (expected one of {})",
                                v.get_ref(),
                                known.join(", ")
                            ),
                        )
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Selector {
            cidrs,
            addresses,
            macs,
            vendors,
        })
    }

    fn address(&self, s: &Spanned<String>) -> Result<IpAddr> {
        let text = self.limited(s, "address", MAX_VALUE)?;
        if text.contains('/') {
            return Err(self.err(
                s.span(),
                format!("bad address `{text}`: a single address goes here; put networks in `cidr`"),
            ));
        }
        text.parse::<IpAddr>()
            .map(|a| a.to_canonical())
            .map_err(|_| self.err(s.span(), format!("bad address `{text}`: not an IP address")))
    }

    fn allow(&self, raw: AllowSection, default_budget: ByteBudget) -> Result<AllowRule> {
        let target = self.target(&raw.to)?;
        let transport = match &raw.transport {
            None => None,
            Some(t) => match self.limited(t, "transport", MAX_VALUE)? {
                "tcp" => Some(Transport::Tcp),
                "udp" => Some(Transport::Udp),
                "icmp" => Some(Transport::Icmp),
                "any" => None,
                other => {
                    return Err(self.err(
                        t.span(),
                        format!(
                            "unknown transport `{other}` (expected one of tcp, udp, icmp, any)"
                        ),
                    ));
                }
            },
        };
        let role = match &raw.role {
            None => Role::Other,
            Some(r) => {
                let text = self.limited(r, "role", MAX_VALUE)?;
                Role::ALL
                    .into_iter()
                    .find(|role| role.as_str() == text)
                    .ok_or_else(|| {
                        self.err(
                        r.span(),
                        format!(
                            "unknown role `{}` (expected one of recorder, dns, ntp, cloud, other)",
                            r.get_ref()
                        ),
                    )
                    })?
            }
        };
        let ports = match raw.ports {
            None => Vec::new(),
            Some(list) => {
                if list.get_ref().is_empty() {
                    return Err(self.err(
                        list.span(),
                        "empty `ports` list: leave `ports` out to allow any port".to_string(),
                    ));
                }
                if transport == Some(Transport::Icmp) {
                    return Err(self.err(
                        list.span(),
                        "`ports` do not apply to transport `icmp`".to_string(),
                    ));
                }
                list.get_ref()
                    .iter()
                    .map(|p| self.port(p))
                    .collect::<Result<Vec<_>>>()?
            }
        };
        let budget = match &raw.budget {
            Some(b) => Some(self.budget(b)?),
            None if role == Role::Other => Some(default_budget),
            None => None,
        };
        Ok(AllowRule {
            target,
            ports,
            transport,
            role,
            budget,
        })
    }

    /// `to`: a CIDR block if it has a `/`, else an address if it parses as
    /// one, else a DNS name pattern.
    fn target(&self, to: &Spanned<String>) -> Result<Target> {
        let text = self.limited(to, "destination", MAX_DESTINATION)?;
        let fail = |reason: String| self.err(to.span(), reason);
        if text.contains("://") {
            return Err(fail(format!(
                "bad destination `{text}`: write a host name, address or CIDR, not a URL"
            )));
        }
        if text.contains('/') {
            return self.cidr(to).map(Target::Network);
        }
        if let Ok(addr) = text.parse::<IpAddr>() {
            return Ok(Target::Network(Cidr::host(addr)));
        }
        if text.contains(':') {
            return Err(fail(format!("bad address `{text}`: not an IP address")));
        }
        match text.parse::<DomainPattern>() {
            Ok(pattern) => Ok(Target::Name(pattern)),
            Err(e @ DomainError::NumericTld) => Err(fail(format!("bad address `{text}`: {e}"))),
            Err(e) => Err(fail(format!("bad DNS name `{text}`: {e}"))),
        }
    }

    fn port(&self, p: &Spanned<toml::Value>) -> Result<PortRange> {
        let fail = |reason: String| self.err(p.span(), reason);
        match p.get_ref() {
            toml::Value::Integer(n) => u16::try_from(*n)
                .ok()
                .and_then(|n| PortRange::new(n, n))
                .ok_or_else(|| fail(format!("bad port `{n}`: ports are 1 to 65535"))),
            toml::Value::String(s) if s.chars().count() > MAX_VALUE => Err(fail(format!(
                "port range `{}` is {} characters long; at most {MAX_VALUE} are allowed",
                preview(s, 16),
                s.chars().count()
            ))),
            toml::Value::String(s) => {
                let (low, high) = s.split_once('-').unwrap_or((s, s));
                let number = |t: &str| {
                    let t = t.trim();
                    (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| t.parse::<u16>().ok())
                        .flatten()
                };
                number(low)
                    .zip(number(high))
                    .and_then(|(l, h)| PortRange::new(l, h))
                    .ok_or_else(|| {
                        fail(format!(
                            "bad port range `{s}`: expected `LOW-HIGH` with 1 <= LOW <= HIGH <= 65535"
                        ))
                    })
            }
            other => Err(fail(format!(
                "bad port `{other}`: expected a number or a \"LOW-HIGH\" string"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message for `text`, which must be refused.
    fn refusal(text: &str) -> String {
        match Policy::from_str(text, "p.toml") {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    /// `(file name, contents, expected message after the file name)`.
    macro_rules! fixture {
        ($name:literal, $want:expr) => {
            (
                $name,
                include_str!(concat!("../../fixtures/policy/", $name)),
                $want,
            )
        };
    }

    /// Every bad fixture with its exact message.
    const FIXTURES: [(&str, &str, &str); 16] = [
        fixture!(
            "bad-unknown-key.toml",
            "8:3: unknown key `port` (expected one of `to`, `ports`, `transport`, `role`, `budget`)"
        ),
        fixture!(
            "bad-cidr.toml",
            "3:27: bad CIDR `10.0.0.0/33`: prefix length `33` is not a number from 0 to 32"
        ),
        fixture!(
            "bad-budget.toml",
            "8:12: bad budget `200XB/1h`: unknown size unit `XB` (expected one of B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)"
        ),
        fixture!(
            "bad-empty-group.toml",
            "4:9: empty group `lobby`: `match` needs at least one of cidr, address, mac, vendor"
        ),
        fixture!(
            "bad-missing-match.toml",
            "3:8: empty group `lobby`: `match` needs at least one of cidr, address, mac, vendor"
        ),
        fixture!(
            "bad-duplicate-group.toml",
            "7:8: duplicate group name `Lobby` (first used on line 3)"
        ),
        fixture!(
            "bad-role.toml",
            "8:10: unknown role `nvr` (expected one of recorder, dns, ntp, cloud, other)"
        ),
        fixture!("bad-syntax.toml", "2:6: unclosed table, expected `]`"),
        fixture!(
            "bad-port.toml",
            "8:17: bad port `70000`: ports are 1 to 65535"
        ),
        fixture!(
            "bad-vendor.toml",
            "4:21: unknown vendor `Hikvison` (expected one of "
        ),
        fixture!(
            "bad-wildcard.toml",
            "7:8: bad DNS name `*.com`: wildcard too broad: it must cover at least two labels, as in `*.example.com`"
        ),
        fixture!(
            "bad-long-group-name.toml",
            "4:8: group name `lobby-xxxxxxxxxx…` is 100 characters long; at most 64 are allowed"
        ),
        fixture!(
            "bad-theta.toml",
            "4:10: `theta1` (0.6) must be below `theta0` (0.3)"
        ),
        fixture!(
            "bad-expires.toml",
            "9:11: bad date `2026-02-30`: no such day in the calendar"
        ),
        fixture!(
            "bad-empty-suppress.toml",
            "3:1: empty `[[suppress]]` entry: give at least one of `rule`, `camera`, `destination`"
        ),
        fixture!(
            "bad-host-bits.toml",
            "4:19: bad CIDR `10.20.0.5/24`: host bits set after the prefix (the network is `10.20.0.0/24`)"
        ),
    ];

    #[test]
    fn bad_fixtures_are_refused_at_the_value() {
        for (name, text, want) in FIXTURES {
            let got = match Policy::from_str(text, name) {
                Ok(_) => panic!("{name} accepted"),
                Err(e) => e.to_string(),
            };
            let want = format!("{name}:{want}");
            assert!(got.starts_with(&want), "{name}:\n got: {got}\nwant: {want}");
            if !want.ends_with("expected one of ") {
                assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn every_bad_fixture_is_listed_and_refused_from_disk() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/policy");
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
        let mut seen = 0;
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if !file.starts_with("bad-") {
                continue;
            }
            seen += 1;
            assert!(
                FIXTURES.iter().any(|(name, _, _)| *name == file),
                "{file} has no expected message"
            );
            let err = Policy::load(entry.path()).err();
            let Some(err) = err else {
                panic!("{file} accepted")
            };
            // Errors from disk name the path as given.
            assert!(err.to_string().contains(&file), "{err}");
            assert!(err.location().is_some(), "{err}");
        }
        assert_eq!(seen, FIXTURES.len());
    }

    #[test]
    fn unreadable_file() {
        let err = Policy::load("/nonexistent/camsentry-policy.toml").err();
        assert!(matches!(err, Some(PolicyError::Read { .. })));
    }

    #[test]
    fn toml_level_refusals() {
        assert_eq!(
            refusal("[site]\nfoo = 1\n"),
            "p.toml:2:1: unknown key `foo` (expected one of `internal`, `recorders`, `dns`, `ntp`)"
        );
        assert_eq!(
            refusal("[detect.egres]\n"),
            "p.toml:1:9: unknown key `egres` (expected one of `egress`, `scan`, `exfil`, `incident`)"
        );
        assert_eq!(
            refusal("[learn]\nduration = 24\n"),
            "p.toml:2:12: invalid type: integer `24`, expected a string"
        );
        assert_eq!(
            refusal("[site]\ndns = []\ndns = []\n"),
            "p.toml:3:1: duplicate key `dns`"
        );
        assert_eq!(
            refusal("[[group]]\nmatch = { cidr = [\"10.0.0.0/8\"] }\n"),
            "p.toml:1:1: missing key `name`"
        );
        assert_eq!(
            refusal(
                "[[group]]\nname = \"g\"\nmatch = { cidr = [\"10.0.0.0/8\"] }\n[[group.allow]]\nrole = \"cloud\"\n"
            ),
            "p.toml:4:1: missing key `to`"
        );
    }

    #[test]
    fn site_refusals() {
        assert_eq!(
            refusal("[site]\ninternal = []\n"),
            "p.toml:2:12: `internal` must list at least one network; leave it out for the defaults"
        );
        assert_eq!(
            refusal("[site]\nrecorders = [\"10.20.0.2\", \"nvr.local\"]\n"),
            "p.toml:2:27: bad CIDR `nvr.local`: `nvr.local` is not an IP address"
        );
    }

    #[test]
    fn group_refusals() {
        let group = |body: &str| format!("[[group]]\nname = \"g\"\n{body}\n");
        assert_eq!(
            refusal(&group("match = {}")),
            "p.toml:3:9: empty group `g`: `match` needs at least one of cidr, address, mac, vendor"
        );
        assert_eq!(
            refusal("[[group]]\nname = \" \"\nmatch = { cidr = [\"10.0.0.0/8\"] }\n"),
            "p.toml:2:8: empty group name"
        );
        assert_eq!(
            refusal(&group("match = { mac = [\"c0:56:e3:00:00\"] }")),
            "p.toml:3:18: bad MAC address `c0:56:e3:00:00`: expected six hex byte pairs separated by `:` or `-`, as in `c0:56:e3:00:00:11`"
        );
        assert_eq!(
            refusal(&group("match = { address = [\"10.0.0.0/8\"] }")),
            "p.toml:3:22: bad address `10.0.0.0/8`: a single address goes here; put networks in `cidr`"
        );
        assert_eq!(
            refusal(&group("match = { address = [\"10.0.0.300\"] }")),
            "p.toml:3:22: bad address `10.0.0.300`: not an IP address"
        );
    }

    #[test]
    fn oversized_strings_are_refused_without_quoting_them_whole() {
        let huge = "a".repeat(1 << 20);
        let group = |name: &str, body: &str| {
            format!("[[group]]\nname = \"{name}\"\nmatch = {{ {body} }}\n")
        };
        let at_most = |what: &str, max: usize| {
            format!(
                "{what} `aaaaaaaaaaaaaaaa…` is {} characters long; at most {max} are allowed",
                1 << 20
            )
        };
        let cases = [
            (
                group(&huge, "cidr = [\"10.0.0.0/8\"]"),
                format!("p.toml:2:8: {}", at_most("group name", MAX_GROUP_NAME)),
            ),
            (
                group("g", &format!("vendor = [\"{huge}\"]")),
                format!("p.toml:3:21: {}", at_most("vendor", MAX_VALUE)),
            ),
            (
                group("g", &format!("mac = [\"{huge}\"]")),
                format!("p.toml:3:18: {}", at_most("MAC address", MAX_VALUE)),
            ),
            (
                group("g", &format!("cidr = [\"{huge}\"]")),
                format!("p.toml:3:19: {}", at_most("network", MAX_VALUE)),
            ),
            (
                group("g", "cidr = [\"10.0.0.0/8\"]")
                    + &format!("[[group.allow]]\nto = \"{huge}\"\n"),
                format!("p.toml:5:6: {}", at_most("destination", MAX_DESTINATION)),
            ),
            (
                format!("[learn]\nduration = \"{huge}\"\n"),
                format!("p.toml:2:12: {}", at_most("duration", MAX_VALUE)),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(refusal(&text), want);
        }
        // A name of exactly the limit is fine; a DNS name of 253 characters
        // under a wildcard too.
        let longest = "g".repeat(MAX_GROUP_NAME);
        assert!(Policy::from_str(&group(&longest, "cidr = [\"10.0.0.0/8\"]"), "p.toml").is_ok());
        let label = "a".repeat(63);
        let name = format!("*.{label}.{label}.{label}.{}.example", "b".repeat(53));
        assert_eq!(name.len(), 2 + 253);
        let rule =
            group("g", "cidr = [\"10.0.0.0/8\"]") + &format!("[[group.allow]]\nto = \"{name}\"\n");
        assert!(
            Policy::from_str(&rule, "p.toml").is_ok(),
            "{}",
            refusal(&rule)
        );
        // serde's own messages quote the value: kept short.
        let wrong_type = format!("[detect.scan]\ntheta0 = \"{huge}\"\n");
        assert!(
            refusal(&wrong_type).len() < 400,
            "{}",
            refusal(&wrong_type).len()
        );
    }

    #[test]
    fn allow_rule_refusals() {
        let rule = |body: &str| {
            format!(
                "[[group]]\nname = \"g\"\nmatch = {{ cidr = [\"10.0.0.0/8\"] }}\n[[group.allow]]\n{body}\n"
            )
        };
        assert_eq!(
            refusal(&rule("to = \"10.0.0.256\"")),
            "p.toml:5:6: bad address `10.0.0.256`: not an IP address, and not a DNS name either (its last label is all digits)"
        );
        assert_eq!(
            refusal(&rule("to = \"2001:db8::zz\"")),
            "p.toml:5:6: bad address `2001:db8::zz`: not an IP address"
        );
        assert_eq!(
            refusal(&rule("to = \"https://cloud.example.com\"")),
            "p.toml:5:6: bad destination `https://cloud.example.com`: write a host name, address or CIDR, not a URL"
        );
        assert_eq!(
            refusal(&rule("to = \"cloud.*.example.com\"")),
            "p.toml:5:6: bad DNS name `cloud.*.example.com`: `*` must be the whole leftmost label, as in `*.example.com`"
        );
        assert_eq!(
            refusal(&rule("to = \"a.example\"\ntransport = \"sctp\"")),
            "p.toml:6:13: unknown transport `sctp` (expected one of tcp, udp, icmp, any)"
        );
        assert_eq!(
            refusal(&rule("to = \"a.example\"\nports = []")),
            "p.toml:6:9: empty `ports` list: leave `ports` out to allow any port"
        );
        assert_eq!(
            refusal(&rule(
                "to = \"a.example\"\ntransport = \"icmp\"\nports = [1]"
            )),
            "p.toml:7:9: `ports` do not apply to transport `icmp`"
        );
        assert_eq!(
            refusal(&rule("to = \"a.example\"\nports = [0]")),
            "p.toml:6:10: bad port `0`: ports are 1 to 65535"
        );
        assert_eq!(
            refusal(&rule("to = \"a.example\"\nports = [\"20-10\"]")),
            "p.toml:6:10: bad port range `20-10`: expected `LOW-HIGH` with 1 <= LOW <= HIGH <= 65535"
        );
        assert_eq!(
            refusal(&rule("to = \"a.example\"\nports = [4.5]")),
            "p.toml:6:10: bad port `4.5`: expected a number or a \"LOW-HIGH\" string"
        );
        assert_eq!(
            refusal(&rule("to = \"a.example\"\nbudget = \"0MB/1h\"")),
            "p.toml:6:10: bad budget `0MB/1h`: the amount must be greater than zero"
        );
    }

    #[test]
    fn detector_refusals() {
        assert_eq!(
            refusal("[detect.egress]\nrealert = \"0s\"\n"),
            "p.toml:2:11: bad duration `0s`: must be longer than zero"
        );
        assert_eq!(
            refusal("[detect.egress]\nrealert = \"1w\"\n"),
            "p.toml:2:11: bad duration `1w`: unknown time unit `w` (expected one of s, m, h, d)"
        );
        assert_eq!(
            refusal("[detect.scan]\nalpha = 1\n"),
            "p.toml:2:9: `alpha` must be between 0 and 1, exclusive (got 1)"
        );
        assert_eq!(
            refusal("[detect.scan]\nbeta = nan\n"),
            "p.toml:2:8: `beta` must be between 0 and 1, exclusive (got NaN)"
        );
        // Only `beta` written: the error points at it.
        assert_eq!(
            refusal("[detect.scan]\nbeta = 0.005\n"),
            "p.toml:2:8: `alpha` (0.01) must be below `beta` (0.005)"
        );
        assert_eq!(
            refusal("[detect.scan]\narp_sweep = \"16\"\n"),
            "p.toml:2:13: bad threshold `16`: missing `/WINDOW` after `16` (write e.g. `16/1h`)"
        );
        assert_eq!(
            refusal("[detect.scan]\nfailed_contacts = []\n"),
            "p.toml:2:19: `failed_contacts` must list one to 4 thresholds"
        );
        assert_eq!(
            refusal(
                "[detect.scan]\nfailed_contacts = [\"1/1m\", \"2/2m\", \"3/3m\", \"4/4m\", \"5/5m\"]\n"
            ),
            "p.toml:2:19: `failed_contacts` must list one to 4 thresholds"
        );
        assert_eq!(
            refusal("[detect.scan]\nfailed_contacts = [\"20/1d\", \"8/24h\"]\n"),
            "p.toml:2:29: `failed_contacts` windows must be in increasing order: `8/24h` is not longer than `20/1d`"
        );
        assert_eq!(
            refusal("[detect.scan]\nfailed_contacts = [\"0/1h\"]\n"),
            "p.toml:2:20: bad threshold `0/1h`: the amount must be greater than zero"
        );
        assert_eq!(
            refusal("[detect.scan]\ninternet_scan = \"10\"\n"),
            "p.toml:2:17: bad threshold `10`: missing `/WINDOW` after `10` (write e.g. `10/1h`)"
        );
        assert_eq!(
            refusal("[detect.exfil]\nwindows = []\n"),
            "p.toml:2:11: `windows` must list at least one window"
        );
        assert_eq!(
            refusal("[detect.exfil]\nwindows = [\"1h\", \"60m\"]\n"),
            "p.toml:2:18: `windows` must be in increasing order: `60m` is not longer than `1h`"
        );
        assert_eq!(
            refusal("[detect.exfil]\nbaseline_factor = 1.0\n"),
            "p.toml:2:19: `baseline_factor` must be a finite number greater than 1 (got 1)"
        );
        assert_eq!(
            refusal("[detect.exfil]\nslow_window = \"6\"\n"),
            "p.toml:2:15: bad duration `6`: `6` has no unit (write e.g. `30s`, `10m`, `2h` or `1d`)"
        );
    }

    #[test]
    fn suppression_refusals() {
        let entry = |body: &str| {
            format!(
                "[[group]]\nname = \"Lobby\"\nmatch = {{ cidr = [\"10.20.0.0/24\"] }}\n\n[[suppress]]\n{body}\n"
            )
        };
        for (body, want) in [
            (
                "reason = \"noisy\"",
                "p.toml:5:1: empty `[[suppress]]` entry: give at least one of `rule`, `camera`, `destination`",
            ),
            (
                "rule = \"CAMSENTRY-EGRESS-1\"\nexpires = \"2026-02-30\"",
                "p.toml:7:11: bad date `2026-02-30`: no such day in the calendar",
            ),
            (
                "rule = \"CAMSENTRY-EGRESS-1\"\nexpires = \"30.06.2026\"",
                "p.toml:7:11: bad date `30.06.2026`: expected a date `YYYY-MM-DD`, as in `2026-06-30`",
            ),
            (
                "rule = \"CAMSENTRY-EGRESS-1\"\nexpires = 2026-06-30T12:00:00Z",
                "p.toml:7:11: bad date `2026-06-30T12:00:00Z`: expected a date `YYYY-MM-DD`, as in `2026-06-30`",
            ),
            (
                "rule = \"CAMSENTRY-EGRESS-1\"\nexpires = 20260630",
                "p.toml:7:11: bad date `20260630`: expected a date `YYYY-MM-DD`, as in `2026-06-30`",
            ),
            (
                "rule = \"CAMSENTRY-EGRESS-1\"\nuntil = \"2026-06-30\"",
                "p.toml:7:1: unknown key `until` (expected one of `rule`, `camera`, `destination`, `reason`, `expires`)",
            ),
            (
                "rule = \"CAMSENTRY-SCAN-*-2\"",
                "p.toml:6:8: bad rule `CAMSENTRY-SCAN-*-2`: `*` may only end a prefix, as in `CAMSENTRY-SCAN-*`",
            ),
            (
                "rule = \"camsentry-egress-1\"",
                "p.toml:6:8: unknown rule `camsentry-egress-1` (expected a rule id or a prefix ending in `*`; rules are CAMSENTRY-EGRESS-1, CAMSENTRY-EXFIL-1, CAMSENTRY-EXFIL-2, CAMSENTRY-EXFIL-3, CAMSENTRY-SCAN-1, CAMSENTRY-SCAN-2, CAMSENTRY-SCAN-3, CAMSENTRY-SCAN-4, CAMSENTRY-SCAN-5, CAMSENTRY-SCAN-6, CAMSENTRY-SCAN-7)",
            ),
            (
                "camera = \"parking\"",
                "p.toml:6:10: unknown camera `parking`: not an address, CIDR block, MAC address or group name",
            ),
            (
                "camera = \"c0:56:e3:00:00\"",
                "p.toml:6:10: bad camera `c0:56:e3:00:00`: neither an IP address nor a MAC address (`c0:56:e3:00:00:11`)",
            ),
            (
                "camera = \"10.20.0.0/33\"",
                "p.toml:6:10: bad CIDR `10.20.0.0/33`: prefix length `33` is not a number from 0 to 32",
            ),
            (
                "destination = \"*.com\"",
                "p.toml:6:15: bad DNS name `*.com`: wildcard too broad: it must cover at least two labels, as in `*.example.com`",
            ),
            (
                "camera = \"lobby\"\nreason = \" \"",
                "p.toml:7:10: empty `reason`: say why, or leave it out",
            ),
            (
                "camera = \"lobby\"\nreason = \"line\\nbreak\"",
                "p.toml:7:10: `reason` must be one line of text without control characters",
            ),
        ] {
            assert_eq!(refusal(&entry(body)), want, "{body}");
        }
        // Length limits: a camera like any other value, a reason to
        // MAX_REASON.
        let long = |key: &str, n: usize| entry(&format!("{key} = \"{}\"", "a".repeat(n)));
        assert_eq!(
            refusal(&long("camera", MAX_VALUE + 1)),
            "p.toml:6:10: camera `aaaaaaaaaaaaaaaa…` is 65 characters long; at most 64 are allowed"
        );
        assert_eq!(
            refusal(&(long("reason", MAX_REASON + 1) + "rule = \"CAMSENTRY-SCAN-*\"\n")),
            "p.toml:6:10: reason `aaaaaaaaaaaaaaaa…` is 257 characters long; at most 256 are allowed"
        );
        let fine = long("reason", MAX_REASON) + "camera = \"LOBBY\"\nexpires = 2026-06-30\n";
        assert!(
            Policy::from_str(&fine, "p.toml").is_ok(),
            "{}",
            refusal(&fine)
        );
    }

    #[test]
    fn group_tuning_refusals() {
        let group = |body: &str| {
            format!("[[group]]\nname = \"g\"\nmatch = {{ cidr = [\"10.0.0.0/8\"] }}\n{body}\n")
        };
        assert_eq!(
            refusal(&group("disable = [\"CAMSENTRY-EGRESS-1\", \"SCAN-*\"]")),
            "p.toml:4:34: unknown rule `SCAN-*` (expected a rule id or a prefix ending in `*`; rules are CAMSENTRY-EGRESS-1, CAMSENTRY-EXFIL-1, CAMSENTRY-EXFIL-2, CAMSENTRY-EXFIL-3, CAMSENTRY-SCAN-1, CAMSENTRY-SCAN-2, CAMSENTRY-SCAN-3, CAMSENTRY-SCAN-4, CAMSENTRY-SCAN-5, CAMSENTRY-SCAN-6, CAMSENTRY-SCAN-7)"
        );
        // Keys are checked in file order, not in sorted order.
        assert_eq!(
            refusal(&group(
                "severity = { \"CAMSENTRY-SCAN-6\" = 4, \"CAMSENTRY-EGRESS-1\" = 0 }"
            )),
            "p.toml:4:35: bad severity `4` for `CAMSENTRY-SCAN-6`: severities are 1 (high) to 3 (low)"
        );
        assert_eq!(
            refusal(&group("severity = { \"CAMSENTRY-SCAN-*-x\" = 2 }")),
            "p.toml:4:14: bad rule `CAMSENTRY-SCAN-*-x`: `*` may only end a prefix, as in `CAMSENTRY-SCAN-*`"
        );
        assert_eq!(
            refusal(&group("severity = { \"CAMSENTRY-SCAN-1\" = \"low\" }")),
            "p.toml:4:35: invalid type: string \"low\", expected i64"
        );
        assert_eq!(
            refusal(&group("disabled = []")),
            "p.toml:4:1: unknown key `disabled` (expected one of `name`, `match`, `allow`, `disable`, `severity`)"
        );
    }

    #[test]
    fn incident_refusals() {
        assert_eq!(
            refusal("[detect.incident]\nupdate_interval = \"0s\"\n"),
            "p.toml:2:19: bad duration `0s`: must be longer than zero"
        );
        // Only `update_interval` written: the error points at it.
        assert_eq!(
            refusal("[detect.incident]\nupdate_interval = \"2h\"\n"),
            "p.toml:2:19: `close_after` (1h) must be at least `update_interval` (2h)"
        );
        assert_eq!(
            refusal("[detect.incident]\nclose_after = \"5m\"\nupdate_interval = \"10m\"\n"),
            "p.toml:2:15: `close_after` (5m) must be at least `update_interval` (10m)"
        );
        assert_eq!(
            refusal("[detect.incident]\nmax_alerts_per_hour = -1\n"),
            "p.toml:2:23: `max_alerts_per_hour` must be 0 (no cap) to 4294967295 (got -1)"
        );
        assert_eq!(
            refusal("[detect.incident]\nclose = \"1h\"\n"),
            "p.toml:2:1: unknown key `close` (expected one of `update_interval`, `close_after`, `max_alerts_per_hour`)"
        );
        let p = Policy::from_str(
            "[detect.incident]\nupdate_interval = \"1m\"\nclose_after = \"1m\"\nmax_alerts_per_hour = 0\n",
            "p.toml",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let i = p.detect().incident;
        assert_eq!(i.update_interval, Duration::from_secs(60));
        assert_eq!(i.close_after, Duration::from_secs(60));
        assert_eq!(i.max_alerts_per_hour, 0);
    }

    #[test]
    fn learning_may_be_turned_off() {
        let p = Policy::from_str("[learn]\nduration = \"0s\"\n", "p.toml");
        assert_eq!(p.ok().map(|p| p.learn().duration), Some(Duration::ZERO));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        // `é` is two bytes; the column of the bad value is still 18.
        assert_eq!(
            refusal("[[group]]\nname = \"café\"\nmatch = { cidr = [\"x\"] }\n"),
            "p.toml:3:19: bad CIDR `x`: `x` is not an IP address"
        );
        assert_eq!(
            refusal("[[group]]\nname = \"café\"\n  match = { cidr = [] }  # é\n"),
            "p.toml:3:11: empty group `café`: `match` needs at least one of cidr, address, mac, vendor"
        );
    }
}
