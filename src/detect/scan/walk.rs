//! Threshold Random Walk over first-contact outcomes (rule 1).

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde_json::json;

use super::{
    ANSWER_WAIT, EPSILON, MAX_OUTCOMES, MAX_PENDING, MAX_PENDING_PER_CAMERA, RULE_TRW, SAMPLE,
    Scan, TRW, has_ports, insert_capped, ip_list, nanos, round3, secs,
};
use crate::alert::Alert;
use crate::detect::Context;
use crate::flow::community_id::community_id_v1;
use crate::flow::record::transport_name;
use crate::net::IpProto;
use crate::observation::{FlowId, FlowStart};
use crate::timestamp::Timestamp;

/// What became of a first contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Success,
    /// The destination is not an allowed peer (whatever it answered).
    NotAllowed,
    /// TCP RST without SYN-ACK.
    Refused,
    /// An ICMP destination unreachable quoted the probe.
    Unreachable,
    /// Nothing answered within the wait or before the flow ended.
    Unanswered,
    /// An ARP request for an address the camera never talked to that
    /// nothing answered, and no IP packet followed: a probe of an address
    /// without a host.
    ArpUnanswered,
}

/// Failure kinds in evidence order.
pub(super) const FAILURE_KINDS: [(Outcome, &str); 5] = [
    (Outcome::NotAllowed, "not_allowed"),
    (Outcome::Refused, "refused"),
    (Outcome::Unreachable, "unreachable"),
    (Outcome::Unanswered, "unanswered"),
    (Outcome::ArpUnanswered, "arp_unanswered"),
];

/// What was seen of a first contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    Answered,
    Refused,
    Unreachable,
    Unanswered,
}

/// A first contact waiting for its outcome.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pending {
    pub(super) id: FlowId,
    /// The walk already took the contact as a failure (the host is not an
    /// allowed peer); the outcome only counts for the failed-contact
    /// windows.
    pub(super) judged: bool,
    pub(super) src_port: u16,
    pub(super) port: u16,
    pub(super) proto: u8,
    pub(super) ts: Timestamp,
    pub(super) vlan: u16,
    pub(super) interface: u16,
}

/// One camera's threshold random walk since it last started over.
#[derive(Debug, Default, Clone)]
pub(super) struct Walk {
    /// Natural logarithm of the likelihood ratio (0: ratio 1).
    pub(super) log_ratio: f64,
    /// Packet time of the walk's first and latest first contact.
    pub(super) started: Option<Timestamp>,
    pub(super) last: Timestamp,
    pub(super) successes: u32,
    pub(super) failures: u32,
    /// Failures per kind, in [`FAILURE_KINDS`] order.
    pub(super) kinds: [u32; 5],
    /// Failed targets and ports, the first [`SAMPLE`], in outcome order.
    pub(super) targets: Vec<IpAddr>,
    pub(super) ports: BTreeSet<u16>,
}

/// A first contact, as the walk needs it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Contact {
    pub(super) camera: IpAddr,
    pub(super) dst: IpAddr,
    pub(super) src_port: u16,
    pub(super) port: u16,
    pub(super) proto: u8,
    pub(super) ts: Timestamp,
    pub(super) vlan: u16,
    pub(super) interface: u16,
    /// An ARP request rather than a flow (no ports, no transport).
    pub(super) arp: bool,
}

impl Contact {
    /// The IP contact a flow start made.
    pub(super) fn of_flow(start: &FlowStart) -> Contact {
        Contact {
            camera: start.initiator.ip,
            dst: start.responder.ip,
            src_port: start.initiator.port,
            port: start.responder.port,
            proto: start.proto,
            ts: start.ts,
            vlan: start.vlan,
            interface: start.interface,
            arp: false,
        }
    }

    /// Whether the contact has ports worth reporting.
    pub(super) fn has_ports(&self) -> bool {
        !self.arp && has_ports(self.proto)
    }
}

impl Scan {
    /// The earliest pending first contact's wait is over: unanswered.
    pub(super) fn expire_one_pending(&mut self, context: &Context<'_>, alerts: &mut Vec<Alert>) {
        if let Some((_, camera, dst, id)) = self.deadlines.pop_front() {
            self.resolve_if(
                context,
                (camera, dst),
                |p| p.id == id,
                Answer::Unanswered,
                alerts,
            );
        }
    }

    /// Resolves the pending first contact of `key` when `matches` accepts it.
    pub(super) fn resolve_if(
        &mut self,
        context: &Context<'_>,
        key: (IpAddr, IpAddr),
        matches: impl Fn(&Pending) -> bool,
        answer: Answer,
        alerts: &mut Vec<Alert>,
    ) -> bool {
        if !self.pending.get(&key).is_some_and(matches) {
            return false;
        }
        let Some(pending) = self.pending.remove(&key) else {
            return false;
        };
        let (camera, dst) = key;
        if let Some(state) = self.cameras.get_mut(&camera) {
            state.pending = state.pending.saturating_sub(1);
        }
        let outcome = match answer {
            Answer::Answered => Outcome::Success,
            Answer::Refused => Outcome::Refused,
            Answer::Unreachable => Outcome::Unreachable,
            // Connectionless peers often never answer (RTP, syslog, traps).
            Answer::Unanswered if pending.proto == IpProto::UDP => Outcome::Success,
            Answer::Unanswered => Outcome::Unanswered,
        };
        let contact = Contact {
            camera,
            dst,
            src_port: pending.src_port,
            port: pending.port,
            proto: pending.proto,
            ts: pending.ts,
            vlan: pending.vlan,
            interface: pending.interface,
            arp: false,
        };
        if !pending.judged {
            self.step(context, contact, outcome, alerts);
        }
        if outcome != Outcome::Success {
            self.failed_contact(context, contact, outcome, alerts);
        }
        true
    }

