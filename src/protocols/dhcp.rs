//! DHCPv4 (RFC 2131 / RFC 2132) message parsing over UDP 67/68.
//!
//! A camera's DHCP requests are its most talkative moment: the client MAC
//! (whose OUI names the maker), the host name it picks (`DCS-935L` for a
//! D-Link camera) and the vendor class of its DHCP client (`udhcp 1.22.1`, a
//! BusyBox firmware) arrive in clear before the device does anything else.
//! Server replies bind that MAC to the address the device will use, so later
//! flows from that address can be attributed to it.
//!
//! Limits:
//! - Options carried in the `sname`/`file` fields (option 52 overload) are
//!   not read; clients of the kind seen on camera networks do not use it.
//! - Only the first instance of an option is used; RFC 3396 long-option
//!   concatenation is not done (it is meant for options longer than 255
//!   bytes, which none of the fields read here needs).
//! - Host name and vendor class are returned only when they are UTF-8;
//!   trailing NUL bytes, which some clients append, are removed.
//! - Relayed (giaddr) and DHCPv6 traffic are not distinguished or handled.

use std::fmt;
use std::net::Ipv4Addr;

const FIXED_LEN: usize = 236;
const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
const OPT_PAD: u8 = 0;
const OPT_HOST_NAME: u8 = 12;
const OPT_REQUESTED_IP: u8 = 50;
const OPT_MESSAGE_TYPE: u8 = 53;
const OPT_SERVER_ID: u8 = 54;
const OPT_VENDOR_CLASS: u8 = 60;
const OPT_END: u8 = 255;
const HTYPE_ETHERNET: u8 = 1;

/// Why a payload was not read as DHCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DhcpError {
    /// Shorter than the fixed BOOTP header plus magic cookie, or an option
    /// runs past the end of the payload.
    Truncated,
    /// `op` is neither BOOTREQUEST (1) nor BOOTREPLY (2); carries it.
    BadOp(u8),
    /// Hardware address length above the 16 bytes of `chaddr`; carries it.
    BadHardwareLength(u8),
    /// No DHCP magic cookie: plain BOOTP or not DHCP at all.
    NoMagicCookie,
}

impl fmt::Display for DhcpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("DHCP message truncated"),
            Self::BadOp(op) => write!(f, "DHCP op {op} is neither request nor reply"),
            Self::BadHardwareLength(n) => write!(f, "DHCP hardware address length {n} above 16"),
            Self::NoMagicCookie => f.write_str("DHCP magic cookie missing"),
        }
    }
}

impl std::error::Error for DhcpError {}

/// DHCP message type (option 53).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DhcpMessageType {
    Discover,
    Offer,
    Request,
    Decline,
    Ack,
    Nak,
    Release,
    Inform,
    /// A type outside RFC 2132 (lease query and others).
    Other(u8),
}

impl DhcpMessageType {
    fn from_code(code: u8) -> Self {
        match code {
            1 => Self::Discover,
            2 => Self::Offer,
            3 => Self::Request,
            4 => Self::Decline,
            5 => Self::Ack,
            6 => Self::Nak,
            7 => Self::Release,
            8 => Self::Inform,
            other => Self::Other(other),
        }
    }
}

/// The fields of a DHCP message the sensor uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DhcpInfo<'a> {
    /// True for BOOTREPLY (server to client).
    pub is_reply: bool,
    /// Option 53; `None` for a message without it (plain BOOTP style).
    pub message_type: Option<DhcpMessageType>,
    pub transaction_id: u32,
    /// `chaddr` when the hardware type is Ethernet with a 6-byte address.
    pub client_mac: Option<[u8; 6]>,
    /// `ciaddr`: the address a client in BOUND/RENEWING state already has.
    pub client_addr: Ipv4Addr,
    /// `yiaddr`: the address a server offers or assigns.
    pub your_addr: Ipv4Addr,
    /// Option 50: the address a client asks for.
    pub requested_addr: Option<Ipv4Addr>,
    /// Option 54: the server that answered or that the client chose.
    pub server_id: Option<Ipv4Addr>,
    /// Option 12.
    pub host_name: Option<&'a str>,
    /// Option 60.
    pub vendor_class: Option<&'a str>,
}

