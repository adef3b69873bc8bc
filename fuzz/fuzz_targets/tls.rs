//! The TLS ClientHello server-name reader.
#![no_main]

use camsentry::protocols::tls;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tls::looks_like_tls(data);
    let name = tls::server_name(data);
    assert_eq!(name.ok(), tls::client_hello_sni(data));
    if let Ok(name) = name {
        assert!(!name.is_empty() && name.len() <= 253, "{name:?}");
    }
});
