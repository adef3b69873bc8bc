//! MAC addresses as written in policy group selectors.
//!
//! Accepted forms are six two-digit hex groups separated by `:` or `-`
//! (`c0:56:e3:00:00:11`, `C0-56-E3-00-00-11`), the two spellings tools
//! print. Output is always lower-case with colons.

use thiserror::Error;

/// Why a string is not a MAC address.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("expected six hex byte pairs separated by `:` or `-`, as in `c0:56:e3:00:00:11`")]
pub struct MacError;

/// Parses `aa:bb:cc:dd:ee:ff` or `aa-bb-cc-dd-ee-ff` (any case).
pub fn parse_mac(text: &str) -> Result<[u8; 6], MacError> {
    let separator = if text.contains('-') { '-' } else { ':' };
    let mut mac = [0u8; 6];
    let mut parts = text.split(separator);
    for byte in &mut mac {
        let part = parts.next().ok_or(MacError)?;
        if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(MacError);
        }
        *byte = u8::from_str_radix(part, 16).map_err(|_| MacError)?;
    }
    if parts.next().is_some() {
        return Err(MacError);
    }
    Ok(mac)
}

/// Formats as lower-case colon-separated hex, the form [`parse_mac`] reads.
pub fn format_mac(mac: [u8; 6]) -> String {
    let [a, b, c, d, e, f] = mac;
    format!("{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{f:02x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_both_separators_and_any_case() {
        let want = Ok([0xc0, 0x56, 0xe3, 0x00, 0x00, 0x11]);
        assert_eq!(parse_mac("c0:56:e3:00:00:11"), want);
        assert_eq!(parse_mac("C0-56-E3-00-00-11"), want);
        assert_eq!(
            format_mac([0xc0, 0x56, 0xe3, 0, 0, 0x11]),
            "c0:56:e3:00:00:11"
        );
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "c0:56:e3:00:00",
            "c0:56:e3:00:00:11:22",
            "c0:56:e3:00:00:1",
            "c0:56:e3:00:00:1g",
            "c0-56:e3:00:00:11",
            "c056.e300.0011",
            "+0:56:e3:00:00:11",
        ] {
            assert_eq!(parse_mac(bad), Err(MacError), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_text_never_panics(s in "\\PC{0,30}") {
            let _ = parse_mac(&s);
        }

        #[test]
        fn format_round_trips(mac: [u8; 6]) {
            prop_assert_eq!(parse_mac(&format_mac(mac)), Ok(mac));
        }
    }
}
