//! The small scenarios: a healthy sample site, one capture per detector, and
//! benign captures that must stay silent.
//!
//! Each scenario is a timeline written against [`Sim`]; `fixtures/README.md`
//! documents what happens when and which alerts are expected. The constants
//! below are the facts tests can rely on. Scan and transfer volumes do not
//! depend on the seed; only ports, sequence numbers, identifiers, payload
//! bytes and small timing jitter do.

use std::io;

use crate::SynthOptions;
use crate::apps::OnvifOp;
use crate::incidents;
use crate::lifecycle;
use crate::recording;
use crate::rng::Rng;
use crate::site::{self, CAMERAS, Camera, Host};
use crate::tls;
use crate::trace::Trace;
use crate::traffic::{Dir, MS, RtpStream, SEC, SendOpts, Sim};

/// Capture start: 2026-01-05T08:00:00Z in µs since the Unix epoch.
pub const BASE_TS: u64 = 1_767_600_000_000_000;

/// Cameras (indices into [`CAMERAS`]) streaming in `camera-network` and
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

/// Segment payload of bulk transfers.
pub const BULK_MSS: usize = 1400;

pub(crate) fn at(secs: u64) -> u64 {
    BASE_TS + secs * SEC
}

/// Light normal activity mixed into every scenario.
pub(crate) struct Background {
    pub start: u64,
    pub end: u64,
    /// Gap between captured video packets of the recording that was already
    /// running at capture start (every camera not in `streams`); 0: none.
    pub recording: u64,
    /// Cameras whose RTSP sessions (RTP over UDP) the recorder opens at the
    /// start of the capture.
    pub streams: &'static [usize],
    /// Gap between captured RTP packets per opened stream.
    pub rtp_interval: u64,
    /// Gap between RTCP reports per opened stream.
    pub rtcp_interval: u64,
    /// RTSP keep-alive period of the opened streams.
    pub keepalive: u64,
    /// NTP poll period of every camera.
    pub ntp_interval: u64,
    /// Cloud heartbeat period of camera 0 (0: none).
    pub cloud_interval: u64,
}

pub(crate) fn background(sim: &mut Sim, bg: &Background) -> io::Result<()> {
    if bg.recording > 0 {
        recording::background(sim, bg.start, bg.end, bg.recording, bg.streams)?;
    }
    // Recorder refreshes its neighbour entries of the cameras it connects to.
    let mut t = bg.start + 50 * MS;
    for &i in bg.streams {
        let cam = &CAMERAS[i].host;
        sim.arp(t, &site::NVR, cam.ip, Some(cam))?;
        t += 3 * MS;
    }

    // Video of the sessions opened in the capture.
    for (k, &i) in bg.streams.iter().enumerate() {
        let cam = CAMERAS[i];
        let start = bg.start + 400 * MS + k as u64 * 700 * MS;
        let (mut s, play) = sim.rtsp_start(start, &cam, i)?;
        let mut ka = play + bg.keepalive;
        while ka + SEC < bg.end {
            sim.rtsp_keepalive(ka, &mut s)?;
            ka += bg.keepalive;
        }
        sim.rtp_stream(&RtpStream {
            cam: cam.host,
            index: i,
            start: play + 5 * MS,
            end: bg.end,
            interval: bg.rtp_interval,
            rtcp_interval: bg.rtcp_interval,
            slice: true,
        })?;
    }

    // NTP from every camera, staggered.
    for (i, cam) in CAMERAS.iter().enumerate() {
        let t = bg.start + (3 + 7 * i as u64) * SEC;
        ntp_polls(sim, &cam.host, t, bg.end, bg.ntp_interval)?;
    }

    // Camera 0 keeps a TLS session to its cloud relay with heartbeats.
    if bg.cloud_interval > 0 {
        cloud_session(sim, bg.start + 2 * SEC, bg.end, bg.cloud_interval)?;
    }
    Ok(())
}

/// NTP polls by `host` from about `start` (plus up to 1 s) every
/// `interval` (plus up to 1 s) until `end`.
pub(crate) fn ntp_polls(
    sim: &mut Sim,
    host: &Host,
    start: u64,
    end: u64,
    interval: u64,
) -> io::Result<()> {
    let mut t = start + sim.rng.below(SEC);
    while t < end {
        sim.ntp_sync(t, host)?;
        t += interval + sim.rng.below(SEC);
    }
    Ok(())
}

/// Camera 0's long-lived session to the cloud relay (see
/// [`cloud_session_of`]).
pub(crate) fn cloud_session(sim: &mut Sim, start: u64, end: u64, interval: u64) -> io::Result<()> {
    cloud_session_of(sim, &CAMERAS[0].host, start, end, interval)
}

