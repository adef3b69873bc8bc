//! Deterministic generator of synthetic CCTV / IP-camera network captures.
//!
//! Tests and benchmarks replay these captures instead of real customer
//! traffic. Every scenario is a pure function of its name and
//! [`SynthOptions`]: timestamps start at 2026-01-05T08:00:00Z
//! ([`scenario::BASE_TS`]) and all randomness comes from a seeded SplitMix64
//! stream, so the same arguments always give byte-identical pcap files.
//!
//! Layout:
//! - [`pcap_writer`]: classic pcap output.
//! - [`site`]: the address plan (hosts, MACs, VLANs, names, ports).
//! - [`frame`], [`dns`], [`tls`], [`apps`]: frames and protocol payloads.
//! - [`traffic`]: conversations (TCP, RTSP, RTP, DNS, ...) on a timeline.
//! - [`slice`](mod@slice): sliced frames whose uncaptured payload is never built.
//! - [`recording`]: the recorder's video sessions, already running at
//!   capture start in every small scenario.
//! - [`lifecycle`]: DHCP, ARP, boot and reboot of devices.
//! - [`scenario`]: the small scenarios built from those blocks.
//! - [`incidents`]: attack scenarios and the incidents of `site-day`.
//! - [`site_day`]: hours of a realistic site, with or without incidents.
//! - [`bulk`]: the large benchmark mixes, generated from patched templates.
//!
//! `fixtures/README.md` documents every scenario and the alerts a
//! camera-policy sensor is expected to raise or not raise on it.
//!
//! This crate is not part of the sensor and imports nothing from it: the
//! sensor's tests and benches call [`generate`] directly, and the
//! `camsentry-synth` binary (`src/main.rs`) writes the fixtures and the
//! benchmark captures.

#![deny(unsafe_code)]

use std::io::{self, Write};

pub mod apps;
pub mod bulk;
pub mod dns;
pub mod frame;
pub mod incidents;
pub mod lifecycle;
pub mod pcap_writer;
pub mod recording;
pub mod rng;
pub mod scenario;
pub mod site;
pub mod site_day;
pub mod slice;
pub mod tamper;
pub mod tls;
pub mod trace;
pub mod traffic;

pub use pcap_writer::PcapWriter;

/// Generator options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SynthOptions {
    /// Seed of the random stream.
    pub seed: u64,
    /// Packet count of the bulk scenarios (`None`: their default); ignored
    /// by the small scenarios.
    pub packets: Option<u64>,
}

