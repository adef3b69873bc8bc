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
        observer: observer_fields(observer, observer.interface(Some(record.interface))),
        camsentry: camsentry_flow(record),
    }
}

/// Suricata's `flow.reason`: why the record was written.
///
/// Suricata 7 (`output-json-flow.c`) knows only `forced` (evicted under
/// memory pressure), `shutdown` (still in its table when the engine
/// stopped: end of a pcap, or the sensor's exit) and `timeout`. A TCP
/// close is no reason of its own there: a flow closed by FIN or RST stays
/// in the table, `state: "closed"`, until its closed-state timeout
/// removes it, and is then logged with `reason: "timeout"` (Suricata
/// 7.0.10 on the egress scenario writes exactly that for the FIN-closed
/// flow the capture outlives, and `shutdown` for the one it ends
/// first). camsentry writes the record at the close itself, so `fin` and
/// `rst` map to `timeout`, what a running Suricata reports for them; the
/// flows still open at the end of input are `shutdown`, whatever their
/// state.
fn eve_reason(end_reason: &str) -> &'static str {
    match end_reason {
        "timeout" | "fin" | "rst" => "timeout",
        "evicted" => "forced",
        "end-of-input" => "shutdown",
        // Suricata's own word for a flow end it cannot name.
        _ => "unknown",
    }
}

/// Suricata's `flow.state`: `new` until both sides spoke, `closed` after a
/// TCP close (FIN both ways or RST, as Suricata's TCP tracking closes a
/// session), else `established` (also a half-closed TCP flow). A flow
/// seen from its middle is `established` here, as Suricata says with
/// `stream.midstream` on; with its default (off) it keeps such a flow
/// `new` and tracks no TCP state.
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
        in_iface: observer
            .interface(Some(record.interface))
            .map(str::to_string),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::record::TcpSummary;
    use crate::timestamp::Timestamp;

    fn record(end_reason: &str, tcp_state: &str, answered: bool) -> FlowRecord {
        FlowRecord {
            flow_id: 1,
            start: Timestamp::from_secs(1),
            end: Timestamp::from_secs(3),
            duration_nanos: 2_000_000_000,
            src_ip: "10.20.0.12".into(),
            src_port: 51969,
            dest_ip: "198.51.100.66".into(),
            dest_port: 443,
            proto: 6,
            transport: "tcp".into(),
            vlan: None,
            inner_vlan: None,
            interface: 0,
            orig_packets: 3,
            orig_bytes: 200,
            resp_packets: u64::from(answered) * 2,
            resp_bytes: u64::from(answered) * 120,
            answered,
            midstream: false,
            tcp: Some(TcpSummary {
                state: tcp_state.into(),
                orig_flags: String::new(),
                resp_flags: String::new(),
                orig_flag_bits: 0x1b,
                resp_flag_bits: if answered { 0x1b } else { 0 },
            }),
            end_reason: end_reason.into(),
            community_id: "1:x".into(),
        }
    }

    fn reason_and_state(record: &FlowRecord) -> (String, String) {
        let eve = eve_flow(record, &Observer::local(), false);
        (eve.flow.reason, eve.flow.state)
    }

    #[test]
    fn a_tcp_close_is_a_closed_flow_timed_out_as_suricata_logs_it() {
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            reason_and_state(&record("fin", "closed", true)),
            pair("timeout", "closed")
        );
        assert_eq!(
            reason_and_state(&record("rst", "reset", true)),
            pair("timeout", "closed")
        );
    }

    #[test]
    fn flows_open_at_the_end_of_input_are_shut_down_in_their_state() {
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            reason_and_state(&record("end-of-input", "established", true)),
            pair("shutdown", "established")
        );
        assert_eq!(
            reason_and_state(&record("end-of-input", "syn_sent", false)),
            pair("shutdown", "new")
        );
        assert_eq!(
            reason_and_state(&record("end-of-input", "closing", true)),
            pair("shutdown", "established")
        );
        assert_eq!(
            reason_and_state(&record("evicted", "established", true)),
            pair("forced", "established")
        );
        assert_eq!(
            reason_and_state(&record("timeout", "established", true)),
            pair("timeout", "established")
        );
    }

    #[test]
    fn a_flow_record_names_the_interface_its_first_packet_came_in_on() {
        let mut flow = record("timeout", "established", true);
        flow.interface = 1;
        let two = Observer::local().with_interfaces(vec!["eno1".into(), "eno2".into()]);
        let ecs = ecs_flow(&flow, &two);
        assert_eq!(
            ecs.observer.ingress.map(|i| i.interface.name).as_deref(),
            Some("eno2")
        );
        assert_eq!(
            eve_flow(&flow, &two, false).in_iface.as_deref(),
            Some("eno2")
        );
        // Replay names none.
        let replay = Observer::local();
        assert_eq!(ecs_flow(&flow, &replay).observer.ingress, None);
        assert_eq!(eve_flow(&flow, &replay, false).in_iface, None);
    }
}
