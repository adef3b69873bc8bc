//! `site-day` and `site-day-incidents`: hours of a realistic camera site for
//! zero-configuration false-alert checks, the second with labelled
//! incidents after the first 70 minutes.
//!
//! The site: cameras `site::bulk_camera_info(0..n)` (Hikvision, Dahua and
//! Axis OUIs) recorded by the NVR. Most are recorded continuously (already
//! running at capture start, RTSP/TCP interleaved or RTP/UDP by
//! [`recording::transport_of`]); the motion-triggered ones get recording
//! sessions opened and torn down a few times per hour. Around that: vendor
//! cloud sessions, NTP, DNS, DHCP renewals, ARP refreshes, the NVR's
//! WS-Discovery and ONVIF polling, remote clients behind the router, and
//! one-off events (an admin opening camera web UIs, a firmware download, a
//! reboot, a new camera). Scale (duration, cameras, video rate) comes from
//! the scenario name, see [`Day::parse`].

use std::io;

use crate::apps::OnvifOp;
use crate::incidents::{self, SweepPlan, WormPlan};
use crate::lifecycle::{self, DhcpClient};
use crate::recording::{self, Ending, Session};
use crate::scenario::{self, BASE_TS};
use crate::site::{self, Camera, Host, Vendor};
use crate::tls;
use crate::trace::Trace;
use crate::traffic::{Dir, MS, SEC, SendOpts, Sim};

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

struct Builder {
    day: Day,
}

impl Builder {
    fn cams(&self) -> Vec<Camera> {
        (0..self.day.cameras).map(site::bulk_camera_info).collect()
    }

    fn interval(&self) -> u64 {
        recording::per_second(self.day.pps)
    }

    /// Whether event minute `m` falls inside the capture (leaving a minute).
    fn fits(&self, m: u64) -> bool {
        m + 1 < self.day.minutes
    }

    /// The reboot window `[down, ready)` of [`REBOOT_CAMERA`], if any.
    fn reboot_window(&self) -> Option<(u64, u64)> {
        self.fits(REBOOT_AT + 4).then(|| {
            (
                minute(REBOOT_AT),
                minute(REBOOT_AT) + 2 * SEC + REBOOT_SILENCE + 20 * SEC,
            )
        })
    }

    fn up(&self, i: usize, t: u64) -> bool {
        match self.reboot_window() {
            Some((a, b)) if i == REBOOT_CAMERA => t < a || t >= b,
            _ => true,
        }
    }

    fn run(&self, sim: &mut Sim) -> io::Result<()> {
        let end = self.day.end();
        let cams = self.cams();
        self.recording(sim, &cams, end)?;
        for (i, cam) in cams.iter().enumerate() {
            self.housekeeping(sim, i, cam, end)?;
        }
        self.nvr(sim, &cams, end)?;
        self.remote_clients(sim, end)?;
        self.events(sim, &cams, end)?;
        if self.day.incidents {
            self.incidents(sim, end)?;
        }
        Ok(())
    }

    /// Continuous recording (already running) and motion sessions.
    fn recording(&self, sim: &mut Sim, cams: &[Camera], end: u64) -> io::Result<()> {
        let start = BASE_TS;
        let interval = self.interval();
        for (i, cam) in cams.iter().enumerate() {
            let tr = recording::transport_of(i);
            if MOTION_CAMERAS.contains(&i) {
                // A few events per hour, 20-120 s each; the recorder first
                // refreshes the camera's stale neighbour entry.
                let mut t = start + sim.rng.range(2 * 60 * SEC, 15 * 60 * SEC);
                while t + 3 * 60 * SEC < end {
                    let at = lifecycle::arp_unicast(sim, t, &site::NVR, &cam.host, true)?;
                    let (mut s, play) = Session::open(sim, at + MS, cam, i, tr)?;
                    let stop = play + sim.rng.range(20 * SEC, 120 * SEC);
                    let last = s.stream(sim, play + 5 * MS, stop, interval)?;
                    s.end(sim, last.max(stop) + 300 * MS, Ending::Teardown)?;
                    t = stop + sim.rng.range(8 * 60 * SEC, 30 * 60 * SEC);
                }
                continue;
            }
            let mut s = Session::running(sim, start, cam, i, tr);
            match self.reboot_window().filter(|_| i == REBOOT_CAMERA) {
                None => {
                    s.stream(sim, start, end, interval)?;
                }
                Some((down, _)) => {
                    let last = s.stream(sim, start, down, interval)?;
                    s.end(sim, last.max(down), Ending::Reset)?;
                    let up = down + 2 * SEC + REBOOT_SILENCE;
                    let dhcp = DhcpClient::camera(cam, DHCP_LEASE);
                    let (mut s, play, ready) = lifecycle::reboot(sim, cam, i, down, up, &dhcp)?;
                    s.stream(sim, play + 5 * MS, end, interval)?;
                    // Renewals of the new lease.
                    let mut t = ready + u64::from(DHCP_LEASE / 2) * SEC;
                    while t < end {
                        lifecycle::dhcp_renew(sim, t, &dhcp)?;
                        t += u64::from(DHCP_LEASE / 2) * SEC + sim.rng.below(5 * SEC);
                    }
                }
            }
        }
        Ok(())
    }

