//! Flows a camera starts: distinct LAN hosts and ports (rules 2 to 4), and
//! the first contacts the walk and the failed-contact windows judge.

use serde_json::json;

use super::walk::{Contact, Outcome};
use super::{
    HOSTS, MAX_PORTS_PER_HOST, PORTS, RULE_HOSTS, RULE_PORTS, RULE_SLOW, SLOW, Scan, has_ports,
    insert_capped, ip_list, is_group_mac, looks_like_reply, nanos, port_lists, secs,
};
use crate::alert::Alert;
use crate::detect::window::DistinctWindow;
use crate::detect::{Context, is_local_scope};
use crate::observation::FlowStart;
use crate::timestamp::Timestamp;

/// Whether a flow start is a probe: its first packet opened the
/// connection. A flow first seen mid-stream (running before the capture
/// started, or its opening otherwise missed) is a conversation the camera
/// already had, not a probe; so is a UDP flow whose first datagram is RTP
/// (a stream set up before the capture: no probe carries media).
fn is_probe_start(start: &FlowStart) -> bool {
    !start.icmp_one_way && !start.midstream && !start.media
}

/// Ports probed on one host.
#[derive(Debug)]
pub(super) struct HostPorts {
    pub(super) ports: DistinctWindow<(u8, u16)>,
    /// Ports an ICMP unreachable was received for.
    pub(super) unreachable: DistinctWindow<(u8, u16)>,
    pub(super) last: Timestamp,
}

impl HostPorts {
    pub(super) fn new() -> HostPorts {
        HostPorts {
            ports: DistinctWindow::new(MAX_PORTS_PER_HOST),
            unreachable: DistinctWindow::new(MAX_PORTS_PER_HOST),
            last: Timestamp::ZERO,
        }
    }
}

