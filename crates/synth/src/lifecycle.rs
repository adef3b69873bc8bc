//! Device life-cycle traffic: DHCP (acquire, renew), RFC 5227 address
//! claims, gratuitous and refresh ARP, a camera's boot sequence, and the two
//! benign scenarios built mostly from them, `benign-reboot` and
//! `benign-arp-refresh`.

use std::io;

use crate::apps::{self, dhcp_type};
use crate::frame::{self, Arp};
use crate::recording::{self, Ending, Session};
use crate::scenario::{self, BASE_TS, HALF_HOUR_PPS, VIDEO_PPS};
use crate::site::{self, CAMERAS, Camera, Host, Vendor};
use crate::traffic::{MS, RtpTransport, SEC, Sim};

// ------------------------------------------------------------------ ARP --

/// Unicast ARP request from `asker` to `target`'s cached MAC (a Linux
/// neighbour-cache probe), answered by a unicast reply when `answered`.
/// Returns the time of the last frame.
pub fn arp_unicast(
    sim: &mut Sim,
    t: u64,
    asker: &Host,
    target: &Host,
    answered: bool,
) -> io::Result<u64> {
    let mut a = Arp::request(asker, target.ip);
    a.eth_dst = target.mac;
    sim.emit(t, frame::arp(&a)?);
    if !answered {
        return Ok(t);
    }
    let t2 = t + sim.delay(target);
    sim.emit(t2, frame::arp(&Arp::reply(target, asker))?);
    Ok(t2)
}

/// RFC 5227 address claim by `host`: three probes (sender 0.0.0.0) 1-2 s
/// apart, then after 2 s two announcements 2 s apart. Returns the time of
/// the last announcement.
pub fn claim_address(sim: &mut Sim, t: u64, host: &Host) -> io::Result<u64> {
    let mut at = t;
    for k in 0..3 {
        if k > 0 {
            at += sim.rng.range(SEC, 2 * SEC);
        }
        let mut a = Arp::request(host, host.ip);
        a.spa = [0; 4];
        sim.emit(at, frame::arp(&a)?);
    }
    at += 2 * SEC;
    for k in 0..2 {
        if k > 0 {
            at += 2 * SEC;
        }
        sim.emit(at, frame::arp(&Arp::request(host, host.ip))?);
    }
    Ok(at)
}

/// Gratuitous ARP reply broadcast by `host` (`arping -A`): sender and
/// target are both the host's own address.
pub fn gratuitous_reply(sim: &mut Sim, t: u64, host: &Host) -> io::Result<u64> {
    let a = Arp {
        eth_src: host.mac,
        eth_dst: [0xff; 6],
        vlan: host.vlan,
        reply: true,
        sha: host.mac,
        spa: host.ip,
        tha: [0xff; 6],
        tpa: host.ip,
    };
    sim.emit(t, frame::arp(&a)?);
    Ok(t)
}

// ----------------------------------------------------------------- DHCP --

/// A DHCP client and the lease it holds or gets.
#[derive(Clone, Copy, Debug)]
pub struct DhcpClient<'a> {
    /// The client with its leased address.
    pub host: Host,
    /// Option 12.
    pub hostname: &'a str,
    /// Option 60, if the client sends one.
    pub vendor_class: Option<&'a str>,
    /// Lease time the server grants (s).
    pub lease: u32,
}

impl DhcpClient<'_> {
    /// The client as a camera's udhcpc configures it.
    pub fn camera(cam: &Camera, lease: u32) -> DhcpClient<'_> {
        DhcpClient {
            host: cam.host,
            hostname: cam.hostname,
            vendor_class: Some(match cam.vendor {
                Vendor::Hikvision => site::NEW_CAMERA_VENDOR_CLASS,
                Vendor::Dahua => "udhcp 1.26.2",
                Vendor::Axis => "dhcpcd-9.4.1:Linux-5.15:armv7l:Axis",
            }),
            lease,
        }
    }

    fn client_options(&self, kind: u8) -> Vec<(u8, Vec<u8>)> {
        let mut client_id = vec![1u8];
        client_id.extend_from_slice(&self.host.mac);
        let mut v = vec![
            (53, vec![kind]),
            (61, client_id),
            (12, self.hostname.as_bytes().to_vec()),
        ];
        if let Some(vc) = self.vendor_class {
            v.push((60, vc.as_bytes().to_vec()));
        }
        v.push((55, vec![1, 3, 6, 12, 15, 28, 42]));
        v
    }

    fn server_options(&self, kind: u8) -> Vec<(u8, Vec<u8>)> {
        let gw = site::GATEWAY.ip.to_vec();
        vec![
            (53, vec![kind]),
            (54, gw.clone()),
            (51, self.lease.to_be_bytes().to_vec()),
            (1, vec![255, 255, 255, 0]),
            (3, gw.clone()),
            (6, gw.clone()),
            (42, gw),
            (15, b"cctv.lan".to_vec()),
        ]
    }
}