    /// A camera's NTP, DHCP renewals, gateway ARP refreshes and cloud.
    fn housekeeping(&self, sim: &mut Sim, i: usize, cam: &Camera, end: u64) -> io::Result<()> {
        let host = cam.host;
        let gw = site::GATEWAY;
        // NTP: a fixed poll interval of 10-17 minutes per camera.
        let every = sim.rng.range(600 * SEC, 1_024 * SEC);
        let mut t = BASE_TS + sim.rng.range(SEC, every);
        while t < end {
            if self.up(i, t) {
                sim.ntp_sync(t, &host)?;
            }
            t += every + sim.rng.below(2 * SEC);
        }
        // The gateway's neighbour entry: Dahua firmware asks by broadcast,
        // the others probe by unicast.
        let mut t = BASE_TS + sim.rng.range(10 * SEC, 600 * SEC);
        while t < end {
            if self.up(i, t) {
                if cam.vendor == Vendor::Dahua {
                    sim.arp(t, &host, gw.ip, Some(&gw))?;
                } else {
                    lifecycle::arp_unicast(sim, t, &host, &gw, true)?;
                }
            }
            t += sim.rng.range(300 * SEC, 900 * SEC);
        }
        // DHCP renewals at T1 (the rebooting camera's new lease is
        // renewed with its recording).
        if dhcp_camera(i) {
            let dhcp = DhcpClient::camera(cam, DHCP_LEASE);
            let half = u64::from(DHCP_LEASE / 2) * SEC;
            let mut t = BASE_TS + sim.rng.range(60 * SEC, half);
            let stop = match self.reboot_window() {
                Some((down, _)) if i == REBOOT_CAMERA => down,
                _ => end,
            };
            while t < stop {
                lifecycle::dhcp_renew(sim, t, &dhcp)?;
                t += half + sim.rng.below(5 * SEC);
            }
        }
        if cloud_camera(i) {
            let start = BASE_TS + sim.rng.range(SEC, 60 * SEC);
            self.cloud(sim, &host, start, end)?;
        }
        Ok(())
    }

    /// A device's vendor cloud use: a relay session (DNS lookup, TLS with
    /// SNI, heartbeats every 60-120 s) renewed every 30-60 minutes, and an
    /// API call (CNAME chain lookup) about every half hour.
    fn cloud(&self, sim: &mut Sim, host: &Host, start: u64, end: u64) -> io::Result<()> {
        let heartbeat = sim.rng.range(60 * SEC, 120 * SEC);
        let mut t = start;
        while t + 5 * 60 * SEC < end {
            let stop = (t + sim.rng.range(30 * 60 * SEC, 60 * 60 * SEC)).min(end);
            relay_session(sim, host, t, stop, heartbeat)?;
            t = stop + sim.rng.range(5 * SEC, 30 * SEC);
        }
        let mut t = start + sim.rng.range(5 * 60 * SEC, 30 * 60 * SEC);
        while t + 60 * SEC < end {
            let at = sim.resolve(t, host, site::CLOUD_API_NAME, site::CLOUD_API.ip, true)?;
            let hello = tls::Hello {
                sni: Some(site::CLOUD_API_NAME),
                alpn: &[],
            };
            sim.https(at + 400, host, &site::CLOUD_API, &hello, &[(520, 1_400)])?;
            t += sim.rng.range(25 * 60 * SEC, 35 * 60 * SEC);
        }
        Ok(())
    }

