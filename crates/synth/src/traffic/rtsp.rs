//! RTSP and RTP in [`Sim`]: the recorder's RTSP sessions with cameras
//! (set-up, keep-alives, probes) and the RTP/RTCP streams they carry, over
//! UDP or interleaved in the RTSP connection.

use std::io;

use crate::apps;
use crate::site::{self, Camera, Host};
use crate::slice;

use super::{Dir, MS, Sim, Tcp};

/// How a camera's RTP reaches the recorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtpTransport {
    /// RTP/AVP over UDP from the camera's port 8000 to the recorder's
    /// [`site::nvr_rtp_port`].
    Udp,
    /// RTP/AVP/TCP interleaved in the RTSP connection (`$` framing,
    /// channel 0 RTP, channel 1 RTCP).
    Interleaved,
}

/// An established RTSP session between the recorder and a camera.
#[derive(Clone, Debug)]
pub struct RtspSession {
    /// Control connection.
    pub tcp: Tcp,
    /// Camera.
    pub cam: Camera,
    /// Next CSeq.
    pub cseq: u32,
    /// Session id.
    pub session: String,
    /// Stream URL.
    pub url: String,
}

/// Parameters of a camera's RTP stream to the recorder.
#[derive(Clone, Copy, Debug)]
pub struct RtpStream {
    /// Camera.
    pub cam: Host,
    /// Index used for the recorder port and SSRC (see [`site::nvr_rtp_port`]).
    pub index: usize,
    /// First packet time.
    pub start: u64,
    /// Stop before this time.
    pub end: u64,
    /// Mean gap between captured packets (µs).
    pub interval: u64,
    /// Gap between RTCP sender reports (µs).
    pub rtcp_interval: u64,
    /// Slice the video frames to 128 bytes.
    pub slice: bool,
}

impl Sim {
    /// Recorder opens an RTSP session to camera `index` and starts playback
    /// (OPTIONS, DESCRIBE with a digest challenge, SETUP, PLAY).
    pub fn rtsp_start(
        &mut self,
        t: u64,
        cam: &Camera,
        index: usize,
    ) -> io::Result<(RtspSession, u64)> {
        self.rtsp_setup(t, cam, index, RtpTransport::Udp)
    }

    /// Like [`Sim::rtsp_start`] with the RTP transport to request: UDP
    /// ports of the recorder, or interleaved in the RTSP connection.
    pub fn rtsp_setup(
        &mut self,
        t: u64,
        cam: &Camera,
        index: usize,
        transport: RtpTransport,
    ) -> io::Result<(RtspSession, u64)> {
        let nvr = site::NVR;
        let port = self.rng.ephemeral_port();
        let mut c = self.tcp(&nvr, &cam.host, port, site::RTSP_PORT);
        let mut at = self.tcp_open(t, &mut c)?;
        let url = apps::rtsp_url(cam);
        let think = 3 * MS;

        let req = apps::rtsp_request("OPTIONS", &url, 1, &[]);
        let resp = apps::rtsp_options_response(cam, 1, at);
        at = self.tcp_exchange(at + 300, &mut c, &req, &resp, think)?;

        let accept = [("Accept", "application/sdp".to_string())];
        let req = apps::rtsp_request("DESCRIBE", &url, 2, &accept);
        let nonce = self.rng.hex(32);
        let realm = match cam.vendor {
            site::Vendor::Hikvision => "IP Camera(C6093)",
            site::Vendor::Dahua => "Login to 6J0A1B2PAZ3C4D5",
            site::Vendor::Axis => "AXIS_ACCC8ED6E717",
        };
        let challenge = format!("Digest realm=\"{realm}\", nonce=\"{nonce}\", stale=\"FALSE\"");
        let resp = apps::rtsp_response(
            cam,
            2,
            "401 Unauthorized",
            at,
            &[("WWW-Authenticate", challenge)],
            &[],
        );
        at = self.tcp_exchange(at + 300, &mut c, &req, &resp, think)?;

        let auth = format!(
            "Digest username=\"admin\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{url}\", response=\"{}\"",
            self.rng.hex(32)
        );
        let req = apps::rtsp_request(
            "DESCRIBE",
            &url,
            3,
            &[accept[0].clone(), ("Authorization", auth.clone())],
        );
        let session_id = 1_000_000_000 + self.rng.below(1_000_000_000);
        let sdp = apps::sdp(cam, session_id);
        let resp = apps::rtsp_response(
            cam,
            3,
            "200 OK",
            at,
            &[
                ("Content-Type", "application/sdp".to_string()),
                ("Content-Base", format!("{url}/")),
            ],
            sdp.as_bytes(),
        );
        at = self.tcp_exchange(at + 300, &mut c, &req, &resp, think)?;

        let rtp = site::nvr_rtp_port(index);
        let track = format!("{url}/trackID=1");
        let (asked, granted) = match transport {
            RtpTransport::Udp => (
                format!("RTP/AVP;unicast;client_port={}-{}", rtp, rtp + 1),
                format!(
                    "RTP/AVP;unicast;client_port={}-{};server_port={}-{};ssrc={:08X};mode=\"play\"",
                    rtp,
                    rtp + 1,
                    site::CAMERA_RTP_PORT,
                    site::CAMERA_RTP_PORT + 1,
                    site::camera_ssrc(index)
                ),
            ),
            RtpTransport::Interleaved => (
                "RTP/AVP/TCP;unicast;interleaved=0-1".to_string(),
                format!(
                    "RTP/AVP/TCP;unicast;interleaved=0-1;ssrc={:08X};mode=\"play\"",
                    site::camera_ssrc(index)
                ),
            ),
        };
        let req = apps::rtsp_request(
            "SETUP",
            &track,
            4,
            &[("Authorization", auth.clone()), ("Transport", asked)],
        );
        let session = format!("{:08X}", self.rng.next_u32());
        let resp = apps::rtsp_response(
            cam,
            4,
            "200 OK",
            at,
            &[
                ("Session", format!("{session};timeout=60")),
                ("Transport", granted),
            ],
            &[],
        );
        at = self.tcp_exchange(at + 300, &mut c, &req, &resp, think)?;

        let req = apps::rtsp_request(
            "PLAY",
            &url,
            5,
            &[
                ("Authorization", auth),
                ("Session", session.clone()),
                ("Range", "npt=0.000-".to_string()),
            ],
        );
        let resp = apps::rtsp_response(
            cam,
            5,
            "200 OK",
            at,
            &[
                ("Session", session.clone()),
                ("RTP-Info", format!("url={track};seq=1;rtptime=0")),
            ],
            &[],
        );
        at = self.tcp_exchange(at + 300, &mut c, &req, &resp, think)?;
        Ok((
            RtspSession {
                tcp: c,
                cam: *cam,
                cseq: 6,
                session,
                url,
            },
            at,
        ))
    }

