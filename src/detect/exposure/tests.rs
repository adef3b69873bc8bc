//! The exposure detector on hand-made observations: answered inbound flows
//! per service and peer, probes counted, policy and outbound cases silent,
//! mid-stream direction, UPnP and NAT-PMP/PCP requests with their answers,
//! and the memory bounds.

use std::net::IpAddr;

use super::rules::*;
use super::*;
use crate::detect::Baseline;
use crate::detect::testing::{Harness, at_ms, endpoint, evidence_u64};
use crate::flow::{EndReason, Flow, FlowKey};
use crate::observation::{
    Endpoint, FirstAnswer, FlowEnd, FlowStart, GatewaySearch, MappingArgs, PortControl,
    UpnpRequest, UpnpResponse,
};
use crate::protocols::natpmp::{self, MapProtocol, NatPmp};

const POLICY: &str = r#"
[[group]]
name = "cams"
match = { cidr = ["10.20.0.0/24"] }
  [[group.inbound]]
  from = ["100.64.0.0/10"]
"#;

/// A Hikvision MAC: the camera is one by its maker in zero configuration.
const CAMERA_MAC: [u8; 6] = [0x04, 0x03, 0x12, 0, 0, 0x11];
const GATEWAY_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 1];

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn camera() -> IpAddr {
    ip("10.20.0.11")
}

struct Site {
    h: Harness,
    exposure: Exposure,
}

impl Site {
    fn new(policy: &str) -> Site {
        Site {
            h: Harness::new(policy, Baseline::default(), 0),
            exposure: Exposure::new(),
        }
    }

    fn feed(&mut self, observation: Observation) -> usize {
        self.h.feed(&mut self.exposure, observation)
    }

    /// A flow from `src:sport` to `dst:dport` seen from its opening.
    fn start(&mut self, ms: u64, src: Endpoint, dst: Endpoint, proto: u8) -> FlowStart {
        let base = self.h.flow_from(ms, src.ip, dst.ip, dst.port, proto);
        let (key, _) = FlowKey::new(src.ip, src.port, dst.ip, dst.port, proto, 0, 0);
        FlowStart {
            id: crate::observation::FlowId {
                key,
                first_seq: base.id.first_seq,
            },
            initiator: src,
            responder: dst,
            ..base
        }
    }

    fn answer(&mut self, start: &FlowStart, ms: u64, refused: bool) -> usize {
        self.feed(Observation::FirstAnswer(FirstAnswer {
            id: start.id,
            ts: at_ms(ms),
            refused,
            answerer: start.responder,
            by_responder: true,
        }))
    }

    fn end(&mut self, start: &FlowStart, ms: u64) -> usize {
        let (_, src_is_lo) = FlowKey::new(
            start.initiator.ip,
            start.initiator.port,
            start.responder.ip,
            start.responder.port,
            start.proto,
            0,
            0,
        );
        let flow = Flow {
            key: start.id.key,
            initiator_is_lo: src_is_lo,
            midstream: start.midstream,
            media: 0,
            icmp_one_way: false,
            watched: false,
            interface: 0,
            tcp_state: None,
            tcp_flags: [0; 2],
            first_ts: start.ts,
            last_ts: at_ms(ms),
            packets: [1, 0],
            bytes: [60, 0],
            first_seq: start.id.first_seq,
        };
        self.feed(Observation::FlowEnd(FlowEnd {
            flow: Box::new(flow),
            reason: EndReason::Timeout,
        }))
    }

    /// An external host's TCP connection to the camera's `port`, answered.
    fn inbound(&mut self, ms: u64, peer: &str, port: u16) -> usize {
        let src = endpoint(ip(peer), 50_000 + (ms % 10_000) as u16, GATEWAY_MAC);
        let dst = endpoint(camera(), port, CAMERA_MAC);
        let start = self.start(ms, src, dst, 6);
        let raised = self.feed(Observation::FlowStart(start.clone()));
        raised + self.answer(&start, ms + 40, false)
    }
}

