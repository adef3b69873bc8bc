//! Address takeover: another MAC claims a camera's or recorder's address.
//!
//! The binding of each protected address (a camera or a recorder) to its
//! MAC is learned from ARP, the only traffic whose source MAC is always
//! the owner's (a routed packet carries its router's). An ARP packet from
//! the address with another MAC (reply, gratuitous announcement or request:
//! any of them updates the neighbours' caches) is a claim; the binding is
//! kept, so every further claim is a match of the same incident. A DHCP
//! exchange that gives the address to the new MAC moves the binding
//! instead: a camera replaced, or a lease moved, is no takeover.
//!
//! Memory: one [`Binding`] (16 bytes plus the map's entry) per protected
//! address, at most [`MAX_BINDINGS`]; one recent DHCP lease per address, at
//! most [`MAX_LEASES`], oldest evicted.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::json;

use super::rules::RULE_TAKEOVER;
use crate::alert::{Alert, ecs_mac};
use crate::detect::Context;
use crate::observation::{Arp, Dhcp};
use crate::timestamp::{NANOS_PER_SEC, Nanos, Timestamp};

/// Most protected addresses whose MAC is remembered.
pub const MAX_BINDINGS: usize = 16_384;
/// Most recent DHCP leases remembered.
pub const MAX_LEASES: usize = 4_096;
/// How long a DHCP lease excuses a new MAC on its address.
pub const DHCP_GRACE: Nanos = 600 * NANOS_PER_SEC;

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub mac: [u8; 6],
    pub since: Timestamp,
}

#[derive(Debug, Default)]
pub struct Takeover {
    pub bindings: BTreeMap<IpAddr, Binding>,
    leases: BTreeMap<IpAddr, ([u8; 6], Timestamp)>,
    /// Protected addresses not bound because the table was full.
    pub refused: u64,
    /// Leases forgotten early because the table was full.
    pub leases_evicted: u64,
}

fn usable(mac: [u8; 6]) -> bool {
    mac != [0; 6] && mac[0] & 1 == 0
}

impl Takeover {
    pub fn dhcp(&mut self, dhcp: &Dhcp) {
        let Some(address) = dhcp.address.filter(|a| !a.is_unspecified()) else {
            return;
        };
        if !usable(dhcp.mac) {
            return;
        }
        if self.leases.len() >= MAX_LEASES && !self.leases.contains_key(&address) {
            let oldest = self.leases.iter().min_by_key(|(_, (_, ts))| *ts);
            if let Some(oldest) = oldest.map(|(ip, _)| *ip) {
                self.leases.remove(&oldest);
                self.leases_evicted += 1;
            }
        }
        self.leases.insert(address, (dhcp.mac, dhcp.ts));
        if let Some(binding) = self.bindings.get_mut(&address) {
            binding.mac = dhcp.mac;
            binding.since = dhcp.ts;
        }
    }

    pub fn arp(&mut self, context: &Context<'_>, arp: &Arp, alerts: &mut Vec<Alert>) {
        let (ip, mac) = (arp.sender_ip, arp.sender_mac);
        if ip.is_unspecified() || !usable(mac) {
            return;
        }
        let role = if context.inventory.is_recorder(context.policy, ip) {
            "recorder"
        } else if context.is_camera(ip) {
            "camera"
        } else {
            return;
        };
        let Some(binding) = self.bindings.get_mut(&ip) else {
            if self.bindings.len() >= MAX_BINDINGS {
                self.refused += 1;
            } else {
                self.bindings.insert(ip, Binding { mac, since: arp.ts });
            }
            return;
        };
        if binding.mac == mac {
            return;
        }
        let leased = self
            .leases
            .get(&ip)
            .is_some_and(|(m, ts)| *m == mac && arp.ts.since(*ts) <= DHCP_GRACE);
        if leased {
            binding.mac = mac;
            binding.since = arp.ts;
            return;
        }
        let mut alert = context.camera_alert(RULE_TAKEOVER, ip, arp.ts);
        alert.source_mac = Some(mac);
        alert.destination_ip = Some(arp.target_ip);
        if arp.vlan != 0 {
            alert.vlan = Some(arp.vlan);
        }
        alert.interface = Some(arp.interface);
        let gratuitous = arp.sender_ip == arp.target_ip;
        let evidence = &mut alert.evidence;
        evidence.insert("role".into(), json!(role));
        evidence.insert("bound_mac".into(), json!(ecs_mac(binding.mac)));
        evidence.insert("claiming_mac".into(), json!(ecs_mac(mac)));
        evidence.insert(
            "bound_since".into(),
            json!(binding.since.rfc3339_micros().to_string()),
        );
        evidence.insert(
            "arp_operation".into(),
            json!(if arp.operation == 2 {
                "reply"
            } else {
                "request"
            }),
        );
        evidence.insert("gratuitous".into(), json!(gratuitous));
        alerts.push(alert);
    }
}
