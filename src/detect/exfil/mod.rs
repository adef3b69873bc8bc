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

mod account;
mod attribution;
mod evidence;
mod ring;
mod rules;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};
use std::net::IpAddr;
use std::time::Duration;

use super::{Baseline, Context, Detector, PeerClass, is_local_scope};
use crate::alert::{Alert, Category};
use crate::config::budget::ByteBudget;
use crate::config::policy::ExfilSettings;
use crate::observation::{FlowId, Observation};
use crate::timestamp::{NANOS_PER_SEC, Nanos, Timestamp};
use account::{AccountKey, CameraState, Class};
use attribution::FlowState;

pub use rules::{RULE_BASELINE, RULE_BUDGET, RULE_SLOW};

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
                for (peer, (_, max)) in state.learned_peers.iter() {
                    baseline.learn_peer_upload(*camera, *peer, *max);
                }
            }
        }
    }
}
