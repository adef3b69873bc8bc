//! Human and JSON reports built from a finished detection engine: the
//! detection part of the run summary, and the camera inventory.

use crate::camera::Role;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::alert::{Category, ecs_mac};
use crate::detect::{Engine, category_index};

const CATEGORIES: [Category; 3] = [Category::Egress, Category::Scan, Category::Exfil];

/// Alerts per detector and the packet-time delay between the evidence that
/// crossed a threshold and the alert.
pub fn detection_text(engine: &Engine) -> String {
    let stats = &engine.stats;
    let mut out = String::new();
    let cameras = engine.inventory().cameras(engine.policy()).len();
    let _ = writeln!(out, "  detection: {cameras} camera(s) identified");
    let untracked = engine.inventory().untracked();
    if untracked > 0 {
        let _ = writeln!(
            out,
            "    inventory full: {untracked} sightings of non-camera hosts not tracked"
        );
    }
    for category in CATEGORIES {
        let index = category_index(category);
        let histogram = &stats.delay_us[index];
        let _ = writeln!(
            out,
            "    {:<7} {:>6} alert(s); delay evidence->alert (s): p50 {:.3}  max {:.3}",
            category.as_str(),
            stats.alerts[index],
            if stats.alerts[index] > 0 {
                histogram.value_at_quantile(0.5) as f64 / 1e6
            } else {
                0.0
            },
            if stats.alerts[index] > 0 {
                histogram.max() as f64 / 1e6
            } else {
                0.0
            },
        );
    }
    suppression_text(engine, &mut out);
    out
}

/// What the policy's `[[suppress]]` entries and group `disable` lists
/// dropped, entry by entry; nothing when the policy has neither.
fn suppression_text(engine: &Engine, out: &mut String) {
    let stats = &engine.stats;
    if stats.suppressed.is_empty() && stats.disabled.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  suppression: {} match(es) dropped by policy (no alert, no incident)",
        stats.policy_dropped()
    );
    for count in &stats.suppressed {
        let entry = &count.entry;
        let mut details = vec![entry.label()];
        if let Some(date) = entry.expires() {
            details.push(format!("expires {date}"));
        }
        if let Some(reason) = entry.reason() {
            details.push(format!("reason {reason:?}"));
        }
        if !count.in_policy {
            details.push("removed by a reload".to_string());
        }
        let _ = writeln!(
            out,
            "    [[suppress]] entry {} ({}): {}",
            count.number,
            details.join("; "),
            count.matches
        );
    }
    for count in &stats.disabled {
        let _ = writeln!(
            out,
            "    group {:?} disable {}: {}",
            count.group, count.rule, count.matches
        );
    }
}

/// `{"matches", "entries": [...], "disabled": [...]}`: what the policy
/// dropped, always present so the shape does not depend on the policy.
fn suppression_json(engine: &Engine) -> Value {
    let stats = &engine.stats;
    let entries: Vec<Value> = stats
        .suppressed
        .iter()
        .map(|count| {
            let entry = &count.entry;
            json!({
                "entry": count.number,
                "label": entry.label(),
                "rule": entry.rule().map(ToString::to_string),
                "camera": entry.camera().map(ToString::to_string),
                "destination": entry.destination().map(ToString::to_string),
                "reason": entry.reason(),
                "expires": entry.expires().map(|d| d.to_string()),
                "in_policy": count.in_policy,
                "matches": count.matches,
            })
        })
        .collect();
    let disabled: Vec<Value> = stats
        .disabled
        .iter()
        .map(|count| {
            json!({
                "group": count.group,
                "rule": count.rule.to_string(),
                "matches": count.matches,
            })
        })
        .collect();
    json!({
        "matches": stats.policy_dropped(),
        "entries": entries,
        "disabled": disabled,
    })
}

pub fn detection_json(engine: &Engine) -> Value {
    let stats = &engine.stats;
    let mut detectors = serde_json::Map::new();
    for category in CATEGORIES {
        let index = category_index(category);
        let histogram = &stats.delay_us[index];
        let seconds = |q: f64| {
            if stats.alerts[index] == 0 {
                0.0
            } else {
                histogram.value_at_quantile(q) as f64 / 1e6
            }
        };
        detectors.insert(
            category.as_str().into(),
            json!({
                "alerts": stats.alerts[index],
                "delay_seconds": { "p50": seconds(0.5), "p90": seconds(0.9), "max": seconds(1.0) },
            }),
        );
    }
    json!({
        "cameras": engine.inventory().cameras(engine.policy()).len(),
        "detectors": detectors,
        "suppression": suppression_json(engine),
    })
}

