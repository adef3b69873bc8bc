//! The inventory: every internal host that sent a packet, what it is, and
//! whom it talks to.
//!
//! A host's role comes from evidence of its own traffic only: an address
//! that never sent a packet (a scanner's target, a DHCP lease nobody used)
//! is listed as nothing. Roles, first match wins:
//! - **recorder**: the policy lists it, its MAC belongs to a recorder-only
//!   maker, or it behaves as one: it sends WS-Discovery probes
//!   (`wsd_probe`), opens RTSP sessions to cameras (`rtsp_pull`, also when
//!   the session was already running at capture start), or receives video
//!   (RTP, or RTSP-interleaved RTP) from two cameras, or from one while
//!   showing no camera evidence of its own (`receives_video`). A recorder is
//!   never a camera, even with a camera maker's MAC (NVRs have them).
//! - **gateway**: it speaks ARP with a MAC that is the source of many
//!   addresses (a router; see `macs.rs`);
//! - **dns**, **ntp**, **dhcp**: it answers on that service's port;
//! - **camera**, on any of:
//!   - `oui`: its MAC belongs to a camera maker, and that MAC speaks for
//!     this host alone (not a router's or a spoofer's MAC);
//!   - `rtsp`: it answered an RTSP request (`RTSP/1.0` reply, `Server:`
//!     banner);
//!   - `onvif`: it answered WS-Discovery as an ONVIF device;
//!   - `policy`: a policy group selects it;
//! - **other**: everything else (workstations, clients behind routers).
//!
//! Only hosts inside the site's internal networks are tracked.
//!
//! # Bounds
//!
//! Addresses are free to forge and a careless policy group can cover
//! `10.0.0.0/8`, so every bound here is hard and nothing known is evicted by
//! a stranger: a full inventory *refuses* new hosts (and a full camera
//! table refuses new cameras), counts them in [`Overflow`], and the
//! engine's `sensor` detector reports the flood once as an alert.
//! - [`MAX_HOSTS`] hosts without camera or recorder behaviour of their own
//!   (workstations, the clients of a routed subnet);
//! - [`MAX_HOSTS_WITH_EVIDENCE`] hosts in all: the last
//!   [`EVIDENCE_RESERVE`] places are kept for hosts whose observation shows
//!   camera or recorder behaviour (an RTSP or ONVIF answer, a WS-Discovery
//!   probe), so a flood of plain addresses cannot lock a real camera out;
//! - [`MAX_CAMERAS`] hosts with camera evidence (a MAC, a policy group,
//!   RTSP, ONVIF). Beyond it a host is still listed, as `other`: it
//!   gets no per-camera detector state, which costs far more than the host.
//!
//! A camera-maker MAC is evidence only while it speaks for one device
//! (`macs.rs`); the sighting is recorded *before* the host is admitted, so
//! the flood behind a router's or a spoofer's MAC never reaches the camera
//! table: the first three addresses held it for a moment, the fourth takes
//! it back from exactly those (the table remembers them), in constant time,
//! and their camera places with it.
//!
//! What a host costs, measured on the `identity-flood-plain` capture
//! (release build, peak RSS over `--no-detect`): about 1.2 KB as a plain
//! host (the map slot, [`Host`], its first peer's B-tree node, the MAC
//! table slot) and about 4.5 KB more as a camera (the egress, scan and
//! exfil state, an open incident, its alert budget). So the inventory is
//! bounded by 110,000 x 1.2 KB = 132 MB and the cameras' detector state by
//! 16,384 x 4.5 KB = 74 MB, well inside a 512 MiB service limit together
//! with the flow tables.

use foldhash::HashMap;
use std::net::IpAddr;

use super::host::{
    EVIDENCE_ONVIF, EVIDENCE_OUI, EVIDENCE_POLICY, EVIDENCE_RTSP, GATEWAY, Host,
    RECORDER_RTSP_PULL, RECORDER_VIDEO, RECORDER_WSD_PROBE, Role, SERVES_DHCP, SERVES_DNS,
    SERVES_NTP,
};
use super::macs::{MacTable, Sighting};
use crate::config::Policy;
use crate::flow::Flow;
use crate::observation::{Arp, Bytes, Dhcp, Endpoint, FirstAnswer, FlowStart, Observation};
use crate::timestamp::Timestamp;

