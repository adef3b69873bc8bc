//! Attack scenarios seen on real camera sites, and the incident building
//! blocks `site-day-incidents` reuses: a compromised camera's slow,
//! ARP-heavy sweep of its subnet (`scan-slow-arp`), a Mirai-style worm
//! scanning the Internet (`worm-internet`), a 100,000-SYN flood
//! (`flood-100k`), and a scanner that is not a camera probing every
//! address of the camera subnet (`ghost-addresses`).
//!
//! Probe schedules, targets and answers come from fixed-seed plans (see
//! [`SweepPlan`], [`WormPlan`]), so counts and targets do not depend on the
//! scenario seed; the seed still moves the background, ports and sequence
//! numbers.

use std::collections::HashSet;
use std::io;

use crate::apps;
use crate::dns;
use crate::frame::{self, Flags, IpFields, Segment};
use crate::lifecycle::{self, DhcpClient};
use crate::recording;
use crate::rng::Rng;
use crate::scenario::{self, BASE_TS, HALF_HOUR_PPS};
use crate::site::{self, CAMERAS, Host, Vendor};
use crate::tls;
use crate::traffic::{Dir, MS, SEC, SendOpts, Sim};

fn external(ip: [u8; 4], ttl: u8) -> Host {
    Host {
        mac: site::GATEWAY_MAC,
        ip,
        vlan: site::EXTERNAL,
        ttl,
    }
}

/// How a probed TCP port answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Nothing comes back.
    Silent,
    /// RST/ACK (closed).
    Reset,
    /// SYN/ACK (open).
    Open,
}

// ------------------------------------------------------ slow ARP sweep --

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

// ---------------------------------------------------------------- worm --

/// Whether a Mirai-style scanner would pick `a`: public unicast, outside
/// Mirai's exclusion list (loopback, 0/8, 3/8, 15/8, 16/8, 56/8, 6/7, 11/8,
/// 21/8, 22/8, 26/8, 28-30/8, 33/8, 55/8, 214/8, 215/8, private and
/// carrier-grade NAT space) and outside the documentation networks this
/// site uses for its own Internet hosts.
pub fn worm_target(a: [u8; 4]) -> bool {
    let [o1, o2, ..] = a;
    let excluded = matches!(
        o1,
        0 | 3 | 6 | 7 | 10 | 11 | 15 | 16 | 21 | 22 | 26 | 28..=30 | 33 | 55 | 56 | 127 | 214 | 215
    ) || o1 >= 224
        || (o1 == 100 && (64..128).contains(&o2))
        || (o1 == 169 && o2 == 254)
        || (o1 == 172 && (16..32).contains(&o2))
        || (o1 == 192 && (o2 == 168 || o2 == 0))
        || (o1 == 198 && (18..20).contains(&o2))
        || (o1 == 198 && o2 == 51)
        || (o1 == 203 && o2 == 0);
    !excluded
}

/// One worm SYN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WormProbe {
    /// Offset from the burst start (µs).
    pub at: u64,
    /// Destination.
    pub dst: [u8; 4],
    /// Destination port.
    pub port: u16,
    /// TCP window (random, as Mirai's raw scanner sets it).
    pub window: u16,
    /// IP identification (random).
    pub ip_id: u16,
    /// What comes back.
    pub reply: Reply,
}

/// A worm's probe schedule, fixed by its seed.
pub struct WormPlan {
    /// Probes in time order, to distinct destinations.
    pub probes: Vec<WormProbe>,
}

/// Ports of a Mirai-style scanner: telnet 23 mostly, 2323 one probe in ten,
/// and the variants' exploit ports now and then.
pub const WORM_EXTRA_PORTS: [u16; 6] = [80, 8080, 5555, 7547, 37_215, 52_869];

