//! Alerts to JSON lines: the typed ECS or EVE document of each alert, with
//! a unique, reproducible `event.id`, and the flows that alerted (for the
//! EVE flow record's `alerted`).

use std::collections::BTreeSet;

use serde::Serialize;
use sha1::{Digest, Sha1};

use super::ecs::{
    self, Camera, CamsentryAlert, Ecs, EcsAlert, Endpoint, Event, Evidence, Ingress, Interface,
    Network, ObserverFields, Related, RuleFields, Tls, TlsClient, TopValue, Vlan,
};
use super::eve::{
    AlertBody, AlertFlowFields, AlertMetadata, Ether, EveAlert, EveDns, EveDnsQuery, EveTls,
};
use super::{Alert, Format, Observer, ecs_mac};
use crate::net::IpProto;
use crate::protocols::service::application_protocol;

/// Flows remembered as alerted until their record is written; past this
/// the oldest are forgotten (their record then says `alerted: false`) and
/// counted.
pub const MAX_ALERTED_FLOWS: usize = 65_536;

/// Encodes alerts as JSON lines and gives each a unique, reproducible id.
pub struct Encoder {
    format: Format,
    observer: Observer,
    sequence: u64,
    alerted: BTreeSet<u64>,
    /// Alerted flows forgotten at `MAX_ALERTED_FLOWS`.
    pub alerted_forgotten: u64,
}

