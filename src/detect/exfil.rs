//! Bulk upload and exfiltration: a camera sends unusual volume to anything
//! but a recorder.
//!
//! A camera's job is to send video to its recorder; everything else it
//! uploads (cloud heartbeats, snapshots, DNS, NTP) is small. An attacker who
//! owns a camera uses it as a foothold and pushes data out through it (its
//! own recordings, or what it collected on the network), either in one bulk
//! transfer or trickled out slowly to stay below volume alarms.
//!
//! # Algorithm
//!
//! 1. **Attribution.** At flow start, for each side of the flow that is a
//!    camera, the peer is classified with the same lookups as egress
//!    (recorder, site infrastructure, the camera's policy group rules, the
//!    baseline) into a destination class:
//!    - `recorder` (a recorder by policy, vendor or behaviour, or a rule of
//!      role `recorder`): never counted. Multicast and broadcast are not
//!      counted either (they stay in the site, and multicast video is a
//!      normal way to feed recorders);
//!    - `cloud`: a rule of role `cloud`, or a peer learned while learning
//!      that lies outside the site;
//!    - `other`: everything else, including unknown external hosts,
//!      internal hosts that are not recorders, and the site's DNS/NTP.
//!
//!    The class is read again each time bytes are counted, not frozen at
//!    flow start: a recorder whose session began before the capture (or
//!    before it was recognised) stops the count as soon as it is known,
//!    and a destination learned since gets its learned budget.
//!
//!    A camera that answers a flow (the peer initiated it) is classified by
//!    the peer's address only (port 0): allow rules with ports describe
//!    services the camera may reach, not hosts that may pull from it.
//!    Bytes the camera *sends* are counted when one side crosses another
//!    256 KiB chunk (`Observation::Bytes`) and, for the remainder, at flow
//!    end; a little per-flow state (class, bytes already counted) is kept
//!    for camera flows only and dropped at flow end. A flow that was not
//!    tracked at its start (the host was identified as a camera later, or
//!    the state table was full) is counted in full at its end.
//! 2. **Accounts.** Per camera, bytes go to an *account*: the class plus
//!    what allows the destination (the allow rule, the baseline, or
//!    nothing: "unlisted"). Its budget is the rule's own budget (role
//!    `other` rules without one get `[detect.exfil] default_budget`), the
//!    default budget for unlisted and learned destinations of class `other`,
//!    and none for learned or budget-less `cloud` destinations (those are
//!    judged by the baseline only).
//! 3. **Windows.** Sliding windows in packet time, each a ring of 32
//!    buckets (a window is measured in 1/32 steps: a 1 h window is 1 h
//!    minus at most 112.5 s), so memory per camera is fixed whatever the
//!    traffic. Bytes go into the bucket of the time they were sent; sums
//!    are compared each time bytes are counted, at the latest packet time
//!    seen (a flow end carries its last packet's time but can arrive much
//!    later, after an inactivity timeout).
//! 4. **Rules.**
//!    - `CAMSENTRY-EXFIL-1` (budget): an account's sum over its budget's
//!      window exceeds the budget.
//!    - `CAMSENTRY-EXFIL-2` (baseline): per class, over each of
//!      `[detect.exfil] windows` (1 m, 1 h, 24 h), the sum exceeds
//!      `baseline_factor` (4) times the learned baseline. The baseline is
//!      the largest upload of the class in any one hour while learning; for
//!      windows of an hour or more it is scaled by the window's length in
//!      hours, and it is not scaled down for shorter windows (a normal
//!      hour's upload may come in one burst). The threshold never goes
//!      below a quarter of `default_budget`'s hourly rate (2.5 MB per hour
//!      of window by default): a baseline learned over a quiet period
//!      (zero, or a few kB of heartbeats) must not turn every API call or
//!      firmware check into an alert; below that the budgets judge. Applies
//!      to every class with a baseline, budget or not (an allowed cloud at
//!      abnormal volume).
//!    - `CAMSENTRY-EXFIL-3` (slow upload): for unlisted destinations only
//!      (nothing allows them, so no volume is expected), the sum over
//!      `slow_window` (6 h) exceeds the budget scaled to the slow window at
//!      a twelfth of its rate: `budget × slow_window / budget window / 12`,
//!      5 MB per 6 h for the default 10 MB/1 h (an average of 833 kB/h).
//!      "Slow" means spread out: the rule waits until at most half of that
//!      sum falls in the latest budget window, so a single burst is left to
//!      the budget rule, and it stays quiet while a budget alert of the same
//!      account is less than one slow window old. Allowed destinations are
//!      held to the rate their rule or baseline states; scaling that to the
//!      slow window would add nothing.
//! 5. **Alerts.** At most one alert per camera, account (baseline: class)
//!    and rule, then quiet for the longer of the alerting window and one
//!    hour; after that it re-alerts when the window is still over *and*
//!    the camera has sent more than the threshold again since the alert (a
//!    window still holding the upload already reported is no news). The
//!    baseline windows of a class share one alert, since they measure the
//!    same excess (a 12 MB upload crosses the 1 m and 1 h thresholds
//!    within seconds): when several are over, the one with the highest
//!    ratio is reported. `evidence_ts` is when the sum crossed the threshold,
//!    interpolated within the chunk that crossed it (bytes of a chunk are
//!    spread evenly between the side's previous count and this one), so
//!    the detection delay shows the chunk granularity and, for slow
//!    uploads, the wait for the spread condition. No alert while the camera
//!    is learning. At the end of input, slow uploads still waiting for the
//!    spread condition are checked once more.
//! 6. **Learning.** While a camera learns, its bytes only teach: they go to
//!    learning windows, never to the windows that alert, so the end of
//!    learning does not find an hour of normal traffic waiting to be judged.
//!    The largest one-hour sum of each class (`cloud`, `other`; zero for a
//!    class it did not use) and of each destination address (at most 32 per
//!    camera) is recorded; `camsentry learn` writes them to the baseline
//!    (`upload_per_hour`, `peer_upload_per_hour`), and with `--learn-for`
//!    they apply once learning ends. A learned destination is held to its
//!    own learned hour times `baseline_factor` (never below the baseline
//!    floor), not to the default budget.
//!
//! Evidence (`camsentry.evidence`): `destination_class`, `allowed_by`
//! (`policy`, `baseline` or `none`) and `rule` (the allow rule's target),
//! `bytes` and `window_seconds`, `budget` and `budget_bytes` (EXFIL-1 and
//! -3; for -3 the scaled budget, with `recent_bytes` in the latest
//! `recent_window_seconds` budget window) or `baseline_bytes` (the
//! effective baseline for the window: learned, floored, scaled),
//! `learned_bytes_per_hour` and `baseline_factor` (EXFIL-2),
//! `threshold_bytes`, `ratio` (bytes over budget or baseline), `crossed_at`
//! (the evidence time) and `top_destinations` (up to three: address, name,
//! port, bytes sent while active within the longest window). The alert's
//! destination is the busiest of them; port, community ID and source port
//! are those of the flow that raised the alert when it goes there.
//!
//! Memory is bounded: per camera, a ring of 256 bytes per window of each
//! class and account in use and at most 32 destinations; at most 65,536
//! cameras and 2^20 tracked flows (beyond, flows are counted at their end).
//! Output follows input order only (ordered maps), so it is the same for
//! any number of workers.
//!
//! Bytes are on-the-wire frame lengths, headers and retransmissions
//! included, whatever the snap length cut off.
//!
//! # References
//!
//! MITRE ATT&CK T1041/T1048 (exfiltration over the C2 channel or another
//! protocol), T1030 (data transfer size limits) and T1029 (scheduled
//! transfer), whose suggested detection is exactly this: unusual outbound
//! volume per host compared with its normal. The per-host windowed sums
//! follow Zeek's SumStats framework (per-key sums over epochs compared with
//! thresholds) and ntopng's volume alerts (elephant flows, per-host
//! traffic anomalies); budgets are the passive counterpart of egress rate
//! limits.
//!
//! # What it cannot see
//!
//! Data hidden in the video to the recorder (or relayed by a compromised
//! recorder), uploads below the thresholds spread over more than the slow
//! window, anything on links the sensor does not mirror, and what the
//! bytes are: payloads are not inspected (TLS hides them anyway), so a
//! legitimate cloud backup above its budget alerts like theft. Chunks of
//! 256 KiB make sums exact only at flow end; in between they trail by less
//! than one chunk per live flow.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{Baseline, Context, Detector, PeerClass, is_local_scope};
use crate::alert::{Alert, Category, Rule};
use crate::config::budget::ByteBudget;
use crate::config::policy::{ExfilSettings, Role, Target, Transport};
use crate::flow::Flow;
use crate::flow::community_id::community_id_v1;
use crate::flow::record::transport_name;
use crate::observation::{BYTES_CHUNK, Bytes, Endpoint, FlowId, FlowStart, Observation};
use crate::timestamp::{NANOS_PER_SEC, Nanos, Timestamp};

pub const RULE_BUDGET: Rule = Rule {
    id: "CAMSENTRY-EXFIL-1",
    signature_id: 9_100_301,
    name: "Camera upload exceeded its budget",
    category: Category::Exfil,
    action: "bulk-upload",
    severity: 1,
};

