//! The camera inventory: every internal host seen, what it is, and whom it
//! talks to.
//!
//! A host is a camera when any of these holds (the evidence is kept and
//! shown in alerts and `camsentry inventory`):
//! - `oui`: its MAC belongs to a camera maker (IEEE registry, see `oui.rs`);
//! - `rtsp`: it answered an RTSP request (`RTSP/1.0` reply, `Server:` banner);
//! - `onvif`: it answered WS-Discovery as an ONVIF device;
//! - `policy`: a policy group selects it.
//!
//! A recorder is not a camera, even when it carries a camera maker's MAC
//! (NVRs do): a host is a recorder when the policy lists it, when its MAC
//! belongs to a recorder-only maker, or when it behaves as one: it sends
//! WS-Discovery probes or opens RTSP sessions to cameras. Only hosts inside
//! the site's internal networks are tracked.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use super::oui::{self, Vendor, VendorKind};
use crate::config::Policy;
use crate::observation::{Endpoint, Observation};
use crate::timestamp::Timestamp;

pub const EVIDENCE_OUI: u8 = 1;
pub const EVIDENCE_RTSP: u8 = 2;
pub const EVIDENCE_ONVIF: u8 = 4;
pub const EVIDENCE_POLICY: u8 = 8;

/// Most peers remembered per host (the busiest are kept in flows anyway).
const MAX_PEERS: usize = 512;

/// Most hosts tracked. A sensor runs for months and addresses can be
/// spoofed: once full, a new host is only added when it brings camera
/// evidence of its own (a camera maker's MAC, a policy group, an RTSP or
/// ONVIF answer, recorder behaviour), so cameras are never lost to a flood
/// of other hosts. Hosts left out are counted.
pub const MAX_HOSTS: usize = 100_000;

#[derive(Debug, Clone, Default)]
pub struct PeerStats {
    pub flows: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub name: Option<Box<str>>,
}

#[derive(Debug, Clone)]
pub struct Host {
    pub ip: IpAddr,
    pub mac: Option<[u8; 6]>,
    pub vendor: Option<Vendor>,
    pub evidence: u8,
    /// Sent WS-Discovery probes or opened RTSP sessions to cameras.
    pub acts_as_recorder: bool,
    pub rtsp_banner: Option<Box<str>>,
    pub onvif_hardware: Option<Box<str>>,
    pub onvif_name: Option<Box<str>>,
    pub dhcp_host_name: Option<Box<str>>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub peers: BTreeMap<IpAddr, PeerStats>,
}

impl Host {
    fn new(ip: IpAddr, ts: Timestamp) -> Host {
        Host {
            ip,
            mac: None,
            vendor: None,
            evidence: 0,
            acts_as_recorder: false,
            rtsp_banner: None,
            onvif_hardware: None,
            onvif_name: None,
            dhcp_host_name: None,
            first_seen: ts,
            last_seen: ts,
            bytes_sent: 0,
            bytes_received: 0,
            peers: BTreeMap::new(),
        }
    }

    /// Evidence names, in a fixed order.
    pub fn identified_by(&self) -> Vec<&'static str> {
        [
            (EVIDENCE_OUI, "oui"),
            (EVIDENCE_RTSP, "rtsp"),
            (EVIDENCE_ONVIF, "onvif"),
            (EVIDENCE_POLICY, "policy"),
        ]
        .into_iter()
        .filter(|(bit, _)| self.evidence & bit != 0)
        .map(|(_, name)| name)
        .collect()
    }

    /// A display name: the ONVIF name, the DHCP host name, else none.
    pub fn display_name(&self) -> Option<&str> {
        self.onvif_name
            .as_deref()
            .or(self.dhcp_host_name.as_deref())
    }

    fn set_mac(&mut self, mac: [u8; 6]) {
        if mac == [0; 6] || mac[0] & 1 != 0 {
            return;
        }
        self.mac = Some(mac);
        self.vendor = oui::vendor(mac);
        match self.vendor.map(|v| v.kind) {
            Some(VendorKind::Camera | VendorKind::CameraAndRecorder) => {
                self.evidence |= EVIDENCE_OUI
            }
            _ => self.evidence &= !EVIDENCE_OUI,
        }
    }

    fn peer(&mut self, ip: IpAddr) -> Option<&mut PeerStats> {
        if self.peers.len() >= MAX_PEERS && !self.peers.contains_key(&ip) {
            return None;
        }
        Some(self.peers.entry(ip).or_default())
    }
}

#[derive(Debug, Default)]
pub struct Inventory {
    hosts: HashMap<IpAddr, Host>,
    /// Sightings of hosts not added because the inventory was full.
    untracked: u64,
}

