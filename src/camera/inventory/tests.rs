//! The inventory's unit tests: roles, bounds, shared MACs.

use super::*;
use crate::flow::FlowKey;
use crate::observation::{FlowId, RtspServer};

fn flow_start(src: IpAddr, mac: [u8; 6], dst: IpAddr) -> Observation {
    let (key, _) = FlowKey::new(src, 40000, dst, 80, 6, 0, 0);
    Observation::FlowStart(FlowStart {
        id: FlowId { key, first_seq: 1 },
        ts: Timestamp::from_secs(1),
        initiator: Endpoint {
            ip: src,
            port: 40000,
            mac,
        },
        responder: Endpoint {
            ip: dst,
            port: 80,
            mac: [0; 6],
        },
        proto: 6,
        vlan: 0,
        interface: 0,
        icmp_one_way: false,
        first_bytes: 60,
        midstream: false,
        sender_is_initiator: true,
        media: false,
    })
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

const HIKVISION: [u8; 6] = [0xc0, 0x56, 0xe3, 0, 0, 1];

#[test]
fn a_full_inventory_admits_only_evidence_and_stays_bounded() {
    let policy = Policy::default();
    let mut inventory = Inventory::default();
    let server = ip("10.0.0.1");
    for n in 0..MAX_HOSTS as u32 {
        let ip = IpAddr::from((0x0a01_0000u32 + n).to_be_bytes());
        inventory.observe(&policy, &flow_start(ip, [2, 0, 0, 0, 0, 1], server));
    }
    assert_eq!(inventory.hosts.len(), MAX_HOSTS);
    // A workstation is left out, and counted; so is a camera maker's
    // MAC, which anyone can put on a packet.
    for (other, mac) in [("10.99.0.1", [2, 0, 0, 0, 0, 2]), ("10.99.0.2", HIKVISION)] {
        inventory.observe(&policy, &flow_start(ip(other), mac, server));
        assert!(inventory.host(ip(other)).is_none());
    }
    assert_eq!(inventory.untracked(), 2);
    // A host that answers RTSP still gets in, up to the hard bound.
    let rtsp = |n: u32| {
        Observation::RtspServer(RtspServer {
            ts: Timestamp::from_secs(2),
            server: Endpoint {
                ip: IpAddr::from((0x0a63_0000u32 + n).to_be_bytes()),
                port: 554,
                mac: [0; 6],
            },
            banner: None,
        })
    };
    inventory.observe(&policy, &rtsp(3));
    assert!(inventory.is_camera(&policy, ip("10.99.0.3")));
    for n in 0..20_000 {
        inventory.observe(&policy, &rtsp(100 + n));
    }
    assert_eq!(inventory.len(), MAX_HOSTS_WITH_EVIDENCE);
}

#[test]
fn addresses_that_never_sent_are_nobody() {
    let policy = Policy::from_str(
        "[[group]]\nname = \"cams\"\nmatch = { cidr = [\"10.20.0.0/24\"] }\n",
        "test",
    )
    .unwrap();
    let mut inventory = Inventory::default();
    // A laptop probes the whole camera subnet through the gateway's MAC.
    for n in 2..255u32 {
        let target = IpAddr::from((0x0a14_0000u32 + n).to_be_bytes());
        inventory.observe(
            &policy,
            &flow_start(ip("10.20.0.250"), [2, 0, 0, 0, 0, 7], target),
        );
    }
    // Only the prober is listed, and as a camera only because the
    // group selects it and it talked.
    assert_eq!(inventory.len(), 1);
    assert_eq!(inventory.cameras(&policy).len(), 1);
}

#[test]
fn a_mac_behind_many_addresses_is_a_router_not_a_camera() {
    let policy = Policy::default();
    let mut inventory = Inventory::default();
    let gateway = ip("10.20.0.1");
    // The router speaks ARP for itself with its (camera-maker) MAC ...
    inventory.observe(
        &policy,
        &Observation::Arp(Arp {
            ts: Timestamp::from_secs(1),
            operation: 1,
            sender_mac: HIKVISION,
            sender_ip: gateway,
            target_ip: ip("10.20.0.11"),
            vlan: 0,
            interface: 0,
        }),
    );
    assert!(inventory.is_camera(&policy, gateway));
    // ... and forwards the clients of another subnet with it.
    for n in 0..10u32 {
        let client = IpAddr::from((0x0a1e_0000u32 + n).to_be_bytes());
        inventory.observe(&policy, &flow_start(client, HIKVISION, ip("10.20.0.11")));
    }
    assert!(inventory.cameras(&policy).is_empty());
    assert_eq!(inventory.role(&policy, gateway), Some(Role::Gateway));
    assert_eq!(inventory.role(&policy, ip("10.30.0.5")), Some(Role::Other));
}

#[test]
fn site_services_are_not_cameras_even_inside_a_camera_group() {
    let policy = Policy::from_str(
        "[[group]]\nname = \"cams\"\nmatch = { cidr = [\"10.20.0.0/24\"] }\n",
        "test",
    )
    .unwrap();
    let mut inventory = Inventory::default();
    let (camera, dns) = (ip("10.20.0.11"), ip("10.20.0.1"));
    let (key, _) = FlowKey::new(camera, 40000, dns, 53, 17, 0, 0);
    let id = FlowId { key, first_seq: 1 };
    inventory.observe(&policy, &flow_start(camera, HIKVISION, dns));
    inventory.observe(
        &policy,
        &Observation::FirstAnswer(FirstAnswer {
            id,
            ts: Timestamp::from_secs(1),
            refused: false,
            answerer: Endpoint {
                ip: dns,
                port: 53,
                mac: [2, 0, 0, 0, 0, 1],
            },
            by_responder: true,
        }),
    );
    assert_eq!(inventory.role(&policy, dns), Some(Role::Dns));
    assert_eq!(inventory.cameras(&policy).len(), 1);
}

#[test]
fn a_host_receiving_running_video_is_a_recorder() {
    let policy = Policy::default();
    let mut inventory = Inventory::default();
    let (camera, nvr) = (ip("10.20.0.11"), ip("10.20.0.2"));
    // The capture starts inside the NVR's RTSP session: the first packet
    // is the camera's interleaved video from port 554.
    let (key, _) = FlowKey::new(camera, 554, nvr, 50123, 6, 0, 0);
    let id = FlowId { key, first_seq: 1 };
    inventory.observe(
        &policy,
        &Observation::FlowStart(FlowStart {
            id,
            ts: Timestamp::from_secs(1),
            initiator: Endpoint {
                ip: nvr,
                port: 50123,
                mac: [2, 0, 0, 0, 0, 2],
            },
            responder: Endpoint {
                ip: camera,
                port: 554,
                mac: HIKVISION,
            },
            proto: 6,
            vlan: 0,
            interface: 0,
            icmp_one_way: false,
            first_bytes: 1400,
            midstream: true,
            sender_is_initiator: false,
            media: false,
        }),
    );
    assert!(inventory.is_camera(&policy, camera));
    // The NVR's first ACK: it exists, and it pulls RTSP from a camera.
    inventory.observe(
        &policy,
        &Observation::FirstAnswer(FirstAnswer {
            id,
            ts: Timestamp::from_secs(1),
            refused: false,
            answerer: Endpoint {
                ip: nvr,
                port: 50123,
                mac: [2, 0, 0, 0, 0, 2],
            },
            by_responder: false,
        }),
    );
    assert!(inventory.is_recorder(&policy, nvr));
    assert!(!inventory.is_camera(&policy, nvr));
    assert_eq!(
        inventory.host(nvr).unwrap().role_evidence(&policy),
        ["rtsp_pull"]
    );
}

#[test]
fn plain_rtp_into_a_host_makes_it_a_recorder_but_backchannel_audio_does_not() {
    let policy = Policy::default();
    let mut inventory = Inventory::default();
    let (cam_a, cam_b, nvr) = (ip("10.20.0.11"), ip("10.20.0.12"), ip("10.20.0.2"));
    for (host, mac) in [(cam_a, HIKVISION), (cam_b, [0xc0, 0x56, 0xe3, 0, 0, 2])] {
        inventory.observe(&policy, &flow_start(host, mac, ip("10.20.0.1")));
    }
    inventory.observe(
        &policy,
        &flow_start(nvr, [2, 0, 0, 0, 0, 2], ip("10.20.0.1")),
    );
    let media = |sender: IpAddr, receiver: IpAddr| {
        let (key, _) = FlowKey::new(sender, 6000, receiver, 7000, 17, 0, 0);
        Observation::Bytes(Bytes {
            id: FlowId { key, first_seq: 9 },
            ts: Timestamp::from_secs(5),
            from_initiator: true,
            chunks: 1,
            media: true,
            sender,
        })
    };
    // Camera B sends audio to camera A (two-way audio): still a camera.
    inventory.observe(&policy, &media(cam_b, cam_a));
    assert!(inventory.is_camera(&policy, cam_a));
    inventory.observe(&policy, &media(cam_a, nvr));
    assert!(inventory.is_recorder(&policy, nvr));
    assert_eq!(
        inventory.host(nvr).unwrap().role_evidence(&policy),
        ["receives_video"]
    );
}