const SCENARIOS: &[(&str, &str)] = &[
    (
        "camera-network",
        "5 min of a healthy site: 4 RTP streams, RTSP, DNS, NTP, cloud HTTPS, ARP, operator web UI",
    ),
    (
        "egress",
        "camera resolves update.evil.example and talks TLS to it; another telnets to raw IP 192.0.2.77",
    ),
    (
        "scan-tcp",
        "camera SYN-scans all of 10.20.0.0/24 on ports 23/80/554/8000; most probes unanswered or reset",
    ),
    (
        "scan-udp",
        "camera sends UDP probes to 100 ports of the gateway and the NVR; ICMP unreachable or silence",
    ),
    ("scan-arp", "camera ARP-sweeps 10.20.0.20-10.20.0.120"),
    (
        "scan-slow",
        "camera probes a distinct remote host on TCP 23 every 45 s for 90 min",
    ),
    (
        "exfil",
        "camera uploads 12 MB to update.evil.example (198.51.100.66:443) over 10 min; sliced frames",
    ),
    (
        "exfil-cloud",
        "camera's normal cloud chatter, then a 12 MB upload to api.camcloud.example; sliced frames",
    ),
    (
        "exfil-slow",
        "camera uploads 300 KB every 10 min for 3 h to update.evil.example; sliced frames",
    ),
    (
        "benign-onvif-poll",
        "NVR WS-Discovery probes and ONVIF/RTSP polling of all 8 cameras",
    ),
    (
        "benign-firmware",
        "camera downloads a 30 MB firmware image from api.camcloud.example; sliced frames",
    ),
    (
        "benign-video",
        "10 min of video from 4 cameras to the NVR at 10 captured packets/s each; sliced frames",
    ),
    (
        "benign-workstation",
        "operator workstation contacts 60 hosts on many ports, some refused or unanswered",
    ),
    (
        "benign-new-camera",
        "new camera 10.20.0.19 joins: DHCP, ARP probe/announce, WS-Discovery, RTSP/RTP, DNS, NTP",
    ),
    (
        "benign-reboot",
        "camera 10.20.0.11 reboots: RST, 95 s of silence, DHCP, ARP claim, NTP, cloud, RTSP set up again",
    ),
    (
        "benign-arp-refresh",
        "30 min of cameras, recorder and gateway refreshing ARP entries (unicast and broadcast)",
    ),
    (
        "camera-unplugged",
        "camera 10.20.0.11 unplugged for 10 min after 7 min of recording, then boots and is recorded again",
    ),
    (
        "camera-reboot-60s",
        "camera 10.20.0.11 reboots after 7 min of recording: RST, 60 s of silence, DHCP, recorded again",
    ),
    (
        "recorder-outage",
        "all three recorded cameras stop sending video to the NVR within 3 s and stay silent for 10 min",
    ),
    (
        "arp-takeover",
        "attacker b8:27:eb:4d:21:07 claims camera 10.20.0.16's address: gratuitous ARP, then replies to the NVR",
    ),
    (
        "ssrc-switch",
        "attacker injects RTP with a foreign SSRC into camera 10.20.0.16's running UDP stream to the NVR",
    ),
    (
        "firmware-change",
        "NVR reads camera 10.20.0.11's ONVIF device information before and after a reboot into new firmware",
    ),
    (
        "scan-slow-arp",
        "camera 10.20.0.12 probes every 20-60 s for 35 min: ARP for absent addresses, a few SYNs to live hosts",
    ),
    (
        "worm-internet",
        "Mirai-style camera 10.20.0.16: C2 lookup via 8.8.8.8 and check-in, 2,400 SYNs to Internet hosts over 10 min",
    ),
    (
        "flood-100k",
        "camera 10.20.0.14 sends 100,000 SYNs to distinct addresses (90% Internet, 10% 10.20.0.0/16) in 40 s",
    ),
    (
        "ghost-addresses",
        "installer laptop on the camera VLAN ARPs every address of 10.20.0.0/24 and probes live hosts on 80/554",
    ),
    (
        "exposed-rtsp",
        "30 min, recording running; camera 10.20.0.12's RTSP port is forwarded and 5 external viewers watch it",
    ),
    (
        "upnp-mapping",
        "camera 10.20.0.14: SSDP search for the IGD, description, AddPortMapping 8554->554 (200) and 8080->80 (718), renewal",
    ),
    (
        "natpmp-mapping",
        "camera 10.20.0.16 maps TCP 554 with NAT-PMP (retransmitted, accepted); 10.20.0.17's PCP MAP for 80 refused",
    ),
    (
        "benign-vpn-inbound",
        "operator at 100.80.12.5 (the site's VPN range) watches camera 10.20.0.12 and opens its web page",
    ),
    (
        "site-day",
        "3 h of a 16-camera site (10 video packets/s per camera), no incident; see site-day:<N>h:<N>cam:<N>pps",
    ),
    (
        "site-day-short",
        "site-day at test size: 2 h, 8 cameras, 2 video packets/s per camera",
    ),
    (
        "site-day-incidents",
        "site-day plus labelled incidents from minute 72: egress by name, slow sweep, worm burst, 50 MB upload",
    ),
    (
        "site-day-incidents-short",
        "site-day-incidents at test size: 2 h, 8 cameras, 2 video packets/s per camera",
    ),
    (
        "cctv-mix",
        "bulk benchmark: 32 cameras' RTP video plus control and background traffic (default 5,000,000 packets)",
    ),
    (
        "small-flows",
        "bulk benchmark: 64-byte request/reply pairs over 1,000,000 flows (default 2,000,000 packets)",
    ),
    (
        "identity-flood",
        "the egress site plus --packets/2 addresses (default 500,000) behind ONE Hikvision MAC, one short flow each",
    ),
    (
        "identity-flood-plain",
        "identity-flood behind a plain NIC MAC (with a 10.0.0.0/8 camera group: fixtures/policy/identity-flood.toml)",
    ),
];

