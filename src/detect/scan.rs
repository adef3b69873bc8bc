//! LAN scanning: a camera probing the site's hosts or ports.
//!
//! A compromised camera (Mirai and its descendants, or an intruder using it
//! as a foothold) looks for its next victim: it sweeps the subnet for live
//! hosts, tries service ports, or walks the segment with ARP. A camera's own
//! conversations are few and fixed (recorder, DNS, NTP, perhaps a vendor
//! cloud), so probing stands out after a handful of attempts.
//!
//! Only hosts the inventory holds as cameras are judged (never recorders,
//! workstations or other hosts), and not during their learning period. Only
//! flows a camera starts to addresses inside the site (`[site] internal`)
//! count; multicast, broadcast (by address or by destination MAC) and ICMP
//! error messages are not probes. External destinations are the egress
//! detector's: every one the policy does not allow is already an alert there.
//!
//! # Rules
//!
//! 1. `CAMSENTRY-SCAN-1`, Threshold Random Walk (TRW; Jung, Paxson, Berger,
//!    Balakrishnan, "Fast Portscan Detection Using Sequential Hypothesis
//!    Testing", IEEE S&P 2004). A *first contact* is the first flow a camera
//!    starts to an internal host it has not talked to before (the last 4096
//!    hosts per camera are remembered, including hosts that started a flow to
//!    the camera). Its outcome is a *success* when the host is an allowed
//!    peer ([`Context::peer_class`]: recorder, DNS/NTP/DHCP, a policy rule,
//!    the learned baseline) and answered; a *failure* when it is not an
//!    allowed peer (known at once, answered or not: the camera has no
//!    business there), or when an allowed peer refused it (TCP RST without
//!    SYN-ACK), an ICMP unreachable came back, or nothing answered. Each
//!    outcome multiplies the likelihood ratio by `theta1 / theta0` (success)
//!    or `(1 - theta1) / (1 - theta0)` (failure). At `eta1 = beta / alpha` or
//!    above the camera is scanning: alert, and the walk starts over; at
//!    `eta0 = (1 - beta) / (1 - alpha)` or below it is benign and the walk
//!    starts over. With the defaults (theta0 0.8, theta1 0.2, alpha 0.01,
//!    beta 0.99) a failure multiplies by 4, a success by 1/4 and eta1 = 99:
//!    four failed first contacts in a row alarm (4^4 = 256), three do not
//!    (64). A walk with no first contact for the long window (1 h) starts
//!    over, so a few failures spread over days never add up to an alarm.
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
//!
//! There is no rule counting ICMP port-unreachable errors: hosts rate-limit
//! them (Linux sends a burst of 6, then one per second), so they say little
//! about how many probes were sent. Rule 4 counts the probes themselves; the
//! errors are failures for rule 1 and evidence for rule 4.
//!
//! # Timing
//!
//! All times are packet times. A first contact to a host nothing allows is
//! a failure the moment it is seen. One to an allowed peer waits for its
//! outcome: the first answer, an ICMP error quoting it, the flow's end, or
//! [`ANSWER_WAIT`] (5 s) of packet time without an answer, whichever comes
//! first. Outcomes are applied in input order as they become known, so a
//! slow one never holds back later ones. A UDP flow to an allowed peer that
//! nothing answers is a success: many UDP peers never answer (RTP to the
//! recorder, syslog, SNMP traps).
//!
//! Each rule alerts at most once per camera per re-alert interval (the long
//! window, 1 h by default). An alert's `evidence_ts` is the packet time of
//! the first contact or probe whose outcome crossed the threshold and its
//! `ts` the packet time at which that outcome was known: the reported delay
//! is zero for probes of hosts nothing allows, and otherwise the time until
//! the answer, the ICMP error, or the first packet after the answer wait.
//!
//! # Evidence
//!
//! `camsentry.evidence` always has a `reason` sentence, and per rule:
//! - rule 1: `first_contacts`, `failures`, `successes` of the walk, the
//!   failures by kind (`not_allowed`, `refused`, `unreachable`,
//!   `unanswered`), `likelihood_ratio` and `threshold` (eta1), the failed
//!   `targets` and their `ports`, and `span_s` from the walk's first contact
//!   to the crossing one;
//! - rules 2 and 3: `distinct_hosts`, `threshold`, `window_s`, `span_s`,
//!   `targets` and `ports`/`transports` in the window, and how many
//!   `first_contacts` the camera made within the window and how many of
//!   them were `failures`;
//! - rule 4: `target` (also the alert's destination), `distinct_ports`,
//!   `threshold`, `window_s`, `span_s`, `ports`, `transports`, and how many
//!   of those ports an ICMP error came back for (`unreachable`);
//! - rule 5: `distinct_targets`, `threshold`, `window_s`, `span_s`,
//!   `targets`, how many `answered` and the `failures` (no reply).
//!
//! Lists hold at most 32 entries (addresses and ports sorted, except the
//! walk's targets, which are in contact order). `memory_capped` appears when
//! a bound below was hit for the camera.
//!
//! # Memory
//!
//! Everything is bounded per camera (hosts remembered, window entries,
//! hosts whose ports are counted, pending outcomes) and so is the number of
//! cameras tracked. A full window still counts what it cannot store, so a
//! large scan cannot hide by overflowing it; a full first-contact memory
//! forgets its oldest host. Output order never depends on hash order.
//!
//! # What it cannot see
//!
//! - Scans of external addresses (egress alerts, one per destination).
//! - Scans slower than both windows and with gaps of more than an hour
//!   between first contacts.
//! - Probes of hosts the policy or baseline allows that all answer (a
//!   camera allowed a whole subnet can sweep it unseen unless it reaches 20
//!   hosts in a minute or 20 ports on one host).
//! - Probes sent from a port below 1024 to a port at or above 1024: they
//!   are taken for replies of the camera's own services whose request was
//!   not seen (at capture start, after a flow timed out).
//! - IPv6 neighbour-discovery sweeps (solicitations go to multicast
//!   addresses) and anything the mirror port does not carry.
//! - A host not (yet) identified as a camera: see `camera::inventory`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::IpAddr;

use serde_json::{Map, Value, json};

use super::{Context, Detector, is_local_scope};
use crate::alert::{Alert, Category, Rule};
use crate::config::policy::ScanSettings;
use crate::flow::record::transport_name;
use crate::observation::{FlowId, Observation};
use crate::timestamp::{NANOS_PER_SEC, Nanos, Timestamp};

/// Threshold random walk over first-contact outcomes.
pub const RULE_TRW: Rule = Rule {
    id: "CAMSENTRY-SCAN-1",
    signature_id: 9_100_101,
    name: "Camera's first contacts to LAN hosts fail like a scanner's",
    category: Category::Scan,
    action: "lan-scan",
    severity: 1,
};

/// Distinct hosts within the short window.
pub const RULE_HOSTS: Rule = Rule {
    id: "CAMSENTRY-SCAN-2",
    signature_id: 9_100_102,
    name: "Camera contacted many LAN hosts within a short window",
    category: Category::Scan,
    action: "lan-scan",
    severity: 1,
};

/// Distinct hosts within the long window.
pub const RULE_SLOW: Rule = Rule {
    id: "CAMSENTRY-SCAN-3",
    signature_id: 9_100_103,
    name: "Camera contacted many LAN hosts within a long window (slow scan)",
    category: Category::Scan,
    action: "lan-scan",
    severity: 2,
};

/// Distinct ports of one host within the short window.
pub const RULE_PORTS: Rule = Rule {
    id: "CAMSENTRY-SCAN-4",
    signature_id: 9_100_104,
    name: "Camera probed many ports of one LAN host",
    category: Category::Scan,
    action: "port-scan",
    severity: 1,
};

/// Distinct ARP targets within the window.
pub const RULE_ARP: Rule = Rule {
    id: "CAMSENTRY-SCAN-5",
    signature_id: 9_100_105,
    name: "Camera swept the LAN with ARP requests",
    category: Category::Scan,
    action: "arp-sweep",
    severity: 2,
};

/// Every rule of the detector, indexed as `last_alert` is.
pub const RULES: [Rule; 5] = [RULE_TRW, RULE_HOSTS, RULE_SLOW, RULE_PORTS, RULE_ARP];