/// A camera's long-lived session to the cloud relay: DNS lookup, TLS with
/// SNI, then small heartbeats every `interval`, with the name re-resolved
/// when its 300 s TTL runs out.
pub(crate) fn cloud_session_of(
    sim: &mut Sim,
    cam: &Host,
    start: u64,
    end: u64,
    interval: u64,
) -> io::Result<()> {
    let cam = *cam;
    let cloud = site::CLOUD_P2P;
    let mut t = sim.resolve(start, &cam, site::CLOUD_P2P_NAME, cloud.ip, true)?;
    let mut next_dns = t + 300 * SEC;
    let port = sim.rng.ephemeral_port();
    let mut c = sim.tcp(&cam, &cloud, port, 443);
    t = sim.tcp_open(t + 300, &mut c)?;
    let hello = tls::Hello {
        sni: Some(site::CLOUD_P2P_NAME),
        alpn: &[],
    };
    t = sim.tls_handshake(t + 200, &mut c, &hello)?;
    t = sim.tls_exchange(t + 20 * MS, &mut c, 620, 410)?;
    let mut hb = t + interval;
    while hb + SEC < end {
        if hb >= next_dns {
            sim.resolve(hb - 200 * MS, &cam, site::CLOUD_P2P_NAME, cloud.ip, true)?;
            next_dns = hb + 300 * SEC;
        }
        sim.tls_exchange(hb, &mut c, 101, 85)?;
        hb += interval + sim.rng.below(SEC / 2);
    }
    Ok(())
}

/// Camera 0's short call to the cloud API (CNAME chain lookup first).
fn cloud_api_call(sim: &mut Sim, t: u64, upstream: bool) -> io::Result<u64> {
    let cam = CAMERAS[0].host;
    let t = sim.resolve(t, &cam, site::CLOUD_API_NAME, site::CLOUD_API.ip, upstream)?;
    let hello = tls::Hello {
        sni: Some(site::CLOUD_API_NAME),
        alpn: &[],
    };
    sim.https(t + 400, &cam, &site::CLOUD_API, &hello, &[(540, 1_230)])
}

/// Background of the 5- to 30-minute scenarios: the recording of all eight
/// cameras already running at [`VIDEO_PPS`] captured packets per second,
/// NTP every 128 s, camera 0's cloud session with a heartbeat every 60 s.
pub(crate) fn standard_background(start: u64, end: u64) -> Background {
    Background {
        start,
        end,
        recording: recording::per_second(VIDEO_PPS),
        streams: &[],
        rtp_interval: SEC,
        rtcp_interval: 10 * SEC,
        keepalive: 30 * SEC,
        ntp_interval: 128 * SEC,
        cloud_interval: 60 * SEC,
    }
}

/// Background of the scenarios longer than an hour: the recording at
/// `pps` captured packets per second per camera, NTP every 1024 s, camera
/// 0's cloud heartbeat every 300 s.
fn long_background(start: u64, end: u64, pps: u64) -> Background {
    Background {
        recording: recording::per_second(pps),
        ntp_interval: 1024 * SEC,
        cloud_interval: 300 * SEC,
        ..standard_background(start, end)
    }
}

// ------------------------------------------------------------ scenarios --

fn camera_network(sim: &mut Sim) -> io::Result<()> {
    let start = at(0);
    let end = at(300);
    background(
        sim,
        &Background {
            start,
            end,
            recording: recording::per_second(SAMPLE_PPS),
            streams: &STREAMING_CAMERAS,
            rtp_interval: SEC,
            rtcp_interval: 10 * SEC,
            keepalive: 30 * SEC,
            ntp_interval: 128 * SEC,
            cloud_interval: 60 * SEC,
        },
    )?;
    // Camera 0 also calls the cloud API (CNAME chain) twice.
    cloud_api_call(sim, at(40), true)?;
    cloud_api_call(sim, at(220), false)?;
    // The Dahua camera looks up the cloud name too (answered from cache).
    sim.resolve(
        at(75),
        &CAMERAS[4].host,
        site::CLOUD_P2P_NAME,
        site::CLOUD_P2P.ip,
        false,
    )?;
    // Cameras refresh the gateway's MAC.
    for (i, cam) in CAMERAS.iter().enumerate() {
        sim.arp(
            at(20 + 31 * i as u64),
            &cam.host,
            site::GATEWAY.ip,
            Some(&site::GATEWAY),
        )?;
    }
    workstation_nvr_ui(sim, at(90))?;
    Ok(())
}

