//! Flow tracking: the symmetric flow key, per-flow state, the table each
//! worker owns, and the finished-flow record.
//!
//! Nothing here knows about cameras or policy; detectors consume what the
//! table reports (a new flow, a first answer, a finished flow).

pub mod community_id;
mod key;
mod packet;
pub mod record;
mod state;
mod table;

pub use key::{FlowKey, worker_of};
pub use record::FlowRecord;
pub use state::{EndReason, Flow, RtpJump, RtpTrack, TcpState};
pub use table::{FlowPacket, FlowTable, PacketOutcome, TableCounters, Timeouts};
