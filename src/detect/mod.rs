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
use crate::config::policy::{Role, Transport};
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

/// Per-category alert counts and detection delays.
pub struct DetectionStats {
    pub alerts: [u64; 3],
    /// Alerts per rule id.
    pub by_rule: std::collections::BTreeMap<&'static str, u64>,
    /// Packet-time delay (microseconds) between the evidence that crossed a
    /// threshold and the alert, per category.
    pub delay_us: [Histogram<u64>; 3],
}

impl Default for DetectionStats {
    fn default() -> Self {
        let histogram = || Histogram::new_with_bounds(1, 86_400_000_000, 3).expect("static bounds");
        DetectionStats {
            alerts: [0; 3],
            by_rule: std::collections::BTreeMap::new(),
            delay_us: [histogram(), histogram(), histogram()],
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
        self.baseline.learn_peer(
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
        Engine {
            knowledge: Knowledge::new(policy, baseline, options.learn_for),
            detectors,
            encoder,
            pending: Vec::new(),
            lines: Vec::new(),
            incidents: Incidents::new(IncidentSettings::default()),
            now: Timestamp::ZERO,
            last_tick: Timestamp::ZERO,
            stats: DetectionStats::default(),
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

    /// Replaces the policy (SIGHUP reload), keeping all learned state.
    pub fn set_policy(&mut self, policy: Policy) {
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

    /// Detector matches go through the incident layer; the lines it lets
    /// through are counted and encoded. Returns the number of lines.
    fn flush_alerts(&mut self, out: &mut Vec<u8>) -> usize {
        for alert in self.pending.drain(..) {
            self.incidents.add(alert, &mut self.lines);
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
