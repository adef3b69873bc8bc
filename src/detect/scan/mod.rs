//! Scanning: a camera probing the site's hosts or ports, or the Internet.
//!
//! A compromised camera (Mirai and its descendants, or an intruder using it
//! as a foothold) looks for its next victim: it sweeps the subnet for live
//! hosts, tries service ports, walks the segment with ARP, or sprays SYNs
//! at random Internet addresses. A camera's own conversations are few and
//! fixed (recorder, DNS, NTP, perhaps a vendor cloud), so probing stands out
//! after a handful of attempts.
//!
//! Only hosts the inventory holds as cameras are judged (never recorders,
//! workstations or other hosts). Scanning is never learned: cameras are
//! judged during their learning period too. While a camera learns, the
//! engine adds every destination it starts a flow to to the baseline before
//! the detectors see the flow, so "not allowed" never applies then; what the
//! destinations answer still does (refused, unreachable, unanswered, an
//! unanswered ARP request), and so do the window counts. A camera
//! compromised before the capture starts is thus caught in its first hour.
//!
//! Rules 1 to 6 count flows a camera starts to addresses inside the site
//! (`[site] internal`) and its ARP requests; multicast, broadcast (by
//! address or by destination MAC) and ICMP error messages are not probes.
//! Rule 7 counts TCP flows a camera opens to addresses outside the site;
//! the egress detector also alerts on each one the policy does not allow.
//! A flow first seen mid-stream (the connection ran before the capture
//! started) tells who the camera knows but is not a probe
//! (`is_probe_start`).
//!
//! # Rules
//!
//! 1. `CAMSENTRY-SCAN-1`, Threshold Random Walk (TRW; Jung, Paxson, Berger,
//!    Balakrishnan, "Fast Portscan Detection Using Sequential Hypothesis
//!    Testing", IEEE S&P 2004). A *first contact* is the first flow a camera
//!    starts to an internal host it has not talked to before (the last 4096
//!    hosts per camera are remembered, including hosts that started a flow to
//!    the camera), or an ARP request for such an address that nothing
//!    answers (see below). Its outcome is a *success* when the host is an
//!    allowed peer ([`Context::peer_class`]: recorder, DNS/NTP/DHCP, a policy
//!    rule, the learned baseline) and answered; a *failure* when it is not an
//!    allowed peer (known at once, answered or not: the camera has no
//!    business there), or when an allowed peer refused it (TCP RST without
//!    SYN-ACK), an ICMP unreachable came back, nothing answered, or the ARP
//!    request went unanswered. Each outcome multiplies the likelihood ratio
//!    by `theta1 / theta0` (success) or `(1 - theta1) / (1 - theta0)`
//!    (failure). At `eta1 = beta / alpha` or above the camera is scanning:
//!    alert, and the walk starts over; at `eta0 = (1 - beta) / (1 - alpha)`
//!    or below it is benign and the walk starts over. With the defaults
//!    (theta0 0.8, theta1 0.2, alpha 0.01, beta 0.99) a failure multiplies
//!    by 4, a success by 1/4 and eta1 = 99: four failed first contacts in a
//!    row alarm (4^4 = 256), three do not (64). A walk with no first contact
//!    for the long window (1 h) starts over, so a few failures spread over
//!    days never add up to an alarm.
//! 2. `CAMSENTRY-SCAN-2`: distinct internal hosts a camera started flows to
//!    within `distinct_hosts` (default 20 per 1 min), whatever the answers.
//! 3. `CAMSENTRY-SCAN-3`: the same over `distinct_hosts_long` (default 50
//!    per 1 h): slow scans that stay under the short window. Not raised when
//!    rule 2 reported the camera within the re-alert interval, since a fast
//!    scan fills both windows.
//! 4. `CAMSENTRY-SCAN-4`: distinct ports (TCP, UDP, SCTP) of one internal
//!    host within `distinct_ports` (default 20 per 1 min): a vertical scan,
//!    which TRW sees as a single first contact. UDP probes count whether an
//!    ICMP port unreachable, an answer or nothing came back.
//! 5. `CAMSENTRY-SCAN-5`: distinct addresses a camera asked for with ARP
//!    requests within `arp_sweep` (default 16 per 1 min): host discovery
//!    that sends no IP packet at all. Gratuitous ARP and RFC 5227 probes
//!    (sender 0.0.0.0, or asking for its own address) are not counted.
//! 6. `CAMSENTRY-SCAN-6`: distinct internal hosts whose first contact
//!    *failed* (refused, unreachable, unanswered, or an unanswered ARP
//!    request; not "not allowed", so the rule means the same with a policy,
//!    a baseline or while learning), within each `failed_contacts` window
//!    (default 8 per 1 h and 20 per 24 h): a slow sweep, one probe every
//!    20-60 s or slower, that the walk may miss when successes interleave
//!    and that never fills rules 2, 3 or 5. Not raised when rule 2 or 5
//!    reported the camera within the re-alert interval.
//! 7. `CAMSENTRY-SCAN-7` (action `internet-scan`): distinct Internet
//!    addresses whose first TCP probe (a SYN) from the camera got no answer
//!    (refused, ICMP unreachable, silent, or still waiting), within
//!    `internet_scan` (default 10 per 10 min): a worm such as Mirai spraying
//!    SYNs at random addresses on 23, 2323, 80, 8080, 5555, 7547, 37215,
//!    52869 or any mix. A probe leaves the count the moment its SYN-ACK
//!    arrives, so answered peers never add up, while a fast worm crosses the
//!    threshold on its tenth unanswered probe without waiting for time-outs.
//!    UDP does not count (P2P cameras talk to many relays).
//!
//! There is no rule counting ICMP port-unreachable errors: hosts rate-limit
//! them (Linux sends a burst of 6, then one per second), so they say little
//! about how many probes were sent. Rule 4 counts the probes themselves; the
//! errors are failures for rules 1 and 6 and evidence for rule 4.
//!
//! # Failed ARP requests
//!
//! A host sends an IP packet to an address of its own segment only once ARP
//! has resolved it, so a probe of an address without a host never leaves as
//! IP: the kernel asks three times, a second apart, and gives up. An ARP
//! request from a camera for an address it never talked to, with no ARP
//! packet from that address and no flow between the two within
//! [`ANSWER_WAIT`], is therefore a failed first contact (kind
//! `arp_unanswered`) for rules 1 and 6, and the address is remembered as
//! contacted: asking again is no new contact. An answered request is no
//! contact at all; the flow that follows is the one judged.
//!
//! # Thresholds of rules 6 and 7
//!
//! Rule 6 counts distinct failed targets, and a failed target is remembered,
//! so a healthy camera's count is bounded by the number of peers it is
//! configured for that are dead or refuse it: a dead NTP, syslog or FTP
//! server retried forever is one target, an ARP refresh of the gateway or
//! the recorder is answered, a rebooting camera asks for hosts it already
//! knows, and a new camera's RFC 5227 probes and gratuitous ARP are not
//! requests for other hosts. A camera has a handful of configured peers
//! (NTP, DNS, syslog, SMTP, FTP, a recorder), so even all of them dead at
//! once, or an ARP refresh whose reply the mirror does not carry, stays
//! below 8 in an hour, while a sweep at one probe a minute whose probes
//! mostly hit addresses without a host reaches 8 within about 9 minutes
//! (sooner when faster). The 24-hour threshold of 20 catches sweeps slower
//! than 8 an hour (one probe every 10 minutes reaches it in 3 h 20 min)
//! with a margin well above anything the configured peers can produce.
//!
//! Rule 7: a camera's TCP peers on the Internet answer (a vendor cloud, a
//! CDN, an update server), a dead one retried is one address, and its UDP
//! (NTP pools, P2P relays) does not count, so 10 silent or refusing
//! addresses in 10 minutes take a cloud outage with a camera rotating
//! through many addresses of a load-balanced name, or a mirror port that
//! carries only one direction. A worm probing random addresses, of which
//! well under half answer, reaches it within 10 to 20 probes.
//!
//! # Timing
//!
//! All times are packet times. A first contact to a host nothing allows is
//! a failure for the walk the moment it is seen. Otherwise an outcome waits
//! for the first answer, an ICMP error quoting it, the flow's end, or
//! [`ANSWER_WAIT`] (5 s) of packet time without an answer, whichever comes
//! first (an ARP request: for an ARP packet or a flow from the address, or
//! the wait). Outcomes are applied in input order as they become known, so
//! a slow one never holds back later ones. A UDP flow that nothing answers
//! is a success: many UDP peers never answer (RTP to the recorder, syslog,
//! SNMP traps). Rule 7 counts a probe from its SYN on and needs no wait.
//!
//! Each rule alerts at most once per camera per re-alert interval (the long
//! window, 1 h by default). An alert's `evidence_ts` is the packet time of
//! the first contact or probe whose outcome crossed the threshold and its
//! `ts` the packet time at which that outcome was known: the reported delay
//! is zero for probes of hosts nothing allows and for rule 7, and otherwise
//! the time until the answer, the ICMP error, or the first packet after the
//! answer wait.
//!
//! # Evidence
//!
//! `camsentry.evidence` always has a `reason` sentence, and per rule:
//! - rule 1: `first_contacts`, `failures`, `successes` of the walk, the
//!   failures by kind (`not_allowed`, `refused`, `unreachable`,
//!   `unanswered`, `arp_unanswered`), `likelihood_ratio` and `threshold`
//!   (eta1), the failed `targets` and their `ports`, and `span_s` from the
//!   walk's first contact to the crossing one; the alert names the crossing
//!   flow (ports, transport, Community ID), or only its address for an ARP
//!   request;
//! - rules 2 and 3: `distinct_hosts`, `threshold`, `window_s`, `span_s`,
//!   `targets` and `ports`/`transports` in the window, and how many
//!   `first_contacts` the camera made within the window and how many of
//!   them were `failures`;
//! - rule 4: `target` (also the alert's destination), `distinct_ports`,
//!   `threshold`, `window_s`, `span_s`, `ports`, `transports`, and how many
//!   of those ports an ICMP error came back for (`unreachable`);
//! - rule 5: `distinct_targets`, `threshold`, `window_s`, `span_s`,
//!   `targets`, how many `answered` and the `failures` (no reply);
//! - rule 6: `failed_targets`, `threshold`, `window_s` (the window that
//!   crossed), `span_s`, the failures by kind (`refused`, `unreachable`,
//!   `unanswered`, `arp_unanswered`), `targets` and the `ports` tried;
//! - rule 7: `distinct_destinations` (answered ones included),
//!   `not_answered` (the count compared with the `threshold`), `window_s`,
//!   `span_s`, the destinations by outcome (`answered`, `refused`,
//!   `unreachable`, `unanswered` after the answer wait, `pending`),
//!   `answer_ratio`, `top_ports` (up to 10 `{port, count}`, most probed
//!   first) and `targets` in probe order; the alert names the crossing
//!   probe's flow.
//!
//! Lists hold at most 32 entries (addresses and ports sorted, except the
//! walk's and rule 7's targets, which are in contact order).
//! `memory_capped` appears when a bound below was hit for the camera.
//!
//! # Memory
//!
//! Everything is bounded per camera (hosts remembered, window entries,
//! hosts whose ports are counted, first contacts and ARP requests waiting
//! for an outcome, failed targets, Internet addresses) and so is the
//! number of cameras tracked; the waiting first contacts, ARP requests and
//! Internet addresses are bounded in all too. A full window still counts
//! what it cannot store, so a large scan cannot hide by overflowing it; a
//! full first-contact memory forgets its oldest host. Every time a bound
//! drops something it is counted per camera (`memory_capped`,
//! [`Scan::counters`]). Output order never depends on hash order.
//!
//! # What it cannot see
//!
//! - UDP scans of the Internet, and TCP ones slower than 10 unanswered
//!   addresses in 10 minutes (the egress detector still reports each
//!   destination the policy does not allow).
//! - LAN scans slower than every window and with gaps of more than an hour
//!   between first contacts, and probes of hosts that all answer: a camera
//!   allowed a whole subnet (or learning) can sweep its live hosts unseen
//!   unless it reaches 20 hosts in a minute, 50 in an hour, or 20 ports on
//!   one host.
//! - Probes sent from a port below 1024 to a port at or above 1024: they
//!   are taken for replies of the camera's own services whose request was
//!   not seen (at capture start, after a flow timed out).
//! - IPv6 neighbour-discovery sweeps (solicitations go to multicast
//!   addresses) and anything the mirror port does not carry.
//! - A host not (yet) identified as a camera: see `camera::inventory`.

