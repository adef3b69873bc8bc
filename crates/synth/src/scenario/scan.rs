//! The scan scenarios (`scan-tcp`, `scan-udp`, `scan-arp`, `scan-slow`)
//! and what each host of the site answers on a scanned port.

use std::io;

use crate::rng::Rng;
use crate::site::{self, CAMERAS, Host};
use crate::traffic::{MS, SEC, Sim};

use super::background::long_background;
use super::{
    SCAN_ARP_CAMERA, SCAN_ARP_RANGE, SCAN_SLOW_CAMERA, SCAN_SLOW_INTERVAL, SCAN_SLOW_PROBES,
    SCAN_TCP_CAMERA, SCAN_TCP_PORTS, SCAN_UDP_CAMERA, SCAN_UDP_PORTS_PER_HOST,
    SCAN_UDP_SOURCE_PORT, at, background, standard_background,
};

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

pub(super) fn scan_tcp(sim: &mut Sim) -> io::Result<()> {
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

pub(super) fn scan_udp(sim: &mut Sim) -> io::Result<()> {
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

pub(super) fn scan_arp(sim: &mut Sim) -> io::Result<()> {
    background(sim, &standard_background(at(0), at(300)))?;
    let scanner = CAMERAS[SCAN_ARP_CAMERA].host;
    let mut t = at(60);
    for n in SCAN_ARP_RANGE.0..=SCAN_ARP_RANGE.1 {
        sim.arp(t, &scanner, [10, 20, 0, n], None)?;
        t += 5 * MS;
    }
    Ok(())
}

pub(super) fn scan_slow(sim: &mut Sim) -> io::Result<()> {
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