impl WormPlan {
    /// `count` probes with gaps of `gap` µs on average (uniform within
    /// ±50%), to distinct destinations; one in `internal_every` (0: none)
    /// goes to 10.20.x.y outside 10.20.0.0/24, the rest to public
    /// addresses. Out of 1,000 external probes about `rst_permille` are
    /// refused and `open_permille` answered SYN/ACK.
    pub fn new(
        seed: u64,
        count: usize,
        gap: u64,
        internal_every: usize,
        rst_permille: u64,
        open_permille: u64,
    ) -> WormPlan {
        let mut r = Rng::new(seed);
        let mut seen = HashSet::with_capacity(count);
        let mut probes = Vec::with_capacity(count);
        let mut t = 0;
        for i in 0..count {
            let internal = internal_every > 0 && i % internal_every == internal_every - 1;
            let dst = loop {
                let a = if internal {
                    [10, 20, r.range(1, 255) as u8, r.range(1, 254) as u8]
                } else {
                    let v = r.next_u32().to_be_bytes();
                    if !worm_target(v) {
                        continue;
                    }
                    v
                };
                if seen.insert(a) {
                    break a;
                }
            };
            let roll = r.below(100);
            let port = if roll < 82 {
                23
            } else if roll < 92 {
                2323
            } else {
                WORM_EXTRA_PORTS[r.below(WORM_EXTRA_PORTS.len() as u64) as usize]
            };
            let answer = r.below(1_000);
            let reply = if internal {
                Reply::Silent
            } else if answer < open_permille {
                Reply::Open
            } else if answer < open_permille + rst_permille {
                Reply::Reset
            } else {
                Reply::Silent
            };
            probes.push(WormProbe {
                at: t,
                dst,
                port,
                window: r.next_u16(),
                ip_id: r.next_u16(),
                reply,
            });
            t += gap / 2 + r.below(gap + 1);
        }
        WormPlan { probes }
    }

    /// Probes answered `reply`.
    pub fn count(&self, reply: Reply) -> usize {
        self.probes.iter().filter(|p| p.reply == reply).count()
    }
}

/// Sends a plan's SYNs from `src` (source port `sport`) from `start`, as
/// Mirai's raw-socket scanner builds them: no TCP options, sequence number
/// equal to the destination address, random window and IP id, DF clear.
/// Refusals come back RST/ACK; a SYN/ACK is reset by the scanner's kernel
/// (no socket owns the connection). Returns the `(time, host, port)` of the
/// SYN/ACKs.
pub fn worm_scan(
    sim: &mut Sim,
    src: &Host,
    sport: u16,
    start: u64,
    plan: &WormPlan,
) -> io::Result<Vec<(u64, Host, u16)>> {
    let mut open = Vec::new();
    for p in &plan.probes {
        let t = start + p.at;
        let internal = p.dst[0] == 10;
        let dst = external(p.dst, if internal { 63 } else { 40 + (p.dst[3] % 20) });
        let seq = u32::from_be_bytes(p.dst);
        let syn = Segment {
            sport,
            dport: p.port,
            seq,
            ack: 0,
            flags: Flags::SYN,
            window: p.window,
            options: &[],
        };
        let ip = IpFields {
            id: p.ip_id,
            df: false,
        };
        sim.emit(t, frame::tcp(src, &dst, &syn, ip, &[])?);
        let back = t + sim.delay(&dst);
        match p.reply {
            Reply::Silent => {}
            Reply::Reset => {
                let rst = Segment {
                    sport: p.port,
                    dport: sport,
                    seq: 0,
                    ack: seq.wrapping_add(1),
                    flags: Flags::RST_ACK,
                    window: 0,
                    options: &[],
                };
                let id = sim.ip_id(&dst);
                sim.emit(back, frame::tcp(&dst, src, &rst, IpFields::df(id), &[])?);
            }
            Reply::Open => {
                let isn = sim.rng.next_u32();
                let opts = frame::syn_options(1460);
                let sa = Segment {
                    sport: p.port,
                    dport: sport,
                    seq: isn,
                    ack: seq.wrapping_add(1),
                    flags: Flags::SYN_ACK,
                    window: 64_240,
                    options: &opts,
                };
                let id = sim.ip_id(&dst);
                sim.emit(back, frame::tcp(&dst, src, &sa, IpFields::df(id), &[])?);
                let rst = Segment {
                    sport,
                    dport: p.port,
                    seq: seq.wrapping_add(1),
                    ack: 0,
                    flags: Flags::RST,
                    window: 0,
                    options: &[],
                };
                let at = back + sim.delay(src);
                sim.emit(at, frame::tcp(src, &dst, &rst, IpFields::df(0), &[])?);
                open.push((back, dst, p.port));
            }
        }
    }
    Ok(open)
}

