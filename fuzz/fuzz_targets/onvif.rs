//! The WS-Discovery / ONVIF datagram reader.
#![no_main]

use camsentry::protocols::onvif;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = onvif::parse(data);
    assert_eq!(
        parsed.map(|p| (p.message, p.version)),
        onvif::classify(data)
    );
    if let Some(parsed) = parsed {
        assert_eq!(parsed.onvif, onvif::mentions_onvif(data));
    }
});
