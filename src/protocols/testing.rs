//! Helpers for the parsers' unit tests.

/// Bytes of a hex string; whitespace between digits is ignored, so a test
/// vector can be laid out the way its source prints it.
pub fn hex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    s.chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}
