//! Packet decoding: link layer bytes to a small, copyable view of the packet.
//!
//! The reader thread calls [`decode`] once per frame. Decoding is zero-copy
//! (etherparse's lax slicing for Ethernet, VLAN tags and IPv4/IPv6 headers;
//! our own bounds-checked code for the IPv6 extension-header chain, the
//! tunnels and the transport ports and flags), allocates nothing, and never
//! panics: what cannot be decoded comes back as one of the fixed
//! [`DecodeError`] reasons, which the caller counts.
//!
//! The result, [`PacketView`], carries what flow tracking needs (addresses,
//! ports, VLANs, TCP flags, lengths) plus where the transport payload starts,
//! so that workers can read application hints (DNS, TLS SNI, RTSP banners)
//! without decoding again.
//!
//! Fragments: the first fragment of an IP datagram carries the transport
//! header and keys its flow like any packet; later fragments carry no ports,
//! so they are counted ([`Decoded::LaterFragment`]) and not attributed to a
//! flow. Reassembly would cost memory per datagram for traffic that cameras
//! practically never produce, and a mirror port sees both fragments anyway.

mod error;
mod fast;
pub mod icmp;
mod ipv6;
mod link;
mod packet;
mod transport;
pub mod tunnel;

pub use error::DecodeError;
pub use link::{LinkType, TUNNEL_KINDS, decode, decode_ethernet_slow, tunnel_index};
pub use packet::{ArpView, Decoded, Fragment, PacketView, QuotedHeader, tcp_flags};