/// The operator opens the recorder's web UI over HTTP, then over HTTPS.
fn workstation_nvr_ui(sim: &mut Sim, t: u64) -> io::Result<u64> {
    let ws = site::WORKSTATION;
    let nvr = site::NVR;
    let t = sim.http_browse(
        t,
        &ws,
        &nvr,
        site::NVR_HTTP_SERVER,
        &[
            ("/doc/page/login.asp", 3_900, "text/html"),
            ("/doc/script/lib/jquery.js", 9_600, "application/javascript"),
            ("/doc/css/ui.css", 2_400, "text/css"),
            ("/ISAPI/Security/userCheck", 180, "application/xml"),
        ],
    )?;
    // Browsers connect by address: no SNI.
    let hello = tls::Hello {
        sni: None,
        alpn: &["h2", "http/1.1"],
    };
    sim.https(
        t + 8 * SEC,
        &ws,
        &nvr,
        &hello,
        &[(700, 4_800), (650, 12_000), (680, 900)],
    )
}

fn egress(sim: &mut Sim) -> io::Result<()> {
    background(sim, &standard_background(at(0), at(300)))?;
    // Camera 1 resolves the unknown name and talks TLS to it.
    let cam = CAMERAS[EGRESS_DNS_CAMERA].host;
    let t = sim.resolve(at(60), &cam, site::EVIL_NAME, site::EVIL.ip, true)?;
    let hello = tls::Hello {
        sni: Some(site::EVIL_NAME),
        alpn: &[],
    };
    sim.https(
        t + 600,
        &cam,
        &site::EVIL,
        &hello,
        &[(420, 2_300), (380, 18_000)],
    )?;

    // Camera 5 connects to a raw address that no DNS answer named.
    let cam = CAMERAS[EGRESS_RAW_CAMERA].host;
    let port = sim.rng.ephemeral_port();
    let mut c = sim.tcp(&cam, &site::RAW_IP_TARGET, port, 23);
    let mut t = sim.tcp_open(at(150), &mut c)?;
    let lines: [(&[u8], &[u8]); 3] = [
        (
            b"\xff\xfb\x18\xff\xfb\x1f",
            b"\xff\xfd\x18\xff\xfd\x1f\r\nlogin: ",
        ),
        (b"root\r\n", b"Password: "),
        (
            b"xc3511\r\n",
            b"\r\nBusyBox v1.31.1 built-in shell (ash)\r\n# ",
        ),
    ];
    for (req, resp) in lines {
        t = sim.tcp_exchange(t + 150 * MS, &mut c, req, resp, 5 * MS)?;
    }
    sim.tcp_close(t + 2 * SEC, &mut c, Dir::ToServer)?;
    Ok(())
}

/// What a host answers on a scanned TCP port.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum PortState {
    Open,
    Closed,
    Filtered,
}

pub(crate) fn port_state(host: [u8; 4], port: u16) -> PortState {
    if host == site::GATEWAY.ip {
        return if port == 80 {
            PortState::Open
        } else {
            PortState::Closed
        };
    }
    if host == site::NVR.ip {
        return if port == 23 {
            PortState::Filtered
        } else {
            PortState::Open
        };
    }
    match site::camera_by_ip(host).map(|c| c.vendor) {
        Some(site::Vendor::Hikvision) => {
            if port == 23 {
                PortState::Closed
            } else {
                PortState::Open
            }
        }
        Some(_) => {
            if port == 80 || port == 554 {
                PortState::Open
            } else {
                PortState::Closed
            }
        }
        None => PortState::Filtered,
    }
}

pub(crate) fn live_host(ip: [u8; 4]) -> Option<Host> {
    if ip == site::GATEWAY.ip {
        return Some(site::GATEWAY);
    }
    if ip == site::NVR.ip {
        return Some(site::NVR);
    }
    site::camera_by_ip(ip).map(|c| c.host)
}

fn scan_tcp(sim: &mut Sim) -> io::Result<()> {
    background(sim, &standard_background(at(0), at(300)))?;
    let scanner = CAMERAS[SCAN_TCP_CAMERA].host;
    // Every (address, port) of the /24 in a shuffled order that does not
    // depend on the seed, one SYN every 2 ms from a single source port.
    // Frames towards addresses without a host are shown addressed to the
    // gateway's MAC: link-layer resolution is not modelled here (it is the
    // subject of `scan-arp`).
    let mut probes: Vec<([u8; 4], u16)> = (1..=254u8)
        .map(|n| [10, 20, 0, n])
        .filter(|ip| *ip != scanner.ip)
        .flat_map(|ip| SCAN_TCP_PORTS.iter().map(move |p| (ip, *p)))
        .collect();
    let mut order = Rng::new(0x5ca7);
    for i in (1..probes.len()).rev() {
        let j = order.below(i as u64 + 1) as usize;
        probes.swap(i, j);
    }
    let sport = 45_113;
    let mut t = at(60);
    for (ip, port) in probes {
        let target = live_host(ip).unwrap_or(Host {
            mac: site::GATEWAY_MAC,
            ip,
            vlan: site::CAMERA_VLAN,
            ttl: 64,
        });
        match port_state(ip, port) {
            PortState::Open => sim.tcp_half_open(t, &scanner, &target, (sport, port))?,
            PortState::Closed => sim.tcp_refused(t, &scanner, &target, (sport, port))?,
            PortState::Filtered => sim.tcp_unanswered(t, &scanner, &target, (sport, port), 0)?,
        };
        t += 2 * MS;
    }
    Ok(())
}