const TRW: usize = 0;
const HOSTS: usize = 1;
const SLOW: usize = 2;
const PORTS: usize = 3;
const ARP: usize = 4;

/// How long a first contact to an allowed peer waits for an answer. A LAN
/// host answers within milliseconds; 5 s also covers the first two TCP SYN
/// retransmissions (1 s and 3 s after the first SYN).
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
/// Resolved first contacts kept for window evidence, per camera.
const MAX_OUTCOMES: usize = 4096;
/// Addresses and ports listed in evidence.
const SAMPLE: usize = 32;
/// Slack when comparing log likelihood ratios with the thresholds, so that
/// a ratio landing exactly on eta1 (say 4^3 = 64 with beta/alpha = 64) is
/// not missed by a rounding error.
const EPSILON: f64 = 1e-9;

/// Distinct keys that entered within a sliding window of packet time.
///
/// A key stays from the time it entered until a window later, then
/// re-enters on its next sighting. When full, further keys are counted but
/// not stored (a repeated one counts again), and that count is dropped one
/// window after the last of them.
#[derive(Debug)]
struct DistinctWindow<K> {
    entered: BTreeMap<K, Timestamp>,
    order: VecDeque<(Timestamp, K)>,
    cap: usize,
    overflow: u64,
    overflow_last: Timestamp,
}

impl<K: Ord + Copy> DistinctWindow<K> {
    fn new(cap: usize) -> Self {
        DistinctWindow {
            entered: BTreeMap::new(),
            order: VecDeque::new(),
            cap,
            overflow: 0,
            overflow_last: Timestamp::ZERO,
        }
    }

    /// Drops keys that entered more than `window` before `now`, passing
    /// each to `removed`.
    fn expire(&mut self, now: Timestamp, window: Nanos, mut removed: impl FnMut(K)) {
        while let Some(&(ts, key)) = self.order.front() {
            if now.since(ts) <= window {
                break;
            }
            self.order.pop_front();
            self.entered.remove(&key);
            removed(key);
        }
        if self.overflow > 0 && now.since(self.overflow_last) > window {
            self.overflow = 0;
        }
    }

    /// Adds `key` seen at `ts`; true when it was not in the window.
    fn insert(&mut self, key: K, ts: Timestamp) -> bool {
        if self.entered.contains_key(&key) {
            return false;
        }
        if self.entered.len() >= self.cap {
            self.overflow += 1;
            self.overflow_last = ts;
            return true;
        }
        self.entered.insert(key, ts);
        self.order.push_back((ts, key));
        true
    }

    fn contains(&self, key: &K) -> bool {
        self.entered.contains_key(key)
    }

    fn count(&self) -> u64 {
        self.entered.len() as u64 + self.overflow
    }

    /// Packet time the oldest stored key entered.
    fn oldest(&self) -> Option<Timestamp> {
        self.entered.values().min().copied()
    }

    /// Stored keys in order.
    fn keys(&self) -> impl Iterator<Item = &K> {
        self.entered.keys()
    }
}

/// What became of a first contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Success,
    /// The destination is not an allowed peer (whatever it answered).
    NotAllowed,
    /// TCP RST without SYN-ACK.
    Refused,
    /// An ICMP destination unreachable quoted the probe.
    Unreachable,
    /// Nothing answered within the wait or before the flow ended.
    Unanswered,
}

/// Failure kinds in evidence order.
const FAILURE_KINDS: [(Outcome, &str); 4] = [
    (Outcome::NotAllowed, "not_allowed"),
    (Outcome::Refused, "refused"),
    (Outcome::Unreachable, "unreachable"),
    (Outcome::Unanswered, "unanswered"),
];

/// What was seen of a first contact to an allowed peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Answered,
    Refused,
    Unreachable,
    Unanswered,
}

/// A first contact to an allowed peer waiting for its outcome.
#[derive(Debug, Clone, Copy)]
struct Pending {
    id: FlowId,
    src_port: u16,
    port: u16,
    proto: u8,
    ts: Timestamp,
    vlan: u16,
}

/// One camera's threshold random walk since it last started over.
#[derive(Debug, Default, Clone)]
struct Walk {
    /// Natural logarithm of the likelihood ratio (0: ratio 1).
    log_ratio: f64,
    /// Packet time of the walk's first and latest first contact.
    started: Option<Timestamp>,
    last: Timestamp,
    successes: u32,
    failures: u32,
    /// Failures per kind, in [`FAILURE_KINDS`] order.
    kinds: [u32; 4],
    /// Failed targets and ports, the first [`SAMPLE`], in outcome order.
    targets: Vec<IpAddr>,
    ports: BTreeSet<u16>,
}

/// Ports probed on one host.
#[derive(Debug)]
struct HostPorts {
    ports: DistinctWindow<(u8, u16)>,
    /// Ports an ICMP unreachable was received for.
    unreachable: DistinctWindow<(u8, u16)>,
    last: Timestamp,
}

impl HostPorts {
    fn new() -> HostPorts {
        HostPorts {
            ports: DistinctWindow::new(MAX_PORTS_PER_HOST),
            unreachable: DistinctWindow::new(MAX_PORTS_PER_HOST),
            last: Timestamp::ZERO,
        }
    }
}

#[derive(Debug)]
struct CameraState {
    /// Hosts the camera talked to (first-contact memory), oldest first in
    /// `contacted_order`.
    contacted: BTreeSet<IpAddr>,
    contacted_order: VecDeque<IpAddr>,
    walk: Walk,
    /// Resolved first contacts (contact time, failed), for window evidence.
    outcomes: VecDeque<(Timestamp, bool)>,
    hosts_short: DistinctWindow<IpAddr>,
    hosts_long: DistinctWindow<IpAddr>,
    /// Destination ports (proto, port) over each host window, for evidence.
    ports_short: DistinctWindow<(u8, u16)>,
    ports_long: DistinctWindow<(u8, u16)>,
    ports: BTreeMap<IpAddr, HostPorts>,
    arp: DistinctWindow<IpAddr>,
    /// ARP targets in `arp` that answered.
    arp_replied: BTreeSet<IpAddr>,
    /// First contacts of this camera in `Scan::pending`.
    pending: usize,
    /// Times a memory bound was hit (forgotten hosts, first contacts judged
    /// without waiting room, hosts whose ports were dropped).
    capped: u64,
    last_alert: [Option<Timestamp>; 5],
}

impl CameraState {
    fn new() -> CameraState {
        CameraState {
            contacted: BTreeSet::new(),
            contacted_order: VecDeque::new(),
            walk: Walk::default(),
            outcomes: VecDeque::new(),
            hosts_short: DistinctWindow::new(MAX_WINDOW_KEYS),
            hosts_long: DistinctWindow::new(MAX_WINDOW_KEYS),
            ports_short: DistinctWindow::new(MAX_WINDOW_PORTS),
            ports_long: DistinctWindow::new(MAX_WINDOW_PORTS),
            ports: BTreeMap::new(),
            arp: DistinctWindow::new(MAX_WINDOW_KEYS),
            arp_replied: BTreeSet::new(),
            pending: 0,
            capped: 0,
            last_alert: [None; 5],
        }
    }

    /// Remembers that the camera talked to `host`; true the first time.
    fn remember(&mut self, host: IpAddr) -> bool {
        if self.contacted.contains(&host) {
            return false;
        }
        if self.contacted.len() >= MAX_CONTACTED
            && let Some(oldest) = self.contacted_order.pop_front()
        {
            self.contacted.remove(&oldest);
            self.capped += 1;
        }
        self.contacted.insert(host);
        self.contacted_order.push_back(host);
        true
    }

    /// Claims the right to raise rule `rule` at `now` (none within
    /// `realert` before).
    fn may_alert(&mut self, rule: usize, now: Timestamp, realert: Nanos) -> bool {
        if self.alerted_within(rule, now, realert) {
            return false;
        }
        self.last_alert[rule] = Some(now);
        true
    }

    fn alerted_within(&self, rule: usize, now: Timestamp, realert: Nanos) -> bool {
        self.last_alert[rule].is_some_and(|last| now.since(last) < realert)
    }

    /// First contacts and failures among them made within `window` of `now`.
    fn outcomes_within(&self, now: Timestamp, window: Nanos) -> (u64, u64) {
        self.outcomes
            .iter()
            .filter(|(ts, _)| now.since(*ts) <= window)
            .fold((0, 0), |(n, f), (_, failed)| {
                (n + 1, f + u64::from(*failed))
            })
    }

