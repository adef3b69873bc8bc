//! Exposure end to end: synthetic captures of a port-forwarded camera, of
//! UPnP and NAT-PMP/PCP port mappings, and of an operator's VPN the policy
//! allows, replayed by the binary in zero-configuration and policy modes.

mod common;

use common::{EcsAlert, openings};

/// The site policy, plus `extra` appended (TOML).
fn policy(dir: &std::path::Path, extra: &str) -> String {
    let site = std::fs::read_to_string(common::fixture("policy/site.toml")).unwrap();
    let path = dir.join("policy.toml");
    std::fs::write(&path, format!("{site}\n{extra}")).unwrap();
    path.to_str().unwrap().to_string()
}

fn modes(dir: &std::path::Path) -> Vec<Vec<String>> {
    vec![vec!["--policy".into(), policy(dir, "")], vec![]]
}

fn run(capture: &std::path::Path, args: &[String]) -> Vec<EcsAlert> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    common::alerts(capture, &args)
}

fn exposure(alerts: &[EcsAlert]) -> Vec<EcsAlert> {
    alerts
        .iter()
        .filter(|a| a.rule.category == "exposure")
        .cloned()
        .collect()
}

fn evidence<'a>(alert: &'a EcsAlert, key: &str) -> &'a serde_json::Value {
    &alert.camsentry.evidence[key]
}

/// Seconds since the capture's first packet (2026-01-05T08:00:00Z).
fn offset(timestamp: &str) -> f64 {
    let time = &timestamp["2026-01-05T".len()..timestamp.len() - 1];
    let parts: Vec<f64> = time.split(':').map(|p| p.parse().unwrap()).collect();
    (parts[0] - 8.0) * 3600.0 + parts[1] * 60.0 + parts[2]
}

const VIEWERS: [&str; 5] = [
    "198.51.100.23",
    "203.0.113.77",
    "192.0.2.140",
    "198.51.100.181",
    "203.0.113.200",
];

#[test]
fn a_port_forwarded_rtsp_stream_is_one_incident_counting_five_external_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "exposed-rtsp");
    for args in modes(dir.path()) {
        let found = run(&capture, &args);
        let lines = exposure(&found);
        assert_eq!(
            lines.len(),
            found.len(),
            "{args:?}: only exposure: {found:#?}"
        );
        let opened = openings(&lines);
        assert_eq!(opened.len(), 1, "{args:?}: {lines:#?}");
        let open = &opened[0];
        assert_eq!(open.rule.id, "CAMSENTRY-EXPOSURE-1");
        assert_eq!(open.source.ip.as_deref(), Some("10.20.0.12"));
        assert_eq!(open.source.port, Some(554));
        assert_eq!(evidence(open, "service"), "rtsp");
        assert_eq!(evidence(open, "direction"), "inbound");
        let peer = open.destination.as_ref().and_then(|d| d.ip.as_deref());
        assert_eq!(peer, Some(VIEWERS[0]));
        // Raised on the camera's answer to the first viewer, at minute 2.
        let at = offset(&open.timestamp);
        assert!((120.0..145.0).contains(&at), "{at}");
        // Every line is that incident; the last counts all five viewers.
        let ids: std::collections::BTreeSet<&str> = lines
            .iter()
            .map(|a| a.camsentry.incident.as_ref().unwrap().id.as_str())
            .collect();
        assert_eq!(ids.len(), 1);
        let last = lines.last().unwrap();
        assert_eq!(evidence(last, "external_hosts"), 5, "{args:?}: {lines:#?}");
        assert_eq!(evidence(last, "contacts"), 6);
        for line in &lines {
            let peer = line.destination.as_ref().and_then(|d| d.ip.as_deref());
            assert!(VIEWERS.contains(&peer.unwrap()), "{line:#?}");
        }
    }
}

#[test]
fn a_cameras_upnp_port_mappings_are_raised_with_the_routers_answers() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "upnp-mapping");
    for args in modes(dir.path()) {
        let found = run(&capture, &args);
        let lines = exposure(&found);
        assert_eq!(lines.len(), found.len(), "{args:?}: {found:#?}");
        let opened = openings(&lines);
        let ports: Vec<u64> = opened
            .iter()
            .map(|a| evidence(a, "external_port").as_u64().unwrap())
            .collect();
        assert_eq!(ports, [8554, 8080], "{args:?}: {lines:#?}");
        let accepted = &opened[0];
        assert_eq!(accepted.rule.id, "CAMSENTRY-EXPOSURE-6");
        assert_eq!(accepted.source.ip.as_deref(), Some("10.20.0.14"));
        assert_eq!(evidence(accepted, "internal_client"), "10.20.0.14");
        assert_eq!(evidence(accepted, "internal_port"), 554);
        assert_eq!(evidence(accepted, "protocol"), "tcp");
        assert_eq!(evidence(accepted, "lease_seconds"), 600);
        assert_eq!(evidence(accepted, "description"), "IPCamera RTSP");
        assert_eq!(evidence(accepted, "answer")["result"], "accepted");
        assert_eq!(
            evidence(accepted, "gateway_search")["target"],
            "urn:schemas-upnp-org:device:InternetGatewayDevice:1"
        );
        let refused = &opened[1];
        assert_eq!(evidence(refused, "answer")["result"], "refused");
        assert_eq!(evidence(refused, "answer")["error_code"], 718);
        assert_eq!(evidence(refused, "internal_port"), 80);
        // The renewal is the first mapping's second request, in its
        // incident.
        let renewal = lines
            .iter()
            .find(|a| evidence(a, "requests") == 2)
            .unwrap_or_else(|| panic!("{lines:#?}"));
        assert_eq!(evidence(renewal, "external_port"), 8554);
        assert_eq!(
            renewal.camsentry.incident.as_ref().unwrap().id,
            accepted.camsentry.incident.as_ref().unwrap().id
        );
    }
}

