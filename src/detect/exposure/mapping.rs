//! Port-mapping requests: a camera or recorder asks the router to open a
//! port from the Internet, by UPnP IGD (`AddPortMapping`,
//! `AddAnyPortMapping`), NAT-PMP or PCP `MAP`.
//!
//! A request waits in [`Mapping`] for the router's answer on the same
//! socket pair (an HTTP reply with an `...Response` or a `UPnPError`, a
//! NAT-PMP or PCP response) for at most [`ANSWER_WAIT`] of packet time;
//! then the match is raised with the answer, or with `answer: "none"`.
//! A retransmission of a waiting request is folded into it. Each resolved
//! request is one match; the first for a (camera, mechanism, protocol,
//! external port) opens the story, repeats (lease renewals) carry the
//! running request count.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::{Value, json};

use super::inbound::is_watched;
use super::rules::{RULE_NATPMP, RULE_UPNP};
use crate::alert::{Alert, Rule};
use crate::detect::Context;
use crate::observation::{
    Endpoint, GatewaySearch, MappingArgs, PortControl, UpnpBody, UpnpRequest, UpnpResponse,
};
use crate::protocols::natpmp::{self, MapProtocol, NatPmp, PcpOpcode};
use crate::protocols::upnp;
use crate::timestamp::{NANOS_PER_SEC, Nanos, Timestamp};

/// Requests awaiting the router's answer; beyond, new ones are raised at
/// once without waiting (counted).
pub const MAX_PENDING_CALLS: usize = 1024;
/// Mappings (camera, mechanism, protocol, external port) whose request
/// count is kept; when full the one requested longest ago is forgotten.
pub const MAX_MAPPINGS: usize = 4096;
/// Hosts whose last SSDP gateway search is remembered; beyond, new
/// searchers are not (counted).
pub const MAX_SEARCHERS: usize = 4096;
/// How long a request waits for the router's answer.
pub const ANSWER_WAIT: Nanos = 5 * NANOS_PER_SEC;
/// Longest description or address text kept from a request.
const MAX_TEXT: usize = 128;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MappingCounters {
    /// Mapping requests whose sender and internal client are neither
    /// cameras nor recorders.
    pub non_camera_requests: u64,
    /// Delete requests (UPnP `DeletePortMapping`, lifetime 0) from cameras.
    pub deletes: u64,
    /// Retransmissions folded into a waiting request.
    pub retransmissions: u64,
    /// Requests raised without waiting because the pending table was full.
    pub pending_full: u64,
    /// Mappings forgotten because the mapping table was full.
    pub mappings_evicted: u64,
    /// Gateway searches not remembered because the table was full.
    pub searchers_full: u64,
    /// Router answers matching no waiting request.
    pub unmatched_answers: u64,
}

/// The socket pair of a request and its answer: client, then router.
type CallKey = (IpAddr, u16, IpAddr, u16);

#[derive(Debug, Clone)]
struct Request {
    rule: Rule,
    mechanism: &'static str,
    camera: IpAddr,
    client: Endpoint,
    router: Endpoint,
    transport: &'static str,
    ts: Timestamp,
    /// Request fields for the evidence (`external_port`, `protocol`, ...).
    fields: serde_json::Map<String, Value>,
    protocol: &'static str,
    external_port: u16,
    retransmissions: u32,
}

#[derive(Debug, Clone, Copy)]
struct MappingState {
    requests: u64,
    last_seen: Timestamp,
}

#[derive(Debug, Default)]
pub struct Mapping {
    pending: BTreeMap<CallKey, Request>,
    /// Earliest time a waiting request's wait runs out.
    next_deadline: Option<Timestamp>,
    mappings: BTreeMap<(IpAddr, &'static str, &'static str, u16), MappingState>,
    searches: BTreeMap<IpAddr, (Timestamp, Box<str>)>,
    pub counters: MappingCounters,
}

fn text(value: &str) -> String {
    value.chars().take(MAX_TEXT).collect()
}

fn map_protocol(protocol: MapProtocol) -> &'static str {
    match protocol {
        MapProtocol::Tcp => "tcp",
        MapProtocol::Udp => "udp",
        MapProtocol::Other(0) => "all",
        MapProtocol::Other(_) => "other",
    }
}

/// NAT-PMP result codes (RFC 6886 section 3.5).
fn natpmp_result(code: u16) -> &'static str {
    match code {
        0 => "Success",
        1 => "Unsupported Version",
        2 => "Not Authorized/Refused",
        3 => "Network Failure",
        4 => "Out of resources",
        5 => "Unsupported opcode",
        _ => "unknown",
    }
}

