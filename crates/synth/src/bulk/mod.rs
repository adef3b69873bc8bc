//! Bulk benchmark scenarios: `cctv-mix`, `small-flows` and the identity
//! floods.
//!
//! These produce millions of packets, so nothing is built with
//! `PacketBuilder` per packet. Each frame type has a header template built
//! once; per packet only addresses, ports, lengths, sequence numbers and
//! identifiers are patched in place, and checksums are computed from the
//! patched header words plus a precomputed sum of the payload, which comes
//! from a shared random pool (prefix sums of its 16-bit words make the
//! payload part of any UDP/TCP checksum O(1)). Frames go to the pcap writer
//! as a patched header plus a slice of the pool, without assembling them.
//!
//! The rare control and background conversations of `cctv-mix` (RTSP
//! keep-alives, RTCP, DNS, NTP, ARP, cloud HTTPS, the workstation) are built
//! with the ordinary [`Sim`](crate::traffic::Sim) blocks ten seconds at a time and merged in by
//! timestamp.
//!
//! Layout: `template.rs` holds what every template shares (checksum
//! arithmetic, the payload pool, the L2/IP prefix); `cctv_mix.rs` the video
//! streams, `side.rs` the control and background traffic merged into them,
//! `small_flows.rs` the request/reply pairs, `identity_flood.rs` a small
//! site under a flood of addresses behind one MAC.

mod cctv_mix;
pub mod identity_flood;
mod side;
mod small_flows;
mod template;
#[cfg(test)]
mod tests;

pub use cctv_mix::cctv_mix;
pub use identity_flood::identity_flood;
pub use small_flows::small_flows;

/// Default packet count of `cctv-mix`.
pub const CCTV_MIX_DEFAULT_PACKETS: u64 = 5_000_000;
/// Cameras in `cctv-mix` (see [`crate::site::bulk_camera`]).
pub const CCTV_MIX_CAMERAS: usize = 32;
/// The last this many cameras of `cctv-mix` send RTP interleaved in their
/// RTSP TCP connection (port 554) instead of over UDP.
pub const CCTV_MIX_TCP_CAMERAS: usize = 8;
/// Video frame rate of every camera.
pub const CCTV_MIX_FPS: u64 = 25;
/// Default packet count of `small-flows`.
pub const SMALL_FLOWS_DEFAULT_PACKETS: u64 = 2_000_000;
/// Frame length of every `small-flows` packet.
pub const SMALL_FLOW_FRAME: usize = 64;
/// Distinct client addresses of `small-flows` (10.30.1.1 ..= 10.30.200.250,
/// clear of the gateway 10.30.0.1 and the workstation 10.30.0.50).
pub const SMALL_FLOWS_CLIENTS: u64 = 50_000;
/// A flow's reply follows its request after this many other requests.
pub const SMALL_FLOWS_REPLY_LAG: u64 = 1_000;
