//! The detectors' unit-test harness: site knowledge built from a policy
//! text, fed observations the way the engine feeds them (knowledge first,
//! then the detector under test), and the alerts the detector raised.
//!
//! The detector is passed to each call rather than owned, so a detector's
//! tests keep it in a field of their own (`h.scan`, `site.exfil`) and can
//! inspect its state between observations.

use std::net::IpAddr;

use super::{Baseline, Detector, Knowledge};
use crate::alert::{Alert, CameraInfo, Rule};
use crate::config::Policy;
use crate::flow::FlowKey;
use crate::observation::{Endpoint, FlowId, FlowStart, Observation};
use crate::timestamp::{Nanos, Timestamp};

/// 2026-01-05T08:00:00Z, in seconds: packet time zero of the tests.
pub const T0: u64 = 1_767_600_000;

/// `ms` milliseconds after [`T0`].
pub fn at_ms(ms: u64) -> Timestamp {
    Timestamp::from_secs(T0).plus(ms * 1_000_000)
}

/// `secs` seconds after [`T0`].
pub fn at_secs(secs: u64) -> Timestamp {
    Timestamp::from_secs(T0 + secs)
}

pub fn policy(text: &str) -> Policy {
    Policy::from_str(text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// An alert about `source` at `ts` with nothing else filled in.
pub fn alert(rule: Rule, ts: Timestamp, source: IpAddr) -> Alert {
    Alert {
        ts,
        evidence_ts: ts,
        rule,
        source_ip: source,
        source_port: None,
        source_mac: None,
        destination_ip: None,
        destination_port: None,
        destination_domain: None,
        transport: None,
        community_id: None,
        vlan: None,
        interface: None,
        camera: CameraInfo::default(),
        evidence: serde_json::Map::new(),
        incident: None,
        flow: None,
    }
}

/// Knowledge of one site and the alerts raised on it.
pub struct Harness {
    pub knowledge: Knowledge,
    pub alerts: Vec<Alert>,
    /// Input position of the last flow [`Harness::flow_from`] made.
    pub seq: u64,
}

impl Harness {
    pub fn new(policy_text: &str, baseline: Baseline, learn_for: Nanos) -> Harness {
        Harness {
            knowledge: Knowledge::new(policy(policy_text), baseline, learn_for),
            alerts: Vec::new(),
            seq: 0,
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.knowledge.policy
    }

    /// Updates the knowledge, then lets `detector` see the observation;
    /// returns the number of alerts it raised.
    pub fn feed(&mut self, detector: &mut dyn Detector, observation: Observation) -> usize {
        self.knowledge.observe(&observation);
        let before = self.alerts.len();
        detector.observe(&self.knowledge.context(), &observation, &mut self.alerts);
        self.alerts.len() - before
    }

    /// End of input at `now`.
    pub fn finish(&mut self, detector: &mut dyn Detector, now: Timestamp) {
        detector.finish(&self.knowledge.context(), now, &mut self.alerts);
    }

    /// The next flow, from `src` (ephemeral port `40000 + seq`) to
    /// `dst:port`, started at `ms`: a connection seen from its opening,
    /// first packet from the initiator, no VLAN and no MACs. Not fed.
    pub fn flow_from(
        &mut self,
        ms: u64,
        src: IpAddr,
        dst: IpAddr,
        port: u16,
        proto: u8,
    ) -> FlowStart {
        self.seq += 1;
        let sport = 40_000 + (self.seq % 20_000) as u16;
        let (key, _) = FlowKey::new(src, sport, dst, port, proto, 0, 0);
        FlowStart {
            id: FlowId {
                key,
                first_seq: self.seq,
            },
            ts: at_ms(ms),
            initiator: endpoint(src, sport, [0; 6]),
            responder: endpoint(dst, port, [0; 6]),
            proto,
            vlan: 0,
            interface: 0,
            icmp_one_way: false,
            first_bytes: 60,
            midstream: false,
            sender_is_initiator: true,
            media: false,
        }
    }

    /// The alerts of `rule` raised so far.
    pub fn of(&self, rule: Rule) -> Vec<&Alert> {
        self.alerts
            .iter()
            .filter(|a| a.rule.id == rule.id)
            .collect()
    }

    /// Rule ids of the alerts raised so far, in order.
    pub fn rules(&self) -> Vec<&'static str> {
        self.alerts.iter().map(|a| a.rule.id).collect()
    }
}

pub fn endpoint(ip: IpAddr, port: u16, mac: [u8; 6]) -> Endpoint {
    Endpoint { ip, port, mac }
}

/// A numeric evidence field of `alert`.
pub fn evidence_u64(alert: &Alert, key: &str) -> u64 {
    alert.evidence[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} in {:?}", alert.evidence))
}

/// A fractional evidence field of `alert`.
pub fn evidence_f64(alert: &Alert, key: &str) -> f64 {
    alert.evidence[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} in {:?}", alert.evidence))
}
