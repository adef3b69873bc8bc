//! What flow workers observe and detection consumes.
//!
//! Workers see packets; detection needs facts about hosts and conversations.
//! These events are the hand-over: a flow started, was answered, moved
//! another chunk of bytes, ended; a DNS answer or TLS SNI named an address;
//! a host proved to serve RTSP or answered ONVIF discovery; an ARP request or
//! ICMP error was seen; a host searched for the Internet gateway or asked
//! it to map a port (UPnP, NAT-PMP, PCP). The collector receives them in input order.

use std::net::IpAddr;

use crate::flow::{EndReason, Flow, FlowKey};
use crate::timestamp::Timestamp;

/// Bytes one side of a flow sends between two [`Bytes`] events: fine
/// enough for upload budgets of megabytes per hour, coarse enough that
/// video costs one event per 256 KiB.
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

/// The first packet of a flow.
#[derive(Debug, Clone)]
pub struct FlowStart {
    pub id: FlowId,
    pub ts: Timestamp,
    pub initiator: Endpoint,
    pub responder: Endpoint,
    pub proto: u8,
    pub vlan: u16,
    /// Live capture: the interface the flow's first packet came from (see
    /// `Flow::interface`).
    pub interface: u16,
    /// ICMP one-way messages (type, code in the ports).
    pub icmp_one_way: bool,
    /// On-the-wire bytes of the flow's first packet.
    pub first_bytes: u32,
    /// The opening was not seen (see `Flow::midstream`): a running
    /// conversation, not a new connection attempt.
    pub midstream: bool,
    /// Who sent the first packet: the initiator, except for a
    /// mid-stream flow whose first packet came from the server side.
    /// Only a sender proves a host exists (and owns its MAC).
    pub sender_is_initiator: bool,
    /// The first packet carried media (RTP, or RTSP-interleaved RTP):
    /// a stream set up before the capture, never a probe.
    pub media: bool,
}

/// The first packet of the side that did not send the flow's first
/// packet (for a flow seen from its opening: the responder's answer);
/// `refused` when it was a TCP RST without SYN-ACK (a closed port).
#[derive(Debug, Clone)]
pub struct FirstAnswer {
    pub id: FlowId,
    pub ts: Timestamp,
    pub refused: bool,
    /// The packet's source: address, port and MAC.
    pub answerer: Endpoint,
    /// Whether `answerer` is the flow's responder.
    pub by_responder: bool,
}

/// One side of a flow sent another [`BYTES_CHUNK`] bytes (`chunks`
/// of them when a packet crossed several boundaries).
#[derive(Debug, Clone)]
pub struct Bytes {
    pub id: FlowId,
    pub ts: Timestamp,
    pub from_initiator: bool,
    pub chunks: u32,
    /// The sending side has sent media (RTP, or RTSP-interleaved RTP)
    /// in this flow.
    pub media: bool,
    /// The sending side's address.
    pub sender: IpAddr,
}

/// A flow ended (closed, timed out, or flushed at the end of input): the
/// whole flow with its counters, as the flow record reports it.
#[derive(Debug, Clone)]
pub struct FlowEnd {
    pub flow: Box<Flow>,
    pub reason: EndReason,
}

/// A DNS answer: `client` asked for `name`, which resolves to `address`.
#[derive(Debug, Clone)]
pub struct DnsAnswer {
    pub ts: Timestamp,
    pub client: IpAddr,
    /// The answer's destination MAC: the client's own when it is on the
    /// mirrored segment (whether it is watched may depend on it).
    pub client_mac: [u8; 6],
    pub name: Box<str>,
    pub address: IpAddr,
}

/// A TLS ClientHello from `client` to `server` named `name`.
#[derive(Debug, Clone)]
pub struct TlsSni {
    pub ts: Timestamp,
    pub client: IpAddr,
    /// The ClientHello's source MAC.
    pub client_mac: [u8; 6],
    pub server: IpAddr,
    pub name: Box<str>,
}

/// `server` answered an RTSP request (port, `Server:` banner).
#[derive(Debug, Clone)]
pub struct RtspServer {
    pub ts: Timestamp,
    pub server: Endpoint,
    pub banner: Option<Box<str>>,
}

