//! Inbound reachability: an external host starts a flow to a camera or
//! recorder and the camera answers.
//!
//! A flow enters [`Inbound`] as *pending* on its start when the initiator
//! is external and the responder internal; it leaves on the camera's
//! answer (a confirmed contact, if the responder is by then known as a
//! camera or recorder), on a TCP reset (a refused probe) or on the flow's
//! end (unanswered: a probe, counted). Confirmed contacts are folded per
//! camera, transport and port into a [`ServiceState`], which decides when
//! a detector match is due: a new external host, or a repeat contact at
//! least [`REMATCH_AFTER`] after the last match (it keeps the incident
//! open and its counts current).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde_json::json;

use super::services;
use crate::alert::Alert;
use crate::detect::{Context, is_local_scope};
use crate::flow::community_id::community_id_v1;
use crate::flow::record::transport_name;
use crate::net::IpProto;
use crate::observation::{Endpoint, FirstAnswer, FlowId, FlowStart};
use crate::protocols::service::is_service_port;
use crate::timestamp::{NANOS_PER_SEC, Nanos, Timestamp};

/// Inbound flows awaiting the camera's answer or their end. When full, new
/// inbound flows are not followed (counted): entries leave with their
/// flow's end, so the table drains on its own.
pub const MAX_PENDING: usize = 16_384;
/// Camera services (camera, transport, port) with confirmed contacts. When
/// full, the one contacted longest ago is forgotten (counted).
pub const MAX_SERVICES: usize = 4096;
/// Distinct external hosts remembered per service; beyond, contacts from
/// other hosts are counted but cannot be told apart.
pub const MAX_PEERS_PER_SERVICE: usize = 64;
/// (camera, external peer) pairs of the camera's own UDP conversations,
/// whose inbound datagrams are replies, not exposure.
pub const MAX_OUTBOUND: usize = 16_384;
/// How long a camera's own UDP conversation with a peer makes that peer's
/// datagrams replies.
pub const OUTBOUND_MEMORY: Nanos = 1800 * NANOS_PER_SEC;
/// Least packet time between two matches of one service from hosts
/// already reported.
pub const REMATCH_AFTER: Nanos = 300 * NANOS_PER_SEC;

/// What the inbound side counted: the detector stats of the unalerted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct InboundCounters {
    /// Inbound flows to internal hosts that ended unanswered.
    pub probes_unanswered: u64,
    /// Inbound TCP flows the internal host reset (closed port).
    pub probes_refused: u64,
    /// Answered inbound flows the policy allows (`[[group.inbound]]`, a
    /// site recorder as the peer).
    pub allowed_by_policy: u64,
    /// Answered inbound flows to hosts that are neither cameras nor
    /// recorders.
    pub answered_non_camera: u64,
    /// Flows whose external side uses a well-known service port: the
    /// internal host's own conversation seen from its reply.
    pub peer_is_server: u64,
    /// Mid-stream flows on a camera port that names no service: their
    /// direction is a guess, so they are left out.
    pub midstream_unknown_port: u64,
    /// UDP from peers the camera itself talked to (replies).
    pub outbound_replies: u64,
    /// Inbound flows not followed because the pending table was full.
    pub pending_full: u64,
    /// Services forgotten because the service table was full.
    pub services_evicted: u64,
    /// Contacts from hosts beyond a service's remembered peers.
    pub peers_beyond_cap: u64,
    /// Outbound pairs not remembered because the table was full.
    pub outbound_full: u64,
}

#[derive(Debug, Clone)]
struct Pending {
    camera: Endpoint,
    peer: Endpoint,
    proto: u8,
    vlan: u16,
    interface: u16,
    started: Timestamp,
    midstream: bool,
    /// When the camera answered, if it has.
    answered: Option<Timestamp>,
}

/// Confirmed contacts of one camera service.
#[derive(Debug, Clone)]
struct ServiceState {
    peers: BTreeSet<IpAddr>,
    contacts: u64,
    first_seen: Timestamp,
    last_seen: Timestamp,
    last_match: Timestamp,
}

#[derive(Debug, Default)]
pub struct Inbound {
    pending: BTreeMap<FlowId, Pending>,
    services: BTreeMap<(IpAddr, u8, u16), ServiceState>,
    outbound: BTreeMap<(IpAddr, IpAddr), Timestamp>,
    pub counters: InboundCounters,
}

/// An address outside the site that can originate Internet traffic.
pub(super) fn is_external(context: &Context<'_>, ip: IpAddr) -> bool {
    let special = match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unicast_link_local(),
    };
    !special && !is_local_scope(ip) && !context.policy.is_internal(ip)
}

