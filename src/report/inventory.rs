//! The camera inventory as a command's output: an aligned table, JSON (the
//! stable machine form, MACs in ECS dash form) or CSV (one row per host,
//! for spreadsheets and asset databases, MACs in colon form).

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::alert::ecs_mac;
use crate::camera::{Host, Role};
use crate::cli::InventoryFormat;
use crate::detect::Engine;

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

/// `inventory` in the format asked for.
pub fn inventory_text(engine: &Engine, format: InventoryFormat) -> serde_json::Result<String> {
    Ok(match format {
        InventoryFormat::Json => serde_json::to_string_pretty(&inventory_json(engine))? + "\n",
        InventoryFormat::Table => inventory_table(engine),
        InventoryFormat::Csv => inventory_csv(engine),
    })
}

/// A MAC address as people write it: `44:19:b6:3c:4d:12`.
pub fn colon_mac(mac: [u8; 6]) -> String {
    let parts: Vec<String> = mac.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
}

/// One host of the inventory, in the columns the table, the CSV and the
/// HTML report share.
pub struct HostRow<'a> {
    pub host: &'a Host,
    pub role: Role,
    /// Camera evidence for cameras, role evidence for the others.
    pub evidence: Vec<&'static str>,
}

impl HostRow<'_> {
    pub fn mac(&self) -> String {
        self.host.mac.map(colon_mac).unwrap_or_default()
    }

    pub fn vendor(&self) -> &str {
        self.host.vendor.map_or("", |v| v.name)
    }

    /// The model the device reported (ONVIF device information), else
    /// the hardware its WS-Discovery announcement names.
    pub fn model(&self) -> &str {
        self.host
            .device
            .model
            .as_deref()
            .or(self.host.onvif_hardware.as_deref())
            .unwrap_or("")
    }

    /// The firmware version the device last reported (ONVIF device
    /// information).
    pub fn firmware(&self) -> &str {
        self.host.device.firmware.as_deref().unwrap_or("")
    }
}

/// Cameras in address order, then the other hosts with a role by role and
/// address.
pub fn host_rows(engine: &Engine) -> Vec<HostRow<'_>> {
    let policy = engine.policy();
    let mut rows: Vec<HostRow<'_>> = engine
        .inventory()
        .cameras(policy)
        .into_iter()
        .map(|host| HostRow {
            host,
            role: Role::Camera,
            evidence: host.identified_by(),
        })
        .collect();
    rows.extend(
        engine
            .inventory()
            .known_hosts(policy)
            .into_iter()
            .filter(|(role, _)| *role != Role::Camera)
            .map(|(role, host)| HostRow {
                host,
                role,
                evidence: host.role_evidence(policy),
            }),
    );
    rows
}

/// The hosts as an aligned text table; cameras also list their top peers.
pub fn inventory_table(engine: &Engine) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:<9} {:<18} {:<12} {:<14} {:<10} {:<16} {:>5} {:>12} {:>12}  top peers",
        "ADDRESS",
        "ROLE",
        "MAC",
        "VENDOR",
        "MODEL",
        "FIRMWARE",
        "IDENTIFIED BY",
        "PEERS",
        "BYTES OUT",
        "BYTES IN"
    );
    let dash = |text: &str| {
        if text.is_empty() {
            "-".to_string()
        } else {
            text.to_string()
        }
    };
    for row in host_rows(engine) {
        let host = row.host;
        let top: Vec<String> = if row.role == Role::Camera {
            top_peers(host, 3)
                .iter()
                .map(|(ip, p)| match &p.name {
                    Some(name) => format!("{ip} ({name})"),
                    None => ip.to_string(),
                })
                .collect()
        } else {
            Vec::new()
        };
        let _ = writeln!(
            out,
            "{:<16} {:<9} {:<18} {:<12} {:<14} {:<10} {:<16} {:>5} {:>12} {:>12}  {}",
            host.ip.to_string(),
            row.role.name(),
            dash(&row.mac()),
            dash(row.vendor()),
            dash(row.model()),
            dash(row.firmware()),
            row.evidence.join(","),
            host.peers.len(),
            host.bytes_sent,
            host.bytes_received,
            top.join(", ")
        );
    }
    out
}

/// A host's peers by bytes both ways, largest first (address breaks ties).
pub fn top_peers(
    host: &Host,
    n: usize,
) -> Vec<(&std::net::IpAddr, &crate::camera::host::PeerStats)> {
    let mut peers: Vec<_> = host.peers.iter().collect();
    peers.sort_by_key(|(ip, p)| (std::cmp::Reverse(p.bytes_sent + p.bytes_received), **ip));
    peers.truncate(n);
    peers
}

/// The CSV header; one row per host follows.
pub const CSV_COLUMNS: [&str; 13] = [
    "address",
    "role",
    "mac",
    "vendor",
    "model",
    "firmware",
    "name",
    "identified_by",
    "peers",
    "bytes_out",
    "bytes_in",
    "first_seen",
    "last_seen",
];

/// The hosts as RFC 4180 CSV (CRLF line ends, fields quoted when needed).
/// Names and models come from the wire: quoting keeps a comma, quote or
/// line break in them inside their field.
pub fn inventory_csv(engine: &Engine) -> String {
    let mut out = String::new();
    csv_row(&mut out, CSV_COLUMNS.iter().map(|c| c.to_string()));
    for row in host_rows(engine) {
        let host = row.host;
        csv_row(
            &mut out,
            [
                host.ip.to_string(),
                row.role.name().to_string(),
                row.mac(),
                row.vendor().to_string(),
                row.model().to_string(),
                row.firmware().to_string(),
                host.display_name().unwrap_or("").to_string(),
                row.evidence.join(" "),
                host.peers.len().to_string(),
                host.bytes_sent.to_string(),
                host.bytes_received.to_string(),
                host.first_seen.rfc3339_micros().to_string(),
                host.last_seen.rfc3339_micros().to_string(),
            ],
        );
    }
    out
}

fn csv_row(out: &mut String, fields: impl IntoIterator<Item = String>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if field.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&field);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colon_mac_is_lower_case_hex() {
        assert_eq!(
            colon_mac([0x44, 0x19, 0xb6, 0x3c, 0x4d, 0x12]),
            "44:19:b6:3c:4d:12"
        );
    }

    #[test]
    fn csv_quotes_fields_that_need_it() {
        let mut out = String::new();
        csv_row(
            &mut out,
            ["a".to_string(), "b,c".to_string(), "say \"hi\"".to_string()],
        );
        assert_eq!(out, "a,\"b,c\",\"say \"\"hi\"\"\"\r\n");
    }
}