const DHCP_C: (u16, u16) = (68, 67);
const DHCP_S: (u16, u16) = (67, 68);

/// DISCOVER and REQUEST broadcast from 0.0.0.0, OFFER and ACK unicast to
/// the leased address. Returns the time of the ACK.
pub fn dhcp_acquire(sim: &mut Sim, t: u64, c: &DhcpClient<'_>) -> io::Result<u64> {
    let gw = site::GATEWAY;
    let unconfigured = c.host.with_ip([0, 0, 0, 0]);
    let base = apps::Dhcp {
        xid: sim.rng.next_u32(),
        chaddr: c.host.mac,
        ..apps::Dhcp::default()
    };
    let mut m = base.clone();
    m.options = c.client_options(dhcp_type::DISCOVER);
    sim.udp(t, &unconfigured, &site::BROADCAST, DHCP_C, &apps::dhcp(&m))?;
    let mut at = t + sim.rng.range(MS, 3 * MS);
    let mut m = base.clone();
    m.reply = true;
    m.yiaddr = c.host.ip;
    m.siaddr = gw.ip;
    m.options = c.server_options(dhcp_type::OFFER);
    sim.udp(at, &gw, &c.host, DHCP_S, &apps::dhcp(&m))?;
    at += sim.rng.range(2 * MS, 5 * MS);
    let mut m = base.clone();
    m.secs = 1;
    let mut opts = c.client_options(dhcp_type::REQUEST);
    opts.insert(1, (50, c.host.ip.to_vec()));
    opts.insert(2, (54, gw.ip.to_vec()));
    m.options = opts;
    sim.udp(at, &unconfigured, &site::BROADCAST, DHCP_C, &apps::dhcp(&m))?;
    at += sim.rng.range(MS, 3 * MS);
    let mut m = base;
    m.reply = true;
    m.yiaddr = c.host.ip;
    m.siaddr = gw.ip;
    m.options = c.server_options(dhcp_type::ACK);
    sim.udp(at, &gw, &c.host, DHCP_S, &apps::dhcp(&m))?;
    Ok(at)
}

/// Lease renewal at T1: REQUEST unicast from the client's address (ciaddr
/// set, no server identifier), ACK unicast. Returns the time of the ACK.
pub fn dhcp_renew(sim: &mut Sim, t: u64, c: &DhcpClient<'_>) -> io::Result<u64> {
    let gw = site::GATEWAY;
    let base = apps::Dhcp {
        xid: sim.rng.next_u32(),
        chaddr: c.host.mac,
        ciaddr: c.host.ip,
        ..apps::Dhcp::default()
    };
    let mut m = base.clone();
    m.options = c.client_options(dhcp_type::REQUEST);
    sim.udp(t, &c.host, &gw, DHCP_C, &apps::dhcp(&m))?;
    let at = t + sim.rng.range(MS, 3 * MS);
    let mut m = base;
    m.reply = true;
    m.yiaddr = c.host.ip;
    m.options = c.server_options(dhcp_type::ACK);
    sim.udp(at, &gw, &c.host, DHCP_S, &apps::dhcp(&m))?;
    Ok(at)
}

// ----------------------------------------------------------------- boot --

/// A camera coming up at `t`: DHCP, RFC 5227 claim, a gratuitous ARP reply,
/// a WS-Discovery Hello, ARP for the gateway, an NTP poll. Returns the time
/// of the last frame.
pub fn boot(sim: &mut Sim, t: u64, cam: &Camera, dhcp: &DhcpClient<'_>) -> io::Result<u64> {
    let host = cam.host;
    let gw = site::GATEWAY;
    let mut at = dhcp_acquire(sim, t, dhcp)?;
    at = claim_address(sim, at + 200 * MS, &host)?;
    let pause = sim.rng.range(100 * MS, 400 * MS);
    at = gratuitous_reply(sim, at + pause, &host)?;
    at += 500 * MS;
    let hello_id = sim.rng.uuid();
    sim.udp(
        at,
        &host,
        &site::WSD_MULTICAST,
        (site::WSD_PORT, site::WSD_PORT),
        &apps::wsd_hello(cam, &hello_id),
    )?;
    at = sim.arp(at + 100 * MS, &host, gw.ip, Some(&gw))?;
    sim.ntp_sync(at + 50 * MS, &host)
}