    /// The port counter of `host`, making room for it when needed.
    fn host_ports(&mut self, host: IpAddr, now: Timestamp, window: Nanos) -> &mut HostPorts {
        if !self.ports.contains_key(&host) && self.ports.len() >= MAX_PORT_HOSTS {
            self.ports.retain(|_, h| now.since(h.last) <= window);
            if self.ports.len() >= MAX_PORT_HOSTS {
                // The least recently probed host goes: a vertical scan keeps
                // its target busy, so it is never the one dropped.
                if let Some(stalest) = self
                    .ports
                    .iter()
                    .min_by_key(|(ip, h)| (h.last, **ip))
                    .map(|(ip, _)| *ip)
                {
                    self.ports.remove(&stalest);
                    self.capped += 1;
                }
            }
        }
        self.ports.entry(host).or_insert_with(HostPorts::new)
    }
}

/// Ports mean something for TCP, UDP and SCTP only.
fn has_ports(proto: u8) -> bool {
    matches!(proto, 6 | 17 | 132)
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

fn secs(nanos: Nanos) -> f64 {
    (nanos as f64 / NANOS_PER_SEC as f64 * 1000.0).round() / 1000.0
}

fn ip_list<'a>(ips: impl Iterator<Item = &'a IpAddr>) -> Value {
    Value::Array(ips.take(SAMPLE).map(|ip| json!(ip.to_string())).collect())
}

/// Distinct port numbers (sorted, at most [`SAMPLE`]) and transport names.
fn port_lists<'a>(
    ports: impl Iterator<Item = &'a (u8, u16)>,
) -> (BTreeSet<u16>, BTreeSet<&'static str>) {
    let mut numbers = BTreeSet::new();
    let mut transports = BTreeSet::new();
    for (proto, port) in ports {
        if numbers.len() < SAMPLE {
            numbers.insert(*port);
        }
        transports.insert(transport_name(*proto));
    }
    (numbers, transports)
}

