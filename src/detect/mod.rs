//! Camera policy detection.
//!
//! The [`Engine`] lives in the collector thread and receives every
//! observation in input order (see `pipeline::collector`), so cross-flow
//! state (per-camera counters, windows, the inventory) needs no locks and
//! gives the same alerts for any number of workers.
//!
//! For each observation the engine first updates shared knowledge (the
//! camera inventory, the name table, the baseline while learning), then
//! hands it to each detector. Detectors share one trait and one
//! [`Context`]; each lives in its own file:
//! - `egress`: a camera starts a flow to a destination neither policy nor
//!   baseline allows;
//! - `scan`: a camera probes hosts or ports (Threshold Random Walk plus
//!   distinct-target windows and ARP sweeps);
//! - `exfil`: a camera uploads unusual volume to anything but a recorder.

pub mod baseline;
pub mod egress;
pub mod exfil;
pub mod incident;
pub mod scan;

use std::net::IpAddr;

use hdrhistogram::Histogram;

pub use baseline::{Baseline, LearnedPeer};

use crate::alert::{Alert, CameraInfo, Category, Encoder, Rule};
use crate::camera::{Inventory, Names};
use crate::config::Policy;
use crate::config::policy::{Group, Role, RulePattern, Suppression, Transport};
use crate::flow::record::transport_name;
use crate::observation::Observation;
use crate::timestamp::{Nanos, Timestamp};
use incident::{IncidentSettings, Incidents};

/// A detector: sees every observation with the shared context and pushes
/// the alerts it raises.
pub trait Detector: Send {
    /// The category it reports under.
    fn category(&self) -> Category;

    fn observe(
        &mut self,
        context: &Context<'_>,
        observation: &Observation,
        alerts: &mut Vec<Alert>,
    );

    /// End of input: report what is still pending.
    fn finish(&mut self, _context: &Context<'_>, _now: Timestamp, _alerts: &mut Vec<Alert>) {}

    /// Adds what the detector learned (upload volumes) to the baseline that
    /// `camsentry learn` writes.
    fn learned(&self, _baseline: &mut Baseline) {}
}

/// Why a destination is acceptable for a camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerClass {
    /// A recorder: video to it is never exfiltration.
    Recorder,
    /// DNS, NTP, DHCP: site infrastructure.
    Infrastructure,
    /// Allowed by a policy rule with this role.
    Policy(Role),
    /// Contacted while learning.
    Learned,
    /// Multicast, broadcast and link-local discovery: never a peer.
    LocalScope,
}

/// What detectors may read.
pub struct Context<'a> {
    pub policy: &'a Policy,
    pub inventory: &'a Inventory,
    pub names: &'a Names,
    pub baseline: &'a Baseline,
    /// Learning period per camera (from its first sighting).
    pub learn_for: Nanos,
}

/// Multicast, broadcast and unspecified destinations: discovery traffic,
/// not a conversation with a peer.
pub fn is_local_scope(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_multicast() || v4.is_broadcast() || v4.is_unspecified(),
        IpAddr::V6(v6) => v6.is_multicast() || v6.is_unspecified(),
    }
}

impl Context<'_> {
    pub fn is_camera(&self, ip: IpAddr) -> bool {
        self.inventory.is_camera(self.policy, ip)
    }

    /// Whether `camera` is still in its learning period at `ts`.
    pub fn is_learning(&self, camera: IpAddr, ts: Timestamp) -> bool {
        self.learn_for > 0
            && self
                .inventory
                .host(camera)
                .is_some_and(|h| ts.since(h.first_seen) < self.learn_for)
    }

    /// Classifies a destination of `camera`, or `None` when nothing allows
    /// it. `port` is the destination port (ICMP: none).
    pub fn peer_class(
        &self,
        camera: IpAddr,
        dst: IpAddr,
        port: u16,
        proto: u8,
    ) -> Option<PeerClass> {
        if is_local_scope(dst) {
            return Some(PeerClass::LocalScope);
        }
        if self.inventory.is_recorder(self.policy, dst) {
            return Some(PeerClass::Recorder);
        }
        let internal = self.policy.is_internal(dst);
        let site = self.policy.site();
        let infrastructure = match (proto, port) {
            (17 | 6, 53) => site.dns().is_empty() && internal || self.policy.is_dns_server(dst),
            (17, 123) => site.ntp().is_empty() && internal || self.policy.is_ntp_server(dst),
            (17, 67) => internal,
            _ => false,
        };
        if infrastructure {
            return Some(PeerClass::Infrastructure);
        }
        let name = self.names.lookup(camera, dst);
        let transport = Transport::from_ip_proto(proto);
        let port_opt = matches!(proto, 6 | 17 | 132).then_some(port);
        let host = self.inventory.host(camera);
        let vendor = host.and_then(|h| h.vendor.map(|v| v.name));
        if let Some(group) = self
            .policy
            .group_for(camera, host.and_then(|h| h.mac), vendor)
            && let Some(rule) = group.allows(dst, name, port_opt, transport)
        {
            return Some(PeerClass::Policy(rule.role()));
        }
        if self
            .baseline
            .knows(camera, dst, name, port, transport_name(proto))
        {
            return Some(PeerClass::Learned);
        }
        None
    }

    /// An alert about `camera` with the camera's details filled in.
    pub fn camera_alert(&self, rule: Rule, camera: IpAddr, ts: Timestamp) -> Alert {
        let host = self.inventory.host(camera);
        let vendor = host.and_then(|h| h.vendor.map(|v| v.name));
        let group = self
            .policy
            .group_for(camera, host.and_then(|h| h.mac), vendor)
            .map(|g| g.name().to_string());
        Alert {
            ts,
            evidence_ts: ts,
            rule,
            source_ip: camera,
            source_port: None,
            source_mac: host.and_then(|h| h.mac),
            destination_ip: None,
            destination_port: None,
            destination_domain: None,
            transport: None,
            community_id: None,
            vlan: None,
            camera: CameraInfo {
                name: host.and_then(|h| h.display_name()).map(str::to_string),
                vendor: vendor.map(str::to_string),
                group,
                identified_by: host.map(|h| h.identified_by()).unwrap_or_default(),
            },
            evidence: serde_json::Map::new(),
            incident: None,
        }
    }
}