mod arp;
mod camera;
mod evidence;
mod failed;
mod internet;
mod lan;
mod rules;
mod walk;

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

use super::window::DistinctWindow;
use super::{Context, Detector};
use crate::alert::{Alert, Category};
use crate::config::policy::ScanSettings;
use crate::net::IpProto;
use crate::observation::{FirstAnswer, FlowEnd, FlowId, Observation, Unreachable};
use crate::timestamp::{NANOS_PER_SEC, Nanos, Timestamp};
use arp::ArpPending;
use failed::FailedTargets;
use internet::{InternetProbes, Reply};
use lan::HostPorts;
use walk::{Answer, Pending, Walk};

use camera::CameraState;
use evidence::{insert_capped, ip_list, port_lists, round3, secs};
use rules::{ARP, FAILED, HOSTS, INTERNET, PORTS, SLOW, TRW};
pub use rules::{
    RULE_ARP, RULE_FAILED, RULE_HOSTS, RULE_INTERNET, RULE_PORTS, RULE_SLOW, RULE_TRW, RULES,
};

/// How long a first contact (or an ARP request) waits for an answer. A LAN
/// host answers within milliseconds, an Internet host within a second; 5 s
/// also covers the first two TCP SYN retransmissions (1 s and 3 s after the
/// first SYN) and the kernel's three ARP requests one second apart.
pub const ANSWER_WAIT: Nanos = 5 * NANOS_PER_SEC;

