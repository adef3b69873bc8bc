//! One alert per incident: what turns detector matches into the lines a
//! SIEM receives.
//!
//! Detectors report every match (a Mirai-style camera matches the egress
//! rule once per destination, hundreds of times a minute). An analyst wants
//! one alert when something starts, news while it goes on, and a summary
//! when it stops. Per camera and rule, an *incident*:
//! - **opens** with the first match, which is sent at once, carrying
//!   `camsentry.incident` with a new `id` and `state: "open"`;
//! - stays open while matches keep coming; they are folded into running
//!   totals (matches, first and last seen, top destinations and ports), and
//!   at most one **update** (`state: "update"`, the latest match with the
//!   totals) is sent per `update_interval` (default 10 min);
//! - **closes** after `close_after` (1 h) without a match, or at
//!   the end
//!   of input; a closing **summary** (`state: "closed"`) is sent when
//!   matches came after the last line sent, so nothing is silently lost.
//!
//! Exposure matches are kept apart further, per camera service or mapped
//! port (`scope`): a camera reachable on RTSP and on telnet, or mapping
//! two ports, is that many stories.
//!
//! Egress matches of a camera whose Internet-scan incident is open are
//! counted into that incident instead: they are its probes.
//!
//! A per-camera cap (`max_alerts_per_hour`, default 30, 0 for none) bounds
//! what one camera can send in any clock hour of packet time; what is held
//! back is counted, and the next line about that camera reports it
//! (`suppressed`).
//!
//! The three settings come from the policy's `[detect.incident]` and change
//! with it on a reload; open incidents keep their totals. Matches dropped by
//! the policy's suppression entries or a group's `disable` never get here.
//!
//! Memory: at most [`MAX_INCIDENTS`] open incidents (when full the oldest
//! is closed early, with its summary) and at most [`MAX_TOP`] destinations
//! and ports per incident (beyond, only counted). Everything is ordered
//! maps keyed by packet-time data, so output is the same for any number of
//! workers. Both evictions (the oldest incident, the camera quiet the
//! longest) go through an ordered index, not a scan of the table: under a
//! flood of new cameras every match would otherwise walk thousands of
//! entries (62% of the collector's time on a 10.0.0.0/8 camera group).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde_json::{Value, json};
use sha1::{Digest, Sha1};

use crate::alert::{Alert, Category, IncidentInfo, IncidentState};
use crate::timestamp::{NANOS_PER_SEC, Nanos, Timestamp};

/// Most incidents open at once.
pub const MAX_INCIDENTS: usize = 4096;
/// Most destinations and ports counted per incident.
pub const MAX_TOP: usize = 64;
/// Most cameras with an alert budget tracked.
const MAX_RATE_CAMERAS: usize = 16_384;
/// Destinations and ports reported in a line.
const REPORTED_TOP: usize = 5;

/// The incident lifecycle's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentSettings {
    /// Least packet time between two lines of one incident.
    pub update_interval: Nanos,
    /// Packet time without a match after which an incident closes.
    pub close_after: Nanos,
    /// Lines per camera per hour of packet time; 0 for no cap.
    pub max_alerts_per_hour: u32,
}

impl Default for IncidentSettings {
    fn default() -> IncidentSettings {
        IncidentSettings {
            update_interval: 600 * NANOS_PER_SEC,
            close_after: 3600 * NANOS_PER_SEC,
            max_alerts_per_hour: 30,
        }
    }
}

impl From<&crate::config::policy::IncidentSettings> for IncidentSettings {
    fn from(policy: &crate::config::policy::IncidentSettings) -> IncidentSettings {
        let nanos = |d: std::time::Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        IncidentSettings {
            update_interval: nanos(policy.update_interval),
            close_after: nanos(policy.close_after),
            max_alerts_per_hour: policy.max_alerts_per_hour,
        }
    }
}