/// Ports probed by `scan-udp`: well-known UDP services, then a block of
/// high ports, [`SCAN_UDP_PORTS_PER_HOST`] in all.
pub fn scan_udp_ports() -> Vec<u16> {
    let mut ports: Vec<u16> = vec![
        7, 9, 17, 19, 53, 67, 68, 69, 111, 123, 135, 137, 138, 139, 161, 162, 177, 427, 443, 500,
        514, 520, 623, 631, 1194, 1434, 1604, 1701, 1812, 1900, 2049, 3283, 3478, 3702, 4500, 5060,
        5353, 5355, 5683, 6481, 8000, 8472, 10_001, 11_211, 17_185, 20_000, 27_015, 37_020, 47_808,
        49_152,
    ];
    let mut p = 30_000;
    while ports.len() < SCAN_UDP_PORTS_PER_HOST {
        ports.push(p);
        p += 7;
    }
    ports
}

fn scan_udp(sim: &mut Sim) -> io::Result<()> {
    background(sim, &standard_background(at(0), at(300)))?;
    let scanner = CAMERAS[SCAN_UDP_CAMERA].host;
    let targets = [site::GATEWAY, site::NVR];
    let ports = scan_udp_ports();
    // Ports with a listening service drop the empty probe: no answer.
    let listening = |h: &Host, p: u16| match h.ip {
        [10, 20, 0, 1] => matches!(p, 53 | 67 | 123),
        _ => matches!(p, 3702 | 8000),
    };
    // Linux limits ICMP errors per destination with a token bucket: a burst
    // of 6, then one per second. Timing here is fixed so the answered count
    // does not depend on the seed.
    let mut tokens = [6u64; 2];
    let mut refill_at = [0u64; 2];
    let mut t = at(60);
    for p in &ports {
        for (k, h) in targets.iter().enumerate() {
            if refill_at[k] == 0 {
                refill_at[k] = t + SEC;
            }
            while t >= refill_at[k] {
                tokens[k] = (tokens[k] + 1).min(6);
                refill_at[k] += SEC;
            }
            let answer = !listening(h, *p) && tokens[k] > 0;
            if answer {
                tokens[k] -= 1;
            }
            sim.udp_probe(t, &scanner, h, (SCAN_UDP_SOURCE_PORT, *p), answer)?;
            t += 20 * MS;
        }
    }
    Ok(())
}

fn scan_arp(sim: &mut Sim) -> io::Result<()> {
    background(sim, &standard_background(at(0), at(300)))?;
    let scanner = CAMERAS[SCAN_ARP_CAMERA].host;
    let mut t = at(60);
    for n in SCAN_ARP_RANGE.0..=SCAN_ARP_RANGE.1 {
        sim.arp(t, &scanner, [10, 20, 0, n], None)?;
        t += 5 * MS;
    }
    Ok(())
}

fn scan_slow(sim: &mut Sim) -> io::Result<()> {
    let end = at(95 * 60);
    background(sim, &long_background(at(0), end, 2))?;
    let scanner = CAMERAS[SCAN_SLOW_CAMERA].host;
    let mut t = at(120);
    for i in 0..SCAN_SLOW_PROBES {
        let n = (i + 1) as u8;
        let target = site::remote_host(n);
        let sport = 40_000 + i as u16;
        if n.is_multiple_of(15) {
            // A few remote hosts exist and refuse telnet.
            sim.tcp_refused(t, &scanner, &target, (sport, 23))?;
        } else {
            sim.tcp_unanswered(t, &scanner, &target, (sport, 23), 0)?;
        }
        t += SCAN_SLOW_INTERVAL;
    }
    Ok(())
}

/// Upload of `bytes` of TLS application data from `cam` to `server` over
/// `duration`, after DNS and a TLS handshake with SNI `name` (by address,
/// without DNS or SNI, when `name` is `None`). Data frames
/// are sliced to 128 bytes in the capture.
pub(crate) fn upload(
    sim: &mut Sim,
    t: u64,
    cam: &Host,
    server: &Host,
    name: Option<&str>,
    bytes: usize,
    duration: u64,
) -> io::Result<u64> {
    let t = match name {
        Some(name) => sim.resolve(t, cam, name, server.ip, true)? + 400,
        None => t,
    };
    let port = sim.rng.ephemeral_port();
    let mut c = sim.tcp(cam, server, port, 443);
    let mut at = sim.tcp_open(t, &mut c)?;
    let hello = tls::Hello {
        sni: name,
        alpn: &[],
    };
    at = sim.tls_handshake(at + 200, &mut c, &hello)?;
    let segments = bytes.div_ceil(BULK_MSS) as u64;
    let opts = SendOpts {
        gap: duration / segments.max(1),
        ack_every: 2,
        final_ack: true,
        slice: true,
    };
    let (_, done) = sim.bulk_send(at + 10 * MS, &mut c, Dir::ToServer, bytes, opts)?;
    let reply = tls::application_data(&mut sim.rng, 96);
    let (_, done) = sim.tcp_send(
        done + 5 * MS,
        &mut c,
        Dir::ToClient,
        &reply,
        SendOpts::ACKED,
    )?;
    sim.tcp_close(done + 300 * MS, &mut c, Dir::ToServer)
}