/// `device` answered WS-Discovery as an ONVIF device.
#[derive(Debug, Clone)]
pub struct OnvifDevice {
    pub ts: Timestamp,
    pub device: Endpoint,
    pub hardware: Option<Box<str>>,
    pub name: Option<Box<str>>,
}

/// `prober` sent a WS-Discovery Probe (a recorder or VMS looking for
/// cameras).
#[derive(Debug, Clone)]
pub struct OnvifProbe {
    pub ts: Timestamp,
    pub prober: Endpoint,
}

/// A DHCP message bound `mac` to `address`.
#[derive(Debug, Clone)]
pub struct Dhcp {
    pub ts: Timestamp,
    pub mac: [u8; 6],
    pub address: Option<IpAddr>,
    pub host_name: Option<Box<str>>,
    pub vendor_class: Option<Box<str>>,
}

/// An ARP request (`operation` 1) or reply (2).
#[derive(Debug, Clone)]
pub struct Arp {
    pub ts: Timestamp,
    pub operation: u16,
    pub sender_mac: [u8; 6],
    pub sender_ip: IpAddr,
    pub target_ip: IpAddr,
    pub vlan: u16,
    /// Live capture: the interface the frame came from.
    pub interface: u16,
}

/// An ICMP error from `reporter` quoting a packet `src` sent to `dst`.
#[derive(Debug, Clone)]
pub struct Unreachable {
    pub ts: Timestamp,
    pub reporter: IpAddr,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub dst_port: u16,
    pub proto: u8,
}

/// An SSDP `M-SEARCH` for an Internet gateway (the IGD device or its WAN
/// connection service): `searcher` is looking for a router it could ask
/// to open a port.
#[derive(Debug, Clone)]
pub struct GatewaySearch {
    pub ts: Timestamp,
    pub searcher: Endpoint,
    /// The search target as sent (`ST`).
    pub target: Box<str>,
}

/// The arguments of a UPnP port-mapping call, as far as the request
/// carried them in its first segment (see `protocols::upnp`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappingArgs {
    pub external_port: Option<u16>,
    /// `"tcp"` or `"udp"`.
    pub protocol: Option<&'static str>,
    pub internal_port: Option<u16>,
    pub internal_client: Option<Box<str>>,
    /// Empty or absent: any remote host.
    pub remote_host: Option<Box<str>>,
    pub description: Option<Box<str>>,
    /// Seconds; 0 is permanent.
    pub lease: Option<u32>,
    pub enabled: Option<bool>,
}

/// A SOAP control call to a router's WAN connection service
/// (`AddPortMapping`, `DeletePortMapping`, ...) from `client`.
#[derive(Debug, Clone)]
pub struct UpnpRequest {
    pub ts: Timestamp,
    pub client: Endpoint,
    pub router: Endpoint,
    pub action: Box<str>,
    pub control_url: Box<str>,
    pub args: MappingArgs,
}

/// Port-mapping arguments in a TCP segment of their own: the SOAP body of
/// a control call whose HTTP head came in the segment before (stacks that
/// write head and body separately).
#[derive(Debug, Clone)]
pub struct UpnpBody {
    pub ts: Timestamp,
    pub client: Endpoint,
    pub router: Endpoint,
    pub args: MappingArgs,
}

/// A router's reply to a WAN connection control call: a `...Response`
/// element (success) or a `UPnPError`.
#[derive(Debug, Clone)]
pub struct UpnpResponse {
    pub ts: Timestamp,
    pub router: Endpoint,
    pub client: Endpoint,
    pub status: u16,
    pub action_response: Option<Box<str>>,
    pub error_code: Option<u16>,
    pub error_description: Option<Box<str>>,
}

/// A NAT-PMP or PCP datagram on UDP 5351, either direction.
#[derive(Debug, Clone)]
pub struct PortControl {
    pub ts: Timestamp,
    pub src: Endpoint,
    pub dst: Endpoint,
    pub message: crate::protocols::natpmp::PortControl,
}