/// Cameras tracked at most (more are counted, not judged).
const MAX_CAMERAS: usize = 16_384;
/// Hosts a camera is remembered to have talked to.
const MAX_CONTACTED: usize = 4096;
/// Entries of one distinct-count window.
const MAX_WINDOW_KEYS: usize = 4096;
/// Distinct ports kept per camera over a window, for evidence.
const MAX_WINDOW_PORTS: usize = 1024;
/// Hosts whose ports are counted per camera; the least recent is dropped.
const MAX_PORT_HOSTS: usize = 64;
/// Ports counted per host.
const MAX_PORTS_PER_HOST: usize = 512;
/// First contacts waiting for their outcome, per camera and in all.
const MAX_PENDING_PER_CAMERA: usize = 256;
const MAX_PENDING: usize = 65_536;
/// ARP requests waiting for a reply, per camera and in all.
const MAX_ARP_PENDING_PER_CAMERA: usize = 256;
const MAX_ARP_PENDING: usize = 65_536;
/// Failed targets stored per camera in each failed-contact window.
const MAX_FAILED_TARGETS: usize = 1024;
/// Internet addresses stored per camera, and in all, over the
/// internet-scan window.
const MAX_INTERNET_TARGETS: usize = 1024;
const MAX_INTERNET_STORED: usize = 65_536;
/// Resolved first contacts kept for window evidence, per camera.
const MAX_OUTCOMES: usize = 4096;
/// Addresses and ports listed in evidence.
const SAMPLE: usize = 32;
/// Slack when comparing log likelihood ratios with the thresholds, so that
/// a ratio landing exactly on eta1 (say 4^3 = 64 with beta/alpha = 64) is
/// not missed by a rounding error.
const EPSILON: f64 = 1e-9;

