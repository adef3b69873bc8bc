//! One flow's state: who started it, what each side sent, how far the TCP
//! handshake and teardown went.

use std::net::IpAddr;

use super::key::FlowKey;
use crate::net::tcp_flags::{ACK, FIN, RST, SYN};
use crate::timestamp::Timestamp;

/// Direction index into the per-direction counters.
pub const FROM_INITIATOR: usize = 0;
pub const FROM_RESPONDER: usize = 1;

/// How far a TCP connection got. Not a full RFC 793 machine: a passive
/// sensor sees both directions' packets but not the endpoints' internal
/// state, so it tracks what matters for reporting and scan detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpState {
    /// First packet seen was not a SYN: the capture started mid-connection.
    Midstream,
    SynSent,
    /// The responder answered the SYN with SYN-ACK.
    SynAckReceived,
    Established,
    /// One side sent FIN.
    Closing,
    /// Both sides sent FIN.
    Closed,
    Reset,
}

impl TcpState {
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Midstream => "midstream",
            TcpState::SynSent => "syn_sent",
            TcpState::SynAckReceived => "syn_ack",
            TcpState::Established => "established",
            TcpState::Closing => "closing",
            TcpState::Closed => "closed",
            TcpState::Reset => "reset",
        }
    }
}

/// Why a flow record was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// No packet for longer than the protocol's inactivity timeout.
    Timeout,
    /// Both sides closed with FIN.
    Fin,
    /// A side reset the connection.
    Rst,
    /// The table was full and this was its stalest flow.
    Evicted,
    /// The input ended (end of the last capture file, or shutdown).
    EndOfInput,
}

impl EndReason {
    pub fn name(self) -> &'static str {
        match self {
            EndReason::Timeout => "timeout",
            EndReason::Fin => "fin",
            EndReason::Rst => "rst",
            EndReason::Evicted => "evicted",
            EndReason::EndOfInput => "end-of-input",
        }
    }
}

/// Per-flow state; 112 bytes. The table's own bookkeeping (wheel links)
/// lives in its slab entry, not here: a `Flow` is cloned into every
/// flow-end observation.
#[derive(Debug, Clone)]
pub struct Flow {
    pub key: FlowKey,
    /// Whether the initiator is the key's `lo` endpoint.
    pub initiator_is_lo: bool,
    /// The flow's opening was not seen (first packet not a SYN, or a
    /// datagram from a service port): the direction comes from the ports.
    pub midstream: bool,
    /// Media (RTP) seen per direction: bit 0 from the initiator, bit 1
    /// from the responder. Sticky: set by the worker from the packets'
    /// media hint.
    pub media: u8,
    pub icmp_one_way: bool,
    /// Detection watches an endpoint of this flow (set by the worker, see
    /// `pipeline::watch`): its later observations go to the collector even
    /// when they carry no MAC to tell.
    pub watched: bool,
    /// Live capture: index of the interface (in `-i` order) the flow's
    /// first packet came from; 0 on replay. Packets of one flow seen on
    /// several interfaces (a mirror of both sides) still make one flow.
    pub interface: u16,
    pub tcp_state: Option<TcpState>,
    /// Union of TCP flags each direction sent.
    pub tcp_flags: [u8; 2],
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    pub packets: [u64; 2],
    pub bytes: [u64; 2],
    /// Sequence number (position in the input) of the flow's first packet:
    /// a stable order for records flushed together.
    pub first_seq: u64,
}

/// The last RTP SSRC and sequence number of one side of a flow: what the
/// worker compares each media packet with, so that a changed SSRC or a
/// jump of the sequence number is reported once, not per packet. Eight
/// bytes; kept by the worker beside its table (the table entry is two
/// cache lines with no room to spare), see `pipeline::observe`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RtpTrack {
    pub ssrc: u32,
    pub seq: u16,
    /// Which side is tracked: 0 none yet, 1 the initiator, 2 the responder.
    /// The first side that sends media is kept.
    pub side: u8,
}

/// Sequence distance (forward, modulo 2^16) from the expected next packet
/// beyond which a jump is not loss: 4,096 packets are over a second of
/// high-rate video lost in one go; reordering shows as a small backward
/// step, within [`RTP_REORDER`].
pub const RTP_JUMP: u16 = 4_096;
/// A backward step of the sequence number up to this many packets is
/// reordering or a duplicate.
pub const RTP_REORDER: u16 = 512;