/// A new camera joins at `t`: [`boot`], a DNS lookup of its cloud name;
/// the recorder discovers it (WS-Discovery Probe, ARP, ONVIF
/// GetDeviceInformation), opens an RTSP session (RTP over UDP, camera
/// index `index`) and records it until `end`; NTP every 64 s.
pub fn camera_joins(
    sim: &mut Sim,
    t: u64,
    cam: &Camera,
    index: usize,
    dhcp: &DhcpClient<'_>,
    end: u64,
    interval: u64,
) -> io::Result<()> {
    let host = cam.host;
    let mut t = boot(sim, t, cam, dhcp)?;
    sim.resolve(
        t + 500 * MS,
        &host,
        site::CLOUD_P2P_NAME,
        site::CLOUD_P2P.ip,
        false,
    )?;
    t = sim.wsd_probe(t + 3 * SEC, &[*cam])?;
    t = sim.arp(t + 50 * MS, &site::NVR, host.ip, Some(&host))?;
    t = sim.onvif_call(t + 10 * MS, cam, apps::OnvifOp::GetDeviceInformation)?;
    let (mut s, play) = Session::open(sim, t + 200 * MS, cam, index, RtpTransport::Udp)?;
    s.stream(sim, play + 5 * MS, end, interval)?;
    scenario::ntp_polls(sim, &host, play + 64 * SEC, end, 64 * SEC)
}

// ------------------------------------------------------- benign-reboot --

/// `benign-reboot`: the rebooting camera index (10.20.0.11, recorded over
/// RTSP/TCP interleaved, with the site's cloud session).
pub const REBOOT_CAMERA: usize = 0;
/// `benign-reboot`: the camera resets its RTSP connection at this time.
pub const REBOOT_DOWN: u64 = 150 * SEC;
/// `benign-reboot`: the camera's first DHCP DISCOVER after the reboot, 95 s
/// after its last frame.
pub const REBOOT_UP: u64 = REBOOT_DOWN + 2 * SEC + 95 * SEC;
/// `benign-reboot`: capture length.
pub const REBOOT_END: u64 = 600 * SEC;
/// `benign-reboot`: the recorder retries the camera every this many µs.
pub const REBOOT_RETRY: u64 = 10 * SEC;

pub(crate) fn benign_reboot(sim: &mut Sim) -> io::Result<()> {
    let start = BASE_TS;
    let end = BASE_TS + REBOOT_END;
    let me = REBOOT_CAMERA;
    let cam = CAMERAS[me];
    let host = cam.host;
    let interval = recording::per_second(VIDEO_PPS);
    recording::background(sim, start, end, interval, &[me])?;
    for (i, c) in CAMERAS.iter().enumerate().filter(|(i, _)| *i != me) {
        scenario::ntp_polls(
            sim,
            &c.host,
            start + (3 + 7 * i as u64) * SEC,
            end,
            128 * SEC,
        )?;
    }
    let down = start + REBOOT_DOWN;
    let up = start + REBOOT_UP;

    // Before: recorded, polling NTP, talking to its cloud relay.
    let mut s = Session::running(sim, start, &cam, me, recording::transport_of(me));
    let last = s.stream(sim, start, down, interval)?;
    s.end(sim, last.max(down), Ending::Reset)?;
    scenario::ntp_polls(sim, &host, start + 3 * SEC, down, 128 * SEC)?;
    scenario::cloud_session(sim, start + 2 * SEC, down, 60 * SEC)?;

    let dhcp = DhcpClient::camera(&cam, 86_400);
    let (mut s, play, ready) = reboot(sim, &cam, me, down, up, &dhcp)?;
    s.stream(sim, play + 5 * MS, end, interval)?;
    scenario::ntp_polls(sim, &host, ready + 64 * SEC, end, 64 * SEC)?;
    scenario::cloud_session(sim, ready + 2 * SEC, end, 60 * SEC)?;
    Ok(())
}

