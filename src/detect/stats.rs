//! Detection counters: alerts per category and rule, detection delays,
//! and what the policy's tuning (group `disable` and `severity`,
//! `[[suppress]]` entries) dropped, per entry across reloads.

use hdrhistogram::Histogram;

use crate::alert::{Alert, Category};
use crate::config::Policy;
use crate::config::policy::{Group, RulePattern, Suppression};

/// Matches one `[[suppress]]` entry dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct SuppressCount {
    /// 1-based position of the entry in the policy that held it.
    pub number: usize,
    pub entry: Suppression,
    pub matches: u64,
    /// False for an entry a policy reload removed: its count is kept.
    pub in_policy: bool,
}

/// Matches one `disable` entry of a group dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct DisableCount {
    pub group: String,
    pub rule: RulePattern,
    pub matches: u64,
}

/// Per-category alert counts and detection delays.
pub struct DetectionStats {
    pub alerts: [u64; Category::ALL.len()],
    /// Informational events written (ECS `event.kind: "event"`), not
    /// alerts.
    pub events: u64,
    /// Observations no detector could care about (`detect::relevance`):
    /// neither endpoint a camera or a recorder, nor possibly one.
    pub skipped: u64,
    /// Observations the workers kept back for the same reason, before they
    /// reached the engine (`pipeline::watch`).
    pub held_back: u64,
    /// Alerts per rule id.
    pub by_rule: std::collections::BTreeMap<&'static str, u64>,
    /// Packet-time delay (microseconds) between the evidence that crossed a
    /// threshold and the alert, per category.
    pub delay_us: [Histogram<u64>; Category::ALL.len()],
    /// Per `[[suppress]]` entry of the policy in force, in file order, then
    /// entries that a reload removed after they had dropped matches.
    pub suppressed: Vec<SuppressCount>,
    /// Per group `disable` entry (of the policy in force, then removed ones
    /// that had dropped matches).
    pub disabled: Vec<DisableCount>,
}

impl DetectionStats {
    /// Matches the policy dropped, by suppression entries and group
    /// `disable` lists together.
    pub fn policy_dropped(&self) -> u64 {
        self.suppressed.iter().map(|c| c.matches).sum::<u64>()
            + self.disabled.iter().map(|c| c.matches).sum::<u64>()
    }

    /// Lines up the counters with `policy`'s entries: an entry equal to one
    /// of the previous policy keeps its count; removed entries that counted
    /// something are kept after the current ones.
    pub(super) fn track_policy(&mut self, policy: &Policy) {
        let mut old = std::mem::take(&mut self.suppressed);
        let mut next: Vec<SuppressCount> = Vec::with_capacity(policy.suppressions().len());
        for (index, entry) in policy.suppressions().iter().enumerate() {
            let matches = old
                .iter()
                .position(|c| c.in_policy && c.entry == *entry)
                .map_or(0, |at| old.remove(at).matches);
            next.push(SuppressCount {
                number: index + 1,
                entry: entry.clone(),
                matches,
                in_policy: true,
            });
        }
        next.extend(
            old.into_iter()
                .filter(|c| c.matches > 0)
                .map(|c| SuppressCount {
                    in_policy: false,
                    ..c
                }),
        );
        self.suppressed = next;

        let mut old = std::mem::take(&mut self.disabled);
        for group in policy.groups() {
            for rule in group.disabled() {
                let matches = old
                    .iter()
                    .position(|c| c.group == group.name() && c.rule == *rule)
                    .map_or(0, |at| old.remove(at).matches);
                self.disabled.push(DisableCount {
                    group: group.name().to_string(),
                    rule: rule.clone(),
                    matches,
                });
            }
        }
        self.disabled
            .extend(old.into_iter().filter(|c| c.matches > 0));
    }

    /// Applies the policy's tuning to a detector match: false when a
    /// group's `disable` or a `[[suppress]]` entry drops it (counted), else
    /// the group's severity override, if any, is set on it.
    pub(super) fn tune(&mut self, policy: &Policy, alert: &mut Alert) -> bool {
        let group = alert
            .camera
            .group
            .as_deref()
            .and_then(|name| policy.group(name));
        if let Some(group) = group
            && let Some(rule) = group.disables(alert.rule.id)
        {
            match self
                .disabled
                .iter_mut()
                .find(|c| c.group == group.name() && c.rule == *rule)
            {
                Some(count) => count.matches += 1,
                None => self.disabled.push(DisableCount {
                    group: group.name().to_string(),
                    rule: rule.clone(),
                    matches: 1,
                }),
            }
            return false;
        }
        if let Some(index) = policy.suppression_for(alert, group.map(Group::name)) {
            // Current entries come first, in policy order.
            if let Some(count) = self.suppressed.get_mut(index) {
                count.matches += 1;
            }
            return false;
        }
        if let Some(severity) = group.and_then(|g| g.severity_for(alert.rule.id)) {
            alert.rule.severity = severity;
        }
        true
    }
}

impl Default for DetectionStats {
    fn default() -> Self {
        let histogram = || Histogram::new_with_bounds(1, 86_400_000_000, 3).expect("static bounds");
        DetectionStats {
            alerts: [0; Category::ALL.len()],
            events: 0,
            skipped: 0,
            held_back: 0,
            by_rule: std::collections::BTreeMap::new(),
            delay_us: std::array::from_fn(|_| histogram()),
            suppressed: Vec::new(),
            disabled: Vec::new(),
        }
    }
}

pub fn category_index(category: Category) -> usize {
    match category {
        Category::Egress => 0,
        Category::Scan => 1,
        Category::Exfil => 2,
        Category::Sensor => 3,
        Category::Exposure => 4,
        Category::Tamper => 5,
    }
}