impl Inventory {
    pub fn host(&self, ip: IpAddr) -> Option<&Host> {
        self.hosts.get(&ip)
    }

    /// Whether `ip` is a camera now.
    pub fn is_camera(&self, policy: &Policy, ip: IpAddr) -> bool {
        self.hosts
            .get(&ip)
            .is_some_and(|h| h.evidence != 0 && !Self::is_recorder_host(policy, h))
    }

    /// Whether `ip` is a recorder (by policy, vendor or behaviour).
    pub fn is_recorder(&self, policy: &Policy, ip: IpAddr) -> bool {
        policy.is_recorder(ip)
            || self
                .hosts
                .get(&ip)
                .is_some_and(|h| Self::is_recorder_host(policy, h))
    }

    fn is_recorder_host(policy: &Policy, host: &Host) -> bool {
        policy.is_recorder(host.ip)
            || host.acts_as_recorder
            || host.vendor.is_some_and(|v| v.kind == VendorKind::Recorder)
    }

    /// Cameras in address order.
    pub fn cameras<'a>(&'a self, policy: &'a Policy) -> Vec<&'a Host> {
        let mut cameras: Vec<&Host> = self
            .hosts
            .values()
            .filter(|h| h.evidence != 0 && !Self::is_recorder_host(policy, h))
            .collect();
        cameras.sort_by_key(|h| h.ip);
        cameras
    }

    /// Sightings of hosts left out because the inventory was full.
    pub fn untracked(&self) -> u64 {
        self.untracked
    }

    /// The host behind `endpoint`, added if new (see [`MAX_HOSTS`]);
    /// `evidence` says the observation itself shows camera or recorder
    /// behaviour.
    fn touch(
        &mut self,
        policy: &Policy,
        endpoint: &Endpoint,
        ts: Timestamp,
        evidence: bool,
    ) -> Option<&mut Host> {
        if !policy.is_internal(endpoint.ip) {
            return None;
        }
        if self.hosts.len() >= MAX_HOSTS && !self.hosts.contains_key(&endpoint.ip) {
            let mac = (endpoint.mac != [0; 6]).then_some(endpoint.mac);
            let vendor = mac.and_then(oui::vendor);
            let camera_maker = vendor.is_some_and(|v| v.kind != VendorKind::Recorder);
            let grouped = policy
                .group_for(endpoint.ip, mac, vendor.map(|v| v.name))
                .is_some();
            if !(evidence || camera_maker || grouped) {
                self.untracked += 1;
                return None;
            }
        }
        let host = self
            .hosts
            .entry(endpoint.ip)
            .or_insert_with(|| Host::new(endpoint.ip, ts));
        host.last_seen = host.last_seen.max(ts);
        if host.mac.is_none() && endpoint.mac != [0; 6] {
            host.set_mac(endpoint.mac);
        }
        // Checked on every sighting until it matches: a group may select by
        // MAC or vendor, which can be learned after the address.
        if host.evidence & EVIDENCE_POLICY == 0
            && policy
                .group_for(host.ip, host.mac, host.vendor.map(|v| v.name))
                .is_some()
        {
            host.evidence |= EVIDENCE_POLICY;
        }
        Some(host)
    }