/// A media sender's RTP stream changed inside one flow: its SSRC changed,
/// or its sequence number jumped far beyond what loss explains. The
/// worker reports only such changes, never each packet.
#[derive(Debug, Clone)]
pub struct RtpChange {
    pub id: FlowId,
    pub ts: Timestamp,
    /// Live capture: the interface the media flow came in on (see
    /// `Flow::interface`).
    pub interface: u16,
    pub sender: Endpoint,
    pub receiver: Endpoint,
    pub old_ssrc: u32,
    pub new_ssrc: u32,
    pub old_seq: u16,
    pub new_seq: u16,
}

/// What a device said about itself (an HTTP or ONVIF answer, a DHCP
/// request, an SSDP or mDNS announcement): each string bounded to
/// [`MAX_DEVICE_TEXT`] characters.
#[derive(Debug, Clone)]
pub struct DeviceInfo {
    pub ts: Timestamp,
    pub device: Endpoint,
    /// Where it came from: `onvif`, `http`, `ssdp`, `mdns`.
    pub source: &'static str,
    pub manufacturer: Option<Box<str>>,
    pub model: Option<Box<str>>,
    pub firmware: Option<Box<str>>,
    pub serial: Option<Box<str>>,
    /// An HTTP `Server:` or SSDP `SERVER` banner.
    pub server: Option<Box<str>>,
}

/// Longest device string kept (characters); longer ones are cut.
pub const MAX_DEVICE_TEXT: usize = 64;

/// `text` cut to [`MAX_DEVICE_TEXT`] characters, trimmed; `None` when empty.
pub fn device_text(text: &str) -> Option<Box<str>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let end = text
        .char_indices()
        .nth(MAX_DEVICE_TEXT)
        .map_or(text.len(), |(i, _)| i);
    Some(Box::from(&text[..end]))
}

/// One event of the hand-over; each variant wraps the struct of the same
/// name, which detectors and knowledge take by reference.
#[derive(Debug, Clone)]
pub enum Observation {
    FlowStart(FlowStart),
    FirstAnswer(FirstAnswer),
    Bytes(Bytes),
    FlowEnd(FlowEnd),
    DnsAnswer(DnsAnswer),
    TlsSni(TlsSni),
    RtspServer(RtspServer),
    OnvifDevice(OnvifDevice),
    OnvifProbe(OnvifProbe),
    Dhcp(Dhcp),
    Arp(Arp),
    Unreachable(Unreachable),
    GatewaySearch(GatewaySearch),
    UpnpRequest(UpnpRequest),
    UpnpBody(UpnpBody),
    UpnpResponse(UpnpResponse),
    PortControl(PortControl),
    RtpChange(RtpChange),
    DeviceInfo(DeviceInfo),
    /// Packet time moved on without an observation detection cares about
    /// (see `detect::relevance`): made by the engine, at most once a
    /// second of packet time, so that timers (a camera gone dark, a
    /// mapping request left unanswered, an idle incident) fire on a site
    /// whose cameras fell silent.
    Clock(Timestamp),
}

impl Observation {
    /// Packet time of the observation.
    pub fn ts(&self) -> Timestamp {
        match self {
            Observation::FlowStart(FlowStart { ts, .. })
            | Observation::FirstAnswer(FirstAnswer { ts, .. })
            | Observation::Bytes(Bytes { ts, .. })
            | Observation::DnsAnswer(DnsAnswer { ts, .. })
            | Observation::TlsSni(TlsSni { ts, .. })
            | Observation::RtspServer(RtspServer { ts, .. })
            | Observation::OnvifDevice(OnvifDevice { ts, .. })
            | Observation::OnvifProbe(OnvifProbe { ts, .. })
            | Observation::Dhcp(Dhcp { ts, .. })
            | Observation::Arp(Arp { ts, .. })
            | Observation::Unreachable(Unreachable { ts, .. })
            | Observation::GatewaySearch(GatewaySearch { ts, .. })
            | Observation::UpnpRequest(UpnpRequest { ts, .. })
            | Observation::UpnpBody(UpnpBody { ts, .. })
            | Observation::UpnpResponse(UpnpResponse { ts, .. })
            | Observation::PortControl(PortControl { ts, .. }) => *ts,
            Observation::RtpChange(RtpChange { ts, .. })
            | Observation::DeviceInfo(DeviceInfo { ts, .. }) => *ts,
            Observation::FlowEnd(end) => end.flow.last_ts,
            Observation::Clock(ts) => *ts,
        }
    }
}
