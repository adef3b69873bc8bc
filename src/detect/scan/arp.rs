//! ARP sweeps (rule 5).

use serde_json::json;

use super::{ARP, CameraState, RULE_ARP, Scan, insert_capped, ip_list, nanos, secs};
use crate::alert::Alert;
use crate::detect::Context;
use crate::observation::Observation;

impl Scan {
    pub(super) fn arp(
        &mut self,
        context: &Context<'_>,
        observation: &Observation,
        alerts: &mut Vec<Alert>,
    ) {
        let Observation::Arp {
            ts,
            operation,
            sender_ip,
            target_ip,
            vlan,
            ..
        } = observation
        else {
            return;
        };
        let (ts, sender, target) = (*ts, *sender_ip, *target_ip);
        if *operation == 2 {
            // A reply to the camera from one of the addresses it asked for.
            if let Some(state) = self.cameras.get_mut(&target)
                && state.arp.contains(&sender)
            {
                state.arp_replied.insert(sender);
            }
            return;
        }
        if *operation != 1
            || sender.is_unspecified()
            || target.is_unspecified()
            || sender == target
            || !context.is_camera(sender)
            || context.is_learning(sender, ts)
        {
            return;
        }
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
        alert.vlan = (*vlan != 0).then_some(*vlan);
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
        insert_capped(e, state.capped);
        alerts.push(alert);
    }
}
