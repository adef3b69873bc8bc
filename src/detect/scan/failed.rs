//! Failed first contacts to distinct LAN hosts over long windows (rule 6):
//! slow sweeps.
//!
//! A first contact fails when the host refused it (TCP RST), an ICMP
//! unreachable came back, nothing answered a TCP or ICMP probe within
//! [`ANSWER_WAIT`](super::ANSWER_WAIT), or an ARP request for the address
//! went unanswered with no IP packet after it. Whether the host was an
//! allowed peer does not matter here, so the rule means the same with a
//! policy, with a learned baseline and while learning. A host counts once
//! per window whatever the camera does next; since a failed host is
//! remembered as contacted, retrying it is no new first contact at all.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::json;

use super::walk::{Contact, FAILURE_KINDS, Outcome};
use super::{
    ANSWER_WAIT, ARP, FAILED, HOSTS, MAX_FAILED_TARGETS, RULE_FAILED, Scan, insert_capped, ip_list,
    nanos, secs,
};
use crate::alert::Alert;
use crate::detect::Context;
use crate::detect::window::DistinctWindow;

/// One camera's failed targets, one window per `failed_contacts` threshold.
#[derive(Debug)]
pub(super) struct FailedTargets {
    pub(super) windows: Vec<DistinctWindow<IpAddr>>,
    /// How each target the longest window stores failed, and on which port.
    kinds: BTreeMap<IpAddr, (Outcome, Option<u16>)>,
}

impl FailedTargets {
    pub(super) fn new(windows: usize) -> FailedTargets {
        FailedTargets {
            windows: (0..windows)
                .map(|_| DistinctWindow::new(MAX_FAILED_TARGETS))
                .collect(),
            kinds: BTreeMap::new(),
        }
    }

    /// Targets counted but not stored.
    pub(super) fn dropped(&self) -> u64 {
        self.windows.iter().map(|w| w.dropped).sum()
    }

    /// Stored targets and kinds, for the memory tests.
    #[cfg(test)]
    pub(super) fn stored(&self) -> (usize, usize) {
        let most = self.windows.iter().map(|w| w.len()).max().unwrap_or(0);
        (most, self.kinds.len())
    }
}

impl Scan {
    /// Counts a failed first contact of `contact.camera`; alerts when a
    /// window reaches its threshold.
    pub(super) fn failed_contact(
        &mut self,
        context: &Context<'_>,
        contact: Contact,
        outcome: Outcome,
        alerts: &mut Vec<Alert>,
    ) {
        let (now, realert) = (self.now, self.realert);
        // When the failure became known: the answer, or the end of the
        // wait (the first packet after it may come much later). Outcomes
        // are settled in that order, so each window stays in time order.
        let known = now.min(contact.ts.plus(ANSWER_WAIT));
        let thresholds = &self.settings.failed_contacts;
        let Some(state) = self.cameras.get_mut(&contact.camera) else {
            return;
        };
        let FailedTargets { windows, kinds } = &mut state.failed;
        let longest = windows.len().saturating_sub(1);
        let port = contact.has_ports().then_some(contact.port);
        let mut crossed = None;
        for (i, (threshold, window)) in thresholds.iter().zip(windows.iter_mut()).enumerate() {
            window.expire(known, nanos(threshold.window()), |gone| {
                if i == longest {
                    kinds.remove(&gone);
                }
            });
            let new = window.insert(contact.dst, known);
            if i == longest && new && window.contains(&contact.dst) {
                kinds.insert(contact.dst, (outcome, port));
            }
            if new && crossed.is_none() && window.count() >= u64::from(threshold.count()) {
                crossed = Some(i);
            }
        }
        let Some(i) = crossed else {
            return;
        };
        // A fast sweep (rule 2 or 5) fills these windows too: reported once.
        if state.alerted_within(HOSTS, now, realert)
            || state.alerted_within(ARP, now, realert)
            || !state.may_alert(FAILED, now, realert)
        {
            return;
        }
        let threshold = thresholds[i];
        let window_nanos = nanos(threshold.window());
        let window = &state.failed.windows[i];
        let mut by_kind = [0u64; FAILURE_KINDS.len()];
        let mut ports = std::collections::BTreeSet::new();
        for target in window.keys() {
            if let Some((kind, port)) = state.failed.kinds.get(target) {
                if let Some(k) = FAILURE_KINDS.iter().position(|(o, _)| o == kind) {
                    by_kind[k] += 1;
                }
                if let Some(port) = port {
                    ports.insert(*port);
                }
            }
        }
        let mut alert = context.camera_alert(RULE_FAILED, contact.camera, now);
        alert.evidence_ts = contact.ts;
        alert.vlan = (contact.vlan != 0).then_some(contact.vlan);
        alert.interface = Some(contact.interface);
        let e = &mut alert.evidence;
        e.insert(
            "reason".into(),
            json!(format!(
                "first contacts to {} distinct LAN hosts failed within {} s",
                window.count(),
                secs(window_nanos)
            )),
        );
        e.insert("failed_targets".into(), json!(window.count()));
        e.insert("threshold".into(), json!(threshold.count()));
        e.insert("window_s".into(), json!(secs(window_nanos)));
        let since = window.oldest().unwrap_or(known);
        e.insert("span_s".into(), json!(secs(known.since(since))));
        // Kinds other than `not_allowed`: the allowlist plays no part here.
        for ((_, name), n) in FAILURE_KINDS.iter().zip(by_kind).skip(1) {
            e.insert((*name).into(), json!(n));
        }
        e.insert("targets".into(), ip_list(window.keys()));
        e.insert(
            "ports".into(),
            json!(ports.into_iter().take(super::SAMPLE).collect::<Vec<_>>()),
        );
        insert_capped(e, state.capped());
        alerts.push(alert);
    }
}