/// The scan detector: see the module documentation.
pub struct Scan {
    settings: ScanSettings,
    log_success: f64,
    log_failure: f64,
    log_eta1: f64,
    log_eta0: f64,
    realert: Nanos,
    cameras: BTreeMap<IpAddr, CameraState>,
    /// First contacts to allowed peers waiting for their outcome, by
    /// (camera, destination): a camera has one first contact per host.
    pending: BTreeMap<(IpAddr, IpAddr), Pending>,
    /// When each pending contact stops waiting, in input order.
    deadlines: VecDeque<(Timestamp, IpAddr, IpAddr, FlowId)>,
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
            now: Timestamp::ZERO,
            untracked_cameras: 0,
        }
    }

    /// Cameras that were not judged because too many were tracked.
    pub fn untracked_cameras(&self) -> u64 {
        self.untracked_cameras
    }

    fn camera_mut(&mut self, camera: IpAddr) -> Option<&mut CameraState> {
        if !self.cameras.contains_key(&camera) && self.cameras.len() >= MAX_CAMERAS {
            self.untracked_cameras += 1;
            return None;
        }
        Some(self.cameras.entry(camera).or_insert_with(CameraState::new))
    }

    /// Pending first contacts whose wait is over are unanswered.
    fn expire_pending(&mut self, context: &Context<'_>, alerts: &mut Vec<Alert>) {
        while let Some(&(deadline, camera, dst, id)) = self.deadlines.front() {
            if deadline > self.now {
                break;
            }
            self.deadlines.pop_front();
            self.resolve_if(
                context,
                (camera, dst),
                |p| p.id == id,
                Answer::Unanswered,
                alerts,
            );
        }
    }

    /// Resolves the pending first contact of `key` when `matches` accepts it.
    fn resolve_if(
        &mut self,
        context: &Context<'_>,
        key: (IpAddr, IpAddr),
        matches: impl Fn(&Pending) -> bool,
        answer: Answer,
        alerts: &mut Vec<Alert>,
    ) -> bool {
        if !self.pending.get(&key).is_some_and(matches) {
            return false;
        }
        let Some(pending) = self.pending.remove(&key) else {
            return false;
        };
        let (camera, dst) = key;
        if let Some(state) = self.cameras.get_mut(&camera) {
            state.pending = state.pending.saturating_sub(1);
        }
        let outcome = match answer {
            Answer::Answered => Outcome::Success,
            Answer::Refused => Outcome::Refused,
            Answer::Unreachable => Outcome::Unreachable,
            // Connectionless peers often never answer (RTP, syslog, traps).
            Answer::Unanswered if pending.proto == 17 => Outcome::Success,
            Answer::Unanswered => Outcome::Unanswered,
        };
        let contact = Contact {
            camera,
            dst,
            src_port: pending.src_port,
            port: pending.port,
            proto: pending.proto,
            ts: pending.ts,
            vlan: pending.vlan,
        };
        self.step(context, contact, outcome, alerts);
        true
    }

    /// One TRW step for a first contact's outcome.
    fn step(
        &mut self,
        context: &Context<'_>,
        contact: Contact,
        outcome: Outcome,
        alerts: &mut Vec<Alert>,
    ) {
        let now = self.now;
        let realert = self.realert;
        let idle = nanos(self.settings.distinct_hosts_long.window());
        let (log_success, log_failure) = (self.log_success, self.log_failure);
        let (log_eta1, log_eta0) = (self.log_eta1, self.log_eta0);
        let Some(state) = self.cameras.get_mut(&contact.camera) else {
            return;
        };
        let failed = outcome != Outcome::Success;
        if state.outcomes.len() >= MAX_OUTCOMES {
            state.outcomes.pop_front();
        }
        while state
            .outcomes
            .front()
            .is_some_and(|(ts, _)| now.since(*ts) > idle)
        {
            state.outcomes.pop_front();
        }
        state.outcomes.push_back((contact.ts, failed));

        if state.walk.started.is_some() && contact.ts.since(state.walk.last) > idle {
            state.walk = Walk::default();
        }
        let walk = &mut state.walk;
        walk.started.get_or_insert(contact.ts);
        walk.last = walk.last.max(contact.ts);
        if failed {
            walk.failures += 1;
            walk.log_ratio += log_failure;
            if let Some(k) = FAILURE_KINDS.iter().position(|(o, _)| *o == outcome) {
                walk.kinds[k] += 1;
            }
            if walk.targets.len() < SAMPLE {
                walk.targets.push(contact.dst);
            }
            if has_ports(contact.proto) && walk.ports.len() < SAMPLE {
                walk.ports.insert(contact.port);
            }
        } else {
            walk.successes += 1;
            walk.log_ratio += log_success;
        }
        if walk.log_ratio >= log_eta1 - EPSILON {
            let walk = std::mem::take(&mut state.walk);
            if !state.may_alert(TRW, now, realert) {
                return;
            }
            let capped = state.capped;
            let mut alert = context.camera_alert(RULE_TRW, contact.camera, now);
            alert.evidence_ts = contact.ts;
            alert.vlan = (contact.vlan != 0).then_some(contact.vlan);
            // The flow whose outcome crossed the threshold, so the alert
            // pivots to it in Zeek, Suricata or Arkime by Community ID.
            let ports = has_ports(contact.proto);
            alert.source_port = ports.then_some(contact.src_port);
            alert.destination_ip = Some(contact.dst);
            alert.destination_port = ports.then_some(contact.port);
            alert.transport = Some(crate::flow::record::transport_name(contact.proto));
            alert.community_id = Some(crate::flow::community_id::community_id_v1(
                0,
                contact.proto,
                contact.camera,
                contact.dst,
                contact.src_port,
                contact.port,
                false,
            ));
            let ratio = walk.log_ratio.exp();
            let threshold = log_eta1.exp();
            let e = &mut alert.evidence;
            e.insert(
                "reason".into(),
                json!(format!(
                    "{} of {} first contacts to LAN hosts failed: likelihood ratio {:.0} reached {:.0}",
                    walk.failures,
                    walk.failures + walk.successes,
                    ratio,
                    threshold
                )),
            );
            e.insert(
                "first_contacts".into(),
                json!(walk.failures + walk.successes),
            );
            e.insert("failures".into(), json!(walk.failures));
            e.insert("successes".into(), json!(walk.successes));
            for ((_, name), n) in FAILURE_KINDS.iter().zip(walk.kinds) {
                e.insert((*name).into(), json!(n));
            }
            e.insert("likelihood_ratio".into(), json!(round3(ratio)));
            e.insert("threshold".into(), json!(round3(threshold)));
            e.insert("targets".into(), ip_list(walk.targets.iter()));
            e.insert("ports".into(), json!(walk.ports));
            let started = walk.started.unwrap_or(contact.ts);
            e.insert("span_s".into(), json!(secs(contact.ts.since(started))));
            insert_capped(e, capped);
            alerts.push(alert);
        } else if walk.log_ratio <= log_eta0 + EPSILON {
            state.walk = Walk::default();
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn flow_start(
        &mut self,
        context: &Context<'_>,
        id: FlowId,
        ts: Timestamp,
        initiator: &crate::observation::Endpoint,
        responder: &crate::observation::Endpoint,
        proto: u8,
        vlan: u16,
        alerts: &mut Vec<Alert>,
    ) {
        let (camera, dst) = (initiator.ip, responder.ip);
        if camera == dst || !context.policy.is_internal(camera) {
            return;
        }
        // A host that started a flow to a camera is someone the camera
        // knows: its later flows to that host are not first contacts.
        if context.policy.is_internal(dst)
            && (self.cameras.contains_key(&dst) || context.is_camera(dst))
            && let Some(state) = self.camera_mut(dst)
        {
            state.remember(camera);
        }
        if !context.policy.is_internal(dst)
            || is_local_scope(dst)
            || is_group_mac(responder.mac)
            || looks_like_reply(proto, initiator.port, responder.port)
            || !context.is_camera(camera)
        {
            return;
        }
        let learning = context.is_learning(camera, ts);
        let short = self.settings.distinct_hosts;
        let long = self.settings.distinct_hosts_long;
        let ports_window = self.settings.distinct_ports;
        let (short_w, long_w, ports_w) = (
            nanos(short.window()),
            nanos(long.window()),
            nanos(ports_window.window()),
        );
        let realert = self.realert;
        let now = self.now;
        let Some(state) = self.camera_mut(camera) else {
            return;
        };
        let first = state.remember(dst);
        if learning {
            return;
        }
        let contact = Contact {
            camera,
            dst,
            src_port: initiator.port,
            port: responder.port,
            proto,
            ts,
            vlan,
        };

        // Distinct hosts, short and long window.
        state.hosts_short.expire(ts, short_w, |_| {});
        state.hosts_long.expire(ts, long_w, |_| {});
        state.ports_short.expire(ts, short_w, |_| {});
        state.ports_long.expire(ts, long_w, |_| {});
        let new_short = state.hosts_short.insert(dst, ts);
        let new_long = state.hosts_long.insert(dst, ts);
        if has_ports(proto) {
            state.ports_short.insert((proto, responder.port), ts);
            state.ports_long.insert((proto, responder.port), ts);
        }
        let mut window_alerts = Vec::new();
        if new_short
            && state.hosts_short.count() >= u64::from(short.count())
            && state.may_alert(HOSTS, now, realert)
        {
            window_alerts.push((RULE_HOSTS, short.count(), short_w));
        }
        if new_long
            && state.hosts_long.count() >= u64::from(long.count())
            && !state.alerted_within(HOSTS, now, realert)
            && state.may_alert(SLOW, now, realert)
        {
            window_alerts.push((RULE_SLOW, long.count(), long_w));
        }

        // Distinct ports of this host.
        let mut port_alert = None;
        if has_ports(proto) {
            let host = state.host_ports(dst, ts, ports_w);
            host.last = ts;
            host.ports.expire(ts, ports_w, |_| {});
            host.unreachable.expire(ts, ports_w, |_| {});
            if host.ports.insert((proto, responder.port), ts)
                && host.ports.count() >= u64::from(ports_window.count())
            {
                port_alert = Some(());
            }
        }
        let port_alert = port_alert.is_some() && state.may_alert(PORTS, now, realert);

        // The first contact's outcome: known now unless the host is allowed.
        if first {
            match context.peer_class(camera, dst, responder.port, proto) {
                None => self.step(context, contact, Outcome::NotAllowed, alerts),
                Some(_) => self.wait_for_outcome(id, contact),
            }
        }

        let Some(state) = self.cameras.get(&camera) else {
            return;
        };
        for (rule, threshold, window) in window_alerts {
            let (hosts, ports) = if rule.id == RULE_HOSTS.id {
                (&state.hosts_short, &state.ports_short)
            } else {
                (&state.hosts_long, &state.ports_long)
            };
            let (contacts, failures) = state.outcomes_within(now, window);
            let mut alert = context.camera_alert(rule, camera, now);
            alert.evidence_ts = ts;
            alert.vlan = (vlan != 0).then_some(vlan);
            let e = &mut alert.evidence;
            e.insert(
                "reason".into(),
                json!(format!(
                    "started flows to {} distinct LAN hosts within {} s",
                    hosts.count(),
                    secs(window)
                )),
            );
            e.insert("distinct_hosts".into(), json!(hosts.count()));
            e.insert("threshold".into(), json!(threshold));
            e.insert("window_s".into(), json!(secs(window)));
            let since = hosts.oldest().unwrap_or(ts);
            e.insert("span_s".into(), json!(secs(ts.since(since))));
            e.insert("targets".into(), ip_list(hosts.keys()));
            let (numbers, transports) = port_lists(ports.keys());
            e.insert("ports".into(), json!(numbers));
            e.insert("transports".into(), json!(transports));
            e.insert("first_contacts".into(), json!(contacts));
            e.insert("failures".into(), json!(failures));
            insert_capped(e, state.capped);
            alerts.push(alert);
        }
        if port_alert && let Some(host) = state.ports.get(&dst) {
            let mut alert = context.camera_alert(RULE_PORTS, camera, now);
            alert.evidence_ts = ts;
            alert.vlan = (vlan != 0).then_some(vlan);
            alert.destination_ip = Some(dst);
            let (numbers, transports) = port_lists(host.ports.keys());
            if transports.len() == 1 {
                alert.transport = transports.first().copied();
            }
            let e = &mut alert.evidence;
            e.insert(
                "reason".into(),
                json!(format!(
                    "probed {} distinct ports of {dst} within {} s",
                    host.ports.count(),
                    secs(ports_w)
                )),
            );
            e.insert("target".into(), json!(dst.to_string()));
            e.insert("distinct_ports".into(), json!(host.ports.count()));
            e.insert("threshold".into(), json!(ports_window.count()));
            e.insert("window_s".into(), json!(secs(ports_w)));
            let since = host.ports.oldest().unwrap_or(ts);
            e.insert("span_s".into(), json!(secs(ts.since(since))));
            e.insert("ports".into(), json!(numbers));
            e.insert("transports".into(), json!(transports));
            e.insert("unreachable".into(), json!(host.unreachable.count()));
            insert_capped(e, state.capped);
            alerts.push(alert);
        }
    }

    /// Queues a first contact to an allowed peer until its outcome is known.
    fn wait_for_outcome(&mut self, id: FlowId, contact: Contact) {
        let key = (contact.camera, contact.dst);
        let full = self.pending.len() >= MAX_PENDING || self.deadlines.len() >= MAX_PENDING;
        let Some(state) = self.cameras.get_mut(&contact.camera) else {
            return;
        };
        if self.pending.contains_key(&key) {
            return;
        }
        if full || state.pending >= MAX_PENDING_PER_CAMERA {
            // No room to wait: the outcome is lost, and counted.
            state.capped += 1;
            return;
        }
        state.pending += 1;
        self.pending.insert(
            key,
            Pending {
                id,
                src_port: contact.src_port,
                port: contact.port,
                proto: contact.proto,
                ts: contact.ts,
                vlan: contact.vlan,
            },
        );
        self.deadlines.push_back((
            contact.ts.plus(ANSWER_WAIT),
            contact.camera,
            contact.dst,
            id,
        ));
    }

    fn arp(&mut self, context: &Context<'_>, observation: &Observation, alerts: &mut Vec<Alert>) {
        let Observation::Arp {
            ts,
            operation,
            sender_ip,
            target_ip,
            vlan,
            ..
        } = observation
        else {
            return;
        };
        let (ts, sender, target) = (*ts, *sender_ip, *target_ip);
        if *operation == 2 {
            // A reply to the camera from one of the addresses it asked for.
            if let Some(state) = self.cameras.get_mut(&target)
                && state.arp.contains(&sender)
            {
                state.arp_replied.insert(sender);
            }
            return;
        }
        if *operation != 1
            || sender.is_unspecified()
            || target.is_unspecified()
            || sender == target
            || !context.is_camera(sender)
            || context.is_learning(sender, ts)
        {
            return;
        }
        let sweep = self.settings.arp_sweep;
        let window = nanos(sweep.window());
        let (now, realert) = (self.now, self.realert);
        let Some(state) = self.camera_mut(sender) else {
            return;
        };
        let CameraState {
            arp, arp_replied, ..
        } = state;
        arp.expire(ts, window, |gone| {
            arp_replied.remove(&gone);
        });
        if !arp.insert(target, ts)
            || arp.count() < u64::from(sweep.count())
            || !state.may_alert(ARP, now, realert)
        {
            return;
        }
        let mut alert = context.camera_alert(RULE_ARP, sender, now);
        alert.evidence_ts = ts;
        alert.vlan = (*vlan != 0).then_some(*vlan);
        let requested = state.arp.count();
        let answered = state.arp_replied.len() as u64;
        let e = &mut alert.evidence;
        e.insert(
            "reason".into(),
            json!(format!(
                "asked ARP for {requested} distinct addresses within {} s",
                secs(window)
            )),
        );
        e.insert("distinct_targets".into(), json!(requested));
        e.insert("threshold".into(), json!(sweep.count()));
        e.insert("window_s".into(), json!(secs(window)));
        let since = state.arp.oldest().unwrap_or(ts);
        e.insert("span_s".into(), json!(secs(ts.since(since))));
        e.insert("targets".into(), ip_list(state.arp.keys()));
        e.insert("answered".into(), json!(answered));
        e.insert("failures".into(), json!(requested.saturating_sub(answered)));
        insert_capped(e, state.capped);
        alerts.push(alert);
    }
}

/// A first contact, as the walk needs it.
#[derive(Debug, Clone, Copy)]
struct Contact {
    camera: IpAddr,
    dst: IpAddr,
    src_port: u16,
    port: u16,
    proto: u8,
    ts: Timestamp,
    vlan: u16,
}

fn round3(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        f64::MAX
    }
}