    /// One TRW step for a first contact's outcome.
    pub(super) fn step(
        &mut self,
        context: &Context<'_>,
        contact: Contact,
        outcome: Outcome,
        alerts: &mut Vec<Alert>,
    ) {
        let now = self.now;
        let realert = self.realert;
        let idle = nanos(self.settings.distinct_hosts_long.window());
        let (log_success, log_failure) = (self.log_success, self.log_failure);
        let (log_eta1, log_eta0) = (self.log_eta1, self.log_eta0);
        let Some(state) = self.cameras.get_mut(&contact.camera) else {
            return;
        };
        let failed = outcome != Outcome::Success;
        if state.outcomes.len() >= MAX_OUTCOMES {
            state.outcomes.pop_front();
            state.capped += 1;
        }
        while state
            .outcomes
            .front()
            .is_some_and(|(ts, _)| now.since(*ts) > idle)
        {
            state.outcomes.pop_front();
        }
        state.outcomes.push_back((contact.ts, failed));

        if state.walk.started.is_some() && contact.ts.since(state.walk.last) > idle {
            state.walk = Walk::default();
        }
        let walk = &mut state.walk;
        walk.started.get_or_insert(contact.ts);
        walk.last = walk.last.max(contact.ts);
        if failed {
            walk.failures += 1;
            walk.log_ratio += log_failure;
            if let Some(k) = FAILURE_KINDS.iter().position(|(o, _)| *o == outcome) {
                walk.kinds[k] += 1;
            }
            if walk.targets.len() < SAMPLE {
                walk.targets.push(contact.dst);
            }
            if contact.has_ports() && walk.ports.len() < SAMPLE {
                walk.ports.insert(contact.port);
            }
        } else {
            walk.successes += 1;
            walk.log_ratio += log_success;
        }
        if walk.log_ratio >= log_eta1 - EPSILON {
            let walk = std::mem::take(&mut state.walk);
            if !state.may_alert(TRW, now, realert) {
                return;
            }
            let capped = state.capped();
            let mut alert = context.camera_alert(RULE_TRW, contact.camera, now);
            alert.evidence_ts = contact.ts;
            alert.vlan = (contact.vlan != 0).then_some(contact.vlan);
            alert.interface = Some(contact.interface);
            alert.destination_ip = Some(contact.dst);
            if !contact.arp {
                set_flow(&mut alert, &contact);
            }
            let ratio = walk.log_ratio.exp();
            let threshold = log_eta1.exp();
            let e = &mut alert.evidence;
            e.insert(
                "reason".into(),
                json!(format!(
                    "{} of {} first contacts to LAN hosts failed: likelihood ratio {:.0} reached {:.0}",
                    walk.failures,
                    walk.failures + walk.successes,
                    ratio,
                    threshold
                )),
            );
            e.insert(
                "first_contacts".into(),
                json!(walk.failures + walk.successes),
            );
            e.insert("failures".into(), json!(walk.failures));
            e.insert("successes".into(), json!(walk.successes));
            for ((_, name), n) in FAILURE_KINDS.iter().zip(walk.kinds) {
                e.insert((*name).into(), json!(n));
            }
            e.insert("likelihood_ratio".into(), json!(round3(ratio)));
            e.insert("likelihood_threshold".into(), json!(round3(threshold)));
            e.insert("targets".into(), ip_list(walk.targets.iter()));
            e.insert("ports".into(), json!(walk.ports));
            let started = walk.started.unwrap_or(contact.ts);
            e.insert("span_s".into(), json!(secs(contact.ts.since(started))));
            insert_capped(e, capped);
            alerts.push(alert);
        } else if walk.log_ratio <= log_eta0 + EPSILON {
            state.walk = Walk::default();
        }
    }

    /// Queues a first contact until its outcome is known; `judged` when
    /// the walk already counted it.
    pub(super) fn wait_for_outcome(&mut self, id: FlowId, contact: Contact, judged: bool) {
        let key = (contact.camera, contact.dst);
        let full = self.pending.len() >= MAX_PENDING || self.deadlines.len() >= MAX_PENDING;
        let Some(state) = self.cameras.get_mut(&contact.camera) else {
            return;
        };
        if self.pending.contains_key(&key) {
            return;
        }
        if full || state.pending >= MAX_PENDING_PER_CAMERA {
            // No room to wait: the outcome is lost, and counted.
            state.capped += 1;
            return;
        }
        state.pending += 1;
        self.pending.insert(
            key,
            Pending {
                id,
                judged,
                src_port: contact.src_port,
                port: contact.port,
                proto: contact.proto,
                ts: contact.ts,
                vlan: contact.vlan,
                interface: contact.interface,
            },
        );
        self.deadlines.push_back((
            contact.ts.plus(ANSWER_WAIT),
            contact.camera,
            contact.dst,
            id,
        ));
    }
}

/// Names the flow of `contact` on `alert` (ports, transport, Community ID),
/// so the alert pivots to it in Zeek, Suricata or Arkime.
pub(super) fn set_flow(alert: &mut Alert, contact: &Contact) {
    let ports = has_ports(contact.proto);
    alert.source_port = ports.then_some(contact.src_port);
    alert.destination_ip = Some(contact.dst);
    alert.destination_port = ports.then_some(contact.port);
    alert.transport = Some(transport_name(contact.proto));
    alert.community_id = Some(community_id_v1(
        0,
        contact.proto,
        contact.camera,
        contact.dst,
        contact.src_port,
        contact.port,
        false,
    ));
}
