//! Unit tests of the scan detector: the scan-specific harness on top of
//! [`crate::detect::testing`], and one file per concept.

mod internet;
mod lan;
mod memory;
mod sweep;
mod walk;

use std::ops::{Deref, DerefMut};

use serde_json::json;

use super::*;
use crate::alert::Rule;
use crate::decode::{Decoded, LinkType, decode};
use crate::detect::Baseline;
use crate::detect::testing::{self, evidence_u64};
use crate::flow::{Flow, FlowKey, FlowTable, Timeouts};
use crate::observation::{Arp, DnsAnswer, Endpoint, FlowStart, RtspServer};

const CAM: [u8; 4] = [10, 0, 0, 10];
const WORKSTATION: [u8; 4] = [10, 0, 0, 99];

fn ip(a: [u8; 4]) -> IpAddr {
    IpAddr::from(a)
}

/// Host `n` of 10.0.2.0/24: nothing allows it.
fn stranger(n: u32) -> IpAddr {
    IpAddr::from([10, 0, 2 + (n / 250) as u8, (n % 250) as u8 + 1])
}

/// Recorder `n` of 10.1.0.0/16 (the policy lists the whole block).
fn recorder(n: u32) -> IpAddr {
    IpAddr::from([10, 1, (n / 250) as u8, (n % 250) as u8 + 1])
}

fn at(ms: u64) -> Timestamp {
    testing::at_ms(ms)
}

const POLICY: &str = r#"
    [site]
    recorders = ["10.1.0.0/16"]
    dns = ["10.0.0.1"]
    ntp = ["10.0.0.1"]
"#;

/// The scan detector on a hand-made site: 10.0.0.10 is a camera (it
/// answered RTSP), 10.1.0.0/16 are recorders, 10.0.0.1 serves DNS/NTP.
/// Derefs to the shared harness (`alerts`, `knowledge`, `seq`, `of`).
struct Harness {
    site: testing::Harness,
    scan: Scan,
}

impl Deref for Harness {
    type Target = testing::Harness;

    fn deref(&self) -> &testing::Harness {
        &self.site
    }
}

impl DerefMut for Harness {
    fn deref_mut(&mut self) -> &mut testing::Harness {
        &mut self.site
    }
}

impl Harness {
    fn new() -> Harness {
        Harness::with_policy(POLICY, 0)
    }

    fn with_policy(text: &str, learn_for: Nanos) -> Harness {
        let mut site = testing::Harness::new(text, Baseline::default(), learn_for);
        let scan = Scan::new(&site.policy().detect().scan);
        site.knowledge.observe(&Observation::RtspServer(RtspServer {
            ts: at(0),
            server: Endpoint {
                ip: ip(CAM),
                port: 554,
                mac: [0; 6],
            },
            banner: None,
        }));
        Harness { site, scan }
    }

    fn feed(&mut self, observation: Observation) {
        self.site.feed(&mut self.scan, observation);
    }

    fn finish(&mut self, now: Timestamp) {
        self.site.finish(&mut self.scan, now);
    }

    /// A flow from `src` (ephemeral port) to `dst:port`; its id.
    fn flow_from(
        &mut self,
        ms: u64,
        src: IpAddr,
        dst: IpAddr,
        port: u16,
        proto: u8,
        dst_mac: [u8; 6],
    ) -> FlowId {
        let mut start = self.site.flow_from(ms, src, dst, port, proto);
        start.responder.mac = dst_mac;
        start.vlan = 20;
        let id = start.id;
        self.feed(Observation::FlowStart(start));
        id
    }
    /// A flow the camera starts.
    fn start(&mut self, ms: u64, dst: IpAddr, port: u16, proto: u8) -> FlowId {
        self.flow_from(ms, ip(CAM), dst, port, proto, [0; 6])
    }

    fn answer(&mut self, ms: u64, id: FlowId, refused: bool) {
        let answerer = id.key.other_end(ip(CAM));
        self.feed(Observation::FirstAnswer(FirstAnswer {
            id,
            ts: at(ms),
            refused,
            answerer: Endpoint {
                ip: answerer.0,
                port: answerer.1,
                mac: [0; 6],
            },
            by_responder: true,
        }));
    }

    fn unreachable(&mut self, ms: u64, dst: IpAddr, port: u16, proto: u8) {
        self.feed(Observation::Unreachable(Unreachable {
            ts: at(ms),
            reporter: dst,
            src: ip(CAM),
            dst,
            dst_port: port,
            proto,
        }));
    }

