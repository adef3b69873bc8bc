//! The DHCP message reader.
#![no_main]

use camsentry::protocols::dhcp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = dhcp::try_parse(data);
    assert_eq!(parsed.as_ref().ok(), dhcp::parse(data).as_ref());
    if let Ok(info) = parsed {
        let _ = info.claimed_addr();
    }
});
