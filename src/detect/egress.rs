//! Unknown egress: a camera starts a flow to an external destination that
//! neither the policy nor the learned baseline allows.
//!
//! Algorithm: on the first packet of every flow a camera initiates to an
//! address outside the site's internal networks (multicast and broadcast
//! excluded), look up the name the camera used for it (DNS answer or TLS
//! SNI seen earlier), and check, in order: recorder, site infrastructure
//! (DNS, NTP), the camera's policy group rules (address, CIDR or name
//! pattern, port, transport), the baseline. Nothing matches: alert at once,
//! then stay quiet for the same camera and destination (the name it used,
//! else the address; any port) for `detect.egress.realert` (default 1 h) of
//! packet time. Internal destinations are the scan detector's business.
//!
//! Reference: the "default deny" egress rule of NIST SP 800-41 rev. 1
//! (firewall policy) and CISA's guidance to keep cameras off the Internet;
//! this is its passive, per-device form.

use std::collections::VecDeque;

use foldhash::{HashMap, HashMapExt};
use std::net::IpAddr;
use std::time::Duration;

use serde_json::json;

use super::{Context, Detector};
use crate::alert::{Alert, AlertFlow, Category, Rule};
use crate::flow::community_id::community_id_v1;
use crate::flow::record::{flow_id, transport_name};
use crate::net::IpProto;
use crate::observation::{FlowStart, Observation};
use crate::timestamp::{Nanos, Timestamp};

pub const RULE: Rule = Rule {
    id: "CAMSENTRY-EGRESS-1",
    signature_id: 9_100_001,
    name: "Camera contacted a destination outside its allowlist",
    category: Category::Egress,
    action: "unknown-egress",
    severity: 2,
};

/// Most (camera, destination) pairs whose last alert is remembered. When
/// full, the pair alerted longest ago is forgotten (and counted when that
/// was within its re-alert interval): a worm contacting millions of
/// addresses cannot grow this map, and its probes are one scan incident
/// anyway.
pub const MAX_REMEMBERED: usize = 65_536;

/// A destination as the camera knew it: by the name it used when it used
/// one (a cloud that moves between addresses is one destination), else by
/// address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Destination {
    Name(Box<str>),
    Address(IpAddr),
}

pub struct Egress {
    realert: Nanos,
    last_alert: HashMap<(IpAddr, Destination), Timestamp>,
    /// Keys in the order they were last alerted (stale entries are skipped
    /// when met): the oldest is found in O(1) when the map is full.
    order: VecDeque<((IpAddr, Destination), Timestamp)>,
    /// Pairs forgotten within their re-alert interval because the map was
    /// full.
    pub forgotten: u64,
}

impl Egress {
    pub fn new(realert: Duration) -> Egress {
        Egress {
            realert: realert.as_nanos().min(u128::from(u64::MAX)) as u64,
            last_alert: HashMap::new(),
            order: VecDeque::new(),
            forgotten: 0,
        }
    }

    /// Pairs remembered now.
    pub fn remembered(&self) -> usize {
        self.last_alert.len()
    }

    fn remember(&mut self, key: (IpAddr, Destination), ts: Timestamp) {
        while self.last_alert.len() >= MAX_REMEMBERED && !self.last_alert.contains_key(&key) {
            let Some((oldest, at)) = self.order.pop_front() else {
                break;
            };
            if self.last_alert.get(&oldest) == Some(&at) {
                self.last_alert.remove(&oldest);
                if ts.since(at) < self.realert {
                    self.forgotten += 1;
                }
            }
        }
        self.last_alert.insert(key.clone(), ts);
        self.order.push_back((key, ts));
        // Re-alerts leave stale entries behind; keep the queue near the map.
        if self.order.len() > 2 * MAX_REMEMBERED {
            let map = &self.last_alert;
            self.order.retain(|(k, at)| map.get(k) == Some(at));
        }
    }
}

