//! The recorder's video sessions: recording that was already running when
//! the capture started, and sessions that open and close inside it.
//!
//! Real captures start in the middle of the recorder's RTSP sessions. For a
//! camera recorded over RTSP/TCP interleaved, the first packet of its flow is
//! a `$`-framed RTP packet from camera port 554 to the recorder's ephemeral
//! port, with no SYN and no SETUP in the capture. For a camera sending RTP
//! over UDP the stream and its RTCP simply appear, and the otherwise idle
//! RTSP control connection shows up at its next keep-alive. [`background`]
//! adds that recording to a scenario; a [`Session`] is one recorded camera,
//! set up before or inside the capture, streamed by [`Session::stream`] and
//! ended by [`Session::end`].
//!
//! Video frames are sliced (128 bytes captured) and downsampled: the
//! captured packets form a contiguous stream at the chosen rate (a
//! sub-stream's byte volume at 10-25 packets per second), with RTCP every
//! 4.5-5.5 s and an RTSP keep-alive (GET_PARAMETER, or OPTIONS for the Axis
//! cameras) every 30-55 s, fixed per session.

use std::io;

use crate::apps;
use crate::frame::Flags;
use crate::lifecycle;
use crate::site::{self, CAMERAS, Camera, Vendor};
use crate::slice::{Payload, Pool};
use crate::traffic::{Dir, MS, RtpTransport, RtspSession, SEC, Sim};

/// RTP payload bytes of a video packet (RTP header excluded), inclusive.
pub const VIDEO_PAYLOAD: (u64, u64) = (1188, 1388);

/// Gap between captured video packets for `pps` packets per second.
pub const fn per_second(pps: u64) -> u64 {
    SEC / pps
}

/// Transport of camera index `i`'s recording: RTP over UDP for cams 5 and 7
/// of the site and every fourth camera from index 9 on (9, 13, ...);
/// interleaved in the RTSP connection for every other camera.
pub const fn transport_of(i: usize) -> RtpTransport {
    if i == 5 || i == 7 || (i >= 8 && i % 4 == 1) {
        RtpTransport::Udp
    } else {
        RtpTransport::Interleaved
    }
}

/// How a recording session ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The camera resets the RTSP connection (RST/ACK), as when it reboots.
    Reset,
    /// Nothing more is sent (the camera lost power).
    Silence,
    /// The recorder sends TEARDOWN, the camera answers, the recorder closes
    /// the connection (FIN).
    Teardown,
}

/// One camera recorded by the NVR.
pub struct Session {
    /// RTSP control connection and session state.
    pub rtsp: RtspSession,
    /// Camera index (recorder UDP port and SSRC, see [`site::nvr_rtp_port`]).
    pub index: usize,
    /// RTP transport.
    pub transport: RtpTransport,
    keepalive: u64,
    next_keepalive: u64,
    next_rtcp: u64,
    next_arp: [u64; 2],
    rtp_seq: u16,
    rtp_ts: u32,
    ts_origin: u64,
    packets: u32,
    octets: u32,
    unacked: u32,
    frag: u64,
}

impl Session {
    fn new(sim: &mut Sim, t: u64, rtsp: RtspSession, index: usize, tr: RtpTransport) -> Session {
        let keepalive = sim.rng.range(30 * SEC, 55 * SEC);
        Session {
            rtsp,
            index,
            transport: tr,
            keepalive,
            next_keepalive: t + keepalive,
            next_rtcp: t + sim.rng.range(4_500 * MS, 5_500 * MS),
            next_arp: [
                t + sim.rng.range(5 * SEC, 45 * SEC),
                t + sim.rng.range(5 * SEC, 45 * SEC),
            ],
            rtp_seq: sim.rng.next_u16(),
            rtp_ts: sim.rng.next_u32(),
            ts_origin: t,
            packets: 0,
            octets: 0,
            unacked: 0,
            frag: sim.rng.below(3),
        }
    }

    /// A session set up long before `t`: connection state only, nothing is
    /// sent. Its first keep-alive falls anywhere in its period.
    pub fn running(sim: &mut Sim, t: u64, cam: &Camera, index: usize, tr: RtpTransport) -> Session {
        let port = sim.rng.ephemeral_port();
        let tcp = sim.tcp(&site::NVR, &cam.host, port, site::RTSP_PORT);
        let rtsp = RtspSession {
            tcp,
            cam: *cam,
            cseq: sim.rng.range(20, 3_000) as u32,
            session: format!("{:08X}", sim.rng.next_u32()),
            url: apps::rtsp_url(cam),
        };
        let mut s = Session::new(sim, t, rtsp, index, tr);
        s.next_keepalive = t + sim.rng.range(2 * SEC, s.keepalive);
        s
    }

