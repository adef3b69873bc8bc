//! Turning one packet's effect on its flow into observations for detection:
//! flow start, first answer, byte chunks, and the hints its payload carries
//! (DNS answers, TLS SNI, RTSP replies, WS-Discovery, DHCP, ICMP errors,
//! SSDP gateway searches, UPnP port-mapping calls and their replies,
//! NAT-PMP and PCP).
//! Which parser reads a payload is `protocols::hints`'s call, the same one
//! that decided to copy it.
//!
//! Runs in the worker, on the packet path: it allocates only when it emits
//! a name (a DNS answer or an SNI), which is rare next to video packets.

use std::net::IpAddr;

use super::batch::{ArpRecord, Event, PacketRecord, packet_order};
use super::watch::Watch;
use crate::flow::{Flow, PacketOutcome, RtpTrack};
use crate::net::IpProto;
use crate::net::tcp_flags::{ACK, RST, SYN};
use crate::observation::{
    Arp, BYTES_CHUNK, Bytes, DeviceInfo, Dhcp, DnsAnswer, Endpoint, FirstAnswer, FlowId, FlowStart,
    GatewaySearch, MappingArgs, Observation, OnvifDevice, OnvifProbe, PortControl, RtpChange,
    RtspServer, TlsSni, Unreachable, UpnpBody, UpnpRequest, UpnpResponse,
};
use crate::protocols::hints::{Hint, PORTS_HTTP, hint_for};
use crate::protocols::{dhcp, dns, http, mdns, natpmp, onvif, onvif_device, rtsp, tls, upnp};
use crate::timestamp::Timestamp;

/// Collects the events of one packet with consecutive sub-orders.
pub struct Emitter<'a> {
    pub events: &'a mut Vec<Event>,
    pub seq: u64,
    pub sub: u64,
    /// Detection's view in the worker: names for a client it does not
    /// watch are not even parsed (the worker would drop them anyway, after
    /// allocating each).
    pub watch: Option<&'a Watch>,
}

impl Emitter<'_> {
    /// Whether names learned by `client` (from `mac`) can matter.
    fn wants_names_of(&self, client: IpAddr, mac: [u8; 6], ts: Timestamp) -> bool {
        self.watch.is_none_or(|w| w.watched(client, Some(mac), ts))
    }

    pub fn push(&mut self, observation: Observation) {
        self.events.push(Event {
            order: packet_order(self.seq, self.sub),
            observation,
        });
        self.sub += 1;
    }
}

fn flow_id(flow: &Flow) -> FlowId {
    FlowId {
        key: flow.key,
        first_seq: flow.first_seq,
    }
}

/// Highest flow-table slot whose RTP stream a worker follows: 16 bytes a
/// slot, 16 MiB at most.
pub const MAX_RTP_SLOTS: usize = 1 << 20;

/// The last RTP header of each media flow of one worker (see
/// `flow::RtpTrack`), in a side table indexed like the flow table's slots
/// (whose entries have no room left): one array access per media packet,
/// no hashing. A slot's entry is valid for the flow whose first packet's
/// sequence number it holds, so a slot reused by a later flow starts over
/// and nothing needs removing when a flow ends.
#[derive(Debug, Default)]
pub struct RtpStreams {
    tracks: Vec<(u64, RtpTrack)>,
    /// Media packets not followed because their slot was beyond
    /// [`MAX_RTP_SLOTS`].
    pub refused: u64,
}

