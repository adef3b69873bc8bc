//! Flow records to documents: ECS (`event.kind: "event"`) or Suricata 7's
//! EVE `event_type: "flow"`. Pure functions of the record, the sensor and
//! whether the flow alerted, so records can be encoded wherever flows end.

use super::ecs::{
    self, CamsentryFlow, Ecs, EcsFlow, Endpoint, Event, InnerNetwork, Network, Related, TcpFields,
    Vlan,
};
use super::encode::{eve_proto, observer_fields, write_line};
use super::eve::{EveFlow, FlowFields, TcpFlags};
use super::{Format, Observer};
use crate::flow::FlowRecord;
use crate::protocols::service::application_protocol;
use crate::timestamp::NANOS_PER_SEC;

/// Appends `record` as one line in `format` to `out`.
pub fn encode_flow(
    record: &FlowRecord,
    format: Format,
    observer: &Observer,
    alerted: bool,
    out: &mut Vec<u8>,
) {
    match format {
        Format::Ecs => write_line(&ecs_flow(record, observer), out),
        Format::Eve => write_line(&eve_flow(record, observer, alerted), out),
    }
}

fn has_ports(record: &FlowRecord) -> bool {
    matches!(record.proto, 6 | 17 | 132)
}

fn camsentry_flow(record: &FlowRecord) -> CamsentryFlow {
    CamsentryFlow {
        flow_id: record.flow_id,
        answered: record.answered,
        midstream: record.midstream,
        tcp: record.tcp.as_ref().map(|tcp| TcpFields {
            state: tcp.state.clone(),
            source_flags: tcp.orig_flags.clone(),
            destination_flags: tcp.resp_flags.clone(),
        }),
    }
}

pub fn ecs_flow(record: &FlowRecord, observer: &Observer) -> EcsFlow {
    let ports = has_ports(record);
    let end = record.end.rfc3339_micros().to_string();
    let mut related = Related::default();
    related.ip.push(record.src_ip.clone());
    if record.dest_ip != record.src_ip {
        related.ip.push(record.dest_ip.clone());
    }
    EcsFlow {
        timestamp: end.clone(),
        ecs: Ecs::current(),
        event: Event {
            kind: "event".to_string(),
            category: vec!["network".to_string()],
            types: vec!["connection".to_string(), "end".to_string()],
            action: Some("flow-end".to_string()),
            severity: None,
            risk_score: None,
            id: None,
            dataset: ecs::FLOW_DATASET.to_string(),
            module: ecs::MODULE.to_string(),
            start: Some(record.start.rfc3339_micros().to_string()),
            end: Some(end),
            duration: Some(record.duration_nanos),
            reason: Some(record.end_reason.clone()),
        },
        source: Endpoint {
            ip: Some(record.src_ip.clone()),
            port: ports.then_some(record.src_port),
            bytes: Some(record.orig_bytes),
            packets: Some(record.orig_packets),
            ..Endpoint::default()
        },
        destination: Endpoint {
            ip: Some(record.dest_ip.clone()),
            port: ports.then_some(record.dest_port),
            bytes: Some(record.resp_bytes),
            packets: Some(record.resp_packets),
            ..Endpoint::default()
        },
        network: Network {
            ip_version: Some(
                if record.src_ip.contains(':') {
                    "ipv6"
                } else {
                    "ipv4"
                }
                .to_string(),
            ),
            transport: Some(record.transport.clone()),
            // The responder's port names the service; a flow seen from
            // its middle whose ports could not tell the sides apart may
            // have it on the source.
            protocol: [record.dest_port, record.src_port]
                .into_iter()
                .filter(|_| ports)
                .find_map(|port| application_protocol(record.proto, port))
                .map(str::to_string),
            iana_number: Some(record.proto.to_string()),
            community_id: Some(record.community_id.clone()),
            vlan: record.vlan.map(|id| Vlan { id: id.to_string() }),
            inner: record.inner_vlan.map(|id| InnerNetwork {
                vlan: Vlan { id: id.to_string() },
            }),
            bytes: Some(record.orig_bytes.saturating_add(record.resp_bytes)),
            packets: Some(record.orig_packets.saturating_add(record.resp_packets)),
        },
        related,
        observer: observer_fields(observer),
        camsentry: camsentry_flow(record),
    }
}

/// Suricata's `flow.reason`: why the record was written.
fn eve_reason(end_reason: &str) -> &'static str {
    match end_reason {
        "evicted" => "forced",
        "end-of-input" => "shutdown",
        _ => "timeout",
    }
}

/// Suricata's `flow.state`: `new` until both sides spoke, `closed` after a
/// TCP close, else `established`.
fn eve_state(record: &FlowRecord) -> &'static str {
    match &record.tcp {
        Some(tcp) if tcp.state == "closed" || tcp.state == "reset" => "closed",
        _ if !record.answered => "new",
        _ => "established",
    }
}

/// Suricata's name of a TCP state.
fn eve_tcp_state(state: &str) -> &str {
    match state {
        "midstream" => "established",
        "syn_ack" => "syn_recv",
        "reset" => "closed",
        other => other,
    }
}

pub fn eve_flow(record: &FlowRecord, observer: &Observer, alerted: bool) -> EveFlow {
    let transport = if record.transport == "other" {
        record.proto.to_string()
    } else {
        eve_proto(&record.transport)
    };
    EveFlow {
        timestamp: record.end.eve().to_string(),
        flow_id: record.flow_id,
        event_type: "flow".to_string(),
        vlan: record
            .vlan
            .map(|outer| std::iter::once(outer).chain(record.inner_vlan).collect()),
        src_ip: record.src_ip.clone(),
        src_port: record.src_port,
        dest_ip: record.dest_ip.clone(),
        dest_port: record.dest_port,
        proto: transport,
        community_id: record.community_id.clone(),
        flow: FlowFields {
            pkts_toserver: record.orig_packets,
            pkts_toclient: record.resp_packets,
            bytes_toserver: record.orig_bytes,
            bytes_toclient: record.resp_bytes,
            start: record.start.eve().to_string(),
            end: record.end.eve().to_string(),
            age: record.duration_nanos / NANOS_PER_SEC,
            state: eve_state(record).to_string(),
            reason: eve_reason(&record.end_reason).to_string(),
            alerted,
        },
        tcp: record.tcp.as_ref().map(|tcp| {
            TcpFlags::new(
                tcp.orig_flag_bits,
                tcp.resp_flag_bits,
                eve_tcp_state(&tcp.state),
            )
        }),
        host: observer.hostname.clone(),
        camsentry: camsentry_flow(record),
    }
}
