//! `live` on several interfaces at once (issue 12): each flow record and
//! each alert about a flow names the interface its flow came in on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};

use super::common;
use super::{
    Killed, StderrWatch, Tuple, alert_keys, live_setup, packets_in, packets_of, padded_egress,
    per_tuple, stop, wait_until,
};

/// An alert as [`alert_keys`] keys it: rule, source, destination, port.
type AlertKey = (String, String, String, Option<u16>);

/// What `camsentry replay` of one capture reports on its own: the flows'
/// 5-tuples and the alerts' keys (as [`alert_keys`]) with the site policy.
fn replayed_alone(capture: &Path, policy: &Path) -> (BTreeSet<Tuple>, Vec<AlertKey>) {
    let run = |args: &[&str]| {
        let output = common::run(&[&["replay", "-q"], args, &[capture.to_str().unwrap()]].concat());
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    };
    let flows = per_tuple(&run(&["--no-detect", "--flows", "-"]));
    let alerts = alert_keys(&run(&["--policy", policy.to_str().unwrap()]));
    (flows.into_keys().collect(), alerts)
}

/// `observer.ingress.interface.name` of an ECS document.
fn ingress(document: &serde_json::Value) -> Option<&str> {
    document["observer"]["ingress"]["interface"]["name"].as_str()
}

/// Issue 12: `live` on two interfaces at once, a different scenario sent
/// into each; every flow record and every alert about a flow names the
/// interface its flow came in on, so the two cannot be confused.
#[test]
fn two_interfaces_each_name_their_own_flows_and_alerts() {
    let Some(namespace) = live_setup("iface") else {
        return;
    };
    if !namespace.add_pair("cap1", "inj1") {
        eprintln!("skipped: cannot add a second veth pair here");
        return;
    }
    let name = namespace.0.clone();
    let dir = tempfile::tempdir().unwrap();
    let policy = common::fixture("policy/site.toml");
    // Camera 10.20.0.12 calls out on cap0, camera 10.20.0.13 uploads on
    // cap1.
    let captures = [
        ("cap0", "inj0", padded_egress(dir.path())),
        ("cap1", "inj1", common::synth(dir.path(), "exfil")),
    ];
    let alone: Vec<_> = captures
        .iter()
        .map(|(_, _, capture)| replayed_alone(capture, &policy))
        .collect();
    let sent: u64 = captures
        .iter()
        .map(|(_, _, capture)| packets_of(dir.path(), capture))
        .sum();

    let (flows, alerts, stats) = (
        dir.path().join("flows.json"),
        dir.path().join("alerts.json"),
        dir.path().join("stats.json"),
    );
    let sensor = Command::new("ip")
        .args(["netns", "exec", &name, env!("CARGO_BIN_EXE_camsentry")])
        .args(["live", "-i", "cap0", "-i", "cap1"])
        .args(["--policy", policy.to_str().unwrap()])
        .args(["--flows", flows.to_str().unwrap()])
        .args(["--alerts", alerts.to_str().unwrap()])
        .args(["--stats-interval", "200ms", "--stats-log"])
        .arg(&stats)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("camsentry live starts");
    let mut sensor = Killed(sensor);
    let mut stderr = StderrWatch::new(&mut sensor.0);
    // One line per interface, once both are open.
    stderr.wait_for("capturing on cap0", 20);
    stderr.wait_for("capturing on cap1", 5);
    // Both at once, paced: the reader polls the two interfaces in turn.
    let senders: Vec<Killed> = captures
        .iter()
        .map(|(_, inject, capture)| {
            let sender = Command::new("ip")
                .args(["netns", "exec", &name, "tcpreplay", "-q", "--pps=10000"])
                .args(["-i", inject])
                .arg(capture)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            Killed(sender)
        })
        .collect();
    for mut sender in senders {
        let mut status = None;
        wait_until("tcpreplay to finish", 30, || {
            status = sender.0.try_wait().unwrap();
            status.is_some()
        });
        assert!(status.unwrap().success(), "tcpreplay failed");
    }
    wait_until("every packet in the stats", 15, || {
        packets_in(&stats) >= sent
    });
    stop(&mut sensor, stderr);

    // What only one capture has can only have come in on its interface.
    let only = |index: usize| {
        let (interface, _, _) = &captures[index];
        let (flows, alerts) = &alone[index];
        let (other_flows, other_alerts) = &alone[1 - index];
        (
            *interface,
            flows - other_flows,
            alerts
                .iter()
                .filter(|key| !other_alerts.contains(key))
                .cloned()
                .collect::<Vec<_>>(),
        )
    };
    let mut checked = BTreeMap::new();
    for line in std::fs::read_to_string(&flows).unwrap().lines() {
        let document: serde_json::Value = serde_json::from_str(line).unwrap();
        let named = ingress(&document).unwrap_or_else(|| panic!("no interface: {line}"));
        let record = common::flow_view(line);
        let tuple = (
            record.src_ip,
            record.src_port,
            record.dest_ip,
            record.dest_port,
            record.proto,
        );
        for index in 0..2 {
            let (interface, tuples, _) = only(index);
            if tuples.contains(&tuple) {
                assert_eq!(named, interface, "{line}");
                *checked.entry(("flows", interface)).or_insert(0) += 1;
            }
        }
    }
    for line in std::fs::read_to_string(&alerts).unwrap().lines() {
        let document: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = alert_keys(line).remove(0);
        for index in 0..2 {
            let (interface, _, keys) = only(index);
            if keys.contains(&key) {
                assert_eq!(ingress(&document), Some(interface), "{line}");
                *checked.entry(("alerts", interface)).or_insert(0) += 1;
            }
        }
    }
    // Each interface had flows and alerts of its own to check.
    for kind in ["flows", "alerts"] {
        for interface in ["cap0", "cap1"] {
            assert!(
                checked.contains_key(&(kind, interface)),
                "no {kind} only {interface} could have seen: {checked:?}"
            );
        }
    }
}