/// An incident's key: camera, rule, and the [`scope`] within them.
type Key = (IpAddr, &'static str, u32);

/// What one incident covers within a camera and rule: everything (0),
/// except for exposure matches, whose camera port (`service_port`) or
/// mapped external port (`external_port`) and transport each make an
/// incident of their own.
fn scope(alert: &Alert) -> u32 {
    if alert.rule.category != Category::Exposure {
        return 0;
    }
    let port = ["service_port", "external_port"]
        .iter()
        .find_map(|k| alert.evidence.get(*k).and_then(Value::as_u64))
        .unwrap_or(0);
    let transport = match alert.transport {
        Some("udp") => 1 << 16,
        _ => 0,
    };
    (port as u32 & 0xffff) | transport | 1 << 17
}

/// Whether `alert` is an Internet-scan alert (its matches absorb egress).
fn is_internet_scan(alert: &Alert) -> bool {
    alert.rule.category == Category::Scan && alert.rule.action == "internet-scan"
}

#[derive(Debug)]
struct Incident {
    id: String,
    first_seen: Timestamp,
    last_seen: Timestamp,
    matches: u64,
    /// Matches not yet reported in a line.
    unreported: u64,
    last_sent: Timestamp,
    destinations: BTreeMap<String, u64>,
    ports: BTreeMap<u16, u64>,
    /// The latest match: what updates and the summary are built from.
    latest: Alert,
}

impl Incident {
    fn add(&mut self, alert: &Alert) {
        self.last_seen = self.last_seen.max(alert.ts);
        self.matches += 1;
        self.unreported += 1;
        tally(&mut self.destinations, &mut self.ports, alert);
    }

    /// A line for this incident: the latest match with the totals.
    fn line(&self, state: IncidentState, ts: Timestamp, suppressed: u64) -> Alert {
        let mut alert = self.latest.clone();
        alert.ts = alert.ts.max(ts);
        alert.incident = Some(IncidentInfo {
            id: self.id.clone(),
            state,
            matches: self.matches,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            suppressed,
            top_destinations: top(&self.destinations, |d| json!(d)),
            top_ports: top(&self.ports, |p| json!(p)),
        });
        alert
    }
}

/// Counts `alert`'s destination and port, within `MAX_TOP` distinct each.
fn tally(destinations: &mut BTreeMap<String, u64>, ports: &mut BTreeMap<u16, u64>, alert: &Alert) {
    let destination = alert
        .destination_domain
        .clone()
        .or_else(|| alert.destination_ip.map(|ip| ip.to_string()));
    if let Some(destination) = destination
        && (destinations.len() < MAX_TOP || destinations.contains_key(&destination))
    {
        *destinations.entry(destination).or_default() += 1;
    }
    if let Some(port) = alert.destination_port
        && (ports.len() < MAX_TOP || ports.contains_key(&port))
    {
        *ports.entry(port).or_default() += 1;
    }
}

/// The busiest entries, most matches first, ties in key order.
fn top<K: Ord>(counts: &BTreeMap<K, u64>, key: impl Fn(&K) -> Value) -> Vec<Value> {
    let mut entries: Vec<(&K, &u64)> = counts.iter().collect();
    entries.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    entries
        .into_iter()
        .take(REPORTED_TOP)
        .map(|(k, n)| json!({ "value": key(k), "matches": n }))
        .collect()
}

/// Lines one camera sent in the current hour.
#[derive(Debug, Default)]
struct Rate {
    hour: u64,
    sent: u32,
    suppressed: u64,
}

/// What the lifecycle did, for the summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IncidentCounters {
    pub opened: u64,
    pub updates: u64,
    pub closed: u64,
    /// Matches folded into an open incident without a line of their own.
    pub folded: u64,
    /// Lines held back by the per-camera cap.
    pub suppressed: u64,
    /// Incidents closed early because the table was full.
    pub evicted: u64,
}

/// The per-camera line budgets, with the cameras ordered by the hour of
/// their last line (what eviction needs).
#[derive(Debug, Default)]
struct Rates {
    by_camera: BTreeMap<IpAddr, Rate>,
    by_hour: BTreeSet<(u64, IpAddr)>,
}

pub struct Incidents {
    settings: IncidentSettings,
    open: BTreeMap<Key, Incident>,
    /// `open` ordered by (last match, key): the eviction order.
    by_age: BTreeSet<(Timestamp, Key)>,
    rates: Rates,
    next: u64,
    pub counters: IncidentCounters,
}