    /// A session the recorder sets up at `t` (SYN, OPTIONS, DESCRIBE with a
    /// digest challenge, SETUP, PLAY); returns it and the time of PLAY's
    /// answer.
    pub fn open(
        sim: &mut Sim,
        t: u64,
        cam: &Camera,
        index: usize,
        tr: RtpTransport,
    ) -> io::Result<(Session, u64)> {
        let (rtsp, play) = sim.rtsp_setup(t, cam, index, tr)?;
        Ok((Session::new(sim, play, rtsp, index, tr), play))
    }

    fn cam(&self) -> site::Host {
        self.rtsp.cam.host
    }

    /// Streams video (one captured packet per `interval` µs, ±10%), RTCP,
    /// keep-alives and, for UDP streams, both ends' ARP refreshes, from
    /// `from` until before `to`. Returns the time of the last frame.
    pub fn stream(&mut self, sim: &mut Sim, from: u64, to: u64, interval: u64) -> io::Result<u64> {
        debug_assert!(interval >= 20 * MS, "at most 50 captured packets/s");
        let mut t = from + sim.rng.below(interval);
        let mut last = from;
        while t < to {
            if self.next_keepalive <= t {
                let done = self.keepalive(sim, self.next_keepalive.max(last + 100))?;
                self.next_keepalive += self.keepalive;
                t = t.max(done + 300);
                last = done;
                continue;
            }
            if self.transport == RtpTransport::Udp {
                for who in 0..2 {
                    if self.next_arp[who] <= t {
                        let (asker, target) = if who == 0 {
                            (self.cam(), site::NVR)
                        } else {
                            (site::NVR, self.cam())
                        };
                        let at = self.next_arp[who].max(last + 100);
                        last = lifecycle::arp_unicast(sim, at, &asker, &target, true)?;
                        // Linux: reachable for 15-45 s, then stale, probed 5 s
                        // after the next use.
                        self.next_arp[who] = at + sim.rng.range(20 * SEC, 50 * SEC);
                    }
                }
            }
            last = self.video(sim, t)?;
            if t >= self.next_rtcp {
                last = self.rtcp(sim, t + 150)?;
                self.next_rtcp += sim.rng.range(4_500 * MS, 5_500 * MS);
            }
            let jitter = interval / 10;
            t += interval - jitter + sim.rng.below(2 * jitter + 1);
        }
        Ok(last)
    }

    fn video(&mut self, sim: &mut Sim, t: u64) -> io::Result<u64> {
        let k = self.frag;
        self.frag += 1;
        let frag = apps::Fragment {
            start: k.is_multiple_of(3),
            end: k % 3 == 2,
            idr: (k / 3).is_multiple_of(50),
        };
        let rtp_ts = self
            .rtp_ts
            .wrapping_add(((t - self.ts_origin) * 9 / 100) as u32);
        let ssrc = site::camera_ssrc(self.index);
        let rtp = apps::rtp_head(self.rtp_seq, rtp_ts, ssrc, frag);
        self.rtp_seq = self.rtp_seq.wrapping_add(1);
        let len = sim.rng.range(VIDEO_PAYLOAD.0, VIDEO_PAYLOAD.1) as usize;
        self.packets = self.packets.wrapping_add(1);
        self.octets = self.octets.wrapping_add(len as u32);
        let fill = len - 2;
        let off = Pool::get().pick(&mut sim.rng, fill);
        let cam = self.cam();
        match self.transport {
            RtpTransport::Udp => {
                let p = Payload {
                    head: &rtp,
                    fill,
                    off,
                };
                let ports = (site::CAMERA_RTP_PORT, site::nvr_rtp_port(self.index));
                sim.udp_sliced(t, &cam, &site::NVR, ports, &p)?;
                Ok(t)
            }
            RtpTransport::Interleaved => {
                let mut head = [0u8; 18];
                head[0] = b'$';
                head[2..4].copy_from_slice(&((12 + len) as u16).to_be_bytes());
                head[4..].copy_from_slice(&rtp);
                let p = Payload {
                    head: &head,
                    fill,
                    off,
                };
                let c = &mut self.rtsp.tcp;
                sim.tcp_push_sliced(t, c, Dir::ToClient, Flags::PSH_ACK, &p)?;
                self.unacked += 1;
                self.ack(sim, t)
            }
        }
    }