/// PCP result codes (RFC 6887 section 7.4).
fn pcp_result(code: u8) -> &'static str {
    match code {
        0 => "SUCCESS",
        1 => "UNSUPP_VERSION",
        2 => "NOT_AUTHORIZED",
        3 => "MALFORMED_REQUEST",
        4 => "UNSUPP_OPCODE",
        5 => "UNSUPP_OPTION",
        6 => "MALFORMED_OPTION",
        7 => "NETWORK_FAILURE",
        8 => "NO_RESOURCES",
        9 => "UNSUPP_PROTOCOL",
        10 => "USER_EX_QUOTA",
        11 => "CANNOT_PROVIDE_EXTERNAL",
        12 => "ADDRESS_MISMATCH",
        13 => "EXCESSIVE_REMOTE_PEERS",
        _ => "unknown",
    }
}

impl Mapping {
    /// Requests waiting for an answer now.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    pub(super) fn gateway_search(&mut self, search: &GatewaySearch) {
        let ip = search.searcher.ip;
        if !self.searches.contains_key(&ip) && self.searches.len() >= MAX_SEARCHERS {
            self.counters.searchers_full += 1;
            return;
        }
        self.searches
            .insert(ip, (search.ts, Box::from(text(&search.target).as_str())));
    }

    /// The camera a request is about: its sender, else the internal
    /// client it names.
    fn subject(context: &Context<'_>, client: IpAddr, internal: Option<&str>) -> Option<IpAddr> {
        if is_watched(context, client) {
            return Some(client);
        }
        let named: IpAddr = internal?.trim().parse().ok()?;
        is_watched(context, named).then_some(named)
    }

    pub(super) fn upnp_request(
        &mut self,
        context: &Context<'_>,
        request: &UpnpRequest,
        alerts: &mut Vec<Alert>,
    ) {
        let args = &request.args;
        let Some(camera) =
            Self::subject(context, request.client.ip, args.internal_client.as_deref())
        else {
            self.counters.non_camera_requests += 1;
            return;
        };
        let action = request.action.as_ref();
        if matches!(action, "DeletePortMapping" | "DeletePortMappingRange") {
            self.counters.deletes += 1;
            return;
        }
        if !matches!(action, "AddPortMapping" | "AddAnyPortMapping") {
            return;
        }
        let mut fields = serde_json::Map::new();
        fields.insert("action".into(), json!(action));
        fields.insert("control_url".into(), json!(text(&request.control_url)));
        upnp_fields(&mut fields, args);
        let pending = Request {
            rule: RULE_UPNP,
            mechanism: "upnp-igd",
            camera,
            client: request.client,
            router: request.router,
            transport: "tcp",
            ts: request.ts,
            fields,
            protocol: args.protocol.unwrap_or("unknown"),
            external_port: args.external_port.unwrap_or(0),
            retransmissions: 0,
        };
        self.wait(context, pending, alerts);
    }

    /// The body of a waiting request whose head came without it.
    pub(super) fn upnp_body(&mut self, body: &UpnpBody) {
        let key = (
            body.client.ip,
            body.client.port,
            body.router.ip,
            body.router.port,
        );
        let Some(request) = self.pending.get_mut(&key) else {
            return;
        };
        if request.fields.get("arguments_seen") != Some(&json!(false)) {
            return;
        }
        upnp_fields(&mut request.fields, &body.args);
        request.protocol = body.args.protocol.unwrap_or("unknown");
        request.external_port = body.args.external_port.unwrap_or(0);
    }
}

/// The arguments of a UPnP mapping call as evidence fields.
fn upnp_fields(fields: &mut serde_json::Map<String, Value>, args: &MappingArgs) {
    {
        fields.insert("external_port".into(), json!(args.external_port));
        fields.insert("protocol".into(), json!(args.protocol));
        fields.insert(
            "internal_client".into(),
            json!(args.internal_client.as_deref().map(text)),
        );
        fields.insert("internal_port".into(), json!(args.internal_port));
        fields.insert("lease_seconds".into(), json!(args.lease));
        fields.insert(
            "description".into(),
            json!(args.description.as_deref().map(text)),
        );
        fields.insert(
            "remote_host".into(),
            json!(args.remote_host.as_deref().map(text)),
        );
        fields.insert("enabled".into(), json!(args.enabled));
        fields.insert("arguments_seen".into(), json!(*args != Default::default()));
    }
}

