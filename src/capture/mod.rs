//! Packet sources: capture files replayed through libpcap (and, later, live
//! interfaces). A source only reads; decoding and routing happen in the
//! pipeline's dispatcher.

mod file;
mod inputs;

pub use file::{FileOutcome, replay_file};
pub use inputs::{InputError, expand_inputs};