impl Egress {
    /// A camera's flow to a destination nothing allows raises the alert,
    /// once per destination and re-alert interval.
    fn flow_start(&mut self, context: &Context<'_>, start: &FlowStart, alerts: &mut Vec<Alert>) {
        let FlowStart {
            ts,
            initiator,
            responder,
            proto,
            vlan,
            interface,
            icmp_one_way,
            first_bytes,
            ..
        } = start;
        let (camera, dst) = (initiator.ip, responder.ip);
        if context.policy.is_internal(dst)
            || !context.is_camera(camera)
            || context.is_learning(camera, *ts)
            || context
                .peer_class(camera, dst, responder.port, *proto)
                .is_some()
        {
            return;
        }
        let named = context.names.lookup_with_source(camera, dst);
        let name = named.map(|(name, _)| name);
        let destination = match name {
            Some(name) => Destination::Name(Box::from(name)),
            None => Destination::Address(dst),
        };
        let key = (camera, destination);
        if let Some(last) = self.last_alert.get(&key)
            && ts.since(*last) < self.realert
        {
            return;
        }
        self.remember(key, *ts);
        let has_ports = IpProto(*proto).has_ports();
        let mut alert = context.camera_alert(RULE, camera, *ts);
        alert.source_port = has_ports.then_some(initiator.port);
        alert.destination_ip = Some(dst);
        alert.destination_port = has_ports.then_some(responder.port);
        alert.destination_domain = name.map(str::to_string);
        alert.transport = Some(transport_name(*proto));
        alert.community_id = Some(community_id_v1(
            0,
            *proto,
            camera,
            dst,
            initiator.port,
            responder.port,
            *icmp_one_way,
        ));
        alert.vlan = (*vlan != 0).then_some(*vlan);
        alert.interface = Some(*interface);
        alert
            .evidence
            .insert("destination_name".into(), json!(name));
        alert
            .evidence
            .insert("name_source".into(), json!(named.map(|(_, s)| s.as_str())));
        alert.evidence.insert("flow_answered".into(), json!(false));
        // The alert fires on the flow's first packet: that packet is all
        // that has been sent so far.
        alert.evidence.insert("packets_so_far".into(), json!(1));
        alert
            .evidence
            .insert("bytes_so_far".into(), json!(first_bytes));
        let target = match name {
            Some(name) => format!("{name} ({dst})"),
            None => dst.to_string(),
        };
        alert.evidence.insert(
            "reason".into(),
            json!(format!(
                "camera {camera} contacted {target}, a destination not allowed by policy or baseline"
            )),
        );
        alert.flow = Some(AlertFlow {
            id: flow_id(&start.id.key, *ts),
            start: *ts,
            initiator: (camera, initiator.port),
            responder: (dst, responder.port),
            packets: Some([1, 0]),
            bytes: Some([u64::from(*first_bytes), 0]),
        });
        alerts.push(alert);
    }
}

impl Detector for Egress {
    fn category(&self) -> Category {
        Category::Egress
    }

    fn observe(
        &mut self,
        context: &Context<'_>,
        observation: &Observation,
        alerts: &mut Vec<Alert>,
    ) {
        if let Observation::FlowStart(start) = observation {
            self.flow_start(context, start, alerts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Baseline;
    use crate::detect::testing::{Harness, endpoint};

    const POLICY: &str = "[[group]]\nname = \"cams\"\nmatch = { cidr = [\"10.20.0.0/24\"] }\n";

    /// The camera's next flow to `dst:port`, started at `millis`.
    fn start(h: &mut Harness, millis: u64, dst: IpAddr, port: u16) -> Observation {
        let camera: IpAddr = "10.20.0.11".parse().unwrap();
        let start = h.flow_from(millis, camera, dst, port, 6);
        Observation::FlowStart(FlowStart {
            initiator: endpoint(camera, start.initiator.port, [2, 0, 0, 0, 0, 1]),
            responder: endpoint(dst, port, [2, 0, 0, 0, 0, 9]),
            ..start
        })
    }

    fn feed(h: &mut Harness, egress: &mut Egress, millis: u64, dst: IpAddr, port: u16) -> usize {
        let observation = start(h, millis, dst, port);
        h.feed(egress, observation)
    }

    #[test]
    fn one_alert_per_camera_and_destination_whatever_the_port_or_flow() {
        let mut h = Harness::new(POLICY, Baseline::default(), 0);
        let mut egress = Egress::new(Duration::from_secs(3600));
        let evil: IpAddr = "198.51.100.66".parse().unwrap();
        // Two flows 41 ms apart, then another port, then an hour later.
        let raised: Vec<usize> = [(0, 443), (41, 443), (900, 8443), (3_700_000, 443)]
            .into_iter()
            .map(|(ms, port)| feed(&mut h, &mut egress, ms, evil, port))
            .collect();
        assert_eq!(raised, [1, 0, 0, 1]);
    }

    #[test]
    fn a_worm_cannot_grow_the_realert_map() {
        let mut h = Harness::new(POLICY, Baseline::default(), 0);
        let mut egress = Egress::new(Duration::from_secs(3600));
        for n in 0..100_000u64 {
            let dst = IpAddr::from((0x2d00_0000u32 + n as u32).to_be_bytes());
            feed(&mut h, &mut egress, n, dst, 23);
        }
        assert_eq!(egress.remembered(), MAX_REMEMBERED);
        assert_eq!(egress.forgotten, 100_000 - MAX_REMEMBERED as u64);
    }
}
