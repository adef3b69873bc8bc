//! Bulk benchmark scenarios: `cctv-mix` and `small-flows`.
//!
//! These produce millions of packets, so nothing is built with
//! `PacketBuilder` per packet. Each frame type has a header template built
//! once; per packet only addresses, ports, lengths, sequence numbers and
//! identifiers are patched in place, and checksums are computed from the
//! patched header words plus a precomputed sum of the payload, which comes
//! from a shared random pool (prefix sums of its 16-bit words make the
//! payload part of any UDP/TCP checksum O(1)). Frames go to the pcap writer
//! as a patched header plus a slice of the pool, without assembling them.
//!
//! The rare control and background conversations of `cctv-mix` (RTSP
//! keep-alives, RTCP, DNS, NTP, ARP, cloud HTTPS, the workstation) are built
//! with the ordinary [`Sim`] blocks ten seconds at a time and merged in by
//! timestamp.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::io::{self, Write};

use crate::SynthOptions;
use crate::apps;
use crate::pcap_writer::PcapWriter;
use crate::rng::Rng;
use crate::scenario::BASE_TS;
use crate::site;
use crate::tls;
use crate::trace::Record;
use crate::traffic::{MS, RtspSession, SEC, Sim};

/// Default packet count of `cctv-mix`.
pub const CCTV_MIX_DEFAULT_PACKETS: u64 = 5_000_000;
/// Cameras in `cctv-mix` (see [`site::bulk_camera`]).
pub const CCTV_MIX_CAMERAS: usize = 32;
/// The last this many cameras of `cctv-mix` send RTP interleaved in their
/// RTSP TCP connection (port 554) instead of over UDP.
pub const CCTV_MIX_TCP_CAMERAS: usize = 8;
/// Video frame rate of every camera.
pub const CCTV_MIX_FPS: u64 = 25;
/// Default packet count of `small-flows`.
pub const SMALL_FLOWS_DEFAULT_PACKETS: u64 = 2_000_000;
/// Frame length of every `small-flows` packet.
pub const SMALL_FLOW_FRAME: usize = 64;
/// Distinct client addresses of `small-flows` (10.30.1.1 ..= 10.30.200.250,
/// clear of the gateway 10.30.0.1 and the workstation 10.30.0.50).
pub const SMALL_FLOWS_CLIENTS: u64 = 50_000;
/// A flow's reply follows its request after this many other requests.
pub const SMALL_FLOWS_REPLY_LAG: u64 = 1_000;

const FRAME_US: u64 = SEC / CCTV_MIX_FPS;
/// Cameras' frame times are staggered by this much.
const SLOT_US: u64 = FRAME_US / CCTV_MIX_CAMERAS as u64;
/// Spacing of the packets of one video frame (≈ 1400 bytes at 1 Gbit/s).
const PKT_GAP: u64 = 12;
/// Full packets of a key frame.
const IFRAME_FULL: u64 = 30;
/// Key frame every this many frames (2 s GOP).
const GOP: u64 = 50;
const POOL_LEN: usize = 1 << 16;
const SIDE_WINDOW: u64 = 10 * SEC;

// ------------------------------------------------------------ checksums --

/// Adds the big-endian 16-bit words of `data` to `sum`; an odd last byte is
/// padded with zero (only valid for the final part of a checksummed range).
fn add_words(mut sum: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = chunks.remainder() {
        sum += u64::from(*b) << 8;
    }
    sum
}

/// Folds a one's-complement sum into a checksum field value.
fn fold(mut sum: u64) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn ip_checksum(ip: &mut [u8]) {
    ip[10] = 0;
    ip[11] = 0;
    let c = fold(add_words(0, &ip[..20]));
    ip[10..12].copy_from_slice(&c.to_be_bytes());
}

fn pseudo_sum(src: [u8; 4], dst: [u8; 4], proto: u8, len: usize) -> u64 {
    add_words(add_words(0, &src), &dst) + u64::from(proto) + len as u64
}

/// Random bytes shared by all payloads, with prefix sums of its words.
struct Pool {
    bytes: Vec<u8>,
    prefix: Vec<u64>,
}

