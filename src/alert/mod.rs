//! Alerts: the type detectors produce and its two JSON-lines encodings.
//!
//! The default encoding follows the Elastic Common Schema (ECS) so that
//! Elastic, OpenSearch, Splunk and Vector pipelines map it without custom
//! parsing; `--format eve` writes a Suricata EVE-compatible variant for
//! pipelines built around Suricata. Camera-specific details live under a
//! `camsentry` object in both. Parts:
//! - [`ecs`] and [`eve`]: the documents, as typed structs (the schema);
//! - `encode`: alerts to documents, with reproducible ids;
//! - [`flows`]: flow records to documents (pure functions of the record).

pub mod ecs;
mod encode;
pub mod eve;
pub mod flows;
pub mod rule_ids;

use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::timestamp::Timestamp;

pub use encode::Encoder;
pub use rule_ids::RULE_IDS;

/// The detector categories (ECS `rule.category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Egress,
    Scan,
    Exfil,
    /// The sensor itself (its bounds overflowed), not a camera.
    Sensor,
    /// A camera reachable from the Internet, or asking the router to make
    /// it so (UPnP, NAT-PMP, PCP port mappings).
    Exposure,
    /// A camera blinded (its video stopped), its address taken over or its
    /// stream injected.
    Tamper,
}

impl Category {
    /// Every category, in the order summaries and per-category counters
    /// use.
    pub const ALL: [Category; 6] = [
        Category::Egress,
        Category::Scan,
        Category::Exfil,
        Category::Sensor,
        Category::Exposure,
        Category::Tamper,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Egress => "egress",
            Category::Scan => "scan",
            Category::Exfil => "exfil",
            Category::Sensor => "sensor",
            Category::Exposure => "exposure",
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
    /// Live capture: the interface (index into [`Observer::interfaces`])
    /// the alert's flow, or ARP frame, was first seen on; `None` when the
    /// alert is about no one flow or frame.
    pub interface: Option<u16>,
    pub camera: CameraInfo,
    /// Detector-specific evidence (`camsentry.evidence.*`).
    pub evidence: Map<String, Value>,
    /// The incident this line belongs to (set by the engine's incident
    /// layer; `None` for a raw detector match).
    pub incident: Option<IncidentInfo>,
    /// The one flow the alert is about, if any (EVE's `flow_id` and
    /// `flow`).
    pub flow: Option<AlertFlow>,
}

/// The flow an alert is about, as far as the detector has seen it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertFlow {
    /// [`crate::flow::record::flow_id`] of the flow.
    pub id: u64,
    pub start: Timestamp,
    pub initiator: (IpAddr, u16),
    pub responder: (IpAddr, u16),
    /// Packets and bytes so far, from the initiator then the responder,
    /// when the detector counts them.
    pub packets: Option<[u64; 2]>,
    pub bytes: Option<[u64; 2]>,
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
    /// The capture interfaces, in `-i` order (replay has none). A flow
    /// record or alert names the one its flow was first seen on
    /// (`observer.ingress.interface.name`, EVE `in_iface`), by index.
    pub interfaces: Vec<String>,
}

impl Observer {
    pub fn local() -> Observer {
        Observer {
            hostname: hostname(),
            product: "camsentry",
            version: env!("CARGO_PKG_VERSION"),
            interfaces: Vec::new(),
        }
    }

    /// This sensor capturing on `interfaces` (in `-i` order).
    pub fn with_interfaces(mut self, interfaces: Vec<String>) -> Observer {
        self.interfaces = interfaces;
        self
    }

    /// The name of capture interface `index`; with no index (an alert
    /// about no one flow), the only interface when there is one, since
    /// everything came from it.
    pub fn interface(&self, index: Option<u16>) -> Option<&str> {
        match (index, self.interfaces.as_slice()) {
            (Some(index), names) => names.get(usize::from(index)).map(String::as_str),
            (None, [only]) => Some(only),
            (None, _) => None,
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

/// Lower-case hex of `bytes`, for ids made of a hash's leading bytes (one
/// allocation, not one per byte).
pub fn hex_id(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        id.push(char::from(DIGITS[usize::from(b >> 4)]));
        id.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    id
}

/// Feeds an address's text form (`10.20.0.11`, `2001:db8::1`) to `update`
/// without allocating it: ids hash the text, so they stay what they were.
pub fn with_ip_text<R>(ip: IpAddr, update: impl FnOnce(&[u8]) -> R) -> R {
    use std::io::Write;
    // The longest text form, an IPv4-mapped IPv6 address, is 45 bytes.
    let mut buf = [0u8; 64];
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    let _ = write!(cursor, "{ip}");
    let len = cursor.position() as usize;
    update(&buf[..len])
}

/// ECS writes MAC addresses upper-case with hyphens.
pub fn ecs_mac(mac: [u8; 6]) -> String {
    format!(
        "{:02X}-{:02X}-{:02X}-{:02X}-{:02X}-{:02X}",
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_hex_and_text_they_always_were() {
        let bytes = [0x00, 0x0f, 0xa5, 0xff, 0x10];
        let old: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex_id(&bytes), old);
        assert_eq!(hex_id(&[]), "");
        for text in [
            "10.20.0.11",
            "255.255.255.255",
            "::",
            "2001:db8::1",
            "::ffff:255.255.255.255",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "0:0:0:0:0:ffff:c000:280",
        ] {
            let ip: IpAddr = text.parse().unwrap();
            let fed = with_ip_text(ip, |t| t.to_vec());
            assert_eq!(fed, ip.to_string().into_bytes(), "{text}");
        }
    }
}