pub const RULE_BASELINE: Rule = Rule {
    id: "CAMSENTRY-EXFIL-2",
    signature_id: 9_100_302,
    name: "Camera upload far above its learned baseline",
    category: Category::Exfil,
    action: "bulk-upload",
    severity: 2,
};

pub const RULE_SLOW: Rule = Rule {
    id: "CAMSENTRY-EXFIL-3",
    signature_id: 9_100_303,
    name: "Camera uploaded steadily to an unlisted destination over a long window",
    category: Category::Exfil,
    action: "slow-upload",
    severity: 2,
};

/// Buckets per window ring.
const SLOTS: usize = 32;
const HOUR: Nanos = 3600 * NANOS_PER_SEC;
const HOUR_DURATION: Duration = Duration::from_secs(3600);
/// The slow threshold is the budget's rate divided by this, over the slow
/// window.
const SLOW_RATE_DIVISOR: u64 = 12;
/// The baseline threshold never goes below the default budget's hourly
/// rate divided by this (per hour of window).
const BASELINE_FLOOR_DIVISOR: u64 = 4;
/// Shortest quiet period after an alert.
const MIN_REALERT: Nanos = HOUR;
/// Camera flows tracked at once; beyond, flows are counted at their end.
const MAX_FLOWS: usize = 1 << 20;
/// Cameras with upload state; beyond, new cameras are not followed.
const MAX_CAMERAS: usize = 65_536;
/// Destinations remembered per camera (for evidence).
const MAX_DESTINATIONS: usize = 32;
/// Destinations listed in an alert.
const TOP_DESTINATIONS: usize = 3;

fn nanos(duration: Duration) -> Nanos {
    duration.as_nanos().min(u128::from(u64::MAX)) as u64
}

/// A destination class that is counted (recorders are not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Class {
    Cloud,
    Other,
}

impl Class {
    const ALL: [Class; 2] = [Class::Cloud, Class::Other];

    fn as_str(self) -> &'static str {
        match self {
            Class::Cloud => "cloud",
            Class::Other => "other",
        }
    }

    fn index(self) -> usize {
        match self {
            Class::Cloud => 0,
            Class::Other => 1,
        }
    }
}

/// What lets a camera send to a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Allowance {
    /// Allow rule `rule` of policy group `group` (indices in file order).
    Rule { group: u16, rule: u16 },
    /// Contacted while learning.
    Learned,
    /// Nothing (the site's DNS/NTP included).
    Unlisted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct AccountKey {
    class: Class,
    allowance: Allowance,
}

/// A sliding window of `SLOTS` buckets.
#[derive(Debug, Clone)]
struct Ring {
    window: Nanos,
    width: Nanos,
    slots: [u64; SLOTS],
    /// Absolute bucket number (`ts / width`) of the newest bucket.
    newest: u64,
    used: bool,
}

impl Ring {
    fn new(window: Nanos) -> Ring {
        let window = window.max(1);
        Ring {
            window,
            width: window.div_ceil(SLOTS as u64).max(1),
            slots: [0; SLOTS],
            newest: 0,
            used: false,
        }
    }

    fn slot(bucket: u64) -> usize {
        (bucket % SLOTS as u64) as usize
    }

    fn add(&mut self, ts: Timestamp, bytes: u64) {
        let bucket = ts.as_nanos() / self.width;
        if !self.used {
            self.used = true;
            self.newest = bucket;
        }
        if bucket > self.newest {
            let gap = bucket - self.newest;
            if gap >= SLOTS as u64 {
                self.slots = [0; SLOTS];
            } else {
                for i in 1..=gap {
                    self.slots[Self::slot(self.newest + i)] = 0;
                }
            }
            self.newest = bucket;
        }
        // Older than the ring reaches (a late flow end): outside every
        // window that can still be asked for.
        if self.newest - bucket >= SLOTS as u64 {
            return;
        }
        let slot = &mut self.slots[Self::slot(bucket)];
        *slot = slot.saturating_add(bytes);
    }

    /// Bytes in the window ending at `now`.
    fn sum(&self, now: Timestamp) -> u64 {
        if !self.used {
            return 0;
        }
        let bucket = now.as_nanos() / self.width;
        let hi = bucket.min(self.newest);
        let lo = bucket
            .saturating_sub(SLOTS as u64 - 1)
            .max(self.newest.saturating_sub(SLOTS as u64 - 1));
        if hi < lo {
            return 0;
        }
        (lo..=hi)
            .map(|b| self.slots[Self::slot(b)])
            .fold(0, u64::saturating_add)
    }
}

/// Rings for a few window lengths.
#[derive(Debug, Clone, Default)]
struct Rings(Vec<Ring>);

impl Rings {
    fn new(windows: impl IntoIterator<Item = Nanos>) -> Rings {
        let mut rings: Vec<Ring> = Vec::new();
        for window in windows {
            let window = window.max(1);
            if !rings.iter().any(|r| r.window == window) {
                rings.push(Ring::new(window));
            }
        }
        rings.sort_by_key(|r| r.window);
        Rings(rings)
    }

    fn add(&mut self, ts: Timestamp, bytes: u64) {
        for ring in &mut self.0 {
            ring.add(ts, bytes);
        }
    }

    fn sum(&self, window: Nanos, now: Timestamp) -> u64 {
        let window = window.max(1);
        self.0
            .iter()
            .find(|r| r.window == window)
            .map_or(0, |r| r.sum(now))
    }
}

/// Threshold state of one (camera, account or class, rule).
#[derive(Debug, Clone, Default)]
struct Trip {
    /// When the sum went over the threshold, while it stays over.
    over_since: Option<Timestamp>,
    /// No alert before this.
    quiet_until: Timestamp,
    last_alert: Option<Timestamp>,
    /// Bytes counted since the last alert.
    fresh: u64,
}

impl Trip {
    /// Updates the state with a comparison at `ts`; returns the evidence
    /// time when an alert is due (`ready` gates it without resetting).
    /// After an alert, another needs `needed` bytes sent since it: a
    /// window still full of the upload already reported is no news.
    fn check(
        &mut self,
        over: bool,
        ready: bool,
        crossing: Timestamp,
        ts: Timestamp,
        needed: u64,
    ) -> Option<Timestamp> {
        if !over {
            self.over_since = None;
            return None;
        }
        let since = *self.over_since.get_or_insert(crossing.min(ts));
        if !ready || ts < self.quiet_until || self.last_alert.is_some() && self.fresh <= needed {
            return None;
        }
        Some(since.max(self.quiet_until).min(ts))
    }

    fn added(&mut self, bytes: u64) {
        self.fresh = self.fresh.saturating_add(bytes);
    }

    fn raised(&mut self, ts: Timestamp, window: Nanos) {
        self.last_alert = Some(ts);
        self.quiet_until = ts.plus(window.max(MIN_REALERT));
        self.fresh = 0;
    }
}

#[derive(Debug, Clone)]
struct Account {
    budget: Option<ByteBudget>,
    rings: Rings,
    budget_trip: Trip,
    slow_trip: Trip,
}

#[derive(Debug, Clone)]
struct ClassState {
    rings: Rings,
    trip: Trip,
}

#[derive(Debug, Clone)]
struct DestStat {
    bytes: u64,
    port: u16,
    proto: u8,
    last_ts: Timestamp,
}

#[derive(Debug, Default)]
struct CameraState {
    classes: BTreeMap<Class, ClassState>,
    accounts: BTreeMap<AccountKey, Account>,
    destinations: BTreeMap<(AccountKey, IpAddr), DestStat>,
    /// Largest one-hour upload per class while learning; `None` when the
    /// camera was never seen learning.
    learned: Option<[u64; 2]>,
    /// While learning: the last hour's uploads per class, and per
    /// destination with its largest one-hour sum so far (at most
    /// [`MAX_DESTINATIONS`]; further destinations keep the default budget).
    learning_hours: BTreeMap<Class, Rings>,
    learned_peers: BTreeMap<IpAddr, (Rings, u64)>,
}

/// The flow an upload belongs to (for the alert's destination).
#[derive(Debug, Clone, Copy)]
struct FlowRef {
    initiator: (IpAddr, u16),
    responder: (IpAddr, u16),
    proto: u8,
    vlan: u16,
    one_way: bool,
}

/// One counted direction of a camera flow.
#[derive(Debug, Clone, Copy)]
struct Side {
    camera: IpAddr,
    camera_port: u16,
    peer: IpAddr,
    /// The peer's service port (0 when the camera answered the flow).
    peer_port: u16,
    key: AccountKey,
    budget: Option<ByteBudget>,
    /// Bytes already counted (whole chunks).
    counted: u64,
    /// Time of the last count (flow start at first).
    last_ts: Timestamp,
}

#[derive(Debug, Clone, Copy)]
struct FlowState {
    flow: FlowRef,
    /// Sent by the initiator, by the responder.
    sides: [Option<Side>; 2],
}

/// Bytes a camera sent, being counted.
struct Upload {
    side: Side,
    flow: FlowRef,
    bytes: u64,
    /// The bytes were sent between `from` and `ts`.
    from: Timestamp,
    ts: Timestamp,
}

