//! The ONVIF GetDeviceInformation reader.
#![no_main]

use camsentry::protocols::onvif_device;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(info) = onvif_device::device_information(data) {
        assert!(info.model.is_none_or(|m| !m.is_empty()));
        assert!(info.firmware_version.is_none_or(|f| !f.is_empty()));
    }
    let _ = onvif_device::is_device_information_request(data);
});
