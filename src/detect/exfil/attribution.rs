//! Attribution: which side of a flow is a camera, what class of
//! destination its peer is (read again whenever bytes are counted), and the
//! little per-flow state kept for camera flows between start and end.

use std::net::IpAddr;

use super::account::Allowance;
use super::*;
use crate::config::policy::{Role, Transport};
use crate::flow::Flow;
use crate::flow::record::flow_id;
use crate::net::IpProto;
use crate::observation::{BYTES_CHUNK, Bytes, Endpoint, FlowStart};

/// The flow an upload belongs to (for the alert's destination and flow).
#[derive(Debug, Clone, Copy)]
pub(super) struct FlowRef {
    /// [`flow_id`] of the flow, as its record names it.
    pub(super) id: u64,
    pub(super) start: Timestamp,
    pub(super) initiator: (IpAddr, u16),
    pub(super) responder: (IpAddr, u16),
    pub(super) proto: u8,
    pub(super) vlan: u16,
    pub(super) interface: u16,
    pub(super) one_way: bool,
}

/// One counted direction of a camera flow.
#[derive(Debug, Clone, Copy)]
pub(super) struct Side {
    pub(super) camera: IpAddr,
    pub(super) camera_port: u16,
    pub(super) peer: IpAddr,
    /// The peer's service port (0 when the camera answered the flow).
    pub(super) peer_port: u16,
    pub(super) key: AccountKey,
    pub(super) budget: Option<ByteBudget>,
    /// Bytes already counted (whole chunks).
    pub(super) counted: u64,
    /// Time of the last count (flow start at first).
    pub(super) last_ts: Timestamp,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct FlowState {
    pub(super) flow: FlowRef,
    /// Sent by the initiator, by the responder.
    pub(super) sides: [Option<Side>; 2],
}

/// Bytes a camera sent, being counted.
pub(super) struct Upload {
    pub(super) side: Side,
    pub(super) flow: FlowRef,
    pub(super) bytes: u64,
    /// The bytes were sent between `from` and `ts`.
    pub(super) from: Timestamp,
    pub(super) ts: Timestamp,
}

impl Exfil {
    /// The account of bytes `camera` sends to `peer`, and its budget, or
    /// `None` when they are not counted. `service_port` is the peer's port
    /// when the camera initiated the flow.
    pub(super) fn classify(
        &self,
        context: &Context<'_>,
        camera: IpAddr,
        peer: IpAddr,
        service_port: Option<u16>,
        proto: u8,
    ) -> Option<(AccountKey, Option<ByteBudget>)> {
        if is_local_scope(peer) {
            return None;
        }
        let port = service_port.unwrap_or(0);
        let (class, allowance, budget) = match context.peer_class(camera, peer, port, proto) {
            None | Some(PeerClass::Infrastructure) => {
                (Class::Other, Allowance::Unlisted, Some(self.default_budget))
            }
            Some(
                PeerClass::Recorder | PeerClass::LocalScope | PeerClass::Policy(Role::Recorder),
            ) => {
                return None;
            }
            Some(PeerClass::Learned) => {
                let class = if context.policy.is_internal(peer) {
                    Class::Other
                } else {
                    Class::Cloud
                };
                // Held to what it was seen to take while learning, never to
                // the default budget: a NAS taking snapshots at 40 MB/h is
                // normal for this camera.
                let budget = match self.learned_rate(context, camera, peer) {
                    Some(rate) => self.learned_budget(rate),
                    None if class == Class::Other => Some(self.default_budget),
                    None => None,
                };
                (class, Allowance::Learned, budget)
            }
            Some(PeerClass::Policy(role)) => {
                let class = if role == Role::Cloud {
                    Class::Cloud
                } else {
                    Class::Other
                };
                match rule_of(context, camera, peer, port, proto) {
                    Some((group, rule, budget)) => {
                        let budget = match class {
                            Class::Cloud => budget,
                            Class::Other => budget.or(Some(self.default_budget)),
                        };
                        (class, Allowance::Rule { group, rule }, budget)
                    }
                    None => (Class::Other, Allowance::Unlisted, Some(self.default_budget)),
                }
            }
        };
        Some((AccountKey { class, allowance }, budget))
    }

