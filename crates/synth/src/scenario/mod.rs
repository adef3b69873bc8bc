//! The small scenarios: a healthy sample site, one capture per detector, and
//! benign captures that must stay silent.
//!
//! Each scenario is a timeline written against [`Sim`]; `fixtures/README.md`
//! documents what happens when and which alerts are expected. The constants
//! below are the facts tests can rely on. Scan and transfer volumes do not
//! depend on the seed; only ports, sequence numbers, identifiers, payload
//! bytes and small timing jitter do.
//!
//! Layout: this file holds the facts (constants) and [`build`], which maps a
//! name to its timeline; the timelines live by theme:
//! - `background.rs`: the normal activity under every scenario (recording,
//!   NTP, the cloud session);
//! - `benign.rs`: the healthy sample site and the benign captures;
//! - `scan.rs`: the TCP, UDP, ARP and slow scans, and what each host answers;
//! - `egress.rs`: egress to unknown destinations and the uploads;
//! - `exposure.rs`: cameras reachable from the Internet or asking the
//!   router to open ports (UPnP, NAT-PMP, PCP), and an allowed VPN viewer.
//!
//! Reboots and ARP refreshes live in [`crate::lifecycle`], the incident
//! scenarios in [`crate::incidents`].

use std::io;

use crate::SynthOptions;
use crate::incidents;
use crate::lifecycle;
use crate::site;
use crate::tamper;
use crate::trace::Trace;
use crate::traffic::{SEC, Sim};

mod background;
mod benign;
mod egress;
mod exposure;
mod scan;
#[cfg(test)]
mod tests;

pub(crate) use background::{
    Background, background, cloud_session, ntp_polls, standard_background,
};
pub(crate) use egress::upload;
pub(crate) use scan::live_host;
pub use scan::scan_udp_ports;

/// Capture start: 2026-01-05T08:00:00Z in µs since the Unix epoch.
pub const BASE_TS: u64 = 1_767_600_000_000_000;

/// Cameras (indices into [`CAMERAS`](crate::site::CAMERAS)) streaming in `camera-network` and
/// `benign-video`.
pub const STREAMING_CAMERAS: [usize; 4] = [0, 1, 4, 6];

/// `egress`: camera index that resolves [`site::EVIL_NAME`] and connects to
/// [`site::EVIL`]:443.
pub const EGRESS_DNS_CAMERA: usize = 1;
/// `egress`: camera index that connects to [`site::RAW_IP_TARGET`]:23.
pub const EGRESS_RAW_CAMERA: usize = 5;

/// `scan-tcp`: scanning camera index (10.20.0.14).
pub const SCAN_TCP_CAMERA: usize = 3;
/// `scan-tcp`: ports probed on every live host.
pub const SCAN_TCP_PORTS: [u16; 4] = [23, 80, 554, 8000];
/// `scan-tcp`: addresses probed (10.20.0.1 ..= 10.20.0.254 minus the
/// scanner).
pub const SCAN_TCP_ADDRESSES: usize = 253;
/// `scan-tcp`: SYN probes sent (every address x every port), one each.
pub const SCAN_TCP_SYNS: usize = SCAN_TCP_ADDRESSES * SCAN_TCP_PORTS.len();
/// `scan-tcp`: probed addresses with a host (gateway, recorder, seven other
/// cameras); the other 244 never answer.
pub const SCAN_TCP_LIVE_HOSTS: usize = 9;
/// `scan-tcp`: probes answered SYN/ACK (the scanner then sends RST).
pub const SCAN_TCP_OPEN: usize = 21;
/// `scan-tcp`: probes answered RST/ACK.
pub const SCAN_TCP_CLOSED: usize = 14;
/// `scan-tcp`: probes never answered (recorder port 23 and every probe to an
/// absent host).
pub const SCAN_TCP_UNANSWERED: usize = SCAN_TCP_SYNS - SCAN_TCP_OPEN - SCAN_TCP_CLOSED;

