//! The detection engine: one per collector, driving the site knowledge and
//! the detectors over observations in input order, then passing what they
//! match through the policy's tuning and the incident layer to the encoder.

use super::context::Knowledge;
use super::incident::{IncidentSettings, Incidents};
use super::stats::{DetectionStats, category_index};
use super::{Baseline, Detector, egress, exfil, exposure, scan, sensor, tamper};
use crate::alert::{Alert, Encoder};
use crate::camera::{Inventory, Names};
use crate::config::Policy;
use crate::observation::Observation;
use crate::timestamp::{Nanos, Timestamp};

/// Detection settings that are not in the policy file.
pub struct EngineOptions {
    pub learn_for: Nanos,
}

pub struct Engine {
    knowledge: Knowledge,
    detectors: Vec<Box<dyn Detector>>,
    encoder: Option<Encoder>,
    /// Detector matches of the current observation.
    pending: Vec<Alert>,
    /// Lines the incident layer lets through.
    lines: Vec<Alert>,
    /// Informational events of the current observation (not alerts).
    events: Vec<Alert>,
    pub incidents: Incidents,
    now: Timestamp,
    /// Packet time of the last idle-incident sweep.
    last_tick: Timestamp,
    /// Packet time the detectors last saw (see `Observation::Clock`).
    detectors_at: Timestamp,
    /// Cameras and recorders already told to the workers' views.
    published: foldhash::HashSet<std::net::IpAddr>,
    /// Cameras and recorders found since the last [`Engine::take_learned`].
    learned: Vec<std::net::IpAddr>,
    pub stats: DetectionStats,
}

impl Engine {
    /// An engine with every detector. `encoder` is `None` when only the
    /// inventory or baseline is wanted (`inventory`, `learn`).
    pub fn new(
        policy: Policy,
        baseline: Baseline,
        options: EngineOptions,
        encoder: Option<Encoder>,
    ) -> Engine {
        let detectors: Vec<Box<dyn Detector>> = vec![
            Box::new(egress::Egress::new(policy.detect().egress.realert)),
            Box::new(scan::Scan::new(&policy.detect().scan)),
            Box::new(exfil::Exfil::new(&policy.detect().exfil)),
            Box::new(sensor::Sensor::default()),
            Box::new(exposure::Exposure::new()),
            Box::new(tamper::Tamper::new(&policy.detect().tamper)),
        ];
        let incidents = Incidents::new(IncidentSettings::from(&policy.detect().incident));
        let mut stats = DetectionStats::default();
        stats.track_policy(&policy);
        Engine {
            knowledge: Knowledge::new(policy, baseline, options.learn_for),
            detectors,
            encoder,
            pending: Vec::new(),
            lines: Vec::new(),
            events: Vec::new(),
            incidents,
            now: Timestamp::ZERO,
            last_tick: Timestamp::ZERO,
            detectors_at: Timestamp::ZERO,
            published: foldhash::HashSet::default(),
            learned: Vec::new(),
            stats,
        }
    }

    pub fn inventory(&self) -> &Inventory {
        &self.knowledge.inventory
    }

    pub fn names(&self) -> &Names {
        &self.knowledge.names
    }

    pub fn policy(&self) -> &Policy {
        &self.knowledge.policy
    }

    pub fn baseline(&self) -> &Baseline {
        &self.knowledge.baseline
    }

    /// Cameras in the inventory, and how many of them are still in their
    /// learning period at the latest packet time (for telemetry gauges).
    pub fn camera_counts(&self) -> (u64, u64) {
        let cameras = self.knowledge.inventory.cameras(&self.knowledge.policy);
        let learn_for = self.knowledge.learn_for;
        let learning = cameras
            .iter()
            .filter(|h| learn_for > 0 && self.now.since(h.first_seen) < learn_for)
            .count();
        (cameras.len() as u64, learning as u64)
    }

    /// What the workers' views lack (`pipeline::watch`): hosts that became
    /// cameras or recorders, and camera makers' MACs that turned out to be
    /// shared, since the last call.
    pub fn take_learned(&mut self, hosts: &mut Vec<std::net::IpAddr>, macs: &mut Vec<[u8; 6]>) {
        hosts.append(&mut self.learned);
        self.knowledge.inventory.take_shared_makers(macs);
    }

    /// Every camera place is taken.
    pub fn cameras_full(&self) -> bool {
        self.knowledge.inventory.camera_places() >= crate::camera::inventory::MAX_CAMERAS
    }

