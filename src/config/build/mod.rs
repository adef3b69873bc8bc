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
    AllowRule, CameraRef, DetectSettings, EgressSettings, ExfilSettings, Group, InboundRule,
    IncidentSettings, LearnSettings, MAX_THRESHOLDS, Policy, PortRange, Role, RulePattern,
    ScanSettings, Selector, Site, Suppression, TamperSettings, Target, Transport,
};
use super::raw::{
    AllowSection, DetectSection, GroupSection, InboundSection, LearnSection, MatchSection,
    PolicyFile, SiteSection, SpannedList, SuppressSection,
};
use crate::alert::RULE_IDS;
use crate::vendor as oui;

mod rules;
mod values;

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

    fn tamper(&self, raw: crate::config::raw::TamperSection) -> Result<TamperSettings> {
        let mut t = TamperSettings::default();
        if let Some(d) = &raw.dark_after {
            t.dark_after = self.duration(d, false)?;
        }
        if let Some(d) = &raw.interrupted_after {
            t.interrupted_after = self.duration(d, false)?;
            if t.interrupted_after >= t.dark_after {
                return Err(self.err(
                    d.span(),
                    "`interrupted_after` must be shorter than `dark_after`".to_string(),
                ));
            }
        }
        t.continuous = raw.continuous.unwrap_or_default();
        t.motion = raw.motion.unwrap_or_default();
        Ok(t)
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
        d.tamper = self.tamper(raw.tamper)?;
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
}

#[cfg(test)]
mod tests;
