//! Firmware changes: a camera reports another firmware string than it did
//! before (an update was applied, or the device was swapped). An event,
//! not an alert: updating firmware is what the standard advice asks for.
//!
//! Strings are compared per source (ONVIF, mDNS): two sources may write
//! one version differently (`V5.7.3 build 220112`, `5.7.3`), which is no
//! change.
//!
//! Memory: the last firmware string per camera and source (at most
//! `observation::MAX_DEVICE_TEXT` characters), at most [`MAX_DEVICES`].

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::json;

use super::rules::EVENT_FIRMWARE;
use crate::alert::Alert;
use crate::detect::Context;
use crate::observation::DeviceInfo;

/// Most cameras whose firmware string is remembered.
pub const MAX_DEVICES: usize = 16_384;

#[derive(Debug, Default)]
pub struct Firmware {
    known: BTreeMap<(IpAddr, &'static str), Box<str>>,
    /// Cameras not remembered because the table was full.
    pub refused: u64,
}

impl Firmware {
    pub fn device(&mut self, context: &Context<'_>, info: &DeviceInfo, events: &mut Vec<Alert>) {
        let Some(firmware) = &info.firmware else {
            return;
        };
        let camera = info.device.ip;
        if !context.is_camera(camera) {
            return;
        }
        let full = self.known.len() >= MAX_DEVICES;
        let key = (camera, info.source);
        match self.known.get_mut(&key) {
            Some(old) if old != firmware => {
                let mut event = context.camera_alert(EVENT_FIRMWARE, camera, info.ts);
                let evidence = &mut event.evidence;
                evidence.insert("old_firmware".into(), json!(old.as_ref()));
                evidence.insert("new_firmware".into(), json!(firmware.as_ref()));
                if let Some(model) = &info.model {
                    evidence.insert("model".into(), json!(model.as_ref()));
                }
                evidence.insert("source".into(), json!(info.source));
                events.push(event);
                *old = firmware.clone();
            }
            Some(_) => {}
            None if full => self.refused += 1,
            None => {
                self.known.insert(key, firmware.clone());
            }
        }
    }
}