impl RtpStreams {
    /// Compares a media packet's RTP header with its flow's last one and
    /// emits an [`RtpChange`] only when the SSRC changed or the sequence
    /// number jumped.
    pub fn media(
        &mut self,
        record: &PacketRecord,
        outcome: &PacketOutcome,
        flow: &Flow,
        out: &mut Emitter<'_>,
    ) {
        let slot = outcome.index as usize;
        if slot >= MAX_RTP_SLOTS {
            self.refused += 1;
            return;
        }
        if slot >= self.tracks.len() {
            self.tracks.resize(slot + 1, (0, RtpTrack::default()));
        }
        let (first_seq, track) = &mut self.tracks[slot];
        if *first_seq != flow.first_seq {
            *first_seq = flow.first_seq;
            *track = RtpTrack::default();
        }
        let id = flow_id(flow);
        let side = if outcome.from_initiator { 1 } else { 2 };
        let (ssrc, seq) = record.rtp;
        if let Some(jump) = track.update(side, ssrc, seq) {
            let view = &record.view;
            out.push(Observation::RtpChange(RtpChange {
                id,
                ts: record.ts,
                interface: flow.interface,
                sender: Endpoint {
                    ip: view.src,
                    port: view.src_port,
                    mac: view.src_mac,
                },
                receiver: Endpoint {
                    ip: view.dst,
                    port: view.dst_port,
                    mac: view.dst_mac,
                },
                old_ssrc: jump.old_ssrc,
                new_ssrc: jump.new_ssrc,
                old_seq: jump.old_seq,
                new_seq: jump.new_seq,
            }));
        }
    }
}

/// Observations about the flow itself.
pub fn flow_events(
    record: &PacketRecord,
    outcome: &PacketOutcome,
    flow: &Flow,
    out: &mut Emitter<'_>,
) {
    let view = &record.view;
    let ts = record.ts;
    let id = flow_id(flow);
    if outcome.new_flow {
        let (src, dst) = (
            Endpoint {
                ip: view.src,
                port: view.src_port,
                mac: view.src_mac,
            },
            Endpoint {
                ip: view.dst,
                port: view.dst_port,
                mac: view.dst_mac,
            },
        );
        let (initiator, responder) = if outcome.from_initiator {
            (src, dst)
        } else {
            (dst, src)
        };
        out.push(Observation::FlowStart(FlowStart {
            id,
            ts,
            initiator,
            responder,
            proto: view.proto,
            vlan: view.vlan,
            interface: flow.interface,
            icmp_one_way: view.icmp_one_way,
            first_bytes: record.wire_len,
            midstream: flow.midstream,
            sender_is_initiator: outcome.from_initiator,
            media: flow.media != 0,
        }));
    }
    if outcome.first_answer {
        let refused =
            view.proto == IpProto::TCP && view.tcp_flags & RST != 0 && view.tcp_flags & SYN == 0;
        out.push(Observation::FirstAnswer(FirstAnswer {
            id,
            ts,
            refused,
            answerer: Endpoint {
                ip: view.src,
                port: view.src_port,
                mac: view.src_mac,
            },
            by_responder: !outcome.from_initiator,
        }));
    }
    let direction = usize::from(!outcome.from_initiator);
    let after = flow.bytes[direction];
    let before = after.saturating_sub(u64::from(record.wire_len));
    let chunks = after / BYTES_CHUNK - before / BYTES_CHUNK;
    if chunks > 0 {
        out.push(Observation::Bytes(Bytes {
            id,
            ts,
            from_initiator: outcome.from_initiator,
            chunks: chunks.min(u64::from(u32::MAX)) as u32,
            media: flow.media & (1 << direction) != 0,
            sender: view.src,
        }));
    }
}