fn insert_capped(evidence: &mut Map<String, Value>, capped: u64) {
    if capped > 0 {
        evidence.insert("memory_capped".into(), json!(capped));
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
        self.expire_pending(context, alerts);
        match observation {
            // ICMP errors (one-way messages) report on other flows; they
            // probe nothing.
            Observation::FlowStart {
                id,
                ts,
                initiator,
                responder,
                proto,
                vlan,
                icmp_one_way: false,
                ..
            } => {
                self.flow_start(
                    context, *id, *ts, initiator, responder, *proto, *vlan, alerts,
                );
            }
            Observation::FirstAnswer { id, refused, .. } => {
                let answer = if *refused {
                    Answer::Refused
                } else {
                    Answer::Answered
                };
                let (lo, hi) = (id.key.addr_lo, id.key.addr_hi);
                if !self.resolve_if(context, (lo, hi), |p| p.id == *id, answer, alerts) {
                    self.resolve_if(context, (hi, lo), |p| p.id == *id, answer, alerts);
                }
            }
            Observation::FlowEnd { flow, .. } => {
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
            Observation::Unreachable {
                ts,
                src,
                dst,
                dst_port,
                proto,
                ..
            } => {
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
            }
            Observation::Arp { .. } => self.arp(context, observation, alerts),
            _ => {}
        }
    }

    fn finish(&mut self, context: &Context<'_>, now: Timestamp, alerts: &mut Vec<Alert>) {
        self.now = self.now.max(now);
        // Whatever still waits at the end of input was never answered.
        while let Some((_, camera, dst, id)) = self.deadlines.pop_front() {
            self.resolve_if(
                context,
                (camera, dst),
                |p| p.id == id,
                Answer::Unanswered,
                alerts,
            );
        }
        let rest: Vec<(IpAddr, IpAddr)> = self.pending.keys().copied().collect();
        for key in rest {
            self.resolve_if(context, key, |_| true, Answer::Unanswered, alerts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Policy;
    use crate::decode::{Decoded, LinkType, decode};
    use crate::detect::Baseline;
    use crate::detect::Knowledge;
    use crate::flow::{Flow, FlowKey, FlowTable, Timeouts};
    use crate::observation::Endpoint;

    const CAM: [u8; 4] = [10, 0, 0, 10];
    const WORKSTATION: [u8; 4] = [10, 0, 0, 99];

    fn ip(a: [u8; 4]) -> IpAddr {
        IpAddr::from(a)
    }

    /// Host `n` of 10.0.2.0/24: nothing allows it.
    fn stranger(n: u32) -> IpAddr {
        IpAddr::from([10, 0, 2 + (n / 250) as u8, (n % 250) as u8 + 1])
    }

    /// Recorder `n` of 10.1.0.0/16 (the policy lists the whole block).
    fn recorder(n: u32) -> IpAddr {
        IpAddr::from([10, 1, (n / 250) as u8, (n % 250) as u8 + 1])
    }

    fn at(ms: u64) -> Timestamp {
        Timestamp::from_secs(1_767_600_000).plus(ms * 1_000_000)
    }

    const POLICY: &str = r#"
        [site]
        recorders = ["10.1.0.0/16"]
        dns = ["10.0.0.1"]
        ntp = ["10.0.0.1"]
    "#;

    /// A detector with a hand-made context: 10.0.0.10 is a camera (it
    /// answered RTSP), 10.1.0.0/16 are recorders, 10.0.0.1 serves DNS/NTP.
    struct Harness {
        knowledge: Knowledge,
        scan: Scan,
        alerts: Vec<Alert>,
        seq: u64,
    }

    impl Harness {
        fn new() -> Harness {
            Harness::with_policy(POLICY, 0)
        }

        fn with_policy(text: &str, learn_for: Nanos) -> Harness {
            let policy = Policy::from_str(text, "test").expect("valid policy");
            let scan = Scan::new(&policy.detect().scan);
            let mut knowledge = Knowledge::new(policy, Baseline::default(), learn_for);
            knowledge.observe(&Observation::RtspServer {
                ts: at(0),
                server: Endpoint {
                    ip: ip(CAM),
                    port: 554,
                    mac: [0; 6],
                },
                banner: None,
            });
            Harness {
                knowledge,
                scan,
                alerts: Vec::new(),
                seq: 0,
            }
        }

        fn feed(&mut self, observation: Observation) {
            self.knowledge.observe(&observation);
            let context = self.knowledge.context();
            self.scan.observe(&context, &observation, &mut self.alerts);
        }

        fn finish(&mut self, now: Timestamp) {
            let context = self.knowledge.context();
            self.scan.finish(&context, now, &mut self.alerts);
        }

        /// A flow from `src` (ephemeral port) to `dst:port`; its id.
        fn flow_from(
            &mut self,
            ms: u64,
            src: IpAddr,
            dst: IpAddr,
            port: u16,
            proto: u8,
            dst_mac: [u8; 6],
        ) -> FlowId {
            self.seq += 1;
            let sport = 40_000 + (self.seq % 20_000) as u16;
            let (key, _) = FlowKey::new(src, sport, dst, port, proto, 0, 0);
            let id = FlowId {
                key,
                first_seq: self.seq,
            };
            self.feed(Observation::FlowStart {
                id,
                ts: at(ms),
                initiator: Endpoint {
                    ip: src,
                    port: sport,
                    mac: [0; 6],
                },
                responder: Endpoint {
                    ip: dst,
                    port,
                    mac: dst_mac,
                },
                proto,
                vlan: 20,
                icmp_one_way: false,
                first_bytes: 60,
                midstream: false,
                sender_is_initiator: true,
            });
            id
        }

        /// A flow the camera starts.
        fn start(&mut self, ms: u64, dst: IpAddr, port: u16, proto: u8) -> FlowId {
            self.flow_from(ms, ip(CAM), dst, port, proto, [0; 6])
        }

        fn answer(&mut self, ms: u64, id: FlowId, refused: bool) {
            let answerer = if id.key.addr_lo == ip(CAM) {
                (id.key.addr_hi, id.key.port_hi)
            } else {
                (id.key.addr_lo, id.key.port_lo)
            };
            self.feed(Observation::FirstAnswer {
                id,
                ts: at(ms),
                refused,
                answerer: Endpoint {
                    ip: answerer.0,
                    port: answerer.1,
                    mac: [0; 6],
                },
                by_responder: true,
            });
        }

        fn unreachable(&mut self, ms: u64, dst: IpAddr, port: u16, proto: u8) {
            self.feed(Observation::Unreachable {
                ts: at(ms),
                reporter: dst,
                src: ip(CAM),
                dst,
                dst_port: port,
                proto,
            });
        }

        fn arp(&mut self, ms: u64, operation: u16, sender: IpAddr, target: IpAddr) {
            self.feed(Observation::Arp {
                ts: at(ms),
                operation,
                sender_mac: [0; 6],
                sender_ip: sender,
                target_ip: target,
                vlan: 20,
            });
        }

        /// Something else happening at `ms` (moves packet time on).
        fn tick(&mut self, ms: u64) {
            self.feed(Observation::DnsAnswer {
                ts: at(ms),
                client: ip(WORKSTATION),
                name: "x.example".into(),
                address: ip([192, 0, 2, 1]),
            });
        }

        fn of(&self, rule: Rule) -> Vec<&Alert> {
            self.alerts
                .iter()
                .filter(|a| a.rule.id == rule.id)
                .collect()
        }
    }

    fn evidence_u64(alert: &Alert, key: &str) -> u64 {
        alert.evidence[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {:?}", alert.evidence))
    }

    /// A finished flow as the flow table reports it: a TCP SYN from
    /// `src:sport` (IPv4) at `ms` with input position `seq`, nothing back.
    fn ended_flow(ms: u64, seq: u64, src: IpAddr, sport: u16, dst: IpAddr, dport: u16) -> Flow {
        let (IpAddr::V4(s), IpAddr::V4(d)) = (src, dst) else {
            panic!("IPv4 only");
        };
        let mut frame = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00];
        frame.extend_from_slice(&[0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0]);
        frame.extend_from_slice(&s.octets());
        frame.extend_from_slice(&d.octets());
        frame.extend_from_slice(&sport.to_be_bytes());
        frame.extend_from_slice(&dport.to_be_bytes());
        frame.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
        let Ok(Decoded::Ip(view)) = decode(LinkType::Ethernet, &frame) else {
            panic!("a TCP SYN decodes");
        };
        let mut table = FlowTable::new(16, Timeouts::default());
        let key = FlowKey::new(src, sport, dst, dport, 6, 0, 0);
        table.update(&view, key, 60, at(ms), seq, &mut |_, _| {});
        let mut ended = None;
        table.flush(at(ms + 60_000), &mut |flow, _| ended = Some(flow.clone()));
        ended.expect("the flow ends at flush")
    }

    #[test]
    fn defaults_need_four_failures() {
        let s = ScanSettings::default();
        let per_failure = ((1.0 - s.theta1) / (1.0 - s.theta0)).ln();
        let needed = (s.upper_threshold().ln() / per_failure).ceil();
        assert_eq!(needed, 4.0);
    }

    #[test]
    fn trw_alarms_on_the_fourth_failed_first_contact() {
        let mut h = Harness::new();
        for n in 0..3 {
            h.start(1_000 + n * 100, stranger(n as u32), 23, 6);
        }
        assert!(h.alerts.is_empty(), "{:?}", h.alerts);
        h.start(1_300, stranger(3), 23, 6);
        let trw = h.of(RULE_TRW);
        assert_eq!(trw.len(), 1);
        let alert = trw[0];
        assert_eq!(alert.rule.category, Category::Scan);
        assert_eq!(alert.source_ip, ip(CAM));
        assert_eq!(alert.evidence_ts, at(1_300));
        assert_eq!(alert.ts, at(1_300), "a host nothing allows fails at once");
        assert_eq!(evidence_u64(alert, "failures"), 4);
        assert_eq!(evidence_u64(alert, "successes"), 0);
        assert_eq!(evidence_u64(alert, "not_allowed"), 4);
        assert_eq!(alert.evidence["likelihood_ratio"], json!(256.0));
        assert_eq!(alert.evidence["threshold"], json!(99.0));
        assert_eq!(alert.evidence["ports"], json!([23]));
        assert_eq!(alert.evidence["span_s"], json!(0.3));
        assert_eq!(alert.vlan, Some(20));
        let targets: Vec<String> = (0..4).map(|n| stranger(n).to_string()).collect();
        assert_eq!(alert.evidence["targets"], json!(targets));
    }

    #[test]
    fn a_second_flow_to_the_same_host_is_no_first_contact() {
        let mut h = Harness::new();
        for port in [23, 80, 443, 8080, 554, 8000] {
            h.start(1_000 + u64::from(port), stranger(0), port, 6);
        }
        assert!(h.of(RULE_TRW).is_empty());
    }

    #[test]
    fn not_allowed_fails_even_when_answered() {
        let mut h = Harness::new();
        for n in 0..4 {
            let id = h.start(1_000 + n * 100, stranger(n as u32), 80, 6);
            h.answer(1_001 + n * 100, id, false);
        }
        assert_eq!(h.of(RULE_TRW).len(), 1);
    }

    #[test]
    fn successes_to_allowed_peers_pull_the_walk_back() {
        let mut h = Harness::new();
        let mut t = 1_000;
        for n in 0..3 {
            h.start(t, stranger(n), 23, 6);
            t += 100;
        }
        // Ratio 64, then a recorder answers: 16.
        let id = h.start(t, recorder(0), 554, 6);
        h.answer(t + 1, id, false);
        t += 100;
        // 64: still below 99.
        h.start(t, stranger(3), 23, 6);
        t += 100;
        assert!(h.of(RULE_TRW).is_empty());
        // 256.
        h.start(t, stranger(4), 23, 6);
        let trw = h.of(RULE_TRW);
        assert_eq!(trw.len(), 1);
        assert_eq!(evidence_u64(trw[0], "failures"), 5);
        assert_eq!(evidence_u64(trw[0], "successes"), 1);
        assert_eq!(evidence_u64(trw[0], "first_contacts"), 6);
    }

    #[test]
    fn enough_successes_declare_the_camera_benign_and_restart_the_walk() {
        let mut h = Harness::new();
        let mut t = 1_000;
        // Three failures (64), then seven successes: 64 / 4^7 < eta0, and
        // the walk restarts at 1 instead of carrying the credit.
        for n in 0..3 {
            h.start(t, stranger(n), 23, 6);
            t += 100;
        }
        for n in 0..7 {
            let id = h.start(t, recorder(n), 554, 6);
            h.answer(t + 1, id, false);
            t += 100;
        }
        for n in 3..6 {
            h.start(t, stranger(n), 23, 6);
            t += 100;
        }
        assert!(h.of(RULE_TRW).is_empty());
        h.start(t, stranger(6), 23, 6);
        let trw = h.of(RULE_TRW);
        assert_eq!(trw.len(), 1);
        assert_eq!(evidence_u64(trw[0], "failures"), 4);
        assert_eq!(evidence_u64(trw[0], "successes"), 0);
    }

    #[test]
    fn refused_and_unanswered_contacts_to_allowed_peers_fail() {
        let mut h = Harness::new();
        // Refused: known at the answer.
        let id = h.start(1_000, recorder(0), 23, 6);
        h.answer(1_001, id, true);
        // Unanswered TCP: known once the wait is over.
        h.start(1_100, recorder(1), 23, 6);
        h.start(1_200, recorder(2), 23, 6);
        let id = h.start(1_300, recorder(3), 23, 6);
        h.answer(1_301, id, true);
        assert!(h.of(RULE_TRW).is_empty(), "the two silent ones still wait");
        h.tick(1_100 + ANSWER_WAIT / 1_000_000 - 1);
        assert!(h.of(RULE_TRW).is_empty());
        h.tick(1_200 + ANSWER_WAIT / 1_000_000);
        let trw = h.of(RULE_TRW);
        assert_eq!(trw.len(), 1);
        let alert = trw[0];
        assert_eq!(evidence_u64(alert, "refused"), 2);
        assert_eq!(evidence_u64(alert, "unanswered"), 2);
        assert_eq!(evidence_u64(alert, "not_allowed"), 0);
        // The crossing contact is the one sent at 1.2 s; known 5 s later.
        assert_eq!(alert.evidence_ts, at(1_200));
        assert_eq!(alert.ts.since(alert.evidence_ts), ANSWER_WAIT);
    }

    #[test]
    fn udp_unreachable_fails_and_udp_silence_does_not() {
        let mut h = Harness::new();
        let mut t = 1_000;
        // Silent UDP peers (RTP, syslog) are successes once the wait is over.
        for n in 0..4 {
            h.start(t, recorder(n), 514, 17);
            t += 10;
        }
        h.tick(t + 6_000);
        assert!(h.alerts.is_empty());
        // Four successes took the ratio to 1/256, below eta0: the walk
        // restarted at 1, so four ICMP port unreachables now alarm.
        t += 10_000;
        for n in 4..8 {
            h.start(t, recorder(n), 161, 17);
            h.unreachable(t + 1, recorder(n), 161, 17);
            t += 10;
        }
        let trw = h.of(RULE_TRW);
        assert_eq!(trw.len(), 1, "{:?}", h.alerts);
        assert_eq!(evidence_u64(trw[0], "unreachable"), 4);
        assert_eq!(evidence_u64(trw[0], "successes"), 0);
        // An unreachable for another port of a pending host is not its
        // outcome.
        let mut h = Harness::new();
        h.start(1_000, recorder(0), 161, 17);
        h.unreachable(1_001, recorder(0), 162, 17);
        assert_eq!(h.scan.pending.len(), 1);
        h.unreachable(1_002, recorder(0), 161, 17);
        assert!(h.scan.pending.is_empty());
    }

    #[test]
    fn flow_end_and_end_of_input_resolve_waiting_contacts() {
        let mut h = Harness::new();
        let mut t = 1_000;
        for n in 0..3 {
            h.start(t, stranger(n), 23, 6);
            t += 100;
        }
        let id = h.start(t, recorder(0), 23, 6);
        assert!(h.of(RULE_TRW).is_empty());
        let (src, sport) = if id.key.addr_lo == ip(CAM) {
            (id.key.addr_lo, id.key.port_lo)
        } else {
            (id.key.addr_hi, id.key.port_hi)
        };
        let flow = ended_flow(t, id.first_seq, src, sport, recorder(0), 23);
        assert_eq!(
            FlowId {
                key: flow.key,
                first_seq: flow.first_seq
            },
            id
        );
        h.feed(Observation::FlowEnd {
            flow: Box::new(flow),
            reason: crate::flow::EndReason::Timeout,
        });
        assert_eq!(h.of(RULE_TRW).len(), 1);

        // Still waiting at the end of input: unanswered.
        let mut h = Harness::new();
        for n in 0..3 {
            h.start(1_000 + n * 100, stranger(n as u32), 23, 6);
        }
        h.start(1_300, recorder(0), 23, 6);
        assert!(h.alerts.is_empty());
        h.finish(at(2_000));
        let trw = h.of(RULE_TRW);
        assert_eq!(trw.len(), 1);
        assert_eq!(trw[0].evidence_ts, at(1_300));
        assert_eq!(trw[0].ts, at(2_000));
        assert!(h.scan.pending.is_empty() && h.scan.deadlines.is_empty());
    }

    #[test]
    fn a_walk_idle_for_the_long_window_starts_over() {
        let mut h = Harness::new();
        for n in 0..3 {
            h.start(1_000 + n * 100, stranger(n as u32), 23, 6);
        }
        let later = 1_200 + 3_600_001;
        h.start(later, stranger(3), 23, 6);
        assert!(h.of(RULE_TRW).is_empty());
    }

    #[test]
    fn one_alert_per_rule_until_the_realert_interval_passes() {
        let mut h = Harness::new();
        let mut n = 0;
        let mut burst = |h: &mut Harness, t: u64| {
            for k in 0..4 {
                h.start(t + k * 100, stranger(n), 23, 6);
                n += 1;
            }
        };
        burst(&mut h, 1_000);
        burst(&mut h, 60_000);
        assert_eq!(h.of(RULE_TRW).len(), 1);
        burst(&mut h, 1_000 + 3_600_000);
        assert_eq!(h.of(RULE_TRW).len(), 2);
    }

    #[test]
    fn distinct_hosts_in_the_short_window() {
        let mut h = Harness::new();
        // 19 hosts in a minute: nothing; spread thinly, 30 do nothing either.
        for n in 0..19 {
            h.start(1_000 + u64::from(n) * 1_000, stranger(n), 80, 6);
        }
        assert!(h.of(RULE_HOSTS).is_empty());
        h.start(20_000, stranger(19), 80, 6);
        let hosts = h.of(RULE_HOSTS);
        assert_eq!(hosts.len(), 1);
        let alert = hosts[0];
        assert_eq!(alert.evidence_ts, at(20_000));
        assert_eq!(alert.ts, alert.evidence_ts);
        assert_eq!(evidence_u64(alert, "distinct_hosts"), 20);
        assert_eq!(evidence_u64(alert, "threshold"), 20);
        assert_eq!(evidence_u64(alert, "failures"), 20);
        assert_eq!(evidence_u64(alert, "first_contacts"), 20);
        assert_eq!(alert.evidence["window_s"], json!(60.0));
        assert_eq!(alert.evidence["span_s"], json!(19.0));
        assert_eq!(alert.evidence["ports"], json!([80]));
        assert_eq!(alert.evidence["transports"], json!(["tcp"]));
        assert!(h.of(RULE_SLOW).is_empty(), "not a slow scan");

        let mut h = Harness::new();
        for n in 0..30 {
            h.start(1_000 + u64::from(n) * 4_000, stranger(n), 80, 6);
        }
        assert!(h.of(RULE_HOSTS).is_empty(), "15 per minute at most");
    }

    #[test]
    fn distinct_hosts_in_the_long_window() {
        let mut h = Harness::new();
        // One probe every 45 s: never 20 in a minute, 50 within 37 min.
        for n in 0..49 {
            h.start(1_000 + u64::from(n) * 45_000, stranger(n), 23, 6);
        }
        assert!(h.of(RULE_SLOW).is_empty());
        let t = 1_000 + 49 * 45_000;
        h.start(t, stranger(49), 23, 6);
        let slow = h.of(RULE_SLOW);
        assert_eq!(slow.len(), 1);
        assert_eq!(evidence_u64(slow[0], "distinct_hosts"), 50);
        assert_eq!(evidence_u64(slow[0], "failures"), 50);
        assert_eq!(slow[0].evidence["window_s"], json!(3600.0));
        assert_eq!(slow[0].evidence_ts, at(t));
        assert!(h.of(RULE_HOSTS).is_empty());
    }

    #[test]
    fn distinct_ports_of_one_host() {
        let mut h = Harness::new();
        for port in 1..20u16 {
            h.start(1_000 + u64::from(port) * 10, recorder(0), port, 17);
            if port % 2 == 0 {
                h.unreachable(1_001 + u64::from(port) * 10, recorder(0), port, 17);
            }
        }
        assert!(h.of(RULE_PORTS).is_empty());
        h.start(2_000, recorder(0), 20, 17);
        let ports = h.of(RULE_PORTS);
        assert_eq!(ports.len(), 1);
        let alert = ports[0];
        assert_eq!(alert.destination_ip, Some(recorder(0)));
        assert_eq!(alert.transport, Some("udp"));
        assert_eq!(alert.rule.action, "port-scan");
        assert_eq!(evidence_u64(alert, "distinct_ports"), 20);
        assert_eq!(evidence_u64(alert, "unreachable"), 9);
        assert_eq!(alert.evidence["target"], json!("10.1.0.1"));
        assert_eq!(
            alert.evidence["ports"],
            json!((1..=20).collect::<Vec<u16>>())
        );
        // A vertical scan is one first contact for the walk.
        assert!(h.of(RULE_TRW).is_empty());
        // Ports spread over more than a minute do not add up.
        let mut h = Harness::new();
        for port in 1..40u16 {
            h.start(u64::from(port) * 4_000, recorder(0), port, 6);
        }
        assert!(h.of(RULE_PORTS).is_empty());
    }

    #[test]
    fn arp_sweep() {
        let mut h = Harness::new();
        let cam = ip(CAM);
        // Gratuitous ARP, RFC 5227 probes and replies are not requests for
        // other hosts.
        h.arp(500, 1, cam, cam);
        h.arp(501, 1, ip([0, 0, 0, 0]), cam);
        for n in 0..15 {
            h.arp(1_000 + n * 5, 1, cam, stranger(n as u32));
        }
        h.arp(1_001, 2, stranger(0), cam);
        h.arp(1_002, 1, cam, stranger(0));
        assert!(h.of(RULE_ARP).is_empty());
        h.arp(1_100, 1, cam, stranger(15));
        let arp = h.of(RULE_ARP);
        assert_eq!(arp.len(), 1);
        let alert = arp[0];
        assert_eq!(alert.rule.action, "arp-sweep");
        assert_eq!(alert.evidence_ts, at(1_100));
        assert_eq!(evidence_u64(alert, "distinct_targets"), 16);
        assert_eq!(evidence_u64(alert, "answered"), 1);
        assert_eq!(evidence_u64(alert, "failures"), 15);
        assert_eq!(alert.vlan, Some(20));
        // A workstation sweeping is not a camera's business here.
        for n in 0..40 {
            h.arp(2_000 + n, 1, ip(WORKSTATION), stranger(n as u32));
        }
        assert_eq!(h.of(RULE_ARP).len(), 1);
    }

    #[test]
    fn arp_requests_spread_over_the_window_do_not_add_up() {
        let mut h = Harness::new();
        for n in 0..40 {
            h.arp(u64::from(n) * 5_000, 1, ip(CAM), stranger(n));
        }
        assert!(h.of(RULE_ARP).is_empty());
    }

    #[test]
    fn only_cameras_out_of_learning_are_judged() {
        // A workstation and a recorder probing widely: nothing.
        let mut h = Harness::new();
        for n in 0..60 {
            h.flow_from(
                1_000 + n,
                ip(WORKSTATION),
                stranger(n as u32),
                23,
                6,
                [0; 6],
            );
            h.flow_from(1_000 + n, recorder(0), stranger(n as u32), 554, 6, [0; 6]);
        }
        assert!(h.alerts.is_empty(), "{:?}", h.alerts);

        // A camera in its learning period: nothing, and what it contacted
        // then is known afterwards.
        let mut h = Harness::with_policy(POLICY, 600 * NANOS_PER_SEC);
        for n in 0..60 {
            h.start(1_000 + n, stranger(n as u32), 23, 6);
        }
        assert!(h.alerts.is_empty());
        for n in 0..4 {
            h.start(700_000 + n, stranger(n as u32), 23, 6);
        }
        assert!(h.of(RULE_TRW).is_empty());
        for n in 60..64 {
            h.start(700_100 + n, stranger(n as u32), 23, 6);
        }
        assert_eq!(h.of(RULE_TRW).len(), 1);
    }

    #[test]
    fn replies_broadcasts_and_external_hosts_are_not_probes() {
        let mut h = Harness::new();
        let cam = ip(CAM);
        for n in 0..30u32 {
            let t = 1_000 + u64::from(n);
            // The camera's web server answering a client whose SYN was not
            // seen: from port 80 to an ephemeral port.
            h.seq += 1;
            let (key, _) = FlowKey::new(cam, 80, stranger(n), 50_000, 6, 0, 0);
            h.feed(Observation::FlowStart {
                id: FlowId {
                    key,
                    first_seq: h.seq,
                },
                ts: at(t),
                initiator: Endpoint {
                    ip: cam,
                    port: 80,
                    mac: [0; 6],
                },
                responder: Endpoint {
                    ip: stranger(n),
                    port: 50_000,
                    mac: [0; 6],
                },
                proto: 6,
                vlan: 0,
                icmp_one_way: false,
                first_bytes: 60,
                midstream: false,
                sender_is_initiator: true,
            });
            // Subnet-directed broadcast, multicast, the outside world.
            h.flow_from(t, cam, ip([10, 0, 0, 255]), 9_000 + n as u16, 17, [0xff; 6]);
            h.start(t, ip([239, 255, 255, 250]), 3_702 + n as u16, 17);
            h.start(t, ip([198, 51, 100, n as u8]), 23, 6);
        }
        assert!(h.alerts.is_empty(), "{:?}", h.alerts);
    }

    #[test]
    fn hosts_that_contacted_the_camera_are_known() {
        let mut h = Harness::new();
        for n in 0..4 {
            h.flow_from(1_000 + n, stranger(n as u32), ip(CAM), 80, 6, [0; 6]);
        }
        for n in 0..4 {
            h.start(2_000 + n, stranger(n as u32), 5_000, 6);
        }
        assert!(h.of(RULE_TRW).is_empty());
    }

    #[test]
    fn distinct_window_counts_what_it_cannot_store() {
        let mut w: DistinctWindow<u32> = DistinctWindow::new(3);
        for k in 0..5 {
            assert!(w.insert(k, at(u64::from(k))));
        }
        assert!(!w.insert(1, at(10)));
        assert_eq!(w.entered.len(), 3);
        assert_eq!(w.count(), 5);
        w.expire(at(1_000), 10_000_000_000, |_| {});
        assert_eq!(w.count(), 5, "all within 10 s");
        let mut gone = Vec::new();
        w.expire(at(20_000), 10_000_000_000, |k| gone.push(k));
        assert_eq!(gone, [0, 1, 2]);
        assert_eq!(w.count(), 0);
    }

    #[test]
    fn memory_stays_bounded() {
        let mut h = Harness::new();
        // Far more hosts than remembered, each with two ports, ten a second.
        let hosts = (MAX_CONTACTED + 500) as u32;
        for n in 0..hosts {
            let t = 1_000 + u64::from(n) * 100;
            h.start(t, stranger(n), 23, 6);
            h.start(t, stranger(n), 80, 6);
        }
        let state = &h.scan.cameras[&ip(CAM)];
        assert_eq!(state.contacted.len(), MAX_CONTACTED);
        assert_eq!(state.contacted_order.len(), MAX_CONTACTED);
        assert!(state.ports.len() <= MAX_PORT_HOSTS);
        assert!(state.hosts_long.entered.len() <= MAX_WINDOW_KEYS);
        assert!(
            state.hosts_long.count()
                >= u64::from(h.knowledge.policy.detect().scan.distinct_hosts_long.count())
        );
        assert!(state.outcomes.len() <= MAX_OUTCOMES);
        assert!(state.capped > 0);

        // First contacts waiting for answers: bounded per camera.
        let mut h = Harness::new();
        for n in 0..(MAX_PENDING_PER_CAMERA as u32 + 50) {
            h.start(1_000, recorder(n), 554, 6);
        }
        assert_eq!(h.scan.pending.len(), MAX_PENDING_PER_CAMERA);
        assert_eq!(h.scan.cameras[&ip(CAM)].pending, MAX_PENDING_PER_CAMERA);
        // The 50 without waiting room, and hosts whose ports were dropped.
        assert!(h.scan.cameras[&ip(CAM)].capped >= 50);
        assert!(h.scan.cameras[&ip(CAM)].ports.len() <= MAX_PORT_HOSTS);
        h.tick(1_000 + ANSWER_WAIT / 1_000_000);
        assert!(h.scan.pending.is_empty());
        assert!(h.scan.deadlines.is_empty());
        assert_eq!(h.scan.cameras[&ip(CAM)].pending, 0);
    }

    #[test]
    fn alerts_are_the_same_for_the_same_input() {
        let run = || {
            let mut h = Harness::new();
            for n in 0..120u32 {
                let t = 1_000 + u64::from(n) * 7;
                let id = h.start(t, stranger(n % 70), 20 + (n % 25) as u16, 6);
                if n % 3 == 0 {
                    h.answer(t + 1, id, n % 2 == 0);
                }
                h.arp(t, 1, ip(CAM), stranger(n));
            }
            h.finish(at(10_000));
            h.alerts
        };
        let first = run();
        // The walk, the short host window and the ARP sweep.
        assert_eq!(first.len(), 3, "{first:?}");
        assert_eq!(first, run());
    }
}