/// `scan-udp`: scanning camera index (10.20.0.13).
pub const SCAN_UDP_CAMERA: usize = 2;
/// `scan-udp`: the two probed hosts' addresses (gateway and recorder).
pub const SCAN_UDP_TARGETS: [[u8; 4]; 2] = [site::GATEWAY.ip, site::NVR.ip];
/// `scan-udp`: distinct ports probed on each target.
pub const SCAN_UDP_PORTS_PER_HOST: usize = 100;
/// `scan-udp`: source port of every probe.
pub const SCAN_UDP_SOURCE_PORT: u16 = 41_337;

/// `scan-arp`: sweeping camera index (10.20.0.15).
pub const SCAN_ARP_CAMERA: usize = 4;
/// `scan-arp`: first and last last-octet swept (10.20.0.20 ..= 10.20.0.120).
pub const SCAN_ARP_RANGE: (u8, u8) = (20, 120);

/// `scan-slow`: scanning camera index (10.20.0.16).
pub const SCAN_SLOW_CAMERA: usize = 5;
/// `scan-slow`: one probe every this many µs.
pub const SCAN_SLOW_INTERVAL: u64 = 45 * SEC;
/// `scan-slow`: number of probes, each to a distinct host of
/// [`site::REMOTE_NET`] (10.40.0.1 ..= 10.40.0.120), TCP port 23.
pub const SCAN_SLOW_PROBES: usize = 120;

/// `exfil`: uploading camera index (10.20.0.13).
pub const EXFIL_CAMERA: usize = 2;
/// `exfil` and `exfil-cloud`: TCP payload bytes of the upload.
pub const EXFIL_BYTES: usize = 12_000_000;
/// `exfil`, `exfil-cloud`: duration of the upload.
pub const EXFIL_DURATION: u64 = 600 * SEC;
/// `exfil-cloud`: uploading camera index (10.20.0.11).
pub const EXFIL_CLOUD_CAMERA: usize = 0;
/// `exfil-slow`: uploading camera index (10.20.0.17).
pub const EXFIL_SLOW_CAMERA: usize = 6;
/// `exfil-slow`: TCP payload bytes uploaded per 10-minute window.
pub const EXFIL_SLOW_BYTES_PER_WINDOW: usize = 300_000;
/// `exfil-slow`: number of 10-minute windows (3 hours).
pub const EXFIL_SLOW_WINDOWS: usize = 18;

/// `benign-firmware`: downloading camera index (10.20.0.11).
pub const FIRMWARE_CAMERA: usize = 0;
/// `benign-firmware`: TCP payload bytes of the firmware download.
pub const FIRMWARE_BYTES: usize = 30_000_000;

/// Captured video packets per second per camera of the recording in the
/// 5- to 15-minute scenarios, and of the streams `benign-video` opens.
pub const VIDEO_PPS: u64 = 10;
/// Captured video packets per second per camera of the recording in the
/// 30- to 40-minute scenarios (`exfil-cloud`, `benign-arp-refresh`,
/// `scan-slow-arp`).
pub const HALF_HOUR_PPS: u64 = 5;
/// Captured video packets per second per camera in `camera-network`, the
/// committed sample (kept small).
pub const SAMPLE_PPS: u64 = 1;

/// `benign-onvif-poll`: polling rounds (every 2 minutes from t = 10 s); each
/// round calls every camera's ONVIF device service and RTSP OPTIONS.
pub const ONVIF_POLL_ROUNDS: u64 = 3;

/// `benign-workstation`: distinct hosts the workstation contacts: the 10
/// camera-VLAN devices, [`WORKSTATION_OFFICE_HOSTS`] office hosts and
/// [`WORKSTATION_WEB_SITES`] external sites.
pub const WORKSTATION_PEERS: usize = 10 + WORKSTATION_OFFICE_HOSTS + WORKSTATION_WEB_SITES;
/// `benign-workstation`: office hosts 10.30.0.10 ..= 10.30.0.49.
pub const WORKSTATION_OFFICE_HOSTS: usize = 40;
/// `benign-workstation`: external sites www1.example ..= www10.example at
/// 203.0.113.100 ..= 203.0.113.109.
pub const WORKSTATION_WEB_SITES: usize = 10;

