//! What the HTML report shows, gathered once at the end of a run from the
//! engine's inventory and the alerts the collector kept, and bounded: a
//! capture of a huge site gives a report that still opens, with counts of
//! what was left out.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use serde_json::Value;

use crate::camera::Role;
use crate::config::policy::Target;
use crate::detect::{Engine, is_local_scope};
use crate::pipeline::KeptAlerts;
use crate::report::inventory::{HostRow, host_rows, top_peers};
use crate::report::learning::{capture_end, still_learning};
use crate::stats::RunSummary;
use crate::timestamp::Timestamp;

/// Inventory rows in the page (a /16 of cameras still fits).
pub const MAX_ROWS: usize = 5_000;
/// Alerts listed with their details.
pub const MAX_ALERTS: usize = 2_000;
/// Cameras with a lane in the timeline (those with incidents).
pub const MAX_LANES: usize = 100;
/// Cameras with a peer map: alerting ones first, then by bytes sent.
pub const MAX_MAPS: usize = 120;
/// Peers drawn per camera map.
pub const MAX_MAP_PEERS: usize = 10;
/// Rows of the top destinations and domains tables.
pub const MAX_TOP: usize = 25;

/// How a camera's peer relates to it, for the peer map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerKind {
    Recorder,
    /// Another host of the site's networks.
    Local,
    /// Allowed by the camera's policy group or learned into the baseline.
    Allowed,
    /// Outside the site and neither allowed nor learned.
    Unknown,
}

impl PeerKind {
    pub fn name(self) -> &'static str {
        match self {
            PeerKind::Recorder => "recorder",
            PeerKind::Local => "local",
            PeerKind::Allowed => "allowed",
            PeerKind::Unknown => "unknown",
        }
    }
}

pub struct PeerEdge {
    pub ip: IpAddr,
    pub name: Option<String>,
    pub kind: PeerKind,
    pub bytes: u64,
    /// An alert of this camera named this peer.
    pub alerting: bool,
}

pub struct CameraMap {
    pub ip: IpAddr,
    pub label: String,
    pub edges: Vec<PeerEdge>,
    pub left_out: usize,
}

/// One inventory row, already reduced to text and numbers.
pub struct HostLine {
    pub ip: IpAddr,
    pub role: Role,
    pub mac: String,
    pub vendor: String,
    pub model: String,
    pub firmware: String,
    pub name: String,
    pub evidence: String,
    pub recorder: String,
    pub group: String,
    pub peers: usize,
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub alerts: usize,
}

/// One alert as the report shows it, read from its encoded JSON (ECS or
/// EVE).
pub struct AlertLine {
    pub number: usize,
    pub ts: Option<Timestamp>,
    pub ts_text: String,
    pub camera: String,
    pub category: String,
    pub severity: u64,
    pub rule_id: String,
    pub rule_name: String,
    pub destination: String,
    pub domain: String,
    pub community_id: String,
    pub incident: String,
    pub incident_start: Option<Timestamp>,
    pub json: String,
}

/// An incident on the timeline: its camera's alerts with one incident id.
pub struct Bar {
    pub camera: String,
    pub category: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// The first alert of the incident, whose details the bar links to.
    pub first_alert: usize,
    pub alerts: usize,
}

pub struct Destination {
    pub key: String,
    pub cameras: usize,
    pub bytes: u64,
}

pub struct SiteData {
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub packets: u64,
    pub bytes: u64,
    pub cameras: usize,
    pub recorders: usize,
    pub other_hosts: usize,
    pub hosts: Vec<HostLine>,
    pub hosts_left_out: usize,
    pub alerts: Vec<AlertLine>,
    pub alerts_total: u64,
    pub alerts_left_out: u64,
    /// Alert counts by (category, severity).
    pub by_category: BTreeMap<(String, u64), u64>,
    pub learn_for: u64,
    pub learning: Vec<(IpAddr, Timestamp)>,
    pub bars: Vec<Bar>,
    pub lanes: Vec<String>,
    pub lanes_left_out: usize,
    pub maps: Vec<CameraMap>,
    pub maps_left_out: usize,
    pub destinations: Vec<Destination>,
    pub domains: Vec<Destination>,
}

/// The first of several JSON pointers that holds a value: the ECS field,
/// then its EVE counterpart.
fn field<'a>(value: &'a Value, pointers: &[&str]) -> Option<&'a Value> {
    pointers
        .iter()
        .find_map(|p| value.pointer(p).filter(|v| !v.is_null()))
}