    /// The NVR's own traffic: WS-Discovery every 10 minutes, ONVIF
    /// GetSystemDateAndTime of every camera every 10 minutes (staggered),
    /// NTP, its cloud session.
    fn nvr(&self, sim: &mut Sim, cams: &[Camera], end: u64) -> io::Result<()> {
        let nvr = site::NVR;
        let mut t = BASE_TS + sim.rng.range(20 * SEC, 120 * SEC);
        while t + SEC < end {
            let present: Vec<Camera> = cams
                .iter()
                .enumerate()
                .filter(|(i, _)| self.up(*i, t))
                .map(|(_, c)| *c)
                .collect();
            sim.wsd_probe(t, &present)?;
            t += 10 * 60 * SEC;
        }
        for (i, cam) in cams.iter().enumerate() {
            let mut t = BASE_TS + 30 * SEC + (i as u64 * 37 * SEC) % (10 * 60 * SEC);
            while t + SEC < end {
                if self.up(i, t) && self.up(i, t + 2 * SEC) {
                    sim.onvif_call(t, cam, OnvifOp::GetSystemDateAndTime)?;
                }
                t += 10 * 60 * SEC;
            }
        }
        scenario::ntp_polls(sim, &nvr, BASE_TS + 45 * SEC, end, 1_024 * SEC)?;
        self.cloud(sim, &nvr, BASE_TS + 5 * SEC, end)
    }

    /// Viewers at the remote office reach the NVR through the router:
    /// the web client over HTTPS (by address) and the mobile app's SDK port
    /// 8000, every 20-45 minutes each.
    fn remote_clients(&self, sim: &mut Sim, end: u64) -> io::Result<()> {
        let nvr = site::NVR;
        for k in 0..REMOTE_CLIENTS {
            let client = remote_client(k);
            let mut t = BASE_TS + sim.rng.range(60 * SEC, 20 * 60 * SEC);
            while t + 2 * 60 * SEC < end {
                if k % 2 == 0 {
                    let hello = tls::Hello {
                        sni: None,
                        alpn: &["h2", "http/1.1"],
                    };
                    sim.https(
                        t,
                        &client,
                        &nvr,
                        &hello,
                        &[(700, 5_200), (640, 14_000), (610, 2_100)],
                    )?;
                } else {
                    let port = sim.rng.ephemeral_port();
                    let mut c = sim.tcp(&client, &nvr, port, 8_000);
                    let mut at = sim.tcp_open(t, &mut c)?;
                    for (up, down) in [(32usize, 180usize), (220, 1_300), (96, 64)] {
                        let a = sim.rng.bytes(up);
                        let b = sim.rng.bytes(down);
                        at = sim.tcp_exchange(at + 20 * MS, &mut c, &a, &b, 5 * MS)?;
                    }
                    sim.tcp_close(at + 2 * SEC, &mut c, Dir::ToServer)?;
                }
                t += sim.rng.range(20 * 60 * SEC, 45 * 60 * SEC);
            }
        }
        Ok(())
    }

    /// The workstation, the firmware download and the new camera (the
    /// reboot is part of the recording).
    fn events(&self, sim: &mut Sim, cams: &[Camera], end: u64) -> io::Result<()> {
        if self.fits(WORKSTATION_AT + 5) {
            let ws = site::WORKSTATION;
            let mut t = minute(WORKSTATION_AT);
            for cam in cams.iter().take(WORKSTATION_UIS) {
                let pages: [(&str, usize, &str); 3] = match cam.vendor {
                    Vendor::Hikvision => [
                        ("/doc/page/login.asp", 3_900, "text/html"),
                        ("/doc/script/lib/jquery.js", 9_600, "application/javascript"),
                        ("/doc/css/ui.css", 2_400, "text/css"),
                    ],
                    Vendor::Dahua => [
                        ("/", 2_600, "text/html"),
                        ("/jsBase/lib/jquery.js", 8_800, "application/javascript"),
                        ("/css/base.css", 2_100, "text/css"),
                    ],
                    Vendor::Axis => [
                        ("/camera/index.html", 3_100, "text/html"),
                        ("/camera/static/js/main.js", 9_900, "application/javascript"),
                        ("/camera/static/css/main.css", 2_700, "text/css"),
                    ],
                };
                t = sim.http_browse(t, &ws, &cam.host, cam.vendor.http_server(), &pages)?;
                t += sim.rng.range(5 * SEC, 20 * SEC);
            }
        }
        if self.fits(FIRMWARE_AT + 4) {
            let cam = cams[FIRMWARE_CAMERA].host;
            firmware(sim, minute(FIRMWARE_AT), &cam)?;
        }
        if self.fits(JOIN_AT + 2) {
            let i = self.day.cameras;
            let cam = site::bulk_camera_info(i);
            let dhcp = DhcpClient::camera(&cam, DHCP_LEASE);
            lifecycle::camera_joins(sim, minute(JOIN_AT), &cam, i, &dhcp, end, self.interval())?;
        }
        Ok(())
    }