    /// `count` hosts refused a camera place before reaching the engine
    /// (`pipeline::watch`), the latest at `last`: counted as the inventory
    /// counts its own refusals, for the `sensor` detector.
    pub fn refused_cameras(
        &mut self,
        count: u64,
        last: (Timestamp, std::net::IpAddr, Option<[u8; 6]>),
    ) {
        self.knowledge.inventory.refused_elsewhere(count, last);
    }

    /// Replaces the policy (SIGHUP reload), keeping all learned state. The
    /// incident settings and the suppression entries change with it; counts
    /// of entries that stay are kept.
    pub fn set_policy(&mut self, policy: Policy) {
        self.incidents
            .set_settings(IncidentSettings::from(&policy.detect().incident));
        self.stats.track_policy(&policy);
        self.knowledge.policy = policy;
    }

    /// Handles one observation; encoded alerts are appended to `out`.
    /// Returns the number of alerts raised.
    pub fn observe(&mut self, observation: &Observation, out: &mut Vec<u8>) -> usize {
        let ts = observation.ts();
        if ts > self.now {
            self.now = ts;
        }
        if !self.knowledge.relevant(observation) {
            self.stats.skipped += 1;
            // Nothing to see, but time passes: timers must still fire on a
            // site whose cameras all fell silent.
            if self.now.since(self.detectors_at) < crate::timestamp::NANOS_PER_SEC {
                return 0;
            }
            return self.run(&Observation::Clock(self.now), out);
        }
        self.run(observation, out)
    }

    /// Runs the knowledge and every detector over a relevant observation.
    fn run(&mut self, observation: &Observation, out: &mut Vec<u8>) -> usize {
        self.detectors_at = self.detectors_at.max(observation.ts());
        self.knowledge.observe(observation);
        for ip in super::relevance::endpoints(observation)
            .into_iter()
            .flatten()
        {
            if !self.published.contains(&ip)
                && matches!(
                    self.knowledge.inventory.role(&self.knowledge.policy, ip),
                    Some(crate::camera::Role::Camera | crate::camera::Role::Recorder)
                )
            {
                self.published.insert(ip);
                self.learned.push(ip);
            }
        }
        let context = self.knowledge.context();
        for detector in &mut self.detectors {
            detector.observe(&context, observation, &mut self.pending);
            detector.drain_events(&mut self.events);
        }
        self.encode_events(out);
        // Idle incidents close once per second of packet time: the sweep
        // walks every open incident.
        if self.now.since(self.last_tick) >= crate::timestamp::NANOS_PER_SEC {
            self.last_tick = self.now;
            self.incidents.tick(self.now, &mut self.lines);
        }
        self.flush_alerts(out)
    }