/// Whether `camera` (or a recorder) is what detection reports on.
pub(super) fn is_watched(context: &Context<'_>, ip: IpAddr) -> bool {
    context.is_camera(ip) || context.inventory.is_recorder(context.policy, ip)
}

impl Inbound {
    /// Inbound flows followed now.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Services with confirmed contacts now.
    pub fn services(&self) -> usize {
        self.services.len()
    }

    pub(super) fn flow_start(
        &mut self,
        context: &Context<'_>,
        start: &FlowStart,
        alerts: &mut Vec<Alert>,
    ) {
        let proto = IpProto(start.proto);
        if proto != IpProto::TCP && proto != IpProto::UDP {
            return;
        }
        let (initiator, responder) = (start.initiator, start.responder);
        // Any internal sender: the host may be identified as a camera only
        // later, and the peer's datagrams are replies either way.
        if proto == IpProto::UDP
            && context.policy.is_internal(initiator.ip)
            && is_external(context, responder.ip)
        {
            self.remember_outbound(initiator.ip, responder.ip, start.ts);
            return;
        }
        if !is_external(context, initiator.ip) || !context.policy.is_internal(responder.ip) {
            return;
        }
        if is_service_port(start.proto, initiator.port) {
            self.counters.peer_is_server += 1;
            return;
        }
        if start.midstream && services::known(start.proto, responder.port).is_none() {
            self.counters.midstream_unknown_port += 1;
            return;
        }
        if proto == IpProto::UDP
            && self
                .outbound
                .get(&(responder.ip, initiator.ip))
                .is_some_and(|at| start.ts.since(*at) < OUTBOUND_MEMORY)
        {
            self.counters.outbound_replies += 1;
            return;
        }
        if self.pending.len() >= MAX_PENDING {
            self.counters.pending_full += 1;
            return;
        }
        // A mid-stream flow whose first packet came from the camera: the
        // camera has already answered.
        let answered = (start.midstream && !start.sender_is_initiator).then_some(start.ts);
        self.pending.insert(
            start.id,
            Pending {
                camera: responder,
                peer: initiator,
                proto: start.proto,
                vlan: start.vlan,
                interface: start.interface,
                started: start.ts,
                midstream: start.midstream,
                answered,
            },
        );
        if answered.is_some() {
            self.confirm(context, start.id, alerts);
        }
    }

    fn remember_outbound(&mut self, camera: IpAddr, peer: IpAddr, ts: Timestamp) {
        let key = (camera, peer);
        if self.outbound.len() >= MAX_OUTBOUND && !self.outbound.contains_key(&key) {
            self.outbound
                .retain(|_, at| ts.since(*at) < OUTBOUND_MEMORY);
            if self.outbound.len() >= MAX_OUTBOUND {
                self.counters.outbound_full += 1;
                return;
            }
        }
        self.outbound.insert(key, ts);
    }

    pub(super) fn first_answer(
        &mut self,
        context: &Context<'_>,
        answer: &FirstAnswer,
        alerts: &mut Vec<Alert>,
    ) {
        let Some(pending) = self.pending.get_mut(&answer.id) else {
            return;
        };
        if !answer.by_responder || pending.answered.is_some() {
            return;
        }
        if answer.refused {
            self.pending.remove(&answer.id);
            self.counters.probes_refused += 1;
            return;
        }
        pending.answered = Some(answer.ts);
        self.confirm(context, answer.id, alerts);
    }

    /// More traffic of a followed flow, or its host newly identified:
    /// an answered flow to a host now known as a camera is confirmed.
    pub(super) fn recheck(&mut self, context: &Context<'_>, id: FlowId, alerts: &mut Vec<Alert>) {
        if self.pending.get(&id).is_some_and(|p| p.answered.is_some()) {
            self.confirm(context, id, alerts);
        }
    }

