//! A Mirai-style worm on a camera: target choice, the scan plan, the raw
//! SYN scanner, telnet brute force, the C2 check-in, and the
//! `worm-internet` scenario.

use std::collections::HashSet;
use std::io;

use crate::dns;
use crate::frame::{self, Flags, IpFields, Segment};
use crate::rng::Rng;
use crate::scenario::{self, BASE_TS};
use crate::site::{CAMERAS, Host};
use crate::traffic::{Dir, MS, SEC, SendOpts, Sim};

use super::{Reply, external};

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
pub(super) fn worm_port(sim: &mut Sim) -> u16 {
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