impl DhcpInfo<'_> {
    /// The address this message says the client uses or is about to use,
    /// to bind to its MAC:
    /// - ACK: `yiaddr`, or `ciaddr` when acknowledging an INFORM;
    /// - REQUEST: option 50, or `ciaddr` when renewing;
    /// - INFORM: `ciaddr`.
    ///
    /// DISCOVER and OFFER only propose an address and NAK, DECLINE and
    /// RELEASE give one up, so they return `None`, as does 0.0.0.0.
    pub fn claimed_addr(&self) -> Option<Ipv4Addr> {
        let set = |a: Ipv4Addr| (!a.is_unspecified()).then_some(a);
        match self.message_type? {
            DhcpMessageType::Ack => set(self.your_addr).or_else(|| set(self.client_addr)),
            DhcpMessageType::Request => self
                .requested_addr
                .and_then(set)
                .or_else(|| set(self.client_addr)),
            DhcpMessageType::Inform => set(self.client_addr),
            _ => None,
        }
    }
}

/// Parses a DHCP message; `None` when it is not one (see [`try_parse`]).
pub fn parse(payload: &[u8]) -> Option<DhcpInfo<'_>> {
    try_parse(payload).ok()
}

/// Parses a DHCP message and says why it was rejected.
pub fn try_parse(payload: &[u8]) -> Result<DhcpInfo<'_>, DhcpError> {
    let (fixed, rest) = payload
        .split_first_chunk::<FIXED_LEN>()
        .ok_or(DhcpError::Truncated)?;
    let (cookie, mut options) = rest.split_first_chunk::<4>().ok_or(DhcpError::Truncated)?;
    // Field offsets per RFC 2131 figure 1; destructuring keeps every access
    // checked at compile time.
    let [
        op,
        htype,
        hlen,
        _hops,
        x0,
        x1,
        x2,
        x3,
        _secs0,
        _secs1,
        _flags0,
        _flags1,
        ci0,
        ci1,
        ci2,
        ci3,
        yi0,
        yi1,
        yi2,
        yi3,
        _si0,
        _si1,
        _si2,
        _si3,
        _gi0,
        _gi1,
        _gi2,
        _gi3,
        m0,
        m1,
        m2,
        m3,
        m4,
        m5,
        ..,
    ] = *fixed;
    let is_reply = match op {
        1 => false,
        2 => true,
        op => return Err(DhcpError::BadOp(op)),
    };
    if hlen > 16 {
        return Err(DhcpError::BadHardwareLength(hlen));
    }
    if *cookie != MAGIC_COOKIE {
        return Err(DhcpError::NoMagicCookie);
    }
    let mut info = DhcpInfo {
        is_reply,
        message_type: None,
        transaction_id: u32::from_be_bytes([x0, x1, x2, x3]),
        client_mac: (htype == HTYPE_ETHERNET && hlen == 6).then_some([m0, m1, m2, m3, m4, m5]),
        client_addr: Ipv4Addr::new(ci0, ci1, ci2, ci3),
        your_addr: Ipv4Addr::new(yi0, yi1, yi2, yi3),
        requested_addr: None,
        server_id: None,
        host_name: None,
        vendor_class: None,
    };

    let (mut seen_type, mut seen_requested, mut seen_server, mut seen_host, mut seen_vendor) =
        (false, false, false, false, false);
    // A missing END option is tolerated (some clients stop at the last
    // option); an option running past the payload is not.
    while let Some((&code, rest)) = options.split_first() {
        match code {
            OPT_END => break,
            OPT_PAD => {
                options = rest;
                continue;
            }
            _ => {}
        }
        let (&len, rest) = rest.split_first().ok_or(DhcpError::Truncated)?;
        let (data, rest) = rest
            .split_at_checked(usize::from(len))
            .ok_or(DhcpError::Truncated)?;
        options = rest;
        match (code, data) {
            (OPT_MESSAGE_TYPE, &[t]) if !seen_type => {
                seen_type = true;
                info.message_type = Some(DhcpMessageType::from_code(t));
            }
            (OPT_REQUESTED_IP, &[a, b, c, d]) if !seen_requested => {
                seen_requested = true;
                info.requested_addr = Some(Ipv4Addr::new(a, b, c, d));
            }
            (OPT_SERVER_ID, &[a, b, c, d]) if !seen_server => {
                seen_server = true;
                info.server_id = Some(Ipv4Addr::new(a, b, c, d));
            }
            (OPT_HOST_NAME, _) if !seen_host => {
                seen_host = true;
                info.host_name = text(data);
            }
            (OPT_VENDOR_CLASS, _) if !seen_vendor => {
                seen_vendor = true;
                info.vendor_class = text(data);
            }
            _ => {}
        }
    }
    Ok(info)
}