    /// The largest hourly upload `camera` sent `peer` while learning: this
    /// run's own learning, else the baseline file's.
    pub(super) fn learned_rate(
        &self,
        context: &Context<'_>,
        camera: IpAddr,
        peer: IpAddr,
    ) -> Option<u64> {
        let own = self
            .cameras
            .get(&camera)
            .and_then(|c| c.learned_peers.get(&peer))
            .map(|(_, max)| *max);
        own.max(context.baseline.peer_upload_per_hour(camera, peer))
    }

    /// A learned rate as an hourly budget: `baseline_factor` times the rate,
    /// never below the baseline floor.
    pub(super) fn learned_budget(&self, rate: u64) -> Option<ByteBudget> {
        let scaled = (rate as f64 * self.baseline_factor).min(u64::MAX as f64) as u64;
        ByteBudget::new(scaled.max(self.baseline_floor).max(1), HOUR_DURATION).ok()
    }

    /// Re-reads a side's class and budget at the time bytes are counted: a
    /// recorder recognised after the flow began (its session predates the
    /// capture) stops the count; a destination learned since gets its
    /// learned budget. `false` when the side is no longer counted.
    pub(super) fn reclassify(&self, context: &Context<'_>, side: &mut Side, proto: u8) -> bool {
        let service_port = (side.peer_port != 0).then_some(side.peer_port);
        match self.classify(context, side.camera, side.peer, service_port, proto) {
            Some((key, budget)) => {
                side.key = key;
                side.budget = budget;
                true
            }
            None => false,
        }
    }

    pub(super) fn side(
        &self,
        context: &Context<'_>,
        camera: Endpoint,
        peer: Endpoint,
        camera_initiated: bool,
        proto: u8,
        ts: Timestamp,
    ) -> Option<Side> {
        let service_port = camera_initiated.then_some(peer.port);
        let (key, budget) = self.classify(context, camera.ip, peer.ip, service_port, proto)?;
        Some(Side {
            camera: camera.ip,
            camera_port: camera.port,
            peer: peer.ip,
            peer_port: service_port.unwrap_or(0),
            key,
            budget,
            counted: 0,
            last_ts: ts,
        })
    }

    pub(super) fn flow_start(&mut self, context: &Context<'_>, start: &FlowStart) {
        let FlowStart {
            id,
            ts,
            initiator,
            responder,
            proto,
            vlan,
            interface,
            icmp_one_way: one_way,
            ..
        } = *start;
        if self.flows.len() >= MAX_FLOWS {
            return;
        }
        let sides = [
            context
                .is_camera(initiator.ip)
                .then(|| self.side(context, initiator, responder, true, proto, ts))
                .flatten(),
            context
                .is_camera(responder.ip)
                .then(|| self.side(context, responder, initiator, false, proto, ts))
                .flatten(),
        ];
        if sides.iter().all(Option::is_none) {
            return;
        }
        self.flows.insert(
            id,
            FlowState {
                flow: FlowRef {
                    id: flow_id(&id.key, ts),
                    start: ts,
                    initiator: (initiator.ip, initiator.port),
                    responder: (responder.ip, responder.port),
                    proto,
                    vlan,
                    interface,
                    one_way,
                },
                sides,
            },
        );
    }

