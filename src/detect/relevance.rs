//! Which observations detection can care about.
//!
//! Every detector is about cameras and recorders: what a camera contacts,
//! probes or uploads, who reaches it, whether it went dark. A flow between
//! two hosts neither of which is (or may be about to become) a camera or a
//! recorder changes no alert, yet on a busy site most flows are such: the
//! office's web browsing, the guest network's DNS, the clients of a routed
//! subnet, a flood of spoofed addresses. Running them through the
//! inventory and six detectors is what made flow-heavy traffic cost 4-13x
//! the flow tracking alone, and filled the inventory with hosts nobody
//! watches. So the engine first asks [`Knowledge::relevant`], and an
//! observation that fails it only moves the clock.
//!
//! An endpoint is *watched* when:
//! - the inventory knows it as a camera or a recorder (by any evidence);
//! - the policy lists it as a recorder, or a policy group selects it;
//! - its MAC belongs to a camera or recorder maker and speaks for one
//!   device (a router's or a spoofer's MAC behind many addresses is no
//!   evidence: `camera::macs`), so its first flow is seen and identifies
//!   it; but not when it could only be a camera and every camera place is
//!   taken (the refusal is counted, as the inventory would).
//!
//! Flow observations (start, first answer, byte chunks, end) are relevant
//! when either endpoint is watched; names (DNS answers, TLS SNI) when the
//! client is; an ICMP error when the reporter or the quoted sender is.
//! Observations that are themselves identification evidence or are rare
//! and about the device itself (RTSP and ONVIF answers, WS-Discovery
//! probes, DHCP, ARP, UPnP, NAT-PMP, RTP changes, device banners) are
//! always relevant: they are how a camera with a plain MAC becomes known.
//!
//! What this gives up, on purpose: hosts that are neither cameras nor
//! recorders appear in the inventory only through their dealings with
//! cameras (a workstation that viewed one, the resolver the cameras use),
//! and a name another client resolved is not used for a camera that did
//! not resolve it itself. The check is exact, made in input order on the
//! engine's current state, so it does not depend on the number of workers.

use std::net::IpAddr;

use super::context::Knowledge;
use crate::camera::Role;
use crate::camera::inventory::MAX_CAMERAS;
use crate::config::Policy;
use crate::observation::Observation;
use crate::timestamp::Timestamp;
use crate::vendor::Vendor;

/// What an endpoint's own link layer and the policy say, whatever the
/// engine learned: a camera or recorder maker's MAC (unless `shared` says
/// it speaks for several addresses), or a policy group or recorder entry
/// that selects it. Workers use it too, with their own view of shared MACs
/// and a cache in front of the vendor table (`vendor_of`).
pub fn may_be_watched(
    policy: &Policy,
    ip: IpAddr,
    mac: Option<[u8; 6]>,
    shared: impl Fn([u8; 6]) -> bool,
    vendor_of: impl Fn([u8; 6]) -> Option<Vendor>,
) -> Option<Why> {
    if policy.is_recorder(ip) {
        return Some(Why::Recorder);
    }
    // A shared MAC (a router's, a spoofer's) says nothing about the host,
    // not even for a group that selects by vendor; and it is checked first,
    // being a hash lookup where the vendor is three binary searches.
    let vendor = mac.filter(|m| !shared(*m)).and_then(vendor_of);
    if let Some(vendor) = vendor {
        return Some(if vendor.kind.may_be_camera() {
            Why::Camera
        } else {
            Why::Recorder
        });
    }
    (!policy.groups().is_empty() && policy.group_for(ip, mac, vendor.map(|v| v.name)).is_some())
        .then_some(Why::Camera)
}

/// What [`may_be_watched`] found the endpoint may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// A camera, which needs one of the inventory's camera places.
    Camera,
    /// A recorder.
    Recorder,
}