/// Observations from the packet's payload and ICMP quote.
pub fn payload_events(record: &PacketRecord, payload: &[u8], out: &mut Emitter<'_>) {
    let view = &record.view;
    let ts = record.ts;
    if let Some(quoted) = view.quoted {
        out.push(Observation::Unreachable(Unreachable {
            ts,
            reporter: view.src,
            src: quoted.src,
            dst: quoted.dst,
            dst_port: quoted.dst_port,
            proto: quoted.proto,
        }));
        return;
    }
    if payload.is_empty() {
        return;
    }
    let src = Endpoint {
        ip: view.src,
        port: view.src_port,
        mac: view.src_mac,
    };
    let Some(hint) = hint_for(view.proto, view.src_port, view.dst_port, payload) else {
        return;
    };
    match hint {
        Hint::Dns => dns_answers(ts, (view.dst, view.dst_mac), payload, out),
        Hint::DnsTcp => {
            if let Some(message) = dns::strip_tcp_length(payload) {
                dns_answers(ts, (view.dst, view.dst_mac), message, out);
            }
        }
        Hint::Dhcp => {
            if let Some(info) = dhcp::parse(payload)
                && let Some(mac) = info.client_mac
            {
                out.push(Observation::Dhcp(Dhcp {
                    ts,
                    mac,
                    address: info.claimed_addr().map(IpAddr::V4),
                    host_name: info.host_name.map(Box::from),
                    vendor_class: info.vendor_class.map(Box::from),
                }));
            }
        }
        Hint::WsDiscovery => {
            if let Some(message) = onvif::parse(payload) {
                use onvif::WsdMessage;
                match message.message {
                    WsdMessage::Probe => {
                        out.push(Observation::OnvifProbe(OnvifProbe { ts, prober: src }))
                    }
                    WsdMessage::ProbeMatches | WsdMessage::Hello | WsdMessage::ResolveMatches
                        if message.onvif =>
                    {
                        out.push(Observation::OnvifDevice(OnvifDevice {
                            ts,
                            device: src,
                            hardware: message.hardware.map(Box::from),
                            name: message.name.map(Box::from),
                        }))
                    }
                    _ => {}
                }
            }
        }
        Hint::Mdns => mdns_announcement(ts, src, payload, out),
        Hint::StreamStart => {
            if view.tcp_flags & ACK != 0
                && let Some(reply) = rtsp::response_server(payload)
            {
                out.push(Observation::RtspServer(RtspServer {
                    ts,
                    server: src,
                    banner: reply.server.map(Box::from),
                }));
            } else if out.wants_names_of(view.src, view.src_mac, ts)
                && let Some(name) = tls::client_hello_sni(payload)
            {
                out.push(Observation::TlsSni(TlsSni {
                    ts,
                    client: view.src,
                    client_mac: view.src_mac,
                    server: view.dst,
                    name: Box::from(name),
                }));
            }
        }
        Hint::Ssdp => {
            if let Some(message) = upnp::ssdp(payload)
                && message.kind == upnp::SsdpKind::Search
                && message.gateway_target().is_some()
                && let Some(target) = message.target()
            {
                out.push(Observation::GatewaySearch(GatewaySearch {
                    ts,
                    searcher: src,
                    target: Box::from(target),
                }));
            }
        }
        Hint::HttpPost => {
            if let Some(request) = upnp::control_request(payload) {
                out.push(Observation::UpnpRequest(UpnpRequest {
                    ts,
                    client: src,
                    router: destination(record),
                    action: Box::from(request.action.action),
                    control_url: Box::from(request.control_url),
                    args: mapping_args(&request.args),
                }));
            }
        }
        Hint::SoapBody => {
            if PORTS_HTTP.contains(&view.src_port) {
                device_reply(ts, src, payload, out);
            }
            let args = upnp::port_mapping_args(payload);
            if !args.is_empty() {
                out.push(Observation::UpnpBody(UpnpBody {
                    ts,
                    client: src,
                    router: destination(record),
                    args: mapping_args(&args),
                }));
            }
        }
        Hint::HttpReply => {
            if PORTS_HTTP.contains(&view.src_port) {
                device_reply(ts, src, payload, out);
            }
            if let Some(reply) = upnp::control_response(payload) {
                out.push(Observation::UpnpResponse(UpnpResponse {
                    ts,
                    router: src,
                    client: destination(record),
                    status: reply.status,
                    action_response: reply.action_response.map(Box::from),
                    error_code: reply.error_code,
                    error_description: reply.error_description.map(Box::from),
                }));
            }
        }
        Hint::PortControl => {
            if let Some(message) = natpmp::parse(payload) {
                out.push(Observation::PortControl(PortControl {
                    ts,
                    src,
                    dst: destination(record),
                    message,
                }));
            }
        }
    }
}

