//! SSDP and the UPnP IGD port-mapping control messages.
#![no_main]

use camsentry::protocols::upnp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(ssdp) = upnp::ssdp(data) {
        let _ = ssdp.gateway_target();
    }
    if let Some(call) = upnp::control_request(data) {
        assert!(!call.action.action.is_empty());
    }
    if let Some(reply) = upnp::control_response(data) {
        assert!(
            reply.error_code.is_some()
                || reply.action_response.is_some()
                || reply.error_description.is_some()
                || reply.status > 0
        );
    }
    let _ = upnp::port_mapping_args(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = upnp::soap_action(text);
    }
});