impl Incidents {
    pub fn new(settings: IncidentSettings) -> Incidents {
        Incidents {
            settings,
            open: BTreeMap::new(),
            by_age: BTreeSet::new(),
            rates: Rates::default(),
            next: 0,
            counters: IncidentCounters::default(),
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> IncidentSettings {
        self.settings
    }

    /// Replaces the settings (policy reload); open incidents and the
    /// per-camera budgets carry on under the new ones.
    pub fn set_settings(&mut self, settings: IncidentSettings) {
        self.settings = settings;
    }

    /// Open incidents (for tests and stats).
    pub fn len(&self) -> usize {
        self.open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// Takes one detector match; pushes the lines to send.
    pub fn add(&mut self, alert: Alert, out: &mut Vec<Alert>) {
        let camera = alert.source_ip;
        // Probes of an Internet scan are counted there.
        if alert.rule.category == Category::Egress
            && let Some((&key, scan)) = self
                .open
                .range_mut((camera, "", 0)..)
                .take_while(|((ip, _, _), _)| *ip == camera)
                .find(|(_, incident)| is_internet_scan(&incident.latest))
        {
            // The scan's age moves with its probes: eviction and idle
            // closing go by `by_age`, which must hold its latest time.
            let before = scan.last_seen;
            scan.add(&alert);
            if scan.last_seen != before {
                self.by_age.remove(&(before, key));
                self.by_age.insert((scan.last_seen, key));
            }
            self.counters.folded += 1;
            return;
        }
        let key = (camera, alert.rule.id, scope(&alert));
        let ts = alert.ts;
        if let Some(incident) = self.open.get_mut(&key) {
            let before = incident.last_seen;
            incident.add(&alert);
            if incident.last_seen != before {
                self.by_age.remove(&(before, key));
                self.by_age.insert((incident.last_seen, key));
            }
            incident.latest = alert;
            if ts.since(incident.last_sent) < self.settings.update_interval {
                self.counters.folded += 1;
                return;
            }
            let (allowed, suppressed) = Self::allow(&mut self.rates, &self.settings, camera, ts);
            let Some(incident) = self.open.get_mut(&key) else {
                return;
            };
            if allowed {
                out.push(incident.line(IncidentState::Update, ts, suppressed));
                incident.last_sent = ts;
                incident.unreported = 0;
                self.counters.updates += 1;
            } else {
                self.counters.suppressed += 1;
            }
            return;
        }
        if self.open.len() >= MAX_INCIDENTS
            && let Some(&(_, oldest)) = self.by_age.first()
        {
            self.counters.evicted += 1;
            self.close(oldest, ts, out);
        }
        // The first match, counted as `Incident::add` would (without
        // cloning the alert to hand it to its own incident).
        let mut destinations = BTreeMap::new();
        let mut ports = BTreeMap::new();
        tally(&mut destinations, &mut ports, &alert);
        let mut incident = Incident {
            id: incident_id(camera, alert.rule.id, ts, self.next),
            first_seen: ts,
            last_seen: ts.max(alert.ts),
            matches: 1,
            unreported: 1,
            last_sent: ts,
            destinations,
            ports,
            latest: alert,
        };
        self.next += 1;
        self.counters.opened += 1;
        let (allowed, suppressed) = Self::allow(&mut self.rates, &self.settings, camera, ts);
        if allowed {
            out.push(incident.line(IncidentState::Open, ts, suppressed));
            incident.unreported = 0;
        } else {
            self.counters.suppressed += 1;
        }
        self.by_age.insert((incident.last_seen, key));
        self.open.insert(key, incident);
    }

    /// Closes incidents idle for `close_after` at packet time `now`.
    pub fn tick(&mut self, now: Timestamp, out: &mut Vec<Alert>) {
        let close_after = self.settings.close_after;
        // The idle ones are the oldest: read them off `by_age` (not every
        // open incident at every tick), then close them in key order as
        // before.
        let mut idle: Vec<Key> = self
            .by_age
            .iter()
            .take_while(|(last_seen, _)| now.since(*last_seen) >= close_after)
            .map(|(_, k)| *k)
            .collect();
        idle.sort_unstable();
        for key in idle {
            self.close(key, now, out);
        }
    }

    /// End of input: every open incident closes.
    pub fn finish(&mut self, now: Timestamp, out: &mut Vec<Alert>) {
        let keys: Vec<_> = self.open.keys().copied().collect();
        for key in keys {
            self.close(key, now, out);
        }
    }

    fn close(&mut self, key: Key, now: Timestamp, out: &mut Vec<Alert>) {
        let Some(incident) = self.open.remove(&key) else {
            return;
        };
        self.by_age.remove(&(incident.last_seen, key));
        self.counters.closed += 1;
        // A single match already said everything in its opening line.
        if incident.unreported == 0 {
            return;
        }
        // The summary is not held back by the cap: it is what tells how
        // much was.
        let suppressed = self
            .rates
            .by_camera
            .get_mut(&key.0)
            .map(|r| std::mem::take(&mut r.suppressed))
            .unwrap_or(0);
        let ts = incident
            .last_seen
            .max(now.min(incident.last_seen.plus(self.settings.close_after)));
        out.push(incident.line(IncidentState::Closed, ts, suppressed));
    }

    /// Whether `camera` may send another line in the hour of `ts`, and how
    /// many were held back since its last line.
    fn allow(
        rates: &mut Rates,
        settings: &IncidentSettings,
        camera: IpAddr,
        ts: Timestamp,
    ) -> (bool, u64) {
        if settings.max_alerts_per_hour == 0 {
            return (true, 0);
        }
        if !rates.by_camera.contains_key(&camera) && rates.by_camera.len() >= MAX_RATE_CAMERAS {
            // Forget the camera quiet the longest.
            if let Some((_, stale)) = rates.by_hour.pop_first() {
                rates.by_camera.remove(&stale);
            }
        }
        let hour = ts.as_nanos() / (3600 * NANOS_PER_SEC);
        let rate = match rates.by_camera.get_mut(&camera) {
            Some(rate) => rate,
            None => {
                rates.by_hour.insert((0, camera));
                rates.by_camera.entry(camera).or_default()
            }
        };
        if rate.hour != hour {
            rates.by_hour.remove(&(rate.hour, camera));
            rates.by_hour.insert((hour, camera));
            rate.hour = hour;
            rate.sent = 0;
        }
        if rate.sent >= settings.max_alerts_per_hour {
            rate.suppressed += 1;
            return (false, 0);
        }
        rate.sent += 1;
        (true, std::mem::take(&mut rate.suppressed))
    }
}

/// A stable id: the same input gives the same ids.
fn incident_id(camera: IpAddr, rule: &str, ts: Timestamp, sequence: u64) -> String {
    let mut hasher = Sha1::new();
    crate::alert::with_ip_text(camera, |text| hasher.update(text));
    hasher.update(rule.as_bytes());
    hasher.update(ts.as_nanos().to_be_bytes());
    hasher.update(sequence.to_be_bytes());
    let digest: [u8; 20] = hasher.finalize().into();
    crate::alert::hex_id(&digest[..8])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::Rule;
    use crate::detect::testing;

    const EGRESS: Rule = crate::detect::egress::RULE;
    const WORM: Rule = Rule {
        id: "TEST-INTERNET-SCAN",
        signature_id: 1,
        name: "test",
        category: Category::Scan,
        action: "internet-scan",
        severity: 1,
    };

    fn at(secs: u64) -> Timestamp {
        testing::at_secs(secs)
    }

    fn alert(rule: Rule, secs: u64, destination: u32, port: u16) -> Alert {
        Alert {
            source_port: Some(40000),
            destination_ip: Some(IpAddr::from(destination.to_be_bytes())),
            destination_port: Some(port),
            transport: Some("tcp"),
            ..testing::alert(rule, at(secs), "10.20.0.11".parse().unwrap())
        }
    }

    fn states(lines: &[Alert]) -> Vec<IncidentState> {
        lines
            .iter()
            .map(|a| a.incident.as_ref().unwrap().state)
            .collect()
    }

    #[test]
    fn a_flood_is_one_incident_with_bounded_updates_and_a_summary() {
        let mut incidents = Incidents::new(IncidentSettings::default());
        let mut out = Vec::new();
        // 100,000 egress matches over 50 minutes.
        for n in 0..100_000u32 {
            let secs = u64::from(n) * 3 / 100;
            incidents.add(alert(EGRESS, secs, 0xc000_0000 + n, 23), &mut out);
            incidents.tick(at(secs), &mut out);
        }
        incidents.finish(at(3000), &mut out);
        // Open at 0, updates at 600, 1200, 1800, 2400, then the summary.
        assert_eq!(
            states(&out),
            [
                IncidentState::Open,
                IncidentState::Update,
                IncidentState::Update,
                IncidentState::Update,
                IncidentState::Update,
                IncidentState::Closed
            ]
        );
        let ids: std::collections::BTreeSet<_> = out
            .iter()
            .map(|a| a.incident.as_ref().unwrap().id.clone())
            .collect();
        assert_eq!(ids.len(), 1);
        let last = out.last().unwrap().incident.as_ref().unwrap();
        assert_eq!(last.matches, 100_000);
        assert_eq!(last.top_ports, [json!({"value": 23, "matches": 100_000})]);
        assert!(incidents.is_empty());
    }

    #[test]
    fn an_idle_incident_closes_and_the_next_match_opens_a_new_one() {
        let mut incidents = Incidents::new(IncidentSettings::default());
        let mut out = Vec::new();
        incidents.add(alert(EGRESS, 0, 1, 443), &mut out);
        incidents.add(alert(EGRESS, 1, 2, 443), &mut out);
        incidents.tick(at(3601), &mut out);
        assert_eq!(states(&out), [IncidentState::Open, IncidentState::Closed]);
        incidents.add(alert(EGRESS, 8000, 3, 443), &mut out);
        incidents.finish(at(9000), &mut out);
        // A single match needs no summary.
        assert_eq!(out.len(), 3);
        assert_ne!(
            out[0].incident.as_ref().unwrap().id,
            out[2].incident.as_ref().unwrap().id
        );
    }

    #[test]
    fn egress_probes_fold_into_an_open_internet_scan() {
        let mut incidents = Incidents::new(IncidentSettings::default());
        let mut out = Vec::new();
        incidents.add(alert(EGRESS, 0, 1, 23), &mut out);
        incidents.add(alert(WORM, 5, 0, 23), &mut out);
        for n in 0..500 {
            incidents.add(alert(EGRESS, 6 + n / 10, 100 + n as u32, 23), &mut out);
        }
        assert_eq!(out.len(), 2);
        assert_eq!(incidents.counters.folded, 500);
        // The folded probes keep the scan alive: an hour after the first
        // scan match, but less after the last probe, it is still open...
        incidents.tick(at(3605 + 10), &mut out);
        assert_eq!(incidents.open.len(), 2 - 1, "only the lone egress closed");
        // ...and when it closes nothing of it stays behind in the age
        // index (a stale entry there would block every later eviction).
        incidents.tick(at(6 + 50 + 3600), &mut out);
        assert!(incidents.is_empty());
        assert!(incidents.by_age.is_empty());
    }

    /// With more open incidents than the bound, the oldest are closed to
    /// make room, also after folded probes moved a scan's age.
    #[test]
    fn the_open_incidents_stay_bounded_after_folds() {
        let mut incidents = Incidents::new(IncidentSettings::default());
        let mut out = Vec::new();
        let camera = |n: u32| IpAddr::from((0x0a00_0000 + n).to_be_bytes());
        let on = |mut a: Alert, n: u32| {
            a.source_ip = camera(n);
            a
        };
        for n in 0..MAX_INCIDENTS as u32 + 500 {
            incidents.add(on(alert(WORM, u64::from(n), 0, 23), n), &mut out);
            incidents.add(on(alert(EGRESS, u64::from(n) + 1, 7, 23), n), &mut out);
        }
        assert_eq!(incidents.open.len(), MAX_INCIDENTS);
        assert_eq!(incidents.by_age.len(), MAX_INCIDENTS);
        assert_eq!(incidents.counters.evicted, 500);
    }

    #[test]
    fn exposure_incidents_are_per_camera_service() {
        use crate::detect::exposure::rules::{RULE_UPNP, RULE_VIDEO};
        let mut incidents = Incidents::new(IncidentSettings::default());
        let mut out = Vec::new();
        let exposure = |rule: Rule, secs: u64, key: &str, port: u16| {
            let mut a = alert(rule, secs, 1, 50_000);
            a.evidence.insert(key.into(), json!(port));
            a
        };
        incidents.add(exposure(RULE_VIDEO, 0, "service_port", 554), &mut out);
        incidents.add(exposure(RULE_VIDEO, 1, "service_port", 8554), &mut out);
        incidents.add(exposure(RULE_VIDEO, 2, "service_port", 554), &mut out);
        incidents.add(exposure(RULE_UPNP, 3, "external_port", 8554), &mut out);
        incidents.add(exposure(RULE_UPNP, 4, "external_port", 80), &mut out);
        assert_eq!(states(&out), [IncidentState::Open; 4]);
        assert_eq!(incidents.len(), 4);
        assert_eq!(incidents.counters.folded, 1);
    }

    #[test]
    fn the_per_camera_cap_holds_lines_back_and_reports_them() {
        let settings = IncidentSettings {
            max_alerts_per_hour: 2,
            ..IncidentSettings::default()
        };
        let mut incidents = Incidents::new(settings);
        let mut out = Vec::new();
        let rules = [
            crate::detect::egress::RULE,
            crate::detect::scan::RULE_TRW,
            crate::detect::scan::RULE_HOSTS,
            crate::detect::scan::RULE_PORTS,
        ];
        for (n, rule) in rules.into_iter().enumerate() {
            incidents.add(alert(rule, n as u64, 1, 80), &mut out);
        }
        assert_eq!(out.len(), 2);
        assert_eq!(incidents.counters.suppressed, 2);
        // The next hour's first line says how many were held back.
        incidents.add(alert(crate::detect::scan::RULE_ARP, 3700, 1, 80), &mut out);
        assert_eq!(out[2].incident.as_ref().unwrap().suppressed, 2);
    }
}
