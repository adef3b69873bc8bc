//! `ghost-addresses`: an installer's laptop (not a camera) on the camera
//! VLAN that ARPs every address of the subnet and probes the live hosts.

use std::io;

use crate::apps;
use crate::frame;
use crate::lifecycle::{self, DhcpClient};
use crate::scenario::{self, BASE_TS};
use crate::site::{self, CAMERAS, Host};
use crate::traffic::{Dir, MS, SEC, Sim};

use super::sweep::live_reply;
use super::{Reply, external};

/// `ghost-addresses`: the installer's laptop on the camera VLAN (LCFC
/// (Lenovo) OUI `8c:8c:aa`, Windows TTL 128), leased 10.20.0.150.
pub const LAPTOP: Host = Host {
    mac: [0x8c, 0x8c, 0xaa, 0x4e, 0x21, 0x96],
    ip: [10, 20, 0, 150],
    vlan: site::CAMERA_VLAN,
    ttl: 128,
};
/// `ghost-addresses`: the laptop's DHCP host name.
pub const LAPTOP_NAME: &str = "LAPTOP-INST01";
/// `ghost-addresses`: ports the laptop's IP scanner tries on every address.
pub const GHOST_PORTS: [u16; 2] = [80, 554];
/// `ghost-addresses`: the sweep starts here.
pub const GHOST_START: u64 = 40 * SEC;
/// `ghost-addresses`: ARP requests per absent address (Windows gives up
/// after three).
pub const GHOST_ARP_TRIES: usize = 3;
/// `ghost-addresses`: live addresses of the subnet besides the laptop
/// (gateway, recorder, eight cameras).
pub const GHOST_LIVE: usize = 10;
/// `ghost-addresses`: absent addresses (253 swept minus the live ones).
pub const GHOST_ABSENT: usize = 253 - GHOST_LIVE;
/// `ghost-addresses`: the name the laptop's connectivity check resolves.
pub const NCSI_NAME: &str = "www.msftconnecttest.example";
/// `ghost-addresses`: the address [`NCSI_NAME`] resolves to.
pub const NCSI: [u8; 4] = [203, 0, 113, 150];

pub(crate) fn ghost_addresses(sim: &mut Sim) -> io::Result<()> {
    let end = BASE_TS + 300 * SEC;
    scenario::background(sim, &scenario::standard_background(BASE_TS, end))?;
    let me = LAPTOP;
    let gw = site::GATEWAY;

    // Joins the VLAN: DHCP, ARP probe and announcement, gateway, DNS, NTP,
    // connectivity check.
    let dhcp = DhcpClient {
        host: me,
        hostname: LAPTOP_NAME,
        vendor_class: Some("MSFT 5.0"),
        lease: 86_400,
    };
    let mut t = lifecycle::dhcp_acquire(sim, BASE_TS + 10 * SEC, &dhcp)?;
    let mut probe = frame::Arp::request(&me, me.ip);
    probe.spa = [0; 4];
    sim.emit(t + 20 * MS, frame::arp(&probe)?);
    sim.emit(
        t + 1_020 * MS,
        frame::arp(&frame::Arp::request(&me, me.ip))?,
    );
    t = sim.arp(t + 1_100 * MS, &me, gw.ip, Some(&gw))?;
    t = sim.resolve(t + 5 * MS, &me, NCSI_NAME, NCSI, true)?;
    let ncsi = external(NCSI, 52);
    t = sim.http_browse(
        t + MS,
        &me,
        &ncsi,
        "Microsoft-IIS/10.0",
        &[("/connecttest.txt", 22, "text/plain")],
    )?;
    sim.ntp_sync(t + 2 * SEC, &me)?;

    // ONVIF discovery from the laptop; the cameras answer it.
    let t = BASE_TS + 30 * SEC;
    let port = sim.rng.ephemeral_port();
    let probe_id = sim.rng.uuid();
    sim.udp(
        t,
        &me,
        &site::WSD_MULTICAST,
        (port, site::WSD_PORT),
        &apps::wsd_probe(&probe_id),
    )?;
    for cam in &CAMERAS {
        let at = t + sim.rng.range(2 * MS, 480 * MS);
        let id = sim.rng.uuid();
        let reply = apps::wsd_probe_matches(cam, &id, &probe_id);
        sim.udp(at, &cam.host, &me, (site::WSD_PORT, port), &reply)?;
    }

    // The IP scanner: every address in turn, 15 ms apart. The OS resolves
    // each address first (the gateway is cached); live hosts get a connect
    // to each port, reset by the scanner once answered; absent addresses
    // only ever see three ARP requests.
    let mut t = BASE_TS + GHOST_START;
    for n in 1..=254u8 {
        let ip = [10, 20, 0, n];
        if ip == me.ip {
            continue;
        }
        match scenario::live_host(ip) {
            Some(h) => {
                let mut at = t;
                if ip != gw.ip {
                    at = sim.arp(t, &me, ip, Some(&h))? + 200;
                }
                for port in GHOST_PORTS {
                    let sport = sim.rng.range(49_152, 65_535) as u16;
                    at = match live_reply(ip, port) {
                        Reply::Open => connect_reset(sim, at, &me, &h, (sport, port))?,
                        _ => sim.tcp_refused(at, &me, &h, (sport, port))?,
                    } + 300;
                }
            }
            None => {
                for k in 0..GHOST_ARP_TRIES as u64 {
                    sim.arp(t + k * SEC, &me, ip, None)?;
                }
            }
        }
        t += 15 * MS;
    }
    Ok(())
}

/// Full connect then abortive close: SYN, SYN/ACK, ACK, RST/ACK from the
/// client (a scanner closing with linger 0).
fn connect_reset(
    sim: &mut Sim,
    t: u64,
    client: &Host,
    server: &Host,
    ports: (u16, u16),
) -> io::Result<u64> {
    let mut c = sim.tcp(client, server, ports.0, ports.1);
    let at = sim.tcp_open(t, &mut c)?;
    sim.tcp_reset(at + 100, &mut c, Dir::ToServer)
}
