//! Traffic building blocks: conversations rendered as timestamped frames.
//!
//! [`Sim`] owns the trace, the random stream and per-host IP identification
//! counters; each method appends one protocol exchange (a DNS lookup, a TCP
//! connection, an RTSP session, an RTP stream, ...) starting at a given time
//! and returns the time of its last frame, so scenarios read as timelines.
//!
//! Timing model: a frame from host X that answers a frame seen at time `t`
//! is seen at `t + delay(X)`, where `delay` is the round trip between the
//! mirror port and X plus a little processing (about 0.2 ms on the LAN, the
//! Internet RTT for external hosts).
//!
//! Layout: this file holds [`Sim`] and its per-host state; each protocol
//! family adds its methods to `Sim` from its own file:
//! - `datagram.rs`: UDP, ARP, DNS, NTP and UDP probes;
//! - `tcp.rs`: connection state, handshakes, data transfer, teardown and
//!   failed connections;
//! - `services.rs`: HTTPS, ONVIF / WS-Discovery, plain HTTP and SSH;
//! - `rtsp.rs`: RTSP sessions and the RTP streams they set up.

use std::collections::HashMap;

use crate::rng::Rng;
use crate::site::{self, Host};
use crate::trace::Trace;

mod datagram;
mod rtsp;
mod services;
mod tcp;
#[cfg(test)]
mod tests;

pub use rtsp::{RtpStream, RtpTransport, RtspSession};
pub use tcp::{Dir, SendOpts, Tcp};

/// Microseconds per second.
pub const SEC: u64 = 1_000_000;
/// Microseconds per millisecond.
pub const MS: u64 = 1_000;

/// Scenario builder: the trace, the random stream and per-host counters.
pub struct Sim {
    /// Frames produced so far.
    pub trace: Trace,
    /// Random stream.
    pub rng: Rng,
    ip_ids: HashMap<[u8; 4], u16>,
}

impl Sim {
    /// Empty scenario seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Sim {
            trace: Trace::new(),
            rng: Rng::new(seed),
            ip_ids: HashMap::new(),
        }
    }

    /// Next IP identification of `h` (one counter per host, random start).
    pub fn ip_id(&mut self, h: &Host) -> u16 {
        let start = self.rng.next_u16();
        let id = self.ip_ids.entry(h.ip).or_insert(start);
        *id = id.wrapping_add(1);
        *id
    }

    /// Response delay of `h` as seen from the mirror port (µs).
    pub fn delay(&mut self, h: &Host) -> u64 {
        let base = if !h.is_external() {
            if h.vlan == site::CAMERA_VLAN {
                180
            } else {
                450
            }
        } else {
            match h.ip {
                [203, 0, 113, _] => 28 * MS,
                [198, 51, 100, _] => 84 * MS,
                [192, 0, 2, _] => 61 * MS,
                [10, ..] => 12 * MS,
                _ => 45 * MS,
            }
        };
        base + self.rng.below(base / 8 + 1)
    }

    /// Appends a whole frame.
    pub fn emit(&mut self, t: u64, frame: Vec<u8>) {
        self.trace.push(t, frame);
    }
}
