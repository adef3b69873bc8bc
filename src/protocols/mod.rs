//! Application-layer hints read from single packets.
//!
//! The flow workers hand these parsers the payload of one packet: DNS
//! answers, the first client segment of a TLS flow, the first segments of an
//! RTSP exchange, WS-Discovery and DHCP datagrams. Each parser pulls out the
//! few facts that identify a device or a destination (the name a client
//! resolved, the TLS server name, a streaming server banner, an ONVIF model,
//! a DHCP host name and MAC) and ignores the rest of the protocol. Which
//! packets reach which parser is decided in one table, [`hints`].
//!
//! Nothing is reassembled: no TCP stream, no IP fragments, no state between
//! packets. That keeps the packet path free of per-flow buffers and of
//! attacker-controlled memory growth, and it costs little, because the facts
//! read here sit at the start of a message that nearly always fits one
//! segment or is a single datagram by design. Where a fact does straddle a
//! boundary the parser says so (or returns nothing) instead of guessing;
//! each module documents its own limits.
//!
//! Common rules for every parser here:
//! - any byte sequence is valid input: no panics, every access is
//!   bounds-checked and offsets only grow within the payload;
//! - no heap allocation: results borrow from the payload or live in fixed
//!   inline buffers;
//! - work is linear in the payload length, with explicit bounds where a
//!   format allows indirection (DNS compression pointers, CNAME chains).

pub mod dhcp;
pub mod dns;
pub mod hints;
pub mod http;
pub mod mdns;
pub mod natpmp;
pub mod onvif;
pub mod onvif_device;
pub mod rtp;
pub mod rtsp;
pub mod service;
#[cfg(test)]
mod testing;
pub mod tls;
pub mod upnp;
pub mod xml;
