//! Stream injection: a camera's RTP stream changes SSRC inside one flow,
//! or its sequence number jumps far beyond loss, without a new RTSP
//! session. The worker compares each media packet with its flow's last
//! RTP header and reports only changes (`observation::RtpChange`), so this
//! side sees a handful of observations per stream, never its packets.
//!
//! A new RTSP session (a connection opened to the camera's RTSP port) may
//! legitimately restart the stream with a new SSRC on the same UDP ports:
//! changes within [`SETUP_GRACE`] of one are not alerted.
//!
//! Memory: the time of the last RTSP connection per camera, at most
//! [`MAX_CAMERAS`] (16 bytes plus the map's entry).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::json;

use super::rules::{RULE_SEQUENCE, RULE_SSRC};
use crate::alert::Alert;
use crate::detect::Context;
use crate::flow::record::transport_name;
use crate::net::IpProto;
use crate::observation::{FlowStart, RtpChange};
use crate::protocols::hints::{PORT_RTSP, PORT_RTSP_ALT};
use crate::timestamp::{NANOS_PER_SEC, Nanos, Timestamp};

/// Most cameras whose last RTSP connection is remembered.
pub const MAX_CAMERAS: usize = 16_384;
/// How long after an RTSP connection opened a stream may restart.
pub const SETUP_GRACE: Nanos = 120 * NANOS_PER_SEC;

#[derive(Debug, Default)]
pub struct Injection {
    setups: BTreeMap<IpAddr, Timestamp>,
    /// RTSP connections not remembered because the table was full.
    pub refused: u64,
}

impl Injection {
    /// Remembers RTSP connections to cameras.
    pub fn flow_start(&mut self, context: &Context<'_>, start: &FlowStart) {
        let port = start.responder.port;
        if start.proto != IpProto::TCP || !(port == PORT_RTSP || port == PORT_RTSP_ALT) {
            return;
        }
        let camera = start.responder.ip;
        if !context.is_camera(camera) {
            return;
        }
        if self.setups.len() >= MAX_CAMERAS && !self.setups.contains_key(&camera) {
            self.refused += 1;
            return;
        }
        self.setups.insert(camera, start.ts);
    }

    pub fn change(&mut self, context: &Context<'_>, change: &RtpChange, alerts: &mut Vec<Alert>) {
        let camera = change.sender.ip;
        if !context.is_camera(camera) {
            return;
        }
        let fresh_session = self
            .setups
            .get(&camera)
            .is_some_and(|ts| change.ts.since(*ts) <= SETUP_GRACE);
        if fresh_session {
            return;
        }
        let rule = if change.old_ssrc != change.new_ssrc {
            RULE_SSRC
        } else {
            RULE_SEQUENCE
        };
        let mut alert = context.camera_alert(rule, camera, change.ts);
        alert.source_port = Some(change.sender.port);
        if change.sender.mac != [0; 6] {
            alert.source_mac = Some(change.sender.mac);
        }
        alert.destination_ip = Some(change.receiver.ip);
        alert.destination_port = Some(change.receiver.port);
        alert.transport = Some(transport_name(change.id.key.proto));
        alert.interface = Some(change.interface);
        let evidence = &mut alert.evidence;
        evidence.insert(
            "old_ssrc".into(),
            json!(format!("0x{:08x}", change.old_ssrc)),
        );
        evidence.insert(
            "new_ssrc".into(),
            json!(format!("0x{:08x}", change.new_ssrc)),
        );
        evidence.insert("old_sequence".into(), json!(change.old_seq));
        evidence.insert("new_sequence".into(), json!(change.new_seq));
        alerts.push(alert);
    }
}
