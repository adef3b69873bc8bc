//! What flow workers observe and detection consumes.
//!
//! Workers see packets; detection needs facts about hosts and conversations.
//! These events are the hand-over: a flow started, was answered, moved
//! another chunk of bytes, ended; a DNS answer or TLS SNI named an address;
//! a host proved to serve RTSP or answered ONVIF discovery; an ARP request or
//! ICMP error was seen. The collector receives them in input order.

use std::net::IpAddr;

use crate::flow::{EndReason, Flow, FlowKey};
use crate::timestamp::Timestamp;

/// Bytes one side of a flow sends between two [`Observation::Bytes`]
/// events: fine enough for upload budgets of megabytes per hour, coarse
/// enough that video costs one event per 256 KiB.
pub const BYTES_CHUNK: u64 = 256 * 1024;

/// Identifies one flow instance (the same 5-tuple can be reused later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId {
    pub key: FlowKey,
    pub first_seq: u64,
}

/// One side of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub port: u16,
    /// Zero when the link layer has no MAC (raw IP captures).
    pub mac: [u8; 6],
}

#[derive(Debug, Clone)]
pub enum Observation {
    /// The first packet of a flow.
    FlowStart {
        id: FlowId,
        ts: Timestamp,
        initiator: Endpoint,
        responder: Endpoint,
        proto: u8,
        vlan: u16,
        /// ICMP one-way messages (type, code in the ports).
        icmp_one_way: bool,
        /// On-the-wire bytes of the flow's first packet.
        first_bytes: u32,
        /// The opening was not seen (see `Flow::midstream`): a running
        /// conversation, not a new connection attempt.
        midstream: bool,
        /// Who sent the first packet: the initiator, except for a
        /// mid-stream flow whose first packet came from the server side.
        /// Only a sender proves a host exists (and owns its MAC).
        sender_is_initiator: bool,
        /// The first packet carried media (RTP, or RTSP-interleaved RTP):
        /// a stream set up before the capture, never a probe.
        media: bool,
    },
    /// The first packet of the side that did not send the flow's first
    /// packet (for a flow seen from its opening: the responder's answer);
    /// `refused` when it was a TCP RST without SYN-ACK (a closed port).
    FirstAnswer {
        id: FlowId,
        ts: Timestamp,
        refused: bool,
        /// The packet's source: address, port and MAC.
        answerer: Endpoint,
        /// Whether `answerer` is the flow's responder.
        by_responder: bool,
    },
    /// One side of a flow sent another [`BYTES_CHUNK`] bytes (`chunks`
    /// of them when a packet crossed several boundaries).
    Bytes {
        id: FlowId,
        ts: Timestamp,
        from_initiator: bool,
        chunks: u32,
        /// The sending side has sent media (RTP, or RTSP-interleaved RTP)
        /// in this flow.
        media: bool,
        /// The sending side's address.
        sender: IpAddr,
    },
    FlowEnd {
        flow: Box<Flow>,
        reason: EndReason,
    },
    /// A DNS answer: `client` asked for `name`, which resolves to `address`.
    DnsAnswer {
        ts: Timestamp,
        client: IpAddr,
        name: Box<str>,
        address: IpAddr,
    },
    /// A TLS ClientHello from `client` to `server` named `name`.
    TlsSni {
        ts: Timestamp,
        client: IpAddr,
        server: IpAddr,
        name: Box<str>,
    },
    /// `server` answered an RTSP request (port, `Server:` banner).
    RtspServer {
        ts: Timestamp,
        server: Endpoint,
        banner: Option<Box<str>>,
    },
    /// `device` answered WS-Discovery as an ONVIF device.
    OnvifDevice {
        ts: Timestamp,
        device: Endpoint,
        hardware: Option<Box<str>>,
        name: Option<Box<str>>,
    },
    /// `prober` sent a WS-Discovery Probe (a recorder or VMS looking for
    /// cameras).
    OnvifProbe {
        ts: Timestamp,
        prober: Endpoint,
    },
    /// A DHCP message bound `mac` to `address`.
    Dhcp {
        ts: Timestamp,
        mac: [u8; 6],
        address: Option<IpAddr>,
        host_name: Option<Box<str>>,
        vendor_class: Option<Box<str>>,
    },
    /// An ARP request (`operation` 1) or reply (2).
    Arp {
        ts: Timestamp,
        operation: u16,
        sender_mac: [u8; 6],
        sender_ip: IpAddr,
        target_ip: IpAddr,
        vlan: u16,
    },
    /// An ICMP error from `reporter` quoting a packet `src` sent to `dst`.
    Unreachable {
        ts: Timestamp,
        reporter: IpAddr,
        src: IpAddr,
        dst: IpAddr,
        dst_port: u16,
        proto: u8,
    },
}

impl Observation {
    /// Packet time of the observation.
    pub fn ts(&self) -> Timestamp {
        match self {
            Observation::FlowStart { ts, .. }
            | Observation::FirstAnswer { ts, .. }
            | Observation::Bytes { ts, .. }
            | Observation::DnsAnswer { ts, .. }
            | Observation::TlsSni { ts, .. }
            | Observation::RtspServer { ts, .. }
            | Observation::OnvifDevice { ts, .. }
            | Observation::OnvifProbe { ts, .. }
            | Observation::Dhcp { ts, .. }
            | Observation::Arp { ts, .. }
            | Observation::Unreachable { ts, .. } => *ts,
            Observation::FlowEnd { flow, .. } => flow.last_ts,
        }
    }
}
