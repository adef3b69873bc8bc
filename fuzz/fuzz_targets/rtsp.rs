//! The RTSP request line, reply status and header readers.
#![no_main]

use camsentry::protocols::rtsp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(reply) = rtsp::response_server(data) {
        assert!((100..=599).contains(&reply.status), "{}", reply.status);
    }
    let request = rtsp::request(data);
    assert_eq!(request.is_some(), rtsp::is_request(data));
    for name in ["Server", "User-Agent", "WWW-Authenticate", "CSeq", ""] {
        let _ = rtsp::header(data, name);
    }
});
