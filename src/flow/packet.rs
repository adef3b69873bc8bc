//! From a decoded packet to what the flow table reads: the one place flow
//! tracking looks at a [`PacketView`], so the table itself depends on no
//! decoder.

use super::key::FlowKey;
use super::state::{EndReason, Flow};
use super::table::{FlowPacket, FlowTable, PacketOutcome};
use crate::decode::PacketView;
use crate::timestamp::Timestamp;

impl FlowPacket {
    /// The table's view of `view`, keyed `key` (whose `lo` side is the
    /// source when `src_is_lo`), with `hash == key.hash64()`.
    #[inline]
    pub fn from_view(
        view: &PacketView,
        (key, src_is_lo): (FlowKey, bool),
        hash: u64,
        wire_len: u32,
        ts: Timestamp,
        seq: u64,
    ) -> FlowPacket {
        FlowPacket {
            key,
            src_is_lo,
            hash,
            wire_len,
            ts,
            seq,
            tcp_flags: view.tcp_flags,
            icmp_one_way: view.icmp_one_way,
            interface: 0,
        }
    }

    /// The same packet, read from capture interface `interface`.
    #[inline]
    pub fn on_interface(self, interface: u16) -> FlowPacket {
        FlowPacket { interface, ..self }
    }
}

impl FlowTable {
    /// [`FlowTable::update_hashed`] for a caller holding a decoded packet
    /// and no hash yet (tests, one-off lookups): `wire_len` bytes on the
    /// wire, at `ts`, at input position `seq`.
    #[inline]
    pub fn update(
        &mut self,
        view: &PacketView,
        keyed: (FlowKey, bool),
        wire_len: u32,
        ts: Timestamp,
        seq: u64,
        on_end: &mut impl FnMut(&Flow, EndReason),
    ) -> PacketOutcome {
        let hash = keyed.0.hash64();
        self.update_hashed(
            FlowPacket::from_view(view, keyed, hash, wire_len, ts, seq),
            on_end,
        )
    }
}
