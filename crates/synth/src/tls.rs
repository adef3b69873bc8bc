//! TLS records as they appear on the wire at the start of an HTTPS session.
//!
//! The ClientHello is a complete, well-formed TLS 1.3-capable hello (with a
//! server_name extension when the client connected by name) so that SNI
//! extraction can be tested; everything after the hellos is opaque
//! application data, which is all a passive sensor can see anyway.

use crate::rng::Rng;

const HANDSHAKE: u8 = 0x16;
const CHANGE_CIPHER_SPEC: u8 = 0x14;
const APPLICATION_DATA: u8 = 0x17;
/// Largest TLS plaintext fragment plus AEAD overhead.
const MAX_RECORD: usize = 16_384 + 17;

fn record(kind: u8, legacy_version: u16, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(5 + body.len());
    v.push(kind);
    v.extend_from_slice(&legacy_version.to_be_bytes());
    v.extend_from_slice(&(body.len() as u16).to_be_bytes());
    v.extend_from_slice(body);
    v
}

fn ext(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
}

fn u16_list(items: &[u16], len_bytes: usize) -> Vec<u8> {
    let mut v = Vec::new();
    let n = items.len() * 2;
    if len_bytes == 1 {
        v.push(n as u8);
    } else {
        v.extend_from_slice(&(n as u16).to_be_bytes());
    }
    for i in items {
        v.extend_from_slice(&i.to_be_bytes());
    }
    v
}

/// Options of a ClientHello.
#[derive(Clone, Copy, Debug, Default)]
pub struct Hello<'a> {
    /// Server name for the SNI extension; `None` when connecting by IP.
    pub sni: Option<&'a str>,
    /// ALPN protocols offered (browsers offer `h2`, embedded clients none).
    pub alpn: &'a [&'a str],
}

/// A ClientHello record offering TLS 1.3 and 1.2.
pub fn client_hello(rng: &mut Rng, hello: &Hello<'_>) -> Vec<u8> {
    let mut body = Vec::with_capacity(512);
    body.extend_from_slice(&0x0303u16.to_be_bytes()); // legacy_version TLS 1.2
    body.extend_from_slice(&rng.bytes(32)); // random
    body.push(32);
    body.extend_from_slice(&rng.bytes(32)); // legacy session id
    let suites: [u16; 15] = [
        0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
        0x009c, 0x009d, 0x002f, 0x0035,
    ];
    body.extend_from_slice(&u16_list(&suites, 2));
    body.extend_from_slice(&[1, 0]); // compression: null

    let mut exts = Vec::with_capacity(300);
    if let Some(name) = hello.sni {
        let n = name.as_bytes();
        let mut d = Vec::with_capacity(n.len() + 5);
        d.extend_from_slice(&((n.len() + 3) as u16).to_be_bytes());
        d.push(0); // host_name
        d.extend_from_slice(&(n.len() as u16).to_be_bytes());
        d.extend_from_slice(n);
        ext(&mut exts, 0x0000, &d);
    }
    ext(&mut exts, 0x000b, &[1, 0]); // ec_point_formats: uncompressed
    ext(&mut exts, 0x000a, &u16_list(&[0x001d, 0x0017, 0x0018], 2)); // groups
    ext(&mut exts, 0x0023, &[]); // session_ticket
    if !hello.alpn.is_empty() {
        let mut list = Vec::new();
        for p in hello.alpn {
            list.push(p.len() as u8);
            list.extend_from_slice(p.as_bytes());
        }
        let mut d = (list.len() as u16).to_be_bytes().to_vec();
        d.extend_from_slice(&list);
        ext(&mut exts, 0x0010, &d);
    }
    ext(&mut exts, 0x0016, &[]); // encrypt_then_mac
    ext(&mut exts, 0x0017, &[]); // extended_master_secret
    let sigs: [u16; 9] = [
        0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
    ];
    ext(&mut exts, 0x000d, &u16_list(&sigs, 2)); // signature_algorithms
    ext(&mut exts, 0x002b, &u16_list(&[0x0304, 0x0303], 1)); // supported_versions
    ext(&mut exts, 0x002d, &[1, 1]); // psk_key_exchange_modes: psk_dhe_ke
    let mut ks = Vec::with_capacity(38);
    ks.extend_from_slice(&36u16.to_be_bytes());
    ks.extend_from_slice(&0x001du16.to_be_bytes()); // x25519
    ks.extend_from_slice(&32u16.to_be_bytes());
    ks.extend_from_slice(&rng.bytes(32));
    ext(&mut exts, 0x0033, &ks); // key_share
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);

    let mut hs = Vec::with_capacity(body.len() + 4);
    hs.push(1); // client_hello
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    record(HANDSHAKE, 0x0301, &hs)
}