impl Scan {
    /// A flow's first packet: who knows whom, then, for a camera's probe,
    /// the LAN windows, the walk, or the Internet probe count.
    pub(super) fn flow_start(
        &mut self,
        context: &Context<'_>,
        start: &FlowStart,
        alerts: &mut Vec<Alert>,
    ) {
        let probe = is_probe_start(start);
        let FlowStart {
            id,
            ts,
            initiator,
            responder,
            proto,
            vlan,
            interface,
            ..
        } = *start;
        let (camera, dst) = (initiator.ip, responder.ip);
        if camera == dst || !context.policy.is_internal(camera) {
            return;
        }
        // A host that started a flow to a camera is someone the camera
        // knows: its later flows to that host are not first contacts, and
        // an ARP request the camera sent for it was answered.
        if context.policy.is_internal(dst)
            && (self.cameras.contains_key(&dst) || context.is_camera(dst))
            && let Some(state) = self.camera_mut(dst)
        {
            state.remember(camera);
        }
        self.arp_answered(dst, camera);
        // An IP packet followed the camera's ARP request: the request was
        // answered, and the flow is the contact to judge.
        self.arp_answered(camera, dst);
        if is_local_scope(dst)
            || is_group_mac(responder.mac)
            || looks_like_reply(proto, initiator.port, responder.port)
            || !context.is_camera(camera)
        {
            return;
        }
        if !context.policy.is_internal(dst) {
            if probe {
                self.internet_probe(context, start, alerts);
            }
            return;
        }
        let short = self.settings.distinct_hosts;
        let long = self.settings.distinct_hosts_long;
        let ports_window = self.settings.distinct_ports;
        let (short_w, long_w, ports_w) = (
            nanos(short.window()),
            nanos(long.window()),
            nanos(ports_window.window()),
        );
        let realert = self.realert;
        let now = self.now;
        let Some(state) = self.camera_mut(camera) else {
            return;
        };
        let first = state.remember(dst);
        if !probe {
            // A conversation from before the capture: the camera knows the
            // host, and nothing here was a probe.
            return;
        }
        let contact = Contact::of_flow(start);

        // Distinct hosts, short and long window.
        state.hosts_short.expire(ts, short_w, |_| {});
        state.hosts_long.expire(ts, long_w, |_| {});
        state.ports_short.expire(ts, short_w, |_| {});
        state.ports_long.expire(ts, long_w, |_| {});
        let new_short = state.hosts_short.insert(dst, ts);
        let new_long = state.hosts_long.insert(dst, ts);
        if has_ports(proto) {
            state.ports_short.insert((proto, responder.port), ts);
            state.ports_long.insert((proto, responder.port), ts);
        }
        let mut window_alerts = Vec::new();
        if new_short
            && state.hosts_short.count() >= u64::from(short.count())
            && state.may_alert(HOSTS, now, realert)
        {
            window_alerts.push((RULE_HOSTS, short.count(), short_w));
        }
        if new_long
            && state.hosts_long.count() >= u64::from(long.count())
            && !state.alerted_within(HOSTS, now, realert)
            && state.may_alert(SLOW, now, realert)
        {
            window_alerts.push((RULE_SLOW, long.count(), long_w));
        }

        // Distinct ports of this host.
        let mut port_alert = None;
        if has_ports(proto) {
            let host = state.host_ports(dst, ts, ports_w);
            host.last = ts;
            host.ports.expire(ts, ports_w, |_| {});
            host.unreachable.expire(ts, ports_w, |_| {});
            if host.ports.insert((proto, responder.port), ts)
                && host.ports.count() >= u64::from(ports_window.count())
            {
                port_alert = Some(());
            }
        }
        let port_alert = port_alert.is_some() && state.may_alert(PORTS, now, realert);

        // The first contact's outcome: for the walk, known now unless the
        // host is allowed; for the failed-contact windows, what the host
        // answers.
        if first {
            let judged = context
                .peer_class(camera, dst, responder.port, proto)
                .is_none();
            if judged {
                self.step(context, contact, Outcome::NotAllowed, alerts);
            }
            self.wait_for_outcome(id, contact, judged);
        }

        let Some(state) = self.cameras.get(&camera) else {
            return;
        };
        for (rule, threshold, window) in window_alerts {
            let (hosts, ports) = if rule.id == RULE_HOSTS.id {
                (&state.hosts_short, &state.ports_short)
            } else {
                (&state.hosts_long, &state.ports_long)
            };
            let (contacts, failures) = state.outcomes_within(now, window);
            let mut alert = context.camera_alert(rule, camera, now);
            alert.evidence_ts = ts;
            alert.vlan = (vlan != 0).then_some(vlan);
            alert.interface = Some(interface);
            let e = &mut alert.evidence;
            e.insert(
                "reason".into(),
                json!(format!(
                    "started flows to {} distinct LAN hosts within {} s",
                    hosts.count(),
                    secs(window)
                )),
            );
            e.insert("distinct_hosts".into(), json!(hosts.count()));
            e.insert("threshold".into(), json!(threshold));
            e.insert("window_s".into(), json!(secs(window)));
            let since = hosts.oldest().unwrap_or(ts);
            e.insert("span_s".into(), json!(secs(ts.since(since))));
            e.insert("targets".into(), ip_list(hosts.keys()));
            let (numbers, transports) = port_lists(ports.keys());
            e.insert("ports".into(), json!(numbers));
            e.insert("transports".into(), json!(transports));
            e.insert("first_contacts".into(), json!(contacts));
            e.insert("failures".into(), json!(failures));
            insert_capped(e, state.capped());
            alerts.push(alert);
        }
        if port_alert && let Some(host) = state.ports.get(&dst) {
            let mut alert = context.camera_alert(RULE_PORTS, camera, now);
            alert.evidence_ts = ts;
            alert.vlan = (vlan != 0).then_some(vlan);
            alert.interface = Some(interface);
            alert.destination_ip = Some(dst);
            let (numbers, transports) = port_lists(host.ports.keys());
            if transports.len() == 1 {
                alert.transport = transports.first().copied();
            }
            let e = &mut alert.evidence;
            e.insert(
                "reason".into(),
                json!(format!(
                    "probed {} distinct ports of {dst} within {} s",
                    host.ports.count(),
                    secs(ports_w)
                )),
            );
            e.insert("target".into(), json!(dst.to_string()));
            e.insert("distinct_ports".into(), json!(host.ports.count()));
            e.insert("threshold".into(), json!(ports_window.count()));
            e.insert("window_s".into(), json!(secs(ports_w)));
            let since = host.ports.oldest().unwrap_or(ts);
            e.insert("span_s".into(), json!(secs(ts.since(since))));
            e.insert("ports".into(), json!(numbers));
            e.insert("transports".into(), json!(transports));
            e.insert("unreachable".into(), json!(host.unreachable.count()));
            insert_capped(e, state.capped());
            alerts.push(alert);
        }
    }
}
