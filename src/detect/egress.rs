//! Unknown egress: a camera starts a flow to an external destination that
//! neither the policy nor the learned baseline allows.
//!
//! Algorithm: on the first packet of every flow a camera initiates to an
//! address outside the site's internal networks (multicast and broadcast
//! excluded), look up the name the camera used for it (DNS answer or TLS
//! SNI seen earlier), and check, in order: recorder, site infrastructure
//! (DNS, NTP), the camera's policy group rules (address, CIDR or name
//! pattern, port, transport), the baseline. Nothing matches: alert at once,
//! then stay quiet for the same (camera, destination, port, transport) for
//! `detect.egress.realert` (default 1 h) of packet time. Internal
//! destinations are the scan detector's business.
//!
//! Reference: the "default deny" egress rule of NIST SP 800-41 rev. 1
//! (firewall policy) and CISA's guidance to keep cameras off the Internet;
//! this is its passive, per-device form.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use serde_json::json;

use super::{Context, Detector};
use crate::alert::{Alert, Category, Rule};
use crate::flow::community_id::community_id_v1;
use crate::flow::record::transport_name;
use crate::observation::Observation;
use crate::timestamp::{Nanos, Timestamp};

pub const RULE: Rule = Rule {
    id: "CAMSENTRY-EGRESS-1",
    signature_id: 9_100_001,
    name: "Camera contacted a destination outside its allowlist",
    category: Category::Egress,
    action: "unknown-egress",
    severity: 2,
};

pub struct Egress {
    realert: Nanos,
    last_alert: HashMap<(IpAddr, IpAddr, u16, u8), Timestamp>,
}

impl Egress {
    pub fn new(realert: Duration) -> Egress {
        Egress {
            realert: realert.as_nanos().min(u128::from(u64::MAX)) as u64,
            last_alert: HashMap::new(),
        }
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
        let Observation::FlowStart {
            ts,
            initiator,
            responder,
            proto,
            vlan,
            icmp_one_way,
            first_bytes,
            ..
        } = observation
        else {
            return;
        };
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
        let key = (camera, dst, responder.port, *proto);
        if let Some(last) = self.last_alert.get(&key)
            && ts.since(*last) < self.realert
        {
            return;
        }
        self.last_alert.insert(key, *ts);
        let name = context.names.lookup(camera, dst);
        let has_ports = matches!(proto, 6 | 17 | 132);
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
        alert
            .evidence
            .insert("destination_name".into(), json!(name));
        alert
            .evidence
            .insert("name_source".into(), json!(name.map(|_| "dns_or_sni")));
        alert.evidence.insert("answered".into(), json!(false));
        // The alert fires on the flow's first packet: that packet is all
        // that has been sent so far.
        alert.evidence.insert("packets_so_far".into(), json!(1));
        alert
            .evidence
            .insert("bytes_so_far".into(), json!(first_bytes));
        alert.evidence.insert(
            "reason".into(),
            json!("destination not allowed by policy or baseline"),
        );
        alerts.push(alert);
    }
}