fn exfil(sim: &mut Sim) -> io::Result<()> {
    background(sim, &standard_background(at(0), at(900)))?;
    let cam = CAMERAS[EXFIL_CAMERA].host;
    upload(
        sim,
        at(120),
        &cam,
        &site::EVIL,
        Some(site::EVIL_NAME),
        EXFIL_BYTES,
        EXFIL_DURATION,
    )?;
    Ok(())
}

fn exfil_cloud(sim: &mut Sim) -> io::Result<()> {
    let end = at(30 * 60);
    let mut bg = standard_background(at(0), end);
    bg.recording = recording::per_second(HALF_HOUR_PPS);
    background(sim, &bg)?;
    // Normal API calls every five minutes.
    for k in 0..6 {
        cloud_api_call(sim, at(90 + 300 * k), k == 0)?;
    }
    let cam = CAMERAS[EXFIL_CLOUD_CAMERA].host;
    upload(
        sim,
        at(15 * 60),
        &cam,
        &site::CLOUD_API,
        Some(site::CLOUD_API_NAME),
        EXFIL_BYTES,
        EXFIL_DURATION,
    )?;
    Ok(())
}

fn exfil_slow(sim: &mut Sim) -> io::Result<()> {
    let end = at(3 * 3600 + 120);
    background(sim, &long_background(at(0), end, 1))?;
    let cam = CAMERAS[EXFIL_SLOW_CAMERA].host;
    for w in 0..EXFIL_SLOW_WINDOWS as u64 {
        let t = at(60 + 600 * w);
        upload(
            sim,
            t,
            &cam,
            &site::EVIL,
            Some(site::EVIL_NAME),
            EXFIL_SLOW_BYTES_PER_WINDOW,
            60 * SEC,
        )?;
    }
    Ok(())
}

fn benign_onvif_poll(sim: &mut Sim) -> io::Result<()> {
    let end = at(300);
    background(sim, &standard_background(at(0), end))?;
    for t in [at(5), at(245)] {
        sim.wsd_probe(t, &CAMERAS)?;
    }
    for round in 0..ONVIF_POLL_ROUNDS {
        let mut t = at(10 + 120 * round);
        for cam in &CAMERAS {
            t = sim.onvif_call(t, cam, OnvifOp::GetSystemDateAndTime)? + 50 * MS;
            if round == 0 {
                t = sim.onvif_call(t, cam, OnvifOp::GetDeviceInformation)? + 50 * MS;
            }
            t = sim.rtsp_options_probe(t, cam)? + 100 * MS;
        }
    }
    Ok(())
}

fn benign_firmware(sim: &mut Sim) -> io::Result<()> {
    let end = at(480);
    background(sim, &standard_background(at(0), end))?;
    let cam = CAMERAS[FIRMWARE_CAMERA].host;
    let cloud = site::CLOUD_API;
    let t = sim.resolve(at(60), &cam, site::CLOUD_API_NAME, cloud.ip, true)?;
    let port = sim.rng.ephemeral_port();
    let mut c = sim.tcp(&cam, &cloud, port, 443);
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
    let segments = FIRMWARE_BYTES.div_ceil(BULK_MSS) as u64;
    let opts = SendOpts {
        gap: 300 * SEC / segments,
        ack_every: 2,
        final_ack: true,
        slice: true,
    };
    let (_, done) = sim.bulk_send(t1 + 30 * MS, &mut c, Dir::ToClient, FIRMWARE_BYTES, opts)?;
    sim.tcp_close(done + 200 * MS, &mut c, Dir::ToServer)?;
    Ok(())
}

fn benign_video(sim: &mut Sim) -> io::Result<()> {
    let start = at(0);
    let end = at(600);
    background(
        sim,
        &Background {
            start,
            end,
            recording: recording::per_second(VIDEO_PPS),
            streams: &STREAMING_CAMERAS,
            rtp_interval: SEC / VIDEO_PPS,
            rtcp_interval: 5 * SEC,
            keepalive: 30 * SEC,
            ntp_interval: 128 * SEC,
            cloud_interval: 0,
        },
    )
}

