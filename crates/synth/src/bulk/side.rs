//! The control and background traffic of `cctv-mix` (RTSP keep-alives,
//! RTCP, DNS, NTP, ARP, cloud HTTPS, the workstation), built with the
//! ordinary [`Sim`] blocks one window at a time and handed out in
//! timestamp order.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::io::{self, Write};

use crate::apps;
use crate::pcap_writer::PcapWriter;
use crate::scenario::BASE_TS;
use crate::site;
use crate::tls;
use crate::trace::Record;
use crate::traffic::{MS, RtspSession, SEC, Sim};

use super::{CCTV_MIX_CAMERAS, CCTV_MIX_TCP_CAMERAS};

const SIDE_WINDOW: u64 = 10 * SEC;

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
pub(super) struct Side {
    sim: Sim,
    sessions: Vec<RtspSession>,
    heap: BinaryHeap<Pending>,
    order: u64,
    pub(super) next_window: u64,
}

impl Side {
    pub(super) fn new(seed: u64) -> Side {
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
    pub(super) fn fill(&mut self) -> io::Result<()> {
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
    pub(super) fn flush<W: Write>(
        &mut self,
        w: &mut PcapWriter<W>,
        until: u64,
        limit: u64,
    ) -> io::Result<()> {
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