    /// The recorder's delayed ACK after every second segment.
    fn ack(&mut self, sim: &mut Sim, t: u64) -> io::Result<u64> {
        if self.unacked < 2 {
            return Ok(t);
        }
        self.unacked = 0;
        let at = t + sim.delay(&site::NVR);
        sim.tcp_push(at, &mut self.rtsp.tcp, Dir::ToServer, Flags::ACK, &[])?;
        Ok(at)
    }

    fn rtcp(&mut self, sim: &mut Sim, t: u64) -> io::Result<u64> {
        let cam = self.cam();
        let ssrc = site::camera_ssrc(self.index);
        let rtp_ts = self
            .rtp_ts
            .wrapping_add(((t - self.ts_origin) * 9 / 100) as u32);
        let cname = format!("cam@{}", cam.addr());
        let sr = apps::rtcp_sender_report(ssrc, t, rtp_ts, self.packets, self.octets, &cname);
        let rr = apps::rtcp_receiver_report(
            0x4e56_5200 + self.index as u32,
            ssrc,
            u32::from(self.rtp_seq),
            12,
            "nvr@10.20.0.2",
        );
        match self.transport {
            RtpTransport::Udp => {
                let rr_at = t + sim.rng.range(200 * MS, 900 * MS);
                let port = site::nvr_rtp_port(self.index) + 1;
                sim.udp(t, &cam, &site::NVR, (site::CAMERA_RTP_PORT + 1, port), &sr)?;
                sim.udp(
                    rr_at,
                    &site::NVR,
                    &cam,
                    (port, site::CAMERA_RTP_PORT + 1),
                    &rr,
                )?;
                Ok(rr_at)
            }
            RtpTransport::Interleaved => {
                // Soon enough to precede the next video packet, so the
                // recorder's byte stream stays in order on the wire.
                let rr_at = t + sim.rng.range(MS, 15 * MS);
                let c = &mut self.rtsp.tcp;
                sim.tcp_push(t, c, Dir::ToClient, Flags::PSH_ACK, &interleave(1, &sr))?;
                self.unacked += 1;
                // The receiver report carries the ACK of everything so far.
                sim.tcp_push(rr_at, c, Dir::ToServer, Flags::PSH_ACK, &interleave(1, &rr))?;
                self.unacked = 0;
                Ok(rr_at)
            }
        }
    }

    /// GET_PARAMETER (OPTIONS for Axis cameras) with the session id,
    /// answered 200 OK. Returns the time of the last frame.
    fn keepalive(&mut self, sim: &mut Sim, t: u64) -> io::Result<u64> {
        let s = &mut self.rtsp;
        let session = [("Session", s.session.clone())];
        let cseq = s.cseq;
        s.cseq += 1;
        let (req, resp) = if s.cam.vendor == Vendor::Axis {
            let req = apps::rtsp_request("OPTIONS", &s.url, cseq, &session);
            let mut h = session.to_vec();
            h.push((
                "Public",
                "OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER"
                    .to_string(),
            ));
            (req, apps::rtsp_response(&s.cam, cseq, "200 OK", t, &h, &[]))
        } else {
            let req = apps::rtsp_request("GET_PARAMETER", &s.url, cseq, &session);
            let resp = apps::rtsp_response(&s.cam, cseq, "200 OK", t, &session, &[]);
            (req, resp)
        };
        self.exchange(sim, t, &req, &resp)
    }

    /// An RTSP request from the recorder and the camera's answer on the
    /// control connection (amid the video when interleaved).
    fn exchange(&mut self, sim: &mut Sim, t: u64, req: &[u8], resp: &[u8]) -> io::Result<u64> {
        let cam = self.cam();
        let c = &mut self.rtsp.tcp;
        match self.transport {
            RtpTransport::Udp => sim.tcp_exchange(t, c, req, resp, 2 * MS),
            RtpTransport::Interleaved => {
                sim.tcp_push(t, c, Dir::ToServer, Flags::PSH_ACK, req)?;
                self.unacked = 0;
                let at = t + sim.delay(&cam) + sim.rng.range(MS, 4 * MS);
                sim.tcp_push(at, c, Dir::ToClient, Flags::PSH_ACK, resp)?;
                self.unacked += 1;
                Ok(at)
            }
        }
    }

