//! Exposure: a camera or recorder reachable from the Internet, or asking
//! the router to make it so.
//!
//! # Rules
//!
//! **Inbound reachability** (`CAMSENTRY-EXPOSURE-1` to `-5`, by service
//! family: video, web/ONVIF, remote shell, vendor SDK port, other port).
//! An external host starts a flow to a camera or recorder and the camera
//! answers: a TCP SYN-ACK or data, a UDP reply. The camera is reachable
//! from the Internet (a port forward, a DMZ host, a UPnP mapping). Only
//! answered flows count; probes the camera never answers, or resets, are
//! counted ([`InboundCounters`]), not alerted. A match is raised on the
//! first contact of each camera service (camera, transport, port) and on
//! each new external host after that; repeat contacts from known hosts
//! raise one at most every [`REMATCH_AFTER`], so the incident stays open
//! while the exposure lasts. Each match names the external peer, the
//! camera's port and service, and how many external hosts reached it.
//!
//! Who is external: not in the site's internal networks (`[site]
//! internal`; zero configuration: RFC 1918, link-local, ULA), and not
//! multicast, broadcast, loopback or link-local. Who is the initiator: the
//! flow table's call. A flow seen from its opening (SYN, or a first UDP
//! datagram) is trusted; a flow that began before the capture (mid-stream,
//! its direction read from the ports) counts only when the camera's port
//! names a camera service, since two ephemeral ports say nothing. Flows
//! whose external side uses a well-known server port (NTP 123, DNS 53,
//! HTTPS 443) are the camera's own conversations seen from the reply, and
//! UDP from a peer the camera itself sent to within
//! [`inbound::OUTBOUND_MEMORY`] is a reply (cloud P2P, NAT keep-alives):
//! both are left out. A flow's internal side may be identified as a camera
//! only by the flow itself (its RTSP reply): answered flows wait for that
//! until they end.
//!
//! Allowed: an external peer that is a site recorder, and sources a
//! `[[group.inbound]]` rule of the camera's group lists (`from` networks,
//! optional camera `ports`): counted, never alerted.
//!
//! **Port mapping** (`CAMSENTRY-EXPOSURE-6` UPnP IGD, `-7` NAT-PMP/PCP).
//! A camera or recorder (or anything asking for a camera as the internal
//! client) sends a SOAP `AddPortMapping` / `AddAnyPortMapping` to the
//! router's WAN connection service, or a NAT-PMP / PCP `MAP` request to UDP
//! 5351. The match waits up to [`mapping::ANSWER_WAIT`] for the router's
//! answer on the same socket pair and reports it: accepted, refused (UPnP
//! error 718 `ConflictInMappingEntry`, NAT-PMP result 2, ...) or none seen.
//! Evidence: external port, protocol, internal client and port, lease,
//! description, the SSDP gateway search that preceded it when seen, and
//! how many times this mapping was requested (renewals). Deletions
//! (`DeletePortMapping`, lifetime 0) are counted, not alerted.
//!
//! # Timing
//!
//! Inbound: at the camera's answer (one round trip after the flow's
//! start), or at the flow's end when only its own traffic identified the
//! camera. Mapping: at the router's answer, at most [`mapping::ANSWER_WAIT`]
//! of packet time after the request (checked on every observation), or at
//! the end of input.
//!
//! # Memory
//!
//! Every table has a bound and a counter of what it refused:
//! [`inbound::MAX_PENDING`] inbound flows awaiting an answer (new ones are
//! not followed when full; entries leave with their flow),
//! [`inbound::MAX_SERVICES`] camera services with
//! [`inbound::MAX_PEERS_PER_SERVICE`] remembered peers each (about 2 KiB
//! per service at most), [`inbound::MAX_OUTBOUND`] camera-to-peer UDP pairs,
//! [`mapping::MAX_PENDING_CALLS`] requests awaiting an answer,
//! [`mapping::MAX_MAPPINGS`] mappings and [`mapping::MAX_SEARCHERS`] gateway
//! searchers. Ordered maps throughout, so output is the same for any
//! number of workers.
//!
//! # What it cannot see
//!
//! - Exposure nobody used during the capture: a forwarded port no external
//!   host reached looks like any closed door. Mapping requests are the
//!   early warning for that case.
//! - Inbound flows through a router that also rewrites the source (hairpin
//!   NAT, a reverse proxy, a VPN concentrator): the camera sees an internal
//!   peer.
//! - Cloud relays and P2P services the camera dials out to: the Internet
//!   reaches the camera through its own outbound session. That is the
//!   egress detector's business.
//! - UPnP answers whose SOAP body is not in the segment holding the HTTP
//!   head (reported as unanswered), and HTTPS control URLs. A request's
//!   body in the segment after its head is read (`UpnpBody`); one split
//!   elsewhere is reported without the arguments it lacks.
//!
//! # Incidents
//!
//! The incident layer keeps each camera service (`service_port` and
//! transport) and each mapped external port apart: one incident, one
//! opening alert per camera and service or mapping; further contacts and
//! lease renewals are its updates.