pub struct Exfil {
    windows: Vec<Nanos>,
    baseline_factor: f64,
    default_budget: ByteBudget,
    slow_window: Nanos,
    /// Smallest baseline threshold per hour of window.
    baseline_floor: u64,
    /// Longest window of any kind (destination statistics expire after it).
    longest: Nanos,
    flows: HashMap<FlowId, FlowState>,
    cameras: BTreeMap<IpAddr, CameraState>,
    /// Latest packet time seen. Windows are compared at this time, not at
    /// the observation's: a flow end carries the flow's last packet time
    /// and may arrive long after it (inactivity timeouts).
    now: Timestamp,
}

impl Exfil {
    pub fn new(settings: &ExfilSettings) -> Exfil {
        let windows: Vec<Nanos> = settings.windows.iter().map(|w| nanos(*w).max(1)).collect();
        let slow_window = nanos(settings.slow_window).max(1);
        let longest = windows
            .iter()
            .copied()
            .chain([slow_window, HOUR, nanos(settings.default_budget.window())])
            .max()
            .unwrap_or(HOUR);
        Exfil {
            windows,
            baseline_factor: if settings.baseline_factor.is_finite()
                && settings.baseline_factor > 1.0
            {
                settings.baseline_factor
            } else {
                4.0
            },
            default_budget: settings.default_budget,
            slow_window,
            baseline_floor: (u128::from(settings.default_budget.bytes()) * u128::from(HOUR)
                / (u128::from(nanos(settings.default_budget.window()).max(1))
                    * u128::from(BASELINE_FLOOR_DIVISOR)))
            .min(u128::from(u64::MAX)) as u64,
            longest,
            flows: HashMap::new(),
            cameras: BTreeMap::new(),
            now: Timestamp::ZERO,
        }
    }

    /// The account of bytes `camera` sends to `peer`, and its budget, or
    /// `None` when they are not counted. `service_port` is the peer's port
    /// when the camera initiated the flow.
    fn classify(
        &self,
        context: &Context<'_>,
        camera: IpAddr,
        peer: IpAddr,
        service_port: Option<u16>,
        proto: u8,
    ) -> Option<(AccountKey, Option<ByteBudget>)> {
        if is_local_scope(peer) {
            return None;
        }
        let port = service_port.unwrap_or(0);
        let (class, allowance, budget) = match context.peer_class(camera, peer, port, proto) {
            None | Some(PeerClass::Infrastructure) => {
                (Class::Other, Allowance::Unlisted, Some(self.default_budget))
            }
            Some(
                PeerClass::Recorder | PeerClass::LocalScope | PeerClass::Policy(Role::Recorder),
            ) => {
                return None;
            }
            Some(PeerClass::Learned) => {
                let class = if context.policy.is_internal(peer) {
                    Class::Other
                } else {
                    Class::Cloud
                };
                // Held to what it was seen to take while learning, never to
                // the default budget: a NAS taking snapshots at 40 MB/h is
                // normal for this camera.
                let budget = match self.learned_rate(context, camera, peer) {
                    Some(rate) => self.learned_budget(rate),
                    None if class == Class::Other => Some(self.default_budget),
                    None => None,
                };
                (class, Allowance::Learned, budget)
            }
            Some(PeerClass::Policy(role)) => {
                let class = if role == Role::Cloud {
                    Class::Cloud
                } else {
                    Class::Other
                };
                match rule_of(context, camera, peer, port, proto) {
                    Some((group, rule, budget)) => {
                        let budget = match class {
                            Class::Cloud => budget,
                            Class::Other => budget.or(Some(self.default_budget)),
                        };
                        (class, Allowance::Rule { group, rule }, budget)
                    }
                    None => (Class::Other, Allowance::Unlisted, Some(self.default_budget)),
                }
            }
        };
        Some((AccountKey { class, allowance }, budget))
    }

    /// The largest hourly upload `camera` sent `peer` while learning: this
    /// run's own learning, else the baseline file's.
    fn learned_rate(&self, context: &Context<'_>, camera: IpAddr, peer: IpAddr) -> Option<u64> {
        let own = self
            .cameras
            .get(&camera)
            .and_then(|c| c.learned_peers.get(&peer))
            .map(|(_, max)| *max);
        own.max(context.baseline.peer_upload_per_hour(camera, peer))
    }

    /// A learned rate as an hourly budget: `baseline_factor` times the rate,
    /// never below the baseline floor.
    fn learned_budget(&self, rate: u64) -> Option<ByteBudget> {
        let scaled = (rate as f64 * self.baseline_factor).min(u64::MAX as f64) as u64;
        ByteBudget::new(scaled.max(self.baseline_floor).max(1), HOUR_DURATION).ok()
    }

    /// Re-reads a side's class and budget at the time bytes are counted: a
    /// recorder recognised after the flow began (its session predates the
    /// capture) stops the count; a destination learned since gets its
    /// learned budget. `false` when the side is no longer counted.
    fn reclassify(&self, context: &Context<'_>, side: &mut Side, proto: u8) -> bool {
        let service_port = (side.peer_port != 0).then_some(side.peer_port);
        match self.classify(context, side.camera, side.peer, service_port, proto) {
            Some((key, budget)) => {
                side.key = key;
                side.budget = budget;
                true
            }
            None => false,
        }
    }

    fn side(
        &self,
        context: &Context<'_>,
        camera: Endpoint,
        peer: Endpoint,
        camera_initiated: bool,
        proto: u8,
        ts: Timestamp,
    ) -> Option<Side> {
        let service_port = camera_initiated.then_some(peer.port);
        let (key, budget) = self.classify(context, camera.ip, peer.ip, service_port, proto)?;
        Some(Side {
            camera: camera.ip,
            camera_port: camera.port,
            peer: peer.ip,
            peer_port: service_port.unwrap_or(0),
            key,
            budget,
            counted: 0,
            last_ts: ts,
        })
    }

    fn flow_start(&mut self, context: &Context<'_>, start: &FlowStart) {
        let FlowStart {
            id,
            ts,
            initiator,
            responder,
            proto,
            vlan,
            icmp_one_way: one_way,
            ..
        } = *start;
        if self.flows.len() >= MAX_FLOWS {
            return;
        }
        let sides = [
            context
                .is_camera(initiator.ip)
                .then(|| self.side(context, initiator, responder, true, proto, ts))
                .flatten(),
            context
                .is_camera(responder.ip)
                .then(|| self.side(context, responder, initiator, false, proto, ts))
                .flatten(),
        ];
        if sides.iter().all(Option::is_none) {
            return;
        }
        self.flows.insert(
            id,
            FlowState {
                flow: FlowRef {
                    initiator: (initiator.ip, initiator.port),
                    responder: (responder.ip, responder.port),
                    proto,
                    vlan,
                    one_way,
                },
                sides,
            },
        );
    }

    fn bytes(&mut self, context: &Context<'_>, bytes: &Bytes, alerts: &mut Vec<Alert>) {
        let Bytes {
            ref id,
            ts,
            from_initiator,
            chunks,
            ..
        } = *bytes;
        let Some(state) = self.flows.get(id) else {
            return;
        };
        let direction = usize::from(!from_initiator);
        let flow = state.flow;
        let Some(mut current) = state.sides[direction] else {
            return;
        };
        let counted = self.reclassify(context, &mut current, flow.proto);
        let Some(state) = self.flows.get_mut(id) else {
            return;
        };
        if !counted {
            state.sides[direction] = None;
            return;
        }
        let Some(side) = state.sides[direction].as_mut() else {
            return;
        };
        side.key = current.key;
        side.budget = current.budget;
        let bytes = u64::from(chunks).saturating_mul(BYTES_CHUNK);
        let upload = Upload {
            side: *side,
            flow,
            bytes,
            from: side.last_ts,
            ts,
        };
        side.counted = side.counted.saturating_add(bytes);
        side.last_ts = ts;
        self.count(context, upload, alerts);
    }

    fn flow_end(&mut self, context: &Context<'_>, flow: &Flow, alerts: &mut Vec<Alert>) {
        let id = FlowId {
            key: flow.key,
            first_seq: flow.first_seq,
        };
        let ts = flow.last_ts;
        if let Some(state) = self.flows.remove(&id) {
            for (direction, side) in state.sides.iter().enumerate() {
                let Some(mut side) = *side else { continue };
                if !self.reclassify(context, &mut side, state.flow.proto) {
                    continue;
                }
                let rest = flow.bytes[direction].saturating_sub(side.counted);
                if rest > 0 {
                    let upload = Upload {
                        side,
                        flow: state.flow,
                        bytes: rest,
                        from: side.last_ts,
                        ts,
                    };
                    self.count(context, upload, alerts);
                }
            }
            return;
        }
        // Not tracked at its start: count it whole now.
        let initiator = flow.initiator();
        let responder = flow.responder();
        let flow_ref = FlowRef {
            initiator,
            responder,
            proto: flow.key.proto,
            vlan: flow.key.vlan,
            one_way: flow.icmp_one_way,
        };
        let ends = [(initiator, responder, true), (responder, initiator, false)];
        for (direction, (camera, peer, initiated)) in ends.into_iter().enumerate() {
            let bytes = flow.bytes[direction];
            if bytes == 0 || !context.is_camera(camera.0) {
                continue;
            }
            let endpoint = |(ip, port): (IpAddr, u16)| Endpoint {
                ip,
                port,
                mac: [0; 6],
            };
            let Some(side) = self.side(
                context,
                endpoint(camera),
                endpoint(peer),
                initiated,
                flow.key.proto,
                flow.first_ts,
            ) else {
                continue;
            };
            let upload = Upload {
                side,
                flow: flow_ref,
                bytes,
                from: flow.first_ts,
                ts,
            };
            self.count(context, upload, alerts);
        }
    }