/// `exposed-rtsp` and `benign-vpn-inbound`: camera index whose RTSP port
/// is reached from outside (10.20.0.12).
pub const EXPOSED_CAMERA: usize = 1;
/// `exposed-rtsp`: the external viewers, one every five minutes from
/// minute 2; the first one comes back at minute 27.5.
pub const EXPOSED_VIEWERS: [[u8; 4]; 5] = [
    [198, 51, 100, 23],
    [203, 0, 113, 77],
    [192, 0, 2, 140],
    [198, 51, 100, 181],
    [203, 0, 113, 200],
];
/// `benign-vpn-inbound`: the operator's address in the site's VPN range
/// 100.64.0.0/10 (outside RFC 1918, so external without a policy).
pub const VPN_VIEWER: [u8; 4] = [100, 80, 12, 5];
/// `upnp-mapping`: camera index that maps ports with UPnP (10.20.0.14).
pub const UPNP_CAMERA: usize = 3;
/// `upnp-mapping`: the gateway's UPnP description and control port.
pub const UPNP_CONTROL_PORT: u16 = 5000;
/// `upnp-mapping`: external port mapped to the camera's RTSP port
/// (accepted, then renewed).
pub const UPNP_EXTERNAL_PORT: u16 = 8554;
/// `upnp-mapping`: external port asked for the camera's web port (refused
/// with 718 ConflictInMappingEntry).
pub const UPNP_REFUSED_PORT: u16 = 8080;
/// `natpmp-mapping`: camera index mapping its RTSP port with NAT-PMP
/// (10.20.0.16).
pub const NATPMP_CAMERA: usize = 5;
/// `natpmp-mapping`: camera index whose PCP MAP for its web port is
/// refused (10.20.0.17).
pub const PCP_CAMERA: usize = 6;

/// Segment payload of bulk transfers.
pub const BULK_MSS: usize = 1400;

pub(crate) fn at(secs: u64) -> u64 {
    BASE_TS + secs * SEC
}

/// Builds the trace of small scenario `name`, or `None` if there is no such
/// small scenario.
pub fn build(name: &str, options: &SynthOptions) -> Option<io::Result<Trace>> {
    let f: fn(&mut Sim) -> io::Result<()> = match name {
        "camera-network" => benign::camera_network,
        "egress" => egress::egress,
        "scan-tcp" => scan::scan_tcp,
        "scan-udp" => scan::scan_udp,
        "scan-arp" => scan::scan_arp,
        "scan-slow" => scan::scan_slow,
        "exfil" => egress::exfil,
        "exfil-cloud" => egress::exfil_cloud,
        "exfil-slow" => egress::exfil_slow,
        "benign-onvif-poll" => benign::benign_onvif_poll,
        "benign-firmware" => benign::benign_firmware,
        "benign-video" => benign::benign_video,
        "benign-workstation" => benign::benign_workstation,
        "benign-new-camera" => benign::benign_new_camera,
        "benign-reboot" => lifecycle::benign_reboot,
        "benign-arp-refresh" => lifecycle::benign_arp_refresh,
        "camera-unplugged" => tamper::camera_unplugged,
        "camera-reboot-60s" => tamper::camera_reboot_60s,
        "recorder-outage" => tamper::recorder_outage,
        "arp-takeover" => tamper::arp_takeover,
        "ssrc-switch" => tamper::ssrc_switch,
        "firmware-change" => tamper::firmware_change,
        "scan-slow-arp" => incidents::scan_slow_arp,
        "worm-internet" => incidents::worm_internet,
        "flood-100k" => incidents::flood_100k,
        "ghost-addresses" => incidents::ghost_addresses,
        "exposed-rtsp" => exposure::exposed_rtsp,
        "upnp-mapping" => exposure::upnp_mapping,
        "natpmp-mapping" => exposure::natpmp_mapping,
        "benign-vpn-inbound" => exposure::benign_vpn_inbound,
        _ => return None,
    };
    let mut sim = Sim::new(options.seed ^ name_hash(name));
    Some(f(&mut sim).map(|()| sim.trace))
}

/// FNV-1a of the scenario name, so different scenarios with the same seed
/// do not share random streams.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