impl Encoder {
    pub fn new(format: Format, observer: Observer) -> Encoder {
        Encoder {
            format,
            observer,
            sequence: 0,
            alerted: BTreeSet::new(),
            alerted_forgotten: 0,
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn observer(&self) -> &Observer {
        &self.observer
    }

    /// Whether an alert was written about flow `id` (and forgets it: a
    /// flow's record is written once).
    pub fn take_alerted(&mut self, id: u64) -> bool {
        self.alerted.remove(&id)
    }

    /// `event.id`: a hash of the sensor, the alert's position in the run and
    /// its content; the same capture gives the same ids on every run and any
    /// number of workers, two sensors never collide.
    fn next_id(&mut self, alert: &Alert) -> String {
        self.sequence += 1;
        let mut hasher = Sha1::new();
        hasher.update(self.observer.hostname.as_bytes());
        hasher.update(self.sequence.to_be_bytes());
        hasher.update(alert.ts.as_nanos().to_be_bytes());
        hasher.update(alert.rule.id.as_bytes());
        super::with_ip_text(alert.source_ip, |text| hasher.update(text));
        let digest: [u8; 20] = hasher.finalize().into();
        super::hex_id(&digest[..12])
    }

    /// Appends the alert as one line to `out`.
    pub fn encode(&mut self, alert: &Alert, out: &mut Vec<u8>) {
        let id = self.next_id(alert);
        if let Some(flow) = &alert.flow {
            // Ids are hashes: "oldest" is any; forgetting one costs only
            // its record's `alerted` flag.
            if self.alerted.len() >= MAX_ALERTED_FLOWS
                && !self.alerted.contains(&flow.id)
                && self.alerted.pop_first().is_some()
            {
                self.alerted_forgotten += 1;
            }
            self.alerted.insert(flow.id);
        }
        match self.format {
            Format::Ecs => write_line(&ecs_alert(alert, &self.observer, id), out),
            Format::Eve => write_line(&eve_alert(alert, &self.observer, id), out),
        }
    }

    /// Appends an informational event (ECS `event.kind: "event"`, e.g. a
    /// stream that resumed or a firmware string that changed) as one line
    /// to `out`. An event uses the alert's fields but is no alert: it has
    /// no `rule` object (EVE: `event_type: "camsentry"`), it bypasses the
    /// incident layer and is not counted with the alerts.
    pub fn encode_event(&mut self, event: &Alert, out: &mut Vec<u8>) {
        let id = self.next_id(event);
        let value = match self.format {
            Format::Ecs => serde_json::to_value(ecs_alert(event, &self.observer, id.clone())),
            Format::Eve => serde_json::to_value(eve_alert(event, &self.observer, id.clone())),
        };
        let Ok(mut value) = value else {
            return;
        };
        if let Some(root) = value.as_object_mut() {
            root.remove("rule");
            root.remove("alert");
            match self.format {
                Format::Ecs => {
                    root.insert(
                        "event".into(),
                        serde_json::json!({
                            "kind": "event",
                            "category": ["network"],
                            "type": ["info"],
                            "action": event.rule.action,
                            "reason": event.rule.name,
                            "id": id,
                            "dataset": "camsentry.event",
                            "module": "camsentry",
                        }),
                    );
                }
                Format::Eve => {
                    root.insert("event_type".into(), "camsentry".into());
                    root.insert(
                        "event".into(),
                        serde_json::json!({
                            "action": event.rule.action,
                            "reason": event.rule.name,
                            "id": id,
                        }),
                    );
                }
            }
        }
        write_line(&value, out);
    }
}

/// Appends `document` and a newline to `out`. Serialising these structs
/// into a Vec cannot fail; if it ever did, dropping one line beats
/// aborting a run.
pub(super) fn write_line<T: Serialize>(document: &T, out: &mut Vec<u8>) {
    if serde_json::to_writer(&mut *out, document).is_ok() {
        out.push(b'\n');
    }
}

/// `observer.*`, with the capture interface named `interface` when there
/// is one.
pub(super) fn observer_fields(observer: &Observer, interface: Option<&str>) -> ObserverFields {
    ObserverFields {
        hostname: observer.hostname.clone(),
        vendor: ecs::VENDOR.to_string(),
        product: observer.product.to_string(),
        version: observer.version.to_string(),
        kind: "sensor".to_string(),
        ingress: interface.map(|name| Ingress {
            interface: Interface {
                name: name.to_string(),
            },
        }),
    }
}

/// The alert in one sentence: the rule's own reason when it gives one.
pub fn message(alert: &Alert, evidence: &Evidence) -> String {
    if let Some(reason) = &evidence.reason {
        return reason.clone();
    }
    let mut text = format!("{}: camera {}", alert.rule.name, alert.source_ip);
    if let Some(ip) = alert.destination_ip {
        text.push_str(" to ");
        match &alert.destination_domain {
            Some(domain) => text.push_str(&format!("{domain} ({ip})")),
            None => text.push_str(&ip.to_string()),
        }
        if let Some(port) = alert.destination_port {
            text.push_str(&format!(" port {port}"));
        }
    }
    text
}

/// Every address and name the alert mentions (ECS `related.*`), scan
/// targets and upload destinations included, without repeats.
fn related(alert: &Alert, evidence: &Evidence) -> Related {
    let mut related = Related::default();
    let mut add_ip = |ip: String| {
        if !related.ip.contains(&ip) {
            related.ip.push(ip);
        }
    };
    add_ip(alert.source_ip.to_string());
    if let Some(ip) = alert.destination_ip {
        add_ip(ip.to_string());
    }
    if let Some(target) = &evidence.target {
        add_ip(target.clone());
    }
    for target in evidence.targets.iter().flatten() {
        add_ip(target.clone());
    }
    for top in evidence.top_destinations.iter().flatten() {
        add_ip(top.ip.clone());
    }
    let mut hosts: Vec<String> = Vec::new();
    let names = alert
        .destination_domain
        .iter()
        .chain(evidence.destination_name.iter())
        .chain(
            evidence
                .top_destinations
                .iter()
                .flatten()
                .filter_map(|t| t.domain.as_ref()),
        );
    for name in names {
        if !hosts.contains(name) {
            hosts.push(name.clone());
        }
    }
    related.hosts = hosts;
    related
}

fn camsentry_alert(alert: &Alert, evidence: Evidence) -> CamsentryAlert {
    let camera = &alert.camera;
    CamsentryAlert {
        camera: Camera {
            name: camera.name.clone(),
            vendor: camera.vendor.clone(),
            group: camera.group.clone(),
            identified_by: camera.identified_by.iter().map(|s| s.to_string()).collect(),
        },
        evidence,
        incident: alert.incident.as_ref().map(|incident| ecs::Incident {
            id: incident.id.clone(),
            state: incident.state.as_str().to_string(),
            matches: incident.matches,
            first_seen: incident.first_seen.rfc3339_micros().to_string(),
            last_seen: incident.last_seen.rfc3339_micros().to_string(),
            suppressed: incident.suppressed,
            top_destinations: incident
                .top_destinations
                .iter()
                .filter_map(|v| serde_json::from_value::<TopValue<String>>(v.clone()).ok())
                .collect(),
            top_ports: incident
                .top_ports
                .iter()
                .filter_map(|v| serde_json::from_value::<TopValue<u16>>(v.clone()).ok())
                .collect(),
        }),
        flow_id: alert.flow.map(|f| f.id),
        destination_domain: None,
    }
}

/// The destination's name and where it was seen (`name_source` in the
/// evidence): `Some((name, "sni"))`, `Some((name, "dns"))`, else `None`
/// (no name, or one whose source the detector did not say).
fn named_destination<'a>(alert: &'a Alert, evidence: &'a Evidence) -> Option<(&'a str, &'a str)> {
    let name = alert.destination_domain.as_deref()?;
    let source = evidence.name_source.as_deref()?;
    matches!(source, "sni" | "dns").then_some((name, source))
}

/// ECS `network.protocol` of an alert about one conversation: what the
/// destination's port names, else the source's (a camera's own service,
/// as in exposure alerts).
fn alert_protocol(alert: &Alert) -> Option<String> {
    let proto = match alert.transport? {
        "tcp" => IpProto::TCP,
        "udp" => IpProto::UDP,
        "sctp" => IpProto::SCTP,
        _ => return None,
    };
    [alert.destination_port, alert.source_port]
        .into_iter()
        .flatten()
        .find_map(|port| application_protocol(proto.0, port))
        .map(str::to_string)
}

pub fn ecs_alert(alert: &Alert, observer: &Observer, id: String) -> EcsAlert {
    let evidence = Evidence::from_map(&alert.evidence);
    let tls = match named_destination(alert, &evidence) {
        Some((name, "sni")) => Some(Tls {
            client: TlsClient {
                server_name: name.to_string(),
            },
        }),
        _ => None,
    };
    let destination = Endpoint {
        ip: alert.destination_ip.map(|ip| ip.to_string()),
        port: alert.destination_port,
        domain: alert.destination_domain.clone(),
        ..Endpoint::default()
    };
    let network = Network {
        transport: alert.transport.map(str::to_string),
        protocol: alert_protocol(alert),
        community_id: alert.community_id.clone(),
        vlan: alert.vlan.map(|id| Vlan { id: id.to_string() }),
        ..Network::default()
    };
    EcsAlert {
        timestamp: alert.ts.rfc3339_micros().to_string(),
        ecs: Ecs::current(),
        message: message(alert, &evidence),
        event: Event {
            kind: "alert".to_string(),
            category: vec!["network".to_string(), "intrusion_detection".to_string()],
            types: vec!["connection".to_string(), "allowed".to_string()],
            action: Some(alert.rule.action.to_string()),
            severity: Some(alert.rule.severity),
            risk_score: Some(ecs::risk_score(alert.rule.severity)),
            id: Some(id),
            dataset: ecs::ALERT_DATASET.to_string(),
            module: ecs::MODULE.to_string(),
            start: None,
            end: None,
            duration: None,
            reason: None,
        },
        rule: RuleFields {
            id: alert.rule.id.to_string(),
            name: alert.rule.name.to_string(),
            category: alert.rule.category.as_str().to_string(),
            ruleset: "camsentry".to_string(),
        },
        source: Endpoint {
            ip: Some(alert.source_ip.to_string()),
            port: alert.source_port,
            mac: alert.source_mac.map(ecs_mac),
            ..Endpoint::default()
        },
        destination: (destination != Endpoint::default()).then_some(destination),
        network: (network != Network::default()).then_some(network),
        tls,
        related: related(alert, &evidence),
        observer: observer_fields(observer, observer.interface(alert.interface)),
        camsentry: camsentry_alert(alert, evidence),
    }
}

/// Suricata's spelling of a transport name (`network.transport`).
pub fn eve_proto(transport: &str) -> String {
    match transport {
        "ipv6-icmp" => "IPv6-ICMP".to_string(),
        other => other.to_ascii_uppercase(),
    }
}

pub fn eve_alert(alert: &Alert, observer: &Observer, id: String) -> EveAlert {
    let evidence = Evidence::from_map(&alert.evidence);
    // An alert about many targets names a representative one, as EVE
    // consumers expect a destination and protocol on every alert.
    let representative = evidence
        .target
        .clone()
        .or_else(|| evidence.targets.as_ref().and_then(|t| t.first().cloned()));
    let dest_ip = alert
        .destination_ip
        .map(|ip| ip.to_string())
        .or(representative);
    let proto = alert
        .transport
        .map(str::to_string)
        .or_else(|| {
            evidence
                .transports
                .as_ref()
                .and_then(|t| t.first().cloned())
        })
        .map(|t| eve_proto(&t))
        .or_else(|| alert.rule.action.contains("arp").then(|| "ARP".to_string()));
    let flow = alert.flow.map(|f| AlertFlowFields {
        pkts_toserver: f.packets.map(|p| p[0]),
        pkts_toclient: f.packets.map(|p| p[1]),
        bytes_toserver: f.bytes.map(|b| b[0]),
        bytes_toclient: f.bytes.map(|b| b[1]),
        start: f.start.eve().to_string(),
        src_ip: f.initiator.0.to_string(),
        dest_ip: f.responder.0.to_string(),
        src_port: port_of(alert, f.initiator.1),
        dest_port: port_of(alert, f.responder.1),
    });
    let to_client = alert.flow.is_some_and(|f| f.initiator.0 != alert.source_ip);
    // A name goes where Suricata 7 writes the protocol that named it:
    // `tls.sni` for a ClientHello's server name, `dns.query` for a name a
    // DNS answer gave the address (an `A` or `AAAA` record by its family).
    let (mut tls, mut dns) = (None, None);
    match named_destination(alert, &evidence) {
        Some((name, "sni")) => tls = Some(EveTls { sni: name.into() }),
        Some((name, _)) => {
            dns = Some(EveDns {
                version: 2,
                query: vec![EveDnsQuery {
                    kind: "query".to_string(),
                    rrname: name.to_string(),
                    rrtype: match alert.destination_ip {
                        Some(std::net::IpAddr::V6(_)) => "AAAA",
                        _ => "A",
                    }
                    .to_string(),
                }],
            })
        }
        None => {}
    }
    let mut camsentry = camsentry_alert(alert, evidence);
    camsentry.destination_domain = alert.destination_domain.clone();
    EveAlert {
        timestamp: alert.ts.eve().to_string(),
        flow_id: alert.flow.map(|f| f.id),
        in_iface: observer.interface(alert.interface).map(str::to_string),
        event_type: "alert".to_string(),
        vlan: alert.vlan.map(|v| vec![v]),
        src_ip: alert.source_ip.to_string(),
        src_port: alert.source_port,
        dest_ip,
        dest_port: alert.destination_port,
        proto,
        community_id: alert.community_id.clone(),
        pkt_src: "wire/pcap".to_string(),
        ether: alert.source_mac.map(|mac| Ether {
            src_mac: ecs_mac(mac).replace('-', ":").to_ascii_lowercase(),
        }),
        alert: AlertBody {
            action: "allowed".to_string(),
            gid: 1,
            signature_id: alert.rule.signature_id,
            rev: 1,
            signature: alert.rule.name.to_string(),
            category: alert.rule.category.as_str().to_string(),
            severity: alert.rule.severity,
            metadata: AlertMetadata {
                event_id: vec![id],
                rule_id: vec![alert.rule.id.to_string()],
            },
        },
        direction: if to_client { "to_client" } else { "to_server" }.to_string(),
        flow,
        tls,
        dns,
        host: observer.hostname.clone(),
        camsentry,
    }
}

/// A flow's port as EVE writes it: only for protocols with ports.
fn port_of(alert: &Alert, port: u16) -> Option<u16> {
    matches!(alert.transport, Some("tcp" | "udp" | "sctp")).then_some(port)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Category, Rule};
    use crate::detect::testing::{alert as bare_alert, at_secs};