    /// Adds an upload to its camera's windows and checks the thresholds.
    fn count(&mut self, context: &Context<'_>, upload: Upload, alerts: &mut Vec<Alert>) {
        let camera = upload.side.camera;
        if !self.cameras.contains_key(&camera) && self.cameras.len() >= MAX_CAMERAS {
            return;
        }
        let slow_window = self.slow_window;
        let longest = self.longest;
        let key = upload.side.key;
        let ts = upload.ts;
        let now = self.now.max(ts);
        let windows = &self.windows;
        let state = self.cameras.entry(camera).or_default();

        // Destination statistics (evidence only).
        state
            .destinations
            .retain(|_, d| now.since(d.last_ts) <= longest);
        let dest_key = (key, upload.side.peer);
        if !state.destinations.contains_key(&dest_key)
            && state.destinations.len() >= MAX_DESTINATIONS
            && let Some(smallest) = state
                .destinations
                .iter()
                .min_by_key(|(k, d)| (d.bytes, d.last_ts, **k))
                .map(|(k, _)| *k)
        {
            state.destinations.remove(&smallest);
        }
        // While learning, bytes only teach: they go to the learning hours,
        // never to the windows that alert, so the end of learning does not
        // find a full hour of video waiting to be judged.
        if context.is_learning(camera, ts) {
            let hour = state
                .learning_hours
                .entry(key.class)
                .or_insert_with(|| Rings::new([HOUR]));
            hour.add(ts, upload.bytes);
            let class_hour = hour.sum(HOUR, ts);
            let learned = state.learned.get_or_insert([0; 2]);
            let slot = &mut learned[key.class.index()];
            *slot = (*slot).max(class_hour);
            let peer = upload.side.peer;
            if state.learned_peers.contains_key(&peer)
                || state.learned_peers.len() < MAX_DESTINATIONS
            {
                let (ring, max) = state
                    .learned_peers
                    .entry(peer)
                    .or_insert_with(|| (Rings::new([HOUR]), 0));
                ring.add(ts, upload.bytes);
                *max = (*max).max(ring.sum(HOUR, ts));
            }
            return;
        }
        let dest = state.destinations.entry(dest_key).or_insert(DestStat {
            bytes: 0,
            port: upload.side.peer_port,
            proto: upload.flow.proto,
            last_ts: ts,
        });
        dest.bytes = dest.bytes.saturating_add(upload.bytes);
        dest.port = upload.side.peer_port;
        dest.proto = upload.flow.proto;
        dest.last_ts = dest.last_ts.max(ts);

        // The account (budget and slow windows).
        let budget = upload.side.budget;
        let account_windows = |budget: Option<ByteBudget>| {
            let mut list: Vec<Nanos> = Vec::new();
            if let Some(b) = budget {
                list.push(nanos(b.window()));
                if key.allowance == Allowance::Unlisted {
                    list.push(slow_window);
                }
            }
            list
        };
        let account = state.accounts.entry(key).or_insert_with(|| Account {
            budget,
            rings: Rings::new(account_windows(budget)),
            budget_trip: Trip::default(),
            slow_trip: Trip::default(),
        });
        if account.budget.map(|b| b.window()) != budget.map(|b| b.window()) {
            // The policy changed the budget's window: start the windows over.
            account.rings = Rings::new(account_windows(budget));
            account.budget_trip = Trip::default();
            account.slow_trip = Trip::default();
        }
        account.budget = budget;
        account.rings.add(ts, upload.bytes);
        account.budget_trip.added(upload.bytes);
        account.slow_trip.added(upload.bytes);

        // The class (baseline windows and the learning hour).
        let class = state
            .classes
            .entry(key.class)
            .or_insert_with(|| ClassState {
                rings: Rings::new(windows.iter().copied().chain([HOUR])),
                trip: Trip::default(),
            });
        class.rings.add(ts, upload.bytes);
        class.trip.added(upload.bytes);
        self.check_class(context, camera, key.class, Some(&upload), now, alerts);
        self.check_account(context, camera, key, Some(&upload), now, alerts);
    }

    /// Budget and slow rules of one account.
    fn check_account(
        &mut self,
        context: &Context<'_>,
        camera: IpAddr,
        key: AccountKey,
        upload: Option<&Upload>,
        ts: Timestamp,
        alerts: &mut Vec<Alert>,
    ) {
        let slow_window = self.slow_window;
        let Some(state) = self.cameras.get_mut(&camera) else {
            return;
        };
        // A learned destination's budget is its learned hour: when the
        // class's learned hour has just reported the same excess, a second
        // alert would say nothing new.
        let class_reported = state
            .classes
            .get(&key.class)
            .is_some_and(|c| c.trip.last_alert.is_some() && ts < c.trip.quiet_until);
        let Some(account) = state.accounts.get_mut(&key) else {
            return;
        };
        let Some(budget) = account.budget else {
            return;
        };
        if key.allowance == Allowance::Learned && class_reported {
            return;
        }
        let added = upload.map_or(0, |u| u.bytes);
        let budget_window = nanos(budget.window()).max(1);
        let sum = account.rings.sum(budget_window, ts);
        let limit = budget.bytes();
        let crossing = crossing_time(upload, ts, sum, added, limit);
        let mut raised = Vec::new();
        if let Some(evidence_ts) = account
            .budget_trip
            .check(sum > limit, true, crossing, ts, limit)
        {
            account.budget_trip.raised(ts, budget_window);
            let mut evidence = Map::new();
            evidence.insert("budget".into(), json!(budget.to_string()));
            evidence.insert("budget_bytes".into(), json!(limit));
            evidence.insert("threshold_bytes".into(), json!(limit));
            evidence.insert("ratio".into(), json!(ratio(sum, limit)));
            raised.push((RULE_BUDGET, evidence_ts, sum, budget_window, evidence));
        }
        if key.allowance == Allowance::Unlisted {
            let slow_sum = account.rings.sum(slow_window, ts);
            let scaled = u128::from(limit) * u128::from(slow_window)
                / (u128::from(budget_window) * u128::from(SLOW_RATE_DIVISOR));
            let slow_limit = scaled.clamp(1, u128::from(u64::MAX)) as u64;
            let recent = sum;
            let spread = recent.saturating_mul(2) <= slow_sum;
            let after_budget_alert = account
                .budget_trip
                .last_alert
                .is_some_and(|t| ts.since(t) < slow_window);
            let crossing = crossing_time(upload, ts, slow_sum, added, slow_limit);
            if let Some(evidence_ts) = account.slow_trip.check(
                slow_sum > slow_limit,
                spread && !after_budget_alert,
                crossing,
                ts,
                slow_limit,
            ) {
                account.slow_trip.raised(ts, slow_window);
                let mut evidence = Map::new();
                evidence.insert("budget".into(), json!(budget.to_string()));
                evidence.insert("budget_bytes".into(), json!(slow_limit));
                evidence.insert("threshold_bytes".into(), json!(slow_limit));
                evidence.insert("recent_bytes".into(), json!(recent));
                evidence.insert(
                    "recent_window_seconds".into(),
                    json!(budget_window / NANOS_PER_SEC),
                );
                evidence.insert("ratio".into(), json!(ratio(slow_sum, slow_limit)));
                raised.push((RULE_SLOW, evidence_ts, slow_sum, slow_window, evidence));
            }
        }
        for (rule, evidence_ts, bytes, window, evidence) in raised {
            let alert = self.alert(
                context,
                rule,
                camera,
                key.class,
                Some(key),
                upload,
                (ts, evidence_ts),
                (bytes, window),
                evidence,
            );
            alerts.push(alert);
        }
    }

