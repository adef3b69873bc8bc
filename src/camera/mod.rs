//! Who is a camera, and what names its peers have.
//!
//! The inventory accumulates evidence per host (MAC vendor, RTSP replies,
//! ONVIF discovery answers, policy groups); the name table remembers which
//! DNS name or TLS SNI each client used for each address. Both live in the
//! collector thread, fed with observations in input order.

pub mod host;
pub mod inventory;
pub mod macs;
pub mod names;

pub use host::{Host, Role};
pub use inventory::Inventory;
pub use names::Names;
