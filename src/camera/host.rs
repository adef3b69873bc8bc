//! One host of the inventory: its addresses, the evidence of what it is
//! (camera, recorder, site service, router), its names and its peers. The
//! role rules are described in `inventory`.

use crate::small_map::SmallMap;
use std::net::IpAddr;

use crate::config::Policy;
use crate::timestamp::Timestamp;
use crate::vendor::{self as oui, Vendor, VendorKind};

pub const EVIDENCE_OUI: u8 = 1;
pub const EVIDENCE_RTSP: u8 = 2;
pub const EVIDENCE_ONVIF: u8 = 4;
pub const EVIDENCE_POLICY: u8 = 8;

/// Recorder behaviour seen (the policy and vendor are checked directly).
pub const RECORDER_WSD_PROBE: u8 = 1;
pub const RECORDER_RTSP_PULL: u8 = 2;
pub const RECORDER_VIDEO: u8 = 4;

/// Services a host was seen to answer, and whether it is a router.
pub const SERVES_DNS: u8 = 1;
pub const SERVES_NTP: u8 = 2;
pub const SERVES_DHCP: u8 = 4;
pub const GATEWAY: u8 = 8;

/// Most peers remembered per host (the busiest are kept in flows anyway).
const MAX_PEERS: usize = 512;

/// What a host is, from the evidence of its own traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Camera,
    Recorder,
    Gateway,
    Dns,
    Ntp,
    Dhcp,
    Other,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Camera => "camera",
            Role::Recorder => "recorder",
            Role::Gateway => "gateway",
            Role::Dns => "dns",
            Role::Ntp => "ntp",
            Role::Dhcp => "dhcp",
            Role::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PeerStats {
    pub flows: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub name: Option<Box<str>>,
}

/// Model and firmware facts a device revealed passively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceFacts {
    pub manufacturer: Option<Box<str>>,
    pub model: Option<Box<str>>,
    pub firmware: Option<Box<str>>,
    pub serial: Option<Box<str>>,
    /// HTTP `Server:` banner.
    pub server: Option<Box<str>>,
}

#[derive(Debug, Clone)]
pub struct Host {
    pub ip: IpAddr,
    pub mac: Option<[u8; 6]>,
    pub vendor: Option<Vendor>,
    /// Camera evidence (`EVIDENCE_*`).
    pub evidence: u8,
    /// Recorder behaviour (`RECORDER_*`).
    pub recorder_evidence: u8,
    /// Services answered and router role (`SERVES_*`, `GATEWAY`).
    pub serves: u8,
    /// Sent ARP from its MAC (so the MAC is its own, or it is the router
    /// that owns a shared MAC).
    pub speaks_arp: bool,
    /// Holds one of the inventory's camera places (while it has evidence).
    pub(super) camera_place: bool,
    /// Cameras whose video it received (two are enough to decide).
    pub(super) video_from: [Option<IpAddr>; 2],
    pub rtsp_banner: Option<Box<str>>,
    pub onvif_hardware: Option<Box<str>>,
    pub onvif_name: Option<Box<str>>,
    pub dhcp_host_name: Option<Box<str>>,
    /// DHCP option 60 (vendor class), e.g. `udhcp 1.26.2`.
    pub dhcp_vendor_class: Option<Box<str>>,
    /// What the device said about itself (ONVIF device information, HTTP
    /// `Server:`), the latest value of each; every string bounded by
    /// `observation::MAX_DEVICE_TEXT`.
    pub device: DeviceFacts,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// In address order.
    pub peers: SmallMap<IpAddr, PeerStats>,
}

impl Host {
    pub(super) fn new(ip: IpAddr, ts: Timestamp) -> Host {
        Host {
            ip,
            mac: None,
            vendor: None,
            evidence: 0,
            recorder_evidence: 0,
            serves: 0,
            speaks_arp: false,
            camera_place: false,
            video_from: [None; 2],
            rtsp_banner: None,
            onvif_hardware: None,
            onvif_name: None,
            dhcp_host_name: None,
            dhcp_vendor_class: None,
            device: DeviceFacts::default(),
            first_seen: ts,
            last_seen: ts,
            bytes_sent: 0,
            bytes_received: 0,
            peers: SmallMap::new(),
        }
    }

    /// Whether the host holds one of the inventory's camera places (it has
    /// camera evidence, though a service role may outrank it).
    pub fn holds_camera_place(&self) -> bool {
        self.camera_place
    }

    /// Camera evidence names, in a fixed order.
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

    /// Why the host has its role (camera evidence, recorder behaviour,
    /// services), in a fixed order.
    pub fn role_evidence(&self, policy: &Policy) -> Vec<&'static str> {
        let mut out = Vec::new();
        if policy.is_recorder(self.ip) {
            out.push("policy_recorder");
        }
        if self.vendor.is_some_and(|v| v.kind == VendorKind::Recorder) {
            out.push("recorder_vendor");
        }
        for (bit, name) in [
            (RECORDER_WSD_PROBE, "wsd_probe"),
            (RECORDER_RTSP_PULL, "rtsp_pull"),
            (RECORDER_VIDEO, "receives_video"),
        ] {
            if self.recorder_evidence & bit != 0 {
                out.push(name);
            }
        }
        for (bit, name) in [
            (GATEWAY, "router_mac"),
            (SERVES_DNS, "serves_dns"),
            (SERVES_NTP, "serves_ntp"),
            (SERVES_DHCP, "serves_dhcp"),
        ] {
            if self.serves & bit != 0 {
                out.push(name);
            }
        }
        out.extend(self.identified_by());
        out
    }

    /// A display name: the ONVIF name, the DHCP host name, else none.
    pub fn display_name(&self) -> Option<&str> {
        self.onvif_name
            .as_deref()
            .or(self.dhcp_host_name.as_deref())
    }

    pub(super) fn set_mac(&mut self, mac: [u8; 6], shared: bool) {
        if mac == [0; 6] || mac[0] & 1 != 0 {
            return;
        }
        self.mac = Some(mac);
        self.vendor = oui::vendor(mac);
        match self.vendor.map(|v| v.kind) {
            Some(VendorKind::Camera | VendorKind::CameraAndRecorder) if !shared => {
                self.evidence |= EVIDENCE_OUI
            }
            _ => self.evidence &= !EVIDENCE_OUI,
        }
    }

    pub(super) fn peer(&mut self, ip: IpAddr) -> Option<&mut PeerStats> {
        if self.peers.len() >= MAX_PEERS && !self.peers.contains_key(&ip) {
            return None;
        }
        Some(self.peers.get_or_insert_with(ip, PeerStats::default))
    }

    pub(super) fn role(&self, policy: &Policy) -> Role {
        if policy.is_recorder(self.ip)
            || self.recorder_evidence != 0
            || self.vendor.is_some_and(|v| v.kind == VendorKind::Recorder)
        {
            Role::Recorder
        } else if self.serves & GATEWAY != 0 {
            Role::Gateway
        } else if self.serves & SERVES_DNS != 0 {
            Role::Dns
        } else if self.serves & SERVES_NTP != 0 {
            Role::Ntp
        } else if self.serves & SERVES_DHCP != 0 {
            Role::Dhcp
        } else if self.evidence != 0 {
            Role::Camera
        } else {
            Role::Other
        }
    }
}
