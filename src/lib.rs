//! camsentry: a passive network sensor for CCTV and IP-camera networks.
//!
//! The crate reads packets (capture files, FIFOs and stdin with its own
//! pcap/pcapng reader, live interfaces through libpcap), decodes them
//! without copying, tracks bidirectional flows in per-worker tables, and
//! reports finished flows and policy alerts as JSON lines.
//!
//! # Floors
//!
//! Every module sits on one floor, listed here bottom to top. A module
//! imports only from its own floor and the floors below it, never from a
//! floor above; `scripts/layers` reads this list and checks every
//! `crate::` path outside unit tests (it has room for a list of known
//! exceptions, empty today).
//!
//! 1. foundation: `timestamp`, `console`, `net`, `vendor`, `small_map`
//!    (packet time; stderr that never panics; IP protocol numbers and TCP
//!    flags; the MAC vendor table; the ordered map per-host state uses).
//! 2. packets: `protocols`, `decode`, `capture`
//!    (payload parsers; frames to packet views; packet sources).
//! 3. flows: `flow`, `observation`
//!    (keys, tables, records; what a worker reports about its flows).
//! 4. policy: `alert`, `config`
//!    (the alert type and its encodings; the validated site policy).
//! 5. detection: `camera`, `detect`
//!    (who is a camera and whom it talks to; the detectors).
//! 6. delivery: `sink`
//!    (where lines go: files, stdout, syslog, sockets).
//! 7. top: `pipeline`, `stats`, `report`, `cli`
//!    (threads and channels; counters and telemetry; summaries and the
//!    HTML report; the command line).

// Floor 1: foundation.
pub mod console;
pub mod net;
pub mod small_map;
pub mod timestamp;
pub mod vendor;

// Floor 2: packets.
pub mod capture;
pub mod decode;
pub mod protocols;

// Floor 3: flows.
pub mod flow;
pub mod observation;

// Floor 4: policy.
pub mod alert;
pub mod config;

// Floor 5: detection.
pub mod camera;
pub mod detect;

// Floor 6: delivery.
pub mod sink;

// Floor 7: top.
pub mod cli;
pub mod pipeline;
pub mod report;
pub mod stats;
