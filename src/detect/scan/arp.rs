//! ARP: sweeps (rule 5), and requests nobody answers, which are failed
//! first contacts for the walk (rule 1) and the failed-contact windows
//! (rule 6).
//!
//! A host sends an IP packet to an address of its own segment only once
//! ARP has resolved it. A probe of an address without a host therefore
//! never leaves as IP: the kernel sends up to three ARP requests a second
//! apart, then gives up. That unanswered request is the only trace of the
//! probe, so it is judged as a first contact that failed: an ARP request
//! from a camera for an address it never talked to, with no ARP reply from
//! that address and no flow between the two within [`ANSWER_WAIT`].

use std::net::IpAddr;

use serde_json::json;

use super::walk::{Contact, Outcome};
use super::{
    ANSWER_WAIT, ARP, CameraState, MAX_ARP_PENDING, MAX_ARP_PENDING_PER_CAMERA, RULE_ARP, Scan,
    insert_capped, ip_list, nanos, secs,
};
use crate::alert::Alert;
use crate::detect::Context;
use crate::observation::Arp;
use crate::timestamp::Timestamp;

/// An ARP request waiting for a reply.
#[derive(Debug, Clone, Copy)]
pub(super) struct ArpPending {
    pub(super) ts: Timestamp,
    pub(super) vlan: u16,
    pub(super) interface: u16,
}

impl Scan {
    pub(super) fn arp(&mut self, context: &Context<'_>, arp: &Arp, alerts: &mut Vec<Alert>) {
        let Arp {
            ts,
            operation,
            sender_ip: sender,
            target_ip: target,
            vlan,
            interface,
            ..
        } = *arp;
        // Any ARP packet from an address to a camera (a reply, or a request
        // of its own) shows a host there.
        if !sender.is_unspecified() {
            self.arp_answered(target, sender);
        }
        if operation == 2 {
            // A reply to the camera from one of the addresses it asked for.
            if let Some(state) = self.cameras.get_mut(&target)
                && state.arp.contains(&sender)
            {
                state.arp_replied.insert(sender, ());
            }
            return;
        }
        // Gratuitous ARP and RFC 5227 probes (sender 0.0.0.0, or asking for
        // its own address) announce or check the camera's own address.
        if operation != 1
            || sender.is_unspecified()
            || target.is_unspecified()
            || sender == target
            || !context.is_camera(sender)
        {
            return;
        }
        self.arp_request(sender, target, ts, (vlan, interface));
        let sweep = self.settings.arp_sweep;
        let window = nanos(sweep.window());
        let (now, realert) = (self.now, self.realert);
        let Some(state) = self.camera_mut(sender) else {
            return;
        };
        let CameraState {
            arp, arp_replied, ..
        } = state;
        arp.expire(ts, window, |gone| {
            arp_replied.remove(&gone);
        });
        if !arp.insert(target, ts)
            || arp.count() < u64::from(sweep.count())
            || !state.may_alert(ARP, now, realert)
        {
            return;
        }
        let mut alert = context.camera_alert(RULE_ARP, sender, now);
        alert.evidence_ts = ts;
        alert.vlan = (vlan != 0).then_some(vlan);
        alert.interface = Some(interface);
        let requested = state.arp.count();
        let answered = state.arp_replied.len() as u64;
        let e = &mut alert.evidence;
        e.insert(
            "reason".into(),
            json!(format!(
                "asked ARP for {requested} distinct addresses within {} s",
                secs(window)
            )),
        );
        e.insert("distinct_targets".into(), json!(requested));
        e.insert("threshold".into(), json!(sweep.count()));
        e.insert("window_s".into(), json!(secs(window)));
        let since = state.arp.oldest().unwrap_or(ts);
        e.insert("span_s".into(), json!(secs(ts.since(since))));
        e.insert("targets".into(), ip_list(state.arp.keys()));
        e.insert("answered".into(), json!(answered));
        e.insert("failures".into(), json!(requested.saturating_sub(answered)));
        insert_capped(e, state.capped());
        alerts.push(alert);
    }

    /// Starts waiting for a reply to `camera`'s request for `target`,
    /// unless the camera already talked to it or already waits for it.
    /// `(vlan, interface)`: where the request was seen.
    fn arp_request(
        &mut self,
        camera: IpAddr,
        target: IpAddr,
        ts: Timestamp,
        (vlan, interface): (u16, u16),
    ) {
        let key = (camera, target);
        let full = self.arp_pending.len() >= MAX_ARP_PENDING
            || self.arp_deadlines.len() >= MAX_ARP_PENDING;
        if self.arp_pending.contains_key(&key) {
            return;
        }
        let Some(state) = self.camera_mut(camera) else {
            return;
        };
        if state.contacted.contains_key(&target) {
            return;
        }
        if full || state.arp_pending >= MAX_ARP_PENDING_PER_CAMERA {
            // No room to wait: the outcome is lost, and counted.
            state.capped += 1;
            return;
        }
        state.arp_pending += 1;
        self.arp_pending.insert(
            key,
            ArpPending {
                ts,
                vlan,
                interface,
            },
        );
        self.arp_deadlines
            .push_back((ts.plus(ANSWER_WAIT), camera, target, ts));
    }

    /// `target` showed itself to `camera` (an ARP packet, a flow): the
    /// camera's request for it, if one waits, was answered.
    pub(super) fn arp_answered(&mut self, camera: IpAddr, target: IpAddr) {
        if self.arp_pending.remove(&(camera, target)).is_some()
            && let Some(state) = self.cameras.get_mut(&camera)
        {
            state.arp_pending = state.arp_pending.saturating_sub(1);
        }
    }

    /// The earliest waiting ARP request's wait is over: nothing answered.
    pub(super) fn expire_one_arp(&mut self, context: &Context<'_>, alerts: &mut Vec<Alert>) {
        let Some((_, camera, target, ts)) = self.arp_deadlines.pop_front() else {
            return;
        };
        let key = (camera, target);
        // An entry answered (and perhaps asked again) since is not this one.
        if self.arp_pending.get(&key).is_none_or(|p| p.ts != ts) {
            return;
        }
        let Some(pending) = self.arp_pending.remove(&key) else {
            return;
        };
        let Some(state) = self.cameras.get_mut(&camera) else {
            return;
        };
        state.arp_pending = state.arp_pending.saturating_sub(1);
        // The camera tried the address: asking again is no new contact (a
        // dead server retried forever is one failed target).
        if !state.remember(target) {
            return;
        }
        let contact = Contact {
            camera,
            dst: target,
            src_port: 0,
            port: 0,
            proto: 0,
            ts: pending.ts,
            vlan: pending.vlan,
            interface: pending.interface,
            arp: true,
        };
        self.step(context, contact, Outcome::ArpUnanswered, alerts);
        self.failed_contact(context, contact, Outcome::ArpUnanswered, alerts);
    }
}
