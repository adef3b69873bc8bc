//! The HTML incident report (`camsentry report`, `replay --report`): one
//! self-contained file an analyst opens offline or attaches to a ticket.
//!
//! - [`data`]: what the page shows, gathered from the finished engine and
//!   the kept alerts, bounded for huge captures;
//! - [`svg`]: the timeline and peer maps, drawn as inline SVG;
//! - this file: the page itself, its styles and its few lines of script
//!   (sorting and filtering the inventory, opening an alert from the
//!   timeline).
//!
//! The capture is hostile input: every name, banner and alert field that
//! came from the wire goes through [`escape`], and the page carries a
//! Content-Security-Policy that forbids loading anything, so even a
//! rendering mistake cannot make the report fetch or run foreign code.

pub mod data;
pub mod svg;

use std::fmt::Write as _;

pub use data::SiteData;

use crate::camera::Role;

/// No remote loads of any kind; inline styles and script only, images
/// only as data: URLs.
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/// Text made safe for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,sans-serif;margin:0 2em 3em;color:#222}
h1{margin:.6em 0 .2em}h2{border-bottom:2px solid #34495e;margin-top:1.6em}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top;white-space:nowrap}
th{background:#ecf0f1;cursor:pointer;position:sticky;top:0}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.summary td:first-child{font-weight:bold}
.note{color:#666;font-style:italic}
.tick{font-size:10px;fill:#666}.lane{font-size:12px}
.peermap text{font-size:10px}
.maps{display:flex;flex-wrap:wrap;gap:8px}
.map{border:1px solid #ddd;padding:4px}
details{border-bottom:1px solid #eee;padding:2px 0}
details[open]{background:#fcf8e3}
pre{white-space:pre-wrap;font-size:12px;margin:4px 0 4px 1.5em}
.sev{display:inline-block;min-width:1.5em;text-align:center;color:#fff;border-radius:3px}
.legend span{margin-right:1.2em}
"#;

/// Sorting on header click, filtering as one types, and opening the alert
/// a timeline bar points at. Plain DOM calls, fast enough for thousands of
/// rows.
const SCRIPT: &str = r#"
(function(){
var table=document.getElementById('inventory');
var body=table.tBodies[0];
document.getElementById('filter').addEventListener('input',function(e){
  var q=e.target.value.toLowerCase();
  var rows=body.rows;
  for(var i=0;i<rows.length;i++){
    rows[i].style.display=rows[i].textContent.toLowerCase().indexOf(q)<0?'none':'';
  }
});
var heads=table.tHead.rows[0].cells;
for(var c=0;c<heads.length;c++){(function(col){
  heads[col].addEventListener('click',function(){
    var asc=heads[col].getAttribute('data-dir')!=='asc';
    heads[col].setAttribute('data-dir',asc?'asc':'desc');
    var rows=Array.prototype.slice.call(body.rows);
    var key=function(r){var cell=r.cells[col];var v=cell.getAttribute('data-v');
      return v!==null?parseFloat(v):cell.textContent.toLowerCase();};
    rows.sort(function(a,b){var x=key(a),y=key(b);return (x<y?-1:x>y?1:0)*(asc?1:-1);});
    rows.forEach(function(r){body.appendChild(r);});
  });
})(c);}
function openHash(){
  var id=location.hash.slice(1);var el=id&&document.getElementById(id);
  if(el&&el.tagName==='DETAILS'){el.open=true;el.scrollIntoView();}
}
window.addEventListener('hashchange',openHash);openHash();
})();
"#;

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn left_out(out: &mut String, count: u64, what: &str) {
    if count > 0 {
        let _ = write!(
            out,
            r#"<p class="note">{count} {what} left out to keep the report small.</p>"#
        );
    }
}

/// The whole page.
pub fn render(site: &SiteData) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="referrer" content="no-referrer">
<title>camsentry report</title><style>{STYLE}</style></head><body>
<h1>camsentry incident report</h1>
"#
    );
    summary(&mut out, site);
    inventory(&mut out, site);
    alerts(&mut out, site);
    peer_maps(&mut out, site);
    destinations(&mut out, site);
    let _ = writeln!(out, "<script>{SCRIPT}</script></body></html>");
    out
}

fn summary(out: &mut String, site: &SiteData) {
    let span = match (site.start, site.end) {
        (Some(a), Some(b)) => format!(
            "{} to {} ({:.0} min)",
            a.rfc3339_micros(),
            b.rfc3339_micros(),
            b.since(a) as f64 / 60e9
        ),
        _ => "no hosts seen".to_string(),
    };
    let _ = write!(
        out,
        r#"<h2 id="summary">Site summary</h2><table class="summary">
<tr><td>Capture span</td><td>{span}</td></tr>
<tr><td>Packets</td><td>{} ({})</td></tr>
<tr><td>Cameras</td><td id="count-cameras">{}</td></tr>
<tr><td>Recorders</td><td>{}</td></tr>
<tr><td>Other hosts with a role</td><td>{}</td></tr>
<tr><td>Alerts</td><td id="count-alerts">{}</td></tr>
</table>"#,
        site.packets,
        human_bytes(site.bytes),
        site.cameras,
        site.recorders,
        site.other_hosts,
        site.alerts_total
    );
    if !site.by_category.is_empty() {
        out.push_str("<h3>Alerts by category and severity</h3><table><tr><th>category</th><th>severity</th><th>alerts</th></tr>");
        for ((category, severity), count) in &site.by_category {
            let _ = write!(
                out,
                r#"<tr><td><span class="sev" style="background:{}">&#9632;</span> {}</td><td class="n">{severity}</td><td class="n">{count}</td></tr>"#,
                svg::category_colour(category),
                escape(category)
            );
        }
        out.push_str("</table>");
    }
    out.push_str(r#"<h3>Learning</h3><div id="learning">"#);
    if site.learn_for == 0 {
        out.push_str("<p>No learning period: every camera is checked against the policy and baseline from its first packet.</p>");
    } else if site.learning.is_empty() {
        let _ = write!(
            out,
            "<p>Every camera has finished its {} s learning period.</p>",
            site.learn_for / 1_000_000_000
        );
    } else {
        let _ = write!(
            out,
            "<p>{} camera(s) still learning their normal peers ({} s from each camera's first packet); their new peers are learned, not alerted on:</p><ul>",
            site.learning.len(),
            site.learn_for / 1_000_000_000
        );
        for (ip, until) in site.learning.iter().take(50) {
            let _ = write!(out, "<li>{ip} until {}</li>", until.rfc3339_micros());
        }
        out.push_str("</ul>");
        left_out(
            out,
            site.learning.len().saturating_sub(50) as u64,
            "learning cameras",
        );
    }
    out.push_str("</div>");
}

fn inventory(out: &mut String, site: &SiteData) {
    out.push_str(r#"<h2 id="inventory-section">Camera inventory</h2>
<p><input id="filter" type="search" placeholder="filter rows" size="40"> <span class="note">click a column header to sort</span></p>
<table id="inventory"><thead><tr><th>address</th><th>role</th><th>MAC</th><th>vendor</th><th>model</th><th>firmware</th><th>name</th><th>identified by</th><th>recorder</th><th>group</th><th>peers</th><th>bytes out</th><th>bytes in</th><th>first seen</th><th>last seen</th><th>alerts</th></tr></thead><tbody>"#);
    for host in &site.hosts {
        let ip_key = match host.ip {
            std::net::IpAddr::V4(v4) => u32::from(v4) as f64,
            std::net::IpAddr::V6(_) => f64::MAX,
        };
        let _ = write!(
            out,
            r#"<tr class="host {role}" data-ip="{ip}"><td data-v="{ip_key}">{ip}</td><td>{role}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="n" data-v="{peers}">{peers}</td><td class="n" data-v="{out_b}">{}</td><td class="n" data-v="{in_b}">{}</td><td>{}</td><td>{}</td><td class="n" data-v="{alerts}">{alerts}</td></tr>"#,
            escape(&host.mac),
            escape(&host.vendor),
            escape(&host.model),
            escape(&host.firmware),
            escape(&host.name),
            escape(&host.evidence),
            escape(&host.recorder),
            escape(&host.group),
            human_bytes(host.bytes_out),
            human_bytes(host.bytes_in),
            host.first_seen.rfc3339_micros(),
            host.last_seen.rfc3339_micros(),
            ip = host.ip,
            role = if host.role == Role::Camera {
                "camera"
            } else {
                host.role.name()
            },
            peers = host.peers,
            out_b = host.bytes_out,
            in_b = host.bytes_in,
            alerts = host.alerts,
        );
    }
    out.push_str("</tbody></table>");
    left_out(out, site.hosts_left_out as u64, "hosts");
}

fn alerts(out: &mut String, site: &SiteData) {
    out.push_str(r#"<h2 id="timeline">Alert timeline</h2>"#);
    if site.alerts.is_empty() {
        out.push_str(r#"<p id="no-alerts">No alerts.</p>"#);
        return;
    }
    out.push_str(r#"<p class="legend">"#);
    for category in crate::alert::Category::ALL.map(|c| c.as_str()) {
        let _ = write!(
            out,
            r#"<span><span class="sev" style="background:{}">&#9632;</span> {category}</span>"#,
            svg::category_colour(category)
        );
    }
    out.push_str("click a bar for its alert</p>");
    out.push_str(&svg::timeline(site));
    left_out(out, site.lanes_left_out as u64, "cameras' lanes");
    out.push_str(r#"<h3>Alerts</h3><div id="alerts">"#);
    for alert in &site.alerts {
        let _ = write!(
            out,
            r#"<details class="alert" id="alert-{n}" data-camera="{cam}" data-category="{cat}"><summary><span class="sev" style="background:{colour}">{sev}</span> {ts} <b>{cam}</b> {cat}: {name}{dest}</summary><table>
<tr><td>rule</td><td>{rule}</td></tr><tr><td>destination</td><td>{dip}{domain}</td></tr>
<tr><td>Community ID</td><td class="community-id">{cid}</td></tr><tr><td>incident</td><td>{incident}</td></tr></table>
<pre>{json}</pre></details>"#,
            n = alert.number,
            cam = escape(&alert.camera),
            cat = escape(&alert.category),
            colour = svg::category_colour(&alert.category),
            sev = alert.severity,
            ts = escape(&alert.ts_text),
            name = escape(&alert.rule_name),
            dest = if alert.destination.is_empty() {
                String::new()
            } else {
                format!(" → {}", escape(&alert.destination))
            },
            rule = escape(&alert.rule_id),
            dip = escape(&alert.destination),
            domain = if alert.domain.is_empty() {
                String::new()
            } else {
                format!(" ({})", escape(&alert.domain))
            },
            cid = escape(&alert.community_id),
            incident = escape(&alert.incident),
            json = escape(&alert.json),
        );
    }
    out.push_str("</div>");
    left_out(out, site.alerts_left_out, "alerts");
}

fn peer_maps(out: &mut String, site: &SiteData) {
    out.push_str(r#"<h2 id="peers">Peer maps</h2><p class="legend"><span style="color:#2e86de">&#9679; recorder</span><span style="color:#27ae60">&#9679; allowed / learned</span><span style="color:#e67e22">&#9679; unknown external</span><span style="color:#7f8c8d">&#9679; local</span><span style="color:#c0392b">- - alerting edge</span> edge width: bytes (log scale)</p><div class="maps">"#);
    for map in &site.maps {
        let _ = write!(
            out,
            r#"<div class="map" id="map-{ip}" data-camera="{ip}">{}"#,
            svg::peer_map(map),
            ip = escape(&map.ip.to_string())
        );
        if map.left_out > 0 {
            let _ = write!(
                out,
                r#"<div class="note">{} smaller peer(s) not drawn</div>"#,
                map.left_out
            );
        }
        out.push_str("</div>");
    }
    out.push_str("</div>");
    left_out(out, site.maps_left_out as u64, "cameras' peer maps");
}

fn destinations(out: &mut String, site: &SiteData) {
    for (id, title, list) in [
        (
            "top-destinations",
            "Top external destinations",
            &site.destinations,
        ),
        (
            "top-domains",
            "Top external domains (DNS/SNI)",
            &site.domains,
        ),
    ] {
        let _ = write!(
            out,
            r#"<h2>{title}</h2><table id="{id}"><tr><th>destination</th><th>cameras</th><th>bytes</th></tr>"#
        );
        for d in list {
            let _ = write!(
                out,
                r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
                escape(&d.key),
                d.cameras,
                human_bytes(d.bytes)
            );
        }
        out.push_str("</table>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_markup_inert() {
        assert_eq!(
            escape(r#"<script>alert("x")</script>&'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"
        );
    }

    #[test]
    fn human_bytes_uses_si_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(12_300_000), "12.3 MB");
    }
}