    /// The baseline rule of one class.
    fn check_class(
        &mut self,
        context: &Context<'_>,
        camera: IpAddr,
        class: Class,
        upload: Option<&Upload>,
        ts: Timestamp,
        alerts: &mut Vec<Alert>,
    ) {
        let factor = self.baseline_factor;
        let Some(state) = self.cameras.get_mut(&camera) else {
            return;
        };
        let own = state.learned.map(|l| l[class.index()]);
        let stored = context.baseline.upload_per_hour(camera, class.as_str());
        let Some(learned) = own.max(stored) else {
            return;
        };
        let Some(class_state) = state.classes.get_mut(&class) else {
            return;
        };
        let added = upload.map_or(0, |u| u.bytes);
        let mut over = false;
        let mut crossing = ts;
        // The smallest threshold that is crossed: what a re-alert needs
        // afresh.
        let mut needed = u64::MAX;
        // (ratio, window, sum, effective baseline, threshold) of the
        // window reported.
        let mut worst: Option<(f64, Nanos, u64, u64, u64)> = None;
        for &window in &self.windows {
            let hours = (window as f64 / HOUR as f64).max(1.0);
            let floor = self.baseline_floor as f64 / factor;
            let baseline = (learned as f64).max(floor) * hours;
            let threshold = (baseline * factor).min(u64::MAX as f64) as u64;
            let baseline = baseline.min(u64::MAX as f64) as u64;
            let sum = class_state.rings.sum(window, ts);
            if sum <= threshold {
                continue;
            }
            over = true;
            crossing = crossing.min(crossing_time(upload, ts, sum, added, threshold));
            needed = needed.min(threshold);
            let r = ratio(sum, baseline.max(1));
            if worst.is_none_or(|w| r > w.0) {
                worst = Some((r, window, sum, baseline, threshold));
            }
        }
        let Some(evidence_ts) = class_state.trip.check(over, true, crossing, ts, needed) else {
            return;
        };
        let Some((r, window, sum, baseline, threshold)) = worst else {
            return;
        };
        class_state.trip.raised(ts, window);
        let mut evidence = Map::new();
        evidence.insert("baseline_bytes".into(), json!(baseline));
        evidence.insert("learned_bytes_per_hour".into(), json!(learned));
        evidence.insert("baseline_factor".into(), json!(factor));
        evidence.insert("threshold_bytes".into(), json!(threshold));
        evidence.insert("ratio".into(), json!(r));
        let alert = self.alert(
            context,
            RULE_BASELINE,
            camera,
            class,
            None,
            upload,
            (ts, evidence_ts),
            (sum, window),
            evidence,
        );
        alerts.push(alert);
    }

    /// Builds an alert about `camera`'s uploads of `class` (one account of
    /// it when `key` is given).
    #[allow(clippy::too_many_arguments)]
    fn alert(
        &self,
        context: &Context<'_>,
        rule: Rule,
        camera: IpAddr,
        class: Class,
        key: Option<AccountKey>,
        upload: Option<&Upload>,
        (ts, evidence_ts): (Timestamp, Timestamp),
        (bytes, window): (u64, Nanos),
        extra: Map<String, Value>,
    ) -> Alert {
        let mut alert = context.camera_alert(rule, camera, ts);
        alert.evidence_ts = evidence_ts;
        let state = self.cameras.get(&camera);
        let mut top: Vec<(&(AccountKey, IpAddr), &DestStat)> = state
            .map(|s| {
                s.destinations
                    .iter()
                    .filter(|((k, _), _)| k.class == class && key.is_none_or(|key| *k == key))
                    .collect()
            })
            .unwrap_or_default();
        top.sort_by(|a, b| b.1.bytes.cmp(&a.1.bytes).then(a.0.cmp(b.0)));
        top.truncate(TOP_DESTINATIONS);
        // The destination: the busiest one, else the flow that raised the
        // alert; flow details when that flow goes to it.
        let destination = top
            .first()
            .map(|((_, ip), d)| (*ip, d.port, d.proto))
            .or_else(|| upload.map(|u| (u.side.peer, u.side.peer_port, u.flow.proto)));
        if let Some((ip, port, proto)) = destination {
            let has_ports = matches!(proto, 6 | 17 | 132);
            alert.destination_ip = Some(ip);
            alert.destination_port = (has_ports && port != 0).then_some(port);
            alert.destination_domain = context.names.lookup(camera, ip).map(str::to_string);
            alert.transport = Some(transport_name(proto));
        }
        if let Some(u) = upload {
            let flow = u.flow;
            alert.vlan = (flow.vlan != 0).then_some(flow.vlan);
            if destination.is_some_and(|(ip, _, _)| ip == u.side.peer) {
                let has_ports = matches!(flow.proto, 6 | 17 | 132);
                alert.source_port = has_ports.then_some(u.side.camera_port);
                alert.community_id = Some(community_id_v1(
                    0,
                    flow.proto,
                    flow.initiator.0,
                    flow.responder.0,
                    flow.initiator.1,
                    flow.responder.1,
                    flow.one_way,
                ));
            }
        }
        let allowance = key.map(|k| k.allowance).or_else(|| {
            // A class alert: what allows its busiest destination.
            top.first().map(|((k, _), _)| k.allowance)
        });
        let (allowed_by, rule_target) = match allowance {
            Some(Allowance::Rule { group, rule }) => ("policy", rule_target(context, group, rule)),
            Some(Allowance::Learned) => ("baseline", None),
            Some(Allowance::Unlisted) | None => ("none", None),
        };
        let evidence = &mut alert.evidence;
        evidence.insert("destination_class".into(), json!(class.as_str()));
        evidence.insert("allowed_by".into(), json!(allowed_by));
        if let Some(target) = rule_target {
            evidence.insert("rule".into(), json!(target));
        }
        evidence.insert("bytes".into(), json!(bytes));
        evidence.insert("window_seconds".into(), json!(window / NANOS_PER_SEC));
        for (name, value) in extra {
            evidence.insert(name, value);
        }
        evidence.insert(
            "crossed_at".into(),
            json!(evidence_ts.rfc3339_micros().to_string()),
        );
        let list: Vec<Value> = top
            .iter()
            .map(|((_, ip), d)| {
                json!({
                    "ip": ip.to_string(),
                    "domain": context.names.lookup(camera, *ip),
                    "port": (d.port != 0).then_some(d.port),
                    "bytes": d.bytes,
                })
            })
            .collect();
        evidence.insert("top_destinations".into(), Value::Array(list));
        alert
    }
}

/// The allow rule that lets `camera` reach `peer`: group and rule indices
/// and the rule's budget.
fn rule_of(
    context: &Context<'_>,
    camera: IpAddr,
    peer: IpAddr,
    port: u16,
    proto: u8,
) -> Option<(u16, u16, Option<ByteBudget>)> {
    let host = context.inventory.host(camera);
    let vendor = host.and_then(|h| h.vendor.map(|v| v.name));
    let group = context
        .policy
        .group_for(camera, host.and_then(|h| h.mac), vendor)?;
    let name = context.names.lookup(camera, peer);
    let port_opt = matches!(proto, 6 | 17 | 132).then_some(port);
    let rule = group.allows(peer, name, port_opt, Transport::from_ip_proto(proto))?;
    let group_index = context
        .policy
        .groups()
        .iter()
        .position(|g| std::ptr::eq(g, group))?;
    let rule_index = group.rules().iter().position(|r| std::ptr::eq(r, rule))?;
    Some((
        u16::try_from(group_index).unwrap_or(u16::MAX),
        u16::try_from(rule_index).unwrap_or(u16::MAX),
        rule.budget(),
    ))
}

/// The target of allow rule `rule` of group `group`, as written.
fn rule_target(context: &Context<'_>, group: u16, rule: u16) -> Option<String> {
    let rule = context
        .policy
        .groups()
        .get(usize::from(group))?
        .rules()
        .get(usize::from(rule))?;
    Some(match rule.target() {
        Target::Network(cidr) => cidr.to_string(),
        Target::Name(pattern) => pattern.to_string(),
    })
}

/// When the sum crossed `limit`, assuming the `added` bytes of `upload`
/// were sent evenly since its previous count; `upload.ts` when the sum was
/// already over before them, `ts` when there is no upload.
fn crossing_time(
    upload: Option<&Upload>,
    ts: Timestamp,
    sum: u64,
    added: u64,
    limit: u64,
) -> Timestamp {
    let Some(upload) = upload else {
        return ts;
    };
    let before = sum.saturating_sub(added);
    if added == 0 || before > limit || upload.from >= upload.ts {
        return upload.ts;
    }
    let needed = (limit - before).saturating_add(1).min(added);
    let span = upload.ts.since(upload.from);
    let offset = u128::from(span) * u128::from(needed) / u128::from(added);
    upload.from.plus(offset.min(u128::from(span)) as u64)
}

/// `bytes / limit`, rounded to three decimals.
fn ratio(bytes: u64, limit: u64) -> f64 {
    let r = bytes as f64 / limit.max(1) as f64;
    (r * 1000.0).round() / 1000.0
}

impl Detector for Exfil {
    fn category(&self) -> Category {
        Category::Exfil
    }

    fn observe(
        &mut self,
        context: &Context<'_>,
        observation: &Observation,
        alerts: &mut Vec<Alert>,
    ) {
        self.now = self.now.max(observation.ts());
        match observation {
            Observation::FlowStart(start) => self.flow_start(context, start),
            Observation::Bytes(bytes) => self.bytes(context, bytes, alerts),
            Observation::FlowEnd(end) => self.flow_end(context, &end.flow, alerts),
            _ => {}
        }
    }

    /// End of input: slow uploads that were waiting for their spread
    /// condition are checked once more at the last packet time.
    fn finish(&mut self, context: &Context<'_>, now: Timestamp, alerts: &mut Vec<Alert>) {
        let now = self.now.max(now);
        self.now = now;
        let pending: Vec<(IpAddr, AccountKey)> = self
            .cameras
            .iter()
            .flat_map(|(camera, state)| {
                state
                    .accounts
                    .iter()
                    .filter(|(_, a)| a.slow_trip.over_since.is_some())
                    .map(move |(key, _)| (*camera, *key))
            })
            .collect();
        for (camera, key) in pending {
            if !context.is_learning(camera, now) {
                self.check_account(context, camera, key, None, now, alerts);
            }
        }
    }

