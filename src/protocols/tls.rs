//! TLS ClientHello server name (SNI, RFC 6066) extraction from the first
//! bytes of a TCP payload.
//!
//! Camera traffic to vendor clouds is almost all TLS; the server name in the
//! ClientHello is often the only clear-text statement of where a device is
//! going, and unlike DNS it is seen even when the device uses a hard-coded
//! resolver or a DNS cache the sensor missed.
//!
//! Limits:
//! - No TCP reassembly: only the bytes of one segment are read. When the
//!   ClientHello is larger than a segment (post-quantum key shares push
//!   modern browsers past 1500 bytes) and the server_name extension lies
//!   beyond the first segment, no name is returned and the error is
//!   [`TlsError::Truncated`]. This is acceptable here: embedded camera TLS
//!   stacks send small hellos, and the flow is still labelled through DNS.
//! - Only the first TLS record is read; a handshake fragmented over several
//!   records is treated like a truncated one.
//! - The legacy SSLv2-compatible ClientHello has no extensions and so no
//!   server name; it is recognised and reported as
//!   [`TlsError::Sslv2ClientHello`], which is itself evidence of a very old
//!   TLS stack.
//! - With Encrypted Client Hello the name returned is the outer, public one.
//! - QUIC (TLS inside encrypted UDP) is not handled.
//!
//! The returned name borrows from the payload: it is validated as host-name
//! characters (ASCII letters, digits, `-`, `.`, `_`) but not lowercased, so
//! compare it case-insensitively.

use std::fmt;

const CONTENT_CHANGE_CIPHER_SPEC: u8 = 20;
const CONTENT_HANDSHAKE: u8 = 22;
const HANDSHAKE_CLIENT_HELLO: u8 = 1;
const EXT_SERVER_NAME: u16 = 0;
const NAME_TYPE_HOST_NAME: u8 = 0;
/// Largest record a peer may send: 2^14 plaintext plus the 2048 bytes of
/// expansion TLS 1.2 allows for ciphertext.
const MAX_RECORD_LEN: usize = (1 << 14) + 2048;
const MAX_HOST_NAME_LEN: usize = 253;

/// Why no server name was extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsError {
    /// Not a TLS handshake record (or not TLS at all).
    NotHandshake,
    /// A handshake record, but not a ClientHello.
    NotClientHello,
    /// An SSLv2-compatible ClientHello, which cannot carry a server name.
    Sslv2ClientHello,
    /// The ClientHello continues past the captured bytes and the server name
    /// was not in the part that is present.
    Truncated,
    /// A length field is inconsistent with the message that holds it.
    Malformed,
    /// A complete ClientHello without a host_name server name.
    NoServerName,
    /// The server name holds characters that are not valid in a host name.
    BadHostName,
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotHandshake => "not a TLS handshake record",
            Self::NotClientHello => "TLS handshake is not a ClientHello",
            Self::Sslv2ClientHello => "SSLv2-compatible ClientHello has no server name",
            Self::Truncated => "TLS ClientHello truncated before the server name",
            Self::Malformed => "TLS ClientHello length fields inconsistent",
            Self::NoServerName => "TLS ClientHello without server name",
            Self::BadHostName => "TLS server name is not a valid host name",
        })
    }
}

impl std::error::Error for TlsError {}

/// The SNI host name of the ClientHello at the start of `payload`, if it is
/// entirely within `payload`.
pub fn client_hello_sni(payload: &[u8]) -> Option<&str> {
    server_name(payload).ok()
}