/// Hosts of the workstation VLAN the operator works with (10.30.0.10 ..).
fn office_host(i: usize) -> Host {
    Host {
        mac: [0xd4, 0xbe, 0xd9, 0x30, 0x00, 10 + i as u8],
        ip: [10, 30, 0, 10 + i as u8],
        vlan: site::WORKSTATION_VLAN,
        ttl: if i.is_multiple_of(3) { 128 } else { 64 },
    }
}

fn benign_workstation(sim: &mut Sim) -> io::Result<()> {
    let end = at(300);
    background(sim, &standard_background(at(0), end))?;
    let ws = site::WORKSTATION;
    let mut t = at(20);

    // 10 hosts on the camera VLAN: the gateway's and recorder's admin UIs
    // and each camera's web page.
    let mut camera_vlan: Vec<(Host, &str)> = vec![
        (site::GATEWAY, "cisco-IOS"),
        (site::NVR, site::NVR_HTTP_SERVER),
    ];
    camera_vlan.extend(
        CAMERAS
            .iter()
            .map(|c: &Camera| (c.host, c.vendor.http_server())),
    );
    for (i, (h, banner)) in camera_vlan.iter().enumerate() {
        t = sim.http_browse(t, &ws, h, banner, &[("/", 1_100, "text/html")])?;
        t += 2 * SEC;
        if i % 3 == 0 {
            // Some devices have telnet/SSH closed: refused.
            let p = sim.rng.ephemeral_port();
            t = sim.tcp_refused(t, &ws, h, (p, 22))? + SEC;
        }
    }

    // 40 office hosts on the workstation's own VLAN (ARP first).
    for i in 0..WORKSTATION_OFFICE_HOSTS {
        let h = office_host(i);
        t = sim.arp(t, &ws, h.ip, Some(&h))? + MS;
        let p = sim.rng.ephemeral_port();
        t = match i % 7 {
            0 => sim.ssh_session(t, &ws, &h)?,
            1 => sim.http_browse(t, &ws, &h, "nginx", &[("/status", 900, "application/json")])?,
            2 => sim.tcp_refused(t, &ws, &h, (p, 3389))?,
            3 => {
                let hello = tls::Hello {
                    sni: None,
                    alpn: &["h2", "http/1.1"],
                };
                sim.https(t, &ws, &h, &hello, &[(600, 1_200)])?
            }
            4 => sim.tcp_unanswered(t, &ws, &h, (p, 445), 2)?,
            5 => sim.http_browse(t, &ws, &h, "Apache", &[("/", 1_200, "text/html")])?,
            _ => sim.tcp_refused(t, &ws, &h, (p, 8080))?,
        };
        t += 2 * SEC;
    }

    // 10 external web sites, each looked up first.
    for i in 0..WORKSTATION_WEB_SITES as u8 {
        let name = format!("www{}.example", i + 1);
        let h = site::Host {
            mac: site::GATEWAY_MAC,
            ip: [203, 0, 113, 100 + i],
            vlan: site::EXTERNAL,
            ttl: 52,
        };
        t = sim.resolve(t, &ws, &name, h.ip, true)? + MS;
        let hello = tls::Hello {
            sni: Some(&name),
            alpn: &["h2", "http/1.1"],
        };
        t = sim.https(t, &ws, &h, &hello, &[(520, 2_400)])? + 2 * SEC;
    }
    Ok(())
}

fn benign_new_camera(sim: &mut Sim) -> io::Result<()> {
    let end = at(300);
    background(sim, &standard_background(at(0), end))?;
    let cam = site::NEW_CAMERA;
    let dhcp = lifecycle::DhcpClient::camera(&cam, 86_400);
    lifecycle::camera_joins(
        sim,
        at(10),
        &cam,
        CAMERAS.len(),
        &dhcp,
        end,
        recording::per_second(VIDEO_PPS),
    )?;
    Ok(())
}

