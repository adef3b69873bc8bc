//! `site-day` and `site-day-incidents`: hours of a realistic camera site for
//! zero-configuration false-alert checks, the second with labelled
//! incidents after the first 70 minutes.
//!
//! The site: cameras `site::bulk_camera_info(0..n)` (Hikvision, Dahua and
//! Axis OUIs) recorded by the NVR. Most are recorded continuously (already
//! running at capture start, RTSP/TCP interleaved or RTP/UDP by
//! [`recording::transport_of`](crate::recording::transport_of)); the motion-triggered ones get recording
//! sessions opened and torn down a few times per hour. Around that: vendor
//! cloud sessions, NTP, DNS, DHCP renewals, ARP refreshes, the NVR's
//! WS-Discovery and ONVIF polling, remote clients behind the router, and
//! one-off events (an admin opening camera web UIs, a firmware download, a
//! reboot, a new camera). Scale (duration, cameras, video rate) comes from
//! the scenario name, see [`Day::parse`].
//!
//! Layout: this file holds the scale ([`Day`]) and the facts (constants,
//! plans) tests rely on; `builder.rs` writes the day's timeline.

use std::io;

use crate::incidents::{SweepPlan, WormPlan};
use crate::scenario::BASE_TS;
use crate::site::{self, Host};
use crate::trace::Trace;
use crate::traffic::{MS, SEC, Sim};

mod builder;
#[cfg(test)]
mod tests;

use builder::Builder;

/// Scale and content of a site day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day {
    /// Capture length in minutes.
    pub minutes: u64,
    /// Cameras present from the start (a further one joins).
    pub cameras: usize,
    /// Captured video packets per second per recorded camera.
    pub pps: u64,
    /// Whether the labelled incidents are added.
    pub incidents: bool,
}

/// `site-day`: 3 hours, 16 cameras, 10 captured video packets per second
/// per camera.
pub const FULL: Day = Day {
    minutes: 180,
    cameras: 16,
    pps: 10,
    incidents: false,
};

/// `site-day-short`: 2 hours, 8 cameras, 2 captured video packets per
/// second per camera (the size a debug-build test replays in seconds).
pub const SHORT: Day = Day {
    minutes: 120,
    cameras: 8,
    pps: 2,
    incidents: false,
};

/// Fewest cameras a day can have (the events use cameras 0-7).
pub const MIN_CAMERAS: usize = 8;
/// Most cameras a day can have (10.20.0.11 upwards, the joining camera
/// last).
pub const MAX_CAMERAS: usize = 200;

impl Day {
    /// The day a scenario name asks for: `site-day`, `site-day-short`,
    /// `site-day-incidents`, `site-day-incidents-short`, or `site-day` /
    /// `site-day-incidents` followed by `:`-separated overrides of
    /// [`FULL`]: `<N>h` or `<N>m` (length), `<N>cam` (cameras, 8-200),
    /// `<N>pps` (video rate, 1-25), e.g. `site-day:2h:8cam:2pps`. `None`
    /// if the name is not a site day; an error message if an override is
    /// malformed.
    pub fn parse(name: &str) -> Option<Result<Day, String>> {
        let (base, rest) = match name.split_once(':') {
            Some((b, r)) => (b, Some(r)),
            None => (name, None),
        };
        let mut day = match (base, rest.is_some()) {
            ("site-day", _) => FULL,
            ("site-day-incidents", _) => Day {
                incidents: true,
                ..FULL
            },
            ("site-day-short", false) => SHORT,
            ("site-day-incidents-short", false) => Day {
                incidents: true,
                ..SHORT
            },
            _ => return None,
        };
        for part in rest.into_iter().flat_map(|r| r.split(':')) {
            let num = |suffix: &str| -> Option<u64> { part.strip_suffix(suffix)?.parse().ok() };
            if let Some(n) = num("pps") {
                day.pps = n;
            } else if let Some(n) = num("cam") {
                day.cameras = n as usize;
            } else if let Some(n) = num("h") {
                day.minutes = n * 60;
            } else if let Some(n) = num("m") {
                day.minutes = n;
            } else {
                return Some(Err(format!(
                    "bad '{part}' in '{name}': expected <N>h, <N>m, <N>cam or <N>pps"
                )));
            }
        }
        if !(MIN_CAMERAS..=MAX_CAMERAS).contains(&day.cameras) {
            return Some(Err(format!(
                "{name}: cameras must be {MIN_CAMERAS}-{MAX_CAMERAS}"
            )));
        }
        if !(1..=25).contains(&day.pps) || !(10..=24 * 60).contains(&day.minutes) {
            return Some(Err(format!(
                "{name}: pps must be 1-25 and length 10 min-24 h"
            )));
        }
        Some(Ok(day))
    }

    fn end(&self) -> u64 {
        BASE_TS + self.minutes * 60 * SEC
    }
}

/// Capture time of minute `m`.
fn minute(m: u64) -> u64 {
    BASE_TS + m * 60 * SEC
}

