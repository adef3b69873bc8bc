//! The alert: destination, evidence fields and the interpolated time the
//! threshold was crossed.

use std::net::IpAddr;

use serde_json::{Map, Value, json};

use super::account::{Allowance, DestStat};
use super::attribution::Upload;
use super::*;
use crate::alert::{AlertFlow, Rule};
use crate::config::policy::Target;
use crate::flow::community_id::community_id_v1;
use crate::flow::record::transport_name;
use crate::net::IpProto;

impl Exfil {
    /// Builds an alert about `camera`'s uploads of `class` (one account of
    /// it when `key` is given).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn alert(
        &self,
        context: &Context<'_>,
        rule: Rule,
        camera: IpAddr,
        class: Class,
        key: Option<AccountKey>,
        upload: Option<&Upload>,
        (ts, evidence_ts): (Timestamp, Timestamp),
        (bytes, window): (u64, Nanos),
        extra: Map<String, Value>,
    ) -> Alert {
        let mut alert = context.camera_alert(rule, camera, ts);
        alert.evidence_ts = evidence_ts;
        let state = self.cameras.get(&camera);
        let mut top: Vec<(&(AccountKey, IpAddr), &DestStat)> = state
            .map(|s| {
                s.destinations
                    .iter()
                    .filter(|((k, _), _)| k.class == class && key.is_none_or(|key| *k == key))
                    .collect()
            })
            .unwrap_or_default();
        top.sort_by(|a, b| b.1.bytes.cmp(&a.1.bytes).then(a.0.cmp(b.0)));
        top.truncate(TOP_DESTINATIONS);
        // The destination: the busiest one, else the flow that raised the
        // alert; flow details when that flow goes to it.
        let destination = top
            .first()
            .map(|((_, ip), d)| (*ip, d.port, d.proto))
            .or_else(|| upload.map(|u| (u.side.peer, u.side.peer_port, u.flow.proto)));
        if let Some((ip, port, proto)) = destination {
            let has_ports = IpProto(proto).has_ports();
            alert.destination_ip = Some(ip);
            alert.destination_port = (has_ports && port != 0).then_some(port);
            let named = context.names.lookup_with_source(camera, ip);
            alert.destination_domain = named.map(|(name, _)| name.to_string());
            if let Some((_, source)) = named {
                alert
                    .evidence
                    .insert("name_source".into(), json!(source.as_str()));
            }
            alert.transport = Some(transport_name(proto));
        }
        if let Some(u) = upload {
            let flow = u.flow;
            alert.vlan = (flow.vlan != 0).then_some(flow.vlan);
            alert.interface = Some(flow.interface);
            if destination.is_some_and(|(ip, _, _)| ip == u.side.peer) {
                let has_ports = IpProto(flow.proto).has_ports();
                alert.source_port = has_ports.then_some(u.side.camera_port);
                alert.community_id = Some(community_id_v1(
                    0,
                    flow.proto,
                    flow.initiator.0,
                    flow.responder.0,
                    flow.initiator.1,
                    flow.responder.1,
                    flow.one_way,
                ));
                // The flow whose bytes crossed the threshold: EVE's
                // `flow_id` and `flow`, the same id as its flow record.
                alert.flow = Some(AlertFlow {
                    id: flow.id,
                    start: flow.start,
                    initiator: flow.initiator,
                    responder: flow.responder,
                    packets: None,
                    bytes: None,
                });
            }
        }
        let allowance = key.map(|k| k.allowance).or_else(|| {
            // A class alert: what allows its busiest destination.
            top.first().map(|((k, _), _)| k.allowance)
        });
        let (allowed_by, rule_target) = match allowance {
            Some(Allowance::Rule { group, rule }) => ("policy", rule_target(context, group, rule)),
            Some(Allowance::Learned) => ("baseline", None),
            Some(Allowance::Unlisted) | None => ("none", None),
        };
        let evidence = &mut alert.evidence;
        evidence.insert("destination_class".into(), json!(class.as_str()));
        evidence.insert("allowed_by".into(), json!(allowed_by));
        if let Some(target) = rule_target {
            evidence.insert("rule".into(), json!(target));
        }
        let destination = match (&alert.destination_domain, alert.destination_ip) {
            (Some(name), Some(ip)) => format!("{name} ({ip})"),
            (None, Some(ip)) => ip.to_string(),
            _ => format!("{} destinations", class.as_str()),
        };
        evidence.insert(
            "reason".into(),
            json!(format!(
                "camera {camera} sent {bytes} bytes in {} s, mostly to {destination}: {}",
                window / NANOS_PER_SEC,
                rule.name
            )),
        );
        evidence.insert("bytes".into(), json!(bytes));
        evidence.insert("window_seconds".into(), json!(window / NANOS_PER_SEC));
        for (name, value) in extra {
            evidence.insert(name, value);
        }
        evidence.insert(
            "crossed_at".into(),
            json!(evidence_ts.rfc3339_micros().to_string()),
        );
        let list: Vec<Value> = top
            .iter()
            .map(|((_, ip), d)| {
                json!({
                    "ip": ip.to_string(),
                    "domain": context.names.lookup(camera, *ip),
                    "port": (d.port != 0).then_some(d.port),
                    "bytes": d.bytes,
                })
            })
            .collect();
        evidence.insert("top_destinations".into(), Value::Array(list));
        alert
    }
}

/// The target of allow rule `rule` of group `group`, as written.
pub(super) fn rule_target(context: &Context<'_>, group: u16, rule: u16) -> Option<String> {
    let rule = context
        .policy
        .groups()
        .get(usize::from(group))?
        .rules()
        .get(usize::from(rule))?;
    Some(match rule.target() {
        Target::Network(cidr) => cidr.to_string(),
        Target::Name(pattern) => pattern.to_string(),
    })
}

/// When the sum crossed `limit`, assuming the `added` bytes of `upload`
/// were sent evenly since its previous count; `upload.ts` when the sum was
/// already over before them, `ts` when there is no upload.
pub(super) fn crossing_time(
    upload: Option<&Upload>,
    ts: Timestamp,
    sum: u64,
    added: u64,
    limit: u64,
) -> Timestamp {
    let Some(upload) = upload else {
        return ts;
    };
    let before = sum.saturating_sub(added);
    if added == 0 || before > limit || upload.from >= upload.ts {
        return upload.ts;
    }
    let needed = (limit - before).saturating_add(1).min(added);
    let span = upload.ts.since(upload.from);
    let offset = u128::from(span) * u128::from(needed) / u128::from(added);
    upload.from.plus(offset.min(u128::from(span)) as u64)
}

/// `bytes / limit`, rounded to three decimals.
pub(super) fn ratio(bytes: u64, limit: u64) -> f64 {
    let r = bytes as f64 / limit.max(1) as f64;
    (r * 1000.0).round() / 1000.0
}