    fn named(source: &str, destination: &str) -> Alert {
        let rule = Rule {
            id: "CAMSENTRY-EGRESS-1",
            signature_id: 9100001,
            name: "Camera contacted a destination outside its allowlist",
            category: Category::Egress,
            action: "unknown-egress",
            severity: 2,
        };
        let mut alert = bare_alert(rule, at_secs(1), "10.20.0.12".parse().unwrap());
        alert.destination_ip = Some(destination.parse().unwrap());
        alert.destination_domain = Some("api.camcloud.example".to_string());
        alert
            .evidence
            .insert("name_source".into(), serde_json::json!(source));
        alert
    }

    #[test]
    fn a_tls_server_name_goes_to_tls_sni_and_tls_client_server_name() {
        let observer = Observer::local();
        let alert = named("sni", "203.0.113.10");
        let eve = eve_alert(&alert, &observer, "id".into());
        assert_eq!(
            eve.tls.map(|t| t.sni).as_deref(),
            Some("api.camcloud.example")
        );
        assert_eq!(eve.dns, None);
        assert_eq!(
            eve.camsentry.destination_domain.as_deref(),
            Some("api.camcloud.example")
        );
        let ecs = ecs_alert(&alert, &observer, "id".into());
        assert_eq!(
            ecs.tls.map(|t| t.client.server_name).as_deref(),
            Some("api.camcloud.example")
        );
        assert_eq!(
            ecs.destination.and_then(|d| d.domain).as_deref(),
            Some("api.camcloud.example")
        );
    }

