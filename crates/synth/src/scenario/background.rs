//! The normal activity mixed into every small scenario: the recording
//! already running at capture start, RTSP sessions the recorder opens, NTP
//! polls and camera 0's cloud session and API calls.

use std::io;

use crate::recording;
use crate::site::{self, CAMERAS, Host};
use crate::tls;
use crate::traffic::{MS, RtpStream, SEC, Sim};

use super::VIDEO_PPS;

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
pub(super) fn cloud_api_call(sim: &mut Sim, t: u64, upstream: bool) -> io::Result<u64> {
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
pub(super) fn long_background(start: u64, end: u64, pps: u64) -> Background {
    Background {
        recording: recording::per_second(pps),
        ntp_interval: 1024 * SEC,
        cloud_interval: 300 * SEC,
        ..standard_background(start, end)
    }
}
