//! TCP probes of Internet addresses (rule 7): a worm looking for victims.
//!
//! Mirai and its descendants send SYNs to random Internet addresses on a
//! few ports (telnet 23 and 2323, HTTP 80 and 8080, ADB 5555, TR-069 7547,
//! the Huawei and Realtek UPnP exploits on 37215 and 52869). Most random
//! addresses have no host, so most probes go unanswered. A camera's own
//! Internet peers are few (a vendor cloud, NTP, a CDN) and answer, and a
//! dead one retried is a single address. So the rule counts, per camera and
//! over a window, the distinct Internet addresses whose first TCP probe got
//! no answer: refused (RST), unreachable (ICMP), silent, or still waiting.
//! A probe stops counting the moment its SYN-ACK arrives, so answered
//! probes never accumulate, while a burst of probes reaches the threshold
//! on the probe that crosses it without waiting for time-outs.
//!
//! Only TCP flows a camera opens count (not UDP: P2P cameras talk to many
//! relays), to addresses outside `[site] internal`, whatever the allowlist
//! says. Egress alerts for the same probes are the egress detector's.

use std::net::IpAddr;

use serde_json::json;

use super::walk::{Contact, set_flow};
use super::{
    ANSWER_WAIT, INTERNET, MAX_INTERNET_STORED, MAX_INTERNET_TARGETS, RULE_INTERNET, SAMPLE, Scan,
    insert_capped, nanos, round3, secs,
};
use crate::alert::Alert;
use crate::detect::Context;
use crate::net::IpProto;
use crate::observation::{FlowId, FlowStart};
use crate::small_map::SmallMap;
use crate::timestamp::Timestamp;

/// Ports listed in evidence, the most probed first.
const TOP_PORTS: usize = 10;

/// What came back for a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reply {
    Waiting,
    Answered,
    Refused,
    Unreachable,
}

/// The first probe of one address within the window.
#[derive(Debug, Clone, Copy)]
pub(super) struct Probe {
    id: FlowId,
    ts: Timestamp,
    port: u16,
    reply: Reply,
}

/// One camera's Internet probes over the window.
#[derive(Debug, Default)]
pub(super) struct InternetProbes {
    /// Probed addresses (at most [`MAX_INTERNET_TARGETS`]); entries leave
    /// through `Scan::internet_order`.
    targets: SmallMap<IpAddr, Probe>,
    /// Stored targets without an answer.
    not_answered: u64,
    /// New targets probed while full: counted as not answered, not stored,
    /// and forgotten a window after the last of them.
    overflow: u64,
    overflow_last: Timestamp,
    /// Stored targets per destination port.
    ports: SmallMap<u16, u64>,
    /// Targets not stored because a bound was hit (never reset).
    pub(super) dropped: u64,
}

impl InternetProbes {
    /// Distinct addresses probed within the window.
    fn distinct(&self) -> u64 {
        self.targets.len() as u64 + self.overflow
    }

    /// Distinct addresses that did not answer.
    fn not_answered(&self) -> u64 {
        self.not_answered + self.overflow
    }

    /// Forgets `ip` when it is the entry probed at `ts`.
    fn forget(&mut self, ip: IpAddr, ts: Timestamp) -> bool {
        if self.targets.get(&ip).is_none_or(|p| p.ts != ts) {
            return false;
        }
        let Some(probe) = self.targets.remove(&ip) else {
            return false;
        };
        if probe.reply != Reply::Answered {
            self.not_answered = self.not_answered.saturating_sub(1);
        }
        if let Some(n) = self.ports.get_mut(&probe.port) {
            *n -= 1;
            if *n == 0 {
                self.ports.remove(&probe.port);
            }
        }
        true
    }

    /// Records what came back for the probe `id` of `ip`.
    fn reply(&mut self, ip: IpAddr, id: FlowId, reply: Reply) -> bool {
        let Some(probe) = self.targets.get_mut(&ip) else {
            return false;
        };
        if probe.id != id || probe.reply != Reply::Waiting {
            return false;
        }
        probe.reply = reply;
        if reply == Reply::Answered {
            self.not_answered = self.not_answered.saturating_sub(1);
        }
        true
    }

    /// Stored entries, for the memory tests.
    #[cfg(test)]
    pub(super) fn stored(&self) -> (usize, usize) {
        (self.targets.len(), self.ports.len())
    }
}

