//! Why a frame could not be turned into a packet view.

use std::fmt;

/// The fixed set of reasons a frame is not decoded. Each is counted in the
/// run summary; none stops the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DecodeError {
    /// The capture's link type is not one camsentry decodes.
    UnsupportedLinkType,
    /// The frame ends inside a header we need (short capture or cut frame).
    Truncated,
    /// A header is present but invalid (bad IP version or header length).
    Malformed,
    /// A link-layer protocol other than IP or ARP (STP, LLDP, LACP, ...).
    NonIp,
}

impl DecodeError {
    pub const ALL: [DecodeError; 4] = [
        DecodeError::UnsupportedLinkType,
        DecodeError::Truncated,
        DecodeError::Malformed,
        DecodeError::NonIp,
    ];

    /// Stable snake_case name used in the summary, stats JSON and metrics.
    pub fn name(self) -> &'static str {
        match self {
            DecodeError::UnsupportedLinkType => "unsupported_link_type",
            DecodeError::Truncated => "truncated",
            DecodeError::Malformed => "malformed",
            DecodeError::NonIp => "non_ip",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