/// Hosts tracked on any traffic. A sensor runs for months and addresses
/// can be spoofed: beyond this a new host is only added when the
/// observation itself shows camera or recorder behaviour (an RTSP or ONVIF
/// answer, a WS-Discovery probe), up to [`MAX_HOSTS_WITH_EVIDENCE`]; what
/// is left out is counted. A MAC or a policy range is not enough: one
/// spoofed camera MAC or a `10.0.0.0/8` group would otherwise grow memory
/// without limit.
pub const MAX_HOSTS: usize = 100_000;
/// Places kept for hosts whose own traffic shows camera or recorder
/// behaviour.
pub const EVIDENCE_RESERVE: usize = 10_000;
/// The hard bound on hosts, evidence or not.
pub const MAX_HOSTS_WITH_EVIDENCE: usize = MAX_HOSTS + EVIDENCE_RESERVE;
/// Most hosts with camera evidence at once: the cameras detectors keep
/// state for. Sites with more cameras than this run one sensor per segment.
pub const MAX_CAMERAS: usize = 16_384;

/// What a full inventory refused: the flood the `sensor` detector reports.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Overflow {
    /// Sightings of hosts not added because the inventory was full.
    pub hosts: u64,
    /// Hosts denied camera evidence because the camera table was full.
    pub cameras: u64,
    /// The latest refusal: packet time, address and source MAC.
    pub last: Option<(Timestamp, IpAddr, Option<[u8; 6]>)>,
}

impl Overflow {
    /// Every refusal.
    pub fn total(&self) -> u64 {
        self.hosts + self.cameras
    }
}

#[derive(Debug, Default)]
pub struct Inventory {
    /// Boxed: a host is about 300 bytes, and the table doubles as it
    /// grows (under a flood inside a camera group, to 16,384 cameras and
    /// more): moving 24-byte slots instead of whole hosts, and half the
    /// table empty costs slots, not hosts.
    hosts: HashMap<IpAddr, Box<Host>>,
    macs: MacTable,
    /// Hosts holding a camera place (see [`MAX_CAMERAS`]).
    cameras: usize,
    overflow: Overflow,
    /// Camera or recorder makers' MACs that became shared since the last
    /// [`Inventory::take_shared_makers`]: what workers must stop counting as
    /// evidence. Each MAC becomes shared once, so this is bounded by the
    /// MAC table.
    shared_makers: Vec<[u8; 6]>,
}

/// A host that just gained camera evidence takes a camera place; when none
/// is left the evidence is withheld (the host stays listed, as `other`)
/// and the refusal counted. A host keeps its place while it has evidence,
/// so a known camera is never pushed out by strangers; one that lost it
/// (the three addresses that held a router's camera-maker MAC for a
/// moment) gives the place back.
fn admit_camera(
    cameras: &mut usize,
    overflow: &mut Overflow,
    host: &mut Host,
    before: u8,
    ts: Timestamp,
) {
    if host.camera_place {
        if host.evidence == 0 {
            host.camera_place = false;
            *cameras -= 1;
        }
        return;
    }
    if host.evidence == 0 {
        return;
    }
    if *cameras < MAX_CAMERAS {
        *cameras += 1;
        host.camera_place = true;
        return;
    }
    host.evidence = before;
    overflow.cameras += 1;
    overflow.last = Some((ts, host.ip, host.mac));
}

/// A host's port answering for a site service.
fn service_bit(port: u16) -> u8 {
    match port {
        53 => SERVES_DNS,
        123 => SERVES_NTP,
        67 => SERVES_DHCP,
        _ => 0,
    }
}

impl Inventory {
    pub fn host(&self, ip: IpAddr) -> Option<&Host> {
        self.hosts.get(&ip).map(|h| &**h)
    }

    /// The role of `ip` now; `None` for an address that never sent a
    /// packet (a policy recorder counts as one anyway).
    pub fn role(&self, policy: &Policy, ip: IpAddr) -> Option<Role> {
        match self.hosts.get(&ip) {
            Some(host) => Some(host.role(policy)),
            None => policy.is_recorder(ip).then_some(Role::Recorder),
        }
    }

    /// Whether `ip` is a camera now.
    pub fn is_camera(&self, policy: &Policy, ip: IpAddr) -> bool {
        self.hosts
            .get(&ip)
            .is_some_and(|h| h.evidence != 0 && h.role(policy) == Role::Camera)
    }

    /// Whether `ip` is a recorder (by policy, vendor or behaviour).
    pub fn is_recorder(&self, policy: &Policy, ip: IpAddr) -> bool {
        policy.is_recorder(ip)
            || self
                .hosts
                .get(&ip)
                .is_some_and(|h| h.role(policy) == Role::Recorder)
    }

