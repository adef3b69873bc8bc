//! IPv6 extension headers, walked with our own bounds checks.
//!
//! etherparse slices the chain safely, but in 0.21.0 its iterator over the
//! sliced headers (`Ipv6ExtensionSliceIter`) does not check lengths: when
//! the chain is cut short (the last header it kept names another extension
//! header that is not there) `next` builds a header from an empty slice with
//! `from_slice_unchecked` and reads past the end of the packet. The decoder
//! therefore never iterates etherparse's extensions; it walks the chain here,
//! through the headers etherparse does not know as well (mobility, HIP,
//! shim6, the experimental numbers), and gets the upper-layer protocol, its
//! bytes and the fragment position in one pass.

use super::error::DecodeError;
use super::packet::Fragment;

pub const HOP_BY_HOP: u8 = 0;
pub const ROUTING: u8 = 43;
pub const FRAGMENT: u8 = 44;
pub const AUTH: u8 = 51;
pub const NO_NEXT_HEADER: u8 = 59;
pub const DEST_OPTIONS: u8 = 60;
pub const MOBILITY: u8 = 135;
pub const HIP: u8 = 139;
pub const SHIM6: u8 = 140;
pub const EXPERIMENTAL_1: u8 = 253;
pub const EXPERIMENTAL_2: u8 = 254;

/// Where an IPv6 packet's extension headers lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain<'a> {
    /// The upper-layer protocol, the bytes after the last extension header,
    /// and whether a fragment header made this the first fragment.
    Upper {
        proto: u8,
        payload: &'a [u8],
        fragment: Fragment,
    },
    /// A fragment header with a non-zero offset: what follows is the middle
    /// of a datagram, not headers.
    LaterFragment,
}