    /// RTSP keep-alive (GET_PARAMETER) on an established session.
    pub fn rtsp_keepalive(&mut self, t: u64, s: &mut RtspSession) -> io::Result<u64> {
        let req = apps::rtsp_request(
            "GET_PARAMETER",
            &s.url,
            s.cseq,
            &[("Session", s.session.clone())],
        );
        let resp = apps::rtsp_response(
            &s.cam,
            s.cseq,
            "200 OK",
            t,
            &[("Session", s.session.clone())],
            &[],
        );
        s.cseq += 1;
        self.tcp_exchange(t, &mut s.tcp, &req, &resp, 2 * MS)
    }

    /// Health check: OPTIONS on a fresh connection, then close.
    pub fn rtsp_options_probe(&mut self, t: u64, cam: &Camera) -> io::Result<u64> {
        let port = self.rng.ephemeral_port();
        let mut c = self.tcp(&site::NVR, &cam.host, port, site::RTSP_PORT);
        let at = self.tcp_open(t, &mut c)?;
        let url = apps::rtsp_url(cam);
        let req = apps::rtsp_request("OPTIONS", &url, 1, &[]);
        let resp = apps::rtsp_options_response(cam, 1, at);
        let at = self.tcp_exchange(at + 300, &mut c, &req, &resp, 2 * MS)?;
        self.tcp_close(at + 500, &mut c, Dir::ToServer)
    }

    /// A camera's RTP video (and RTCP) to the recorder, downsampled to one
    /// captured packet per `interval`. Payloads are 1200-1400 bytes.
    pub fn rtp_stream(&mut self, s: &RtpStream) -> io::Result<u64> {
        let nvr = site::NVR;
        let ssrc = site::camera_ssrc(s.index);
        let rtp_port = site::nvr_rtp_port(s.index);
        let ports = (site::CAMERA_RTP_PORT, rtp_port);
        let rtcp_ports = (site::CAMERA_RTP_PORT + 1, rtp_port + 1);
        let cname = format!("cam@{}", s.cam.addr());
        let mut seq: u16 = 1;
        let mut octets: u32 = 0;
        let mut packets: u32 = 0;
        let mut t = s.start;
        let mut next_rtcp = s.start + s.rtcp_interval;
        let mut k: u64 = 0;
        let mut last = t;
        while t < s.end {
            let elapsed = t - s.start;
            let rtp_ts = ((elapsed * 9) / 100) as u32; // 90 kHz clock
            let frag = apps::Fragment {
                start: k.is_multiple_of(3),
                end: k % 3 == 2,
                idr: (k / 3).is_multiple_of(50),
            };
            let len = self.rng.range(1188, 1388) as usize;
            if s.slice {
                let head = apps::rtp_head(seq, rtp_ts, ssrc, frag);
                let fill = len - 2;
                let off = slice::Pool::get().pick(&mut self.rng, fill);
                let p = slice::Payload {
                    head: &head,
                    fill,
                    off,
                };
                self.udp_sliced(t, &s.cam, &nvr, ports, &p)?;
            } else {
                let payload = apps::rtp_packet(&mut self.rng, seq, rtp_ts, ssrc, frag, len);
                let f = self.udp_frame(&s.cam, &nvr, ports, &payload)?;
                self.trace.push(t, f);
            }
            last = t;
            octets = octets.wrapping_add(len as u32);
            packets = packets.wrapping_add(1);
            seq = seq.wrapping_add(1);
            k += 1;
            if t >= next_rtcp {
                let sr = apps::rtcp_sender_report(ssrc, t + 150, rtp_ts, packets, octets, &cname);
                self.udp(t + 150, &s.cam, &nvr, rtcp_ports, &sr)?;
                let rr = apps::rtcp_receiver_report(
                    0x4e56_5200 + s.index as u32,
                    ssrc,
                    u32::from(seq),
                    12,
                    "nvr@10.20.0.2",
                );
                self.udp(t + 900, &nvr, &s.cam, (rtcp_ports.1, rtcp_ports.0), &rr)?;
                next_rtcp += s.rtcp_interval;
                last = t + 900;
            }
            let jitter = s.interval / 10;
            t += s.interval - jitter + self.rng.below(2 * jitter + 1);
        }
        Ok(last)
    }
}