impl Pool {
    fn new(rng: &mut Rng) -> Pool {
        let bytes = rng.bytes(POOL_LEN);
        let mut prefix = Vec::with_capacity(POOL_LEN / 2 + 1);
        let mut acc = 0u64;
        prefix.push(0);
        for w in bytes.chunks_exact(2) {
            acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
            prefix.push(acc);
        }
        Pool { bytes, prefix }
    }

    /// Payload of `len` bytes at an even offset, with its word sum.
    fn slice(&self, rng: &mut Rng, len: usize) -> (&[u8], u64) {
        let slots = (POOL_LEN - len) / 2;
        let off = rng.below(slots as u64) as usize * 2;
        let mut sum = self.prefix[(off + len) / 2] - self.prefix[off / 2];
        if len % 2 == 1 {
            sum += u64::from(self.bytes[off + len - 1]) << 8;
        }
        (&self.bytes[off..off + len], sum)
    }
}

/// Ethernet + 802.1Q + IPv4 header prefix of a template (34 + 4 bytes).
fn l2_ip(
    src_mac: [u8; 6],
    dst_mac: [u8; 6],
    vlan: u16,
    ttl: u8,
    proto: u8,
    src: [u8; 4],
    dst: [u8; 4],
) -> [u8; 38] {
    let mut h = [0u8; 38];
    h[0..6].copy_from_slice(&dst_mac);
    h[6..12].copy_from_slice(&src_mac);
    h[12..14].copy_from_slice(&0x8100u16.to_be_bytes());
    h[14..16].copy_from_slice(&(vlan & 0x0fff).to_be_bytes());
    h[16..18].copy_from_slice(&0x0800u16.to_be_bytes());
    h[18] = 0x45;
    h[24] = 0x40; // DF
    h[26] = ttl;
    h[27] = proto;
    h[30..34].copy_from_slice(&src);
    h[34..38].copy_from_slice(&dst);
    h
}

// ------------------------------------------------------------ cctv-mix --

/// Per-camera stream state and header template.
struct Cam {
    tcp: bool,
    head: [u8; 76],
    ack: [u8; 64],
    pseudo: u64,
    ack_pseudo: u64,
    ip_id: u16,
    nvr_ip_id: u16,
    rtp_seq: u16,
    rtp_ts: u32,
    tcp_seq: u32,
    nvr_seq: u32,
    unacked: u32,
    phase: u64,
}

impl Cam {
    fn new(i: usize, rng: &mut Rng) -> Cam {
        let host = site::bulk_camera(i);
        let nvr = site::NVR;
        let tcp = i >= CCTV_MIX_CAMERAS - CCTV_MIX_TCP_CAMERAS;
        let proto = if tcp { 6 } else { 17 };
        let mut head = [0u8; 76];
        head[..38].copy_from_slice(&l2_ip(
            host.mac, nvr.mac, host.vlan, host.ttl, proto, host.ip, nvr.ip,
        ));
        let nvr_port = if tcp {
            rng.ephemeral_port()
        } else {
            site::nvr_rtp_port(i)
        };
        let rtp_at = if tcp {
            head[38..40].copy_from_slice(&site::RTSP_PORT.to_be_bytes());
            head[40..42].copy_from_slice(&nvr_port.to_be_bytes());
            head[50] = 0x50; // data offset 5 words
            head[51] = 0x18; // PSH+ACK
            head[52..54].copy_from_slice(&509u16.to_be_bytes());
            head[58] = b'$'; // RTSP interleaved frame, channel 0
            head[59] = 0;
            62
        } else {
            head[38..40].copy_from_slice(&site::CAMERA_RTP_PORT.to_be_bytes());
            head[40..42].copy_from_slice(&nvr_port.to_be_bytes());
            46
        };
        head[rtp_at] = 0x80;
        head[rtp_at + 8..rtp_at + 12].copy_from_slice(&site::camera_ssrc(i).to_be_bytes());
        head[rtp_at + 12] = 0x60 | 28;

        let mut ack = [0u8; 64];
        ack[..38].copy_from_slice(&l2_ip(
            nvr.mac, host.mac, nvr.vlan, nvr.ttl, 6, nvr.ip, host.ip,
        ));
        ack[20..22].copy_from_slice(&40u16.to_be_bytes());
        ack[38..40].copy_from_slice(&nvr_port.to_be_bytes());
        ack[40..42].copy_from_slice(&site::RTSP_PORT.to_be_bytes());
        ack[50] = 0x50;
        ack[51] = 0x10; // ACK
        ack[52..54].copy_from_slice(&1_444u16.to_be_bytes());
        Cam {
            tcp,
            head,
            ack,
            pseudo: pseudo_sum(host.ip, nvr.ip, proto, 0),
            ack_pseudo: pseudo_sum(nvr.ip, host.ip, 6, 20),
            ip_id: rng.next_u16(),
            nvr_ip_id: rng.next_u16(),
            rtp_seq: rng.next_u16(),
            rtp_ts: rng.next_u32(),
            tcp_seq: rng.next_u32(),
            nvr_seq: rng.next_u32(),
            unacked: 0,
            phase: i as u64 % GOP,
        }
    }