/// Builds the trace of small scenario `name`, or `None` if there is no such
/// small scenario.
pub fn build(name: &str, options: &SynthOptions) -> Option<io::Result<Trace>> {
    let f: fn(&mut Sim) -> io::Result<()> = match name {
        "camera-network" => camera_network,
        "egress" => egress,
        "scan-tcp" => scan_tcp,
        "scan-udp" => scan_udp,
        "scan-arp" => scan_arp,
        "scan-slow" => scan_slow,
        "exfil" => exfil,
        "exfil-cloud" => exfil_cloud,
        "exfil-slow" => exfil_slow,
        "benign-onvif-poll" => benign_onvif_poll,
        "benign-firmware" => benign_firmware,
        "benign-video" => benign_video,
        "benign-workstation" => benign_workstation,
        "benign-new-camera" => benign_new_camera,
        "benign-reboot" => lifecycle::benign_reboot,
        "benign-arp-refresh" => lifecycle::benign_arp_refresh,
        "scan-slow-arp" => incidents::scan_slow_arp,
        "worm-internet" => incidents::worm_internet,
        "flood-100k" => incidents::flood_100k,
        "ghost-addresses" => incidents::ghost_addresses,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Pkt, gen_vec, records, summarize};
    use std::collections::HashSet;

    fn capture(name: &str) -> Vec<u8> {
        gen_vec(name, 11, None).1
    }

    const SYN: u8 = 0x02;
    const RST: u8 = 0x04;
    const ACK: u8 = 0x10;

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn egress_facts() {
        let pcap = capture("egress");
        let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
        let cam = CAMERAS[EGRESS_DNS_CAMERA].host.ip;
        let evil = site::EVIL.ip;
        let dns_answer = pkts
            .iter()
            .find(|p| p.sport == 53 && p.dst == cam && contains(p.payload, b"\x06update\x04evil"));
        let answer = dns_answer.expect("DNS answer for update.evil.example");
        assert!(answer.payload.ends_with(&evil));
        let hello = pkts
            .iter()
            .find(|p| p.src == cam && p.dst == evil && p.dport == 443 && p.len > 0)
            .unwrap();
        assert_eq!(tls::sni_of(hello.payload).as_deref(), Some(site::EVIL_NAME));
        assert!(answer.ts < hello.ts);

        let raw = CAMERAS[EGRESS_RAW_CAMERA].host.ip;
        let syn = pkts
            .iter()
            .find(|p| p.src == raw && p.flags & SYN != 0)
            .unwrap();
        assert_eq!((syn.dst, syn.dport), (site::RAW_IP_TARGET.ip, 23));
        // No DNS answer anywhere names the raw address.
        assert!(
            !pkts
                .iter()
                .any(|p| p.sport == 53 && contains(p.payload, &site::RAW_IP_TARGET.ip))
        );
    }

    #[test]
    fn scan_tcp_facts() {
        let pcap = capture("scan-tcp");
        let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
        let me = CAMERAS[SCAN_TCP_CAMERA].host.ip;
        let syns: Vec<&Pkt> = pkts
            .iter()
            .filter(|p| p.src == me && p.flags & (SYN | ACK) == SYN)
            .collect();
        assert_eq!(syns.len(), SCAN_TCP_SYNS);
        let hosts: HashSet<[u8; 4]> = syns.iter().map(|p| p.dst).collect();
        assert_eq!(hosts.len(), SCAN_TCP_ADDRESSES);
        assert!(syns.iter().all(|p| SCAN_TCP_PORTS.contains(&p.dport)));
        let synacks = pkts
            .iter()
            .filter(|p| p.dst == me && p.flags & (SYN | ACK) == SYN | ACK)
            .count();
        let rsts = pkts
            .iter()
            .filter(|p| p.dst == me && p.flags & RST != 0)
            .count();
        assert_eq!((synacks, rsts), (SCAN_TCP_OPEN, SCAN_TCP_CLOSED));
        let answering: HashSet<[u8; 4]> = pkts
            .iter()
            .filter(|p| p.dst == me && p.proto == 6 && p.sport != 443 && p.sport != 53)
            .map(|p| p.src)
            .collect();
        assert_eq!(answering.len(), SCAN_TCP_LIVE_HOSTS);
        // The scan lasts about two seconds and sends no ARP.
        assert!(syns.last().unwrap().ts - syns[0].ts < 3 * SEC);
        assert!(
            !pkts
                .iter()
                .filter_map(|p| p.arp)
                .any(|(_, spa, _)| spa == me)
        );
    }

    #[test]
    fn scan_udp_facts() {
        let pcap = capture("scan-udp");
        let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
        let me = CAMERAS[SCAN_UDP_CAMERA].host.ip;
        let probes: HashSet<([u8; 4], u16)> = pkts
            .iter()
            .filter(|p| p.src == me && p.sport == SCAN_UDP_SOURCE_PORT)
            .map(|p| (p.dst, p.dport))
            .collect();
        assert_eq!(probes.len(), 2 * SCAN_UDP_PORTS_PER_HOST);
        assert!(probes.iter().all(|(d, _)| SCAN_UDP_TARGETS.contains(d)));
        let unreachable = pkts.iter().filter(|p| p.proto == 1 && p.dst == me).count();
        assert_eq!(unreachable, 18);
    }

    #[test]
    fn scan_arp_and_slow_facts() {
        let pcap = capture("scan-arp");
        let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
        let me = CAMERAS[SCAN_ARP_CAMERA].host.ip;
        let asked: Vec<[u8; 4]> = pkts
            .iter()
            .filter_map(|p| p.arp)
            .filter(|(op, spa, tpa)| *op == 1 && *spa == me && tpa[3] >= SCAN_ARP_RANGE.0)
            .map(|(_, _, tpa)| tpa)
            .collect();
        assert_eq!(asked.len(), 101);
        assert!(asked.iter().all(|t| t[3] <= SCAN_ARP_RANGE.1));

        let pcap = capture("scan-slow");
        let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
        let me = CAMERAS[SCAN_SLOW_CAMERA].host.ip;
        let syns: Vec<&Pkt> = pkts
            .iter()
            .filter(|p| p.src == me && p.flags & (SYN | ACK) == SYN)
            .collect();
        assert_eq!(syns.len(), SCAN_SLOW_PROBES);
        assert_eq!(
            syns.iter().map(|p| p.dst).collect::<HashSet<_>>().len(),
            SCAN_SLOW_PROBES
        );
        assert!(
            syns.windows(2)
                .all(|w| w[1].ts - w[0].ts == SCAN_SLOW_INTERVAL)
        );
    }

    fn bytes_between(pkts: &[Pkt], src: [u8; 4], dst: [u8; 4], port: u16) -> usize {
        pkts.iter()
            .filter(|p| {
                p.proto == 6 && p.src == src && p.dst == dst && (p.dport == port || p.sport == port)
            })
            .map(|p| p.len)
            .sum()
    }

    #[test]
    fn transfer_volumes() {
        // Handshake and request overhead on top of the bulk payload.
        let slack = 1_500;
        let pcap = capture("exfil");
        let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
        let up = bytes_between(&pkts, CAMERAS[EXFIL_CAMERA].host.ip, site::EVIL.ip, 443);
        assert!((EXFIL_BYTES..EXFIL_BYTES + slack).contains(&up), "{up}");

        let pcap = capture("exfil-cloud");
        let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
        let up = bytes_between(
            &pkts,
            CAMERAS[EXFIL_CLOUD_CAMERA].host.ip,
            site::CLOUD_API.ip,
            443,
        );
        assert!((EXFIL_BYTES..EXFIL_BYTES + 6 * slack).contains(&up), "{up}");

        let pcap = capture("exfil-slow");
        let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
        let cam = CAMERAS[EXFIL_SLOW_CAMERA].host.ip;
        let total = EXFIL_SLOW_BYTES_PER_WINDOW * EXFIL_SLOW_WINDOWS;
        let up = bytes_between(&pkts, cam, site::EVIL.ip, 443);
        assert!(
            (total..total + EXFIL_SLOW_WINDOWS * slack).contains(&up),
            "{up}"
        );
        let conns = pkts
            .iter()
            .filter(|p| p.src == cam && p.dst == site::EVIL.ip && p.flags & (SYN | ACK) == SYN)
            .count();
        assert_eq!(conns, EXFIL_SLOW_WINDOWS);

        let pcap = capture("benign-firmware");
        let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
        let down = bytes_between(
            &pkts,
            site::CLOUD_API.ip,
            CAMERAS[FIRMWARE_CAMERA].host.ip,
            443,
        );
        assert!(
            (FIRMWARE_BYTES..FIRMWARE_BYTES + 6_000).contains(&down),
            "{down}"
        );
    }

    #[test]
    fn video_and_workstation_facts() {
        let pcap = capture("benign-video");
        let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
        for &i in &STREAMING_CAMERAS {
            let n = pkts
                .iter()
                .filter(|p| p.src == CAMERAS[i].host.ip && p.sport == site::CAMERA_RTP_PORT)
                .count() as u64;
            assert!((VIDEO_PPS * 590..=VIDEO_PPS * 600).contains(&n), "{n}");
        }

        let pcap = capture("benign-workstation");
        let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
        let ws = site::WORKSTATION.ip;
        let peers: HashSet<[u8; 4]> = pkts
            .iter()
            .filter(|p| p.src == ws && p.flags & (SYN | ACK) == SYN)
            .map(|p| p.dst)
            .collect();
        assert_eq!(peers.len(), WORKSTATION_PEERS);
    }

    #[test]
    fn new_camera_dhcp_and_arp_probe() {
        let pcap = capture("benign-new-camera");
        let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
        let dhcp: Vec<&Pkt> = pkts
            .iter()
            .filter(|p| p.dport == 67 || p.dport == 68)
            .collect();
        assert_eq!(dhcp.len(), 4);
        let discover = dhcp[0].payload;
        assert!(contains(discover, site::NEW_CAMERA.hostname.as_bytes()));
        assert!(contains(discover, site::NEW_CAMERA_VENDOR_CLASS.as_bytes()));
        let probes = pkts
            .iter()
            .filter_map(|p| p.arp)
            .filter(|(_, spa, tpa)| *spa == [0; 4] && *tpa == site::NEW_CAMERA.host.ip)
            .count();
        assert_eq!(probes, 3);
        assert!(
            pkts.iter()
                .any(|p| p.src == site::NEW_CAMERA.host.ip && p.sport == site::CAMERA_RTP_PORT)
        );
    }
}