    /// End of input: detectors report what is pending, and add what they
    /// learned to the baseline.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> usize {
        let context = self.knowledge.context();
        for detector in &mut self.detectors {
            detector.finish(&context, self.now, &mut self.pending);
            detector.drain_events(&mut self.events);
        }
        self.encode_events(out);
        let knowledge = &mut self.knowledge;
        for detector in &self.detectors {
            detector.learned(&mut knowledge.baseline);
        }
        knowledge.inventory.name_peers(&knowledge.names);
        let mut raised = self.flush_alerts(out);
        self.incidents.finish(self.now, &mut self.lines);
        raised += self.encode_lines(out);
        raised
    }

    /// Detector matches pass the policy's tuning (group `disable` and
    /// `severity`, `[[suppress]]` entries), then the incident layer; the
    /// lines it lets through are counted and encoded. A dropped match
    /// neither opens nor updates an incident. Returns the number of lines.
    fn flush_alerts(&mut self, out: &mut Vec<u8>) -> usize {
        let policy = &self.knowledge.policy;
        for mut alert in self.pending.drain(..) {
            if self.stats.tune(policy, &mut alert) {
                self.incidents.add(alert, &mut self.lines);
            }
        }
        self.encode_lines(out)
    }

    /// Writes the detectors' events (counted apart from the alerts).
    fn encode_events(&mut self, out: &mut Vec<u8>) {
        for event in self.events.drain(..) {
            self.stats.events += 1;
            if let Some(encoder) = &mut self.encoder {
                encoder.encode_event(&event, out);
            }
        }
    }

    fn encode_lines(&mut self, out: &mut Vec<u8>) -> usize {
        let raised = self.lines.len();
        for alert in self.lines.drain(..) {
            let index = category_index(alert.rule.category);
            self.stats.alerts[index] += 1;
            *self.stats.by_rule.entry(alert.rule.id).or_default() += 1;
            // Detection delay is how long an incident took to be reported:
            // its opening line's. Updates and summaries come later by design.
            let opening = alert
                .incident
                .as_ref()
                .is_none_or(|i| i.state == crate::alert::IncidentState::Open);
            if opening {
                let delay = alert.ts.since(alert.evidence_ts) / 1000;
                let _ = self.stats.delay_us[index].record(delay.max(1));
            }
            if let Some(encoder) = &mut self.encoder {
                encoder.encode(&alert, out);
            }
        }
        raised
    }

    /// Whether an alert was written about flow `id` (EVE flow records'
    /// `alerted`); forgets it.
    pub fn take_alerted(&mut self, id: u64) -> bool {
        self.encoder.as_mut().is_some_and(|e| e.take_alerted(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{CameraInfo, Category, Format, Observer, Rule};
    use crate::detect::{RULES, testing};
    use crate::timestamp::NANOS_PER_SEC;

    /// 2026-01-05T00:00:00Z, the day of the synthetic captures.
    const DAY: u64 = 1_767_571_200;

    const POLICY: &str = r#"
[detect.incident]
update_interval = "10m"
close_after = "30m"
max_alerts_per_hour = 0

[[group]]
name = "lobby"
match = { cidr = ["10.20.0.0/24"] }
disable = ["CAMSENTRY-SCAN-5"]
severity = { "CAMSENTRY-EGRESS-1" = 3 }

[[suppress]]
rule = "CAMSENTRY-EGRESS-1"
destination = "*.evil.example"
expires = "2026-01-05"
reason = "pen test"
"#;

    fn engine(policy: &str) -> Engine {
        let policy = Policy::from_str(policy, "p.toml").unwrap_or_else(|e| panic!("{e}"));
        let observer = Observer {
            hostname: "sensor".into(),
            product: "camsentry",
            version: "0",
            interfaces: Vec::new(),
        };
        Engine::new(
            policy,
            Baseline::default(),
            EngineOptions { learn_for: 0 },
            Some(Encoder::new(Format::Ecs, observer)),
        )
    }

    fn matched(rule: Rule, secs: u64, dst: &str, domain: Option<&str>) -> Alert {
        let ts = Timestamp::from_secs(DAY + secs);
        Alert {
            source_port: Some(40_000),
            destination_ip: Some(dst.parse().unwrap()),
            destination_port: Some(443),
            destination_domain: domain.map(str::to_string),
            transport: Some("tcp"),
            camera: CameraInfo {
                group: Some("lobby".into()),
                ..CameraInfo::default()
            },
            ..testing::alert(rule, ts, "10.20.0.12".parse().unwrap())
        }
    }

    /// Passes `alert` through the engine as a detector would; returns the
    /// lines written.
    fn feed(engine: &mut Engine, alert: Alert) -> Vec<serde_json::Value> {
        engine.pending.push(alert);
        let mut out = Vec::new();
        engine.flush_alerts(&mut out);
        String::from_utf8_lossy(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn every_rule_is_listed_once() {
        let ids: std::collections::BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), RULES.len());
    }

    #[test]
    fn the_policy_knows_every_rule_in_order() {
        let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids, crate::alert::RULE_IDS);
    }

    #[test]
    fn suppressed_matches_neither_open_nor_update_an_incident() {
        let mut e = engine(POLICY);
        let evil = Some("update.evil.example");
        // Suppressed: no line, no incident.
        assert!(feed(&mut e, matched(egress::RULE, 0, "198.51.100.66", evil)).is_empty());
        assert!(e.incidents.is_empty());
        assert_eq!(e.incidents.counters.opened, 0);
        // Another destination opens the incident, at the group's severity.
        let lines = feed(&mut e, matched(egress::RULE, 10, "192.0.2.77", None));
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["event"]["severity"], 3);
        assert_eq!(lines[0]["camsentry"]["incident"]["state"], "open");
        // Past the update interval a suppressed match still sends nothing
        // and is not counted into the incident.
        assert!(feed(&mut e, matched(egress::RULE, 700, "198.51.100.66", evil)).is_empty());
        assert_eq!(e.incidents.counters.updates, 0);
        assert_eq!(e.incidents.counters.folded, 0);
        let lines = feed(&mut e, matched(egress::RULE, 710, "192.0.2.78", None));
        assert_eq!(lines[0]["camsentry"]["incident"]["state"], "update");
        assert_eq!(lines[0]["camsentry"]["incident"]["matches"], 2);
        // The group's `disable`: dropped and counted there.
        assert!(feed(&mut e, matched(scan::RULE_ARP, 720, "10.20.0.99", None)).is_empty());
        // The entry expired with 2026-01-05: from the next day it covers
        // nothing.
        let lines = feed(
            &mut e,
            matched(egress::RULE, 86_400 + 10, "198.51.100.66", evil),
        );
        assert_eq!(lines.len(), 1);
        assert_eq!(e.stats.suppressed.len(), 1);
        assert_eq!(e.stats.suppressed[0].matches, 2);
        assert_eq!(e.stats.disabled.len(), 1);
        assert_eq!(e.stats.disabled[0].group, "lobby");
        assert_eq!(e.stats.disabled[0].rule.to_string(), "CAMSENTRY-SCAN-5");
        assert_eq!(e.stats.disabled[0].matches, 1);
        assert_eq!(e.stats.policy_dropped(), 3);
        assert_eq!(e.stats.alerts[category_index(Category::Egress)], 3);

        let text = crate::report::detection_text(&e);
        assert!(
            text.contains("suppression: 3 match(es) dropped by policy"),
            "{text}"
        );
        assert!(
            text.contains("[[suppress]] entry 1 (rule CAMSENTRY-EGRESS-1, destination *.evil.example; expires 2026-01-05; reason \"pen test\"): 2"),
            "{text}"
        );
        assert!(
            text.contains("group \"lobby\" disable CAMSENTRY-SCAN-5: 1"),
            "{text}"
        );
        let json = crate::report::detection_json(&e);
        let s = &json["suppression"];
        assert_eq!(s["matches"], 3);
        assert_eq!(s["entries"][0]["entry"], 1);
        assert_eq!(s["entries"][0]["matches"], 2);
        assert_eq!(s["entries"][0]["reason"], "pen test");
        assert_eq!(s["entries"][0]["expires"], "2026-01-05");
        assert_eq!(s["entries"][0]["camera"], serde_json::Value::Null);
        assert_eq!(s["disabled"][0]["matches"], 1);
    }

    #[test]
    fn the_policy_sets_the_incident_layer_and_a_reload_changes_it() {
        let mut e = engine(POLICY);
        let settings = e.incidents.settings();
        assert_eq!(settings.max_alerts_per_hour, 0);
        assert_eq!(settings.update_interval, 600 * NANOS_PER_SEC);
        let evil = Some("update.evil.example");
        feed(&mut e, matched(egress::RULE, 0, "198.51.100.66", evil));
        feed(&mut e, matched(scan::RULE_ARP, 0, "10.20.0.99", None));

        // The same entry moves to second place and a new one comes first;
        // the group no longer disables anything.
        let reloaded = r#"
[detect.incident]
update_interval = "1m"
close_after = "2h"

[[group]]
name = "lobby"
match = { cidr = ["10.20.0.0/24"] }

[[suppress]]
camera = "lobby"
destination = "192.0.2.0/24"

[[suppress]]
rule = "CAMSENTRY-EGRESS-1"
destination = "*.evil.example"
expires = "2026-01-05"
reason = "pen test"
"#;
        e.set_policy(Policy::from_str(reloaded, "p.toml").unwrap_or_else(|err| panic!("{err}")));
        let settings = e.incidents.settings();
        assert_eq!(settings.update_interval, 60 * NANOS_PER_SEC);
        assert_eq!(settings.close_after, 7200 * NANOS_PER_SEC);
        assert_eq!(settings.max_alerts_per_hour, 30);
        let numbers: Vec<(usize, u64, bool)> = e
            .stats
            .suppressed
            .iter()
            .map(|c| (c.number, c.matches, c.in_policy))
            .collect();
        assert_eq!(numbers, [(1, 0, true), (2, 1, true)]);
        assert!(feed(&mut e, matched(egress::RULE, 5, "192.0.2.1", None)).is_empty());
        assert_eq!(e.stats.suppressed[0].matches, 1);
        // The removed `disable` keeps its count; ARP sweeps alert again.
        assert_eq!(e.stats.disabled.len(), 1);
        assert_eq!(e.stats.disabled[0].matches, 1);
        assert_eq!(
            feed(&mut e, matched(scan::RULE_ARP, 6, "10.20.0.99", None)).len(),
            1
        );

        // Back to a policy without entries: the counted ones stay, marked.
        e.set_policy(Policy::default());
        let kept: Vec<(usize, u64, bool)> = e
            .stats
            .suppressed
            .iter()
            .map(|c| (c.number, c.matches, c.in_policy))
            .collect();
        assert_eq!(kept, [(1, 1, false), (2, 1, false)]);
        assert_eq!(e.incidents.settings(), IncidentSettings::default());
        let text = crate::report::detection_text(&e);
        assert!(text.contains("; removed by a reload): 1"), "{text}");
    }
}