    fn head_len(&self) -> usize {
        if self.tcp { 76 } else { 60 }
    }

    /// Patches the template for one video packet of `frame_len` bytes whose
    /// payload (after the FU header) sums to `body_sum`.
    fn patch(&mut self, frame_len: usize, body_sum: u64, first: bool, last: bool, idr: bool) {
        let h = &mut self.head;
        let ip_len = frame_len - 18;
        h[20..22].copy_from_slice(&(ip_len as u16).to_be_bytes());
        self.ip_id = self.ip_id.wrapping_add(1);
        h[22..24].copy_from_slice(&self.ip_id.to_be_bytes());
        ip_checksum(&mut h[18..38]);
        let rtp_at = if self.tcp { 62 } else { 46 };
        h[rtp_at + 1] = apps::RTP_PT_H264 | if last { 0x80 } else { 0 };
        h[rtp_at + 2..rtp_at + 4].copy_from_slice(&self.rtp_seq.to_be_bytes());
        self.rtp_seq = self.rtp_seq.wrapping_add(1);
        h[rtp_at + 4..rtp_at + 8].copy_from_slice(&self.rtp_ts.to_be_bytes());
        h[rtp_at + 13] =
            if idr { 5 } else { 1 } | if first { 0x80 } else { 0 } | if last { 0x40 } else { 0 };
        let l4_len = ip_len - 20;
        if self.tcp {
            h[42..46].copy_from_slice(&self.tcp_seq.to_be_bytes());
            h[46..50].copy_from_slice(&self.nvr_seq.to_be_bytes());
            let rtp_len = l4_len - 20 - 4;
            h[60..62].copy_from_slice(&(rtp_len as u16).to_be_bytes());
            h[54] = 0;
            h[55] = 0;
            let sum = self.pseudo + l4_len as u64 + add_words(0, &h[38..76]) + body_sum;
            h[54..56].copy_from_slice(&fold(sum).to_be_bytes());
            self.tcp_seq = self.tcp_seq.wrapping_add((l4_len - 20) as u32);
        } else {
            h[42..44].copy_from_slice(&(l4_len as u16).to_be_bytes());
            h[44] = 0;
            h[45] = 0;
            let sum = self.pseudo + l4_len as u64 + add_words(0, &h[38..60]) + body_sum;
            let c = match fold(sum) {
                0 => 0xffff,
                c => c,
            };
            h[44..46].copy_from_slice(&c.to_be_bytes());
        }
    }

    /// Patches the recorder's ACK of everything received so far.
    fn patch_ack(&mut self) {
        let a = &mut self.ack;
        self.nvr_ip_id = self.nvr_ip_id.wrapping_add(1);
        a[22..24].copy_from_slice(&self.nvr_ip_id.to_be_bytes());
        ip_checksum(&mut a[18..38]);
        a[42..46].copy_from_slice(&self.nvr_seq.to_be_bytes());
        a[46..50].copy_from_slice(&self.tcp_seq.to_be_bytes());
        a[54] = 0;
        a[55] = 0;
        let c = fold(self.ack_pseudo + add_words(0, &a[38..58]));
        a[54..56].copy_from_slice(&c.to_be_bytes());
    }
}

