//! The sensor's own health as an alert: the inventory overflowed.
//!
//! The inventory refuses new hosts (and new cameras) once its hard bounds
//! are reached (see `camera::inventory`): that keeps the collector's
//! memory bounded under an identity flood (one spoofed camera-maker MAC, a
//! routed subnet, a `10.0.0.0/8` camera group), but it also means hosts
//! are not watched. An analyst must see that, in the SIEM, not in a
//! counter: the first refusal raises `CAMSENTRY-SENSOR-1` with the refusal
//! rate and the capacities in evidence; while refusals continue it is
//! raised again at most once per [`REALERT`] of packet time, with the
//! refusals since the previous line.
//!
//! It has a category of its own (`sensor`) rather than one of the camera
//! categories: it is about what the sensor can no longer see, not about
//! anything a camera did, and a SIEM rule for camera incidents should not
//! fire on it (nor should a group's `disable` of a camera rule hide it).
//! The alert's source is the latest refused address and MAC: the flood's.
//!
//! State: two counters and two timestamps, whatever the flood.

use serde_json::json;

use super::{Context, Detector};
use crate::alert::{Alert, CameraInfo, Category, Rule};
use crate::camera::inventory::{EVIDENCE_RESERVE, MAX_CAMERAS, MAX_HOSTS, MAX_HOSTS_WITH_EVIDENCE};
use crate::observation::Observation;
use crate::timestamp::{NANOS_PER_SEC, Nanos, Timestamp};

pub const RULE_OVERFLOW: Rule = Rule {
    id: "CAMSENTRY-SENSOR-1",
    signature_id: 9_100_901,
    name: "Inventory overflow: new hosts are refused and not watched",
    category: Category::Sensor,
    action: "inventory-overflow",
    severity: 2,
};

/// Least packet time between two overflow lines while refusals continue.
pub const REALERT: Nanos = 3600 * NANOS_PER_SEC;

#[derive(Debug, Default)]
pub struct Sensor {
    /// Refusals counted at the previous line (or 0).
    reported: u64,
    /// Packet time of the previous line.
    last_line: Option<Timestamp>,
    /// Packet time of the first refusal after the previous line: the rate's
    /// start.
    since: Option<Timestamp>,
}

impl Sensor {
    fn line(&self, context: &Context<'_>, now: Timestamp) -> Option<Alert> {
        let overflow = context.inventory.overflow();
        let (last_ts, source, mac) = overflow.last?;
        let refused = overflow.total() - self.reported;
        let since = self.since.unwrap_or(last_ts);
        // Over at least one second, so a burst is not reported as an
        // absurd rate.
        let seconds = (now.since(since) as f64 / NANOS_PER_SEC as f64).max(1.0);
        let mut alert = Alert {
            ts: now,
            evidence_ts: since,
            rule: RULE_OVERFLOW,
            source_ip: source,
            source_port: None,
            source_mac: mac,
            destination_ip: None,
            destination_port: None,
            destination_domain: None,
            transport: None,
            community_id: None,
            vlan: None,
            interface: None,
            camera: CameraInfo::default(),
            evidence: serde_json::Map::new(),
            incident: None,
            flow: None,
        };
        let evidence = json!({
            "refused": refused,
            "refused_per_second": (refused as f64 / seconds * 10.0).round() / 10.0,
            "refused_total": overflow.total(),
            "refused_hosts": overflow.hosts,
            "refused_cameras": overflow.cameras,
            "hosts": context.inventory.len(),
            "capacity_hosts": MAX_HOSTS_WITH_EVIDENCE,
            "capacity_plain_hosts": MAX_HOSTS,
            "reserved_for_evidence": EVIDENCE_RESERVE,
            "camera_places": context.inventory.camera_places(),
            "capacity_cameras": MAX_CAMERAS,
        });
        if let serde_json::Value::Object(map) = evidence {
            alert.evidence = map;
        }
        Some(alert)
    }
}

impl Detector for Sensor {
    fn category(&self) -> Category {
        Category::Sensor
    }

    fn observe(
        &mut self,
        context: &Context<'_>,
        observation: &Observation,
        alerts: &mut Vec<Alert>,
    ) {
        // Two loads and a compare per observation: nothing else is done
        // until the inventory refuses something.
        let total = context.inventory.overflow().total();
        if total == self.reported {
            return;
        }
        let now = observation.ts();
        if self.since.is_none() {
            self.since = context.inventory.overflow().last.map(|(ts, _, _)| ts);
        }
        let due = self.last_line.is_none_or(|last| now.since(last) >= REALERT);
        if !due {
            return;
        }
        if let Some(alert) = self.line(context, now) {
            alerts.push(alert);
            self.reported = total;
            self.last_line = Some(now);
            self.since = None;
        }
    }
}
