//! The timeline of a site day: recording, per-camera housekeeping (DHCP,
//! ARP, NTP, cloud), the NVR's polling, remote clients, the one-off events
//! and, in `site-day-incidents`, the incidents.

use std::io;

use crate::apps::OnvifOp;
use crate::incidents;
use crate::lifecycle::{self, DhcpClient};
use crate::recording::{self, Ending, Session};
use crate::scenario::{self, BASE_TS};
use crate::site::{self, Camera, Host, Vendor};
use crate::tls;
use crate::traffic::{Dir, MS, SEC, SendOpts, Sim};

use super::{
    DHCP_LEASE, Day, FIRMWARE_AT, FIRMWARE_BYTES, FIRMWARE_CAMERA, INC_EGRESS_AT,
    INC_EGRESS_CAMERA, INC_SWEEP_AT, INC_SWEEP_CAMERA, INC_SWEEP_MINUTES, INC_UPLOAD_AT,
    INC_UPLOAD_BYTES, INC_UPLOAD_CAMERA, INC_UPLOAD_HOST, INC_WORM_AT, INC_WORM_CAMERA, JOIN_AT,
    MOTION_CAMERAS, REBOOT_AT, REBOOT_CAMERA, REBOOT_SILENCE, REMOTE_CLIENTS, WORKSTATION_AT,
    WORKSTATION_UIS, cloud_camera, dhcp_camera, minute, remote_client, sweep_plan, worm_plan,
};

/// Writes one day's timeline into a [`Sim`].
pub(super) struct Builder {
    pub(super) day: Day,
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

    pub(super) fn run(&self, sim: &mut Sim) -> io::Result<()> {
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