/// Like [`client_hello_sni`], but says why no name was found.
pub fn server_name(payload: &[u8]) -> Result<&str, TlsError> {
    // A TLS 1.3 client answering a HelloRetryRequest in middlebox
    // compatibility mode sends a dummy ChangeCipherSpec record in front of
    // its second ClientHello.
    let payload = match *payload {
        [CONTENT_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1, ref rest @ ..] => rest,
        _ => payload,
    };
    let (record_len, rest) = match *payload {
        [CONTENT_HANDSHAKE, 3, minor, l0, l1, ref rest @ ..] if minor <= 4 => {
            (usize::from(u16::from_be_bytes([l0, l1])), rest)
        }
        [b0, _, HANDSHAKE_CLIENT_HELLO, major, minor, ..] if is_sslv2_hello(b0, major, minor) => {
            return Err(TlsError::Sslv2ClientHello);
        }
        [_, _, _, _, _, ..] => return Err(TlsError::NotHandshake),
        // Too short to tell what it is.
        _ => return Err(TlsError::Truncated),
    };
    if record_len > MAX_RECORD_LEN {
        return Err(TlsError::NotHandshake);
    }
    // Bytes of this record that were captured; a following record, if any,
    // is not part of this handshake fragment.
    let record = rest.get(..record_len).unwrap_or(rest);
    let (hs_len, body) = match *record {
        [HANDSHAKE_CLIENT_HELLO, a, b, c, ref body @ ..] => (
            usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c),
            body,
        ),
        [_, _, _, _, ..] => return Err(TlsError::NotClientHello),
        _ if record_len < 4 => return Err(TlsError::Malformed),
        _ => return Err(TlsError::Truncated),
    };
    let complete = body.len() >= hs_len;
    let body = body.get(..hs_len).unwrap_or(body);
    // Running out of bytes is ordinary truncation when the hello is cut by
    // the segment, and a length inconsistency when it is not.
    let overrun = if complete {
        TlsError::Malformed
    } else {
        TlsError::Truncated
    };
    let mut hello = Reader(body);
    hello.take(2 + 32).ok_or(overrun)?; // legacy_version, random
    let session_id = hello.vec8().ok_or(overrun)?;
    if session_id.len() > 32 {
        return Err(TlsError::Malformed);
    }
    let suites = hello.vec16().ok_or(overrun)?;
    if suites.is_empty() || suites.len() % 2 != 0 {
        return Err(TlsError::Malformed);
    }
    let compression = hello.vec8().ok_or(overrun)?;
    if compression.is_empty() {
        return Err(TlsError::Malformed);
    }
    if hello.is_empty() {
        // No extensions block at all (allowed before TLS 1.2).
        return Err(if complete {
            TlsError::NoServerName
        } else {
            TlsError::Truncated
        });
    }
    // Walk whatever part of the extensions block was captured.
    let ext_len = usize::from(hello.u16().ok_or(overrun)?);
    let ext_block = hello.0.get(..ext_len);
    if complete && ext_block.is_none() {
        return Err(TlsError::Malformed);
    }
    let mut exts = Reader(ext_block.unwrap_or(hello.0));
    while !exts.is_empty() {
        let ext_type = exts.u16().ok_or(overrun)?;
        let data = exts.vec16().ok_or(overrun)?;
        if ext_type == EXT_SERVER_NAME {
            return host_name(data);
        }
    }
    Err(if complete && ext_block.is_some() {
        TlsError::NoServerName
    } else {
        TlsError::Truncated
    })
}

/// Cheap test for a TLS record header or an SSLv2-compatible ClientHello at
/// the start of a payload, for flows on unusual ports.
pub fn looks_like_tls(payload: &[u8]) -> bool {
    match *payload {
        [20..=24, 3, minor, l0, l1, ..] => {
            let len = usize::from(u16::from_be_bytes([l0, l1]));
            minor <= 4 && len != 0 && len <= MAX_RECORD_LEN
        }
        [b0, _, HANDSHAKE_CLIENT_HELLO, major, minor, ..] => is_sslv2_hello(b0, major, minor),
        _ => false,
    }
}

fn is_sslv2_hello(b0: u8, major: u8, minor: u8) -> bool {
    // Two-byte SSLv2 header (high bit set) announcing SSL 2.0 or SSL 3.0 -
    // TLS 1.2 as the client's version.
    b0 & 0x80 != 0 && matches!((major, minor), (0, 2) | (3, 0..=3))
}