    fn incidents(&self, sim: &mut Sim, end: u64) -> io::Result<()> {
        let cam = |i: usize| site::bulk_camera_info(i).host;
        if self.fits(INC_EGRESS_AT + 1) {
            incidents::egress_by_name(
                sim,
                minute(INC_EGRESS_AT),
                &cam(INC_EGRESS_CAMERA),
                &site::EVIL,
                site::EVIL_NAME,
            )?;
        }
        if self.fits(INC_SWEEP_AT + INC_SWEEP_MINUTES) {
            let plan = sweep_plan(self.day.cameras);
            incidents::slow_sweep(sim, INC_SWEEP_CAMERA, minute(INC_SWEEP_AT), &plan)?;
        }
        if self.fits(INC_WORM_AT + 4) {
            let at = minute(INC_WORM_AT);
            incidents::worm(
                sim,
                INC_WORM_CAMERA,
                at,
                at + 30 * SEC,
                &worm_plan(),
                1,
                end,
            )?;
        }
        if self.fits(INC_UPLOAD_AT + 11) {
            let server = Host {
                mac: site::GATEWAY_MAC,
                ip: INC_UPLOAD_HOST,
                vlan: site::EXTERNAL,
                ttl: 52,
            };
            scenario::upload(
                sim,
                minute(INC_UPLOAD_AT),
                &cam(INC_UPLOAD_CAMERA),
                &server,
                None,
                INC_UPLOAD_BYTES,
                600 * SEC,
            )?;
        }
        Ok(())
    }
}

/// One relay session of a device: lookup, TLS, heartbeats until `end`,
/// orderly close.
fn relay_session(
    sim: &mut Sim,
    host: &Host,
    start: u64,
    end: u64,
    heartbeat: u64,
) -> io::Result<()> {
    let cloud = site::CLOUD_P2P;
    let t = sim.resolve(start, host, site::CLOUD_P2P_NAME, cloud.ip, true)?;
    let port = sim.rng.ephemeral_port();
    let mut c = sim.tcp(host, &cloud, port, 443);
    let mut at = sim.tcp_open(t + 300, &mut c)?;
    let hello = tls::Hello {
        sni: Some(site::CLOUD_P2P_NAME),
        alpn: &[],
    };
    at = sim.tls_handshake(at + 200, &mut c, &hello)?;
    at = sim.tls_exchange(at + 20 * MS, &mut c, 620, 410)?;
    let mut hb = at + heartbeat;
    while hb + 2 * SEC < end {
        at = sim.tls_exchange(hb, &mut c, 101, 85)?;
        hb += heartbeat + sim.rng.below(SEC / 2);
    }
    sim.tcp_close(at.max(end - SEC), &mut c, Dir::ToServer)?;
    Ok(())
}

