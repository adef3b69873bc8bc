//! The report's charts as inline SVG, drawn here so that the page needs no
//! chart library: the alert timeline (one lane per camera, incidents as
//! bars linking to their alerts) and the per-camera peer maps.

use std::fmt::Write as _;

use super::data::{CameraMap, PeerKind, SiteData};
use super::escape;

const LANE_H: u32 = 22;
const LABEL_W: u32 = 150;
const PLOT_W: u32 = 900;

/// Colour of an alert category.
pub fn category_colour(category: &str) -> &'static str {
    match category {
        "egress" => "#d9534f",
        "scan" => "#f0ad4e",
        "exfil" => "#8e44ad",
        "exposure" => "#c0392b",
        "tamper" => "#2c7fb8",
        "sensor" => "#555",
        _ => "#777",
    }
}

/// The alert timeline: capture time left to right, one lane per camera
/// with incidents; each bar spans an incident and links to its first
/// alert's details.
pub fn timeline(site: &SiteData) -> String {
    let mut out = String::new();
    let (Some(start), Some(end)) = (
        site.bars.iter().map(|b| b.start).chain(site.start).min(),
        site.bars.iter().map(|b| b.end).chain(site.end).max(),
    ) else {
        return out;
    };
    if site.lanes.is_empty() {
        return out;
    }
    let span = end.since(start).max(1) as f64;
    let x = |ts: crate::timestamp::Timestamp| {
        LABEL_W as f64 + ts.since(start) as f64 / span * PLOT_W as f64
    };
    let height = site.lanes.len() as u32 * LANE_H + 30;
    let _ = write!(
        out,
        r#"<svg id="timeline-svg" class="timeline" viewBox="0 0 {w} {height}" width="{w}" height="{height}" role="img" aria-label="alert timeline">"#,
        w = LABEL_W + PLOT_W + 10
    );
    // Hour (or tenth-of-span) grid lines with their times.
    for i in 0..=10 {
        let ts = start.plus((span * i as f64 / 10.0) as u64);
        let px = x(ts);
        let time = ts.rfc3339_micros().to_string();
        let _ = write!(
            out,
            r##"<line x1="{px:.1}" y1="0" x2="{px:.1}" y2="{y}" stroke="#ddd"/><text x="{px:.1}" y="{ty}" class="tick">{}</text>"##,
            escape(time.get(11..16).unwrap_or("")),
            y = height - 18,
            ty = height - 5
        );
    }
    for (i, lane) in site.lanes.iter().enumerate() {
        let y = i as u32 * LANE_H;
        let _ = write!(
            out,
            r#"<text x="4" y="{}" class="lane">{}</text>"#,
            y + 15,
            escape(lane)
        );
        for bar in site.bars.iter().filter(|b| &b.camera == lane) {
            let x0 = x(bar.start);
            let width = (x(bar.end) - x0).max(4.0);
            let _ = write!(
                out,
                r##"<a href="#alert-{n}" class="bar" data-camera="{cam}" data-category="{cat}"><rect x="{x0:.1}" y="{}" width="{width:.1}" height="{}" fill="{}"><title>{cat} incident of {cam}: {count} alert(s) from {from}</title></rect></a>"##,
                y + 3,
                LANE_H - 6,
                category_colour(&bar.category),
                n = bar.first_alert,
                cam = escape(&bar.camera),
                cat = escape(&bar.category),
                count = bar.alerts,
                from = bar.start.rfc3339_micros(),
            );
        }
    }
    out.push_str("</svg>");
    out
}

fn kind_colour(kind: PeerKind) -> &'static str {
    match kind {
        PeerKind::Recorder => "#2e86de",
        PeerKind::Local => "#7f8c8d",
        PeerKind::Allowed => "#27ae60",
        PeerKind::Unknown => "#e67e22",
    }
}

/// One camera's peer map: the camera in the middle, its top peers around
/// it, edge width by bytes (log scale), alerting edges red and dashed.
pub fn peer_map(map: &CameraMap) -> String {
    const W: f64 = 420.0;
    const H: f64 = 300.0;
    let (cx, cy) = (W / 2.0, H / 2.0);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="peermap" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="peers of {}">"#,
        escape(&map.ip.to_string())
    );
    let max = map.edges.iter().map(|e| e.bytes).max().unwrap_or(1).max(1) as f64;
    let count = map.edges.len().max(1) as f64;
    let mut nodes = String::new();
    for (i, edge) in map.edges.iter().enumerate() {
        let angle = std::f64::consts::TAU * i as f64 / count - std::f64::consts::FRAC_PI_2;
        let (px, py) = (cx + 150.0 * angle.cos(), cy + 110.0 * angle.sin());
        let width = 1.0 + 7.0 * ((edge.bytes as f64 + 1.0).ln() / (max + 1.0).ln());
        let (stroke, dash) = if edge.alerting {
            ("#c0392b", r#" stroke-dasharray="6 3""#)
        } else {
            ("#95a5a6", "")
        };
        let _ = write!(
            out,
            r#"<line class="edge{}" x1="{cx}" y1="{cy}" x2="{px:.1}" y2="{py:.1}" stroke="{stroke}" stroke-width="{width:.1}"{dash}><title>{} bytes</title></line>"#,
            if edge.alerting { " alerting" } else { "" },
            edge.bytes
        );
        let label = edge.name.clone().unwrap_or_else(|| edge.ip.to_string());
        let short: String = label.chars().take(28).collect();
        let _ = write!(
            nodes,
            r#"<g class="node peer {kind}" data-ip="{ip}"><circle cx="{px:.1}" cy="{py:.1}" r="7" fill="{fill}"/><text x="{px:.1}" y="{ty:.1}" text-anchor="middle">{short}</text><title>{ip} {label} ({kind}{alert})</title></g>"#,
            kind = edge.kind.name(),
            ip = escape(&edge.ip.to_string()),
            fill = kind_colour(edge.kind),
            ty = py + 18.0,
            short = escape(&short),
            label = escape(&label),
            alert = if edge.alerting { ", alerting" } else { "" },
        );
    }
    out.push_str(&nodes);
    let _ = write!(
        out,
        r##"<g class="node camera"><circle cx="{cx}" cy="{cy}" r="11" fill="#34495e"/><text x="{cx}" y="{}" text-anchor="middle" font-weight="bold">{}</text></g></svg>"##,
        cy + 26.0,
        escape(&map.label)
    );
    out
}