    /// Ends the session at `t`; returns the time of the last frame.
    pub fn end(&mut self, sim: &mut Sim, t: u64, how: Ending) -> io::Result<u64> {
        match how {
            Ending::Silence => Ok(t),
            Ending::Reset => sim.tcp_reset(t, &mut self.rtsp.tcp, Dir::ToClient),
            Ending::Teardown => {
                let s = &mut self.rtsp;
                let session = [("Session", s.session.clone())];
                let cseq = s.cseq;
                s.cseq += 1;
                let req = apps::rtsp_request("TEARDOWN", &s.url, cseq, &session);
                let resp = apps::rtsp_response(&s.cam, cseq, "200 OK", t, &session, &[]);
                let at = self.exchange(sim, t, &req, &resp)?;
                let at = at + sim.delay(&site::NVR);
                sim.tcp_close(at, &mut self.rtsp.tcp, Dir::ToServer)
            }
        }
    }
}

/// `$`-framed interleaved RTSP data on `channel`.
pub fn interleave(channel: u8, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(4 + data.len());
    v.push(b'$');
    v.push(channel);
    v.extend_from_slice(&(data.len() as u16).to_be_bytes());
    v.extend_from_slice(data);
    v
}

/// The recording every scenario starts with: the recorder has been
/// recording every site camera except `except` since long before `start`
/// (transport by [`transport_of`]), one captured video packet per
/// `interval` µs each, until `end`.
pub fn background(
    sim: &mut Sim,
    start: u64,
    end: u64,
    interval: u64,
    except: &[usize],
) -> io::Result<()> {
    for (i, cam) in CAMERAS.iter().enumerate() {
        if except.contains(&i) {
            continue;
        }
        let mut s = Session::running(sim, start, cam, i, transport_of(i));
        s.stream(sim, start, end, interval)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Pkt, check_capture, summarize};

    fn trace(sim: Sim) -> Vec<u8> {
        let mut v = Vec::new();
        sim.trace.write_to(&mut v).unwrap();
        v
    }

    #[test]
    fn running_sessions_start_with_the_cameras_video() {
        let mut sim = Sim::new(5);
        let t0 = crate::scenario::BASE_TS;
        background(&mut sim, t0, t0 + 120 * SEC, per_second(10), &[]).unwrap();
        let pcap = trace(sim);
        let recs = check_capture(&pcap);
        let pkts: Vec<Pkt> = recs.iter().map(summarize).collect();
        for (i, cam) in CAMERAS.iter().enumerate() {
            let ip = cam.host.ip;
            match transport_of(i) {
                RtpTransport::Interleaved => {
                    let first = pkts
                        .iter()
                        .find(|p| p.proto == 6 && (p.src == ip || p.dst == ip))
                        .unwrap();
                    assert_eq!((first.src, first.sport), (ip, 554));
                    assert_eq!(first.payload[0], b'$');
                    assert!(first.len > 1_200);
                    assert!(!pkts.iter().any(|p| p.proto == 6 && p.flags & 0x02 != 0));
                    let ka = pkts
                        .iter()
                        .filter(|p| p.src == site::NVR.ip && p.dst == ip && p.len > 0)
                        .filter(|p| {
                            p.payload.starts_with(b"GET_PARAMETER ")
                                || p.payload.starts_with(b"OPTIONS ")
                        })
                        .count();
                    assert!((2..=4).contains(&ka), "{ka}");
                }
                RtpTransport::Udp => {
                    let n = pkts
                        .iter()
                        .filter(|p| p.src == ip && p.sport == site::CAMERA_RTP_PORT)
                        .count();
                    assert!((1_150..=1_250).contains(&n), "{n}");
                    let rtcp = pkts
                        .iter()
                        .filter(|p| p.src == ip && p.sport == site::CAMERA_RTP_PORT + 1)
                        .count();
                    assert!((20..=27).contains(&rtcp), "{rtcp}");
                }
            }
        }
    }

    #[test]
    fn opened_sessions_tear_down() {
        let mut sim = Sim::new(6);
        let t0 = crate::scenario::BASE_TS;
        let cam = CAMERAS[2];
        let (mut s, play) =
            Session::open(&mut sim, t0, &cam, 2, RtpTransport::Interleaved).unwrap();
        let t = s
            .stream(&mut sim, play, play + 60 * SEC, per_second(20))
            .unwrap();
        s.end(&mut sim, t + SEC, Ending::Teardown).unwrap();
        let pcap = trace(sim);
        let recs = check_capture(&pcap);
        let pkts: Vec<Pkt> = recs.iter().map(summarize).collect();
        assert_eq!(pkts[0].flags, 0x02);
        assert!(pkts.iter().any(|p| p.payload.starts_with(b"TEARDOWN ")));
        assert!(
            pkts.iter().any(
                |p| p.payload.starts_with(b"SETUP ") && contains(p.payload, b"interleaved=0-1")
            )
        );
        assert_eq!(pkts.iter().filter(|p| p.flags & 0x01 != 0).count(), 2);
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }
}