    /// Updates the inventory with one observation.
    pub fn observe(&mut self, policy: &Policy, observation: &Observation) {
        match observation {
            Observation::FlowStart {
                ts,
                initiator,
                responder,
                ..
            } => {
                let responder_is_camera = self.is_camera(policy, responder.ip);
                let rtsp = matches!(responder.port, 554 | 8554);
                if let Some(host) = self.touch(policy, initiator, *ts, false) {
                    if let Some(peer) = host.peer(responder.ip) {
                        peer.flows += 1;
                    }
                    if rtsp && responder_is_camera {
                        host.acts_as_recorder = true;
                    }
                }
                if let Some(host) = self.touch(policy, responder, *ts, false)
                    && let Some(peer) = host.peer(initiator.ip)
                {
                    peer.flows += 1;
                }
            }
            Observation::FlowEnd { flow, .. } => {
                let (initiator, _) = flow.initiator();
                let (responder, _) = flow.responder();
                let (sent, received) = (flow.bytes[0], flow.bytes[1]);
                if let Some(host) = self.hosts.get_mut(&initiator) {
                    host.bytes_sent += sent;
                    host.bytes_received += received;
                    if let Some(peer) = host.peer(responder) {
                        peer.bytes_sent += sent;
                        peer.bytes_received += received;
                    }
                }
                if let Some(host) = self.hosts.get_mut(&responder) {
                    host.bytes_sent += received;
                    host.bytes_received += sent;
                    if let Some(peer) = host.peer(initiator) {
                        peer.bytes_sent += received;
                        peer.bytes_received += sent;
                    }
                }
            }
            Observation::RtspServer { ts, server, banner } => {
                if let Some(host) = self.touch(policy, server, *ts, true) {
                    host.evidence |= EVIDENCE_RTSP;
                    if host.rtsp_banner.is_none() {
                        host.rtsp_banner = banner.clone();
                    }
                }
            }
            Observation::OnvifDevice {
                ts,
                device,
                hardware,
                name,
            } => {
                if let Some(host) = self.touch(policy, device, *ts, true) {
                    host.evidence |= EVIDENCE_ONVIF;
                    host.onvif_hardware = hardware.clone().or(host.onvif_hardware.take());
                    host.onvif_name = name.clone().or(host.onvif_name.take());
                }
            }
            Observation::OnvifProbe { ts, prober } => {
                if let Some(host) = self.touch(policy, prober, *ts, true) {
                    host.acts_as_recorder = true;
                }
            }
            Observation::Dhcp {
                ts,
                mac,
                address: Some(address),
                host_name,
                ..
            } => {
                let endpoint = Endpoint {
                    ip: *address,
                    port: 68,
                    mac: *mac,
                };
                if let Some(host) = self.touch(policy, &endpoint, *ts, false) {
                    if host.mac != Some(*mac) {
                        host.set_mac(*mac);
                    }
                    if host_name.is_some() {
                        host.dhcp_host_name = host_name.clone();
                    }
                }
            }
            Observation::Arp {
                ts,
                sender_mac,
                sender_ip,
                ..
            } if !sender_ip.is_unspecified() => {
                let endpoint = Endpoint {
                    ip: *sender_ip,
                    port: 0,
                    mac: *sender_mac,
                };
                self.touch(policy, &endpoint, *ts, false);
            }
            _ => {}
        }
    }

    /// Names peers from the name table (for display).
    pub fn name_peers(&mut self, names: &super::names::Names) {
        for host in self.hosts.values_mut() {
            let ip = host.ip;
            for (peer, stats) in host.peers.iter_mut() {
                if stats.name.is_none() {
                    stats.name = names.lookup(ip, *peer).map(Box::from);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::FlowKey;
    use crate::observation::FlowId;

    fn flow_start(src: IpAddr, mac: [u8; 6], dst: IpAddr) -> Observation {
        let (key, _) = FlowKey::new(src, 40000, dst, 80, 6, 0, 0);
        Observation::FlowStart {
            id: FlowId { key, first_seq: 1 },
            ts: Timestamp::from_secs(1),
            initiator: Endpoint {
                ip: src,
                port: 40000,
                mac,
            },
            responder: Endpoint {
                ip: dst,
                port: 80,
                mac: [0; 6],
            },
            proto: 6,
            vlan: 0,
            icmp_one_way: false,
            first_bytes: 60,
            midstream: false,
        }
    }

    #[test]
    fn a_full_inventory_still_admits_cameras() {
        let policy = Policy::default();
        let mut inventory = Inventory::default();
        let server: IpAddr = "10.0.0.1".parse().unwrap();
        for n in 0..MAX_HOSTS as u32 {
            let ip = IpAddr::from((0x0a01_0000u32 + n).to_be_bytes());
            inventory.observe(&policy, &flow_start(ip, [2, 0, 0, 0, 0, 1], server));
        }
        assert_eq!(inventory.hosts.len(), MAX_HOSTS);
        // A workstation is left out, and counted.
        let other: IpAddr = "10.99.0.1".parse().unwrap();
        inventory.observe(&policy, &flow_start(other, [2, 0, 0, 0, 0, 2], server));
        assert!(inventory.host(other).is_none());
        assert!(inventory.untracked() > 0);
        // A camera maker's MAC (Hikvision c0:56:e3) still gets in.
        let camera: IpAddr = "10.99.0.2".parse().unwrap();
        inventory.observe(
            &policy,
            &flow_start(camera, [0xc0, 0x56, 0xe3, 0, 0, 1], server),
        );
        assert!(inventory.is_camera(&policy, camera));
        // So does a host that answers RTSP.
        let rtsp: IpAddr = "10.99.0.3".parse().unwrap();
        inventory.observe(
            &policy,
            &Observation::RtspServer {
                ts: Timestamp::from_secs(2),
                server: Endpoint {
                    ip: rtsp,
                    port: 554,
                    mac: [0; 6],
                },
                banner: None,
            },
        );
        assert!(inventory.is_camera(&policy, rtsp));
    }
}