#[test]
fn natpmp_and_pcp_map_requests_are_raised_accepted_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "natpmp-mapping");
    for args in modes(dir.path()) {
        let found = run(&capture, &args);
        let opened = openings(&exposure(&found));
        assert_eq!(opened.len(), 2, "{args:?}: {found:#?}");
        assert!(opened.iter().all(|a| a.rule.id == "CAMSENTRY-EXPOSURE-7"));
        let natpmp = &opened[0];
        assert_eq!(natpmp.source.ip.as_deref(), Some("10.20.0.16"));
        assert_eq!(evidence(natpmp, "mechanism"), "nat-pmp");
        assert_eq!(evidence(natpmp, "internal_port"), 554);
        assert_eq!(evidence(natpmp, "lease_seconds"), 7200);
        assert_eq!(evidence(natpmp, "retransmissions"), 1);
        assert_eq!(evidence(natpmp, "answer")["result"], "accepted");
        assert_eq!(evidence(natpmp, "answer")["mapped_external_port"], 554);
        let pcp = &opened[1];
        assert_eq!(pcp.source.ip.as_deref(), Some("10.20.0.17"));
        assert_eq!(evidence(pcp, "mechanism"), "pcp");
        assert_eq!(evidence(pcp, "answer")["result_name"], "NOT_AUTHORIZED");
    }
}

#[test]
fn an_operators_vpn_range_in_group_inbound_stays_silent() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "benign-vpn-inbound");
    let allowed = policy(
        dir.path(),
        "  [[group.inbound]]\n  from = [\"100.64.0.0/10\"]\n  ports = [80, 554]\n",
    );
    let found = run(&capture, &["--policy".into(), allowed]);
    assert!(found.is_empty(), "{found:#?}");
    // Without the rule the VPN range is the Internet: RTSP and the web
    // page are two exposures of the camera.
    let found = run(&capture, &[]);
    let opened = openings(&exposure(&found));
    let rules: Vec<&str> = opened.iter().map(|a| a.rule.id.as_str()).collect();
    assert_eq!(
        rules,
        ["CAMSENTRY-EXPOSURE-1", "CAMSENTRY-EXPOSURE-2"],
        "{found:#?}"
    );
}

/// A camera calling out (its cloud session and API calls, NTP, DNS) is not
/// exposure, whatever else it raises.
#[test]
fn outbound_cloud_traffic_is_not_exposure() {
    let dir = tempfile::tempdir().unwrap();
    for scenario in ["exfil-cloud", "egress", "worm-internet"] {
        let capture = common::synth(dir.path(), scenario);
        for args in modes(dir.path()) {
            let found = exposure(&run(&capture, &args));
            assert!(found.is_empty(), "{scenario} {args:?}: {found:#?}");
        }
    }
}

/// The site day with its labelled incidents (egress by name, a slow
/// sweep, a worm burst, an upload) has no exposure in either mode: none of
/// them is an inbound contact or a port mapping.
#[test]
fn the_site_day_incidents_raise_no_exposure() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "site-day-incidents-short");
    for args in modes(dir.path()) {
        let found = run(&capture, &args);
        assert!(!found.is_empty(), "{args:?}: the incidents are raised");
        let lines = exposure(&found);
        assert!(lines.is_empty(), "{args:?}: {lines:#?}");
    }
}

/// A public NAT-PMP capture (nDPI's test trace): with its two hosts put in
/// a camera group, the answered map request is raised as accepted, and the
/// unanswered, retransmitted ones (out of time order in the file) as
/// unanswered, none lost.
#[test]
fn a_public_natpmp_capture_is_read() {
    let Some(capture) = common::shared("pcaps/exposure/ndpi-natpmp.pcap") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("home.toml");
    std::fs::write(
        &path,
        "[[group]]\nname = \"home\"\nmatch = { cidr = [\"192.168.1.0/24\", \"192.168.2.0/24\"] }\n",
    )
    .unwrap();
    let found = run(
        &capture,
        &["--policy".into(), path.to_str().unwrap().into()],
    );
    let opened = openings(&exposure(&found));
    let summary: Vec<(&str, u64, &str)> = opened
        .iter()
        .map(|a| {
            (
                a.source.ip.as_deref().unwrap(),
                evidence(a, "internal_port").as_u64().unwrap(),
                evidence(a, "answer")["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("192.168.1.128", 51413, "accepted"),
            ("192.168.2.100", 22000, "none"),
            ("192.168.2.100", 22000, "none"),
        ],
        "{found:#?}"
    );
    // Without a policy nothing there is a camera: silent.
    assert!(run(&capture, &[]).is_empty());
}

/// The same alerts for any number of workers.
#[test]
fn exposure_output_does_not_depend_on_the_worker_count() {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), "upnp-mapping");
    let policy = policy(dir.path(), "");
    let lines = |workers: &str| {
        let output = common::run(&[
            "replay",
            "-q",
            "--alerts",
            "-",
            "--workers",
            workers,
            "--policy",
            &policy,
            capture.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", common::stderr(&output));
        common::stdout_lines(&output)
    };
    let one = lines("1");
    assert!(!one.is_empty());
    assert_eq!(one, lines("3"));
}
