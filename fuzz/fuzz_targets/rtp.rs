//! The RTP / RTCP header reader, over UDP and RTSP-interleaved.
#![no_main]

use camsentry::protocols::rtp::{self, RtpPacket};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(RtpPacket::Rtp(header)) = rtp::parse(data) {
        assert!(header.payload_offset <= data.len());
        assert!(header.payload_type < 128);
    }
    if let Some(frame) = rtp::interleaved(data) {
        assert!(frame.data.len() <= usize::from(frame.declared_len));
    }
    let _ = rtp::parse_transport(6, data);
    let _ = rtp::parse_transport(17, data);
});