    /// Cameras in address order.
    pub fn cameras<'a>(&'a self, policy: &'a Policy) -> Vec<&'a Host> {
        let mut cameras: Vec<&Host> = self.camera_hosts(policy).collect();
        cameras.sort_by_key(|h| h.ip);
        cameras
    }

    /// How many cameras there are now (`cameras().len()` without the list).
    pub fn camera_count(&self, policy: &Policy) -> usize {
        self.camera_hosts(policy).count()
    }

    /// The cameras, in no order.
    fn camera_hosts<'a>(&'a self, policy: &'a Policy) -> impl Iterator<Item = &'a Host> + 'a {
        self.hosts
            .values()
            .map(|h| &**h)
            .filter(|h| h.role(policy) == Role::Camera)
    }

    /// Every host with a role other than `other`, by role then address.
    pub fn known_hosts<'a>(&'a self, policy: &'a Policy) -> Vec<(Role, &'a Host)> {
        let mut hosts: Vec<(Role, &Host)> = self
            .hosts
            .values()
            .map(|h| (h.role(policy), &**h))
            .filter(|(role, _)| *role != Role::Other)
            .collect();
        hosts.sort_by_key(|(role, h)| (*role, h.ip));
        hosts
    }

    /// Sightings of hosts left out because the inventory was full.
    pub fn untracked(&self) -> u64 {
        self.overflow.hosts
    }

    /// What the bounds refused so far.
    pub fn overflow(&self) -> &Overflow {
        &self.overflow
    }

    /// Hosts holding a camera place (at most [`MAX_CAMERAS`]).
    pub fn camera_places(&self) -> usize {
        self.cameras
    }

    /// Counts a host refused a camera place before it reached the
    /// inventory (see `detect::relevance`): the same refusal
    /// `admit_camera` counts.
    pub fn refuse_camera(&mut self, ts: Timestamp, ip: IpAddr, mac: Option<[u8; 6]>) {
        self.overflow.cameras += 1;
        self.overflow.last = Some((ts, ip, mac.filter(|m| *m != [0; 6] && m[0] & 1 == 0)));
    }

    /// Adds refusals counted outside (see `Engine::refused_cameras`); the
    /// latest refusal is the later of theirs and the inventory's own.
    pub fn refused_elsewhere(&mut self, count: u64, last: (Timestamp, IpAddr, Option<[u8; 6]>)) {
        self.overflow.cameras += count;
        if self.overflow.last.is_none_or(|(ts, _, _)| ts <= last.0) {
            self.overflow.last = Some(last);
        }
    }

    /// Moves the camera or recorder makers' MACs that became shared since
    /// the last call into `out`.
    pub fn take_shared_makers(&mut self, out: &mut Vec<[u8; 6]>) {
        out.append(&mut self.shared_makers);
    }

    /// Whether `mac` speaks for several addresses (a router's, a
    /// spoofer's), so its vendor prefix is no evidence.
    pub fn mac_is_shared(&self, mac: [u8; 6]) -> bool {
        self.macs.is_shared(mac)
    }

    /// MACs remembered, and sightings of MACs the full table left out.
    pub fn mac_table(&self) -> (usize, u64) {
        (self.macs.len(), self.macs.untracked())
    }

    /// Hosts tracked.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// A packet from `endpoint`: the host behind it, added if new (see
    /// [`MAX_HOSTS`]); `evidence` says the observation itself shows camera
    /// or recorder behaviour. The MAC is the packet's source MAC, so it is
    /// the host's own or its router's.
    fn sent(
        &mut self,
        policy: &Policy,
        endpoint: &Endpoint,
        ts: Timestamp,
        evidence: bool,
    ) -> Option<&mut Host> {
        let mac = endpoint.mac;
        let usable_mac = mac != [0; 6] && mac[0] & 1 == 0;
        // Every source counts towards a MAC's sharing, external ones most
        // of all: they are what a router's MAC carries.
        let sighting = if usable_mac {
            self.macs.sighting(mac, endpoint.ip)
        } else {
            Sighting::Own
        };
        if let Sighting::BecameShared(earlier) = sighting {
            if crate::vendor::vendor(mac).is_some() {
                self.shared_makers.push(mac);
            }
            // Only the addresses the MAC spoke for took evidence from it.
            for ip in earlier.into_iter().flatten() {
                if let Some(host) = self.hosts.get_mut(&ip)
                    && host.mac == Some(mac)
                {
                    let before = host.evidence;
                    host.evidence &= !EVIDENCE_OUI;
                    if host.speaks_arp {
                        host.serves |= GATEWAY;
                    }
                    admit_camera(&mut self.cameras, &mut self.overflow, host, before, ts);
                }
            }
        }
        if !policy.is_internal(endpoint.ip) {
            return None;
        }
        if !self.hosts.contains_key(&endpoint.ip)
            && (self.hosts.len() >= MAX_HOSTS_WITH_EVIDENCE
                || self.hosts.len() >= MAX_HOSTS && !evidence)
        {
            self.overflow.hosts += 1;
            self.overflow.last = Some((ts, endpoint.ip, usable_mac.then_some(mac)));
            return None;
        }
        let host = self
            .hosts
            .entry(endpoint.ip)
            .or_insert_with(|| Box::new(Host::new(endpoint.ip, ts)));
        let before = host.evidence;
        host.last_seen = host.last_seen.max(ts);
        // A router's MAC never replaces a host's own: routed packets of a
        // host on another leg carry it.
        if usable_mac && host.mac != Some(mac) && (host.mac.is_none() || sighting == Sighting::Own)
        {
            host.set_mac(mac, sighting != Sighting::Own);
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
        admit_camera(&mut self.cameras, &mut self.overflow, host, before, ts);
        Some(host)
    }

    /// Updates the inventory with one observation.
    pub fn observe(&mut self, policy: &Policy, observation: &Observation) {
        match observation {
            Observation::FlowStart(start) => self.flow_start(policy, start),
            Observation::FirstAnswer(answer) => self.first_answer(policy, answer),
            Observation::Bytes(bytes) => self.bytes(policy, bytes),
            Observation::FlowEnd(end) => self.flow_end(policy, &end.flow),
            Observation::RtspServer(rtsp) => {
                if self.sent(policy, &rtsp.server, rtsp.ts, true).is_some()
                    && let Some(host) = self.hosts.get_mut(&rtsp.server.ip)
                {
                    let before = host.evidence;
                    host.evidence |= EVIDENCE_RTSP;
                    admit_camera(&mut self.cameras, &mut self.overflow, host, before, rtsp.ts);
                    if host.rtsp_banner.is_none() {
                        host.rtsp_banner = rtsp.banner.clone();
                    }
                }
            }
            Observation::OnvifDevice(device) => {
                if self.sent(policy, &device.device, device.ts, true).is_some()
                    && let Some(host) = self.hosts.get_mut(&device.device.ip)
                {
                    let before = host.evidence;
                    host.evidence |= EVIDENCE_ONVIF;
                    admit_camera(
                        &mut self.cameras,
                        &mut self.overflow,
                        host,
                        before,
                        device.ts,
                    );
                    host.onvif_hardware = device.hardware.clone().or(host.onvif_hardware.take());
                    host.onvif_name = device.name.clone().or(host.onvif_name.take());
                }
            }
            Observation::OnvifProbe(probe) => {
                if let Some(host) = self.sent(policy, &probe.prober, probe.ts, true) {
                    host.recorder_evidence |= RECORDER_WSD_PROBE;
                }
            }
            Observation::Dhcp(dhcp) => self.dhcp(dhcp),
            Observation::DeviceInfo(info) => {
                if let Some(host) = self.sent(policy, &info.device, info.ts, false) {
                    // ONVIF's device information is authoritative; what
                    // other sources say fills only what is still unknown.
                    let authoritative = info.source == "onvif";
                    let facts = &mut host.device;
                    let newer = |old: &mut Option<Box<str>>, new: &Option<Box<str>>| {
                        if new.is_some() && (authoritative || old.is_none()) {
                            old.clone_from(new);
                        }
                    };
                    newer(&mut facts.manufacturer, &info.manufacturer);
                    newer(&mut facts.model, &info.model);
                    newer(&mut facts.firmware, &info.firmware);
                    newer(&mut facts.serial, &info.serial);
                    newer(&mut facts.server, &info.server);
                }
            }
            Observation::Arp(arp) if !arp.sender_ip.is_unspecified() => self.arp(policy, arp),
            _ => {}
        }
    }

    fn flow_start(&mut self, policy: &Policy, start: &FlowStart) {
        let (sender, other) = if start.sender_is_initiator {
            (&start.initiator, &start.responder)
        } else {
            (&start.responder, &start.initiator)
        };
        if let Some(host) = self.sent(policy, sender, start.ts, false) {
            if let Some(peer) = host.peer(other.ip) {
                peer.flows += 1;
            }
            if !start.sender_is_initiator {
                host.serves |= service_bit(start.responder.port);
            }
        }
        if let Some(host) = self.hosts.get_mut(&other.ip)
            && let Some(peer) = host.peer(sender.ip)
        {
            peer.flows += 1;
        }
        let responder = (start.responder.ip, start.responder.port);
        self.rtsp_pull(policy, start.initiator.ip, responder);
    }

    fn first_answer(&mut self, policy: &Policy, answer: &FirstAnswer) {
        let answerer = &answer.answerer;
        if let Some(host) = self.sent(policy, answerer, answer.ts, false)
            && answer.by_responder
        {
            host.serves |= service_bit(answerer.port);
        }
        // Either side may have become known only now.
        let other = answer.id.key.other_end(answerer.ip);
        let (initiator, responder) = if answer.by_responder {
            (other.0, (answerer.ip, answerer.port))
        } else {
            (answerer.ip, other)
        };
        self.rtsp_pull(policy, initiator, responder);
    }

    fn bytes(&mut self, policy: &Policy, bytes: &Bytes) {
        let endpoint = Endpoint {
            ip: bytes.sender,
            port: 0,
            mac: [0; 6],
        };
        self.sent(policy, &endpoint, bytes.ts, false);
        if bytes.media {
            let (receiver, _) = bytes.id.key.other_end(bytes.sender);
            self.video(policy, bytes.sender, receiver);
        }
    }

    fn flow_end(&mut self, policy: &Policy, flow: &Flow) {
        let (initiator, _) = flow.initiator();
        let (responder, _) = flow.responder();
        for (ip, side) in [(initiator, 0), (responder, 1)] {
            if flow.packets[side] > 0 {
                let endpoint = Endpoint {
                    ip,
                    port: 0,
                    mac: [0; 6],
                };
                self.sent(policy, &endpoint, flow.last_ts, false);
            }
        }
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

    /// The lease names a host; it is only listed once it sends.
    fn dhcp(&mut self, dhcp: &Dhcp) {
        if let Some(address) = dhcp.address
            && let Some(host) = self.hosts.get_mut(&address)
            && host.mac == Some(dhcp.mac)
            && dhcp.host_name.is_some()
        {
            host.dhcp_host_name = dhcp.host_name.clone();
        }
        if let Some(address) = dhcp.address
            && let Some(host) = self.hosts.get_mut(&address)
            && host.mac == Some(dhcp.mac)
            && dhcp.vendor_class.is_some()
        {
            host.dhcp_vendor_class = dhcp.vendor_class.clone();
        }
    }

    fn arp(&mut self, policy: &Policy, arp: &Arp) {
        let endpoint = Endpoint {
            ip: arp.sender_ip,
            port: 0,
            mac: arp.sender_mac,
        };
        let shared = self.macs.is_shared(arp.sender_mac);
        if let Some(host) = self.sent(policy, &endpoint, arp.ts, false) {
            host.speaks_arp = true;
            if shared && host.mac == Some(arp.sender_mac) {
                host.serves |= GATEWAY;
            }
        }
    }

    /// A flow to a camera's RTSP port makes its initiator a recorder (or a
    /// video management client, which for detection is the same).
    fn rtsp_pull(&mut self, policy: &Policy, initiator: IpAddr, responder: (IpAddr, u16)) {
        if matches!(responder.1, 554 | 8554)
            && self.is_camera(policy, responder.0)
            && let Some(host) = self.hosts.get_mut(&initiator)
        {
            host.recorder_evidence |= RECORDER_RTSP_PULL;
        }
    }

    /// `receiver` got another chunk of media from `sender`.
    fn video(&mut self, policy: &Policy, sender: IpAddr, receiver: IpAddr) {
        if !self.is_camera(policy, sender) {
            return;
        }
        let Some(host) = self.hosts.get_mut(&receiver) else {
            return;
        };
        if host.recorder_evidence & RECORDER_VIDEO != 0 || host.video_from.contains(&Some(sender)) {
            return;
        }
        // Two-way audio sends RTP *to* a camera: one stream into a host
        // with camera evidence of its own is that, not recording.
        let first = host.video_from[0].is_none();
        if first {
            host.video_from[0] = Some(sender);
        } else {
            host.video_from[1] = Some(sender);
        }
        if !first || host.evidence & !EVIDENCE_POLICY == 0 {
            host.recorder_evidence |= RECORDER_VIDEO;
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
mod tests;
