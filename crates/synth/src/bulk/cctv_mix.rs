//! `cctv-mix`: per-camera RTP stream templates patched packet by packet,
//! with the control and background traffic of `side.rs` merged in by
//! timestamp.

use std::io::{self, Write};

use crate::SynthOptions;
use crate::apps;
use crate::pcap_writer::PcapWriter;
use crate::rng::Rng;
use crate::scenario::BASE_TS;
use crate::site;
use crate::traffic::SEC;

use super::side::Side;
use super::template::{Pool, add_words, fold, ip_checksum, l2_ip, pseudo_sum};
use super::{CCTV_MIX_CAMERAS, CCTV_MIX_DEFAULT_PACKETS, CCTV_MIX_FPS, CCTV_MIX_TCP_CAMERAS};

const FRAME_US: u64 = SEC / CCTV_MIX_FPS;
/// Cameras' frame times are staggered by this much.
const SLOT_US: u64 = FRAME_US / CCTV_MIX_CAMERAS as u64;
/// Spacing of the packets of one video frame (≈ 1400 bytes at 1 Gbit/s).
const PKT_GAP: u64 = 12;
/// Full packets of a key frame.
const IFRAME_FULL: u64 = 30;
/// Key frame every this many frames (2 s GOP).
const GOP: u64 = 50;

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
