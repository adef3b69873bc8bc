//! Packet sources: capture files, FIFOs and standard input replayed by
//! our own pcap/pcapng reader, and live interfaces through libpcap. A
//! source only reads; decoding and routing happen in the pipeline's
//! dispatcher.

mod fanout;
mod file;
mod inputs;
pub mod live;
pub mod privileges;
pub mod savefile;
pub mod source;

pub use fanout::{FanoutSockets, MAX_READERS, open_fanout};
pub use file::{FileOutcome, display_name, replay_file};
pub use inputs::{InputError, Inputs, expand_inputs};
pub use live::{CaptureSettings, KernelStats, LiveCapture};

/// Packet time and on-the-wire length of a libpcap record. A record that
/// claims fewer wire bytes than it holds is corrupt; the larger figure is
/// trusted.
fn record_meta(header: &pcap::PacketHeader, captured: usize) -> (crate::timestamp::Timestamp, u32) {
    // `tv_usec` holds nanoseconds, despite its name: the live handle (the
    // only libpcap reader; files go through `savefile`) is opened with
    // `Precision::Nano`, so libpcap fills the field with nanoseconds.
    let ts = crate::timestamp::Timestamp::from_secs_nanos(header.ts.tv_sec, header.ts.tv_usec);
    (ts, header.len.max(captured as u32))
}
