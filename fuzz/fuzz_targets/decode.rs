//! `decode::decode` on every link type: the first byte picks the capture's
//! DLT value (all the ones the decoder knows, both spellings of raw IP, and
//! one it does not), the rest is the frame. Tunnels (GRE, ERSPAN, VXLAN,
//! Geneve, MPLS, PPPoE) are reached from inside the frame.
#![no_main]

use camsentry::decode::{Decoded, LinkType, decode, decode_ethernet_slow};
use libfuzzer_sys::fuzz_target;

mod links;
use links::DLTS;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, frame)) = data.split_first() else {
        return;
    };
    let link = LinkType::from_dlt(DLTS[usize::from(selector) % DLTS.len()]);
    let decoded = decode(link, frame);
    if let Ok(Decoded::Ip(view)) = &decoded {
        // Workers read the transport payload at this offset: it must lie in
        // the frame (offsets are clamped to 16 bits for giant frames).
        let start = usize::from(view.payload_offset);
        let end = start + usize::from(view.payload_len);
        if frame.len() <= usize::from(u16::MAX) {
            assert!(
                end <= frame.len(),
                "payload {start}..{end} past a {}-byte frame",
                frame.len()
            );
        }
    }
    if link == LinkType::Ethernet {
        // The IPv4 fast path must agree with etherparse's slicing.
        assert_eq!(decoded, decode_ethernet_slow(frame));
    }
});