    pub(super) fn bytes(&mut self, context: &Context<'_>, bytes: &Bytes, alerts: &mut Vec<Alert>) {
        let Bytes {
            ref id,
            ts,
            from_initiator,
            chunks,
            ..
        } = *bytes;
        let Some(state) = self.flows.get(id) else {
            return;
        };
        let direction = usize::from(!from_initiator);
        let flow = state.flow;
        let Some(mut current) = state.sides[direction] else {
            return;
        };
        let counted = self.reclassify(context, &mut current, flow.proto);
        let Some(state) = self.flows.get_mut(id) else {
            return;
        };
        if !counted {
            state.sides[direction] = None;
            return;
        }
        let Some(side) = state.sides[direction].as_mut() else {
            return;
        };
        side.key = current.key;
        side.budget = current.budget;
        let bytes = u64::from(chunks).saturating_mul(BYTES_CHUNK);
        let upload = Upload {
            side: *side,
            flow,
            bytes,
            from: side.last_ts,
            ts,
        };
        side.counted = side.counted.saturating_add(bytes);
        side.last_ts = ts;
        self.count(context, upload, alerts);
    }

    pub(super) fn flow_end(&mut self, context: &Context<'_>, flow: &Flow, alerts: &mut Vec<Alert>) {
        let id = FlowId {
            key: flow.key,
            first_seq: flow.first_seq,
        };
        let ts = flow.last_ts;
        if let Some(state) = self.flows.remove(&id) {
            for (direction, side) in state.sides.iter().enumerate() {
                let Some(mut side) = *side else { continue };
                if !self.reclassify(context, &mut side, state.flow.proto) {
                    continue;
                }
                let rest = flow.bytes[direction].saturating_sub(side.counted);
                if rest > 0 {
                    let upload = Upload {
                        side,
                        flow: state.flow,
                        bytes: rest,
                        from: side.last_ts,
                        ts,
                    };
                    self.count(context, upload, alerts);
                }
            }
            return;
        }
        // Not tracked at its start: count it whole now.
        let initiator = flow.initiator();
        let responder = flow.responder();
        let flow_ref = FlowRef {
            id: flow_id(&flow.key, flow.first_ts),
            start: flow.first_ts,
            initiator,
            responder,
            proto: flow.key.proto,
            vlan: flow.key.vlan,
            interface: flow.interface,
            one_way: flow.icmp_one_way,
        };
        let ends = [(initiator, responder, true), (responder, initiator, false)];
        for (direction, (camera, peer, initiated)) in ends.into_iter().enumerate() {
            let bytes = flow.bytes[direction];
            if bytes == 0 || !context.is_camera(camera.0) {
                continue;
            }
            let endpoint = |(ip, port): (IpAddr, u16)| Endpoint {
                ip,
                port,
                mac: [0; 6],
            };
            let Some(side) = self.side(
                context,
                endpoint(camera),
                endpoint(peer),
                initiated,
                flow.key.proto,
                flow.first_ts,
            ) else {
                continue;
            };
            let upload = Upload {
                side,
                flow: flow_ref,
                bytes,
                from: flow.first_ts,
                ts,
            };
            self.count(context, upload, alerts);
        }
    }
}

/// The allow rule that lets `camera` reach `peer`: group and rule indices
/// and the rule's budget.
pub(super) fn rule_of(
    context: &Context<'_>,
    camera: IpAddr,
    peer: IpAddr,
    port: u16,
    proto: u8,
) -> Option<(u16, u16, Option<ByteBudget>)> {
    let host = context.inventory.host(camera);
    let vendor = host.and_then(|h| h.vendor.map(|v| v.name));
    let group = context
        .policy
        .group_for(camera, host.and_then(|h| h.mac), vendor)?;
    let name = context.names.lookup(camera, peer);
    let port_opt = IpProto(proto).has_ports().then_some(port);
    let rule = group.allows(peer, name, port_opt, Transport::from_ip_proto(proto))?;
    let group_index = context
        .policy
        .groups()
        .iter()
        .position(|g| std::ptr::eq(g, group))?;
    let rule_index = group.rules().iter().position(|r| std::ptr::eq(r, rule))?;
    Some((
        u16::try_from(group_index).unwrap_or(u16::MAX),
        u16::try_from(rule_index).unwrap_or(u16::MAX),
        rule.budget(),
    ))
}
