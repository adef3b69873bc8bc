//! Helpers shared by the rules' alert evidence: rounded durations and
//! ratios, sampled address and port lists, and the memory-capped marker.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde_json::{Map, Value, json};

use super::SAMPLE;
use crate::flow::record::transport_name;
use crate::timestamp::{NANOS_PER_SEC, Nanos};

pub(super) fn secs(nanos: Nanos) -> f64 {
    (nanos as f64 / NANOS_PER_SEC as f64 * 1000.0).round() / 1000.0
}

pub(super) fn ip_list<'a>(ips: impl Iterator<Item = &'a IpAddr>) -> Value {
    Value::Array(ips.take(SAMPLE).map(|ip| json!(ip.to_string())).collect())
}

/// Distinct port numbers (sorted, at most [`SAMPLE`]) and transport names.
pub(super) fn port_lists<'a>(
    ports: impl Iterator<Item = &'a (u8, u16)>,
) -> (BTreeSet<u16>, BTreeSet<&'static str>) {
    let mut numbers = BTreeSet::new();
    let mut transports = BTreeSet::new();
    for (proto, port) in ports {
        if numbers.len() < SAMPLE {
            numbers.insert(*port);
        }
        transports.insert(transport_name(*proto));
    }
    (numbers, transports)
}

pub(super) fn round3(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        f64::MAX
    }
}

pub(super) fn insert_capped(evidence: &mut Map<String, Value>, capped: u64) {
    if capped > 0 {
        evidence.insert("memory_capped".into(), json!(capped));
    }
}
