//! The tamper scenarios: a camera unplugged for ten minutes, a camera
//! rebooting in a minute, a recorder that stops receiving video, an ARP
//! takeover of a camera's address, RTP injected into a running stream and
//! a firmware update seen through ONVIF.
//!
//! Each starts with the recording running (three cameras recorded by the
//! NVR: 10.20.0.11 and 10.20.0.15 over RTSP/TCP, 10.20.0.16 over RTP/UDP,
//! at [`VIDEO_PPS`] captured packets per second) and NTP polls, so that
//! packet time keeps advancing while a camera is silent. The constants
//! are the facts tests rely on.

use std::io;

use crate::apps::{self, OnvifOp};
use crate::frame::{self, Arp};
use crate::lifecycle::{self, DhcpClient};
use crate::recording::{self, Ending, Session};
use crate::scenario::{self, BASE_TS, VIDEO_PPS};
use crate::site::{self, CAMERAS, Camera, Host};
use crate::traffic::{MS, SEC, Sim};

/// Cameras recorded in every tamper scenario (indices into [`CAMERAS`]).
pub const TAMPER_RECORDED: [usize; 3] = [0, 4, 5];

/// `camera-unplugged`: the camera (10.20.0.11, RTSP/TCP) and when its
/// cable is pulled and put back (µs from the capture start).
pub const UNPLUG_CAMERA: usize = 0;
pub const UNPLUG_DOWN: u64 = 420 * SEC;
pub const UNPLUG_UP: u64 = UNPLUG_DOWN + 600 * SEC;
pub const UNPLUG_END: u64 = UNPLUG_UP + 180 * SEC;

/// `camera-reboot-60s`: the camera (10.20.0.11), the reset of its session
/// and its first DHCP DISCOVER 60 s later.
pub const REBOOT60_CAMERA: usize = 0;
pub const REBOOT60_DOWN: u64 = 420 * SEC;
pub const REBOOT60_UP: u64 = REBOOT60_DOWN + 60 * SEC;
pub const REBOOT60_END: u64 = REBOOT60_UP + 240 * SEC;

/// `recorder-outage`: every recorded camera stops at this time, and the
/// capture ends ten minutes later.
pub const OUTAGE_DOWN: u64 = 420 * SEC;
pub const OUTAGE_END: u64 = OUTAGE_DOWN + 600 * SEC;

/// `arp-takeover` and `ssrc-switch`: the victim camera (10.20.0.16, RTP
/// over UDP) and the attacker on the camera VLAN (a Raspberry Pi OUI).
pub const VICTIM_CAMERA: usize = 5;
pub const ATTACKER_MAC: [u8; 6] = [0xb8, 0x27, 0xeb, 0x4d, 0x21, 0x07];
/// `arp-takeover`: the attacker's first gratuitous ARP reply, then one
/// reply to the recorder every 2 s for a minute.
pub const TAKEOVER_AT: u64 = 180 * SEC;
pub const TAKEOVER_END: u64 = 300 * SEC;
/// `ssrc-switch`: the attacker's first injected RTP packet (source address
/// and port of the camera, its own SSRC), 10 per second for a minute.
pub const INJECT_AT: u64 = 180 * SEC;
pub const INJECT_SSRC: u32 = 0x0bad_cafe;
pub const INJECT_END: u64 = 300 * SEC;

/// `firmware-change`: the camera (10.20.0.11), the recorder's first
/// GetDeviceInformation, the reboot into the new firmware, the second call
/// and the two versions.
pub const FIRMWARE_CHANGE_CAMERA: usize = 0;
pub const FIRMWARE_FIRST_CALL: u64 = 60 * SEC;
pub const FIRMWARE_REBOOT: u64 = 200 * SEC;
pub const FIRMWARE_SECOND_CALL: u64 = FIRMWARE_REBOOT + 60 * SEC + 90 * SEC;
pub const FIRMWARE_NEW: &str = "V5.7.23 build 240718";
pub const FIRMWARE_CHANGE_END: u64 = 480 * SEC;

fn attacker(ip: [u8; 4]) -> Host {
    Host {
        mac: ATTACKER_MAC,
        ip,
        vlan: site::CAMERA_VLAN,
        ttl: 64,
    }
}

/// The recorded cameras except `except` stream from the capture start to
/// `end`; every camera polls NTP.
fn recording_and_ntp(sim: &mut Sim, end: u64, except: &[usize]) -> io::Result<()> {
    let start = BASE_TS;
    let interval = recording::per_second(VIDEO_PPS);
    for &i in TAMPER_RECORDED.iter().filter(|i| !except.contains(i)) {
        let cam = CAMERAS[i];
        let mut s = Session::running(sim, start, &cam, i, recording::transport_of(i));
        s.stream(sim, start, end, interval)?;
    }
    for (i, c) in CAMERAS.iter().enumerate() {
        let first = start + (3 + 7 * i as u64) * SEC;
        scenario::ntp_polls(sim, &c.host, first, end, 64 * SEC)?;
    }
    Ok(())
}