/// A firmware download of [`FIRMWARE_BYTES`] from the vendor cloud over
/// 150 s (sliced data segments).
fn firmware(sim: &mut Sim, t: u64, cam: &Host) -> io::Result<u64> {
    let cloud = site::CLOUD_API;
    let t = sim.resolve(t, cam, site::CLOUD_API_NAME, cloud.ip, true)?;
    let port = sim.rng.ephemeral_port();
    let mut c = sim.tcp(cam, &cloud, port, 443);
    let mut t = sim.tcp_open(t + 400, &mut c)?;
    let hello = tls::Hello {
        sni: Some(site::CLOUD_API_NAME),
        alpn: &[],
    };
    t = sim.tls_handshake(t + 200, &mut c, &hello)?;
    let request = tls::application_data(&mut sim.rng, 310);
    let (t1, _) = sim.tcp_send(
        t + 5 * MS,
        &mut c,
        Dir::ToServer,
        &request,
        SendOpts::REQUEST,
    )?;
    let segments = FIRMWARE_BYTES.div_ceil(scenario::BULK_MSS) as u64;
    let opts = SendOpts {
        gap: 150 * SEC / segments,
        ack_every: 2,
        final_ack: true,
        slice: true,
    };
    let (_, done) = sim.bulk_send(t1 + 30 * MS, &mut c, Dir::ToClient, FIRMWARE_BYTES, opts)?;
    sim.tcp_close(done + 200 * MS, &mut c, Dir::ToServer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Pkt, check_capture, records, summarize};
    use crate::traffic::RtpTransport;
    use crate::{SynthOptions, generate};
    use std::collections::{HashMap, HashSet};

    fn capture(name: &str) -> Vec<u8> {
        let mut v = Vec::new();
        generate(
            name,
            &SynthOptions {
                seed: 5,
                packets: None,
            },
            &mut v,
        )
        .unwrap();
        v
    }

    #[test]
    fn names_parse() {
        assert_eq!(Day::parse("site-day"), Some(Ok(FULL)));
        assert_eq!(Day::parse("site-day-short"), Some(Ok(SHORT)));
        let d = Day::parse("site-day-incidents:90m:12cam:4pps")
            .unwrap()
            .unwrap();
        assert_eq!(
            (d.minutes, d.cameras, d.pps, d.incidents),
            (90, 12, 4, true)
        );
        assert_eq!(Day::parse("site-day:3h").unwrap().unwrap().minutes, 180);
        assert!(Day::parse("site-day:7cam").unwrap().is_err());
        assert!(Day::parse("site-day:fast").unwrap().is_err());
        assert!(Day::parse("site-dayx").is_none());
        assert!(Day::parse("site-day-short:1h").is_none());
    }

    #[test]
    fn short_day_facts() {
        let pcap = capture("site-day-short");
        let recs = check_capture(&pcap);
        let pkts: Vec<Pkt> = recs.iter().map(summarize).collect();
        assert!(pkts.last().unwrap().ts > minute(SHORT.minutes) - 60 * SEC);
        let n = SHORT.cameras;
        // Continuous recording already running: first packet of each
        // interleaved session is the camera's video.
        for i in 0..n {
            let ip = site::bulk_camera(i).ip;
            if MOTION_CAMERAS.contains(&i) {
                // Opened and torn down several times.
                let syns = pkts
                    .iter()
                    .filter(|p| p.dst == ip && p.dport == 554 && p.flags == 0x02)
                    .count();
                let teardowns = pkts
                    .iter()
                    .filter(|p| p.dst == ip && p.payload.starts_with(b"TEARDOWN "))
                    .count();
                assert!(syns >= 3 && teardowns >= 3, "cam {i}: {syns} {teardowns}");
                continue;
            }
            if recording::transport_of(i) == RtpTransport::Interleaved {
                let first = pkts
                    .iter()
                    .find(|p| {
                        p.proto == 6
                            && (p.src == ip || p.dst == ip)
                            && (p.sport == 554 || p.dport == 554)
                    })
                    .unwrap();
                assert_eq!((first.src, first.sport, first.payload[0]), (ip, 554, b'$'));
            }
        }
        // Cloud: DNS first, TLS with SNI, from the cloud cameras and the NVR.
        let cloud: HashSet<[u8; 4]> = pkts
            .iter()
            .filter(|p| p.dst == site::CLOUD_P2P.ip && p.flags == 0x02)
            .map(|p| p.src)
            .collect();
        let want: HashSet<[u8; 4]> = (0..n)
            .filter(|i| cloud_camera(*i))
            .map(|i| site::bulk_camera(i).ip)
            .chain([site::NVR.ip])
            .collect();
        assert_eq!(cloud, want);
        // Several remote clients share the router's MAC.
        let behind: HashSet<[u8; 4]> = pkts
            .iter()
            .filter(|p| p.src[..3] == [10, 50, 0])
            .inspect(|p| assert_eq!(p.macs.0, site::GATEWAY_MAC))
            .map(|p| p.src)
            .collect();
        assert_eq!(behind.len(), REMOTE_CLIENTS);
        // DHCP renewals, the reboot's DISCOVER and the new camera's.
        let dhcp_type = |p: &Pkt| p.payload.get(240..243).map(|o| o[2]);
        let discovers = pkts
            .iter()
            .filter(|p| p.dport == 67 && dhcp_type(p) == Some(1))
            .count();
        assert_eq!(discovers, 2);
        let renewals = pkts
            .iter()
            .filter(|p| p.dport == 67 && p.src != [0; 4])
            .count();
        assert!(renewals >= 6, "{renewals}");
        // The firmware download and the workstation's web UI visits.
        let down: usize = pkts
            .iter()
            .filter(|p| {
                p.src == site::CLOUD_API.ip && p.dst == site::bulk_camera(FIRMWARE_CAMERA).ip
            })
            .map(|p| p.len)
            .sum();
        assert!(down >= FIRMWARE_BYTES);
        let uis: HashSet<[u8; 4]> = pkts
            .iter()
            .filter(|p| p.src == site::WORKSTATION.ip && p.flags == 0x02)
            .map(|p| p.dst)
            .collect();
        assert_eq!(uis.len(), n.min(WORKSTATION_UIS));
        // The new camera records after joining.
        let newcomer = site::bulk_camera(n).ip;
        assert!(
            pkts.iter()
                .filter(|p| p.src == newcomer && p.sport == site::CAMERA_RTP_PORT)
                .count()
                > 100
        );
        // No incident: nothing to an unknown external host, no sweep.
        let externals: HashSet<[u8; 4]> = pkts
            .iter()
            .filter(|p| {
                p.arp.is_none()
                    && p.macs.1 == site::GATEWAY_MAC
                    && p.vlan == site::CAMERA_VLAN
                    && p.dst[0] != 10
            })
            .map(|p| p.dst)
            .collect();
        let allowed: HashSet<[u8; 4]> = [site::CLOUD_P2P.ip, site::CLOUD_API.ip].into();
        assert_eq!(externals, allowed);
        let mut asked: HashMap<[u8; 4], HashSet<[u8; 4]>> = HashMap::new();
        for p in &pkts {
            if let Some((1, spa, tpa)) = p.arp {
                asked.entry(spa).or_default().insert(tpa);
            }
        }
        for (who, targets) in &asked {
            if *who != site::NVR.ip && *who != [0; 4] {
                assert!(targets.len() <= 3, "{who:?} asked {targets:?}");
            }
        }
    }

    #[test]
    fn incidents_are_where_the_readme_says() {
        let pcap = capture("site-day-incidents-short");
        let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
        let ip = |i: usize| site::bulk_camera(i).ip;
        let after = |m: u64| minute(m);
        // Nothing unusual before minute 70.
        let first_evil = pkts
            .iter()
            .filter(|p| {
                p.dst == site::EVIL.ip
                    || p.dst == INC_UPLOAD_HOST
                    || p.dst == incidents::PUBLIC_RESOLVER
            })
            .map(|p| p.ts)
            .min()
            .unwrap();
        assert!(first_evil >= after(70));
        let hello = pkts
            .iter()
            .find(|p| p.src == ip(INC_EGRESS_CAMERA) && p.dst == site::EVIL.ip && p.len > 0)
            .unwrap();
        assert_eq!(tls::sni_of(hello.payload).as_deref(), Some(site::EVIL_NAME));
        assert!(hello.ts >= after(INC_EGRESS_AT) && hello.ts < after(INC_EGRESS_AT + 1));
        let plan = sweep_plan(SHORT.cameras);
        let swept = pkts
            .iter()
            .filter(|p| matches!(p.arp, Some((1, spa, tpa)) if spa == ip(INC_SWEEP_CAMERA) && scenario::live_host(tpa).is_none()))
            .count();
        assert_eq!(swept, plan.arps());
        let worm = pkts
            .iter()
            .filter(|p| {
                p.src == ip(INC_WORM_CAMERA)
                    && p.flags == 0x02
                    && p.seq == u32::from_be_bytes(p.dst)
            })
            .count();
        assert_eq!(worm, INC_WORM_PROBES);
        let up: usize = pkts
            .iter()
            .filter(|p| p.src == ip(INC_UPLOAD_CAMERA) && p.dst == INC_UPLOAD_HOST)
            .map(|p| p.len)
            .sum();
        assert!(
            (INC_UPLOAD_BYTES..INC_UPLOAD_BYTES + 3_000).contains(&up),
            "{up}"
        );
    }
}