/// A telnet brute-force attempt on an open port: full connection from an
/// ephemeral port, negotiation, `root` / `xc3511`, `Login incorrect`, close.
pub fn telnet_bruteforce(
    sim: &mut Sim,
    t: u64,
    src: &Host,
    dst: &Host,
    port: u16,
) -> io::Result<u64> {
    let cport = sim.rng.ephemeral_port();
    let mut c = sim.tcp(src, dst, cport, port);
    let mut at = sim.tcp_open(t, &mut c)?;
    let lines: [(&[u8], &[u8]); 3] = [
        (
            b"\xff\xfc\x18\xff\xfc\x1f",
            b"\xff\xfd\x18\xff\xfd\x1f\r\nlogin: ",
        ),
        (b"root\r\n", b"Password: "),
        (b"xc3511\r\n", b"\r\nLogin incorrect\r\nlogin: "),
    ];
    for (req, resp) in lines {
        at = sim.tcp_exchange(at + 30 * MS, &mut c, req, resp, 20 * MS)?;
    }
    sim.tcp_close(at + 10 * MS, &mut c, Dir::ToServer)
}

/// Mirai's hard-coded resolver.
pub const PUBLIC_RESOLVER: [u8; 4] = [8, 8, 8, 8];

/// The worm's command-and-control name.
pub const WORM_C2_NAME: &str = "cnc.kxbot.example";
/// Address [`WORM_C2_NAME`] resolves to (TEST-NET-2).
pub const WORM_C2: [u8; 4] = [198, 51, 100, 23];

/// The worm checks in with its C2: an A lookup of [`WORM_C2_NAME`] sent
/// straight to 8.8.8.8, then a TCP connection to the C2's port 23 with
/// Mirai's hello (`00 00 00 01`, an empty id) and a two-byte heartbeat the
/// C2 echoes every 60 s until `end`. Returns the time the hello is done.
pub fn worm_checkin(sim: &mut Sim, t: u64, bot: &Host, end: u64) -> io::Result<u64> {
    let resolver = external(PUBLIC_RESOLVER, 57);
    let id = sim.rng.next_u16();
    let port = sim.rng.ephemeral_port();
    let q = dns::query(id, WORM_C2_NAME, dns::TYPE_A);
    sim.udp(t, bot, &resolver, (port, 53), &q)?;
    let answers = dns::chain(WORM_C2_NAME, &[], WORM_C2, 60);
    let a = dns::response(id, WORM_C2_NAME, dns::TYPE_A, &answers);
    let t = t + sim.rng.range(15 * MS, 40 * MS);
    sim.udp(t, &resolver, bot, (53, port), &a)?;
    let c2 = external(WORM_C2, 49);
    let cport = sim.rng.ephemeral_port();
    let mut c = sim.tcp(bot, &c2, cport, 23);
    let at = sim.tcp_open(t + MS, &mut c)?;
    let (_, at) = sim.tcp_send(
        at + MS,
        &mut c,
        Dir::ToServer,
        &[0, 0, 0, 1],
        SendOpts::ACKED,
    )?;
    let (_, done) = sim.tcp_send(at + MS, &mut c, Dir::ToServer, &[0], SendOpts::ACKED)?;
    let mut hb = done + 60 * SEC;
    while hb + SEC < end {
        sim.tcp_exchange(hb, &mut c, &[0, 0], &[0, 0], MS)?;
        hb += 60 * SEC;
    }
    Ok(done)
}

/// `worm-internet`: the infected camera index (10.20.0.16).
pub const WORM_CAMERA: usize = 5;
/// `worm-internet`: C2 check-in time.
pub const WORM_CHECKIN: u64 = 30 * SEC;
/// `worm-internet`: first scan SYN.
pub const WORM_START: u64 = 60 * SEC;
/// `worm-internet`: SYNs sent (about four per second for ten minutes).
pub const WORM_PROBES: usize = 2_400;
/// `worm-internet`: mean gap between SYNs.
pub const WORM_GAP: u64 = 250 * MS;
/// `worm-internet`: seed of the scan plan.
pub const WORM_PLAN_SEED: u64 = 0x0031_4123;
/// `worm-internet`: brute-force telnet sessions, on the first open telnet
/// ports found.
pub const WORM_BRUTEFORCE: usize = 3;
/// `worm-internet`: capture length.
pub const WORM_END: u64 = 12 * 60 * SEC;

/// The plan of `worm-internet`: public destinations only, 4% refused, 1%
/// open.
pub fn worm_plan() -> WormPlan {
    WormPlan::new(WORM_PLAN_SEED, WORM_PROBES, WORM_GAP, 0, 40, 10)
}

/// Source port of a worm's raw scanner (random once per run).
fn worm_port(sim: &mut Sim) -> u16 {
    sim.rng.range(1_024, 65_535) as u16
}