/// Walks the chain that starts with protocol `next` (the IPv6 header's Next
/// Header) at the start of `bytes` (the IPv6 payload). A header that does
/// not fit in `bytes` is `Truncated`; an authentication header whose length
/// cannot hold its own fixed fields is `Malformed`. Linear in the chain
/// length: every header is at least 8 bytes.
pub fn walk(mut next: u8, mut bytes: &[u8]) -> Result<Chain<'_>, DecodeError> {
    let mut fragment = Fragment::None;
    // The last header that carries its own message (mobility, HIP, shim6).
    let mut message = None;
    loop {
        let len = match next {
            HOP_BY_HOP | ROUTING | DEST_OPTIONS | MOBILITY | HIP | SHIM6 | EXPERIMENTAL_1
            | EXPERIMENTAL_2 => {
                // RFC 8200 / RFC 6564: length in 8-octet units, not counting
                // the first 8 octets.
                (usize::from(*bytes.get(1).ok_or(DecodeError::Truncated)?) + 1) * 8
            }
            FRAGMENT => 8,
            AUTH => {
                // RFC 4302: length in 4-octet units, minus 2. The fixed part
                // (next header, length, reserved, SPI, sequence) is 12 bytes.
                let units = usize::from(*bytes.get(1).ok_or(DecodeError::Truncated)?);
                if units == 0 {
                    return Err(DecodeError::Malformed);
                }
                (units + 2) * 4
            }
            _ => {
                // Mobility and HIP messages live in the header itself and end
                // the chain with No Next Header: key the flow on them.
                let proto = match (next, message) {
                    (NO_NEXT_HEADER, Some(message)) => message,
                    _ => next,
                };
                return Ok(Chain::Upper {
                    proto,
                    payload: bytes,
                    fragment,
                });
            }
        };
        let header = bytes.get(..len).ok_or(DecodeError::Truncated)?;
        match next {
            FRAGMENT => {
                let field = u16::from_be_bytes([header[2], header[3]]);
                if field >> 3 != 0 {
                    return Ok(Chain::LaterFragment);
                }
                if field & 1 != 0 {
                    fragment = Fragment::First;
                }
            }
            MOBILITY | HIP | SHIM6 => message = Some(next),
            _ => {}
        }
        next = header[0];
        bytes = &bytes[len..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upper(next: u8, bytes: &[u8]) -> (u8, usize, Fragment) {
        match walk(next, bytes) {
            Ok(Chain::Upper {
                proto,
                payload,
                fragment,
            }) => (proto, bytes.len() - payload.len(), fragment),
            other => panic!("expected an upper layer, got {other:?}"),
        }
    }

    #[test]
    fn no_extension_headers() {
        assert_eq!(upper(17, &[1, 2, 3]), (17, 0, Fragment::None));
        assert_eq!(upper(6, &[]), (6, 0, Fragment::None));
    }

    #[test]
    fn chain_of_every_kind() {
        let mut bytes = Vec::new();
        // Hop-by-hop (8 bytes) -> routing (24 bytes) -> AH (16 bytes)
        // -> destination options (8) -> shim6 payload ext (8) -> 253 (8)
        // -> UDP.
        bytes.extend_from_slice(&[ROUTING, 0, 0, 0, 0, 0, 0, 0]);
        bytes.extend_from_slice(&[AUTH, 2]);
        bytes.extend_from_slice(&[0; 22]);
        bytes.extend_from_slice(&[DEST_OPTIONS, 2]);
        bytes.extend_from_slice(&[0; 14]);
        bytes.extend_from_slice(&[SHIM6, 0, 0, 0, 0, 0, 0, 0]);
        bytes.extend_from_slice(&[EXPERIMENTAL_1, 0, 0, 0, 0, 0, 0, 0]);
        bytes.extend_from_slice(&[17, 0, 0, 0, 0, 0, 0, 0]);
        let headers = bytes.len();
        bytes.extend_from_slice(&[0x13, 0x88, 0x00, 0x35]);
        assert_eq!(upper(HOP_BY_HOP, &bytes), (17, headers, Fragment::None));
    }

    #[test]
    fn fragment_positions() {
        // Offset 0, M set: first fragment, the chain goes on to TCP.
        let first = [6, 0, 0x00, 0x01, 1, 2, 3, 4, 0xaa];
        assert_eq!(upper(FRAGMENT, &first), (6, 8, Fragment::First));
        // Offset 0, M clear: an atomic fragment, not fragmented.
        let atomic = [6, 0, 0x00, 0x00, 1, 2, 3, 4];
        assert_eq!(upper(FRAGMENT, &atomic), (6, 8, Fragment::None));
        // Offset 1 (8 bytes): a later fragment, whatever follows.
        let later = [HOP_BY_HOP, 0, 0x00, 0x08, 1, 2, 3, 4];
        assert_eq!(walk(FRAGMENT, &later), Ok(Chain::LaterFragment));
    }

    #[test]
    fn mobility_and_hip_messages_key_on_themselves() {
        let mobility = [NO_NEXT_HEADER, 0, 5, 0, 0, 0, 0, 0];
        assert_eq!(upper(MOBILITY, &mobility), (MOBILITY, 8, Fragment::None));
        let hip = [NO_NEXT_HEADER, 0, 1, 0, 0, 0, 0, 0];
        assert_eq!(upper(HIP, &hip), (HIP, 8, Fragment::None));
        // No Next Header straight after the IPv6 header stays 59.
        assert_eq!(
            upper(NO_NEXT_HEADER, &[]),
            (NO_NEXT_HEADER, 0, Fragment::None)
        );
    }

    #[test]
    fn truncated_and_malformed_chains() {
        // A header that names another extension header that is not there.
        let cut = [HOP_BY_HOP, 0, 0x00, 0x01, 0xf6, 0x47, 0x19, 0xff, 0x0d];
        assert_eq!(walk(FRAGMENT, &cut), Err(DecodeError::Truncated));
        for next in [
            HOP_BY_HOP,
            ROUTING,
            FRAGMENT,
            AUTH,
            DEST_OPTIONS,
            MOBILITY,
            HIP,
            SHIM6,
            EXPERIMENTAL_1,
            EXPERIMENTAL_2,
        ] {
            assert_eq!(walk(next, &[]), Err(DecodeError::Truncated), "{next}");
            assert_eq!(walk(next, &[17]), Err(DecodeError::Truncated), "{next}");
            assert_eq!(walk(next, &[17, 1, 0, 0]), Err(DecodeError::Truncated));
        }
        // Length byte says 2 * 8 + 8 = 24 bytes, 16 present.
        assert_eq!(
            walk(ROUTING, &[17, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(DecodeError::Truncated)
        );
        // AH with a zero length cannot hold its fixed fields.
        assert_eq!(
            walk(AUTH, &[17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(DecodeError::Malformed)
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // Every next-header value over every prefix of a byte pattern.
        let bytes: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37) ^ 0x2c).collect();
        for next in 0..=255u8 {
            for end in 0..bytes.len() {
                let _ = walk(next, &bytes[..end]);
            }
        }
    }
}