#[test]
fn a_port_forward_reached_by_five_hosts_is_one_match_per_new_host() {
    let mut site = Site::new(POLICY);
    let peers = [
        "198.51.100.7",
        "203.0.113.40",
        "192.0.2.99",
        "198.51.100.8",
        "203.0.113.41",
    ];
    let mut raised = Vec::new();
    for (n, peer) in peers.iter().enumerate() {
        raised.push(site.inbound(n as u64 * 360_000, peer, 554));
        // The same viewer reconnects a minute later: no new match.
        raised.push(site.inbound(n as u64 * 360_000 + 60_000, peer, 554));
    }
    assert_eq!(raised, [1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
    let alerts = site.h.of(RULE_VIDEO);
    let last = alerts.last().unwrap();
    assert_eq!(last.source_ip, camera());
    assert_eq!(last.source_port, Some(554));
    assert_eq!(last.destination_ip, Some(ip("203.0.113.41")));
    assert_eq!(last.evidence["service"], "rtsp");
    assert_eq!(last.evidence["direction"], "inbound");
    assert_eq!(evidence_u64(last, "external_hosts"), 5);
    assert_eq!(evidence_u64(last, "contacts"), 9);
    assert_eq!(last.camera.group.as_deref(), Some("cams"));
    // A known host past the re-match interval refreshes the incident.
    assert_eq!(site.inbound(2_400_000, "198.51.100.7", 554), 1);
    // Another service of the camera: its own family and count.
    assert_eq!(site.inbound(2_500_000, "198.51.100.7", 23), 1);
    assert_eq!(site.h.of(RULE_SHELL)[0].evidence["service"], "telnet");
    assert_eq!(evidence_u64(site.h.of(RULE_SHELL)[0], "external_hosts"), 1);
}

#[test]
fn unanswered_and_refused_probes_are_counted_not_alerted() {
    let mut site = Site::new("");
    for n in 0..50u64 {
        let src = endpoint(ip("45.33.32.156"), 40_000 + n as u16, GATEWAY_MAC);
        let dst = endpoint(camera(), 20 + n as u16, CAMERA_MAC);
        let start = site.start(n * 10, src, dst, 6);
        site.feed(Observation::FlowStart(start.clone()));
        if n % 2 == 0 {
            site.answer(&start, n * 10 + 1, true);
        }
        site.end(&start, n * 10 + 30_000);
    }
    assert!(site.h.alerts.is_empty(), "{:#?}", site.h.alerts);
    let counters = site.exposure.inbound_counters();
    assert_eq!(counters.probes_refused, 25);
    assert_eq!(counters.probes_unanswered, 25);
    assert_eq!(site.exposure.held().0, 0);
}

#[test]
fn the_policy_inbound_range_and_a_site_recorder_stay_silent() {
    let mut site = Site::new(&format!(
        "[site]\nrecorders = [\"198.51.100.200\"]\n{POLICY}"
    ));
    assert_eq!(site.inbound(0, "100.100.7.8", 554), 0, "VPN range");
    assert_eq!(site.inbound(10, "100.64.0.1", 443), 0, "any port");
    assert_eq!(
        site.inbound(20, "198.51.100.200", 554),
        0,
        "remote recorder"
    );
    assert_eq!(site.exposure.inbound_counters().allowed_by_policy, 3);
    // The same camera from elsewhere is exposure.
    assert_eq!(site.inbound(30, "198.51.100.9", 554), 1);
}

#[test]
fn outbound_conversations_are_not_exposure() {
    let mut site = Site::new(POLICY);
    // The camera's cloud session: the camera initiates.
    let cam = endpoint(camera(), 41_000, CAMERA_MAC);
    let cloud = endpoint(ip("203.0.113.10"), 443, GATEWAY_MAC);
    let start = site.start(0, cam, cloud, 6);
    site.feed(Observation::FlowStart(start.clone()));
    site.feed(Observation::FirstAnswer(FirstAnswer {
        id: start.id,
        ts: at_ms(30),
        refused: false,
        answerer: cloud,
        by_responder: true,
    }));
    // An NTP reply seen before its query: the external side is a server.
    let ntp = endpoint(ip("192.0.2.123"), 123, GATEWAY_MAC);
    let start = site.start(100, ntp, endpoint(camera(), 123, CAMERA_MAC), 17);
    site.feed(Observation::FlowStart(start.clone()));
    site.answer(&start, 1_000, false);
    // P2P: the camera sends to a peer, whose later datagrams on another
    // flow are replies.
    let peer = endpoint(ip("198.51.100.50"), 32_100, GATEWAY_MAC);
    let out = site.start(2_000, endpoint(camera(), 34_568, CAMERA_MAC), peer, 17);
    site.feed(Observation::FlowStart(out));
    let back = site.start(3_000, peer, endpoint(camera(), 34_569, CAMERA_MAC), 17);
    site.feed(Observation::FlowStart(back.clone()));
    site.answer(&back, 3_010, false);
    assert!(site.h.alerts.is_empty(), "{:#?}", site.h.alerts);
    let counters = site.exposure.inbound_counters();
    assert_eq!(counters.peer_is_server, 1, "{counters:?}");
    assert_eq!(counters.outbound_replies, 1);
}

#[test]
fn a_running_session_counts_only_on_a_camera_service_port() {
    let mut site = Site::new("");
    // Capture starts during an external viewer's RTSP session: the
    // camera's interleaved video is the first packet.
    let viewer = endpoint(ip("198.51.100.7"), 51_000, GATEWAY_MAC);
    let start = FlowStart {
        midstream: true,
        sender_is_initiator: false,
        ..site.start(0, viewer, endpoint(camera(), 554, CAMERA_MAC), 6)
    };
    assert_eq!(site.feed(Observation::FlowStart(start)), 1);
    assert_eq!(site.h.alerts[0].evidence["midstream"], true);
    // Two ephemeral ports mid-stream: direction unknown, left out.
    let other = endpoint(ip("198.51.100.8"), 52_000, GATEWAY_MAC);
    let start = FlowStart {
        midstream: true,
        sender_is_initiator: false,
        ..site.start(10, other, endpoint(camera(), 41_000, CAMERA_MAC), 6)
    };
    assert_eq!(site.feed(Observation::FlowStart(start)), 0);
    assert_eq!(site.exposure.inbound_counters().midstream_unknown_port, 1);
}

#[test]
fn hosts_that_are_not_cameras_are_not_reported() {
    let mut site = Site::new("");
    // A workstation (no camera evidence) answering an external host.
    let src = endpoint(ip("198.51.100.7"), 51_000, GATEWAY_MAC);
    let dst = endpoint(ip("10.30.0.9"), 3389, [0x02, 0, 0, 0, 0, 0x30]);
    let start = site.start(0, src, dst, 6);
    site.feed(Observation::FlowStart(start.clone()));
    site.answer(&start, 40, false);
    site.end(&start, 60_000);
    assert!(site.h.alerts.is_empty());
    assert_eq!(site.exposure.inbound_counters().answered_non_camera, 1);
}

#[test]
fn a_flood_of_inbound_probes_is_bounded() {
    let mut site = Site::new("");
    for n in 0..(MAX_PENDING as u64 + 5_000) {
        let peer = IpAddr::from((0x2d00_0000u32 + n as u32).to_be_bytes());
        let start = site.start(
            n,
            endpoint(peer, 40_000, GATEWAY_MAC),
            endpoint(camera(), 554, CAMERA_MAC),
            6,
        );
        site.feed(Observation::FlowStart(start));
    }
    assert_eq!(site.exposure.held().0, MAX_PENDING);
    assert_eq!(site.exposure.inbound_counters().pending_full, 5_000);
    assert!(site.h.alerts.is_empty());
}

#[test]
fn many_peers_keep_a_service_bounded_and_rematch_by_time() {
    let mut site = Site::new("");
    let mut raised = 0;
    for n in 0..(MAX_PEERS_PER_SERVICE as u64 + 100) {
        let peer = IpAddr::from((0x2d00_0000u32 + n as u32).to_be_bytes()).to_string();
        raised += site.inbound(n * 1_000, &peer, 80);
    }
    // One match per remembered peer, then one per re-match interval.
    assert_eq!(raised, MAX_PEERS_PER_SERVICE);
    assert_eq!(site.exposure.inbound_counters().peers_beyond_cap, 100);
    let last = site.h.alerts.last().unwrap();
    assert_eq!(last.evidence["external_hosts_capped"], true);
}

fn upnp_request(ms: u64, client_port: u16, external: u16, args_client: &str) -> Observation {
    Observation::UpnpRequest(UpnpRequest {
        ts: at_ms(ms),
        client: endpoint(camera(), client_port, CAMERA_MAC),
        router: endpoint(ip("10.20.0.1"), 5000, GATEWAY_MAC),
        action: "AddPortMapping".into(),
        control_url: "/ctl/IPConn".into(),
        args: MappingArgs {
            external_port: Some(external),
            protocol: Some("tcp"),
            internal_port: Some(554),
            internal_client: Some(args_client.into()),
            remote_host: Some("".into()),
            description: Some("IPCamera RTSP".into()),
            lease: Some(3600),
            enabled: Some(true),
        },
    })
}

fn upnp_response(ms: u64, client_port: u16, error: Option<u16>) -> Observation {
    Observation::UpnpResponse(UpnpResponse {
        ts: at_ms(ms),
        router: endpoint(ip("10.20.0.1"), 5000, GATEWAY_MAC),
        client: endpoint(camera(), client_port, CAMERA_MAC),
        status: if error.is_some() { 500 } else { 200 },
        action_response: error.is_none().then(|| "AddPortMappingResponse".into()),
        error_code: error,
        error_description: error.map(|_| "ConflictInMappingEntry".into()),
    })
}

/// The camera sends a packet first, so that it is known by its MAC.
fn camera_seen(site: &mut Site) {
    let start = site.start(
        0,
        endpoint(camera(), 40_123, CAMERA_MAC),
        endpoint(ip("10.20.0.1"), 53, GATEWAY_MAC),
        17,
    );
    site.feed(Observation::FlowStart(start));
}

#[test]
fn an_add_port_mapping_is_raised_with_the_routers_answer() {
    let mut site = Site::new("");
    camera_seen(&mut site);
    site.feed(Observation::GatewaySearch(GatewaySearch {
        ts: at_ms(100),
        searcher: endpoint(camera(), 1900, CAMERA_MAC),
        target: "urn:schemas-upnp-org:device:InternetGatewayDevice:1".into(),
    }));
    assert_eq!(site.feed(upnp_request(200, 40_500, 8554, "10.20.0.11")), 0);
    assert_eq!(site.feed(upnp_response(230, 40_500, None)), 1);
    let alert = site.h.of(RULE_UPNP)[0].clone();
    assert_eq!(alert.evidence["external_port"], 8554);
    assert_eq!(alert.evidence["internal_client"], "10.20.0.11");
    assert_eq!(alert.evidence["internal_port"], 554);
    assert_eq!(alert.evidence["lease_seconds"], 3600);
    assert_eq!(alert.evidence["protocol"], "tcp");
    assert_eq!(alert.evidence["description"], "IPCamera RTSP");
    assert_eq!(alert.evidence["answer"]["result"], "accepted");
    assert_eq!(
        alert.evidence["gateway_search"]["target"],
        "urn:schemas-upnp-org:device:InternetGatewayDevice:1"
    );
    assert_eq!(alert.destination_ip, Some(ip("10.20.0.1")));
    // A refusal (718) of another external port is raised too.
    site.feed(upnp_request(1_000, 40_501, 80, "10.20.0.11"));
    assert_eq!(site.feed(upnp_response(1_020, 40_501, Some(718))), 1);
    let refused = &site.h.of(RULE_UPNP)[1];
    assert_eq!(refused.evidence["answer"]["result"], "refused");
    assert_eq!(
        refused.evidence["answer"]["error_name"],
        "ConflictInMappingEntry"
    );
    // The lease renewal counts as the mapping's second request.
    site.feed(upnp_request(1_800_000, 40_900, 8554, "10.20.0.11"));
    site.feed(upnp_response(1_800_020, 40_900, None));
    assert_eq!(evidence_u64(site.h.of(RULE_UPNP)[2], "requests"), 2);
}

#[test]
fn an_unanswered_request_is_raised_after_the_wait_and_at_the_end() {
    let mut site = Site::new("");
    camera_seen(&mut site);
    site.feed(upnp_request(100, 40_500, 8554, "10.20.0.11"));
    // A retransmission is folded; the next observation past the wait
    // raises it.
    site.feed(upnp_request(300, 40_500, 8554, "10.20.0.11"));
    assert_eq!(site.exposure.mapping_counters().retransmissions, 1);
    camera_seen(&mut site);
    assert!(site.h.alerts.is_empty());
    let later = site.start(
        6_000,
        endpoint(camera(), 40_124, CAMERA_MAC),
        endpoint(ip("10.20.0.1"), 53, GATEWAY_MAC),
        17,
    );
    assert_eq!(site.feed(Observation::FlowStart(later)), 1);
    assert_eq!(site.h.alerts[0].evidence["answer"]["result"], "none");
    site.feed(upnp_request(7_000, 40_600, 9000, "10.20.0.11"));
    site.h.finish(&mut site.exposure, at_ms(8_000));
    assert_eq!(site.h.alerts.len(), 2);
    assert_eq!(site.exposure.held().2, 0);
}

#[test]
fn a_pc_mapping_a_port_for_a_camera_is_about_the_camera() {
    let mut site = Site::new("");
    camera_seen(&mut site);
    let pc = ip("10.20.0.50");
    let mut request = upnp_request(100, 40_500, 8000, "10.20.0.11");
    if let Observation::UpnpRequest(r) = &mut request {
        r.client = endpoint(pc, 40_500, [0x02, 0, 0, 0, 0, 0x50]);
    }
    site.feed(request);
    site.h.finish(&mut site.exposure, at_ms(1_000));
    let alert = &site.h.of(RULE_UPNP)[0];
    assert_eq!(alert.source_ip, camera());
    assert_eq!(alert.evidence["requested_by"], "10.20.0.50");
    // A workstation mapping a port for itself is not a camera's business.
    let mut own = upnp_request(2_000, 40_501, 3074, "10.20.0.50");
    if let Observation::UpnpRequest(r) = &mut own {
        r.client = endpoint(pc, 40_501, [0x02, 0, 0, 0, 0, 0x50]);
    }
    site.feed(own);
    site.h.finish(&mut site.exposure, at_ms(3_000));
    assert_eq!(site.h.alerts.len(), 1);
    assert_eq!(site.exposure.mapping_counters().non_camera_requests, 1);
}

#[test]
fn a_natpmp_map_request_and_its_response() {
    let mut site = Site::new("");
    camera_seen(&mut site);
    let cam = endpoint(camera(), 5350, CAMERA_MAC);
    let router = endpoint(ip("10.20.0.1"), natpmp::PORT, GATEWAY_MAC);
    let request = |ms, lifetime| {
        Observation::PortControl(PortControl {
            ts: at_ms(ms),
            src: cam,
            dst: router,
            message: natpmp::PortControl::NatPmp(NatPmp::MapRequest {
                protocol: MapProtocol::Tcp,
                internal_port: 554,
                suggested_external_port: 554,
                lifetime,
            }),
        })
    };
    site.feed(request(100, 7200));
    site.feed(request(350, 7200));
    let response = Observation::PortControl(PortControl {
        ts: at_ms(360),
        src: router,
        dst: cam,
        message: natpmp::PortControl::NatPmp(NatPmp::MapResponse {
            protocol: MapProtocol::Tcp,
            result: 0,
            epoch: 1000,
            internal_port: 554,
            mapped_external_port: 30_554,
            lifetime: 3600,
        }),
    });
    assert_eq!(site.feed(response), 1);
    let alert = &site.h.of(RULE_NATPMP)[0];
    assert_eq!(alert.evidence["mechanism"], "nat-pmp");
    assert_eq!(alert.evidence["internal_port"], 554);
    assert_eq!(alert.evidence["lease_seconds"], 7200);
    assert_eq!(alert.evidence["answer"]["mapped_external_port"], 30_554);
    assert_eq!(alert.evidence["answer"]["granted_lease_seconds"], 3600);
    assert_eq!(alert.evidence["retransmissions"], 1);
    assert_eq!(alert.transport, Some("udp"));
    // Lifetime 0 deletes the mapping: counted.
    site.feed(request(10_000, 0));
    assert_eq!(site.exposure.mapping_counters().deletes, 1);
    assert_eq!(site.h.alerts.len(), 1);
}

#[test]
fn the_rules_are_exposure_and_listed() {
    for rule in RULES {
        assert_eq!(rule.category, crate::alert::Category::Exposure);
        assert!(crate::detect::RULES.iter().any(|r| r.id == rule.id));
    }
}

#[test]
fn a_request_body_in_the_next_segment_completes_the_request() {
    let mut site = Site::new("");
    camera_seen(&mut site);
    let mut head = upnp_request(100, 40_500, 0, "");
    if let Observation::UpnpRequest(r) = &mut head {
        r.args = MappingArgs::default();
    }
    site.feed(head);
    let Observation::UpnpRequest(full) = upnp_request(101, 40_500, 8554, "10.20.0.11") else {
        unreachable!()
    };
    site.feed(Observation::UpnpBody(crate::observation::UpnpBody {
        ts: at_ms(101),
        client: full.client,
        router: full.router,
        args: full.args,
    }));
    assert_eq!(site.feed(upnp_response(130, 40_500, None)), 1);
    let alert = &site.h.alerts[0];
    assert_eq!(alert.evidence["external_port"], 8554);
    assert_eq!(alert.evidence["arguments_seen"], true);
    assert_eq!(alert.evidence["internal_port"], 554);
}