impl Scan {
    /// A camera's flow to an Internet address.
    pub(super) fn internet_probe(
        &mut self,
        context: &Context<'_>,
        start: &FlowStart,
        alerts: &mut Vec<Alert>,
    ) {
        if start.proto != IpProto::TCP {
            return;
        }
        let (camera, dst) = (start.initiator.ip, start.responder.ip);
        let threshold = self.settings.internet_scan;
        let window = nanos(threshold.window());
        let (now, realert) = (self.now, self.realert);
        self.expire_internet(window);
        if self.camera_mut(camera).is_none() {
            return;
        }
        let global_full = self.internet_order.len() >= MAX_INTERNET_STORED;
        let Some(state) = self.cameras.get_mut(&camera) else {
            return;
        };
        let probes = &mut state.internet;
        if probes.overflow > 0 && now.since(probes.overflow_last) > window {
            probes.overflow = 0;
        }
        if probes.targets.contains_key(&dst) {
            return;
        }
        if global_full || probes.targets.len() >= MAX_INTERNET_TARGETS {
            probes.overflow += 1;
            probes.overflow_last = now;
            probes.dropped += 1;
        } else {
            probes.targets.insert(
                dst,
                Probe {
                    id: start.id,
                    ts: start.ts,
                    port: start.responder.port,
                    reply: Reply::Waiting,
                },
            );
            probes.not_answered += 1;
            *probes.ports.get_or_insert_with(start.responder.port, || 0) += 1;
            self.internet_order.push_back((start.ts, camera, dst));
        }
        if probes.not_answered() < u64::from(threshold.count())
            || !state.may_alert(INTERNET, now, realert)
        {
            return;
        }
        let probes = &state.internet;
        let contact = Contact::of_flow(start);
        let mut alert = context.camera_alert(RULE_INTERNET, camera, now);
        alert.evidence_ts = start.ts;
        alert.vlan = (start.vlan != 0).then_some(start.vlan);
        alert.interface = Some(start.interface);
        set_flow(&mut alert, &contact);
        // Answered, refused, unreachable, unanswered (waited longer than
        // the answer wait), pending.
        let mut counts = [0u64; 5];
        for probe in probes.targets.values() {
            let k = match probe.reply {
                Reply::Answered => 0,
                Reply::Refused => 1,
                Reply::Unreachable => 2,
                Reply::Waiting if now.since(probe.ts) >= ANSWER_WAIT => 3,
                Reply::Waiting => 4,
            };
            counts[k] += 1;
        }
        let mut top: Vec<(u16, u64)> = probes.ports.iter().map(|(p, n)| (*p, *n)).collect();
        top.sort_by_key(|(port, n)| (std::cmp::Reverse(*n), *port));
        top.truncate(TOP_PORTS);
        let mut order: Vec<(Timestamp, IpAddr)> =
            probes.targets.iter().map(|(ip, p)| (p.ts, *ip)).collect();
        order.sort();
        let e = &mut alert.evidence;
        e.insert(
            "reason".into(),
            json!(format!(
                "{} of {} distinct Internet addresses probed over TCP within {} s did not answer",
                probes.not_answered(),
                probes.distinct(),
                secs(window)
            )),
        );
        e.insert("distinct_destinations".into(), json!(probes.distinct()));
        e.insert("not_answered".into(), json!(probes.not_answered()));
        e.insert("threshold".into(), json!(threshold.count()));
        e.insert("window_s".into(), json!(secs(window)));
        let since = order.first().map_or(start.ts, |(ts, _)| *ts);
        e.insert("span_s".into(), json!(secs(start.ts.since(since))));
        e.insert("answered".into(), json!(counts[0]));
        e.insert("refused".into(), json!(counts[1]));
        e.insert("unreachable".into(), json!(counts[2]));
        e.insert("unanswered".into(), json!(counts[3]));
        e.insert("pending".into(), json!(counts[4]));
        let stored = probes.targets.len().max(1) as f64;
        e.insert(
            "answer_ratio".into(),
            json!(round3(counts[0] as f64 / stored)),
        );
        e.insert(
            "top_ports".into(),
            json!(
                top.iter()
                    .map(|(port, n)| json!({"port": port, "count": n}))
                    .collect::<Vec<_>>()
            ),
        );
        e.insert(
            "targets".into(),
            json!(
                order
                    .iter()
                    .take(SAMPLE)
                    .map(|(_, ip)| ip.to_string())
                    .collect::<Vec<_>>()
            ),
        );
        insert_capped(e, state.capped());
        alerts.push(alert);
    }

    /// Forgets Internet probes older than the window, every camera's.
    fn expire_internet(&mut self, window: u64) {
        while let Some(&(ts, camera, ip)) = self.internet_order.front() {
            if self.now.since(ts) <= window {
                break;
            }
            self.internet_order.pop_front();
            if let Some(state) = self.cameras.get_mut(&camera) {
                state.internet.forget(ip, ts);
            }
        }
    }

    /// The first answer of flow `id`, if it is a camera's Internet probe.
    pub(super) fn internet_reply(&mut self, id: FlowId, reply: Reply) {
        let (lo, hi) = (id.key.addr_lo, id.key.addr_hi);
        for (camera, dst) in [(lo, hi), (hi, lo)] {
            if let Some(state) = self.cameras.get_mut(&camera)
                && state.internet.reply(dst, id, reply)
            {
                return;
            }
        }
    }

    /// An ICMP unreachable for a camera's TCP probe of `dst:port`.
    pub(super) fn internet_unreachable(
        &mut self,
        camera: IpAddr,
        dst: IpAddr,
        port: u16,
        proto: u8,
    ) {
        if proto != IpProto::TCP {
            return;
        }
        if let Some(state) = self.cameras.get_mut(&camera)
            && let Some(probe) = state.internet.targets.get(&dst).copied()
            && probe.port == port
        {
            state.internet.reply(dst, probe.id, Reply::Unreachable);
        }
    }
}