impl Mapping {
    pub(super) fn upnp_response(
        &mut self,
        context: &Context<'_>,
        response: &UpnpResponse,
        alerts: &mut Vec<Alert>,
    ) {
        let key = (
            response.client.ip,
            response.client.port,
            response.router.ip,
            response.router.port,
        );
        let Some(request) = self.pending.remove(&key) else {
            self.counters.unmatched_answers += 1;
            return;
        };
        let accepted = response.status == 200 && response.error_code.is_none();
        let answer = json!({
            "result": if accepted { "accepted" } else { "refused" },
            "status": response.status,
            "error_code": response.error_code,
            "error_name": response.error_code.and_then(upnp::error_name),
            "error_description": response.error_description.as_deref().map(text),
            "response": response.action_response.as_deref(),
        });
        self.raise(context, request, Some((response.ts, answer)), alerts);
    }

    pub(super) fn port_control(
        &mut self,
        context: &Context<'_>,
        message: &PortControl,
        alerts: &mut Vec<Alert>,
    ) {
        match message.message {
            natpmp::PortControl::NatPmp(NatPmp::MapRequest {
                protocol,
                internal_port,
                suggested_external_port,
                lifetime,
            }) => {
                let mut fields = serde_json::Map::new();
                fields.insert("protocol".into(), json!(map_protocol(protocol)));
                fields.insert("internal_port".into(), json!(internal_port));
                fields.insert("external_port".into(), json!(suggested_external_port));
                fields.insert("lease_seconds".into(), json!(lifetime));
                self.map_request(
                    context,
                    message,
                    "nat-pmp",
                    (map_protocol(protocol), suggested_external_port, lifetime),
                    fields,
                    alerts,
                );
            }
            natpmp::PortControl::Pcp(pcp) if !pcp.is_response && pcp.opcode == PcpOpcode::Map => {
                let Some(mapping) = pcp.mapping else { return };
                let mut fields = serde_json::Map::new();
                fields.insert("protocol".into(), json!(map_protocol(mapping.protocol)));
                fields.insert("internal_port".into(), json!(mapping.internal_port));
                fields.insert("external_port".into(), json!(mapping.external_port));
                fields.insert(
                    "external_address".into(),
                    json!(mapping.external_addr.to_string()),
                );
                fields.insert(
                    "internal_client".into(),
                    json!(pcp.client_addr.map(|a| a.to_string())),
                );
                fields.insert("lease_seconds".into(), json!(pcp.lifetime));
                self.map_request(
                    context,
                    message,
                    "pcp",
                    (
                        map_protocol(mapping.protocol),
                        mapping.external_port,
                        pcp.lifetime,
                    ),
                    fields,
                    alerts,
                );
            }
            natpmp::PortControl::NatPmp(NatPmp::MapResponse {
                protocol: _,
                result,
                epoch: _,
                internal_port: _,
                mapped_external_port,
                lifetime,
            }) => {
                let answer = json!({
                    "result": if result == 0 { "accepted" } else { "refused" },
                    "result_code": result,
                    "result_name": natpmp_result(result),
                    "mapped_external_port": mapped_external_port,
                    "granted_lease_seconds": lifetime,
                });
                self.map_answer(context, message, answer, alerts);
            }
            natpmp::PortControl::Pcp(pcp) if pcp.is_response && pcp.opcode == PcpOpcode::Map => {
                let result = pcp.result.unwrap_or(0);
                let answer = json!({
                    "result": if result == 0 { "accepted" } else { "refused" },
                    "result_code": result,
                    "result_name": pcp_result(result),
                    "mapped_external_port": pcp.mapping.map(|m| m.external_port),
                    "mapped_external_address": pcp.mapping.map(|m| m.external_addr.to_string()),
                    "granted_lease_seconds": pcp.lifetime,
                });
                self.map_answer(context, message, answer, alerts);
            }
            _ => {}
        }
    }

