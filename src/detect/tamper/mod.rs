//! Tamper detection: cameras that are blinded, whose address is taken
//! over or whose stream is injected, and firmware changes.
//!
//! # Rules (`rule.category` `tamper`)
//! - `CAMSENTRY-TAMPER-1` (`camera-dark`): a camera whose recording is
//!   continuous sent no video for `[detect.tamper] dark_after` (default
//!   5 min) plus one cadence of its stream (see Timing), or three
//!   cadences, whichever is longer.
//! - `CAMSENTRY-TAMPER-2` (`recorder-dark`): every continuous camera of one
//!   recorder (two or more) is silent when the first crosses `dark_after`:
//!   one alert about the recorder instead of one per camera.
//! - `CAMSENTRY-TAMPER-3` (`address-takeover`): an ARP packet from a
//!   camera's or recorder's address with another MAC than the learned one,
//!   without a DHCP lease to that MAC (`takeover`).
//! - `CAMSENTRY-TAMPER-4` (`stream-injection`): a camera's RTP stream
//!   changed SSRC inside one flow without a new RTSP connection to it
//!   (`injection`).
//! - `CAMSENTRY-TAMPER-5` (`stream-injection`): the same for a sequence
//!   number jump of 4,096 packets or more (loss of that many packets at
//!   once is an outage, which the stream rules see).
//!
//! # Events (`event.kind: "event"`, never alerts)
//! - `stream-interrupted`: a continuous camera silent for
//!   `interrupted_after` (default 1 min) or two cadences, whichever is
//!   longer, plus one cadence;
//! - `stream-resumed`: its video came back (with the gap), also after an
//!   alert: a reboot shows as an interruption and a resumption;
//! - `firmware-changed`: a camera reported another firmware string.
//!
//! # Timing
//! A detector sees time advance only through observations, so silence is
//! judged on every observation's packet time (cheaply: one comparison
//! unless a threshold may have passed). The end of the input is not an
//! outage: nothing is alerted at the end. Video evidence is a media flow's
//! first packet and every 256 KiB of video (`observation::Bytes`), so the
//! cadence of a stream (its largest gap between two pieces of evidence) is
//! learned first. Silence measured from the last evidence overstates the
//! real silence by up to one cadence, which every threshold adds: at 1
//! Mbit/s (a 2 s cadence) a camera is alerted 5 min 2 s after its last
//! packet; at 64 kbit/s (33 s) after 5 min 33 s.
//!
//! # Recording mode
//! A camera is judged continuous once it streamed for `dark_after` after
//! its learning period ended without a gap as long as `dark_after`; a gap
//! that long while learning marks it motion-triggered, and its silence is
//! never alarmed. The policy's `continuous` and `motion` group lists set
//! the mode without learning.
//!
//! # Memory per camera
//! About 80 bytes of stream state (`stream`), one ARP binding (`takeover`),
//! the time of its last RTSP connection (`injection`) and its firmware
//! string (`firmware`, at most 64 characters), each table with a `MAX_*`
//! bound and a counter of what it refused. The workers keep 16 bytes of
//! RTP state per flow-table slot that carried media
//! (`pipeline::observe::RtpStreams`).
//!
//! # What it cannot see
//! A camera whose video is replaced by a loop with the same SSRC and a
//! continuous sequence; a recorder that still receives video but stores
//! nothing; a takeover that never speaks ARP (a switch port swapped with a
//! cloned MAC); a camera that goes dark in its first `dark_after` of video
//! or while learning; silence shorter than three cadences of a slow stream.
//! A motion-triggered camera the learning period took for continuous (no
//! motion while learning) alarms at its first quiet spell: name such
//! cameras in `motion`.

mod firmware;
mod injection;
pub mod rules;
mod stream;
mod takeover;
#[cfg(test)]
mod tests;

pub use rules::{EVENTS, RULES};

use crate::alert::{Alert, Category};
use crate::config::policy::TamperSettings;
use crate::detect::{Context, Detector};
use crate::observation::Observation;

/// The tamper detector.
pub struct Tamper {
    settings: TamperSettings,
    streams: stream::Streams,
    takeover: takeover::Takeover,
    injection: injection::Injection,
    firmware: firmware::Firmware,
    /// Events waiting for the engine.
    events: Vec<Alert>,
}

impl Tamper {
    pub fn new(settings: &TamperSettings) -> Tamper {
        Tamper {
            settings: settings.clone(),
            streams: stream::Streams::default(),
            takeover: takeover::Takeover::default(),
            injection: injection::Injection::default(),
            firmware: firmware::Firmware::default(),
            events: Vec::new(),
        }
    }
}

impl Detector for Tamper {
    fn category(&self) -> Category {
        Category::Tamper
    }

    fn observe(
        &mut self,
        context: &Context<'_>,
        observation: &Observation,
        alerts: &mut Vec<Alert>,
    ) {
        let settings = &self.settings;
        let events = &mut self.events;
        match observation {
            Observation::FlowStart(start) => {
                self.injection.flow_start(context, start);
                if start.media {
                    let (sender, receiver) = if start.sender_is_initiator {
                        (start.initiator.ip, start.responder.ip)
                    } else {
                        (start.responder.ip, start.initiator.ip)
                    };
                    self.streams
                        .video(context, settings, (sender, receiver), start.ts, events);
                }
            }
            Observation::Bytes(bytes) if bytes.media => {
                let (receiver, _) = bytes.id.key.other_end(bytes.sender);
                self.streams.video(
                    context,
                    settings,
                    (bytes.sender, receiver),
                    bytes.ts,
                    events,
                );
            }
            Observation::Arp(arp) => self.takeover.arp(context, arp, alerts),
            Observation::Dhcp(dhcp) => self.takeover.dhcp(dhcp),
            Observation::RtpChange(change) => self.injection.change(context, change, alerts),
            Observation::DeviceInfo(info) => self.firmware.device(context, info, events),
            _ => {}
        }
        self.streams
            .check(context, settings, observation.ts(), alerts, events);
    }

    fn drain_events(&mut self, events: &mut Vec<Alert>) {
        events.append(&mut self.events);
    }
}