mod inbound;
mod mapping;
pub mod rules;
mod services;
#[cfg(test)]
mod tests;

pub use inbound::{
    InboundCounters, MAX_OUTBOUND, MAX_PEERS_PER_SERVICE, MAX_PENDING, MAX_SERVICES,
    OUTBOUND_MEMORY, REMATCH_AFTER,
};
pub use mapping::{ANSWER_WAIT, MAX_MAPPINGS, MAX_PENDING_CALLS, MAX_SEARCHERS, MappingCounters};
pub use rules::RULES;

use super::{Context, Detector};
use crate::alert::{Alert, Category};
use crate::observation::{FlowId, Observation};
use crate::timestamp::Timestamp;

/// The exposure detector: inbound reachability and port-mapping requests.
#[derive(Debug, Default)]
pub struct Exposure {
    inbound: inbound::Inbound,
    mapping: mapping::Mapping,
}

impl Exposure {
    pub fn new() -> Exposure {
        Exposure::default()
    }

    /// What inbound reachability counted without alerting.
    pub fn inbound_counters(&self) -> InboundCounters {
        self.inbound.counters
    }

    /// What the port-mapping side counted without alerting.
    pub fn mapping_counters(&self) -> MappingCounters {
        self.mapping.counters
    }

    /// Entries held now: inbound flows awaiting an answer, camera services
    /// with contacts, mapping requests awaiting an answer.
    pub fn held(&self) -> (usize, usize, usize) {
        (
            self.inbound.pending(),
            self.inbound.services(),
            self.mapping.pending(),
        )
    }
}

impl Detector for Exposure {
    fn category(&self) -> Category {
        Category::Exposure
    }

    fn observe(
        &mut self,
        context: &Context<'_>,
        observation: &Observation,
        alerts: &mut Vec<Alert>,
    ) {
        self.mapping.expire(context, observation.ts(), alerts);
        match observation {
            Observation::FlowStart(start) => self.inbound.flow_start(context, start, alerts),
            Observation::FirstAnswer(answer) => self.inbound.first_answer(context, answer, alerts),
            Observation::Bytes(bytes) if !bytes.from_initiator => {
                self.inbound.recheck(context, bytes.id, alerts)
            }
            Observation::FlowEnd(end) => {
                let id = FlowId {
                    key: end.flow.key,
                    first_seq: end.flow.first_seq,
                };
                self.inbound.flow_end(context, id, alerts);
            }
            Observation::RtspServer(server) => {
                self.inbound.identified(context, server.server.ip, alerts)
            }
            Observation::OnvifDevice(device) => {
                self.inbound.identified(context, device.device.ip, alerts)
            }
            Observation::GatewaySearch(search) => self.mapping.gateway_search(search),
            Observation::UpnpRequest(request) => {
                self.mapping.upnp_request(context, request, alerts)
            }
            Observation::UpnpBody(body) => self.mapping.upnp_body(body),
            Observation::UpnpResponse(response) => {
                self.mapping.upnp_response(context, response, alerts)
            }
            Observation::PortControl(message) => {
                self.mapping.port_control(context, message, alerts)
            }
            _ => {}
        }
    }

    fn finish(&mut self, context: &Context<'_>, _now: Timestamp, alerts: &mut Vec<Alert>) {
        self.mapping.finish(context, alerts);
    }
}