/// Check-in, scan of `plan` from `start`, and brute force of the first
/// `bruteforce` open telnet ports found, by camera `cam`.
pub fn worm(
    sim: &mut Sim,
    cam: usize,
    checkin: u64,
    start: u64,
    plan: &WormPlan,
    bruteforce: usize,
    end: u64,
) -> io::Result<()> {
    let bot = CAMERAS[cam].host;
    worm_checkin(sim, checkin, &bot, end)?;
    let sport = worm_port(sim);
    let open = worm_scan(sim, &bot, sport, start, plan)?;
    for (t, host, port) in open
        .into_iter()
        .filter(|(_, _, p)| matches!(p, 23 | 2323))
        .take(bruteforce)
    {
        telnet_bruteforce(sim, t + 50 * MS, &bot, &host, port)?;
    }
    Ok(())
}

pub(crate) fn worm_internet(sim: &mut Sim) -> io::Result<()> {
    let end = BASE_TS + WORM_END;
    scenario::background(sim, &scenario::standard_background(BASE_TS, end))?;
    worm(
        sim,
        WORM_CAMERA,
        BASE_TS + WORM_CHECKIN,
        BASE_TS + WORM_START,
        &worm_plan(),
        WORM_BRUTEFORCE,
        end,
    )
}

// --------------------------------------------------------------- flood --

/// `flood-100k`: the flooding camera index (10.20.0.14).
pub const FLOOD_CAMERA: usize = 3;
/// `flood-100k`: SYNs sent, each to a distinct destination.
pub const FLOOD_SYNS: usize = 100_000;
/// `flood-100k`: one SYN in this many goes to 10.20.1.0-10.20.255.255
/// (10,000 internal destinations, never answered).
pub const FLOOD_INTERNAL_EVERY: usize = 10;
/// `flood-100k`: mean gap between SYNs (2,500 per second, 40 s in all).
pub const FLOOD_GAP: u64 = 400;
/// `flood-100k`: first SYN.
pub const FLOOD_START: u64 = 60 * SEC;
/// `flood-100k`: seed of the flood plan.
pub const FLOOD_PLAN_SEED: u64 = 0xf100d;
/// `flood-100k`: capture length.
pub const FLOOD_END: u64 = 180 * SEC;

/// The plan of `flood-100k`: 2% of external SYNs refused, 0.5% open.
pub fn flood_plan() -> WormPlan {
    WormPlan::new(
        FLOOD_PLAN_SEED,
        FLOOD_SYNS,
        FLOOD_GAP,
        FLOOD_INTERNAL_EVERY,
        20,
        5,
    )
}

pub(crate) fn flood_100k(sim: &mut Sim) -> io::Result<()> {
    let end = BASE_TS + FLOOD_END;
    scenario::background(sim, &scenario::standard_background(BASE_TS, end))?;
    let bot = CAMERAS[FLOOD_CAMERA].host;
    let sport = worm_port(sim);
    worm_scan(sim, &bot, sport, BASE_TS + FLOOD_START, &flood_plan())?;
    Ok(())
}

// ----------------------------------------------------- ghost addresses --

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

