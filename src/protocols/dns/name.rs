//! DNS names: the inline, lowercased name buffer and the decoder of
//! (possibly compressed) names in a message.

use std::fmt;
use std::hash::{Hash, Hasher};

use super::{DnsError, HEADER_LEN, MAX_NAME_LEN, MAX_POINTER_JUMPS};

/// A lowercase dotted DNS name in a fixed inline buffer (no heap).
///
/// The root name is the empty string. No trailing dot is stored.
#[derive(Clone, Copy)]
pub struct DnsName {
    len: u8,
    buf: [u8; MAX_NAME_LEN],
}

impl DnsName {
    /// The root name (empty string).
    pub const fn root() -> Self {
        Self {
            len: 0,
            buf: [0; MAX_NAME_LEN],
        }
    }

    /// Builds a name from dotted text, lowercasing it; a single trailing dot is
    /// accepted. Useful for lookup keys and tests.
    pub fn from_dotted(text: &str) -> Result<Self, DnsError> {
        let mut name = Self::root();
        let text = text.strip_suffix('.').unwrap_or(text);
        if text.is_empty() {
            return Ok(name);
        }
        for label in text.split('.') {
            if label.is_empty() || label.len() > 63 {
                return Err(DnsError::BadName);
            }
            name.push_label(label.as_bytes())?;
        }
        Ok(name)
    }

    /// The name as text, for example `signal.mydlink.com`.
    pub fn as_str(&self) -> &str {
        // Only printable ASCII is ever stored, so this cannot fail; the
        // fallback keeps the code free of panics regardless.
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True for the root name.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    fn push_label(&mut self, label: &[u8]) -> Result<(), DnsError> {
        let start = usize::from(self.len);
        let dot = usize::from(start != 0);
        let new_len = start + dot + label.len();
        if new_len > MAX_NAME_LEN {
            return Err(DnsError::NameTooLong);
        }
        let dst = self
            .buf
            .get_mut(start..new_len)
            .ok_or(DnsError::NameTooLong)?;
        let (sep, body) = dst.split_at_mut(dot);
        sep.fill(b'.');
        for (d, &s) in body.iter_mut().zip(label) {
            if !(b'!'..=b'~').contains(&s) || s == b'.' {
                return Err(DnsError::BadName);
            }
            *d = s.to_ascii_lowercase();
        }
        // new_len <= 253 was checked above, so it fits in a u8.
        self.len = u8::try_from(new_len).map_err(|_| DnsError::NameTooLong)?;
        Ok(())
    }
}

impl Default for DnsName {
    fn default() -> Self {
        Self::root()
    }
}

impl PartialEq for DnsName {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for DnsName {}

impl Hash for DnsName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Debug for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DnsName").field(&self.as_str()).finish()
    }
}

impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Decodes the possibly compressed name at `pos` into `out` and returns the
/// offset just past the name's own bytes (after the first pointer, if any).
pub(super) fn read_name(msg: &[u8], pos: usize, out: &mut DnsName) -> Result<usize, DnsError> {
    out.clear();
    walk_name(msg, pos, |label| out.push_label(label))
}

/// Walks the labels of the possibly compressed name at `pos`, passing each
/// one raw (any bytes, case kept) to `on_label`, under the rules of the
/// response parser: pointers only backwards and past the header, at most
/// [`MAX_POINTER_JUMPS`] of them, at most 255 octets in all. Returns the
/// offset just past the name's own bytes; an error of `on_label` stops the
/// walk. [`DnsName`]s are read with it, and DNS-SD instance names, which
/// hold spaces and UTF-8 that [`DnsName`] refuses.
pub fn walk_name<'a>(
    msg: &'a [u8],
    mut pos: usize,
    mut on_label: impl FnMut(&'a [u8]) -> Result<(), DnsError>,
) -> Result<usize, DnsError> {
    let mut resume = None;
    let mut jumps = 0;
    let mut wire_len = 1;
    loop {
        let &len = msg.get(pos).ok_or(DnsError::Truncated)?;
        match len & 0xc0 {
            0x00 if len == 0 => return Ok(resume.unwrap_or(pos + 1)),
            0x00 => {
                let label = msg
                    .get(pos + 1..pos + 1 + usize::from(len))
                    .ok_or(DnsError::Truncated)?;
                wire_len += 1 + label.len();
                if wire_len > 255 {
                    return Err(DnsError::NameTooLong);
                }
                on_label(label)?;
                pos += 1 + label.len();
            }
            0xc0 => {
                let &low = msg.get(pos + 1).ok_or(DnsError::Truncated)?;
                let target = usize::from(u16::from_be_bytes([len & 0x3f, low]));
                // Backward-only pointers are what real encoders produce, and
                // together with the jump cap they make cycles cheap to stop.
                if target < HEADER_LEN || target >= pos {
                    return Err(DnsError::BadPointer);
                }
                jumps += 1;
                if jumps > MAX_POINTER_JUMPS {
                    return Err(DnsError::TooManyPointers);
                }
                resume.get_or_insert(pos + 2);
                pos = target;
            }
            _ => return Err(DnsError::BadLabel),
        }
    }
}