    #[test]
    fn a_dns_name_goes_to_dns_query_with_the_address_record_type() {
        let observer = Observer::local();
        let eve = eve_alert(&named("dns", "2001:db8::10"), &observer, "id".into());
        assert_eq!(eve.tls, None);
        let dns = eve.dns.expect("dns");
        assert_eq!(dns.version, 2);
        assert_eq!(dns.query.len(), 1);
        assert_eq!(dns.query[0].kind, "query");
        assert_eq!(dns.query[0].rrname, "api.camcloud.example");
        assert_eq!(dns.query[0].rrtype, "AAAA");
        let ecs = ecs_alert(&named("dns", "203.0.113.10"), &observer, "id".into());
        assert_eq!(ecs.tls, None);
    }

    #[test]
    fn network_protocol_from_the_destination_port_else_the_source_port() {
        let observer = Observer::local();
        let mut alert = named("dns", "203.0.113.10");
        let protocol = |alert: &Alert| {
            ecs_alert(alert, &observer, "id".into())
                .network
                .and_then(|n| n.protocol)
        };
        alert.transport = Some("tcp");
        alert.destination_port = Some(443);
        assert_eq!(protocol(&alert).as_deref(), Some("tls"));
        // An exposure alert: the camera's RTSP port is the source.
        alert.source_port = Some(554);
        alert.destination_port = Some(43516);
        assert_eq!(protocol(&alert).as_deref(), Some("rtsp"));
        alert.source_port = Some(40000);
        assert_eq!(protocol(&alert), None);
    }