/// Every rule camsentry raises, in id order: what policy rule patterns
/// (`[[suppress]] rule`, a group's `disable` and `severity`) are checked
/// against.
pub const RULES: [Rule; 11] = [
    egress::RULE,
    exfil::RULE_BUDGET,
    exfil::RULE_BASELINE,
    exfil::RULE_SLOW,
    scan::RULES[0],
    scan::RULES[1],
    scan::RULES[2],
    scan::RULES[3],
    scan::RULES[4],
    scan::RULES[5],
    scan::RULES[6],
];

/// Detection settings that are not in the policy file.
pub struct EngineOptions {
    pub learn_for: Nanos,
}

/// Matches one `[[suppress]]` entry dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct SuppressCount {
    /// 1-based position of the entry in the policy that held it.
    pub number: usize,
    pub entry: Suppression,
    pub matches: u64,
    /// False for an entry a policy reload removed: its count is kept.
    pub in_policy: bool,
}

/// Matches one `disable` entry of a group dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct DisableCount {
    pub group: String,
    pub rule: RulePattern,
    pub matches: u64,
}

/// Per-category alert counts and detection delays.
pub struct DetectionStats {
    pub alerts: [u64; 3],
    /// Alerts per rule id.
    pub by_rule: std::collections::BTreeMap<&'static str, u64>,
    /// Packet-time delay (microseconds) between the evidence that crossed a
    /// threshold and the alert, per category.
    pub delay_us: [Histogram<u64>; 3],
    /// Per `[[suppress]]` entry of the policy in force, in file order, then
    /// entries that a reload removed after they had dropped matches.
    pub suppressed: Vec<SuppressCount>,
    /// Per group `disable` entry (of the policy in force, then removed ones
    /// that had dropped matches).
    pub disabled: Vec<DisableCount>,
}

impl DetectionStats {
    /// Matches the policy dropped, by suppression entries and group
    /// `disable` lists together.
    pub fn policy_dropped(&self) -> u64 {
        self.suppressed.iter().map(|c| c.matches).sum::<u64>()
            + self.disabled.iter().map(|c| c.matches).sum::<u64>()
    }

    /// Lines up the counters with `policy`'s entries: an entry equal to one
    /// of the previous policy keeps its count; removed entries that counted
    /// something are kept after the current ones.
    fn track_policy(&mut self, policy: &Policy) {
        let mut old = std::mem::take(&mut self.suppressed);
        let mut next: Vec<SuppressCount> = Vec::with_capacity(policy.suppressions().len());
        for (index, entry) in policy.suppressions().iter().enumerate() {
            let matches = old
                .iter()
                .position(|c| c.in_policy && c.entry == *entry)
                .map_or(0, |at| old.remove(at).matches);
            next.push(SuppressCount {
                number: index + 1,
                entry: entry.clone(),
                matches,
                in_policy: true,
            });
        }
        next.extend(
            old.into_iter()
                .filter(|c| c.matches > 0)
                .map(|c| SuppressCount {
                    in_policy: false,
                    ..c
                }),
        );
        self.suppressed = next;

        let mut old = std::mem::take(&mut self.disabled);
        for group in policy.groups() {
            for rule in group.disabled() {
                let matches = old
                    .iter()
                    .position(|c| c.group == group.name() && c.rule == *rule)
                    .map_or(0, |at| old.remove(at).matches);
                self.disabled.push(DisableCount {
                    group: group.name().to_string(),
                    rule: rule.clone(),
                    matches,
                });
            }
        }
        self.disabled
            .extend(old.into_iter().filter(|c| c.matches > 0));
    }