    /// `host` was just identified (an RTSP or ONVIF answer): its answered
    /// inbound flows are confirmed.
    pub(super) fn identified(
        &mut self,
        context: &Context<'_>,
        host: IpAddr,
        alerts: &mut Vec<Alert>,
    ) {
        let ids: Vec<FlowId> = self
            .pending
            .iter()
            .filter(|(_, p)| p.camera.ip == host && p.answered.is_some())
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.confirm(context, id, alerts);
        }
    }

    pub(super) fn flow_end(&mut self, context: &Context<'_>, id: FlowId, alerts: &mut Vec<Alert>) {
        let Some(pending) = self.pending.get(&id) else {
            return;
        };
        if pending.answered.is_none() {
            self.pending.remove(&id);
            self.counters.probes_unanswered += 1;
            return;
        }
        self.confirm(context, id, alerts);
        if self.pending.remove(&id).is_some() {
            self.counters.answered_non_camera += 1;
        }
    }

    /// An answered flow: when its internal side is a camera or recorder
    /// it leaves the pending table as a contact.
    fn confirm(&mut self, context: &Context<'_>, id: FlowId, alerts: &mut Vec<Alert>) {
        let Some(pending) = self.pending.get(&id) else {
            return;
        };
        if !is_watched(context, pending.camera.ip) {
            return;
        }
        let Some(pending) = self.pending.remove(&id) else {
            return;
        };
        if allowed(context, &pending) {
            self.counters.allowed_by_policy += 1;
            return;
        }
        self.contact(context, &pending, alerts);
    }

    fn contact(&mut self, context: &Context<'_>, pending: &Pending, alerts: &mut Vec<Alert>) {
        let ts = pending.answered.unwrap_or(pending.started);
        let key = (pending.camera.ip, pending.proto, pending.camera.port);
        if !self.services.contains_key(&key) && self.services.len() >= MAX_SERVICES {
            let stale = self
                .services
                .iter()
                .min_by_key(|(k, s)| (s.last_seen, **k))
                .map(|(k, _)| *k);
            if let Some(stale) = stale {
                self.services.remove(&stale);
                self.counters.services_evicted += 1;
            }
        }
        let state = self.services.entry(key).or_insert(ServiceState {
            peers: BTreeSet::new(),
            contacts: 0,
            first_seen: ts,
            last_seen: ts,
            last_match: Timestamp::ZERO,
        });
        state.contacts += 1;
        state.last_seen = state.last_seen.max(ts);
        let new_peer = if state.peers.contains(&pending.peer.ip) {
            false
        } else if state.peers.len() < MAX_PEERS_PER_SERVICE {
            state.peers.insert(pending.peer.ip);
            true
        } else {
            self.counters.peers_beyond_cap += 1;
            false
        };
        let first = state.last_match == Timestamp::ZERO;
        if !new_peer && !first && ts.since(state.last_match) < REMATCH_AFTER {
            return;
        }
        state.last_match = ts;
        alerts.push(exposure_alert(context, pending, state, ts));
    }
}

/// Whether the policy lets `pending`'s peer reach the camera: a site
/// recorder (a remote recorder pulling video), or an inbound rule of the
/// camera's group.
fn allowed(context: &Context<'_>, pending: &Pending) -> bool {
    let policy = context.policy;
    if policy.is_recorder(pending.peer.ip) {
        return true;
    }
    let host = context.inventory.host(pending.camera.ip);
    let vendor = host.and_then(|h| h.vendor.map(|v| v.name));
    policy
        .group_for(pending.camera.ip, host.and_then(|h| h.mac), vendor)
        .is_some_and(|g| g.allows_inbound(pending.peer.ip, pending.camera.port))
}

fn exposure_alert(
    context: &Context<'_>,
    pending: &Pending,
    state: &ServiceState,
    ts: Timestamp,
) -> Alert {
    let service = services::classify(pending.proto, pending.camera.port);
    let (camera, peer) = (pending.camera, pending.peer);
    let mut alert = context.camera_alert(service.rule, camera.ip, ts);
    alert.evidence_ts = pending.started;
    alert.source_port = Some(camera.port);
    alert.destination_ip = Some(peer.ip);
    alert.destination_port = Some(peer.port);
    alert.transport = Some(transport_name(pending.proto));
    alert.community_id = Some(community_id_v1(
        0,
        pending.proto,
        peer.ip,
        camera.ip,
        peer.port,
        camera.port,
        false,
    ));
    alert.vlan = (pending.vlan != 0).then_some(pending.vlan);
    alert.interface = Some(pending.interface);
    let evidence = &mut alert.evidence;
    evidence.insert("direction".into(), json!("inbound"));
    evidence.insert("service".into(), json!(service.name));
    evidence.insert("service_port".into(), json!(camera.port));
    evidence.insert("external_peer".into(), json!(peer.ip.to_string()));
    evidence.insert("external_hosts".into(), json!(state.peers.len()));
    evidence.insert(
        "external_hosts_capped".into(),
        json!(state.peers.len() >= MAX_PEERS_PER_SERVICE),
    );
    evidence.insert("contacts".into(), json!(state.contacts));
    evidence.insert(
        "first_contact".into(),
        json!(state.first_seen.rfc3339_micros().to_string()),
    );
    evidence.insert("midstream".into(), json!(pending.midstream));
    let answered = match (pending.midstream, IpProto(pending.proto)) {
        (true, _) => "running session",
        (false, IpProto::TCP) => "tcp handshake",
        _ => "udp reply",
    };
    evidence.insert("answered_by".into(), json!(answered));
    evidence.insert(
        "reason".into(),
        json!("an external host reached the camera and the camera answered"),
    );
    alert
}
