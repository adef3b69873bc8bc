//! Alerts: the type detectors produce and its two JSON-lines encodings.
//!
//! The default encoding follows the Elastic Common Schema (ECS) so that
//! Elastic, OpenSearch, Splunk and Vector pipelines map it without custom
//! parsing; `--format eve` writes a Suricata EVE-compatible variant for
//! pipelines built around Suricata. Camera-specific details live under a
//! `camsentry` object in both.

use std::net::IpAddr;

use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};

use crate::timestamp::Timestamp;

/// The detector categories (ECS `rule.category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Egress,
    Scan,
    Exfil,
    /// A camera blinded (its video stopped), its address taken over or its
    /// stream injected.
    Tamper,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Egress => "egress",
            Category::Scan => "scan",
            Category::Exfil => "exfil",
            Category::Tamper => "tamper",
        }
    }
}

/// A detection rule: stable id, name, category, severity (1 high to 3
/// low, as Suricata counts) and the ECS `event.action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    /// Numeric id for EVE's `signature_id`.
    pub signature_id: u32,
    pub name: &'static str,
    pub category: Category,
    pub action: &'static str,
    pub severity: u8,
}

/// The camera an alert is about.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CameraInfo {
    pub name: Option<String>,
    pub vendor: Option<String>,
    pub group: Option<String>,
    /// How the host was identified as a camera (`oui`, `rtsp`, `onvif`,
    /// `policy`).
    pub identified_by: Vec<&'static str>,
}

/// One alert, before encoding.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Packet time of the observation that triggered the alert.
    pub ts: Timestamp,
    /// Packet time of the evidence that crossed the threshold (for the
    /// detection-delay figures).
    pub evidence_ts: Timestamp,
    pub rule: Rule,
    pub source_ip: IpAddr,
    pub source_port: Option<u16>,
    pub source_mac: Option<[u8; 6]>,
    pub destination_ip: Option<IpAddr>,
    pub destination_port: Option<u16>,
    pub destination_domain: Option<String>,
    pub transport: Option<&'static str>,
    pub community_id: Option<String>,
    pub vlan: Option<u16>,
    pub camera: CameraInfo,
    /// Detector-specific evidence (`camsentry.evidence.*`).
    pub evidence: Map<String, Value>,
    /// The incident this line belongs to (set by the engine's incident
    /// layer; `None` for a raw detector match).
    pub incident: Option<IncidentInfo>,
}

/// Where an alert line stands in its incident's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentState {
    /// The first match: sent at once.
    Open,
    /// More matches while open (at most one line per update interval).
    Update,
    /// The incident ended (idle, or end of input) with matches not yet
    /// reported.
    Closed,
}

impl IncidentState {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::Open => "open",
            IncidentState::Update => "update",
            IncidentState::Closed => "closed",
        }
    }
}

/// `camsentry.incident`: the running totals of an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentInfo {
    pub id: String,
    pub state: IncidentState,
    pub matches: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Lines about this camera held back by the per-camera cap since its
    /// previous line.
    pub suppressed: u64,
    /// Up to five `{value, matches}`: destinations (name or address) and
    /// ports, busiest first.
    pub top_destinations: Vec<Value>,
    pub top_ports: Vec<Value>,
}

/// Output encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Ecs,
    Eve,
}

/// Fields of the sensor itself (ECS `observer.*`).
#[derive(Debug, Clone)]
pub struct Observer {
    pub hostname: String,
    pub product: &'static str,
    pub version: &'static str,
}

impl Observer {
    pub fn local() -> Observer {
        Observer {
            hostname: hostname(),
            product: "camsentry",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_string())
}

/// ECS writes MAC addresses upper-case with hyphens.
pub fn ecs_mac(mac: [u8; 6]) -> String {
    format!(
        "{:02X}-{:02X}-{:02X}-{:02X}-{:02X}-{:02X}",
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]
    )
}

