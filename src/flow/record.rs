//! The finished-flow record: what a flow's end reports, and its
//! `flow_id`.
//!
//! The record is a plain summary of a [`Flow`] (`src_*` is the initiator,
//! `dest_*` the responder; `orig_*`/`resp_*` counters are what each of them
//! sent; bytes are on-the-wire frame lengths). Its ECS and EVE documents
//! are built from it by pure functions in `alert::flows`, so the record can
//! be made and encoded wherever flows end.

use sha1::{Digest, Sha1};

use super::key::FlowKey;
use super::state::{EndReason, FROM_INITIATOR, FROM_RESPONDER, Flow, flag_letters};
use crate::net::IpProto;
use crate::timestamp::Timestamp;

/// A flow's id, as EVE's `flow_id`: a hash of the flow key and the time
/// of its first packet, so that the flow's alerts and its record carry
/// the same number whichever worker saw the flow, on every run. Kept
/// below 2^63 since Suricata writes it as a signed 64-bit integer.
pub fn flow_id(key: &FlowKey, first_ts: Timestamp) -> u64 {
    let mut hasher = Sha1::new();
    hasher.update([key.proto]);
    for (addr, port) in [(key.addr_lo, key.port_lo), (key.addr_hi, key.port_hi)] {
        match addr {
            std::net::IpAddr::V4(a) => hasher.update(a.octets()),
            std::net::IpAddr::V6(a) => hasher.update(a.octets()),
        }
        hasher.update(port.to_be_bytes());
    }
    hasher.update(key.vlan.to_be_bytes());
    hasher.update(key.inner_vlan.to_be_bytes());
    hasher.update(first_ts.as_nanos().to_be_bytes());
    let digest: [u8; 20] = hasher.finalize().into();
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(head) & (i64::MAX as u64)
}

/// A finished flow's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRecord {
    pub flow_id: u64,
    pub start: Timestamp,
    pub end: Timestamp,
    /// `end - start`, in nanoseconds.
    pub duration_nanos: u64,
    pub src_ip: String,
    pub src_port: u16,
    pub dest_ip: String,
    pub dest_port: u16,
    pub proto: u8,
    pub transport: String,
    pub vlan: Option<u16>,
    pub inner_vlan: Option<u16>,
    /// Index of the capture interface the flow's first packet came from
    /// (see [`Flow::interface`]).
    pub interface: u16,
    pub orig_packets: u64,
    pub orig_bytes: u64,
    pub resp_packets: u64,
    pub resp_bytes: u64,
    pub answered: bool,
    /// The flow's opening was not seen (the capture began, or an earlier
    /// flow of the same conversation timed out, while it ran): `src_*` is
    /// then the side the ports say is the client.
    pub midstream: bool,
    pub tcp: Option<TcpSummary>,
    pub end_reason: String,
    pub community_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpSummary {
    pub state: String,
    pub orig_flags: String,
    pub resp_flags: String,
    /// The same flags as header bits.
    pub orig_flag_bits: u8,
    pub resp_flag_bits: u8,
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
                orig_flag_bits: flow.tcp_flags[FROM_INITIATOR],
                resp_flag_bits: flow.tcp_flags[FROM_RESPONDER],
            }
        });
        FlowRecord {
            flow_id: flow_id(&flow.key, flow.first_ts),
            start: flow.first_ts,
            end: flow.last_ts,
            duration_nanos: flow.last_ts.since(flow.first_ts),
            src_ip: src.to_string(),
            src_port,
            dest_ip: dst.to_string(),
            dest_port: dst_port,
            proto: flow.key.proto,
            transport: transport_name(flow.key.proto).to_string(),
            vlan: (flow.key.vlan != 0).then_some(flow.key.vlan),
            inner_vlan: (flow.key.inner_vlan != 0).then_some(flow.key.inner_vlan),
            interface: flow.interface,
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
}