/// What [`RtpTrack::update`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpJump {
    pub old_ssrc: u32,
    pub new_ssrc: u32,
    pub old_seq: u16,
    pub new_seq: u16,
}

impl RtpTrack {
    /// Takes one media packet's header from `side` (1 initiator, 2
    /// responder); returns the change when its SSRC differs from the last
    /// one or its sequence number jumped.
    pub fn update(&mut self, side: u8, ssrc: u32, seq: u16) -> Option<RtpJump> {
        if self.side == 0 {
            *self = RtpTrack { ssrc, seq, side };
            return None;
        }
        if self.side != side {
            return None;
        }
        let forward = seq.wrapping_sub(self.seq.wrapping_add(1));
        let jumped = (RTP_JUMP..u16::MAX - RTP_REORDER).contains(&forward);
        let change = (ssrc != self.ssrc || jumped).then_some(RtpJump {
            old_ssrc: self.ssrc,
            new_ssrc: ssrc,
            old_seq: self.seq,
            new_seq: seq,
        });
        // A reordered packet does not move the sequence number back.
        if change.is_some() || forward < RTP_JUMP {
            self.ssrc = ssrc;
            self.seq = seq;
        }
        change
    }
}

impl Flow {
    pub fn initiator(&self) -> (IpAddr, u16) {
        if self.initiator_is_lo {
            (self.key.addr_lo, self.key.port_lo)
        } else {
            (self.key.addr_hi, self.key.port_hi)
        }
    }

    pub fn responder(&self) -> (IpAddr, u16) {
        if self.initiator_is_lo {
            (self.key.addr_hi, self.key.port_hi)
        } else {
            (self.key.addr_lo, self.key.port_lo)
        }
    }

    /// Whether the responder ever sent a packet.
    pub fn answered(&self) -> bool {
        self.packets[FROM_RESPONDER] > 0
    }

    /// Community ID v1 with seed 0, in the initiator's orientation.
    pub fn community_id(&self) -> String {
        let (src, src_port) = self.initiator();
        let (dst, dst_port) = self.responder();
        super::community_id::community_id_v1(
            0,
            self.key.proto,
            src,
            dst,
            src_port,
            dst_port,
            self.icmp_one_way,
        )
    }

    /// Advances the TCP state with a packet's flags.
    pub(super) fn tcp_update(&mut self, direction: usize, flags: u8) {
        self.tcp_flags[direction] |= flags;
        let Some(state) = self.tcp_state else {
            return;
        };
        let next = if flags & RST != 0 {
            TcpState::Reset
        } else if flags & FIN != 0 {
            let other = self.tcp_flags[1 - direction] & FIN != 0;
            if other {
                TcpState::Closed
            } else {
                TcpState::Closing
            }
        } else {
            match state {
                TcpState::SynSent
                    if direction == FROM_RESPONDER && flags & (SYN | ACK) == SYN | ACK =>
                {
                    TcpState::SynAckReceived
                }
                TcpState::SynAckReceived if direction == FROM_INITIATOR && flags & ACK != 0 => {
                    TcpState::Established
                }
                other => other,
            }
        };
        // A closed or reset connection stays so until it leaves the table.
        if !matches!(state, TcpState::Reset | TcpState::Closed) {
            self.tcp_state = Some(next);
        }
    }

    /// The end reason for a flow that stayed in the closed class until its
    /// short linger timeout ran out.
    pub fn close_reason(&self) -> EndReason {
        match self.tcp_state {
            Some(TcpState::Reset) => EndReason::Rst,
            Some(TcpState::Closed) => EndReason::Fin,
            _ => EndReason::Timeout,
        }
    }
}

/// Renders TCP flags as letters in a fixed order (S, A, F, R, P), like
/// the flag columns of Suricata's flow records.
pub fn flag_letters(flags: u8, out: &mut String) {
    use crate::net::tcp_flags::PSH;
    for (bit, letter) in [(SYN, 'S'), (ACK, 'A'), (FIN, 'F'), (RST, 'R'), (PSH, 'P')] {
        if flags & bit != 0 {
            out.push(letter);
        }
    }
}