/// Encodes alerts as JSON lines and gives each a unique, reproducible id.
pub struct Encoder {
    format: Format,
    observer: Observer,
    sequence: u64,
}

impl Encoder {
    pub fn new(format: Format, observer: Observer) -> Encoder {
        Encoder {
            format,
            observer,
            sequence: 0,
        }
    }

    /// `event.id`: a hash of the sensor, the alert's position in the run and
    /// its content; the same capture gives the same ids on every run and any
    /// number of workers, two sensors never collide.
    fn next_id(&mut self, alert: &Alert) -> String {
        self.sequence += 1;
        let mut hasher = Sha1::new();
        hasher.update(self.observer.hostname.as_bytes());
        hasher.update(self.sequence.to_be_bytes());
        hasher.update(alert.ts.as_nanos().to_be_bytes());
        hasher.update(alert.rule.id.as_bytes());
        hasher.update(alert.source_ip.to_string().as_bytes());
        let digest: [u8; 20] = hasher.finalize().into();
        digest[..12].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Appends an informational event (ECS `event.kind: "event"`, e.g. a
    /// stream that resumed or a firmware string that changed) as one line
    /// to `out`. An event uses the alert's fields but is no alert: it has
    /// no `rule` object (EVE: `event_type: "camsentry"`), it bypasses the
    /// incident layer and is not counted with the alerts.
    pub fn encode_event(&mut self, event: &Alert, out: &mut Vec<u8>) {
        let id = self.next_id(event);
        let mut value = match self.format {
            Format::Ecs => self.ecs(event, &id),
            Format::Eve => self.eve(event, &id),
        };
        if let Some(root) = value.as_object_mut() {
            root.remove("rule");
            root.remove("alert");
            match self.format {
                Format::Ecs => {
                    root.insert(
                        "event".into(),
                        json!({
                            "kind": "event",
                            "category": ["network"],
                            "type": ["info"],
                            "action": event.rule.action,
                            "reason": event.rule.name,
                            "id": id,
                            "dataset": "camsentry.event",
                        }),
                    );
                }
                Format::Eve => {
                    root.insert("event_type".into(), "camsentry".into());
                    root.insert(
                        "event".into(),
                        json!({ "action": event.rule.action, "reason": event.rule.name, "id": id }),
                    );
                }
            }
        }
        if serde_json::to_writer(&mut *out, &value).is_ok() {
            out.push(b'\n');
        }
    }

    /// Appends the alert as one line to `out`.
    pub fn encode(&mut self, alert: &Alert, out: &mut Vec<u8>) {
        let id = self.next_id(alert);
        let value = match self.format {
            Format::Ecs => self.ecs(alert, &id),
            Format::Eve => self.eve(alert, &id),
        };
        if serde_json::to_writer(&mut *out, &value).is_ok() {
            out.push(b'\n');
        }
    }

    fn camsentry_object(alert: &Alert) -> Value {
        let camera = &alert.camera;
        let mut object = json!({
            "camera": {
                "name": camera.name,
                "vendor": camera.vendor,
                "group": camera.group,
                "identified_by": camera.identified_by,
            },
            "evidence": alert.evidence,
        });
        if let (Some(incident), Some(map)) = (&alert.incident, object.as_object_mut()) {
            map.insert(
                "incident".into(),
                json!({
                    "id": incident.id,
                    "state": incident.state.as_str(),
                    "matches": incident.matches,
                    "first_seen": incident.first_seen.rfc3339_micros().to_string(),
                    "last_seen": incident.last_seen.rfc3339_micros().to_string(),
                    "suppressed": incident.suppressed,
                    "top_destinations": incident.top_destinations,
                    "top_ports": incident.top_ports,
                }),
            );
        }
        object
    }

    fn ecs(&self, alert: &Alert, id: &str) -> Value {
        let mut source = Map::new();
        source.insert("ip".into(), alert.source_ip.to_string().into());
        if let Some(port) = alert.source_port {
            source.insert("port".into(), port.into());
        }
        if let Some(mac) = alert.source_mac {
            source.insert("mac".into(), ecs_mac(mac).into());
        }
        let mut destination = Map::new();
        if let Some(ip) = alert.destination_ip {
            destination.insert("ip".into(), ip.to_string().into());
        }
        if let Some(port) = alert.destination_port {
            destination.insert("port".into(), port.into());
        }
        if let Some(domain) = &alert.destination_domain {
            destination.insert("domain".into(), domain.clone().into());
        }
        let mut network = Map::new();
        if let Some(transport) = alert.transport {
            network.insert("transport".into(), transport.into());
        }
        if let Some(community_id) = &alert.community_id {
            network.insert("community_id".into(), community_id.clone().into());
        }
        if let Some(vlan) = alert.vlan {
            network.insert("vlan".into(), json!({ "id": vlan.to_string() }));
        }
        let mut root = Map::new();
        root.insert(
            "@timestamp".into(),
            alert.ts.rfc3339_micros().to_string().into(),
        );
        root.insert(
            "event".into(),
            json!({
                "kind": "alert",
                "category": ["network", "intrusion_detection"],
                "type": ["connection", "denied"],
                "action": alert.rule.action,
                "severity": alert.rule.severity,
                "id": id,
                "dataset": "camsentry.alert",
            }),
        );
        root.insert(
            "rule".into(),
            json!({
                "id": alert.rule.id,
                "name": alert.rule.name,
                "category": alert.rule.category.as_str(),
                "ruleset": "camsentry",
            }),
        );
        root.insert("source".into(), Value::Object(source));
        if !destination.is_empty() {
            root.insert("destination".into(), Value::Object(destination));
        }
        if !network.is_empty() {
            root.insert("network".into(), Value::Object(network));
        }
        root.insert(
            "observer".into(),
            json!({
                "hostname": self.observer.hostname,
                "product": self.observer.product,
                "version": self.observer.version,
                "type": "sensor",
            }),
        );
        root.insert("camsentry".into(), Self::camsentry_object(alert));
        Value::Object(root)
    }

    fn eve(&self, alert: &Alert, id: &str) -> Value {
        let mut root = Map::new();
        root.insert("timestamp".into(), alert.ts.eve().to_string().into());
        root.insert("event_type".into(), "alert".into());
        root.insert("src_ip".into(), alert.source_ip.to_string().into());
        if let Some(port) = alert.source_port {
            root.insert("src_port".into(), port.into());
        }
        if let Some(ip) = alert.destination_ip {
            root.insert("dest_ip".into(), ip.to_string().into());
        }
        if let Some(port) = alert.destination_port {
            root.insert("dest_port".into(), port.into());
        }
        if let Some(transport) = alert.transport {
            root.insert("proto".into(), transport.to_ascii_uppercase().into());
        }
        if let Some(community_id) = &alert.community_id {
            root.insert("community_id".into(), community_id.clone().into());
        }
        if let Some(vlan) = alert.vlan {
            root.insert("vlan".into(), json!([vlan]));
        }
        if let Some(mac) = alert.source_mac {
            root.insert(
                "ether".into(),
                json!({ "src_mac": ecs_mac(mac).replace('-', ":").to_ascii_lowercase() }),
            );
        }
        root.insert(
            "alert".into(),
            json!({
                "action": "allowed",
                "gid": 1,
                "signature_id": alert.rule.signature_id,
                "rev": 1,
                "signature": alert.rule.name,
                "category": alert.rule.category.as_str(),
                "severity": alert.rule.severity,
                "metadata": { "event_id": [id], "rule_id": [alert.rule.id] },
            }),
        );
        if let Some(domain) = &alert.destination_domain {
            root.insert("hostname".into(), domain.clone().into());
        }
        root.insert("host".into(), self.observer.hostname.clone().into());
        root.insert("camsentry".into(), Self::camsentry_object(alert));
        Value::Object(root)
    }
}
