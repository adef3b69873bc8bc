//! The Elastic Common Schema documents camsentry writes: alerts
//! ([`EcsAlert`]) and finished flows ([`EcsFlow`]).
//!
//! These structs are the schema: the encoder fills and serialises them, the
//! tests read lines back into them, and the README's field table is checked
//! against a serialised example of each. A field name has one JSON type in
//! every document whatever rule wrote it (a dynamic mapping in Elasticsearch
//! or OpenSearch refuses whichever type comes second), which is why the
//! detectors' evidence is typed here too ([`Evidence`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `ecs.version`: the ECS release these documents follow.
pub const ECS_VERSION: &str = "8.11.0";
/// `observer.vendor`.
pub const VENDOR: &str = "camsentry";
/// `event.module`.
pub const MODULE: &str = "camsentry";
/// `event.dataset` of alerts and of flow records.
pub const ALERT_DATASET: &str = "camsentry.alert";
pub const FLOW_DATASET: &str = "camsentry.flow";

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcsAlert {
    #[serde(rename = "@timestamp")]
    pub timestamp: String,
    pub ecs: Ecs,
    /// One sentence saying what happened, for people reading the SIEM.
    pub message: String,
    pub event: Event,
    pub rule: RuleFields,
    pub source: Endpoint,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<Endpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    /// The server name the camera put in a TLS ClientHello to the
    /// destination, when that is where its name came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Tls>,
    pub related: Related,
    pub observer: ObserverFields,
    pub camsentry: CamsentryAlert,
}

/// One finished flow (`--flows`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcsFlow {
    /// The flow's end (its last packet).
    #[serde(rename = "@timestamp")]
    pub timestamp: String,
    pub ecs: Ecs,
    pub event: Event,
    /// The initiator (or, mid-stream, the side the ports say is the client).
    pub source: Endpoint,
    pub destination: Endpoint,
    pub network: Network,
    pub related: Related,
    pub observer: ObserverFields,
    pub camsentry: CamsentryFlow,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ecs {
    pub version: String,
}

