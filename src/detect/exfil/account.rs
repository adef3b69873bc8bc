//! Accounts: what a camera's bytes are counted against (destination class
//! plus what allows the destination), their windows and thresholds, and the
//! per-camera state; counting an upload and checking the budget, baseline
//! and slow rules.

use std::net::IpAddr;

use serde_json::{Map, json};

use super::attribution::Upload;
use super::evidence::{crossing_time, ratio};
use super::ring::Rings;
use super::*;
use crate::small_map::SmallMap;

/// A destination class that is counted (recorders are not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Class {
    Cloud,
    Other,
}

impl Class {
    pub(super) const ALL: [Class; 2] = [Class::Cloud, Class::Other];

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Class::Cloud => "cloud",
            Class::Other => "other",
        }
    }

    pub(super) fn index(self) -> usize {
        match self {
            Class::Cloud => 0,
            Class::Other => 1,
        }
    }
}

/// What lets a camera send to a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Allowance {
    /// Allow rule `rule` of policy group `group` (indices in file order).
    Rule { group: u16, rule: u16 },
    /// Contacted while learning.
    Learned,
    /// Nothing (the site's DNS/NTP included).
    Unlisted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct AccountKey {
    pub(super) class: Class,
    pub(super) allowance: Allowance,
}

/// Threshold state of one (camera, account or class, rule).
#[derive(Debug, Clone, Default)]
pub(super) struct Trip {
    /// When the sum went over the threshold, while it stays over.
    pub(super) over_since: Option<Timestamp>,
    /// No alert before this.
    pub(super) quiet_until: Timestamp,
    pub(super) last_alert: Option<Timestamp>,
    /// Bytes counted since the last alert.
    pub(super) fresh: u64,
}

impl Trip {
    /// Updates the state with a comparison at `ts`; returns the evidence
    /// time when an alert is due (`ready` gates it without resetting).
    /// After an alert, another needs `needed` bytes sent since it: a
    /// window still full of the upload already reported is no news.
    pub(super) fn check(
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

    pub(super) fn added(&mut self, bytes: u64) {
        self.fresh = self.fresh.saturating_add(bytes);
    }

    pub(super) fn raised(&mut self, ts: Timestamp, window: Nanos) {
        self.last_alert = Some(ts);
        self.quiet_until = ts.plus(window.max(MIN_REALERT));
        self.fresh = 0;
    }
}

#[derive(Debug, Clone)]
pub(super) struct Account {
    pub(super) budget: Option<ByteBudget>,
    pub(super) rings: Rings,
    pub(super) budget_trip: Trip,
    pub(super) slow_trip: Trip,
}

#[derive(Debug, Clone)]
pub(super) struct ClassState {
    pub(super) rings: Rings,
    pub(super) trip: Trip,
}

#[derive(Debug, Clone)]
pub(super) struct DestStat {
    pub(super) bytes: u64,
    pub(super) port: u16,
    pub(super) proto: u8,
    pub(super) last_ts: Timestamp,
}

#[derive(Debug, Default)]
pub(super) struct CameraState {
    pub(super) classes: SmallMap<Class, ClassState>,
    pub(super) accounts: SmallMap<AccountKey, Account>,
    pub(super) destinations: SmallMap<(AccountKey, IpAddr), DestStat>,
    /// Largest one-hour upload per class while learning; `None` when the
    /// camera was never seen learning.
    pub(super) learned: Option<[u64; 2]>,
    /// While learning: the last hour's uploads per class, and per
    /// destination with its largest one-hour sum so far (at most
    /// [`MAX_DESTINATIONS`]; further destinations keep the default budget).
    pub(super) learning_hours: SmallMap<Class, Rings>,
    pub(super) learned_peers: SmallMap<IpAddr, (Rings, u64)>,
}

impl Exfil {
    /// Adds an upload to its camera's windows and checks the thresholds.
    pub(super) fn count(&mut self, context: &Context<'_>, upload: Upload, alerts: &mut Vec<Alert>) {
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
                .get_or_insert_with(key.class, || Rings::new([HOUR]));
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
                    .get_or_insert_with(peer, || (Rings::new([HOUR]), 0));
                ring.add(ts, upload.bytes);
                *max = (*max).max(ring.sum(HOUR, ts));
            }
            return;
        }
        let dest = state
            .destinations
            .get_or_insert_with(dest_key, || DestStat {
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
        let account = state.accounts.get_or_insert_with(key, || Account {
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
        let class = state.classes.get_or_insert_with(key.class, || ClassState {
            rings: Rings::new(windows.iter().copied().chain([HOUR])),
            trip: Trip::default(),
        });
        class.rings.add(ts, upload.bytes);
        class.trip.added(upload.bytes);
        self.check_class(context, camera, key.class, Some(&upload), now, alerts);
        self.check_account(context, camera, key, Some(&upload), now, alerts);
    }

    /// Budget and slow rules of one account.
    pub(super) fn check_account(
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
            evidence.insert(
                "budget_window_seconds".into(),
                json!(budget_window / NANOS_PER_SEC),
            );
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
                // The budget this rule compares with: the policy budget
                // scaled to the slow window, in words and in numbers.
                let shown = ByteBudget::new(slow_limit, Duration::from_nanos(slow_window))
                    .map_or_else(|_| budget.to_string(), |b| b.to_string());
                evidence.insert("budget".into(), json!(shown));
                evidence.insert("budget_bytes".into(), json!(slow_limit));
                evidence.insert(
                    "budget_window_seconds".into(),
                    json!(slow_window / NANOS_PER_SEC),
                );
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
    pub(super) fn check_class(
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
}