/// A recorded camera goes silent at `down` and boots at `up`; the
/// recorder retries it meanwhile and records it again until `end`.
fn outage(sim: &mut Sim, me: usize, down: u64, up: u64, end: u64, how: Ending) -> io::Result<()> {
    let start = BASE_TS;
    let cam = CAMERAS[me];
    let interval = recording::per_second(VIDEO_PPS);
    let mut s = Session::running(sim, start, &cam, me, recording::transport_of(me));
    let last = s.stream(sim, start, down, interval)?;
    s.end(sim, last.max(down), how)?;
    let dhcp = DhcpClient::camera(&cam, 86_400);
    let (mut s, play, _) = lifecycle::reboot(sim, &cam, me, down, up, &dhcp)?;
    s.stream(sim, play + 5 * MS, end, interval)?;
    Ok(())
}

pub(crate) fn camera_unplugged(sim: &mut Sim) -> io::Result<()> {
    let end = BASE_TS + UNPLUG_END;
    recording_and_ntp(sim, end, &[UNPLUG_CAMERA])?;
    let (down, up) = (BASE_TS + UNPLUG_DOWN, BASE_TS + UNPLUG_UP);
    outage(sim, UNPLUG_CAMERA, down, up, end, Ending::Silence)
}

pub(crate) fn camera_reboot_60s(sim: &mut Sim) -> io::Result<()> {
    let end = BASE_TS + REBOOT60_END;
    recording_and_ntp(sim, end, &[REBOOT60_CAMERA])?;
    let (down, up) = (BASE_TS + REBOOT60_DOWN, BASE_TS + REBOOT60_UP);
    outage(sim, REBOOT60_CAMERA, down, up, end, Ending::Reset)
}

pub(crate) fn recorder_outage(sim: &mut Sim) -> io::Result<()> {
    let start = BASE_TS;
    let end = start + OUTAGE_END;
    recording_and_ntp(sim, end, &TAMPER_RECORDED)?;
    let interval = recording::per_second(VIDEO_PPS);
    for &i in &TAMPER_RECORDED {
        // The recorder stops acknowledging: each camera's stream stalls
        // within a few seconds of the others.
        let cam = CAMERAS[i];
        let down = start + OUTAGE_DOWN + sim.rng.below(3 * SEC);
        let mut s = Session::running(sim, start, &cam, i, recording::transport_of(i));
        let last = s.stream(sim, start, down, interval)?;
        s.end(sim, last.max(down), Ending::Silence)?;
    }
    Ok(())
}

pub(crate) fn arp_takeover(sim: &mut Sim) -> io::Result<()> {
    let end = BASE_TS + TAKEOVER_END;
    recording_and_ntp(sim, end, &[])?;
    let victim = CAMERAS[VICTIM_CAMERA].host;
    let nvr = site::NVR;
    // The camera and the recorder refresh each other's entries early on,
    // as every UDP stream does: the binding is learned.
    lifecycle::arp_unicast(sim, BASE_TS + 2 * SEC, &victim, &nvr, true)?;
    let evil = attacker(victim.ip);
    let mut t = BASE_TS + TAKEOVER_AT;
    lifecycle::gratuitous_reply(sim, t, &evil)?;
    let stop = t + 60 * SEC;
    while t < stop {
        t += 2 * SEC;
        let a = Arp {
            eth_src: ATTACKER_MAC,
            eth_dst: nvr.mac,
            vlan: nvr.vlan,
            reply: true,
            sha: ATTACKER_MAC,
            spa: victim.ip,
            tha: nvr.mac,
            tpa: nvr.ip,
        };
        sim.emit(t, frame::arp(&a)?);
    }
    Ok(())
}

pub(crate) fn ssrc_switch(sim: &mut Sim) -> io::Result<()> {
    let end = BASE_TS + INJECT_END;
    recording_and_ntp(sim, end, &[])?;
    let evil = attacker(CAMERAS[VICTIM_CAMERA].host.ip);
    let ports = (site::CAMERA_RTP_PORT, site::nvr_rtp_port(VICTIM_CAMERA));
    let mut seq = sim.rng.next_u16();
    let mut rtp_ts = sim.rng.next_u32();
    let mut t = BASE_TS + INJECT_AT;
    let stop = t + 60 * SEC;
    let mut k = 0u64;
    while t < stop {
        let frag = apps::Fragment {
            start: k.is_multiple_of(3),
            end: k % 3 == 2,
            idr: k.is_multiple_of(150),
        };
        let mut payload = apps::rtp_head(seq, rtp_ts, INJECT_SSRC, frag).to_vec();
        payload.resize(200, 0x5a);
        sim.udp(t, &evil, &site::NVR, ports, &payload)?;
        seq = seq.wrapping_add(1);
        rtp_ts = rtp_ts.wrapping_add(9_000);
        k += 1;
        t += 100 * MS;
    }
    Ok(())
}

pub(crate) fn firmware_change(sim: &mut Sim) -> io::Result<()> {
    let start = BASE_TS;
    let end = start + FIRMWARE_CHANGE_END;
    let me = FIRMWARE_CHANGE_CAMERA;
    recording_and_ntp(sim, end, &[me])?;
    let cam = CAMERAS[me];
    sim.onvif_call(
        start + FIRMWARE_FIRST_CALL,
        &cam,
        OnvifOp::GetDeviceInformation,
    )?;
    let down = start + FIRMWARE_REBOOT;
    outage(sim, me, down, down + 60 * SEC, end, Ending::Reset)?;
    let updated = Camera {
        firmware: FIRMWARE_NEW,
        ..cam
    };
    sim.onvif_call(
        start + FIRMWARE_SECOND_CALL,
        &updated,
        OnvifOp::GetDeviceInformation,
    )?;
    Ok(())
}