/// Every scenario as `(name, one-line description)`.
pub fn scenario_names() -> &'static [(&'static str, &'static str)] {
    SCENARIOS
}

/// Writes scenario `name` as a pcap stream to `out` and returns the number
/// of packets written. An unknown name is an `InvalidInput` error listing the
/// known names.
pub fn generate<W: Write>(name: &str, options: &SynthOptions, out: W) -> io::Result<u64> {
    if let Some(trace) = scenario::build(name, options) {
        return trace?.write_to(out);
    }
    if let Some(day) = site_day::Day::parse(name) {
        let day = day.map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        return site_day::build(&day, options.seed)?.write_to(out);
    }
    match name {
        "cctv-mix" => bulk::cctv_mix(options, out),
        "small-flows" => bulk::small_flows(options, out),
        "identity-flood" => {
            bulk::identity_flood(options, bulk::identity_flood::FLOOD_CAMERA_MAKER_MAC, out)
        }
        "identity-flood-plain" => {
            bulk::identity_flood(options, bulk::identity_flood::FLOOD_PLAIN_MAC, out)
        }
        _ => {
            let names: Vec<&str> = SCENARIOS.iter().map(|(n, _)| *n).collect();
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "unknown scenario '{name}'; known scenarios: {}",
                    names.join(", ")
                ),
            ))
        }
    }
}

/// Capture parsing and checks shared by the tests of this module's files.
#[cfg(test)]
pub(crate) mod test_support {
    use etherparse::{LaxSlicedPacket, LinkExtSlice, NetSlice, SlicedPacket, TransportSlice};

    use super::{SynthOptions, generate};

