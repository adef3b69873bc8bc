//! camsentry: a passive network sensor for CCTV and IP-camera networks.
//!
//! The crate reads packets (capture files, FIFOs and stdin with its own
//! pcap/pcapng reader, live interfaces through libpcap), decodes them
//! without copying, tracks bidirectional flows in per-worker tables, and
//! reports finished flows and policy alerts as JSON lines.
//!
//! Layers, top to bottom (nothing imports a layer above it):
//! `pipeline` (threads and channels) → `flow` (keys, table, records) and
//! `capture` (packet sources) → `decode` (frames to packet views) →
//! `timestamp`, `stats`, and at the very bottom `net` (protocol numbers,
//! TCP flags) and `vendor` (MAC vendor table), which import nothing.

#![deny(unsafe_code)]

pub mod alert;
pub mod camera;
pub mod capture;
pub mod cli;
pub mod config;
pub mod console;
pub mod decode;
pub mod detect;
pub mod flow;
pub mod net;
pub mod observation;
pub mod output;
pub mod pipeline;
pub mod protocols;
pub mod report;
pub mod sink;
pub mod stats;
pub mod synth;
pub mod telemetry;
pub mod timestamp;
pub mod vendor;
