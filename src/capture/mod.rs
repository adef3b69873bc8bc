//! Packet sources: capture files replayed through libpcap, and live
//! interfaces. A source only reads; decoding and routing happen in the
//! pipeline's dispatcher.

mod file;
mod inputs;
pub mod live;
pub mod privileges;

pub use file::{FileOutcome, replay_file};
pub use inputs::{InputError, expand_inputs};
pub use live::{CaptureSettings, KernelStats, LiveCapture};

/// Packet time and on-the-wire length of a libpcap record. A record that
/// claims fewer wire bytes than it holds is corrupt; the larger figure is
/// trusted.
fn record_meta(header: &pcap::PacketHeader, captured: usize) -> (crate::timestamp::Timestamp, u32) {
    let ts = crate::timestamp::Timestamp::from_secs_nanos(header.ts.tv_sec, header.ts.tv_usec);
    (ts, header.len.max(captured as u32))
}
