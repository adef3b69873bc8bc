//! The HTTP head reader and the HTTP/RTSP server banner.
#![no_main]

use camsentry::protocols::http;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(reply) = http::response(data) {
        assert!((100..=599).contains(&reply.status));
        if let Some(body) = reply.head.body() {
            assert!(body.len() < data.len());
        }
        let _ = reply.head.header("x");
    }
    if let Some(req) = http::request(data) {
        assert!(!req.method.is_empty() && !req.target.is_empty());
    }
    let _ = http::server_banner(data);
});