    /// Applies the policy's tuning to a detector match: false when a
    /// group's `disable` or a `[[suppress]]` entry drops it (counted), else
    /// the group's severity override, if any, is set on it.
    fn tune(&mut self, policy: &Policy, alert: &mut Alert) -> bool {
        let group = alert
            .camera
            .group
            .as_deref()
            .and_then(|name| policy.group(name));
        if let Some(group) = group
            && let Some(rule) = group.disables(alert.rule.id)
        {
            match self
                .disabled
                .iter_mut()
                .find(|c| c.group == group.name() && c.rule == *rule)
            {
                Some(count) => count.matches += 1,
                None => self.disabled.push(DisableCount {
                    group: group.name().to_string(),
                    rule: rule.clone(),
                    matches: 1,
                }),
            }
            return false;
        }
        if let Some(index) = policy.suppression_for(alert, group.map(Group::name)) {
            // Current entries come first, in policy order.
            if let Some(count) = self.suppressed.get_mut(index) {
                count.matches += 1;
            }
            return false;
        }
        if let Some(severity) = group.and_then(|g| g.severity_for(alert.rule.id)) {
            alert.rule.severity = severity;
        }
        true
    }
}

impl Default for DetectionStats {
    fn default() -> Self {
        let histogram = || Histogram::new_with_bounds(1, 86_400_000_000, 3).expect("static bounds");
        DetectionStats {
            alerts: [0; 3],
            by_rule: std::collections::BTreeMap::new(),
            delay_us: [histogram(), histogram(), histogram()],
            suppressed: Vec::new(),
            disabled: Vec::new(),
        }
    }
}

pub fn category_index(category: Category) -> usize {
    match category {
        Category::Egress => 0,
        Category::Scan => 1,
        Category::Exfil => 2,
    }
}

/// What detection knows about the site: the policy, the cameras, the
/// names, the baseline. Kept apart from the detectors so that each detector
/// can read it (as a [`Context`]) while the detector itself is updated.
pub struct Knowledge {
    pub policy: Policy,
    pub inventory: Inventory,
    pub names: Names,
    pub baseline: Baseline,
    /// Learning period per camera (from its first sighting).
    pub learn_for: Nanos,
}

impl Knowledge {
    pub fn new(policy: Policy, baseline: Baseline, learn_for: Nanos) -> Knowledge {
        Knowledge {
            policy,
            inventory: Inventory::default(),
            names: Names::default(),
            baseline,
            learn_for,
        }
    }

    pub fn context(&self) -> Context<'_> {
        Context {
            policy: &self.policy,
            inventory: &self.inventory,
            names: &self.names,
            baseline: &self.baseline,
            learn_for: self.learn_for,
        }
    }

    /// Updates the inventory and the names and, while a camera learns,
    /// remembers the destinations it starts flows to.
    pub fn observe(&mut self, observation: &Observation) {
        self.inventory.observe(&self.policy, observation);
        match observation {
            Observation::DnsAnswer {
                client,
                name,
                address,
                ..
            } => self.names.dns_answer(*client, name, *address),
            Observation::TlsSni {
                client,
                server,
                name,
                ..
            } => self.names.sni(*client, *server, name),
            Observation::FlowStart {
                ts,
                initiator,
                responder,
                proto,
                ..
            } => self.learn(*ts, initiator.ip, responder.ip, responder.port, *proto),
            _ => {}
        }
    }

    fn learn(&mut self, ts: Timestamp, camera: IpAddr, dst: IpAddr, port: u16, proto: u8) {
        let context = self.context();
        if !context.is_camera(camera) || !context.is_learning(camera, ts) || is_local_scope(dst) {
            return;
        }
        let name = self.names.lookup_own(camera, dst).map(str::to_string);
        let _ = self.baseline.learn_peer(
            camera,
            LearnedPeer {
                address: Some(dst),
                name,
                port,
                transport: transport_name(proto).to_string(),
            },
        );
    }
}

pub struct Engine {
    knowledge: Knowledge,
    detectors: Vec<Box<dyn Detector>>,
    encoder: Option<Encoder>,
    /// Detector matches of the current observation.
    pending: Vec<Alert>,
    /// Lines the incident layer lets through.
    lines: Vec<Alert>,
    pub incidents: Incidents,
    now: Timestamp,
    /// Packet time of the last idle-incident sweep.
    last_tick: Timestamp,
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
            incidents,
            now: Timestamp::ZERO,
            last_tick: Timestamp::ZERO,
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
        self.knowledge.observe(observation);
        let context = self.knowledge.context();
        for detector in &mut self.detectors {
            detector.observe(&context, observation, &mut self.pending);
        }
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
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Format, Observer};
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
            ts,
            evidence_ts: ts,
            rule,
            source_ip: "10.20.0.12".parse().unwrap(),
            source_port: Some(40_000),
            source_mac: None,
            destination_ip: Some(dst.parse().unwrap()),
            destination_port: Some(443),
            destination_domain: domain.map(str::to_string),
            transport: Some("tcp"),
            community_id: None,
            vlan: None,
            camera: CameraInfo {
                group: Some("lobby".into()),
                ..CameraInfo::default()
            },
            evidence: serde_json::Map::new(),
            incident: None,
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