/// The cameras as JSON: `{"cameras": [...]}` in address order.
pub fn inventory_json(engine: &Engine) -> Value {
    let cameras: Vec<Value> = engine
        .inventory()
        .cameras(engine.policy())
        .into_iter()
        .map(|host| {
            let peers: Vec<Value> = host
                .peers
                .iter()
                .map(|(ip, peer)| {
                    json!({
                        "ip": ip.to_string(),
                        "name": peer.name.as_deref(),
                        "flows": peer.flows,
                        "bytes_sent": peer.bytes_sent,
                        "bytes_received": peer.bytes_received,
                    })
                })
                .collect();
            json!({
                "ip": host.ip.to_string(),
                "mac": host.mac.map(ecs_mac),
                "vendor": host.vendor.map(|v| v.name),
                "identified_by": host.identified_by(),
                "name": host.display_name(),
                "rtsp_server": host.rtsp_banner.as_deref(),
                "onvif_hardware": host.onvif_hardware.as_deref(),
                "first_seen": host.first_seen.rfc3339_micros().to_string(),
                "last_seen": host.last_seen.rfc3339_micros().to_string(),
                "bytes_sent": host.bytes_sent,
                "bytes_received": host.bytes_received,
                "peers": peers,
            })
        })
        .collect();
    let policy = engine.policy();
    let roles: Vec<Value> = engine
        .inventory()
        .known_hosts(policy)
        .into_iter()
        .filter(|(role, _)| *role != Role::Camera)
        .map(|(role, host)| {
            json!({
                "ip": host.ip.to_string(),
                "role": role.name(),
                "mac": host.mac.map(ecs_mac),
                "vendor": host.vendor.map(|v| v.name),
                "evidence": host.role_evidence(policy),
                "first_seen": host.first_seen.rfc3339_micros().to_string(),
                "last_seen": host.last_seen.rfc3339_micros().to_string(),
                "bytes_sent": host.bytes_sent,
                "bytes_received": host.bytes_received,
            })
        })
        .collect();
    json!({ "cameras": cameras, "hosts": roles })
}

/// The cameras as an aligned text table.
pub fn inventory_table(engine: &Engine) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:<18} {:<12} {:<16} {:>5} {:>12} {:>12}  top peers",
        "ADDRESS", "MAC", "VENDOR", "IDENTIFIED BY", "PEERS", "BYTES OUT", "BYTES IN"
    );
    for host in engine.inventory().cameras(engine.policy()) {
        let mut peers: Vec<_> = host.peers.iter().collect();
        peers.sort_by_key(|(ip, p)| (std::cmp::Reverse(p.bytes_sent + p.bytes_received), **ip));
        let top: Vec<String> = peers
            .iter()
            .take(3)
            .map(|(ip, p)| match &p.name {
                Some(name) => format!("{ip} ({name})"),
                None => ip.to_string(),
            })
            .collect();
        let _ = writeln!(
            out,
            "{:<16} {:<18} {:<12} {:<16} {:>5} {:>12} {:>12}  {}",
            host.ip.to_string(),
            host.mac.map(ecs_mac).unwrap_or_else(|| "-".into()),
            host.vendor.map(|v| v.name).unwrap_or("-"),
            host.identified_by().join(","),
            host.peers.len(),
            host.bytes_sent,
            host.bytes_received,
            top.join(", ")
        );
    }
    let policy = engine.policy();
    let others: Vec<_> = engine
        .inventory()
        .known_hosts(policy)
        .into_iter()
        .filter(|(role, _)| *role != Role::Camera)
        .collect();
    if !others.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<16} {:<10} {:<18} {:<12} evidence",
            "ADDRESS", "ROLE", "MAC", "VENDOR"
        );
        for (role, host) in others {
            let _ = writeln!(
                out,
                "{:<16} {:<10} {:<18} {:<12} {}",
                host.ip.to_string(),
                role.name(),
                host.mac.map(ecs_mac).unwrap_or_else(|| "-".into()),
                host.vendor.map(|v| v.name).unwrap_or("-"),
                host.role_evidence(policy).join(",")
            );
        }
    }
    out
}