/// A background frame waiting to be merged by time.
struct Pending {
    ts: u64,
    order: u64,
    data: Vec<u8>,
}

impl PartialEq for Pending {
    fn eq(&self, o: &Self) -> bool {
        (self.ts, self.order) == (o.ts, o.order)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Pending {
    fn cmp(&self, o: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and the earliest must come out.
        (o.ts, o.order).cmp(&(self.ts, self.order))
    }
}

/// Control and background traffic of the bulk site, built window by window.
struct Side {
    sim: Sim,
    sessions: Vec<RtspSession>,
    heap: BinaryHeap<Pending>,
    order: u64,
    next_window: u64,
}

impl Side {
    fn new(seed: u64) -> Side {
        let mut sim = Sim::new(seed);
        let mut sessions = Vec::new();
        for i in 0..CCTV_MIX_CAMERAS - CCTV_MIX_TCP_CAMERAS {
            let cam = site::bulk_camera_info(i);
            let port = sim.rng.ephemeral_port();
            let tcp = sim.tcp(&site::NVR, &cam.host, port, site::RTSP_PORT);
            let cseq = 100 + sim.rng.below(400) as u32;
            let session = format!("{:08X}", sim.rng.next_u32());
            sessions.push(RtspSession {
                tcp,
                cam,
                cseq,
                session,
                url: apps::rtsp_url(&cam),
            });
        }
        Side {
            sim,
            sessions,
            heap: BinaryHeap::new(),
            order: 0,
            next_window: BASE_TS,
        }
    }

    /// Builds the conversations starting in the next window.
    fn fill(&mut self) -> io::Result<()> {
        let w0 = self.next_window;
        self.next_window += SIDE_WINDOW;
        let sim = &mut self.sim;
        let n_udp = self.sessions.len();
        let nvr = site::NVR;
        for (i, s) in self.sessions.iter_mut().enumerate() {
            let cam = s.cam.host;
            // RTCP every 5 s per UDP stream.
            for k in 0..2 {
                let t = w0 + k * 5 * SEC + i as u64 * 151 * MS;
                let ssrc = site::camera_ssrc(i);
                let rtp_port = site::nvr_rtp_port(i);
                let sr = apps::rtcp_sender_report(
                    ssrc,
                    t,
                    (t / 11) as u32,
                    (t / 7_000) as u32,
                    (t / 5) as u32,
                    "cam",
                );
                sim.udp(
                    t,
                    &cam,
                    &nvr,
                    (site::CAMERA_RTP_PORT + 1, rtp_port + 1),
                    &sr,
                )?;
                let rr = apps::rtcp_receiver_report(
                    0x4e56_5200 + i as u32,
                    ssrc,
                    (t / 7_000) as u32,
                    9,
                    "nvr",
                );
                sim.udp(
                    t + 700,
                    &nvr,
                    &cam,
                    (rtp_port + 1, site::CAMERA_RTP_PORT + 1),
                    &rr,
                )?;
            }
            // RTSP keep-alive every 30 s.
            if (w0 - BASE_TS) / SIDE_WINDOW % 3 == i as u64 % 3 {
                sim.rtsp_keepalive(w0 + 300 * MS + i as u64 * 97 * MS, s)?;
            }
        }
        // NTP: each camera every 64 s or so.
        for i in 0..CCTV_MIX_CAMERAS {
            if sim.rng.chance(SIDE_WINDOW / SEC, 64) {
                let t = w0 + sim.rng.below(SIDE_WINDOW - SEC);
                sim.ntp_sync(t, &site::bulk_camera(i))?;
            }
        }
        // DNS and ARP.
        for _ in 0..2 {
            let cam = site::bulk_camera(sim.rng.below(n_udp as u64) as usize);
            let t = w0 + sim.rng.below(SIDE_WINDOW - SEC);
            sim.resolve(t, &cam, site::CLOUD_P2P_NAME, site::CLOUD_P2P.ip, false)?;
            let t = w0 + sim.rng.below(SIDE_WINDOW - SEC);
            sim.arp(t, &nvr, cam.ip, Some(&cam))?;
        }
        // A short cloud session from one camera.
        let cam = site::bulk_camera(sim.rng.below(CCTV_MIX_CAMERAS as u64) as usize);
        let hello = tls::Hello {
            sni: Some(site::CLOUD_P2P_NAME),
            alpn: &[],
        };
        let t = w0 + sim.rng.below(SIDE_WINDOW / 2);
        sim.https(t, &cam, &site::CLOUD_P2P, &hello, &[(420, 900)])?;
        // The operator's browser polls the recorder.
        let t = w0 + sim.rng.below(SIDE_WINDOW / 2);
        sim.http_browse(
            t,
            &site::WORKSTATION,
            &nvr,
            site::NVR_HTTP_SERVER,
            &[("/ISAPI/System/status", 700, "application/xml")],
        )?;

        for Record { ts, data, .. } in sim.trace.take_sorted() {
            self.order += 1;
            self.heap.push(Pending {
                ts,
                order: self.order,
                data,
            });
        }
        Ok(())
    }

    /// Writes pending frames up to `until`, stopping at `limit` packets.
    fn flush<W: Write>(&mut self, w: &mut PcapWriter<W>, until: u64, limit: u64) -> io::Result<()> {
        while w.packets() < limit {
            match self.heap.peek() {
                Some(p) if p.ts <= until => {}
                _ => break,
            }
            if let Some(p) = self.heap.pop() {
                w.write_frame(p.ts, &p.data)?;
            }
        }
        Ok(())
    }
}

/// `cctv-mix`: RTP video from 32 cameras to the recorder (24 over UDP, 8
/// interleaved over RTSP/TCP with the recorder's ACKs), with RTSP, RTCP,
/// DNS, NTP, ARP, cloud HTTPS and workstation traffic merged in. Full-length
/// frames. Returns the packet count, exactly `options.packets` (default
/// [`CCTV_MIX_DEFAULT_PACKETS`]).
pub fn cctv_mix<W: Write>(options: &SynthOptions, out: W) -> io::Result<u64> {
    let limit = options.packets.unwrap_or(CCTV_MIX_DEFAULT_PACKETS);
    let mut rng = Rng::new(options.seed ^ 0xcc7f_0001);
    let pool = Pool::new(&mut rng);
    let mut cams: Vec<Cam> = (0..CCTV_MIX_CAMERAS)
        .map(|i| Cam::new(i, &mut rng))
        .collect();
    let mut side = Side::new(options.seed ^ 0xcc7f_0002);
    let mut w = PcapWriter::new(out)?;
    let mut frame_no: u64 = 0;
    while w.packets() < limit {
        let frame_t = BASE_TS + frame_no * FRAME_US;
        // Background conversations are built a second ahead of the video.
        while side.next_window <= frame_t + SEC {
            side.fill()?;
        }
        for (c, cam) in cams.iter_mut().enumerate() {
            let t0 = frame_t + c as u64 * SLOT_US;
            let idr = (frame_no + cam.phase).is_multiple_of(GOP);
            let full = if idr { IFRAME_FULL } else { rng.below(3) };
            let n = full + 1;
            for k in 0..n {
                if w.packets() >= limit {
                    break;
                }
                let ts = t0 + k * PKT_GAP;
                side.flush(&mut w, ts, limit)?;
                if w.packets() >= limit {
                    break;
                }
                let frame_len = if k < full {
                    1_300 + rng.below(101) as usize
                } else {
                    140 + rng.below(1_177) as usize
                };
                let hl = cam.head_len();
                let (body, sum) = pool.slice(&mut rng, frame_len - hl);
                cam.patch(frame_len, sum, k == 0, k + 1 == n, idr);
                w.write_frame_parts(ts, &cam.head[..hl], body)?;
                if cam.tcp {
                    cam.unacked += 1;
                    if cam.unacked == 2 {
                        let at = ts + PKT_GAP / 2;
                        side.flush(&mut w, at, limit)?;
                        if w.packets() < limit {
                            cam.unacked = 0;
                            cam.patch_ack();
                            w.write_frame(at, &cam.ack)?;
                        }
                    }
                }
            }
            cam.rtp_ts = cam.rtp_ts.wrapping_add(90_000 / CCTV_MIX_FPS as u32);
        }
        frame_no += 1;
    }
    let n = w.packets();
    w.finish()?.flush()?;
    Ok(n)
}

// --------------------------------------------------------- small-flows --

/// Header templates of the four `small-flows` frame kinds.
struct SmallTemplates {
    dns_query: [u8; SMALL_FLOW_FRAME],
    dns_reply: [u8; SMALL_FLOW_FRAME],
    syn: [u8; SMALL_FLOW_FRAME],
    rst: [u8; SMALL_FLOW_FRAME],
}

/// DNS priming-style query for the root (`.` NS): 17 bytes.
const DNS_LEN: usize = 17;

impl SmallTemplates {
    fn new() -> SmallTemplates {
        let resolver = site::GATEWAY_WS;
        let mut dns_query = [0u8; SMALL_FLOW_FRAME];
        dns_query[..38].copy_from_slice(&l2_ip(
            [0; 6],
            resolver.mac,
            site::WORKSTATION_VLAN,
            128,
            17,
            [0; 4],
            resolver.ip,
        ));
        dns_query[20..22].copy_from_slice(&((20 + 8 + DNS_LEN) as u16).to_be_bytes());
        dns_query[40..42].copy_from_slice(&53u16.to_be_bytes());
        dns_query[42..44].copy_from_slice(&((8 + DNS_LEN) as u16).to_be_bytes());
        // id, flags RD, QDCOUNT 1, root name, type NS, class IN.
        dns_query[46..63].copy_from_slice(&[0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]);

        let mut dns_reply = [0u8; SMALL_FLOW_FRAME];
        dns_reply[..38].copy_from_slice(&l2_ip(
            resolver.mac,
            [0; 6],
            site::WORKSTATION_VLAN,
            64,
            17,
            resolver.ip,
            [0; 4],
        ));
        dns_reply[20..22].copy_from_slice(&((20 + 8 + DNS_LEN) as u16).to_be_bytes());
        dns_reply[38..40].copy_from_slice(&53u16.to_be_bytes());
        dns_reply[42..44].copy_from_slice(&((8 + DNS_LEN) as u16).to_be_bytes());
        // Response, RD+RA, REFUSED: the resolver does not serve the root.
        dns_reply[46..63]
            .copy_from_slice(&[0, 0, 0x81, 0x85, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]);

        let gw = site::GATEWAY_MAC;
        let mut syn = [0u8; SMALL_FLOW_FRAME];
        syn[..38].copy_from_slice(&l2_ip(
            [0; 6],
            gw,
            site::WORKSTATION_VLAN,
            128,
            6,
            [0; 4],
            [0; 4],
        ));
        syn[20..22].copy_from_slice(&40u16.to_be_bytes());
        syn[40..42].copy_from_slice(&8443u16.to_be_bytes());
        syn[50] = 0x50;
        syn[51] = 0x02; // SYN
        syn[52..54].copy_from_slice(&64_240u16.to_be_bytes());

        let mut rst = [0u8; SMALL_FLOW_FRAME];
        rst[..38].copy_from_slice(&l2_ip(
            gw,
            [0; 6],
            site::WORKSTATION_VLAN,
            63,
            6,
            [0; 4],
            [0; 4],
        ));
        rst[20..22].copy_from_slice(&40u16.to_be_bytes());
        rst[38..40].copy_from_slice(&8443u16.to_be_bytes());
        rst[50] = 0x50;
        rst[51] = 0x14; // RST+ACK
        SmallTemplates {
            dns_query,
            dns_reply,
            syn,
            rst,
        }
    }
}

/// Client of flow `i`: address, MAC and source port.
fn small_flow_client(i: u64) -> ([u8; 4], [u8; 6], u16) {
    let c = i % SMALL_FLOWS_CLIENTS;
    let ip = [10, 30, (1 + c / 250) as u8, (1 + c % 250) as u8];
    let mac = [
        0xf8,
        0xbc,
        0x12,
        0x40 | (c >> 16) as u8,
        (c >> 8) as u8,
        c as u8,
    ];
    let port = 1_024 + (i / SMALL_FLOWS_CLIENTS) as u16;
    (ip, mac, port)
}

/// Builds packet `reply` of flow `i` into `f`.
fn small_flow_packet(t: &SmallTemplates, i: u64, reply: bool, f: &mut [u8; SMALL_FLOW_FRAME]) {
    let (client, mac, port) = small_flow_client(i);
    // Fixed per-flow values derived from the index keep the output a pure
    // function of the flow number.
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let tcp = i % 2 == 1;
    *f = match (tcp, reply) {
        (false, false) => t.dns_query,
        (false, true) => t.dns_reply,
        (true, false) => t.syn,
        (true, true) => t.rst,
    };
    let server = if tcp {
        site::bulk_camera((i / 2 % CCTV_MIX_CAMERAS as u64) as usize).ip
    } else {
        site::GATEWAY_WS.ip
    };
    let (src, dst) = if reply {
        (server, client)
    } else {
        (client, server)
    };
    if reply {
        f[0..6].copy_from_slice(&mac);
    } else {
        f[6..12].copy_from_slice(&mac);
    }
    f[22..24].copy_from_slice(&((h >> 16) as u16 ^ u16::from(reply)).to_be_bytes());
    f[30..34].copy_from_slice(&src);
    f[34..38].copy_from_slice(&dst);
    ip_checksum(&mut f[18..38]);
    // The client's port is the source of requests, the destination of replies.
    let at = if reply { 40 } else { 38 };
    f[at..at + 2].copy_from_slice(&port.to_be_bytes());
    if tcp {
        let isn = (h >> 32) as u32;
        if reply {
            f[42..46].copy_from_slice(&0u32.to_be_bytes());
            f[46..50].copy_from_slice(&isn.wrapping_add(1).to_be_bytes());
        } else {
            f[42..46].copy_from_slice(&isn.to_be_bytes());
        }
        f[54] = 0;
        f[55] = 0;
        let c = fold(pseudo_sum(src, dst, 6, 20) + add_words(0, &f[38..58]));
        f[54..56].copy_from_slice(&c.to_be_bytes());
    } else {
        f[46..48].copy_from_slice(&(h as u16).to_be_bytes());
        f[44] = 0;
        f[45] = 0;
        let len = 8 + DNS_LEN;
        let c = match fold(pseudo_sum(src, dst, 17, len) + add_words(0, &f[38..38 + len])) {
            0 => 0xffff,
            c => c,
        };
        f[44..46].copy_from_slice(&c.to_be_bytes());
    }
}

/// `small-flows`: 64-byte request/reply pairs (DNS root query answered
/// REFUSED, or TCP SYN to a closed port answered RST/ACK) between 50,000
/// workstation-VLAN clients and the gateway or the cameras. Flow `i`'s reply
/// comes [`SMALL_FLOWS_REPLY_LAG`] requests after its request, one packet
/// per µs, so every flow is still live when the capture ends. Returns the
/// packet count, exactly `options.packets` (default
/// [`SMALL_FLOWS_DEFAULT_PACKETS`], i.e. 1,000,000 flows).
pub fn small_flows<W: Write>(options: &SynthOptions, out: W) -> io::Result<u64> {
    let limit = options.packets.unwrap_or(SMALL_FLOWS_DEFAULT_PACKETS);
    let flows = limit.div_ceil(2);
    let lag = SMALL_FLOWS_REPLY_LAG.min(flows);
    let t = SmallTemplates::new();
    let mut f = [0u8; SMALL_FLOW_FRAME];
    let mut w = PcapWriter::new(out)?;
    // The seed only moves the start time, so that the flow layout (which
    // tests and benchmarks rely on) stays fixed.
    let mut ts = BASE_TS + (options.seed % 1_000);
    let mut k = 0;
    while w.packets() < limit {
        if k < flows {
            small_flow_packet(&t, k, false, &mut f);
            w.write_frame(ts, &f)?;
            ts += 1;
        }
        if k >= lag && w.packets() < limit {
            small_flow_packet(&t, k - lag, true, &mut f);
            w.write_frame(ts, &f)?;
            ts += 1;
        }
        k += 1;
    }
    let n = w.packets();
    w.finish()?.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{check_frame, gen_vec, records};
    use etherparse::{SlicedPacket, TransportSlice};
    use std::collections::HashSet;

    #[test]
    fn checksum_functions_match_known_values() {
        // RFC 1071 example words.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(add_words(0, &data)), !0xddf2);
        let mut rng = Rng::new(1);
        let pool = Pool::new(&mut rng);
        for len in [1, 2, 3, 1_341] {
            let (s, sum) = pool.slice(&mut rng, len);
            assert_eq!(s.len(), len);
            assert_eq!(sum, add_words(0, s));
        }
    }

    #[test]
    fn cctv_mix_shape() {
        let (n, pcap) = gen_vec("cctv-mix", 5, Some(60_000));
        assert_eq!(n, 60_000);
        let recs = records(&pcap);
        let total: u64 = recs.iter().map(|r| u64::from(r.orig_len)).sum();
        let avg = total / n;
        assert!((950..=1_020).contains(&avg), "average frame {avg}");
        let mut video = 0;
        let mut sources = HashSet::new();
        let mut kinds = HashSet::new();
        for r in &recs {
            assert_eq!(r.data.len(), r.orig_len as usize, "bulk frames are whole");
            let p = check_frame(r.data);
            match p.transport {
                Some(TransportSlice::Udp(u)) if u.source_port() == site::CAMERA_RTP_PORT => {
                    video += 1;
                    assert_eq!(u.payload()[0] >> 6, 2);
                    sources.insert(r.data[33]);
                }
                Some(TransportSlice::Tcp(t))
                    if t.source_port() == site::RTSP_PORT && t.payload().len() > 1_000 =>
                {
                    video += 1;
                    assert_eq!(t.payload()[0], b'$');
                    sources.insert(r.data[33]);
                }
                Some(TransportSlice::Udp(u)) => {
                    kinds.insert(u.destination_port().min(u.source_port()));
                }
                Some(TransportSlice::Tcp(t)) => {
                    kinds.insert(t.destination_port().min(t.source_port()));
                }
                _ => {
                    kinds.insert(0);
                }
            }
        }
        assert!(video * 10 > n * 8, "video is {video} of {n}");
        assert_eq!(sources.len(), CCTV_MIX_CAMERAS);
        for k in [53, 80, 123, 443, 554, 0] {
            assert!(kinds.contains(&k), "no background on port {k}");
        }
    }

    #[test]
    fn small_flows_pairs_up() {
        let (n, pcap) = gen_vec("small-flows", 9, Some(20_000));
        assert_eq!(n, 20_000);
        let recs = records(&pcap);
        let mut open = HashSet::new();
        let mut flows = HashSet::new();
        for r in &recs {
            assert_eq!(r.data.len(), SMALL_FLOW_FRAME);
            let p = check_frame(r.data);
            let SlicedPacket {
                net: Some(etherparse::NetSlice::Ipv4(ip)),
                transport: Some(t),
                ..
            } = p
            else {
                panic!("not IPv4")
            };
            let (sp, dp) = match t {
                TransportSlice::Udp(u) => (u.source_port(), u.destination_port()),
                TransportSlice::Tcp(t) => (t.source_port(), t.destination_port()),
                _ => panic!(),
            };
            let (s, d) = (ip.header().source(), ip.header().destination());
            // Clients are 10.30.1.1 and up; the resolver is 10.30.0.1.
            if s[1] == 30 && s[2] >= 1 {
                assert!(open.insert((s, sp, d, dp)), "flow repeated");
                flows.insert((s, sp, d, dp));
            } else {
                assert!(open.remove(&(d, dp, s, sp)), "reply without request");
            }
        }
        assert_eq!(flows.len(), 10_000);
        assert!(open.is_empty());
    }
}
