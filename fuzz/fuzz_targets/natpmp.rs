//! The NAT-PMP / PCP datagram reader.
#![no_main]

use camsentry::protocols::natpmp::{self, PortControl};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match natpmp::parse(data) {
        Some(PortControl::NatPmp(msg)) => {
            assert_eq!(data[0], 0);
            assert_eq!(natpmp::parse_natpmp(data), Some(msg));
        }
        Some(PortControl::Pcp(pcp)) => {
            assert_eq!(data[0], 2);
            assert!(pcp.options_len <= data.len());
            assert_eq!(pcp.result.is_some(), pcp.is_response);
        }
        None => {}
    }
});