impl Ecs {
    pub fn current() -> Ecs {
        Ecs {
            version: ECS_VERSION.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// `alert` or `event` (a flow record).
    pub kind: String,
    pub category: Vec<String>,
    /// A passive sensor blocks nothing: an alert is
    /// `["connection","allowed"]` (as Filebeat's Suricata module maps an
    /// alert whose action was `allowed`), a flow `["connection","end"]`.
    #[serde(rename = "type")]
    pub types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// 1 (high) to 3 (low), as Suricata counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<u8>,
    /// 0 to 100, from the severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub dataset: String,
    pub module: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Nanoseconds, as ECS counts `event.duration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
    /// Why a flow record was written (`closed`, `timeout`, `evicted`,
    /// `end_of_input`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFields {
    pub id: String,
    pub name: String,
    pub category: String,
    pub ruleset: String,
}

/// `source` or `destination`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Upper case with hyphens, as ECS writes MAC addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// What this side sent (flow records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packets: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// `ipv4` or `ipv6`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub ip_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    /// The application protocol (`rtsp`, `http`, `tls`, `dns`, `ntp`,
    /// ...), lowercase, as the server's well-known port names it; absent
    /// for other ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The IP protocol number, as a string (ECS keyword).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iana_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan: Option<Vlan>,
    /// The inner tag of a QinQ frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner: Option<InnerNetwork>,
    /// Both directions together (flow records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packets: Option<u64>,
}

/// ECS keeps VLAN ids as keywords (strings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vlan {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InnerNetwork {
    pub vlan: Vlan,
}

/// `tls.*`: only the client's server name (SNI).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    pub client: TlsClient,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsClient {
    pub server_name: String,
}

/// Every address and name the document mentions, for pivoting.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Related {
    pub ip: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObserverFields {
    pub hostname: String,
    pub vendor: String,
    pub product: String,
    pub version: String,
    /// Always `sensor`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Live capture: the interface the flow (or ARP frame) came in on; on
    /// a document about no one flow, the only interface when there is
    /// one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Ingress>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ingress {
    pub interface: Interface,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    pub name: String,
}

/// `camsentry.*` of an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CamsentryAlert {
    pub camera: Camera,
    pub evidence: Evidence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<Incident>,
    /// The flow the alert is about, as its flow record and EVE's
    /// `flow_id` name it (absent for alerts about many flows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<u64>,
    /// EVE only: the destination's name, whatever named it (ECS has
    /// `destination.domain`; EVE's `tls.sni` or `dns.query` say where a
    /// name came from when it is known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_domain: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    pub name: Option<String>,
    pub vendor: Option<String>,
    pub group: Option<String>,
    /// `oui`, `rtsp`, `onvif`, `policy`.
    pub identified_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    pub id: String,
    /// `open`, `update` or `closed`.
    pub state: String,
    pub matches: u64,
    pub first_seen: String,
    pub last_seen: String,
    pub suppressed: u64,
    pub top_destinations: Vec<TopValue<String>>,
    pub top_ports: Vec<TopValue<u16>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopValue<T> {
    pub value: T,
    pub matches: u64,
}

/// `camsentry.*` of a flow record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CamsentryFlow {
    pub flow_id: u64,
    /// The responder sent at least one packet.
    pub answered: bool,
    /// The opening was not seen: `source` is the side the ports say is the
    /// client.
    pub midstream: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpFields>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TcpFields {
    pub state: String,
    /// Flags each side sent, as letters (`S`, `A`, `F`, `R`, `P`, `U`).
    pub source_flags: String,
    pub destination_flags: String,
}

/// `camsentry.evidence`: what each rule measured. Every field keeps one
/// JSON type across rules; a rule that needs a new field adds it here
/// (unknown names land in `other`, which the schema test requires empty).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The alert in words (also the document's `message`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    // Egress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_name: Option<String>,
    /// Where `destination_name` was seen: `dns` (an answer the camera
    /// received) or `sni` (a TLS ClientHello it sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_source: Option<String>,
    /// Whether the flow that raised an egress alert had been answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_answered: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packets_so_far: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_so_far: Option<u64>,
    // Scans: counts, thresholds, windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct_hosts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct_ports: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct_targets: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct_destinations: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_targets: Option<u64>,
    /// A count threshold (distinct hosts, ports, targets, destinations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u64>,
    /// The sequential test's likelihood-ratio threshold (SCAN-6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub likelihood_threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub likelihood_ratio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contacts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successes: Option<u64>,
    /// Targets that answered (a count; see `flow_answered` for egress).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_answered: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_allowed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unanswered: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arp_unanswered: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_ratio: Option<f64>,
    /// The one host a port scan (SCAN-4) probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// A sample of the addresses a scan probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<u16>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transports: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_ports: Option<Vec<PortCount>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_capped: Option<u64>,
    // Exfiltration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_by: Option<String>,
    /// The policy allow rule's target, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_seconds: Option<u64>,
    /// The budget the rule compared with: `budget` for people
    /// (`10MB/1h`), `budget_bytes` per `budget_window_seconds` for machines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_window_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recent_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recent_window_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned_bytes_per_hour: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_factor: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crossed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_destinations: Option<Vec<TopDestination>>,
    // Sensor: the inventory's refusals and capacities (SENSOR-1; also
    // `refused` above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_per_second: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_total: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_hosts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_cameras: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_hosts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_plain_hosts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_for_evidence: Option<u64>,
    /// Camera places held when the inventory refused hosts (SENSOR-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_places: Option<u64>,
    /// The cameras a recorder stopped receiving (TAMPER-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cameras: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_cameras: Option<u64>,
    // Exposure and tamper (EXPOSURE-*, TAMPER-*); `answer` and
    // `gateway_search` are objects whose members depend on the protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments_seen: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arp_operation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_mac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadence_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cameras_dark: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claiming_mac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_hosts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_hosts_capped: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_peer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_port: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_search: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gratuitous: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_client: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_port: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_video: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub midstream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_sequence: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_ssrc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_sequence: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_ssrc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorder: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retransmissions: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_port: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent_seconds: Option<u64>,
    /// Fields this struct does not know yet (see the type doc).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortCount {
    pub port: u16,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopDestination {
    pub ip: String,
    pub domain: Option<String>,
    pub port: Option<u16>,
    pub bytes: u64,
}

impl Evidence {
    /// The typed view of a detector's evidence map. A field whose type
    /// differs from the schema is kept as written, under `other`, rather
    /// than lost (the schema test fails on it).
    pub fn from_map(map: &Map<String, Value>) -> Evidence {
        // Read in place: the map is copied only when it does not fit.
        match Evidence::deserialize(map) {
            Ok(evidence) => evidence,
            Err(_) => Evidence {
                other: map.clone(),
                ..Evidence::default()
            },
        }
    }
}

/// `event.risk_score` (0-100) for a severity of 1 (high) to 3 (low).
pub fn risk_score(severity: u8) -> f64 {
    match severity {
        0 | 1 => 75.0,
        2 => 50.0,
        _ => 25.0,
    }
}
