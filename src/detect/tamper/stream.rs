//! Blinded cameras: whether each camera's video still flows, learned per
//! camera from the media evidence the workers report (a media flow's first
//! packet, then one [`Bytes`](crate::observation::Bytes) event per 256 KiB
//! of video), judged on every observation's packet time.
//!
//! Per camera ([`Stream`], about 80 bytes, at most [`MAX_STREAMS`]): the
//! recorder it sends to, its first and last video, the longest gap between
//! two pieces of evidence while it flowed (its cadence: a 64 kbit/s
//! sub-stream fills 256 KiB every 33 s), its recording mode and whether it
//! is dark. Per recorder in an outage: one entry (at most
//! [`MAX_RECORDERS`]).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde_json::json;

use super::rules::{EVENT_INTERRUPTED, EVENT_RESUMED, RULE_DARK, RULE_RECORDER};
use crate::alert::Alert;
use crate::config::policy::TamperSettings;
use crate::detect::Context;
use crate::timestamp::{NANOS_PER_SEC, Nanos, Timestamp};

/// Most cameras followed; video of further cameras is counted, not judged.
pub const MAX_STREAMS: usize = 16_384;
/// Most recorders in an outage at once.
pub const MAX_RECORDERS: usize = 1_024;
/// Most cameras a recorder alert names.
pub const MAX_NAMED: usize = 32;
/// How many cadences of silence an interruption needs at least (plus the
/// one the evidence may lag): a slow stream's evidence is far apart, and
/// one late chunk is no interruption.
const CADENCES: u64 = 2;

/// How a camera records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Not judged yet: learning, or not streamed long enough.
    Learning,
    /// Continuous recording: silence is an outage.
    Continuous,
    /// Motion-triggered (intermittent) recording: silence is normal.
    Motion,
}

/// Whether a continuous camera's video flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dark {
    Flowing,
    /// Silent past the interruption threshold (an event was written).
    Interrupted,
    /// Silent past `dark_after`: alerted for this camera.
    Alerted,
    /// Silent past `dark_after` with its whole recorder: the recorder's
    /// alert covers it.
    Recorder,
}