/// Ports mean something for TCP, UDP and SCTP only.
fn has_ports(proto: u8) -> bool {
    IpProto(proto).has_ports()
}

/// A flow from a privileged port to an unprivileged one is the camera's own
/// service answering a client whose request the sensor did not see (capture
/// started mid-conversation, or the flow timed out and resumed): not a probe.
fn looks_like_reply(proto: u8, src_port: u16, dst_port: u16) -> bool {
    has_ports(proto) && src_port < 1024 && dst_port >= 1024
}

/// Multicast or broadcast by destination MAC (subnet-directed broadcasts
/// such as 10.20.0.255 are only recognisable this way).
fn is_group_mac(mac: [u8; 6]) -> bool {
    mac != [0; 6] && mac[0] & 1 != 0
}

/// Sizes of the detector's state and how often its bounds were hit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanCounters {
    /// Cameras tracked.
    pub cameras: usize,
    /// Cameras not judged because the most tracked were.
    pub untracked_cameras: u64,
    /// First contacts waiting for their outcome.
    pub pending: usize,
    /// ARP requests waiting for a reply.
    pub arp_pending: usize,
    /// Internet addresses stored over the internet-scan window.
    pub internet_targets: usize,
    /// Times a bound dropped something, summed over the cameras.
    pub capped: u64,
}