    fn arp(&mut self, ms: u64, operation: u16, sender: IpAddr, target: IpAddr) {
        self.feed(Observation::Arp(Arp {
            ts: at(ms),
            operation,
            sender_mac: [0; 6],
            sender_ip: sender,
            target_ip: target,
            vlan: 20,
            interface: 0,
        }));
    }

    /// Something else happening at `ms` (moves packet time on).
    fn tick(&mut self, ms: u64) {
        self.feed(Observation::DnsAnswer(DnsAnswer {
            ts: at(ms),
            client: ip(WORKSTATION),
            client_mac: [0; 6],
            name: "x.example".into(),
            address: ip([192, 0, 2, 1]),
        }));
    }
}

/// A finished flow as the flow table reports it: a TCP SYN from
/// `src:sport` (IPv4) at `ms` with input position `seq`, nothing back.
fn ended_flow(ms: u64, seq: u64, src: IpAddr, sport: u16, dst: IpAddr, dport: u16) -> Flow {
    let (IpAddr::V4(s), IpAddr::V4(d)) = (src, dst) else {
        panic!("IPv4 only");
    };
    let mut frame = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00];
    frame.extend_from_slice(&[0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0]);
    frame.extend_from_slice(&s.octets());
    frame.extend_from_slice(&d.octets());
    frame.extend_from_slice(&sport.to_be_bytes());
    frame.extend_from_slice(&dport.to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
    let Ok(Decoded::Ip(view)) = decode(LinkType::Ethernet, &frame) else {
        panic!("a TCP SYN decodes");
    };
    let mut table = FlowTable::new(16, Timeouts::default());
    let key = FlowKey::new(src, sport, dst, dport, 6, 0, 0);
    table.update(&view, key, 60, at(ms), seq, &mut |_, _| {});
    let mut ended = None;
    table.flush(at(ms + 60_000), &mut |flow, _| ended = Some(flow.clone()));
    ended.expect("the flow ends at flush")
}

/// A deterministic stream of numbers (SplitMix64) for test traffic.
fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed
        .wrapping_add(n.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A public address drawn from `x` (never one of the internal blocks).
fn public(x: u64) -> IpAddr {
    const FIRST: [u8; 16] = [
        23, 31, 45, 58, 61, 77, 89, 101, 112, 125, 141, 152, 163, 185, 203, 217,
    ];
    let b = x.to_le_bytes();
    IpAddr::from([FIRST[usize::from(b[0] % 16)], b[1], b[2], b[3].max(1)])
}

/// What comes back for a flow of a timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Back {
    /// An answer 1 ms later.
    Answer,
    /// A TCP RST 1 ms later.
    Refuse,
    /// Nothing.
    Silence,
}

/// One event of a timeline, at a time in ms.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// The camera asks ARP for an address; the host there replies 1 ms
    /// later when `true`.
    Arp(IpAddr, bool),
    /// Any ARP packet: operation, sender, target.
    RawArp(u16, IpAddr, IpAddr),
    /// The camera starts a flow to `dst:port` over `proto`.
    Flow(IpAddr, u16, u8, Back),
    /// A host starts a flow to the camera's port.
    Inbound(IpAddr, u16),
}

impl Harness {
    /// Feeds `events` in time order (stable for equal times).
    fn play(&mut self, mut events: Vec<(u64, Event)>) {
        events.sort_by_key(|(t, _)| *t);
        let cam = ip(CAM);
        for (t, event) in events {
            match event {
                Event::Arp(target, answered) => {
                    self.arp(t, 1, cam, target);
                    if answered {
                        self.arp(t + 1, 2, target, cam);
                    }
                }
                Event::RawArp(operation, sender, target) => self.arp(t, operation, sender, target),
                Event::Flow(dst, port, proto, back) => {
                    let id = self.start(t, dst, port, proto);
                    match back {
                        Back::Answer => self.answer(t + 1, id, false),
                        Back::Refuse => self.answer(t + 1, id, true),
                        Back::Silence => {}
                    }
                }
                Event::Inbound(src, port) => {
                    self.flow_from(t, src, cam, port, 6, [0; 6]);
                }
            }
        }
    }

    /// Scan alerts raised so far, as (rule id, seconds after `since_ms`).
    fn raised_since(&self, since_ms: u64) -> Vec<(&'static str, f64)> {
        self.alerts
            .iter()
            .map(|a| (a.rule.id, a.ts.since(at(since_ms)) as f64 / 1e9))
            .collect()
    }
}