impl Knowledge {
    /// Whether `ip` (sending from `mac`, when the observation carries the
    /// endpoint's link layer) is a camera or recorder, or may be one.
    ///
    /// A host that may only become a camera while every camera place is
    /// taken is not: the inventory would refuse it, so the refusal is
    /// counted here (the `sensor` detector reports it) and the observation
    /// goes no further. That keeps a camera group over `10.0.0.0/8` from
    /// running every flood address through six detectors.
    pub fn watched(&mut self, ip: IpAddr, mac: Option<[u8; 6]>, ts: Timestamp) -> bool {
        match self.inventory.host(ip) {
            Some(host) => match self.inventory.role(&self.policy, ip) {
                Some(Role::Camera | Role::Recorder) => return true,
                // A site service inside a camera group holds a camera place
                // but is no camera: nothing it does can change that.
                _ if host.holds_camera_place() => return false,
                _ => {}
            },
            None if self.policy.is_recorder(ip) => return true,
            None => {}
        }
        let inventory = &self.inventory;
        let shared = |m| inventory.mac_is_shared(m);
        match may_be_watched(&self.policy, ip, mac, shared, crate::vendor::vendor) {
            None => false,
            Some(Why::Recorder) => true,
            Some(Why::Camera) => {
                if self.inventory.camera_places() < MAX_CAMERAS || !self.policy.is_internal(ip) {
                    return true;
                }
                self.inventory.refuse_camera(ts, ip, mac);
                false
            }
        }
    }

    /// Whether detection can care about `observation` (see the module
    /// docs). Cheap: a few hash lookups, no allocation.
    pub fn relevant(&mut self, observation: &Observation) -> bool {
        let ts = observation.ts();
        match parties(observation) {
            Parties::Flow(ends) | Parties::Hosts(ends) => ends
                .into_iter()
                .flatten()
                .any(|(ip, mac)| self.watched(ip, mac, ts)),
            Parties::Evidence => true,
        }
    }
}

/// An address, and its MAC when the observation carries its link layer.
pub type Party = (IpAddr, Option<[u8; 6]>);

/// Whom an observation is about, for the relevance test: the one place
/// that says which observations are tested on which addresses (the engine
/// tests them exactly, workers with their view, `pipeline::watch`).
#[derive(Debug, Clone, Copy)]
pub enum Parties {
    /// A flow's observation, about its two ends (a worker also keeps it
    /// when the flow was watched before).
    Flow([Option<Party>; 2]),
    /// About these hosts: a name's client, an ICMP error's quoted sender
    /// and its reporter.
    Hosts([Option<Party>; 2]),
    /// Identification evidence or rare device facts: always relevant.
    Evidence,
}

pub fn parties(observation: &Observation) -> Parties {
    match observation {
        Observation::FlowStart(start) => Parties::Flow([
            Some((start.initiator.ip, Some(start.initiator.mac))),
            Some((start.responder.ip, Some(start.responder.mac))),
        ]),
        Observation::FirstAnswer(answer) => {
            let (other, _) = answer.id.key.other_end(answer.answerer.ip);
            Parties::Flow([
                Some((answer.answerer.ip, Some(answer.answerer.mac))),
                Some((other, None)),
            ])
        }
        Observation::Bytes(bytes) => {
            let (other, _) = bytes.id.key.other_end(bytes.sender);
            Parties::Flow([Some((bytes.sender, None)), Some((other, None))])
        }
        Observation::FlowEnd(end) => Parties::Flow([
            Some((end.flow.initiator().0, None)),
            Some((end.flow.responder().0, None)),
        ]),
        Observation::DnsAnswer(answer) => {
            Parties::Hosts([Some((answer.client, Some(answer.client_mac))), None])
        }
        Observation::TlsSni(sni) => {
            Parties::Hosts([Some((sni.client, Some(sni.client_mac))), None])
        }
        Observation::Unreachable(error) => {
            Parties::Hosts([Some((error.src, None)), Some((error.reporter, None))])
        }
        Observation::RtspServer(_)
        | Observation::OnvifDevice(_)
        | Observation::OnvifProbe(_)
        | Observation::Dhcp(_)
        | Observation::Arp(_)
        | Observation::GatewaySearch(_)
        | Observation::UpnpRequest(_)
        | Observation::UpnpBody(_)
        | Observation::UpnpResponse(_)
        | Observation::PortControl(_)
        | Observation::RtpChange(_)
        | Observation::DeviceInfo(_)
        | Observation::Clock(_) => Parties::Evidence,
    }
}

