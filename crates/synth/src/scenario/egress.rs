//! Traffic leaving the site: a camera talking to unknown destinations
//! (`egress`) and the uploads of the exfiltration scenarios.

use std::io;

use crate::recording;
use crate::site::{self, CAMERAS, Host};
use crate::tls;
use crate::traffic::{Dir, MS, SEC, SendOpts, Sim};

use super::background::{cloud_api_call, long_background};
use super::{
    BULK_MSS, EGRESS_DNS_CAMERA, EGRESS_RAW_CAMERA, EXFIL_BYTES, EXFIL_CAMERA, EXFIL_CLOUD_CAMERA,
    EXFIL_DURATION, EXFIL_SLOW_BYTES_PER_WINDOW, EXFIL_SLOW_CAMERA, EXFIL_SLOW_WINDOWS,
    HALF_HOUR_PPS, at, background, standard_background,
};

pub(super) fn egress(sim: &mut Sim) -> io::Result<()> {
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

pub(super) fn exfil(sim: &mut Sim) -> io::Result<()> {
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

pub(super) fn exfil_cloud(sim: &mut Sim) -> io::Result<()> {
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

pub(super) fn exfil_slow(sim: &mut Sim) -> io::Result<()> {
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