fn text(value: &Value, pointers: &[&str]) -> String {
    match field(value, pointers) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// `2026-01-05T08:01:00.045169Z` or EVE's `...+0000`, read back into
/// packet time; `None` for anything else.
pub fn parse_time(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut nanos = 0i64;
    if b.get(19) == Some(&b'.') {
        let digits: String = text[20..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let padded = format!("{digits:0<9}");
        nanos = padded.get(..9)?.parse().ok()?;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    (secs >= 0).then(|| Timestamp::from_secs_nanos(secs, nanos))
}

fn alert_line(number: usize, value: &Value) -> AlertLine {
    let ts_text = text(value, &["/@timestamp", "/timestamp"]);
    AlertLine {
        number,
        ts: parse_time(&ts_text),
        ts_text,
        camera: text(value, &["/source/ip", "/src_ip"]),
        category: text(value, &["/rule/category", "/alert/category"]),
        severity: field(value, &["/event/severity", "/alert/severity"])
            .and_then(Value::as_u64)
            .unwrap_or(0),
        rule_id: text(value, &["/rule/id", "/alert/metadata/rule_id/0"]),
        rule_name: text(value, &["/rule/name", "/alert/signature"]),
        destination: text(value, &["/destination/ip", "/dest_ip"]),
        domain: text(
            value,
            &[
                "/destination/domain",
                "/camsentry/evidence/destination_name",
            ],
        ),
        community_id: text(value, &["/network/community_id", "/community_id"]),
        incident: text(value, &["/camsentry/incident/id"]),
        incident_start: parse_time(&text(value, &["/camsentry/incident/first_seen"])),
        json: serde_json::to_string_pretty(value).unwrap_or_default(),
    }
}

impl SiteData {
    pub fn gather(
        engine: &Engine,
        summary: &RunSummary,
        kept: &KeptAlerts,
        learn_for: u64,
    ) -> SiteData {
        let policy = engine.policy();
        let inventory = engine.inventory();
        let alerts: Vec<AlertLine> = kept
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| alert_line(i + 1, v))
            .collect();
        let mut by_category = BTreeMap::new();
        let mut per_camera: HashMap<&str, usize> = HashMap::new();
        let mut alerted: BTreeSet<(String, String)> = BTreeSet::new();
        for alert in &alerts {
            *by_category
                .entry((alert.category.clone(), alert.severity))
                .or_insert(0) += 1;
            *per_camera.entry(alert.camera.as_str()).or_insert(0) += 1;
            alerted.insert((alert.camera.clone(), alert.destination.clone()));
        }
        let rows = host_rows(engine);
        let cameras = rows.iter().filter(|r| r.role == Role::Camera).count();
        let recorders = rows.iter().filter(|r| r.role == Role::Recorder).count();
        let line = |row: &HostRow<'_>| {
            let host = row.host;
            let recorder = host
                .peers
                .keys()
                .find(|ip| inventory.is_recorder(policy, **ip))
                .map(ToString::to_string)
                .unwrap_or_default();
            let group = policy
                .group_for(host.ip, host.mac, host.vendor.map(|v| v.name))
                .map(|g| g.name().to_string())
                .unwrap_or_default();
            HostLine {
                ip: host.ip,
                role: row.role,
                mac: row.mac(),
                vendor: row.vendor().to_string(),
                model: row.model().to_string(),
                firmware: row.firmware().to_string(),
                name: host.display_name().unwrap_or("").to_string(),
                evidence: row.evidence.join(" "),
                recorder: if row.role == Role::Camera {
                    recorder
                } else {
                    String::new()
                },
                group,
                peers: host.peers.len(),
                bytes_out: host.bytes_sent,
                bytes_in: host.bytes_received,
                first_seen: host.first_seen,
                last_seen: host.last_seen,
                alerts: per_camera
                    .get(host.ip.to_string().as_str())
                    .copied()
                    .unwrap_or(0),
            }
        };
        let hosts: Vec<HostLine> = rows.iter().take(MAX_ROWS).map(line).collect();

        // Peer maps: cameras with alerts first, then the busiest.
        let mut mapped: Vec<&HostRow<'_>> =
            rows.iter().filter(|r| r.role == Role::Camera).collect();
        mapped.sort_by_key(|r| {
            let alerts = per_camera.get(r.host.ip.to_string().as_str()).copied();
            (
                std::cmp::Reverse(alerts.unwrap_or(0)),
                std::cmp::Reverse(r.host.bytes_sent),
                r.host.ip,
            )
        });
        let maps_left_out = mapped.len().saturating_sub(MAX_MAPS);
        let maps = mapped
            .into_iter()
            .take(MAX_MAPS)
            .map(|row| {
                let host = row.host;
                let group = policy.group_for(host.ip, host.mac, host.vendor.map(|v| v.name));
                let learned = engine.baseline().cameras.get(&host.ip);
                let edges = top_peers(host, MAX_MAP_PEERS)
                    .into_iter()
                    .map(|(ip, peer)| {
                        let name = peer.name.as_deref().map(str::to_string);
                        let allowed_by_group = group.is_some_and(|g| {
                            g.rules().iter().any(|r| match r.target() {
                                Target::Network(cidr) => cidr.contains(*ip),
                                Target::Name(pattern) => {
                                    name.as_deref().is_some_and(|n| pattern.matches(n))
                                }
                            })
                        });
                        let allowed_by_baseline = learned.is_some_and(|b| {
                            b.peers.iter().any(|p| {
                                p.address == Some(*ip)
                                    || (p.name.is_some() && p.name.as_deref() == name.as_deref())
                            })
                        });
                        let kind = if inventory.is_recorder(policy, *ip) {
                            PeerKind::Recorder
                        } else if allowed_by_group || allowed_by_baseline {
                            PeerKind::Allowed
                        } else if policy.is_internal(*ip) || is_local_scope(*ip) {
                            PeerKind::Local
                        } else {
                            PeerKind::Unknown
                        };
                        PeerEdge {
                            ip: *ip,
                            alerting: alerted.contains(&(host.ip.to_string(), ip.to_string())),
                            name,
                            kind,
                            bytes: peer.bytes_sent + peer.bytes_received,
                        }
                    })
                    .collect();
                CameraMap {
                    ip: host.ip,
                    label: match host.vendor {
                        Some(v) => format!("{} ({})", host.ip, v.name),
                        None => host.ip.to_string(),
                    },
                    edges,
                    left_out: host.peers.len().saturating_sub(MAX_MAP_PEERS),
                }
            })
            .collect();

        // Incidents: alerts of one camera sharing an incident id (an alert
        // without one is its own incident).
        let mut bars: Vec<Bar> = Vec::new();
        let mut open: HashMap<(String, String), usize> = HashMap::new();
        for alert in &alerts {
            let Some(ts) = alert.ts else { continue };
            let key = (alert.camera.clone(), alert.incident.clone());
            match open.get(&key) {
                Some(&i) if !alert.incident.is_empty() => {
                    bars[i].end = bars[i].end.max(ts);
                    bars[i].alerts += 1;
                }
                _ => {
                    open.insert(key, bars.len());
                    bars.push(Bar {
                        camera: alert.camera.clone(),
                        category: alert.category.clone(),
                        start: alert.incident_start.unwrap_or(ts).min(ts),
                        end: ts,
                        first_alert: alert.number,
                        alerts: 1,
                    });
                }
            }
        }
        let mut lanes: Vec<String> = Vec::new();
        for bar in &bars {
            if !lanes.contains(&bar.camera) {
                lanes.push(bar.camera.clone());
            }
        }
        lanes.sort_by_key(|l| (l.parse::<IpAddr>().ok(), l.clone()));
        let lanes_left_out = lanes.len().saturating_sub(MAX_LANES);
        lanes.truncate(MAX_LANES);
        bars.retain(|b| lanes.contains(&b.camera));

        let (destinations, domains) = top_destinations(engine);
        let start = rows.iter().map(|r| r.host.first_seen).min();
        let alerts_left_out = kept.left_out + alerts.len().saturating_sub(MAX_ALERTS) as u64;
        let mut alerts = alerts;
        alerts.truncate(MAX_ALERTS);
        SiteData {
            start,
            end: capture_end(engine),
            packets: summary.reader.packets,
            bytes: summary.reader.wire_bytes,
            cameras,
            recorders,
            other_hosts: rows.len() - cameras - recorders,
            hosts_left_out: rows.len().saturating_sub(MAX_ROWS),
            hosts,
            alerts_total: kept.values.len() as u64 + kept.left_out,
            alerts,
            alerts_left_out,
            by_category,
            learn_for,
            learning: still_learning(engine, learn_for),
            bars,
            lanes,
            lanes_left_out,
            maps,
            maps_left_out,
            destinations,
            domains,
        }
    }
}

/// External peers of cameras (outside the site's networks), by how many
/// cameras reached them, then bytes: by address and by DNS/SNI name.
fn top_destinations(engine: &Engine) -> (Vec<Destination>, Vec<Destination>) {
    let policy = engine.policy();
    let mut by_ip: HashMap<IpAddr, (usize, u64)> = HashMap::new();
    let mut by_name: HashMap<&str, (usize, u64)> = HashMap::new();
    for host in engine.inventory().cameras(policy) {
        for (ip, peer) in host.peers.iter() {
            if policy.is_internal(*ip) || is_local_scope(*ip) {
                continue;
            }
            let bytes = peer.bytes_sent + peer.bytes_received;
            let slot = by_ip.entry(*ip).or_default();
            slot.0 += 1;
            slot.1 += bytes;
            if let Some(name) = peer.name.as_deref() {
                let slot = by_name.entry(name).or_default();
                slot.0 += 1;
                slot.1 += bytes;
            }
        }
    }
    fn top(items: Vec<(String, (usize, u64))>) -> Vec<Destination> {
        let mut list: Vec<Destination> = items
            .into_iter()
            .map(|(key, (cameras, bytes))| Destination {
                key,
                cameras,
                bytes,
            })
            .collect();
        list.sort_by(|a, b| {
            (b.cameras, b.bytes)
                .cmp(&(a.cameras, a.bytes))
                .then_with(|| a.key.cmp(&b.key))
        });
        list.truncate(MAX_TOP);
        list
    }
    (
        top(by_ip.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
        top(by_name
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ecs_and_eve_times() {
        let ecs = parse_time("2026-01-05T08:01:00.045169Z").unwrap();
        assert_eq!(
            ecs.rfc3339_micros().to_string(),
            "2026-01-05T08:01:00.045169Z"
        );
        let eve = parse_time("2026-01-05T08:01:00.045169+0000").unwrap();
        assert_eq!(ecs, eve);
        assert!(parse_time("yesterday").is_none());
    }
}