/// The addresses whose role an observation may change: its endpoints
/// (for a flow, both ends; a recorder becomes one by what it receives).
pub fn endpoints(observation: &Observation) -> [Option<IpAddr>; 2] {
    match observation {
        Observation::FlowStart(start) => [Some(start.initiator.ip), Some(start.responder.ip)],
        Observation::FirstAnswer(answer) => {
            let (other, _) = answer.id.key.other_end(answer.answerer.ip);
            [Some(answer.answerer.ip), Some(other)]
        }
        Observation::Bytes(bytes) => {
            let (other, _) = bytes.id.key.other_end(bytes.sender);
            [Some(bytes.sender), Some(other)]
        }
        Observation::FlowEnd(end) => [Some(end.flow.initiator().0), Some(end.flow.responder().0)],
        Observation::RtspServer(rtsp) => [Some(rtsp.server.ip), None],
        Observation::OnvifDevice(device) => [Some(device.device.ip), None],
        Observation::OnvifProbe(probe) => [Some(probe.prober.ip), None],
        Observation::DeviceInfo(info) => [Some(info.device.ip), None],
        Observation::Arp(arp) => [Some(arp.sender_ip), None],
        _ => [None, None],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Baseline;
    use crate::detect::testing::{Harness, at_secs, endpoint};
    use crate::net::IpProto;
    use crate::observation::RtspServer;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    const PLAIN: [u8; 6] = [0x02, 0, 0, 0, 0, 0x07];
    const HIKVISION: [u8; 6] = [0x44, 0x19, 0xb6, 0, 0, 1];

    #[test]
    fn plain_hosts_are_not_watched_until_they_show_camera_evidence() {
        let mut h = Harness::new("", Baseline::default(), 0);
        let (workstation, camera) = (ip("10.0.0.5"), ip("10.0.0.9"));
        let mut start = h.flow_from(0, workstation, ip("93.184.216.34"), 443, IpProto::TCP.0);
        start.initiator.mac = PLAIN;
        assert!(!h.knowledge.relevant(&Observation::FlowStart(start)));
        // A plain-MAC camera: nothing until it answers RTSP.
        let mut cloud = h.flow_from(1_000, camera, ip("198.51.100.9"), 443, IpProto::TCP.0);
        cloud.initiator.mac = PLAIN;
        let cloud = Observation::FlowStart(cloud);
        assert!(!h.knowledge.relevant(&cloud));
        let rtsp = Observation::RtspServer(RtspServer {
            ts: at_secs(2),
            server: endpoint(camera, 554, PLAIN),
            banner: None,
        });
        assert!(h.knowledge.relevant(&rtsp));
        h.knowledge.observe(&rtsp);
        assert!(h.knowledge.relevant(&cloud));
        // Its peers' flows to it too.
        let mut view = h.flow_from(3_000, workstation, camera, 80, IpProto::TCP.0);
        view.initiator.mac = PLAIN;
        assert!(h.knowledge.relevant(&Observation::FlowStart(view)));
    }

    #[test]
    fn a_camera_makers_mac_is_watched_until_it_speaks_for_many_addresses() {
        let mut h = Harness::new("", Baseline::default(), 0);
        for n in 1..=5u8 {
            let src = IpAddr::from([10, 64, 0, n]);
            let mut start = h.flow_from(u64::from(n), src, ip("10.30.0.1"), 53, IpProto::UDP.0);
            start.initiator.mac = HIKVISION;
            let start = Observation::FlowStart(start);
            // The first four are seen (the fourth makes the MAC shared);
            // after that the MAC is no evidence and the flows go no further.
            assert_eq!(h.knowledge.relevant(&start), n <= 4, "address {n}");
            h.knowledge.observe(&start);
        }
        assert_eq!(h.knowledge.inventory.cameras(&h.knowledge.policy).len(), 0);
    }

    #[test]
    fn a_full_camera_table_refuses_a_group_host_before_the_detectors() {
        let mut h = Harness::new(
            "[[group]]\nname = \"all\"\nmatch = { cidr = [\"10.0.0.0/8\"] }\n",
            Baseline::default(),
            0,
        );
        let mut n = 0u32;
        while h.knowledge.inventory.camera_places() < MAX_CAMERAS {
            n += 1;
            let src = IpAddr::from((0x0a40_0000 + n).to_be_bytes());
            let start = h.flow_from(0, src, ip("192.0.2.1"), 443, IpProto::TCP.0);
            let start = Observation::FlowStart(start);
            assert!(h.knowledge.relevant(&start));
            h.knowledge.observe(&start);
        }
        let late = h.flow_from(0, ip("10.99.0.1"), ip("192.0.2.1"), 443, IpProto::TCP.0);
        assert!(!h.knowledge.relevant(&Observation::FlowStart(late)));
        assert_eq!(h.knowledge.inventory.overflow().cameras, 1);
        // Known cameras still are.
        let known = h.flow_from(0, ip("10.64.0.1"), ip("192.0.2.1"), 443, IpProto::TCP.0);
        assert!(h.knowledge.relevant(&Observation::FlowStart(known)));
    }
}
