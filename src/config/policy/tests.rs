//! Policy lookups: who is internal, which group a camera is in, what an
//! allow rule admits, which suppression covers an alert.

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn policy(text: &str) -> Policy {
    Policy::from_str(text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
}

const SITE: &str = r#"
[site]
recorders = ["10.20.0.2"]
dns = ["10.20.0.1", "fd00::53"]
ntp = ["10.20.0.1"]

[[group]]
name = "lobby-hik"
match = { cidr = ["10.20.0.0/24"], vendor = ["hikvision"] }
  [[group.allow]]
  to = "*.camcloud.example"
  ports = [443, "8000-8010"]
  transport = "tcp"
  role = "cloud"
  budget = "200MB/1h"
  [[group.allow]]
  to = "198.51.100.0/24"

[[group]]
name = "lobby"
match = { cidr = ["10.20.0.0/24"], address = ["10.30.0.9"] }

[[group]]
name = "by-mac"
match = { mac = ["c0:56:e3:00:00:11"] }
  [[group.allow]]
  to = "203.0.113.5"
  transport = "icmp"
"#;

#[test]
fn default_internal_ranges_all_parse() {
    assert_eq!(Site::default().internal.len(), DEFAULT_INTERNAL.len());
}

#[test]
fn zero_configuration_policy() {
    let p = Policy::default();
    assert!(p.groups().is_empty());
    for inside in [
        "10.1.2.3",
        "172.31.0.1",
        "192.168.1.1",
        "169.254.9.9",
        "fd00::1",
        "fe80::1",
    ] {
        assert!(p.is_internal(ip(inside)), "{inside}");
    }
    for outside in ["8.8.8.8", "172.32.0.1", "2001:db8::1"] {
        assert!(!p.is_internal(ip(outside)), "{outside}");
    }
    assert!(!p.is_recorder(ip("10.0.0.1")));
    assert_eq!(p.detect().scan.theta0, 0.8);
    assert_eq!(p.learn().duration, Duration::ZERO);
    assert_eq!(policy(""), p);
}

#[test]
fn site_services() {
    let p = policy(SITE);
    assert!(p.is_recorder(ip("10.20.0.2")));
    assert!(!p.is_recorder(ip("10.20.0.3")));
    assert!(p.is_dns_server(ip("10.20.0.1")));
    assert!(p.is_dns_server(ip("fd00::53")));
    assert!(p.is_ntp_server(ip("::ffff:10.20.0.1")));
    assert!(!p.is_ntp_server(ip("10.20.0.2")));
}

#[test]
fn first_matching_group_wins() {
    let p = policy(SITE);
    let name = |ip_: &str, mac: Option<[u8; 6]>, vendor: Option<&str>| {
        p.group_for(ip(ip_), mac, vendor).map(Group::name)
    };
    // Both "lobby-hik" and "lobby" match; the earlier one wins.
    assert_eq!(
        name("10.20.0.7", None, Some("Hikvision")),
        Some("lobby-hik")
    );
    // Vendor unknown or different: "lobby-hik" requires it.
    assert_eq!(name("10.20.0.7", None, None), Some("lobby"));
    assert_eq!(name("10.20.0.7", None, Some("Axis")), Some("lobby"));
    // `address` and `cidr` are alternatives for the same host address.
    assert_eq!(name("10.30.0.9", None, None), Some("lobby"));
    assert_eq!(name("10.30.0.10", None, None), None);
    // A MAC-only group matches wherever the host is.
    let mac = [0xc0, 0x56, 0xe3, 0x00, 0x00, 0x11];
    assert_eq!(name("192.168.5.5", Some(mac), None), Some("by-mac"));
    assert_eq!(name("192.168.5.5", None, None), None);
    assert_eq!(p.group("LOBBY").map(Group::name), Some("lobby"));
}

#[test]
fn allow_rules() {
    let p = policy(SITE);
    let Some(g) = p.group("lobby-hik") else {
        panic!("group missing")
    };
    let cloud = ip("192.0.2.50");
    let rule = g.allows(
        cloud,
        Some("eu.camcloud.example"),
        Some(443),
        Transport::Tcp,
    );
    assert_eq!(rule.map(AllowRule::role), Some(Role::Cloud));
    assert_eq!(
        rule.and_then(AllowRule::budget).map(|b| b.to_string()),
        Some("200MB/1h".to_string())
    );
    assert!(
        g.allows(
            cloud,
            Some("eu.camcloud.example"),
            Some(8010),
            Transport::Tcp
        )
        .is_some()
    );
    // Wrong port, wrong transport, apex name, no name: not allowed.
    assert!(
        g.allows(
            cloud,
            Some("eu.camcloud.example"),
            Some(8011),
            Transport::Tcp
        )
        .is_none()
    );
    assert!(
        g.allows(
            cloud,
            Some("eu.camcloud.example"),
            Some(443),
            Transport::Udp
        )
        .is_none()
    );
    assert!(
        g.allows(cloud, Some("camcloud.example"), Some(443), Transport::Tcp)
            .is_none()
    );
    assert!(g.allows(cloud, None, Some(443), Transport::Tcp).is_none());
    // Second rule: any port and transport, role `other` with the
    // default budget filled in.
    let other = g.allows(ip("198.51.100.7"), None, None, Transport::Icmp);
    assert_eq!(other.map(AllowRule::role), Some(Role::Other));
    assert_eq!(
        other.and_then(AllowRule::budget),
        Some(p.detect().exfil.default_budget)
    );
    // ICMP-only rule.
    let Some(m) = p.group("by-mac") else {
        panic!("group missing")
    };
    assert!(
        m.allows(ip("203.0.113.5"), None, None, Transport::Icmp)
            .is_some()
    );
    assert!(
        m.allows(ip("203.0.113.5"), None, Some(80), Transport::Tcp)
            .is_none()
    );
    // A group without rules allows nothing.
    let Some(l) = p.group("lobby") else {
        panic!("group missing")
    };
    assert!(l.allows(cloud, None, Some(443), Transport::Tcp).is_none());
}

/// A detector match at `ts` (seconds after 2026-01-05T00:00:00Z)
/// about `camera` to `dst` (named `domain`).
fn matched(
    rule: &'static str,
    camera: &str,
    mac: Option<[u8; 6]>,
    dst: Option<&str>,
    domain: Option<&str>,
    secs: u64,
) -> Alert {
    Alert {
        ts: crate::timestamp::Timestamp::from_secs(1_767_571_200 + secs),
        evidence_ts: crate::timestamp::Timestamp::from_secs(1_767_571_200 + secs),
        rule: crate::alert::Rule {
            id: rule,
            signature_id: 1,
            name: "test",
            category: crate::alert::Category::Scan,
            action: "lan-scan",
            severity: 1,
        },
        source_ip: ip(camera),
        source_port: None,
        source_mac: mac,
        destination_ip: dst.map(ip),
        destination_port: None,
        destination_domain: domain.map(str::to_string),
        transport: None,
        community_id: None,
        vlan: None,
        interface: None,
        camera: crate::alert::CameraInfo::default(),
        evidence: serde_json::Map::new(),
        incident: None,
        flow: None,
    }
}

const MAC: [u8; 6] = [0xc0, 0x56, 0xe3, 0x00, 0x00, 0x11];

const TUNED: &str = r#"
[[group]]
name = "Lobby"
match = { cidr = ["10.20.0.0/24"] }
disable = ["CAMSENTRY-EGRESS-1", "CAMSENTRY-EXFIL-*"]
severity = { "CAMSENTRY-*" = 1, "CAMSENTRY-SCAN-*" = 3, "CAMSENTRY-SCAN-6" = 2 }

[[suppress]]
rule = "CAMSENTRY-SCAN-*"
camera = "10.30.0.0/16"

[[suppress]]
camera = "C0-56-E3-00-00-11"
destination = "*.updates.example"
reason = "firmware mirror"

[[suppress]]
rule = "CAMSENTRY-SCAN-6"
camera = "lobby"
expires = "2026-01-05"

[[suppress]]
destination = "192.0.2.0/24"
"#;

#[test]
fn suppression_matching() {
    let p = policy(TUNED);
    let which = |a: &Alert, group: Option<&str>| p.suppression_for(a, group);
    // Rule prefix and camera by CIDR: any SCAN rule, not EGRESS.
    let a = matched("CAMSENTRY-SCAN-4", "10.30.1.2", None, None, None, 0);
    assert_eq!(which(&a, None), Some(0));
    let a = matched("CAMSENTRY-EGRESS-1", "10.30.1.2", None, None, None, 0);
    assert_eq!(which(&a, None), None);
    let a = matched("CAMSENTRY-SCAN-4", "10.31.1.2", None, None, None, 0);
    assert_eq!(which(&a, None), None);
    // Camera by MAC and destination by name pattern: both must hold,
    // for any rule.
    let named = |mac, domain| {
        matched(
            "CAMSENTRY-EGRESS-1",
            "10.99.0.5",
            mac,
            Some("203.0.113.9"),
            domain,
            0,
        )
    };
    assert_eq!(
        which(&named(Some(MAC), Some("eu.updates.example")), None),
        Some(1)
    );
    assert_eq!(
        which(&named(Some(MAC), Some("EU.Updates.Example.")), None),
        Some(1)
    );
    assert_eq!(
        which(&named(Some(MAC), Some("updates.example")), None),
        None
    );
    assert_eq!(which(&named(Some(MAC), None), None), None);
    assert_eq!(which(&named(None, Some("eu.updates.example")), None), None);
    assert_eq!(
        which(
            &named(
                Some([0xc0, 0x56, 0xe3, 0, 0, 0x12]),
                Some("eu.updates.example")
            ),
            None
        ),
        None
    );
    // Camera by group (as the alert names it, any case), expiring at
    // the end of 2026-01-05 in packet time.
    let slow = |secs| matched("CAMSENTRY-SCAN-6", "10.20.0.7", None, None, None, secs);
    assert_eq!(which(&slow(0), Some("Lobby")), Some(2));
    assert_eq!(which(&slow(86_399), Some("LOBBY")), Some(2));
    assert_eq!(which(&slow(86_400), Some("Lobby")), None);
    assert_eq!(which(&slow(0), None), None);
    assert_eq!(which(&slow(0), Some("parking")), None);
    // Destination by network: alerts without a destination never match
    // it, scan alerts with one do.
    let a = matched(
        "CAMSENTRY-SCAN-1",
        "10.20.0.7",
        None,
        Some("192.0.2.200"),
        None,
        0,
    );
    assert_eq!(which(&a, Some("Lobby")), Some(3));
    // First entry in file order wins.
    let a = matched(
        "CAMSENTRY-SCAN-1",
        "10.30.0.7",
        None,
        Some("192.0.2.200"),
        None,
        0,
    );
    assert_eq!(which(&a, None), Some(0));
    // The entries as the summary labels them.
    let labels: Vec<String> = p.suppressions().iter().map(Suppression::label).collect();
    assert_eq!(
        labels,
        [
            "rule CAMSENTRY-SCAN-*, camera 10.30.0.0/16",
            "camera c0:56:e3:00:00:11, destination *.updates.example",
            "rule CAMSENTRY-SCAN-6, camera Lobby",
            "destination 192.0.2.0/24",
        ]
    );
    assert_eq!(p.suppressions()[1].reason(), Some("firmware mirror"));
    assert_eq!(
        p.suppressions()[2].expires().map(|d| d.to_string()),
        Some("2026-01-05".to_string())
    );
}

#[test]
fn group_disable_and_severity() {
    let p = policy(TUNED);
    let Some(g) = p.group("lobby") else {
        panic!("group missing")
    };
    assert_eq!(
        g.disables("CAMSENTRY-EGRESS-1").map(ToString::to_string),
        Some("CAMSENTRY-EGRESS-1".to_string())
    );
    assert_eq!(
        g.disables("CAMSENTRY-EXFIL-3").map(ToString::to_string),
        Some("CAMSENTRY-EXFIL-*".to_string())
    );
    assert!(g.disables("CAMSENTRY-SCAN-1").is_none());
    // Exact id over prefix, longer prefix over shorter.
    assert_eq!(g.severity_for("CAMSENTRY-SCAN-6"), Some(2));
    assert_eq!(g.severity_for("CAMSENTRY-SCAN-1"), Some(3));
    assert_eq!(g.severity_for("CAMSENTRY-EGRESS-1"), Some(1));
    let none = policy(SITE);
    assert_eq!(none.groups()[0].severity_for("CAMSENTRY-SCAN-1"), None);
    // `*` alone covers every rule.
    let all = policy(
        "[[group]]\nname = \"lab\"\nmatch = { cidr = [\"10.9.0.0/16\"] }\ndisable = [\"*\"]\n",
    );
    let lab = all
        .group("lab")
        .map(|g| g.disables("CAMSENTRY-SCAN-7").is_some());
    assert_eq!(lab, Some(true));
}

#[test]
fn trw_thresholds() {
    let s = ScanSettings::default();
    assert!((s.upper_threshold() - 99.0).abs() < 1e-9);
    assert!((s.lower_threshold() - 0.01 / 0.99).abs() < 1e-12);
}

#[test]
fn transports_from_protocol_numbers() {
    assert_eq!(Transport::from_ip_proto(6), Transport::Tcp);
    assert_eq!(Transport::from_ip_proto(17), Transport::Udp);
    assert_eq!(Transport::from_ip_proto(1), Transport::Icmp);
    assert_eq!(Transport::from_ip_proto(58), Transport::Icmp);
    assert_eq!(Transport::from_ip_proto(47), Transport::Other);
}

#[test]
fn port_ranges() {
    assert_eq!(PortRange::new(0, 10), None);
    assert_eq!(PortRange::new(20, 10), None);
    let r = PortRange::new(10, 20);
    assert!(r.is_some_and(|r| r.contains(10) && r.contains(20) && !r.contains(21)));
}

#[test]
fn inbound_rules_admit_their_sources_on_their_ports_and_render_back() {
    let text = r#"
[[group]]
name = "cams"
match = { cidr = ["10.20.0.0/24"] }
  [[group.inbound]]
  from = ["100.64.0.0/10", "198.51.100.7"]
  ports = [554, "80-81"]
  [[group.inbound]]
  from = ["192.0.2.0/24"]
"#;
    let p = policy(text);
    let g = p.group("cams").unwrap();
    assert_eq!(g.inbound().len(), 2);
    assert!(g.allows_inbound(ip("100.100.1.2"), 554));
    assert!(g.allows_inbound(ip("198.51.100.7"), 81));
    assert!(!g.allows_inbound(ip("100.100.1.2"), 23));
    assert!(g.allows_inbound(ip("192.0.2.9"), 23), "no ports: any port");
    assert!(!g.allows_inbound(ip("203.0.113.1"), 554));
    let rendered = p.render();
    assert!(rendered.contains("[[group.inbound]]"), "{rendered}");
    assert_eq!(Policy::from_str(&rendered, "rendered.toml").unwrap(), p);
    for bad in [
        "[[group]]\nname = \"g\"\nmatch = { cidr = [\"10.0.0.0/8\"] }\n[[group.inbound]]\nfrom = []\n",
        "[[group]]\nname = \"g\"\nmatch = { cidr = [\"10.0.0.0/8\"] }\n[[group.inbound]]\nfrom = [\"x\"]\n",
        "[[group]]\nname = \"g\"\nmatch = { cidr = [\"10.0.0.0/8\"] }\n[[group.inbound]]\nfrom = [\"1.2.3.0/24\"]\nports = []\n",
    ] {
        assert!(Policy::from_str(bad, "bad.toml").is_err(), "{bad}");
    }
}