/// An unknown-egress contact by name: `cam` resolves `name`, opens TLS
/// with SNI `name` to `server` and exchanges a few small records.
pub fn egress_by_name(
    sim: &mut Sim,
    t: u64,
    cam: &Host,
    server: &Host,
    name: &str,
) -> io::Result<u64> {
    let t = sim.resolve(t, cam, name, server.ip, true)?;
    let hello = tls::Hello {
        sni: Some(name),
        alpn: &[],
    };
    sim.https(t + 600, cam, server, &hello, &[(380, 1_900), (240, 7_400)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Pkt, gen_vec, records, summarize};

    const SYN: u8 = 0x02;
    const RST: u8 = 0x04;
    const ACK: u8 = 0x10;

    fn pkts(pcap: &[u8]) -> Vec<Pkt<'_>> {
        records(pcap).iter().map(summarize).collect()
    }

    #[test]
    fn scan_slow_arp_facts() {
        let plan = slow_arp_plan();
        let pcap = gen_vec("scan-slow-arp", 11, None).1;
        let pkts = pkts(&pcap);
        let me = CAMERAS[SLOW_ARP_CAMERA].host.ip;
        let t0 = BASE_TS + SLOW_ARP_START;
        // ARP requests for absent addresses, never answered.
        let absent: Vec<&Pkt> = pkts
            .iter()
            .filter(|p| matches!(p.arp, Some((1, spa, tpa)) if spa == me && scenario::live_host(tpa).is_none()))
            .collect();
        assert_eq!(absent.len(), plan.arps());
        assert!(
            absent
                .iter()
                .all(|p| p.ts >= t0 && p.ts < t0 + SLOW_ARP_DURATION)
        );
        for p in &absent {
            let (_, _, tpa) = p.arp.unwrap();
            assert!(!pkts.iter().any(|q| q.dst == tpa || q.src == tpa));
            assert!(
                !pkts
                    .iter()
                    .any(|q| matches!(q.arp, Some((2, spa, _)) if spa == tpa))
            );
        }
        let syns: Vec<&Pkt> = pkts
            .iter()
            .filter(|p| p.src == me && p.flags & (SYN | ACK) == SYN)
            .collect();
        assert_eq!(syns.len(), plan.syns(Reply::Open) + plan.syns(Reply::Reset));
        assert!(syns.iter().all(|p| SWEEP_PORTS.contains(&p.dport)));
        let synacks = pkts
            .iter()
            .filter(|p| p.dst == me && p.flags & (SYN | ACK) == SYN | ACK)
            .count();
        let resets = pkts
            .iter()
            .filter(|p| p.dst == me && p.flags & RST != 0)
            .count();
        assert_eq!(
            (synacks, resets),
            (plan.syns(Reply::Open), plan.syns(Reply::Reset))
        );
        assert!(plan.syns(Reply::Open) >= 2 && plan.syns(Reply::Reset) >= 2);
        // One probe every 20-60 s.
        let times: Vec<u64> = plan.probes.iter().map(|(t, _)| *t).collect();
        assert!(
            times
                .windows(2)
                .all(|w| (20 * SEC..=60 * SEC).contains(&(w[1] - w[0])))
        );
        assert!(
            (45..=70).contains(&plan.probes.len()),
            "{}",
            plan.probes.len()
        );
        // The recording runs throughout, the scanner's own stream included.
        let last_video = pkts
            .iter()
            .rev()
            .find(|p| p.src == me && p.sport == 554 && p.len > 1_000)
            .unwrap();
        assert!(last_video.ts > BASE_TS + SLOW_ARP_END - 5 * SEC);
    }

    #[test]
    fn worm_internet_facts() {
        let plan = worm_plan();
        let pcap = gen_vec("worm-internet", 11, None).1;
        let pkts = pkts(&pcap);
        let me = CAMERAS[WORM_CAMERA].host.ip;
        // DNS to 8.8.8.8 for the C2 name, then the C2 connection on 23.
        let q = pkts
            .iter()
            .find(|p| p.src == me && p.dst == PUBLIC_RESOLVER && p.dport == 53)
            .unwrap();
        assert!(q.payload.windows(6).any(|w| w == b"\x05kxbot"));
        let c2 = pkts
            .iter()
            .find(|p| p.src == me && p.dst == WORM_C2 && p.flags == SYN)
            .unwrap();
        assert_eq!(c2.dport, 23);
        assert!(q.ts < c2.ts && c2.ts < BASE_TS + WORM_START);
        // Mirai SYNs: no options, seq = destination address.
        let syns: Vec<&Pkt> = pkts
            .iter()
            .filter(|p| {
                p.src == me && p.flags == SYN && p.dst != WORM_C2 && p.ts >= BASE_TS + WORM_START
            })
            .filter(|p| p.payload.is_empty() && p.len == 0)
            .collect();
        let raw: Vec<&&Pkt> = syns
            .iter()
            .filter(|p| p.seq == u32::from_be_bytes(p.dst))
            .collect();
        assert_eq!(raw.len(), WORM_PROBES);
        let dsts: HashSet<[u8; 4]> = raw.iter().map(|p| p.dst).collect();
        assert_eq!(dsts.len(), WORM_PROBES);
        assert!(dsts.iter().all(|d| worm_target(*d)));
        let telnet = raw.iter().filter(|p| p.dport == 23).count();
        assert!(telnet * 10 > WORM_PROBES * 7, "{telnet}");
        let span = raw.last().unwrap().ts - raw[0].ts;
        assert!((540 * SEC..=660 * SEC).contains(&span));
        let resets = pkts
            .iter()
            .filter(|p| p.dst == me && p.flags == RST | ACK && dsts.contains(&p.src))
            .count();
        let synacks = pkts
            .iter()
            .filter(|p| p.dst == me && p.flags == SYN | ACK && dsts.contains(&p.src))
            .count();
        assert_eq!(resets, plan.count(Reply::Reset));
        assert_eq!(synacks, plan.count(Reply::Open) + WORM_BRUTEFORCE);
        assert!(plan.count(Reply::Open) >= WORM_BRUTEFORCE);
        // Brute force: full connections sending the default credentials.
        let creds = pkts
            .iter()
            .filter(|p| p.src == me && p.payload == b"xc3511\r\n")
            .count();
        assert_eq!(creds, WORM_BRUTEFORCE);
    }

    #[test]
    fn flood_facts() {
        let plan = flood_plan();
        let pcap = gen_vec("flood-100k", 11, None).1;
        let pkts = pkts(&pcap);
        let me = CAMERAS[FLOOD_CAMERA].host.ip;
        let syns: Vec<&Pkt> = pkts
            .iter()
            .filter(|p| p.src == me && p.flags == SYN && p.ts >= BASE_TS + FLOOD_START)
            .collect();
        assert_eq!(syns.len(), FLOOD_SYNS);
        let dsts: HashSet<[u8; 4]> = syns.iter().map(|p| p.dst).collect();
        assert_eq!(dsts.len(), FLOOD_SYNS);
        let internal = dsts.iter().filter(|d| d[0] == 10).count();
        assert_eq!(internal, FLOOD_SYNS / FLOOD_INTERNAL_EVERY);
        assert!(
            dsts.iter()
                .filter(|d| d[0] == 10)
                .all(|d| d[1] == 20 && d[2] != 0)
        );
        let rate = FLOOD_SYNS as u64 * SEC / (syns.last().unwrap().ts - syns[0].ts);
        assert!((1_000..=5_000).contains(&rate), "{rate}");
        let answered = pkts
            .iter()
            .filter(|p| p.dst == me && dsts.contains(&p.src))
            .count();
        assert_eq!(answered, plan.count(Reply::Reset) + plan.count(Reply::Open));
        assert!(answered * 20 < FLOOD_SYNS);
    }

    #[test]
    fn ghost_addresses_facts() {
        let pcap = gen_vec("ghost-addresses", 11, None).1;
        let pkts = pkts(&pcap);
        let me = LAPTOP.ip;
        let mut asked: std::collections::HashMap<[u8; 4], usize> = Default::default();
        for p in &pkts {
            if let Some((1, spa, tpa)) = p.arp
                && spa == me
                && tpa != me
            {
                *asked.entry(tpa).or_default() += 1;
            }
        }
        // Every address but the laptop's own (the gateway before the sweep).
        assert_eq!(asked.len(), 253);
        let absent: Vec<[u8; 4]> = asked
            .iter()
            .filter(|(ip, _)| scenario::live_host(**ip).is_none())
            .map(|(ip, n)| {
                assert_eq!(*n, GHOST_ARP_TRIES);
                *ip
            })
            .collect();
        assert_eq!(absent.len(), GHOST_ABSENT);
        // Absent addresses never appear in an IP packet or an ARP reply.
        for ip in &absent {
            assert!(!pkts.iter().any(|p| p.src == *ip || p.dst == *ip));
            assert!(
                !pkts
                    .iter()
                    .any(|p| matches!(p.arp, Some((2, spa, _)) if spa == *ip))
            );
        }
        // Live hosts are probed on 80 and 554; the gateway refuses 554.
        let syns: HashSet<([u8; 4], u16)> = pkts
            .iter()
            .filter(|p| p.src == me && p.flags == SYN && p.dst[..3] == [10, 20, 0])
            .map(|p| (p.dst, p.dport))
            .collect();
        assert_eq!(syns.len(), GHOST_LIVE * GHOST_PORTS.len());
        // The laptop is not a camera: non-camera OUI, Windows TTL.
        assert!(
            pkts.iter()
                .filter(|p| p.src == me)
                .all(|p| p.macs.0 == LAPTOP.mac)
        );
        // The gateway answers its DNS and NTP; the cameras its WS-Discovery.
        let gw = site::GATEWAY.ip;
        assert!(
            pkts.iter()
                .any(|p| p.src == gw && p.dst == me && p.sport == 53)
        );
        assert!(
            pkts.iter()
                .any(|p| p.src == gw && p.dst == me && p.sport == 123)
        );
        let matches = pkts
            .iter()
            .filter(|p| p.dst == me && p.sport == site::WSD_PORT)
            .count();
        assert_eq!(matches, CAMERAS.len());
    }
}