    #[test]
    fn a_name_of_unknown_source_stays_under_camsentry_only() {
        let observer = Observer::local();
        let mut alert = named("dns", "203.0.113.10");
        alert.evidence.remove("name_source");
        let eve = eve_alert(&alert, &observer, "id".into());
        assert_eq!((eve.tls, eve.dns), (None, None));
        assert_eq!(
            eve.camsentry.destination_domain.as_deref(),
            Some("api.camcloud.example")
        );
    }

    #[test]
    fn an_alert_names_the_interface_of_its_flow_or_the_only_one() {
        let ingress = |ecs: EcsAlert| ecs.observer.ingress.map(|i| i.interface.name);
        let two = Observer::local().with_interfaces(vec!["eno1".into(), "eno2".into()]);
        let mut alert = named("dns", "203.0.113.10");
        alert.interface = Some(1);
        assert_eq!(
            ingress(ecs_alert(&alert, &two, "id".into())).as_deref(),
            Some("eno2")
        );
        assert_eq!(
            eve_alert(&alert, &two, "id".into()).in_iface.as_deref(),
            Some("eno2")
        );
        // About no one flow: the interface only when there is one.
        alert.interface = None;
        assert_eq!(ingress(ecs_alert(&alert, &two, "id".into())), None);
        assert_eq!(eve_alert(&alert, &two, "id".into()).in_iface, None);
        let one = Observer::local().with_interfaces(vec!["eno1".into()]);
        assert_eq!(
            ingress(ecs_alert(&alert, &one, "id".into())).as_deref(),
            Some("eno1")
        );
        // Replay: no interface at all.
        alert.interface = Some(0);
        let replay = Observer::local();
        assert_eq!(ingress(ecs_alert(&alert, &replay, "id".into())), None);
        assert_eq!(eve_alert(&alert, &replay, "id".into()).in_iface, None);
    }
}