    /// A NAT-PMP or PCP map request; `mapping` is (protocol, external
    /// port, lifetime).
    fn map_request(
        &mut self,
        context: &Context<'_>,
        message: &PortControl,
        mechanism: &'static str,
        mapping: (&'static str, u16, u32),
        fields: serde_json::Map<String, Value>,
        alerts: &mut Vec<Alert>,
    ) {
        let (protocol, external_port, lifetime) = mapping;
        let internal = fields
            .get("internal_client")
            .and_then(Value::as_str)
            .map(str::to_string);
        let Some(camera) = Self::subject(context, message.src.ip, internal.as_deref()) else {
            self.counters.non_camera_requests += 1;
            return;
        };
        if lifetime == 0 {
            self.counters.deletes += 1;
            return;
        }
        let request = Request {
            rule: RULE_NATPMP,
            mechanism,
            camera,
            client: message.src,
            router: message.dst,
            transport: "udp",
            ts: message.ts,
            fields,
            protocol,
            external_port,
            retransmissions: 0,
        };
        self.wait(context, request, alerts);
    }

    fn map_answer(
        &mut self,
        context: &Context<'_>,
        message: &PortControl,
        answer: Value,
        alerts: &mut Vec<Alert>,
    ) {
        let key = (
            message.dst.ip,
            message.dst.port,
            message.src.ip,
            message.src.port,
        );
        let Some(request) = self.pending.remove(&key) else {
            self.counters.unmatched_answers += 1;
            return;
        };
        self.raise(context, request, Some((message.ts, answer)), alerts);
    }

    /// Holds `request` for the router's answer. A waiting request on the
    /// same socket pair asking the same is a retransmission; asking
    /// something else, it is raised unanswered first.
    fn wait(&mut self, context: &Context<'_>, request: Request, alerts: &mut Vec<Alert>) {
        let key = (
            request.client.ip,
            request.client.port,
            request.router.ip,
            request.router.port,
        );
        if let Some(waiting) = self.pending.get_mut(&key) {
            if waiting.fields == request.fields {
                waiting.retransmissions += 1;
                self.counters.retransmissions += 1;
                return;
            }
            if let Some(old) = self.pending.remove(&key) {
                self.raise(context, old, None, alerts);
            }
        }
        if self.pending.len() >= MAX_PENDING_CALLS {
            self.counters.pending_full += 1;
            self.raise(context, request, None, alerts);
            return;
        }
        let deadline = request.ts.plus(ANSWER_WAIT);
        self.next_deadline = Some(self.next_deadline.map_or(deadline, |d| d.min(deadline)));
        self.pending.insert(key, request);
    }

    /// Raises the requests whose wait ran out by `now`.
    pub(super) fn expire(
        &mut self,
        context: &Context<'_>,
        now: Timestamp,
        alerts: &mut Vec<Alert>,
    ) {
        if self.next_deadline.is_none_or(|d| now < d) {
            return;
        }
        let due: Vec<CallKey> = self
            .pending
            .iter()
            .filter(|(_, r)| now.since(r.ts) >= ANSWER_WAIT)
            .map(|(k, _)| *k)
            .collect();
        for key in due {
            if let Some(request) = self.pending.remove(&key) {
                self.raise(context, request, None, alerts);
            }
        }
        self.next_deadline = self.pending.values().map(|r| r.ts.plus(ANSWER_WAIT)).min();
    }

    /// End of input: every waiting request is raised unanswered.
    pub(super) fn finish(&mut self, context: &Context<'_>, alerts: &mut Vec<Alert>) {
        let pending = std::mem::take(&mut self.pending);
        for request in pending.into_values() {
            self.raise(context, request, None, alerts);
        }
        self.next_deadline = None;
    }

    fn raise(
        &mut self,
        context: &Context<'_>,
        request: Request,
        answer: Option<(Timestamp, Value)>,
        alerts: &mut Vec<Alert>,
    ) {
        let key = (
            request.camera,
            request.mechanism,
            request.protocol,
            request.external_port,
        );
        if !self.mappings.contains_key(&key) && self.mappings.len() >= MAX_MAPPINGS {
            let stale = self
                .mappings
                .iter()
                .min_by_key(|(k, s)| (s.last_seen, **k))
                .map(|(k, _)| *k);
            if let Some(stale) = stale {
                self.mappings.remove(&stale);
                self.counters.mappings_evicted += 1;
            }
        }
        let state = self.mappings.entry(key).or_insert(MappingState {
            requests: 0,
            last_seen: request.ts,
        });
        state.requests += 1;
        state.last_seen = state.last_seen.max(request.ts);
        let requests = state.requests;
        let ts = answer.as_ref().map_or(request.ts, |(at, _)| *at);
        let mut alert = context.camera_alert(request.rule, request.camera, ts);
        alert.evidence_ts = request.ts;
        if request.client.ip == request.camera {
            alert.source_port = Some(request.client.port);
        }
        alert.destination_ip = Some(request.router.ip);
        alert.destination_port = Some(request.router.port);
        alert.transport = Some(request.transport);
        let evidence = &mut alert.evidence;
        evidence.insert("mechanism".into(), json!(request.mechanism));
        evidence.insert("requested_by".into(), json!(request.client.ip.to_string()));
        evidence.extend(request.fields);
        evidence.insert(
            "answer".into(),
            answer.map_or(json!({ "result": "none" }), |(_, a)| a),
        );
        evidence.insert("requests".into(), json!(requests));
        evidence.insert("retransmissions".into(), json!(request.retransmissions));
        let search = self.searches.get(&request.client.ip);
        evidence.insert(
            "gateway_search".into(),
            json!(search.map(|(at, target)| json!({
                "ts": at.rfc3339_micros().to_string(),
                "target": target.as_ref(),
            }))),
        );
        evidence.insert(
            "reason".into(),
            json!("the camera asked the router to forward a port from the Internet"),
        );
        alerts.push(alert);
    }
}