fn host_name(extension: &[u8]) -> Result<&str, TlsError> {
    let mut ext = Reader(extension);
    let list = ext.vec16().ok_or(TlsError::Malformed)?;
    let mut list = Reader(list);
    while !list.is_empty() {
        let name_type = list.u8().ok_or(TlsError::Malformed)?;
        let name = list.vec16().ok_or(TlsError::Malformed)?;
        if name_type != NAME_TYPE_HOST_NAME {
            continue;
        }
        let valid = !name.is_empty()
            && name.len() <= MAX_HOST_NAME_LEN
            && name
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !valid {
            return Err(TlsError::BadHostName);
        }
        return std::str::from_utf8(name).map_err(|_| TlsError::BadHostName);
    }
    Err(TlsError::NoServerName)
}

/// Big-endian reader over a shrinking slice; every read is bounds-checked and
/// reports failure as `None`.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.0.split_at_checked(n)?;
        self.0 = tail;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        let (&b, tail) = self.0.split_first()?;
        self.0 = tail;
        Some(b)
    }

    fn u16(&mut self) -> Option<u16> {
        let (head, tail) = self.0.split_first_chunk::<2>()?;
        self.0 = tail;
        Some(u16::from_be_bytes(*head))
    }

    fn vec8(&mut self) -> Option<&'a [u8]> {
        let len = self.u8()?;
        self.take(usize::from(len))
    }

    fn vec16(&mut self) -> Option<&'a [u8]> {
        let len = self.u16()?;
        self.take(usize::from(len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::testing::hex;
    use proptest::prelude::*;

    /// Public capture of a Linux host's periodic TLS 1.3 connections
    /// (OpenSSL-style hello padded to 512 bytes): SNI `testing.com`.
    const HELLO_TESTING_COM: &str = "1603010200010001fc030316777380e403f267443edf4deac8c67bf40a785d\
        fda4edffc5424fa2c0d75b04203e30e8fb3e10acc802b7bbe884ad32614765194cca334b582d36b63a98cdf7af\
        003e130213031301c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c0\
        09c0130033009d009c003d003c0035002f00ff0100017500000010000e00000b74657374696e672e636f6d000b\
        000403000102000a000c000a001d0017001e00190018337400000010000e000c02683208687474702f312e3100\
        1600000017000000310000000d002a0028040305030603080708080809080a080b080408050806040105010601\
        030303010302040205020602002b00050403040303002d00020101003300260024001d0020d229817eae379b29\
        9c5168bb02c7101ade4c7656aa293c059eac91d260e5785f001500bc0000000000000000000000000000000000\
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\
        00000000";

    /// Public multi-interface pcapng sample: a 2014 Chrome ClientHello (record
    /// version 0x0301, NPN/ALPN/SPDY era), SNI `clients6.google.com`.
    const HELLO_CLIENTS6_GOOGLE: &str = "16030100d3010000cf0303c0a63383e11eec7c8eda3b46f90b546a614\
        3e19813806ce66f14efed3a160409000022c02bc02f009ecc14cc13cc15c00ac0140039c009c0130033009c00\
        35002f000a00ff01000084000000180016000013636c69656e7473362e676f6f676c652e636f6d001700000023\
        0000000d00160014060106030501050304010403030103030201020300050005010000000033740000001200\
        000010001d001b08687474702f312e3108737064792f332e310568322d313402683275500000000b00020100\
        000a0006000400170018";

    /// D-Link DCS-935L camera setup capture: the camera's hello to its
    /// `signal.mydlink.com` cloud server is an SSLv2-compatible ClientHello.
    const HELLO_DLINK_SSLV2: &str = "807d01030100540000002000003900003800003500001600001300000a07\
        00c000003300003200002f0000070500800300800000050000040100800000150000120000090600400000140\
        000110000080000060400800000030200800000ff69cd765d385bf0b5592a6218ad816319a5643a96004a65df\
        e1548bd96be5f1d8";

    #[test]
    fn sni_from_captured_hellos() {
        assert_eq!(
            client_hello_sni(&hex(HELLO_TESTING_COM)),
            Some("testing.com")
        );
        assert_eq!(
            client_hello_sni(&hex(HELLO_CLIENTS6_GOOGLE)),
            Some("clients6.google.com")
        );
    }

    #[test]
    fn sslv2_hello_is_recognised_but_has_no_name() {
        let hello = hex(HELLO_DLINK_SSLV2);
        assert_eq!(server_name(&hello), Err(TlsError::Sslv2ClientHello));
        assert!(looks_like_tls(&hello));
    }

    #[test]
    fn truncated_segment() {
        let hello = hex(HELLO_TESTING_COM);
        // SNI is the first extension: record(5) + hs(4) + 2 + 32 + 33 + 64 +
        // 2 (compression) + 2 (ext len) + 4 + 16 bytes = offset 164.
        let sni_end = 164;
        assert_eq!(client_hello_sni(&hello[..sni_end]), Some("testing.com"));
        assert_eq!(server_name(&hello[..sni_end - 1]), Err(TlsError::Truncated));
        for cut in 0..sni_end {
            assert!(client_hello_sni(&hello[..cut]).is_none(), "cut at {cut}");
        }
        // Google hello: SNI is also the first extension and ends at byte 112.
        let google = hex(HELLO_CLIENTS6_GOOGLE);
        assert_eq!(
            client_hello_sni(&google[..112]),
            Some("clients6.google.com")
        );
        assert_eq!(server_name(&google[..111]), Err(TlsError::Truncated));
        assert_eq!(server_name(&google[..3]), Err(TlsError::Truncated));
    }

    /// Same public capture as the others (pcapng block-size test file): the
    /// second ClientHello of a TLS 1.3 HelloRetryRequest exchange, behind a
    /// compatibility ChangeCipherSpec record; only the first 180 bytes are kept.
    #[test]
    fn hello_after_change_cipher_spec() {
        let bytes = hex(
            "1403030001011603030200010001fc0303a6702f47e9e2600903a5131882e0d186ddad0abe170121\
             c53830a15f84223211205ed3e817bfa3480e4cf940fd7598e518da604a56e6d416b1eafa6a81a4c4\
             45c7003e130213031301c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067\
             c00ac0140039c009c0130033009d009c003d003c0035002f00ff0100017500000010000e00000b65\
             78616d706c652e636f6d000b000403000102000a",
        );
        assert_eq!(server_name(&bytes), Ok("example.com"));
        assert_eq!(server_name(&bytes[6..]), Ok("example.com"));
        assert!(looks_like_tls(&bytes));
    }

    #[test]
    fn hello_fragment_with_following_record() {
        // A ServerHello-style second record after the hello must not be
        // mistaken for part of it.
        let mut bytes = hex(HELLO_CLIENTS6_GOOGLE);
        bytes.extend_from_slice(&[0x14, 0x03, 0x03, 0x00, 0x01, 0x01]);
        assert_eq!(client_hello_sni(&bytes), Some("clients6.google.com"));
    }

    #[test]
    fn not_client_hello() {
        // TLS 1.2 ServerHello record header + handshake type 2.
        let server_hello = [0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00];
        assert_eq!(server_name(&server_hello), Err(TlsError::NotClientHello));
        assert_eq!(
            server_name(b"GET / HTTP/1.1\r\n"),
            Err(TlsError::NotHandshake)
        );
        assert!(!looks_like_tls(b"GET / HTTP/1.1\r\n"));
        assert!(!looks_like_tls(b"RTSP/1.0 200 OK\r\n"));
        // Application data record.
        assert!(looks_like_tls(&[0x17, 0x03, 0x03, 0x00, 0x20]));
        assert!(looks_like_tls(&hex(HELLO_TESTING_COM)));
        assert!(!looks_like_tls(&[0x17, 0x03, 0x03, 0x00, 0x00]));
    }

    /// Hand-built minimal hellos to cover the rarer branches.
    fn minimal_hello(extensions: Option<&[u8]>) -> Vec<u8> {
        let mut body = vec![0x03, 0x03];
        body.extend_from_slice(&[0xab; 32]);
        body.extend_from_slice(&[0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00]);
        if let Some(ext) = extensions {
            body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
            body.extend_from_slice(ext);
        }
        let mut hs = vec![1, 0, (body.len() >> 8) as u8, body.len() as u8];
        hs.extend_from_slice(&body);
        let mut rec = vec![0x16, 0x03, 0x01];
        rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    }

    fn sni_ext(name_type: u8, name: &[u8]) -> Vec<u8> {
        let mut entry = vec![name_type];
        entry.extend_from_slice(&(name.len() as u16).to_be_bytes());
        entry.extend_from_slice(name);
        let mut data = (entry.len() as u16).to_be_bytes().to_vec();
        data.extend_from_slice(&entry);
        let mut ext = vec![0, 0];
        ext.extend_from_slice(&(data.len() as u16).to_be_bytes());
        ext.extend_from_slice(&data);
        ext
    }

    #[test]
    fn hand_built_edge_cases() {
        assert_eq!(
            server_name(&minimal_hello(None)),
            Err(TlsError::NoServerName)
        );
        assert_eq!(
            server_name(&minimal_hello(Some(&[0x00, 0x17, 0x00, 0x00]))),
            Err(TlsError::NoServerName)
        );
        assert_eq!(
            server_name(&minimal_hello(Some(&sni_ext(
                0,
                b"Cam-01.Example_Cloud.net"
            )))),
            Ok("Cam-01.Example_Cloud.net")
        );
        assert_eq!(
            server_name(&minimal_hello(Some(&sni_ext(0, b"bad name")))),
            Err(TlsError::BadHostName)
        );
        assert_eq!(
            server_name(&minimal_hello(Some(&sni_ext(0, b"caf\xc3\xa9.example")))),
            Err(TlsError::BadHostName)
        );
        assert_eq!(
            server_name(&minimal_hello(Some(&sni_ext(0, b"")))),
            Err(TlsError::BadHostName)
        );
        assert_eq!(
            server_name(&minimal_hello(Some(&sni_ext(7, b"x.example")))),
            Err(TlsError::NoServerName)
        );
        // SNI after another extension, segment cut between the two.
        let mut exts = vec![0x00, 0x17, 0x00, 0x00];
        exts.extend_from_slice(&sni_ext(0, b"nvr.example"));
        let full = minimal_hello(Some(&exts));
        assert_eq!(server_name(&full), Ok("nvr.example"));
        assert_eq!(
            server_name(&full[..full.len() - 12]),
            Err(TlsError::Truncated)
        );
        // Session id longer than 32 bytes.
        let mut bad = minimal_hello(None);
        bad[5 + 4 + 34] = 33;
        assert_eq!(server_name(&bad), Err(TlsError::Malformed));
        // Extension length larger than the (complete) hello.
        let mut bad = minimal_hello(Some(&sni_ext(0, b"a.example")));
        let ext_len_at = 5 + 4 + 34 + 1 + 4 + 2;
        bad[ext_len_at] = 0x10;
        assert_eq!(server_name(&bad), Err(TlsError::Malformed));
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            let _ = server_name(&bytes);
            let _ = looks_like_tls(&bytes);
        }

        #[test]
        fn never_panics_on_mutated_hellos(
            which in 0usize..3,
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = hex([HELLO_TESTING_COM, HELLO_CLIENTS6_GOOGLE, HELLO_DLINK_SSLV2][which]);
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            if let Ok(name) = server_name(&bytes) {
                prop_assert!(!name.is_empty() && name.len() <= MAX_HOST_NAME_LEN);
                prop_assert!(name.bytes().all(|b| b.is_ascii_graphic()));
            }
        }
    }
}