fn destination(record: &PacketRecord) -> Endpoint {
    Endpoint {
        ip: record.view.dst,
        port: record.view.dst_port,
        mac: record.view.dst_mac,
    }
}

fn mapping_args(args: &upnp::PortMappingArgs<'_>) -> MappingArgs {
    MappingArgs {
        external_port: args.external_port,
        protocol: args.protocol.map(|p| match p {
            upnp::MappingProtocol::Tcp => "tcp",
            upnp::MappingProtocol::Udp => "udp",
        }),
        internal_port: args.internal_port,
        internal_client: args.internal_client.map(Box::from),
        remote_host: args.remote_host.map(Box::from),
        description: args.description.map(Box::from),
        lease: args.lease_duration,
        enabled: args.enabled,
    }
}

/// A device's HTTP reply: its `Server:` banner and, from an ONVIF
/// `GetDeviceInformationResponse` in the same segment or a later one, its
/// manufacturer, model, firmware and serial number.
fn device_reply(
    ts: crate::timestamp::Timestamp,
    device: Endpoint,
    payload: &[u8],
    out: &mut Emitter<'_>,
) {
    let server = http::response(payload).and_then(|r| r.server);
    let info = onvif_device::device_information(payload);
    if server.is_none() && info.is_none() {
        return;
    }
    let text = |s: Option<&str>| s.and_then(crate::observation::device_text);
    out.push(Observation::DeviceInfo(DeviceInfo {
        ts,
        device,
        source: if info.is_some() { "onvif" } else { "http" },
        manufacturer: text(info.and_then(|i| i.manufacturer)),
        model: text(info.and_then(|i| i.model)),
        firmware: text(info.and_then(|i| i.firmware_version)),
        serial: text(info.and_then(|i| i.serial_number)),
        server: text(server),
    }));
}

/// Most mDNS records read per datagram (a camera's announcement has a
/// handful; a hostile one could pack hundreds).
const MAX_MDNS_RECORDS: usize = 32;

/// A device's mDNS response: the model, firmware and maker its DNS-SD TXT
/// records give.
fn mdns_announcement(
    ts: crate::timestamp::Timestamp,
    device: Endpoint,
    payload: &[u8],
    out: &mut Emitter<'_>,
) {
    let Ok(message) = mdns::parse(payload) else {
        return;
    };
    if !message.is_response() {
        return;
    }
    let text = |s: Option<&str>| s.and_then(crate::observation::device_text);
    let (mut manufacturer, mut model, mut firmware) = (None, None, None);
    for record in message.records().take(MAX_MDNS_RECORDS) {
        if let mdns::RecordData::Txt(txt) = record.data {
            manufacturer = manufacturer.or_else(|| text(txt.vendor()));
            model = model.or_else(|| text(txt.model()));
            firmware = firmware.or_else(|| text(txt.firmware()));
        }
    }
    if manufacturer.is_none() && model.is_none() && firmware.is_none() {
        return;
    }
    out.push(Observation::DeviceInfo(DeviceInfo {
        ts,
        device,
        source: "mdns",
        manufacturer,
        model,
        firmware,
        serial: None,
        server: None,
    }));
}

fn dns_answers(
    ts: crate::timestamp::Timestamp,
    (client, client_mac): (IpAddr, [u8; 6]),
    message: &[u8],
    out: &mut Emitter<'_>,
) {
    if !out.wants_names_of(client, client_mac, ts) {
        return;
    }
    let _ = dns::for_each_answer(message, |name, address, _ttl| {
        out.push(Observation::DnsAnswer(DnsAnswer {
            ts,
            client,
            client_mac,
            name: Box::from(name.as_str()),
            address,
        }));
    });
}

pub fn arp_event(record: &ArpRecord) -> Observation {
    let arp = &record.arp;
    Observation::Arp(Arp {
        ts: record.ts,
        operation: arp.operation,
        sender_mac: arp.sender_mac,
        sender_ip: IpAddr::from(arp.sender_ip),
        target_ip: IpAddr::from(arp.target_ip),
        vlan: arp.vlan,
        interface: record.interface,
    })
}