/// The scan detector: see the module documentation.
pub struct Scan {
    settings: ScanSettings,
    log_success: f64,
    log_failure: f64,
    log_eta1: f64,
    log_eta0: f64,
    realert: Nanos,
    /// Boxed: the state is about a kilobyte, and a tree node holds eleven
    /// entries in place, so unboxed every split and half-empty node moved
    /// and kept kilobytes for nothing.
    cameras: BTreeMap<IpAddr, Box<CameraState>>,
    /// First contacts waiting for their outcome, by (camera, destination):
    /// a camera has one first contact per host.
    pending: BTreeMap<(IpAddr, IpAddr), Pending>,
    /// When each pending contact stops waiting, in input order.
    deadlines: VecDeque<(Timestamp, IpAddr, IpAddr, FlowId)>,
    /// ARP requests for addresses the camera never talked to, waiting for
    /// a reply, by (camera, address).
    arp_pending: BTreeMap<(IpAddr, IpAddr), ArpPending>,
    /// When each waiting ARP request fails, in input order, with the
    /// request's time.
    arp_deadlines: VecDeque<(Timestamp, IpAddr, IpAddr, Timestamp)>,
    /// Internet addresses stored by every camera's [`InternetProbes`], in
    /// probe order: (probe time, camera, address).
    internet_order: VecDeque<(Timestamp, IpAddr, IpAddr)>,
    /// Latest packet time seen.
    now: Timestamp,
    /// Cameras not judged because [`MAX_CAMERAS`] were tracked.
    untracked_cameras: u64,
}

fn nanos(duration: std::time::Duration) -> Nanos {
    duration.as_nanos().min(u128::from(u64::MAX)) as u64
}

impl Scan {
    pub fn new(settings: &ScanSettings) -> Scan {
        Scan {
            settings: settings.clone(),
            log_success: (settings.theta1 / settings.theta0).ln(),
            log_failure: ((1.0 - settings.theta1) / (1.0 - settings.theta0)).ln(),
            log_eta1: settings.upper_threshold().ln(),
            log_eta0: settings.lower_threshold().ln(),
            realert: nanos(settings.distinct_hosts_long.window()),
            cameras: BTreeMap::new(),
            pending: BTreeMap::new(),
            deadlines: VecDeque::new(),
            arp_pending: BTreeMap::new(),
            arp_deadlines: VecDeque::new(),
            internet_order: VecDeque::new(),
            now: Timestamp::ZERO,
            untracked_cameras: 0,
        }
    }

    /// Cameras that were not judged because too many were tracked.
    pub fn untracked_cameras(&self) -> u64 {
        self.untracked_cameras
    }

    /// Sizes of the state and bound hits.
    pub fn counters(&self) -> ScanCounters {
        ScanCounters {
            cameras: self.cameras.len(),
            untracked_cameras: self.untracked_cameras,
            pending: self.pending.len(),
            arp_pending: self.arp_pending.len(),
            internet_targets: self.internet_order.len(),
            capped: self.cameras.values().map(|c| c.capped()).sum(),
        }
    }

