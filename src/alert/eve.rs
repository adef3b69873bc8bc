//! Suricata EVE documents (`--format eve`): alerts ([`EveAlert`]) and flow
//! records ([`EveFlow`]) in Suricata 7's layout, so that tools built for
//! Suricata (its Filebeat module, EveBox, Arkime's Suricata plugin) read
//! them as they read Suricata's own.
//!
//! A flow's alerts and its flow record share `flow_id`, a number derived
//! from the flow key and start time (see [`crate::flow::record::flow_id`]).
//! What EVE has no field for stays under the `camsentry` vendor object.

use serde::{Deserialize, Serialize};

use super::ecs::{CamsentryAlert, CamsentryFlow};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EveAlert {
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<u64>,
    /// Live capture: the interface the alert's flow (or ARP frame) came
    /// in on (Suricata 7 writes the alerting packet's in every event's
    /// header, `output-json.c`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_iface: Option<String>,
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan: Option<Vec<u16>>,
    pub src_ip: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_port: Option<u16>,
    /// For an alert about many targets, a representative one (the first
    /// sampled); the others are under `camsentry.evidence.targets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dest_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dest_port: Option<u16>,
    /// `TCP`, `UDP`, `ICMP`, `IPv6-ICMP`, `SCTP`, or `ARP` for ARP sweeps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proto: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_id: Option<String>,
    pub pkt_src: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ether: Option<Ether>,
    pub alert: AlertBody,
    pub direction: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<AlertFlowFields>,
    /// The destination's name where Suricata 7 puts a TLS server name on
    /// an alert, when the camera named it so in a ClientHello.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<EveTls>,
    /// The destination's name where Suricata 7 puts a DNS name on an
    /// alert, when a DNS answer to the camera named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<EveDns>,
    pub host: String,
    /// camsentry's fields; the destination's name is also
    /// `camsentry.destination_domain`, whatever named it.
    pub camsentry: CamsentryAlert,
}

/// `tls` of an alert: of Suricata's TLS metadata, the server name only
/// (certificates and versions are not read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EveTls {
    pub sni: String,
}

/// `dns` of an alert, in the layout Suricata 7 writes on alerts (format
/// version 2, the name under `query`): the name the camera resolved to the
/// destination, with the record type its address answers (`A`, `AAAA`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EveDns {
    pub version: u8,
    pub query: Vec<EveDnsQuery>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EveDnsQuery {
    /// Always `query`.
    #[serde(rename = "type")]
    pub kind: String,
    pub rrname: String,
    pub rrtype: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ether {
    pub src_mac: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertBody {
    /// Always `allowed`: a passive sensor blocks nothing.
    pub action: String,
    pub gid: u32,
    pub signature_id: u32,
    pub rev: u32,
    pub signature: String,
    pub category: String,
    pub severity: u8,
    pub metadata: AlertMetadata,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertMetadata {
    pub event_id: Vec<String>,
    pub rule_id: Vec<String>,
}

/// `flow` of an alert: the flow so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertFlowFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkts_toserver: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkts_toclient: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_toserver: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_toclient: Option<u64>,
    pub start: String,
    pub src_ip: String,
    pub dest_ip: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dest_port: Option<u16>,
}

/// A finished flow, as Suricata 7's `event_type: "flow"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EveFlow {
    /// The flow's end.
    pub timestamp: String,
    pub flow_id: u64,
    /// Live capture: the interface the flow's first packet came in on,
    /// where Suricata 7 puts it (`output-json-flow.c`, from the flow's
    /// `livedev`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_iface: Option<String>,
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan: Option<Vec<u16>>,
    pub src_ip: String,
    pub src_port: u16,
    pub dest_ip: String,
    pub dest_port: u16,
    pub proto: String,
    pub community_id: String,
    pub flow: FlowFields,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpFlags>,
    pub host: String,
    pub camsentry: CamsentryFlow,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowFields {
    pub pkts_toserver: u64,
    pub pkts_toclient: u64,
    pub bytes_toserver: u64,
    pub bytes_toclient: u64,
    pub start: String,
    pub end: String,
    /// Whole seconds from start to end.
    pub age: u64,
    /// `new`, `established` or `closed`.
    pub state: String,
    /// `timeout`, `forced` (evicted) or `shutdown` (end of input).
    pub reason: String,
    pub alerted: bool,
}

/// `tcp` of a flow record: flags as two hex digits per direction and
/// their union, one boolean per flag seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TcpFlags {
    pub tcp_flags: String,
    pub tcp_flags_ts: String,
    pub tcp_flags_tc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syn: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fin: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rst: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psh: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urg: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecn: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwr: Option<bool>,
    pub state: String,
}

impl TcpFlags {
    /// From the union of flags each direction sent (TCP header bits).
    pub fn new(to_server: u8, to_client: u8, state: &str) -> TcpFlags {
        let all = to_server | to_client;
        let flag = |bit: u8| (all & bit != 0).then_some(true);
        TcpFlags {
            tcp_flags: format!("{all:02x}"),
            tcp_flags_ts: format!("{to_server:02x}"),
            tcp_flags_tc: format!("{to_client:02x}"),
            fin: flag(0x01),
            syn: flag(0x02),
            rst: flag(0x04),
            psh: flag(0x08),
            ack: flag(0x10),
            urg: flag(0x20),
            ecn: flag(0x40),
            cwr: flag(0x80),
            state: state.to_string(),
        }
    }
}
