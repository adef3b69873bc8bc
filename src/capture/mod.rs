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