/// What follows a camera's reset of its recording session at `down`
/// until the recorder records it again: the recorder retries every
/// [`REBOOT_RETRY`] (10 s, ±0.2 s). The first SYN still finds the camera's
/// stack up (refused); then the camera is silent: SYNs to the cached MAC go
/// unanswered, the neighbour entry is probed by unicast and fails, and
/// later attempts only show broadcast ARP requests. At `up` the camera
/// boots ([`boot`]); the recorder's next retry finds it (ARP answered) and
/// sets the session up again. Returns the new session, the time of its
/// PLAY answer and the time the camera finished booting.
pub fn reboot(
    sim: &mut Sim,
    cam: &Camera,
    index: usize,
    down: u64,
    up: u64,
    dhcp: &DhcpClient<'_>,
) -> io::Result<(Session, u64, u64)> {
    let nvr = site::NVR;
    let host = cam.host;
    let retry = |sim: &mut Sim| REBOOT_RETRY - 200 * MS + sim.rng.below(400 * MS);
    let mut t = down + SEC;
    let port = sim.rng.ephemeral_port();
    sim.tcp_refused(t, &nvr, &host, (port, site::RTSP_PORT))?;
    t += retry(sim);
    let port = sim.rng.ephemeral_port();
    sim.tcp_unanswered(t, &nvr, &host, (port, site::RTSP_PORT), 2)?;
    for k in 0..3 {
        arp_unicast(sim, t + 5 * SEC + k * SEC, &nvr, &host, false)?;
    }
    t += retry(sim);
    while t < up {
        for k in 0..3 {
            sim.arp(t + k * SEC, &nvr, host.ip, None)?;
        }
        t += retry(sim);
    }
    let ready = boot(sim, up, cam, dhcp)?;
    while t < ready {
        t += retry(sim);
    }
    let at = sim.arp(t, &nvr, host.ip, Some(&host))?;
    let (s, play) = Session::open(sim, at + MS, cam, index, recording::transport_of(index))?;
    Ok((s, play, ready))
}

// -------------------------------------------------- benign-arp-refresh --

/// `benign-arp-refresh`: capture length.
pub const ARP_REFRESH_END: u64 = 30 * 60 * SEC;

