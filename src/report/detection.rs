//! The detection part of the run summary: alerts and delays per detector,
//! what the policy suppressed, as text and as JSON (`--stats-json`).

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::alert::Category;
use crate::detect::{Engine, category_index};

const CATEGORIES: [Category; Category::ALL.len()] = Category::ALL;

/// Alerts per detector and the packet-time delay between the evidence that
/// crossed a threshold and the alert.
pub fn detection_text(engine: &Engine) -> String {
    let stats = &engine.stats;
    let mut out = String::new();
    let cameras = engine.inventory().camera_count(engine.policy());
    let _ = writeln!(out, "  detection: {cameras} camera(s) identified");
    let untracked = engine.inventory().untracked();
    if untracked > 0 {
        let _ = writeln!(
            out,
            "    inventory full: {untracked} sightings of non-camera hosts not tracked"
        );
    }
    let refused_cameras = engine.inventory().overflow().cameras;
    if refused_cameras > 0 {
        let _ = writeln!(
            out,
            "    camera table full: camera evidence refused {refused_cameras} time(s)"
        );
    }
    for category in CATEGORIES {
        let index = category_index(category);
        let histogram = &stats.delay_us[index];
        let _ = writeln!(
            out,
            "    {:<8} {:>5} alert(s); delay evidence->alert (s): p50 {:.3}  max {:.3}",
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
    if stats.events > 0 {
        let _ = writeln!(
            out,
            "    events  {:>6} (stream interruptions and resumptions, firmware changes; not alerts)",
            stats.events
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
        "cameras": engine.inventory().camera_count(engine.policy()),
        "detectors": detectors,
        "events": stats.events,
        // Observations of flows and names no detector could care about
        // (neither end a camera or recorder, nor possibly one).
        "not_watched": {
            "in_workers": stats.held_back,
            "in_engine": stats.skipped,
        },
        "suppression": suppression_json(engine),
        "bounds": bounds_json(engine),
    })
}

/// The per-host structures' fill and what their bounds refused.
fn bounds_json(engine: &Engine) -> Value {
    use crate::camera::inventory::{MAX_CAMERAS, MAX_HOSTS_WITH_EVIDENCE};
    let inventory = engine.inventory();
    let overflow = inventory.overflow();
    let (macs, macs_untracked) = inventory.mac_table();
    json!({
        "hosts": inventory.len(),
        "max_hosts": MAX_HOSTS_WITH_EVIDENCE,
        "camera_places": inventory.camera_places(),
        "max_cameras": MAX_CAMERAS,
        "refused_hosts": overflow.hosts,
        "refused_cameras": overflow.cameras,
        "macs": macs,
        "max_macs": crate::camera::macs::MAX_MACS,
        "macs_untracked": macs_untracked,
        "name_table_restarts": engine.names().restarts(),
        "incidents_open": engine.incidents.len(),
        "incidents_evicted": engine.incidents.counters.evicted,
    })
}
