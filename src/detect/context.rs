//! What detectors see: the site knowledge (policy, inventory, names,
//! baseline) the engine keeps up to date, and the read-only [`Context`]
//! view of it each detector gets with every observation.

use std::net::IpAddr;

use super::baseline::{Baseline, LearnedPeer};
use crate::alert::{Alert, CameraInfo, Rule};
use crate::camera::{Inventory, Names};
use crate::config::Policy;
use crate::config::policy::{Role, Transport};
use crate::flow::record::transport_name;
use crate::net::IpProto;
use crate::observation::{FlowStart, Observation};
use crate::timestamp::{Nanos, Timestamp};

/// Why a destination is acceptable for a camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerClass {
    /// A recorder: video to it is never exfiltration.
    Recorder,
    /// DNS, NTP, DHCP: site infrastructure.
    Infrastructure,
    /// Allowed by a policy rule with this role.
    Policy(Role),
    /// Contacted while learning.
    Learned,
    /// Multicast, broadcast and link-local discovery: never a peer.
    LocalScope,
}

/// What detectors may read.
pub struct Context<'a> {
    pub policy: &'a Policy,
    pub inventory: &'a Inventory,
    pub names: &'a Names,
    pub baseline: &'a Baseline,
    /// Learning period per camera (from its first sighting).
    pub learn_for: Nanos,
}

/// Multicast, broadcast and unspecified destinations: discovery traffic,
/// not a conversation with a peer.
pub fn is_local_scope(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_multicast() || v4.is_broadcast() || v4.is_unspecified(),
        IpAddr::V6(v6) => v6.is_multicast() || v6.is_unspecified(),
    }
}

impl Context<'_> {
    pub fn is_camera(&self, ip: IpAddr) -> bool {
        self.inventory.is_camera(self.policy, ip)
    }

    /// Whether `camera` is still in its learning period at `ts`.
    pub fn is_learning(&self, camera: IpAddr, ts: Timestamp) -> bool {
        self.learn_for > 0
            && self
                .inventory
                .host(camera)
                .is_some_and(|h| ts.since(h.first_seen) < self.learn_for)
    }

    /// Classifies a destination of `camera`, or `None` when nothing allows
    /// it. `port` is the destination port (ICMP: none).
    pub fn peer_class(
        &self,
        camera: IpAddr,
        dst: IpAddr,
        port: u16,
        proto: u8,
    ) -> Option<PeerClass> {
        if is_local_scope(dst) {
            return Some(PeerClass::LocalScope);
        }
        if self.inventory.is_recorder(self.policy, dst) {
            return Some(PeerClass::Recorder);
        }
        let internal = self.policy.is_internal(dst);
        let site = self.policy.site();
        let infrastructure = match (proto, port) {
            (17 | 6, 53) => site.dns().is_empty() && internal || self.policy.is_dns_server(dst),
            (17, 123) => site.ntp().is_empty() && internal || self.policy.is_ntp_server(dst),
            (17, 67) => internal,
            _ => false,
        };
        if infrastructure {
            return Some(PeerClass::Infrastructure);
        }
        let name = self.names.lookup(camera, dst);
        let transport = Transport::from_ip_proto(proto);
        let port_opt = IpProto(proto).has_ports().then_some(port);
        let host = self.inventory.host(camera);
        let vendor = host.and_then(|h| h.vendor.map(|v| v.name));
        if let Some(group) = self
            .policy
            .group_for(camera, host.and_then(|h| h.mac), vendor)
            && let Some(rule) = group.allows(dst, name, port_opt, transport)
        {
            return Some(PeerClass::Policy(rule.role()));
        }
        if self
            .baseline
            .knows(camera, dst, name, port, transport_name(proto))
        {
            return Some(PeerClass::Learned);
        }
        None
    }

    /// An alert about `camera` with the camera's details filled in.
    pub fn camera_alert(&self, rule: Rule, camera: IpAddr, ts: Timestamp) -> Alert {
        let host = self.inventory.host(camera);
        let vendor = host.and_then(|h| h.vendor.map(|v| v.name));
        let group = self
            .policy
            .group_for(camera, host.and_then(|h| h.mac), vendor)
            .map(|g| g.name().to_string());
        Alert {
            ts,
            evidence_ts: ts,
            rule,
            source_ip: camera,
            source_port: None,
            source_mac: host.and_then(|h| h.mac),
            destination_ip: None,
            destination_port: None,
            destination_domain: None,
            transport: None,
            community_id: None,
            vlan: None,
            interface: None,
            camera: CameraInfo {
                name: host.and_then(|h| h.display_name()).map(str::to_string),
                vendor: vendor.map(str::to_string),
                group,
                identified_by: host.map(|h| h.identified_by()).unwrap_or_default(),
            },
            evidence: serde_json::Map::new(),
            incident: None,
            flow: None,
        }
    }
}

/// What detection knows about the site: the policy, the cameras, the
/// names, the baseline. Kept apart from the detectors so that each detector
/// can read it (as a [`Context`]) while the detector itself is updated.
pub struct Knowledge {
    pub policy: Policy,
    pub inventory: Inventory,
    pub names: Names,
    pub baseline: Baseline,
    /// Learning period per camera (from its first sighting).
    pub learn_for: Nanos,
}

impl Knowledge {
    pub fn new(policy: Policy, baseline: Baseline, learn_for: Nanos) -> Knowledge {
        Knowledge {
            policy,
            inventory: Inventory::default(),
            names: Names::default(),
            baseline,
            learn_for,
        }
    }

    pub fn context(&self) -> Context<'_> {
        Context {
            policy: &self.policy,
            inventory: &self.inventory,
            names: &self.names,
            baseline: &self.baseline,
            learn_for: self.learn_for,
        }
    }

    /// Updates the inventory and the names and, while a camera learns,
    /// remembers the destinations it starts flows to.
    pub fn observe(&mut self, observation: &Observation) {
        self.inventory.observe(&self.policy, observation);
        match observation {
            Observation::DnsAnswer(answer) => {
                self.names
                    .dns_answer(answer.client, &answer.name, answer.address)
            }
            Observation::TlsSni(sni) => self.names.sni(sni.client, sni.server, &sni.name),
            Observation::FlowStart(start) => self.learn(start),
            _ => {}
        }
    }

    fn learn(&mut self, start: &FlowStart) {
        let (camera, dst) = (start.initiator.ip, start.responder.ip);
        let (port, proto) = (start.responder.port, start.proto);
        let context = self.context();
        if !context.is_camera(camera)
            || !context.is_learning(camera, start.ts)
            || is_local_scope(dst)
        {
            return;
        }
        let name = self.names.lookup_own(camera, dst).map(str::to_string);
        let _ = self.baseline.learn_peer(
            camera,
            LearnedPeer {
                address: Some(dst),
                name,
                port,
                transport: transport_name(proto).to_string(),
            },
        );
    }
}
