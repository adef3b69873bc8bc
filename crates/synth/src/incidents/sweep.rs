//! A compromised camera's slow, ARP-heavy sweep of its subnet: the plan,
//! how it is played, and the `scan-slow-arp` scenario.

use std::io;

use crate::recording;
use crate::rng::Rng;
use crate::scenario::{self, BASE_TS, HALF_HOUR_PPS};
use crate::site::{self, CAMERAS, Vendor};
use crate::traffic::{SEC, Sim};

use super::Reply;

/// One step of a slow sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepProbe {
    /// Broadcast ARP request for an absent address of the /24 (never
    /// answered; no IP packet follows).
    Arp([u8; 4]),
    /// SYN to a live host on a port, with its answer (the scanner resets
    /// half-open connections).
    Syn([u8; 4], u16, Reply),
}

/// Ports the slow sweep tries on live hosts.
pub const SWEEP_PORTS: [u16; 6] = [22, 23, 80, 554, 2323, 8000];

/// Answer of a live host of the site to a SYN on `port`.
pub fn live_reply(ip: [u8; 4], port: u16) -> Reply {
    let open = if ip == site::GATEWAY.ip {
        matches!(port, 22 | 80)
    } else if ip == site::NVR.ip {
        matches!(port, 80 | 554 | 8000)
    } else {
        match site::camera_by_ip(ip).map(|c| c.vendor) {
            Some(Vendor::Hikvision) => matches!(port, 80 | 554 | 8000),
            Some(_) => matches!(port, 80 | 554),
            None => return Reply::Silent,
        }
    };
    if open { Reply::Open } else { Reply::Reset }
}

/// A slow sweep's schedule: `(offset from its start, probe)`.
pub struct SweepPlan {
    /// Probes in time order.
    pub probes: Vec<(u64, SweepProbe)>,
}

impl SweepPlan {
    /// One probe every 20-60 s for `duration` from camera `scanner`: a SYN
    /// to a live host (gateway, recorder, another of the eight site
    /// cameras) one time in seven, otherwise an ARP request for a new
    /// absent address of 10.20.0.0/24. Addresses 10.20.0.1, .2 and .11 up
    /// to .(11 + `cameras`) count as present (a site with `cameras` cameras
    /// and room for one more). Fixed by `seed` and `cameras` alone.
    pub fn new(scanner: usize, duration: u64, seed: u64, cameras: usize) -> SweepPlan {
        let mut r = Rng::new(seed);
        let me = CAMERAS[scanner].host.ip;
        let mut live: Vec<[u8; 4]> = vec![site::GATEWAY.ip, site::NVR.ip];
        live.extend(CAMERAS.iter().map(|c| c.host.ip).filter(|ip| *ip != me));
        let last_camera = 11 + cameras;
        let mut absent: Vec<[u8; 4]> = (1..=254u8)
            .filter(|n| *n > 2 && !(11..=last_camera).contains(&usize::from(*n)))
            .map(|n| [10, 20, 0, n])
            .collect();
        for i in (1..absent.len()).rev() {
            let j = r.below(i as u64 + 1) as usize;
            absent.swap(i, j);
        }
        let mut probes = Vec::new();
        let mut t = r.range(0, 20 * SEC);
        let mut next_absent = 0;
        while t < duration {
            let p = if r.chance(1, 7) {
                let ip = live[r.below(live.len() as u64) as usize];
                let port = SWEEP_PORTS[r.below(SWEEP_PORTS.len() as u64) as usize];
                SweepProbe::Syn(ip, port, live_reply(ip, port))
            } else {
                let ip = absent[next_absent % absent.len()];
                next_absent += 1;
                SweepProbe::Arp(ip)
            };
            probes.push((t, p));
            t += r.range(20 * SEC, 60 * SEC);
        }
        SweepPlan { probes }
    }

    /// ARP requests for absent addresses.
    pub fn arps(&self) -> usize {
        self.probes
            .iter()
            .filter(|(_, p)| matches!(p, SweepProbe::Arp(_)))
            .count()
    }

    /// SYNs answered `reply`.
    pub fn syns(&self, reply: Reply) -> usize {
        self.probes
            .iter()
            .filter(|(_, p)| matches!(p, SweepProbe::Syn(_, _, r) if *r == reply))
            .count()
    }
}

/// Plays a sweep plan from camera `scanner` starting at `start`. Before a
/// SYN to another camera the scanner resolves it by ARP (answered); the
/// gateway and recorder are always in its neighbour cache.
pub fn slow_sweep(sim: &mut Sim, scanner: usize, start: u64, plan: &SweepPlan) -> io::Result<()> {
    let me = CAMERAS[scanner].host;
    for (off, p) in &plan.probes {
        let t = start + off;
        match *p {
            SweepProbe::Arp(ip) => {
                sim.arp(t, &me, ip, None)?;
            }
            SweepProbe::Syn(ip, port, reply) => {
                let target = scenario::live_host(ip).expect("live host");
                let mut at = t;
                if site::camera_by_ip(ip).is_some() {
                    at = sim.arp(t, &me, ip, Some(&target))? + 300;
                }
                let sport = sim.rng.ephemeral_port();
                match reply {
                    Reply::Open => sim.tcp_half_open(at, &me, &target, (sport, port))?,
                    Reply::Reset => sim.tcp_refused(at, &me, &target, (sport, port))?,
                    Reply::Silent => sim.tcp_unanswered(at, &me, &target, (sport, port), 0)?,
                };
            }
        }
    }
    Ok(())
}

/// `scan-slow-arp`: the sweeping camera index (10.20.0.12).
pub const SLOW_ARP_CAMERA: usize = 1;
/// `scan-slow-arp`: the sweep starts at this offset.
pub const SLOW_ARP_START: u64 = 120 * SEC;
/// `scan-slow-arp`: the sweep lasts this long.
pub const SLOW_ARP_DURATION: u64 = 35 * 60 * SEC;
/// `scan-slow-arp`: seed of the sweep plan.
pub const SLOW_ARP_PLAN_SEED: u64 = 1;
/// `scan-slow-arp`: capture length.
pub const SLOW_ARP_END: u64 = SLOW_ARP_START + SLOW_ARP_DURATION + 60 * SEC;

/// The plan of `scan-slow-arp`.
pub fn slow_arp_plan() -> SweepPlan {
    SweepPlan::new(
        SLOW_ARP_CAMERA,
        SLOW_ARP_DURATION,
        SLOW_ARP_PLAN_SEED,
        CAMERAS.len(),
    )
}

pub(crate) fn scan_slow_arp(sim: &mut Sim) -> io::Result<()> {
    let mut bg = scenario::standard_background(BASE_TS, BASE_TS + SLOW_ARP_END);
    bg.recording = recording::per_second(HALF_HOUR_PPS);
    scenario::background(sim, &bg)?;
    slow_sweep(
        sim,
        SLOW_ARP_CAMERA,
        BASE_TS + SLOW_ARP_START,
        &slow_arp_plan(),
    )
}
