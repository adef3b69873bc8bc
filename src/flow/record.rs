//! The finished-flow record: one JSON object per line.
//!
//! Schema (documented in the README): `event_type` is always `"flow"`;
//! `src_*` is the initiator, `dest_*` the responder; `orig_*`/`resp_*`
//! counters are what each of them sent; bytes are on-the-wire frame lengths.

use serde::{Deserialize, Serialize};

use super::state::{EndReason, FROM_INITIATOR, FROM_RESPONDER, Flow, flag_letters};
use crate::net::IpProto;

/// A flow record as written, and as tests read it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowRecord {
    pub event_type: String,
    pub start: String,
    pub end: String,
    pub src_ip: String,
    pub src_port: u16,
    pub dest_ip: String,
    pub dest_port: u16,
    pub proto: u8,
    pub transport: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vlan: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub inner_vlan: Option<u16>,
    pub orig_packets: u64,
    pub orig_bytes: u64,
    pub resp_packets: u64,
    pub resp_bytes: u64,
    pub answered: bool,
    /// The flow's opening was not seen (the capture began, or an earlier
    /// flow of the same conversation timed out, while it ran): `src_*` is
    /// then the side the ports say is the client.
    #[serde(default)]
    pub midstream: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tcp: Option<TcpSummary>,
    pub end_reason: String,
    pub community_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpSummary {
    pub state: String,
    pub orig_flags: String,
    pub resp_flags: String,
}

/// The transport's name, as ECS `network.transport` spells it; see
/// [`IpProto::transport_name`], for callers holding a key's `u8`.
pub fn transport_name(proto: u8) -> &'static str {
    IpProto(proto).transport_name()
}

impl FlowRecord {
    pub fn new(flow: &Flow, reason: EndReason) -> FlowRecord {
        let (src, src_port) = flow.initiator();
        let (dst, dst_port) = flow.responder();
        let tcp = flow.tcp_state.map(|state| {
            let mut orig_flags = String::new();
            let mut resp_flags = String::new();
            flag_letters(flow.tcp_flags[FROM_INITIATOR], &mut orig_flags);
            flag_letters(flow.tcp_flags[FROM_RESPONDER], &mut resp_flags);
            TcpSummary {
                state: state.name().to_string(),
                orig_flags,
                resp_flags,
            }
        });
        FlowRecord {
            event_type: "flow".to_string(),
            start: flow.first_ts.rfc3339_micros().to_string(),
            end: flow.last_ts.rfc3339_micros().to_string(),
            src_ip: src.to_string(),
            src_port,
            dest_ip: dst.to_string(),
            dest_port: dst_port,
            proto: flow.key.proto,
            transport: transport_name(flow.key.proto).to_string(),
            vlan: (flow.key.vlan != 0).then_some(flow.key.vlan),
            inner_vlan: (flow.key.inner_vlan != 0).then_some(flow.key.inner_vlan),
            orig_packets: flow.packets[FROM_INITIATOR],
            orig_bytes: flow.bytes[FROM_INITIATOR],
            resp_packets: flow.packets[FROM_RESPONDER],
            resp_bytes: flow.bytes[FROM_RESPONDER],
            answered: flow.answered(),
            midstream: flow.midstream,
            tcp,
            end_reason: reason.name().to_string(),
            community_id: flow.community_id(),
        }
    }

    /// Appends the record and a newline to `out`.
    pub fn write_line(&self, out: &mut Vec<u8>) {
        // Serialising a struct of strings and integers into a Vec cannot
        // fail; if it ever did, dropping one record beats aborting a run.
        if serde_json::to_writer(&mut *out, self).is_ok() {
            out.push(b'\n');
        }
    }
}