    fn camera_mut(&mut self, camera: IpAddr) -> Option<&mut CameraState> {
        if !self.cameras.contains_key(&camera) && self.cameras.len() >= MAX_CAMERAS {
            self.untracked_cameras += 1;
            return None;
        }
        let windows = self.settings.failed_contacts.len();
        Some(
            self.cameras
                .entry(camera)
                .or_insert_with(|| Box::new(CameraState::new(windows))),
        )
    }

    /// Settles every first contact and ARP request whose wait is over (all
    /// of them at the end of input), the earliest deadline first.
    fn expire_waits(&mut self, context: &Context<'_>, all: bool, alerts: &mut Vec<Alert>) {
        let now = self.now;
        let due = |deadline: Timestamp| all || deadline <= now;
        loop {
            let flow = self.deadlines.front().map(|d| d.0).filter(|d| due(*d));
            let arp = self.arp_deadlines.front().map(|d| d.0).filter(|d| due(*d));
            match (flow, arp) {
                (Some(f), a) if a.is_none_or(|a| f <= a) => {
                    self.expire_one_pending(context, alerts)
                }
                (_, Some(_)) => self.expire_one_arp(context, alerts),
                _ => break,
            }
        }
    }
}

impl Detector for Scan {
    fn category(&self) -> Category {
        Category::Scan
    }

    fn observe(
        &mut self,
        context: &Context<'_>,
        observation: &Observation,
        alerts: &mut Vec<Alert>,
    ) {
        self.now = self.now.max(observation.ts());
        self.expire_waits(context, false, alerts);
        match observation {
            // ICMP errors (one-way messages) report on other flows; they
            // probe nothing.
            Observation::FlowStart(start) if !start.icmp_one_way => {
                self.flow_start(context, start, alerts);
            }
            Observation::FirstAnswer(FirstAnswer { id, refused, .. }) => {
                let (answer, reply) = if *refused {
                    (Answer::Refused, Reply::Refused)
                } else {
                    (Answer::Answered, Reply::Answered)
                };
                let (lo, hi) = (id.key.addr_lo, id.key.addr_hi);
                if !self.resolve_if(context, (lo, hi), |p| p.id == *id, answer, alerts) {
                    self.resolve_if(context, (hi, lo), |p| p.id == *id, answer, alerts);
                }
                self.internet_reply(*id, reply);
            }
            Observation::FlowEnd(FlowEnd { flow, .. }) => {
                let id = FlowId {
                    key: flow.key,
                    first_seq: flow.first_seq,
                };
                // Answered flows were resolved by their first answer, which
                // always comes first; this catches the rest.
                let answer = if flow.answered() {
                    Answer::Answered
                } else {
                    Answer::Unanswered
                };
                let key = (flow.initiator().0, flow.responder().0);
                self.resolve_if(context, key, |p| p.id == id, answer, alerts);
            }
            Observation::Unreachable(Unreachable {
                ts,
                src,
                dst,
                dst_port,
                proto,
                ..
            }) => {
                let (ts, key, port, proto) = (*ts, (*src, *dst), *dst_port, *proto);
                let window = nanos(self.settings.distinct_ports.window());
                if has_ports(proto)
                    && let Some(state) = self.cameras.get_mut(src)
                    && let Some(host) = state.ports.get_mut(dst)
                {
                    host.unreachable.expire(ts, window, |_| {});
                    host.unreachable.insert((proto, port), ts);
                }
                self.resolve_if(
                    context,
                    key,
                    |p| p.proto == proto && (p.port == port || !has_ports(proto)),
                    Answer::Unreachable,
                    alerts,
                );
                self.internet_unreachable(*src, *dst, port, proto);
            }
            Observation::Arp(arp) => self.arp(context, arp, alerts),
            _ => {}
        }
    }

    fn finish(&mut self, context: &Context<'_>, now: Timestamp, alerts: &mut Vec<Alert>) {
        self.now = self.now.max(now);
        // Whatever still waits at the end of input was never answered.
        self.expire_waits(context, true, alerts);
        let rest: Vec<(IpAddr, IpAddr)> = self.pending.keys().copied().collect();
        for key in rest {
            self.resolve_if(context, key, |_| true, Answer::Unanswered, alerts);
        }
    }
}

#[cfg(test)]
mod tests;