/// The server's first flight of a TLS 1.3 handshake: ServerHello, the
/// compatibility ChangeCipherSpec, and the encrypted rest of the handshake
/// (extensions, certificate, verify, finished) as application-data records
/// totalling about `encrypted_len` bytes.
pub fn server_flight(rng: &mut Rng, encrypted_len: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(128);
    body.extend_from_slice(&0x0303u16.to_be_bytes());
    body.extend_from_slice(&rng.bytes(32));
    body.push(32);
    body.extend_from_slice(&rng.bytes(32)); // echoed session id
    body.extend_from_slice(&0x1301u16.to_be_bytes()); // TLS_AES_128_GCM_SHA256
    body.push(0);
    let mut exts = Vec::new();
    ext(&mut exts, 0x002b, &0x0304u16.to_be_bytes());
    let mut ks = Vec::with_capacity(36);
    ks.extend_from_slice(&0x001du16.to_be_bytes());
    ks.extend_from_slice(&32u16.to_be_bytes());
    ks.extend_from_slice(&rng.bytes(32));
    ext(&mut exts, 0x0033, &ks);
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut hs = vec![2u8]; // server_hello
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);

    let mut out = record(HANDSHAKE, 0x0303, &hs);
    out.extend_from_slice(&record(CHANGE_CIPHER_SPEC, 0x0303, &[1]));
    out.extend_from_slice(&application_data(rng, encrypted_len));
    out
}

/// The client's second flight: ChangeCipherSpec and its encrypted Finished.
pub fn client_finished(rng: &mut Rng) -> Vec<u8> {
    let mut out = record(CHANGE_CIPHER_SPEC, 0x0303, &[1]);
    out.extend_from_slice(&application_data(rng, 58));
    out
}

/// Application-data records carrying `len` bytes in total on the wire
/// (headers included), split at the maximum record size. Content is random,
/// as ciphertext looks.
pub fn application_data(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len.max(6));
    let mut left = len.max(6);
    while left > 0 {
        let body = if left > MAX_RECORD + 5 {
            // Avoid leaving a remainder too short for a header and a byte.
            (left - 5).min(MAX_RECORD).min(left - 11)
        } else {
            left - 5
        };
        let start = out.len();
        out.extend_from_slice(&[APPLICATION_DATA, 0x03, 0x03]);
        out.extend_from_slice(&(body as u16).to_be_bytes());
        out.resize(start + 5 + body, 0);
        rng.fill(&mut out[start + 5..]);
        left -= 5 + body;
    }
    out
}

/// Extracts the SNI from a ClientHello record (used by tests).
pub fn sni_of(record: &[u8]) -> Option<String> {
    // record(5) type(1) len(3) version(2) random(32)
    let mut p = 5 + 4 + 2 + 32;
    let sid = *record.get(p)? as usize;
    p += 1 + sid;
    let cs = u16::from_be_bytes([*record.get(p)?, *record.get(p + 1)?]) as usize;
    p += 2 + cs;
    let comp = *record.get(p)? as usize;
    p += 1 + comp;
    let total = u16::from_be_bytes([*record.get(p)?, *record.get(p + 1)?]) as usize;
    p += 2;
    let end = p + total;
    while p + 4 <= end {
        let kind = u16::from_be_bytes([record[p], record[p + 1]]);
        let len = u16::from_be_bytes([record[p + 2], record[p + 3]]) as usize;
        if kind == 0 {
            let n = u16::from_be_bytes([*record.get(p + 7)?, *record.get(p + 8)?]) as usize;
            let name = record.get(p + 9..p + 9 + n)?;
            return String::from_utf8(name.to_vec()).ok();
        }
        p += 4 + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_hello_carries_sni() {
        let mut r = Rng::new(1);
        let h = client_hello(
            &mut r,
            &Hello {
                sni: Some("p2p.camcloud.example"),
                alpn: &[],
            },
        );
        assert_eq!(h[0], 0x16);
        assert_eq!(u16::from_be_bytes([h[3], h[4]]) as usize, h.len() - 5);
        assert_eq!(h[5], 1);
        assert_eq!(sni_of(&h).as_deref(), Some("p2p.camcloud.example"));
        let no_sni = client_hello(&mut r, &Hello::default());
        assert_eq!(sni_of(&no_sni), None);
    }

    #[test]
    fn application_data_has_exact_length() {
        let mut r = Rng::new(2);
        for len in [6, 100, 16_406, 16_407, 16_410, 40_000] {
            let d = application_data(&mut r, len);
            assert_eq!(d.len(), len);
            // Walk the records.
            let mut p = 0;
            while p < d.len() {
                assert_eq!(d[p], 0x17);
                p += 5 + u16::from_be_bytes([d[p + 3], d[p + 4]]) as usize;
            }
            assert_eq!(p, d.len());
        }
    }
}