/// Cameras recorded on motion only (the ones below the camera count).
pub const MOTION_CAMERAS: [usize; 4] = [3, 6, 10, 14];
/// Cameras holding a vendor cloud session (the ones below the camera
/// count).
pub fn cloud_camera(i: usize) -> bool {
    i == 0 || i == 2 || (i >= 8 && i.is_multiple_of(4))
}
/// Cameras configured by DHCP (lease [`DHCP_LEASE`] s, renewed at half of
/// it); the others have static addresses.
pub fn dhcp_camera(i: usize) -> bool {
    i % 3 == 1
}
/// Lease time the gateway grants the DHCP cameras.
pub const DHCP_LEASE: u32 = 3_600;

/// Minute the admin workstation opens the camera web UIs.
pub const WORKSTATION_AT: u64 = 65;
/// Cameras whose web UI the workstation opens (the first ones).
pub const WORKSTATION_UIS: usize = 12;
/// Minute camera [`FIRMWARE_CAMERA`] starts its firmware download.
pub const FIRMWARE_AT: u64 = 78;
/// The camera downloading firmware.
pub const FIRMWARE_CAMERA: usize = 2;
/// Bytes of the firmware image (over 150 s).
pub const FIRMWARE_BYTES: usize = 20_000_000;
/// Minute camera [`REBOOT_CAMERA`] resets its session and reboots.
pub const REBOOT_AT: u64 = 100;
/// The rebooting camera (a DHCP camera, recorded over RTSP/TCP).
pub const REBOOT_CAMERA: usize = 1;
/// Silence of the rebooting camera before its DHCP DISCOVER.
pub const REBOOT_SILENCE: u64 = 80 * SEC;
/// Minute the new camera (index = camera count) joins.
pub const JOIN_AT: u64 = 108;
/// Remote clients behind the router (10.50.0.21 ..): they reach the NVR
/// through the gateway, so all carry the gateway's MAC on the camera VLAN.
pub const REMOTE_CLIENTS: usize = 5;

/// Remote client `k` (0-based) of [`REMOTE_CLIENTS`].
pub fn remote_client(k: usize) -> Host {
    Host {
        mac: site::GATEWAY_MAC,
        ip: [10, 50, 0, 21 + k as u8],
        vlan: site::EXTERNAL,
        ttl: 63,
    }
}

/// Incident: minute camera [`INC_EGRESS_CAMERA`] contacts
/// [`site::EVIL_NAME`] (resolved, TLS with SNI).
pub const INC_EGRESS_AT: u64 = 72;
/// Incident: the camera contacting an unknown destination by name.
pub const INC_EGRESS_CAMERA: usize = 2;
/// Incident: minute the slow ARP-heavy sweep by [`INC_SWEEP_CAMERA`]
/// starts; it lasts [`INC_SWEEP_MINUTES`] with one probe every 20-60 s.
pub const INC_SWEEP_AT: u64 = 75;
/// Incident: the sweeping camera.
pub const INC_SWEEP_CAMERA: usize = 4;
/// Incident: length of the sweep.
pub const INC_SWEEP_MINUTES: u64 = 35;
/// Incident: seed of the sweep plan.
pub const INC_SWEEP_SEED: u64 = 0x0005_eee7;
/// Incident: minute the worm on [`INC_WORM_CAMERA`] checks in with its C2;
/// its scan burst starts 30 s later.
pub const INC_WORM_AT: u64 = 85;
/// Incident: the worm-infected camera.
pub const INC_WORM_CAMERA: usize = 5;
/// Incident: SYNs of the worm burst (about five per second for two
/// minutes).
pub const INC_WORM_PROBES: usize = 600;
/// Incident: seed of the worm plan.
pub const INC_WORM_SEED: u64 = 0xb07e;
/// Incident: minute camera [`INC_UPLOAD_CAMERA`] starts uploading
/// [`INC_UPLOAD_BYTES`] to [`INC_UPLOAD_HOST`] over 10 minutes.
pub const INC_UPLOAD_AT: u64 = 95;
/// Incident: the uploading camera.
pub const INC_UPLOAD_CAMERA: usize = 7;
/// Incident: bytes uploaded.
pub const INC_UPLOAD_BYTES: usize = 50_000_000;
/// Incident: the unknown upload destination, contacted by address (no DNS,
/// no SNI) on TCP 443 (TEST-NET-1).
pub const INC_UPLOAD_HOST: [u8; 4] = [192, 0, 2, 45];

/// The sweep plan of a `site-day-incidents` with `cameras` cameras.
pub fn sweep_plan(cameras: usize) -> SweepPlan {
    SweepPlan::new(
        INC_SWEEP_CAMERA,
        INC_SWEEP_MINUTES * 60 * SEC,
        INC_SWEEP_SEED,
        cameras,
    )
}

/// The worm plan of `site-day-incidents`: public destinations, 4%
/// refused, 1% open, 200 ms apart on average.
pub fn worm_plan() -> WormPlan {
    WormPlan::new(INC_WORM_SEED, INC_WORM_PROBES, 200 * MS, 0, 40, 10)
}

/// Builds a site day.
pub fn build(day: &Day, seed: u64) -> io::Result<Trace> {
    let tag = if day.incidents { 0x1c1d } else { 0xda7 };
    let mut sim = Sim::new(seed ^ tag ^ ((day.cameras as u64) << 20) ^ (day.minutes << 40));
    Builder { day: *day }.run(&mut sim)?;
    Ok(sim.trace)
}