    /// One record of a pcap file.
    pub struct Rec<'a> {
        pub ts: u64,
        pub orig_len: u32,
        pub data: &'a [u8],
    }

    /// Header summary of one record (all frames are tagged IPv4 or ARP
    /// without IP options, so fixed offsets work even on sliced frames).
    #[derive(Debug)]
    pub struct Pkt<'a> {
        pub ts: u64,
        /// Ethernet source and destination.
        pub macs: ([u8; 6], [u8; 6]),
        /// VLAN id.
        pub vlan: u16,
        /// ARP operation, sender and target protocol addresses.
        pub arp: Option<(u16, [u8; 4], [u8; 4])>,
        pub src: [u8; 4],
        pub dst: [u8; 4],
        pub proto: u8,
        pub sport: u16,
        pub dport: u16,
        pub flags: u8,
        /// TCP sequence number.
        pub seq: u32,
        /// Transport payload length on the wire.
        pub len: usize,
        /// Captured transport payload.
        pub payload: &'a [u8],
    }

    pub fn ip4(b: &[u8]) -> [u8; 4] {
        [b[0], b[1], b[2], b[3]]
    }

    pub fn summarize<'a>(r: &Rec<'a>) -> Pkt<'a> {
        let d = r.data;
        let be = |o: usize| u16::from_be_bytes([d[o], d[o + 1]]);
        let mut p = Pkt {
            ts: r.ts,
            macs: (d[6..12].try_into().unwrap(), d[0..6].try_into().unwrap()),
            vlan: be(14) & 0x0fff,
            arp: None,
            src: [0; 4],
            dst: [0; 4],
            proto: 0,
            sport: 0,
            dport: 0,
            flags: 0,
            seq: 0,
            len: 0,
            payload: &[],
        };
        if be(16) == 0x0806 {
            p.arp = Some((be(24), ip4(&d[32..]), ip4(&d[42..])));
            return p;
        }
        p.src = ip4(&d[30..]);
        p.dst = ip4(&d[34..]);
        p.proto = d[27];
        let total = usize::from(be(20));
        let hl = match p.proto {
            6 => usize::from(d[50] >> 4) * 4,
            17 => 8,
            _ => 8,
        };
        if p.proto == 6 || p.proto == 17 {
            p.sport = be(38);
            p.dport = be(40);
        }
        if p.proto == 6 {
            p.flags = d[51];
            p.seq = u32::from_be_bytes([d[42], d[43], d[44], d[45]]);
        }
        p.len = total - 20 - hl;
        let start = 38 + hl;
        let end = (start + p.len).min(d.len());
        p.payload = &d[start.min(end)..end];
        p
    }

    /// Splits a pcap file into records, checking the global header.
    pub fn records(pcap: &[u8]) -> Vec<Rec<'_>> {
        assert_eq!(&pcap[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(u32::from_le_bytes(pcap[20..24].try_into().unwrap()), 1);
        let mut out = Vec::new();
        let mut p = 24;
        while p < pcap.len() {
            let f = |o: usize| u32::from_le_bytes(pcap[p + o..p + o + 4].try_into().unwrap());
            let ts = u64::from(f(0)) * 1_000_000 + u64::from(f(4));
            let caplen = f(8) as usize;
            let orig_len = f(12);
            assert!(caplen as u32 <= orig_len);
            out.push(Rec {
                ts,
                orig_len,
                data: &pcap[p + 16..p + 16 + caplen],
            });
            p += 16 + caplen;
        }
        assert_eq!(p, pcap.len());
        out
    }

    /// FNV-1a, to compare outputs by hash.
    pub fn fnv(data: &[u8]) -> u64 {
        data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    /// Generates a scenario into memory.
    pub fn gen_vec(name: &str, seed: u64, packets: Option<u64>) -> (u64, Vec<u8>) {
        let mut v = Vec::new();
        let n = generate(name, &SynthOptions { seed, packets }, &mut v).unwrap();
        (n, v)
    }

    /// Parses a whole frame and checks it is VLAN-tagged and that every
    /// checksum is correct.
    pub fn check_frame(data: &[u8]) -> SlicedPacket<'_> {
        let p = SlicedPacket::from_ethernet(data).unwrap();
        assert!(matches!(p.link_exts.first(), Some(LinkExtSlice::Vlan(_))));
        if let Some(NetSlice::Ipv4(ip)) = &p.net {
            let h = ip.header().to_header();
            assert_eq!(h.header_checksum, h.calc_header_checksum());
            match &p.transport {
                Some(TransportSlice::Udp(u)) => {
                    let want = u.to_header().calc_checksum_ipv4(&h, u.payload()).unwrap();
                    assert_eq!(u.checksum(), want);
                }
                Some(TransportSlice::Tcp(t)) => {
                    let want = t.to_header().calc_checksum_ipv4(&h, t.payload()).unwrap();
                    assert_eq!(t.checksum(), want);
                }
                Some(TransportSlice::Icmpv4(i)) => {
                    assert_eq!(
                        i.checksum(),
                        i.header().icmp_type.calc_checksum(i.payload())
                    );
                }
                other => panic!("unexpected transport {other:?}"),
            }
        } else {
            assert!(matches!(p.net, Some(NetSlice::Arp(_))));
        }
        p
    }

    /// Checks a sliced frame: headers parse and the IP header checksum holds.
    pub fn check_sliced(data: &[u8], orig_len: u32) {
        let p = LaxSlicedPacket::from_ethernet(data).unwrap();
        let Some(etherparse::LaxNetSlice::Ipv4(ip)) = &p.net else {
            panic!("sliced frame without IPv4")
        };
        let h = ip.header().to_header();
        assert_eq!(h.header_checksum, h.calc_header_checksum());
        assert_eq!(usize::from(h.total_len) + 18, orig_len as usize);
    }

    /// Checks every record of a capture; returns the records.
    pub fn check_capture(pcap: &[u8]) -> Vec<Rec<'_>> {
        let recs = records(pcap);
        let mut last = 0;
        for r in &recs {
            assert!(r.ts >= last, "timestamps go backwards");
            last = r.ts;
            if r.data.len() == r.orig_len as usize {
                check_frame(r.data);
            } else {
                check_sliced(r.data, r.orig_len);
            }
        }
        recs
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    const SMALL: [&str; 30] = [
        "camera-network",
        "egress",
        "scan-tcp",
        "scan-udp",
        "scan-arp",
        "scan-slow",
        "exfil",
        "exfil-cloud",
        "exfil-slow",
        "benign-onvif-poll",
        "benign-firmware",
        "benign-video",
        "benign-workstation",
        "benign-new-camera",
        "benign-reboot",
        "benign-arp-refresh",
        "camera-unplugged",
        "camera-reboot-60s",
        "recorder-outage",
        "arp-takeover",
        "ssrc-switch",
        "firmware-change",
        "scan-slow-arp",
        "worm-internet",
        "flood-100k",
        "ghost-addresses",
        "exposed-rtsp",
        "upnp-mapping",
        "natpmp-mapping",
        "benign-vpn-inbound",
    ];

    const DAYS: [&str; 4] = [
        "site-day",
        "site-day-short",
        "site-day-incidents",
        "site-day-incidents-short",
    ];

    #[test]
    fn names_match_the_scenarios() {
        let names: Vec<&str> = scenario_names().iter().map(|(n, _)| *n).collect();
        let mut want: Vec<&str> = SMALL.to_vec();
        want.extend(DAYS);
        want.extend([
            "cctv-mix",
            "small-flows",
            "identity-flood",
            "identity-flood-plain",
        ]);
        assert_eq!(names, want);
        assert!(scenario_names().iter().all(|(_, d)| !d.is_empty()));
    }

    #[test]
    fn unknown_name_is_invalid_input_listing_names() {
        let e = generate("nope", &SynthOptions::default(), io::sink()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        let msg = e.to_string();
        assert!(msg.contains("camera-network") && msg.contains("small-flows"));
    }

    #[test]
    fn small_scenarios_are_deterministic_valid_and_small() {
        for name in SMALL.iter().chain(&["site-day-incidents-short"]) {
            let (n, a) = gen_vec(name, 7, None);
            let (_, b) = gen_vec(name, 7, None);
            assert!(a == b, "{name} differs between runs");
            let (_, c) = gen_vec(name, 8, None);
            assert!(a != c, "{name} ignores the seed");
            let recs = check_capture(&a);
            assert_eq!(recs.len() as u64, n);
            assert!(recs[0].ts >= scenario::BASE_TS);
            // Every capture starts with the recording already running.
            assert!(recs[..200].iter().any(|r| {
                let p = summarize(r);
                p.proto == 6 && p.sport == 554 && p.payload.first() == Some(&b'$')
            }));
            let limit = match *name {
                "camera-network" => 800_000,
                "benign-video" | "benign-reboot" | "upnp-mapping" | "natpmp-mapping"
                | "benign-vpn-inbound" => 10_000_000,
                "exfil" | "benign-firmware" | "worm-internet" | "flood-100k" => 16_000_000,
                "exfil-cloud" | "benign-arp-refresh" | "scan-slow" | "scan-slow-arp"
                | "exposed-rtsp" => 20_000_000,
                "exfil-slow" | "camera-unplugged" => 25_000_000,
                "recorder-outage" | "camera-reboot-60s" => 20_000_000,
                "site-day-incidents-short" => 32_000_000,
                _ => 6_000_000,
            };
            assert!(a.len() < limit, "{name} is {} bytes", a.len());
        }
    }

    #[test]
    fn bulk_scenarios_honour_packet_counts() {
        for (name, packets) in [("cctv-mix", 30_001), ("small-flows", 10_001)] {
            let (n, a) = gen_vec(name, 3, Some(packets));
            assert_eq!(n, packets);
            let (_, b) = gen_vec(name, 3, Some(packets));
            assert_eq!(fnv(&a), fnv(&b));
            assert_eq!(check_capture(&a).len() as u64, packets);
        }
    }
}