fn text(data: &[u8]) -> Option<&str> {
    let end = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let data = data.get(..end)?;
    if data.is_empty() {
        return None;
    }
    std::str::from_utf8(data).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::testing::hex;
    use proptest::prelude::*;

    /// The 236-byte fixed part, zeros after `chaddr`.
    fn fixed(head: &str) -> String {
        let mut s = head.to_owned();
        s.push_str(&"00".repeat(FIXED_LEN - head.len() / 2));
        s
    }

    /// D-Link DCS-935L camera setup capture: DHCPREQUEST from udhcp 1.22.1
    /// for 10.10.10.37, no END padding.
    fn dlink_request() -> Vec<u8> {
        hex(
            &(fixed("01010600391675c30003800000000000000000000000000000000000b0c554255b0e")
                + "638253633501033d0701b0c554255b0e32040a0a0a2536040a0a0a013902024037070103060c0f1c2a3c\
             0c756468637020312e32322e310c084443532d3933354cff"),
        )
    }

    /// Ednet camera setup capture: server DHCPACK assigning 10.10.10.186.
    fn ednet_ack() -> Vec<u8> {
        hex(
            &(fixed("020106004bf40b0d00000000000000000a0a0aba0a0a0a01000000003c49370317db")
                + "6382536335010536040a0a0a013304000151803a040000a8c03b04000127500104ffffff001c040a0a0a\
             ff1a0205dc06040a0a0a0103040a0a0a01ff00000000"),
        )
    }

    #[test]
    fn camera_request() {
        let payload = dlink_request();
        assert_eq!(payload.len(), 302);
        assert_eq!(
            parse(&payload),
            Some(DhcpInfo {
                is_reply: false,
                message_type: Some(DhcpMessageType::Request),
                transaction_id: 0x3916_75c3,
                client_mac: Some([0xb0, 0xc5, 0x54, 0x25, 0x5b, 0x0e]),
                client_addr: Ipv4Addr::UNSPECIFIED,
                your_addr: Ipv4Addr::UNSPECIFIED,
                requested_addr: Some(Ipv4Addr::new(10, 10, 10, 37)),
                server_id: Some(Ipv4Addr::new(10, 10, 10, 1)),
                host_name: Some("DCS-935L"),
                vendor_class: Some("udhcp 1.22.1"),
            })
        );
        assert_eq!(
            parse(&payload).unwrap().claimed_addr(),
            Some(Ipv4Addr::new(10, 10, 10, 37))
        );
    }

    #[test]
    fn server_ack() {
        let payload = ednet_ack();
        let info = parse(&payload).unwrap();
        assert!(info.is_reply);
        assert_eq!(info.message_type, Some(DhcpMessageType::Ack));
        assert_eq!(info.client_mac, Some([0x3c, 0x49, 0x37, 0x03, 0x17, 0xdb]));
        assert_eq!(info.your_addr, Ipv4Addr::new(10, 10, 10, 186));
        assert_eq!(info.server_id, Some(Ipv4Addr::new(10, 10, 10, 1)));
        assert_eq!(info.claimed_addr(), Some(Ipv4Addr::new(10, 10, 10, 186)));
        assert_eq!(info.host_name, None);
        // Same capture, the OFFER differs only in the type byte.
        let mut offer = payload.clone();
        offer[242] = 2;
        let info = parse(&offer).unwrap();
        assert_eq!(info.message_type, Some(DhcpMessageType::Offer));
        assert_eq!(info.claimed_addr(), None);
    }

    #[test]
    fn rejected_messages() {
        let payload = dlink_request();
        assert_eq!(try_parse(&payload[..239]), Err(DhcpError::Truncated));
        // Cut inside the host-name option.
        assert_eq!(
            try_parse(&payload[..payload.len() - 3]),
            Err(DhcpError::Truncated)
        );
        // Cut right before END: tolerated.
        assert_eq!(
            parse(&payload[..payload.len() - 1]).unwrap().host_name,
            Some("DCS-935L")
        );
        let mut bad = payload.clone();
        bad[236] = 0;
        assert_eq!(try_parse(&bad), Err(DhcpError::NoMagicCookie));
        let mut bad = payload.clone();
        bad[0] = 3;
        assert_eq!(try_parse(&bad), Err(DhcpError::BadOp(3)));
        let mut bad = payload;
        bad[2] = 17;
        assert_eq!(try_parse(&bad), Err(DhcpError::BadHardwareLength(17)));
    }

    #[test]
    fn option_quirks() {
        // Hand-built: pads, NUL-terminated host name, repeated option (first
        // wins), non-UTF-8 vendor class, unknown message type, no END.
        let mut payload = hex(&fixed("0101060000000001"));
        payload.extend_from_slice(&MAGIC_COOKIE);
        payload.extend_from_slice(&[0, 0, 53, 1, 9, 12, 5, b'c', b'a', b'm', 0, 0]);
        payload.extend_from_slice(&[12, 3, b'x', b'y', b'z', 60, 2, 0xff, 0xfe]);
        payload.extend_from_slice(&[50, 3, 1, 2, 3]); // wrong length: ignored
        let info = parse(&payload).unwrap();
        assert_eq!(info.message_type, Some(DhcpMessageType::Other(9)));
        assert_eq!(info.host_name, Some("cam"));
        assert_eq!(info.vendor_class, None);
        assert_eq!(info.requested_addr, None);
        assert_eq!(info.client_mac, Some([0; 6]));
        assert_eq!(info.claimed_addr(), None);
    }

    #[test]
    fn claimed_address_by_message_type() {
        let payload = dlink_request();
        let base = parse(&payload).unwrap();
        let with = |message_type, requested, ci, yi| DhcpInfo {
            message_type: Some(message_type),
            requested_addr: requested,
            client_addr: ci,
            your_addr: yi,
            ..base
        };
        let zero = Ipv4Addr::UNSPECIFIED;
        let a = Ipv4Addr::new(192, 168, 0, 10);
        let b = Ipv4Addr::new(128, 2, 6, 122);
        use DhcpMessageType::*;
        // Discover carrying 0.0.0.0 in option 50 (seen in public captures).
        assert_eq!(with(Discover, Some(zero), zero, zero).claimed_addr(), None);
        assert_eq!(with(Discover, Some(a), zero, zero).claimed_addr(), None);
        assert_eq!(with(Request, Some(zero), b, zero).claimed_addr(), Some(b));
        assert_eq!(with(Request, None, b, zero).claimed_addr(), Some(b));
        // ACK to an INFORM: yiaddr is 0.0.0.0, ciaddr holds the address.
        assert_eq!(with(Ack, None, b, zero).claimed_addr(), Some(b));
        assert_eq!(with(Ack, None, zero, a).claimed_addr(), Some(a));
        assert_eq!(with(Inform, None, b, zero).claimed_addr(), Some(b));
        assert_eq!(with(Release, None, b, zero).claimed_addr(), None);
        assert_eq!(with(Nak, None, zero, zero).claimed_addr(), None);
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            let _ = try_parse(&bytes);
        }

        #[test]
        fn never_panics_on_mutated_messages(
            which in 0usize..2,
            edits in proptest::collection::vec((240usize..320, any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = if which == 0 { dlink_request() } else { ednet_ack() };
            for (at, value) in edits {
                if let Some(b) = bytes.get_mut(at) {
                    *b = value;
                }
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            if let Ok(info) = try_parse(&bytes) {
                prop_assert!(info.host_name.is_none_or(|h| !h.is_empty()));
            }
        }
    }
}