pub(crate) fn benign_arp_refresh(sim: &mut Sim) -> io::Result<()> {
    let start = BASE_TS;
    let end = BASE_TS + ARP_REFRESH_END;
    let mut bg = scenario::standard_background(start, end);
    bg.recording = recording::per_second(HALF_HOUR_PPS);
    scenario::background(sim, &bg)?;
    let gw = site::GATEWAY;
    let nvr = site::NVR;
    for (i, cam) in CAMERAS.iter().enumerate() {
        let host = cam.host;
        // Linux cameras probe the gateway by unicast when its entry is
        // stale at the next NTP or DNS use; the Dahua firmware asks by
        // broadcast every time.
        let broadcast = cam.vendor == Vendor::Dahua;
        let mut t = start + sim.rng.range(10 * SEC, 120 * SEC);
        while t < end {
            if broadcast {
                sim.arp(t, &host, gw.ip, Some(&gw))?;
            } else {
                arp_unicast(sim, t, &host, &gw, true)?;
            }
            t += sim.rng.range(60 * SEC, 300 * SEC);
        }
        // The Dahua firmware also re-asks for the recorder by broadcast
        // every minute or so, although its session is alive.
        if broadcast {
            let mut t = start + sim.rng.range(5 * SEC, 60 * SEC);
            while t < end {
                sim.arp(t, &host, nvr.ip, Some(&nvr))?;
                t += sim.rng.range(50 * SEC, 70 * SEC);
            }
        }
        // The recorder refreshes every camera now and then (unicast), and
        // once by broadcast after its entry was garbage-collected.
        let mut t = start + sim.rng.range(30 * SEC, 300 * SEC);
        while t < end {
            arp_unicast(sim, t, &nvr, &host, true)?;
            t += sim.rng.range(240 * SEC, 600 * SEC);
        }
        let t = start + sim.rng.range(600 * SEC, 1_500 * SEC);
        sim.arp(t, &nvr, host.ip, Some(&host))?;
        // The gateway refreshes its entry for the camera (unicast).
        let t = start + (200 + 190 * i as u64) * SEC + sim.rng.below(30 * SEC);
        arp_unicast(sim, t, &gw, &host, true)?;
    }
    // The recorder asks the gateway too.
    let mut t = start + sim.rng.range(30 * SEC, 90 * SEC);
    while t < end {
        arp_unicast(sim, t, &nvr, &gw, true)?;
        t += sim.rng.range(120 * SEC, 400 * SEC);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Pkt, gen_vec, records, summarize};
    use std::collections::{HashMap, HashSet};

    #[test]
    fn reboot_facts() {
        let pcap = gen_vec("benign-reboot", 11, None).1;
        let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
        let cam = CAMERAS[REBOOT_CAMERA].host;
        let t0 = BASE_TS;
        // The old session ends with the camera's RST.
        let rst = pkts
            .iter()
            .find(|p| p.src == cam.ip && p.sport == 554 && p.flags & 0x04 != 0)
            .unwrap();
        assert!(rst.ts >= t0 + REBOOT_DOWN && rst.ts < t0 + REBOOT_DOWN + SEC);
        // Silent from 2 s after the reset to the DHCP DISCOVER.
        let silent = pkts
            .iter()
            .filter(|p| p.macs.0 == cam.mac)
            .filter(|p| p.ts > t0 + REBOOT_DOWN + 2 * SEC && p.ts < t0 + REBOOT_UP)
            .count();
        assert_eq!(silent, 0);
        let gap = t0 + REBOOT_UP - (t0 + REBOOT_DOWN + 2 * SEC);
        assert!((60 * SEC..=120 * SEC).contains(&gap));
        let dhcp: Vec<&Pkt> = pkts
            .iter()
            .filter(|p| p.dport == 67 || p.dport == 68)
            .collect();
        assert_eq!(dhcp.len(), 4);
        assert!(dhcp.iter().all(|p| p.ts >= t0 + REBOOT_UP));
        // Offer and ACK give the same address.
        assert!(dhcp[1].payload[16..20] == cam.ip && dhcp[3].payload[16..20] == cam.ip);
        let arps: Vec<_> = pkts
            .iter()
            .filter(|p| p.macs.0 == cam.mac)
            .filter_map(|p| p.arp)
            .collect();
        assert_eq!(arps.iter().filter(|(_, spa, _)| *spa == [0; 4]).count(), 3);
        assert!(arps.contains(&(2, cam.ip, cam.ip)));
        // A new RTSP session with SYN after the boot, then video again.
        let syn = pkts
            .iter()
            .find(|p| p.dst == cam.ip && p.dport == 554 && p.flags == 0x02 && p.ts > t0 + REBOOT_UP)
            .unwrap();
        assert!(
            pkts.iter().any(|p| p.src == cam.ip
                && p.sport == 554
                && p.ts > syn.ts
                && p.flags & 0x12 == 0x12)
        );
        let video_after = pkts
            .iter()
            .filter(|p| p.src == cam.ip && p.sport == 554 && p.len > 1_000 && p.ts > syn.ts)
            .count();
        assert!(video_after > 2_000, "{video_after}");
        // NTP and DNS after the boot.
        assert!(
            pkts.iter()
                .any(|p| p.src == cam.ip && p.dport == 123 && p.ts > t0 + REBOOT_UP)
        );
        assert!(
            pkts.iter()
                .any(|p| p.src == cam.ip && p.dport == 53 && p.ts > t0 + REBOOT_UP)
        );
    }

    #[test]
    fn arp_refresh_facts() {
        let pcap = gen_vec("benign-arp-refresh", 11, None).1;
        let pkts: Vec<Pkt> = records(&pcap).iter().map(summarize).collect();
        let mut targets: HashMap<[u8; 4], HashSet<[u8; 4]>> = HashMap::new();
        let mut unicast = 0;
        let mut broadcast = 0;
        for p in &pkts {
            if let Some((1, spa, tpa)) = p.arp {
                targets.entry(spa).or_default().insert(tpa);
                if p.macs.1 == [0xff; 6] {
                    broadcast += 1;
                } else {
                    unicast += 1;
                }
            }
        }
        assert!(unicast > 100 && broadcast > 50, "{unicast} {broadcast}");
        // Every asker asks about few hosts: no sweep.
        for (asker, t) in &targets {
            let limit = if *asker == site::NVR.ip || *asker == site::GATEWAY.ip {
                CAMERAS.len() + 1
            } else {
                2
            };
            assert!(t.len() <= limit, "{asker:?} asked for {t:?}");
        }
        for cam in &CAMERAS {
            assert!(targets[&cam.host.ip].contains(&site::GATEWAY.ip));
        }
        // Every request is answered.
        let requests = pkts
            .iter()
            .filter(|p| matches!(p.arp, Some((1, ..))))
            .count();
        let replies = pkts
            .iter()
            .filter(|p| matches!(p.arp, Some((2, ..))))
            .count();
        assert_eq!(requests, replies);
    }
}