impl Dark {
    fn as_str(self) -> &'static str {
        match self {
            Dark::Flowing => "flowing",
            Dark::Interrupted => "interrupted",
            Dark::Alerted => "camera-dark",
            Dark::Recorder => "recorder-dark",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Stream {
    pub recorder: IpAddr,
    pub first: Timestamp,
    pub last: Timestamp,
    /// Longest gap between two pieces of evidence while flowing.
    pub cadence: Nanos,
    pub mode: Mode,
    /// Whether the policy set the mode (else learned).
    pub by_policy: bool,
    pub dark: Dark,
}

/// Every camera's stream and the recorders in an outage.
#[derive(Debug, Default)]
pub struct Streams {
    pub streams: BTreeMap<IpAddr, Stream>,
    /// Recorders whose outage was alerted, until one camera comes back.
    pub recorders_dark: BTreeSet<IpAddr>,
    /// Media evidence of cameras left out because [`MAX_STREAMS`] were
    /// followed.
    pub refused: u64,
    /// Recorder outages not remembered because [`MAX_RECORDERS`] were.
    pub recorders_refused: u64,
    /// Packet time from which a scan can find something new.
    next_due: Timestamp,
    now: Timestamp,
}

fn nanos(d: std::time::Duration) -> Nanos {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn secs(n: Nanos) -> u64 {
    n / NANOS_PER_SEC
}

impl Stream {
    /// Silence after which the stream counts as interrupted. Evidence
    /// comes once per cadence, so the silence measured from the last piece
    /// of evidence overstates the real one by up to a cadence: it is added.
    fn quiet(&self, settings: &TamperSettings) -> Nanos {
        nanos(settings.interrupted_after)
            .max(self.cadence.saturating_mul(CADENCES))
            .saturating_add(self.cadence)
    }

    /// Whether the stream has been watched for `dark_after`, long enough
    /// to know its cadence (a camera the policy declares continuous is
    /// judged from then on).
    fn warm(&self, settings: &TamperSettings) -> bool {
        self.last.since(self.first) >= nanos(settings.dark_after)
    }

    /// Silence after which the camera is dark.
    fn dark_after(&self, settings: &TamperSettings) -> Nanos {
        nanos(settings.dark_after)
            .saturating_add(self.cadence)
            .max(self.quiet(settings))
    }
}

impl Streams {
    /// `camera` sent video to `recorder` at `ts`.
    pub fn video(
        &mut self,
        context: &Context<'_>,
        settings: &TamperSettings,
        (camera, recorder): (IpAddr, IpAddr),
        ts: Timestamp,
        events: &mut Vec<Alert>,
    ) {
        if !context.is_camera(camera) {
            return;
        }
        let full = self.streams.len() >= MAX_STREAMS;
        let stream = match self.streams.get_mut(&camera) {
            Some(stream) => stream,
            None if full => {
                self.refused += 1;
                return;
            }
            None => {
                let (mode, by_policy) = policy_mode(context, settings, camera);
                self.streams.entry(camera).or_insert(Stream {
                    recorder,
                    first: ts,
                    last: ts,
                    cadence: 0,
                    mode,
                    by_policy,
                    dark: Dark::Flowing,
                })
            }
        };
        if ts <= stream.last {
            return;
        }
        let gap = ts.since(stream.last);
        stream.last = ts;
        if context.inventory.is_recorder(context.policy, recorder)
            || !context
                .inventory
                .is_recorder(context.policy, stream.recorder)
        {
            stream.recorder = recorder;
        }
        match stream.dark {
            Dark::Flowing => {
                if stream.mode != Mode::Continuous
                    || gap < stream.quiet(settings)
                    || !stream.warm(settings)
                {
                    stream.cadence = stream.cadence.max(gap.min(nanos(settings.dark_after)));
                }
            }
            outage => {
                let mut event = context.camera_alert(EVENT_RESUMED, camera, ts);
                event.destination_ip = Some(stream.recorder);
                let evidence = &mut event.evidence;
                evidence.insert("gap_seconds".into(), json!(secs(gap)));
                evidence.insert("outage".into(), json!(outage.as_str()));
                evidence.insert("recorder".into(), json!(stream.recorder.to_string()));
                events.push(event);
                stream.dark = Dark::Flowing;
                self.recorders_dark.remove(&stream.recorder);
            }
        }
        if stream.mode == Mode::Learning {
            if gap >= nanos(settings.dark_after) {
                // Silence as long as an outage while learning: recording
                // starts and stops (motion), or the camera was down; either
                // way silence from it proves nothing.
                stream.mode = Mode::Motion;
            } else if !context.is_learning(camera, ts)
                && ts.since(stream.first) >= nanos(settings.dark_after)
            {
                stream.mode = Mode::Continuous;
            }
        }
        if stream.mode == Mode::Continuous && stream.warm(settings) {
            let due = stream.last.plus(stream.quiet(settings));
            if self.next_due == Timestamp::ZERO || due < self.next_due {
                self.next_due = due;
            }
        }
    }

    /// Judges silence at packet time `now`: interruption events, camera
    /// alerts, recorder alerts. Cheap unless a threshold may have passed.
    pub fn check(
        &mut self,
        context: &Context<'_>,
        settings: &TamperSettings,
        now: Timestamp,
        alerts: &mut Vec<Alert>,
        events: &mut Vec<Alert>,
    ) {
        if now > self.now {
            self.now = now;
        }
        let now = self.now;
        if self.next_due == Timestamp::ZERO || now < self.next_due {
            return;
        }
        let mut next_due = Timestamp::ZERO;
        let mut newly_dark: Vec<IpAddr> = Vec::new();
        for (camera, stream) in &mut self.streams {
            if stream.mode != Mode::Continuous || !stream.warm(settings) {
                continue;
            }
            let silent = now.since(stream.last);
            let (quiet, dark) = (stream.quiet(settings), stream.dark_after(settings));
            if stream.dark == Dark::Flowing && silent >= quiet {
                stream.dark = Dark::Interrupted;
                let mut event = context.camera_alert(EVENT_INTERRUPTED, *camera, now);
                event.evidence_ts = stream.last;
                event.destination_ip = Some(stream.recorder);
                event.evidence.insert(
                    "last_video".into(),
                    json!(stream.last.rfc3339_micros().to_string()),
                );
                event
                    .evidence
                    .insert("silent_seconds".into(), json!(secs(silent)));
                events.push(event);
            }
            if stream.dark == Dark::Interrupted && silent >= dark {
                newly_dark.push(*camera);
            }
            let due = match stream.dark {
                Dark::Flowing => stream.last.plus(quiet),
                Dark::Interrupted => stream.last.plus(dark),
                _ => continue,
            };
            if next_due == Timestamp::ZERO || due < next_due {
                next_due = due;
            }
        }
        self.next_due = next_due;
        self.darken(context, settings, now, &newly_dark, alerts);
    }

    /// Alerts for cameras that just went dark: one recorder alert when all
    /// the continuous cameras of their recorder (two or more) are silent
    /// too, else one alert per camera.
    fn darken(
        &mut self,
        context: &Context<'_>,
        settings: &TamperSettings,
        now: Timestamp,
        cameras: &[IpAddr],
        alerts: &mut Vec<Alert>,
    ) {
        let interrupted = nanos(settings.interrupted_after);
        for camera in cameras {
            let Some(recorder) = self.streams.get(camera).map(|s| s.recorder) else {
                continue;
            };
            if self
                .streams
                .get(camera)
                .is_some_and(|s| s.dark != Dark::Interrupted)
            {
                continue; // covered by a recorder alert of this round
            }
            let siblings: Vec<(IpAddr, Timestamp)> = self
                .streams
                .iter()
                .filter(|(_, s)| s.recorder == recorder && s.mode == Mode::Continuous)
                .map(|(ip, s)| (*ip, s.last))
                .collect();
            let all_silent = siblings
                .iter()
                .all(|(_, last)| now.since(*last) >= interrupted);
            if siblings.len() >= 2 && all_silent {
                let last = siblings.iter().map(|(_, l)| *l).max().unwrap_or(now);
                if !self.recorders_dark.contains(&recorder) {
                    if self.recorders_dark.len() < MAX_RECORDERS {
                        self.recorders_dark.insert(recorder);
                    } else {
                        self.recorders_refused += 1;
                    }
                    let mut alert = context.camera_alert(RULE_RECORDER, recorder, now);
                    alert.evidence_ts = last.plus(nanos(settings.dark_after));
                    let named: Vec<String> = siblings
                        .iter()
                        .take(MAX_NAMED)
                        .map(|(ip, _)| ip.to_string())
                        .collect();
                    let evidence = &mut alert.evidence;
                    evidence.insert("cameras_dark".into(), json!(siblings.len()));
                    evidence.insert("cameras".into(), json!(named));
                    evidence.insert(
                        "last_video".into(),
                        json!(last.rfc3339_micros().to_string()),
                    );
                    evidence.insert("silent_seconds".into(), json!(secs(now.since(last))));
                    alerts.push(alert);
                }
                for (ip, _) in &siblings {
                    if let Some(s) = self.streams.get_mut(ip) {
                        s.dark = Dark::Recorder;
                    }
                }
                continue;
            }
            let Some(stream) = self.streams.get_mut(camera) else {
                continue;
            };
            stream.dark = Dark::Alerted;
            let mut alert = context.camera_alert(RULE_DARK, *camera, now);
            alert.evidence_ts = stream.last.plus(stream.dark_after(settings));
            alert.destination_ip = Some(stream.recorder);
            let evidence = &mut alert.evidence;
            evidence.insert(
                "last_video".into(),
                json!(stream.last.rfc3339_micros().to_string()),
            );
            evidence.insert("silent_seconds".into(), json!(secs(now.since(stream.last))));
            evidence.insert("recorder".into(), json!(stream.recorder.to_string()));
            evidence.insert(
                "recording".into(),
                json!(if stream.by_policy {
                    "policy"
                } else {
                    "learned"
                }),
            );
            evidence.insert("cadence_seconds".into(), json!(secs(stream.cadence)));
            alerts.push(alert);
        }
    }
}

/// The recording mode the policy gives `camera`'s group, if any.
fn policy_mode(context: &Context<'_>, settings: &TamperSettings, camera: IpAddr) -> (Mode, bool) {
    let host = context.inventory.host(camera);
    let vendor = host.and_then(|h| h.vendor.map(|v| v.name));
    let group = context
        .policy
        .group_for(camera, host.and_then(|h| h.mac), vendor)
        .map(|g| g.name());
    match group {
        Some(name) if settings.motion.iter().any(|g| g == name) => (Mode::Motion, true),
        Some(name) if settings.continuous.iter().any(|g| g == name) => (Mode::Continuous, true),
        _ => (Mode::Learning, false),
    }
}