    fn learned(&self, baseline: &mut Baseline) {
        for (camera, state) in &self.cameras {
            if let Some(learned) = state.learned {
                for class in Class::ALL {
                    baseline.learn_upload(*camera, class.as_str(), learned[class.index()]);
                }
                for (peer, (_, max)) in &state.learned_peers {
                    baseline.learn_peer_upload(*camera, *peer, *max);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Policy;
    use crate::decode::{Fragment, PacketView};
    use crate::detect::Knowledge;
    use crate::detect::LearnedPeer;
    use crate::flow::{EndReason, FlowKey, FlowTable, Timeouts};
    use crate::observation::{DnsAnswer, FlowEnd, OnvifProbe, RtspServer};

    const T0: u64 = 1_767_600_000;
    const MB: u64 = 1_000_000;
    const CAM: &str = "10.20.0.11";
    const RECORDER: &str = "10.20.0.2";
    const EVIL: &str = "198.51.100.66";
    const CLOUD: &str = "203.0.113.11";
    const NO_BUDGET_CLOUD: &str = "203.0.113.50";

    const POLICY: &str = r#"
[site]
recorders = ["10.20.0.2"]
dns = ["10.20.0.1"]

[[group]]
name = "cameras"
match = { cidr = ["10.20.0.0/24"] }
  [[group.allow]]
  to = "*.camcloud.example"
  ports = [443]
  transport = "tcp"
  role = "cloud"
  budget = "5MB/1h"
  [[group.allow]]
  to = "203.0.113.50"
  role = "cloud"
  [[group.allow]]
  to = "192.0.2.0/24"
"#;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn at(secs: u64) -> Timestamp {
        Timestamp::from_secs(T0 + secs)
    }

    fn endpoint(address: &str, port: u16) -> Endpoint {
        let ip = ip(address);
        let last = match ip {
            IpAddr::V4(v4) => v4.octets()[3],
            IpAddr::V6(_) => 0,
        };
        Endpoint {
            ip,
            port,
            mac: [0x02, 0, 0, 0, 0, last],
        }
    }

    fn view(src: &Endpoint, dst: &Endpoint, proto: u8) -> PacketView {
        PacketView {
            src: src.ip,
            dst: dst.ip,
            src_port: src.port,
            dst_port: dst.port,
            proto,
            icmp_one_way: false,
            vlan: 20,
            inner_vlan: 0,
            src_mac: src.mac,
            dst_mac: dst.mac,
            tcp_flags: 0,
            fragment: Fragment::None,
            payload_offset: 0,
            payload_len: 0,
            quoted: None,
            encap: 0,
        }
    }

    /// A finished flow from `initiator` to `responder` that sent
    /// `bytes[0]` and `bytes[1]` between `start` and `end`.
    fn finished_flow(
        initiator: &Endpoint,
        responder: &Endpoint,
        (start, end): (Timestamp, Timestamp),
        bytes: [u64; 2],
        seq: u64,
    ) -> Flow {
        let mut table = FlowTable::new(16, Timeouts::default());
        let mut ended: Vec<Flow> = Vec::new();
        let mut on_end = |f: &Flow, _| ended.push(f.clone());
        let packet = |table: &mut FlowTable,
                      on_end: &mut dyn FnMut(&Flow, EndReason),
                      from: &Endpoint,
                      to: &Endpoint,
                      len: u64,
                      ts: Timestamp,
                      seq: u64| {
            let key = FlowKey::new(from.ip, from.port, to.ip, to.port, 6, 20, 0);
            let len = u32::try_from(len).unwrap_or(u32::MAX);
            table.update(&view(from, to, 6), key, len, ts, seq, &mut |f, r| {
                on_end(f, r)
            });
        };
        let first = bytes[0].min(100);
        packet(
            &mut table,
            &mut on_end,
            initiator,
            responder,
            first,
            start,
            seq,
        );
        // Empty packets every 10 s keep the flow from timing out.
        let mut ts = start.plus(10 * NANOS_PER_SEC);
        while ts < end {
            packet(&mut table, &mut on_end, initiator, responder, 0, ts, seq);
            ts = ts.plus(10 * NANOS_PER_SEC);
        }
        if bytes[0] > first {
            packet(
                &mut table,
                &mut on_end,
                initiator,
                responder,
                bytes[0] - first,
                end,
                seq + 1,
            );
        }
        if bytes[1] > 0 {
            packet(
                &mut table,
                &mut on_end,
                responder,
                initiator,
                bytes[1],
                end,
                seq + 2,
            );
        }
        table.flush(end, &mut on_end);
        ended.pop().unwrap_or_else(|| panic!("no flow"))
    }

    struct Site {
        knowledge: Knowledge,
        exfil: Exfil,
        alerts: Vec<Alert>,
        seq: u64,
    }

    impl Site {
        fn new(policy: &str, baseline: Baseline, learn_for: Nanos) -> Site {
            let policy = Policy::from_str(policy, "test.toml").unwrap_or_else(|e| panic!("{e}"));
            let exfil = Exfil::new(&policy.detect().exfil);
            Site {
                knowledge: Knowledge::new(policy, baseline, learn_for),
                exfil,
                alerts: Vec::new(),
                seq: 0,
            }
        }

        fn feed(&mut self, observation: Observation) {
            self.knowledge.observe(&observation);
            let context = self.knowledge.context();
            self.exfil.observe(&context, &observation, &mut self.alerts);
        }

        fn finish(&mut self, now: Timestamp) {
            let context = self.knowledge.context();
            self.exfil.finish(&context, now, &mut self.alerts);
        }

        fn resolve(&mut self, name: &str, address: &str, secs: u64) {
            self.feed(Observation::DnsAnswer(DnsAnswer {
                ts: at(secs),
                client: ip(CAM),
                name: Box::from(name),
                address: ip(address),
            }));
        }

        /// A flow whose initiator sends `bytes[0]` and responder `bytes[1]`
        /// evenly from `start` to `end` (seconds after T0), with the chunk
        /// and end observations the workers would emit.
        fn flow(
            &mut self,
            initiator: Endpoint,
            responder: Endpoint,
            start: u64,
            end: u64,
            bytes: [u64; 2],
        ) {
            self.seq += 10;
            let (t0, t1) = (at(start), at(end));
            let flow = finished_flow(&initiator, &responder, (t0, t1), bytes, self.seq);
            let id = FlowId {
                key: flow.key,
                first_seq: flow.first_seq,
            };
            self.feed(Observation::FlowStart(FlowStart {
                id,
                ts: t0,
                initiator,
                responder,
                proto: 6,
                vlan: 20,
                icmp_one_way: false,
                first_bytes: 60,
                midstream: false,
                sender_is_initiator: true,
                media: false,
            }));
            // Chunk crossings of both sides, in time order.
            let mut chunks: Vec<(Timestamp, bool)> = Vec::new();
            for (side, total) in bytes.iter().enumerate() {
                for k in 1..=total / BYTES_CHUNK {
                    let offset =
                        t1.since(t0) as u128 * u128::from(k * BYTES_CHUNK) / u128::from(*total);
                    chunks.push((t0.plus(offset as u64), side == 0));
                }
            }
            chunks.sort_by_key(|c| (c.0, !c.1));
            for (ts, from_initiator) in chunks {
                self.feed(Observation::Bytes(Bytes {
                    id,
                    ts,
                    from_initiator,
                    chunks: 1,
                    media: false,
                    sender: if from_initiator {
                        initiator.ip
                    } else {
                        responder.ip
                    },
                }));
            }
            self.feed(Observation::FlowEnd(FlowEnd {
                flow: Box::new(flow),
                reason: EndReason::Fin,
            }));
        }

        /// The camera uploads `bytes` to `peer:port` between `start` and
        /// `end`, with small answers.
        fn upload(&mut self, peer: &str, port: u16, start: u64, end: u64, bytes: u64) {
            let answer = (bytes / 50).max(60);
            self.flow(
                endpoint(CAM, 40000 + (self.seq % 20000) as u16),
                endpoint(peer, port),
                start,
                end,
                [bytes, answer],
            );
        }

        fn rules(&self) -> Vec<&'static str> {
            self.alerts.iter().map(|a| a.rule.id).collect()
        }
    }

    fn evidence_u64(alert: &Alert, key: &str) -> u64 {
        alert.evidence[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key}: {:?}", alert.evidence))
    }

    fn evidence_f64(alert: &Alert, key: &str) -> f64 {
        alert.evidence[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key}: {:?}", alert.evidence))
    }

    #[test]
    fn rings_slide_and_forget() {
        let minute = 60 * NANOS_PER_SEC;
        let mut ring = Ring::new(minute);
        ring.add(at(0), 100);
        ring.add(at(30), 50);
        assert_eq!(ring.sum(at(30)), 150);
        assert_eq!(ring.sum(at(61)), 50);
        assert_eq!(ring.sum(at(200)), 0);
        // Late bytes within reach count; older ones are outside every
        // window that can still be asked for.
        ring.add(at(200), 7);
        ring.add(at(190), 3);
        ring.add(at(100), 1_000);
        assert_eq!(ring.sum(at(200)), 10);
        // A query before the newest bucket sees only what came before it.
        assert_eq!(ring.sum(at(192)), 3);
        let rings = Rings::new([minute, HOUR, minute]);
        assert_eq!(rings.0.len(), 2);
        assert_eq!(rings.sum(7, at(0)), 0);
    }

    #[test]
    fn bulk_upload_to_an_unlisted_host_breaks_the_default_budget_once() {
        let mut site = Site::new(POLICY, Baseline::default(), 0);
        site.resolve("update.evil.example", EVIL, 0);
        // 12 MB over 10 minutes (20 kB/s).
        site.upload(EVIL, 443, 120, 720, 12 * MB);
        assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-1"], "{:#?}", site.alerts);
        let alert = &site.alerts[0];
        assert_eq!(alert.rule.category, Category::Exfil);
        assert_eq!(alert.rule.action, "bulk-upload");
        assert_eq!(alert.source_ip, ip(CAM));
        assert_eq!(alert.destination_ip, Some(ip(EVIL)));
        assert_eq!(alert.destination_port, Some(443));
        assert_eq!(
            alert.destination_domain.as_deref(),
            Some("update.evil.example")
        );
        assert!(alert.community_id.is_some());
        assert_eq!(alert.vlan, Some(20));
        assert_eq!(alert.evidence["destination_class"], "other");
        assert_eq!(alert.evidence["allowed_by"], "none");
        assert_eq!(alert.evidence["budget"], "10MB/1h");
        assert_eq!(evidence_u64(alert, "budget_bytes"), 10 * MB);
        assert_eq!(evidence_u64(alert, "window_seconds"), 3600);
        let bytes = evidence_u64(alert, "bytes");
        assert!(
            bytes > 10 * MB && bytes < 10 * MB + 2 * BYTES_CHUNK,
            "{bytes}"
        );
        assert!(evidence_f64(alert, "ratio") >= 1.0);
        // Crossed 10 MB at about 500 s into the upload; known at the next
        // chunk at the latest (13 s at 20 kB/s).
        assert!(alert.evidence_ts <= alert.ts);
        assert!(alert.ts.since(alert.evidence_ts) < 14 * NANOS_PER_SEC);
        let crossed = alert.evidence_ts.since(at(120)) / NANOS_PER_SEC;
        assert!((495..=505).contains(&crossed), "{crossed}");
        let top = alert.evidence["top_destinations"].as_array().map(Vec::len);
        assert_eq!(top, Some(1));

        // More within the quiet hour: nothing new; after it, still over the
        // budget: a reminder.
        site.upload(EVIL, 443, 1000, 1300, 3 * MB);
        assert_eq!(site.alerts.len(), 1);
        site.upload(EVIL, 443, 4300, 4500, 11 * MB);
        assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-1", "CAMSENTRY-EXFIL-1"]);
        assert!(site.alerts[1].ts.since(site.alerts[0].ts) >= HOUR);
    }

    #[test]
    fn video_to_the_recorder_and_multicast_are_never_counted() {
        let mut site = Site::new(POLICY, Baseline::default(), 0);
        // The camera pushes 100 MB to the recorder, the recorder pulls 100 MB
        // from it, and it multicasts 100 MB.
        site.upload(RECORDER, 554, 0, 600, 100 * MB);
        site.flow(
            endpoint(RECORDER, 50000),
            endpoint(CAM, 554),
            0,
            600,
            [10_000, 100 * MB],
        );
        site.upload("239.1.1.1", 5004, 0, 600, 100 * MB);
        site.finish(at(7200));
        assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
        // Nothing is kept for the recorder and multicast flows.
        assert!(site.exfil.flows.is_empty());
    }

    #[test]
    fn an_allowed_cloud_is_held_to_its_rule_budget_and_downloads_do_not_count() {
        let mut site = Site::new(POLICY, Baseline::default(), 0);
        site.resolve("api.camcloud.example", CLOUD, 0);
        // A 30 MB firmware download: a small upload of requests and ACKs.
        site.flow(
            endpoint(CAM, 40000),
            endpoint(CLOUD, 443),
            10,
            310,
            [700_000, 30 * MB],
        );
        assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
        site.upload(CLOUD, 443, 400, 1000, 6 * MB);
        assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-1"]);
        let alert = &site.alerts[0];
        assert_eq!(alert.evidence["destination_class"], "cloud");
        assert_eq!(alert.evidence["allowed_by"], "policy");
        assert_eq!(alert.evidence["rule"], "*.camcloud.example");
        assert_eq!(alert.evidence["budget"], "5MB/1h");
        assert!(evidence_u64(alert, "bytes") > 5 * MB);
        assert_eq!(
            alert.destination_domain.as_deref(),
            Some("api.camcloud.example")
        );
    }

    #[test]
    fn an_allowed_cloud_above_its_learned_baseline() {
        let mut baseline = Baseline::default();
        baseline.learn_upload(ip(CAM), "cloud", MB);
        let mut site = Site::new(POLICY, baseline, 0);
        // The rule has no budget: only the baseline judges (4 x 1 MB/h).
        site.upload(NO_BUDGET_CLOUD, 443, 0, 600, 3_500_000);
        assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
        site.upload(NO_BUDGET_CLOUD, 443, 700, 900, MB);
        assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-2"], "{:#?}", site.alerts);
        let alert = &site.alerts[0];
        assert_eq!(alert.rule.action, "bulk-upload");
        assert_eq!(alert.evidence["destination_class"], "cloud");
        assert_eq!(alert.evidence["allowed_by"], "policy");
        assert_eq!(evidence_u64(alert, "learned_bytes_per_hour"), MB);
        assert_eq!(evidence_u64(alert, "baseline_bytes"), MB);
        assert_eq!(evidence_u64(alert, "threshold_bytes"), 4 * MB);
        assert_eq!(evidence_u64(alert, "window_seconds"), 3600);
        assert!(evidence_f64(alert, "ratio") > 4.0);
        assert!(evidence_u64(alert, "bytes") > 4 * MB);
    }

    #[test]
    fn a_learned_peer_is_cloud_judged_by_the_baseline_with_a_floor() {
        let mut baseline = Baseline::default();
        baseline.learn_peer(
            ip(CAM),
            LearnedPeer {
                address: Some(ip(CLOUD)),
                name: None,
                port: 443,
                transport: "tcp".into(),
            },
        );
        // Learned over a quiet period: 3 kB per hour.
        baseline.learn_upload(ip(CAM), "cloud", 3_000);
        let mut site = Site::new("", baseline, 0);
        site.feed(Observation::RtspServer(RtspServer {
            ts: at(0),
            server: endpoint(CAM, 554),
            banner: None,
        }));
        // 2 MB is below the floor (a quarter of 10 MB/1h).
        site.upload(CLOUD, 443, 10, 400, 2 * MB);
        assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
        site.upload(CLOUD, 443, 500, 900, 2 * MB);
        assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-2"], "{:#?}", site.alerts);
        let alert = &site.alerts[0];
        assert_eq!(alert.evidence["destination_class"], "cloud");
        assert_eq!(alert.evidence["allowed_by"], "baseline");
        assert_eq!(evidence_u64(alert, "learned_bytes_per_hour"), 3_000);
        assert_eq!(evidence_u64(alert, "threshold_bytes"), 2_500_000);
        assert_eq!(evidence_u64(alert, "baseline_bytes"), 625_000);
    }

    #[test]
    fn a_slow_trickle_to_an_unlisted_host_alerts_once_over_the_slow_window() {
        let mut site = Site::new(POLICY, Baseline::default(), 0);
        // 300 kB every 10 minutes for 3 hours: 1.8 MB per hour, 5.4 MB.
        for i in 0..18 {
            let start = 60 + 600 * i;
            site.upload(EVIL, 443, start, start + 60, 300_000);
        }
        site.finish(at(3 * 3600 + 120));
        assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-3"], "{:#?}", site.alerts);
        let alert = &site.alerts[0];
        assert_eq!(alert.rule.action, "slow-upload");
        assert_eq!(alert.evidence["destination_class"], "other");
        assert_eq!(evidence_u64(alert, "window_seconds"), 6 * 3600);
        // 10 MB/1h scaled to 6 h at a twelfth of its rate.
        assert_eq!(evidence_u64(alert, "budget_bytes"), 5 * MB);
        let bytes = evidence_u64(alert, "bytes");
        assert!(bytes > 5 * MB, "{bytes}");
        assert!(evidence_u64(alert, "recent_bytes") * 2 <= bytes);
        assert!(evidence_f64(alert, "ratio") > 1.0);
        assert!(alert.ts.since(alert.evidence_ts) < 60 * NANOS_PER_SEC);
    }

    #[test]
    fn a_burst_under_the_budget_waits_to_be_spread_before_counting_as_slow() {
        let mut site = Site::new(POLICY, Baseline::default(), 0);
        // 6 MB in 5 minutes: under 10 MB/1h, over the 5 MB slow threshold,
        // but not spread out.
        site.upload(EVIL, 443, 600, 900, 6 * MB);
        site.upload(EVIL, 443, 1800, 1810, 1000);
        assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
        // Two hours later it is the slow window's business.
        site.finish(at(8000));
        assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-3"]);
        let alert = &site.alerts[0];
        assert_eq!(alert.ts, at(8000));
        assert!(alert.evidence_ts < at(900));
        assert_eq!(evidence_u64(alert, "recent_bytes"), 0);
    }

    #[test]
    fn no_slow_alert_after_a_budget_alert_for_the_same_upload() {
        let mut site = Site::new(POLICY, Baseline::default(), 0);
        site.upload(EVIL, 443, 0, 600, 12 * MB);
        site.upload(EVIL, 443, 4000, 4010, 1000);
        site.finish(at(5 * 3600));
        assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-1"]);
    }

    #[test]
    fn a_late_flow_end_is_compared_at_the_current_time() {
        let mut site = Site::new(POLICY, Baseline::default(), 0);
        // A DNS flow that ended at 100 s is reported only after a 6 MB burst
        // (inactivity timeouts): it must not make the burst look spread out.
        self::late_flow(&mut site);
        assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
    }

    fn late_flow(site: &mut Site) {
        let camera = endpoint(CAM, 53000);
        let dns = endpoint("10.20.0.1", 53);
        let flow = finished_flow(&camera, &dns, (at(100), at(100)), [80, 120], 1);
        let id = FlowId {
            key: flow.key,
            first_seq: flow.first_seq,
        };
        site.feed(Observation::FlowStart(FlowStart {
            id,
            ts: at(100),
            initiator: camera,
            responder: dns,
            proto: 6,
            vlan: 20,
            icmp_one_way: false,
            first_bytes: 60,
            midstream: false,
            sender_is_initiator: true,
            media: false,
        }));
        site.upload(EVIL, 443, 900, 1200, 6 * MB);
        site.feed(Observation::FlowEnd(FlowEnd {
            flow: Box::new(flow),
            reason: EndReason::Timeout,
        }));
    }

    #[test]
    fn learning_suppresses_alerts_and_records_the_busiest_hour() {
        let mut site = Site::new(POLICY, Baseline::default(), HOUR);
        site.resolve("api.camcloud.example", CLOUD, 0);
        // While learning: 3 MB to the cloud within an hour (under its 5 MB
        // budget anyway), then 8 MB more in the next half hour, and 200 kB
        // to an unlisted host.
        site.upload(CLOUD, 443, 10, 600, 3 * MB);
        site.upload(EVIL, 443, 700, 760, 200_000);
        site.upload(CLOUD, 443, 2000, 3000, 8 * MB);
        assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
        let mut learned = Baseline::default();
        site.exfil.learned(&mut learned);
        let cloud = learned.upload_per_hour(ip(CAM), "cloud").unwrap_or(0);
        let other = learned.upload_per_hour(ip(CAM), "other").unwrap_or(0);
        // The busiest hour holds both cloud uploads and the 200 kB: a host
        // first contacted while learning becomes a learned peer, which
        // counts as cloud (answers are not uploads).
        assert!(
            (11 * MB + 200_000..11 * MB + 2 * BYTES_CHUNK).contains(&cloud),
            "{cloud}"
        );
        assert_eq!(other, 0);
        // After learning: the budget applies, and the baseline once the
        // upload is four times the busiest hour.
        site.upload(CLOUD, 443, 20_000, 21_000, 50 * MB);
        assert_eq!(
            site.rules(),
            ["CAMSENTRY-EXFIL-1", "CAMSENTRY-EXFIL-2"],
            "{:#?}",
            site.alerts
        );
        assert_eq!(
            evidence_u64(&site.alerts[1], "learned_bytes_per_hour"),
            cloud
        );
    }

    const NAS: &str = "10.40.0.50";

    #[test]
    fn bytes_sent_while_learning_never_alert_and_a_learned_peer_keeps_its_rate() {
        let mut site = Site::new(POLICY, Baseline::default(), HOUR);
        // The camera (first seen now) stores snapshots on a NAS: 30 MB in
        // the last half hour of its hour of learning, three times the
        // default budget.
        site.upload(NAS, 445, 0, 1, 1000);
        site.upload(NAS, 445, 1800, 3590, 30 * MB);
        assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
        // Learning ends with that hour still in the windows: nothing, and
        // the same rate afterwards is normal for this destination.
        site.upload(NAS, 445, 3700, 3800, MB);
        site.upload(NAS, 445, 4000, 7000, 30 * MB);
        assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
        // Four times the learned hour is not.
        site.upload(NAS, 445, 8000, 9000, 150 * MB);
        // One alert: the destination's learned hour and its class's say
        // the same here.
        assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-2"], "{:#?}", site.alerts);
        let learned = evidence_u64(&site.alerts[0], "learned_bytes_per_hour");
        assert!((30 * MB..31 * MB).contains(&learned), "{learned}");
        assert_eq!(site.alerts[0].evidence["allowed_by"], "baseline");
        // `learn --out` keeps the rate.
        let mut learned = Baseline::default();
        site.exfil.learned(&mut learned);
        let rate = learned.peer_upload_per_hour(ip(CAM), ip(NAS)).unwrap();
        assert!((30 * MB..31 * MB).contains(&rate), "{rate}");
    }

    #[test]
    fn a_recorder_recognised_mid_flow_stops_the_count() {
        let mut site = Site::new(POLICY, Baseline::default(), 0);
        let (camera, nvr) = (endpoint(CAM, 554), endpoint("10.20.0.60", 50000));
        // The second NVR's RTSP session predates the capture; until it is
        // recognised its video looks like an upload to an unlisted host.
        let flow = finished_flow(&nvr, &camera, (at(0), at(3000)), [1000, 60 * MB], 5);
        let id = FlowId {
            key: flow.key,
            first_seq: flow.first_seq,
        };
        site.feed(Observation::FlowStart(FlowStart {
            id,
            ts: at(0),
            initiator: nvr,
            responder: camera,
            proto: 6,
            vlan: 20,
            icmp_one_way: false,
            first_bytes: 1400,
            midstream: true,
            sender_is_initiator: false,
            media: false,
        }));
        let chunk = |site: &mut Site, secs: u64| {
            site.feed(Observation::Bytes(Bytes {
                id,
                ts: at(secs),
                from_initiator: false,
                chunks: 4,
                media: false,
                sender: camera.ip,
            }))
        };
        for secs in 1..8 {
            chunk(&mut site, secs);
        }
        // It sends a WS-Discovery probe: a recorder.
        site.feed(Observation::OnvifProbe(OnvifProbe {
            ts: at(10),
            prober: nvr,
        }));
        for secs in 11..2000 {
            chunk(&mut site, secs);
        }
        site.feed(Observation::FlowEnd(FlowEnd {
            flow: Box::new(flow),
            reason: EndReason::Fin,
        }));
        assert!(site.alerts.is_empty(), "{:#?}", site.alerts);
    }

    #[test]
    fn a_camera_answering_an_outside_host_is_counted_by_address() {
        let mut site = Site::new(POLICY, Baseline::default(), 0);
        // An outside host pulls 11 MB from the camera's web server.
        site.flow(
            endpoint("198.51.100.7", 51000),
            endpoint(CAM, 80),
            0,
            300,
            [20_000, 11 * MB],
        );
        assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-1"]);
        let alert = &site.alerts[0];
        assert_eq!(alert.destination_ip, Some(ip("198.51.100.7")));
        assert_eq!(alert.destination_port, None);
        assert_eq!(alert.source_port, Some(80));
        assert_eq!(alert.evidence["destination_class"], "other");
    }

    #[test]
    fn a_flow_of_a_host_identified_later_is_counted_at_its_end() {
        let mut site = Site::new("", Baseline::default(), 0);
        let camera = endpoint("10.20.0.30", 40000);
        let peer = endpoint(EVIL, 443);
        let flow = finished_flow(&camera, &peer, (at(0), at(600)), [11 * MB, 1000], 1);
        let id = FlowId {
            key: flow.key,
            first_seq: flow.first_seq,
        };
        site.feed(Observation::FlowStart(FlowStart {
            id,
            ts: at(0),
            initiator: camera,
            responder: peer,
            proto: 6,
            vlan: 20,
            icmp_one_way: false,
            first_bytes: 60,
            midstream: false,
            sender_is_initiator: true,
            media: false,
        }));
        site.feed(Observation::Bytes(Bytes {
            id,
            ts: at(300),
            from_initiator: true,
            chunks: 20,
            media: false,
            sender: camera.ip,
        }));
        // Not a camera yet: nothing tracked, nothing counted.
        assert!(site.exfil.flows.is_empty() && site.alerts.is_empty());
        site.feed(Observation::RtspServer(RtspServer {
            ts: at(400),
            server: endpoint("10.20.0.30", 554),
            banner: None,
        }));
        site.feed(Observation::FlowEnd(FlowEnd {
            flow: Box::new(flow),
            reason: EndReason::Fin,
        }));
        assert_eq!(site.rules(), ["CAMSENTRY-EXFIL-1"]);
        assert_eq!(evidence_u64(&site.alerts[0], "bytes"), 11 * MB);
    }

    #[test]
    fn same_input_same_alerts() {
        let run = || {
            let mut site = Site::new(POLICY, Baseline::default(), 0);
            site.resolve("api.camcloud.example", CLOUD, 0);
            site.upload(CLOUD, 443, 0, 600, 6 * MB);
            site.upload("192.0.2.9", 8443, 0, 600, 11 * MB);
            site.upload(EVIL, 443, 0, 600, 11 * MB);
            site.alerts
        };
        let first = run();
        assert_eq!(first.len(), 3);
        assert_eq!(first, run());
    }
}
