//! Streaming reader of pcap and pcapng capture files.
//!
//! Classic pcap: both byte orders, micro- and nanosecond timestamps, and
//! the Kuznetzov "modified" format (longer record headers). pcapng: every
//! section (each with its own byte order), every interface with its own
//! link type, snapshot length, timestamp resolution (`if_tsresol`) and
//! offset (`if_tsoffset`); Enhanced, Simple and the obsolete Packet blocks
//! carry packets, every other block is skipped by its length.
//!
//! Why not libpcap: it refuses a pcapng file whose interfaces differ in
//! link type or snapshot length (what dumpcap writes for `-i eth0 -i lo`,
//! and what mergecap makes of two captures), stopping after the first
//! interface's packets; and it reads through a blocking `FILE*`, so a FIFO
//! or a stalled pipe could not be interrupted. Why not the `pcap-parser`
//! crate: its streaming reader wants the first read to hold a whole section
//! header and reports short reads and oversized blocks through states the
//! caller must untangle, and it parses the options of every block, which a
//! sensor only needs on interface blocks. Owning the buffer keeps the
//! reader zero-copy (a packet is a slice of one large read buffer), lets it
//! read from a polled, interruptible [`Source`], and puts every decision
//! about a damaged file in one place, with libpcap's limits: a record may
//! not claim more than 256 KiB captured, a block more than 16 MiB.
//!
//! Parsing never panics and never trusts a length: every field is read
//! through bounds-checked helpers, and a length that points past the data
//! is an error naming what was wrong.

use super::source::{Source, SourceError};
use crate::decode::LinkType;
use crate::timestamp::Timestamp;

/// Largest captured length accepted for one packet (libpcap's
/// `MAXIMUM_SNAPLEN`).
pub const MAX_CAPLEN: u32 = 262_144;

/// Largest pcapng block accepted.
pub const MAX_BLOCK: usize = 16 << 20;

/// Bytes asked of the source per read from a regular file.
const READ_CHUNK: usize = 1 << 20;

const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
const PCAPNG_IDB: u32 = 1;
const PCAPNG_PB: u32 = 2;
const PCAPNG_SPB: u32 = 3;
const PCAPNG_EPB: u32 = 6;
const PCAPNG_BOM: u32 = 0x1A2B_3C4D;

/// Why reading stopped before the end of the input.
#[derive(Debug)]
pub enum ReadError {
    /// SIGINT or SIGTERM: not a fault of the input.
    Stopped,
    /// The input is damaged, truncated or not a capture; or the system
    /// refused a read.
    Bad(String),
}

impl From<SourceError> for ReadError {
    fn from(error: SourceError) -> ReadError {
        match error {
            SourceError::Stopped => ReadError::Stopped,
            SourceError::Io(e) => ReadError::Bad(format!("read error: {e}")),
        }
    }
}

fn bad<T>(message: impl Into<String>) -> Result<T, ReadError> {
    Err(ReadError::Bad(message.into()))
}

/// One link layer an input uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The DLT value (pcap's LINKTYPE_ values translated as libpcap does).
    pub dlt: i32,
    pub link: LinkType,
}

impl Link {
    fn from_linktype(linktype: u32) -> Link {
        // LINKTYPE_RAW is DLT_RAW (12) on Linux; every other link type this
        // sensor decodes has the same number in files and in libpcap.
        let dlt = match linktype {
            101 => 12,
            other => other as i32,
        };
        Link {
            dlt,
            link: LinkType::from_dlt(dlt),
        }
    }
}

/// A packet: its link layer, time, on-the-wire length and captured bytes.
#[derive(Debug)]
pub struct Packet<'a> {
    pub link: LinkType,
    pub ts: Timestamp,
    pub wire_len: u32,
    pub data: &'a [u8],
}

#[derive(Debug, Clone, Copy)]
struct Endian {
    big: bool,
}

impl Endian {
    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let bytes: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if self.big {
            u16::from_be_bytes(bytes)
        } else {
            u16::from_le_bytes(bytes)
        })
    }

    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let bytes: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big {
            u32::from_be_bytes(bytes)
        } else {
            u32::from_le_bytes(bytes)
        })
    }

    fn u64(self, b: &[u8], at: usize) -> Option<u64> {
        let bytes: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
        Some(if self.big {
            u64::from_be_bytes(bytes)
        } else {
            u64::from_le_bytes(bytes)
        })
    }
}

/// A pcapng interface, as its description block declared it.
#[derive(Debug, Clone)]
struct Interface {
    link: LinkType,
    snaplen: u32,
    /// Timestamp units per second.
    units: u64,
    /// Seconds added to every timestamp.
    offset: i64,
}

impl Interface {
    fn timestamp(&self, high: u32, low: u32) -> Timestamp {
        let raw = (u64::from(high) << 32) | u64::from(low);
        let secs = i128::from(raw / self.units) + i128::from(self.offset);
        let frac = u128::from(raw % self.units);
        let nanos = match self.units {
            1_000_000 => frac * 1000,
            1_000_000_000 => frac,
            units => frac * 1_000_000_000 / u128::from(units),
        };
        let secs = secs.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        Timestamp::from_secs_nanos(secs, nanos as i64)
    }
}

/// Whether a classic pcap record's two lengths are in the right order:
/// libpcap before format version 2.3 wrote them swapped, and 2.3 files
/// exist both ways (libpcap's rule, which Wireshark follows too).
#[derive(Debug, Clone, Copy)]
enum Lengths {
    Right,
    Swapped,
    /// Swapped when the captured length exceeds the original one.
    Maybe,
}

#[derive(Debug)]
enum Format {
    Pcap {
        endian: Endian,
        nanos: bool,
        /// Record header length: 16, or 24 in the modified format.
        record_header: usize,
        link: LinkType,
        lengths: Lengths,
    },
    PcapNg {
        endian: Endian,
        interfaces: Vec<Interface>,
        /// Time of the last packet, for Simple Packet Blocks (which carry
        /// none).
        last_ts: Timestamp,
    },
}

/// Reads packets from one input.
pub struct Reader<'a> {
    source: Source<'a>,
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// Input bytes that left the buffer before `buf[0]`.
    base: u64,
    eof: bool,
    format: Format,
    /// Distinct link layers met so far, in order.
    links: Vec<Link>,
}

impl<'a> Reader<'a> {
    /// Reads the file header. A stream that delivers nothing yet keeps this
    /// waiting (interruptibly).
    pub fn new(source: Source<'a>) -> Result<Reader<'a>, ReadError> {
        let capacity = if source.is_stream() {
            256 << 10
        } else {
            READ_CHUNK
        };
        let mut reader = Reader {
            source,
            buf: vec![0; capacity],
            start: 0,
            end: 0,
            base: 0,
            eof: false,
            format: Format::PcapNg {
                endian: Endian { big: false },
                interfaces: Vec::new(),
                last_ts: Timestamp::ZERO,
            },
            links: Vec::new(),
        };
        reader.read_header()?;
        Ok(reader)
    }

    /// Input bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.base + self.start as u64
    }

    /// Distinct link layers met so far (pcapng learns them as it goes).
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    fn available(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Makes at least `n` unread bytes available; `false` when the input
    /// ends first.
    fn fill(&mut self, n: usize) -> Result<bool, ReadError> {
        while self.end - self.start < n {
            if self.eof {
                return Ok(false);
            }
            if self.buf.len() - self.start < n || self.end == self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.base += self.start as u64;
                self.end -= self.start;
                self.start = 0;
                if self.buf.len() < n {
                    self.buf.resize(n.next_power_of_two(), 0);
                }
            }
            let got = self.source.read(&mut self.buf[self.end..])?;
            if got == 0 {
                self.eof = true;
            } else {
                self.end += got;
            }
        }
        Ok(true)
    }

    fn note_link(&mut self, link: Link) -> LinkType {
        let decoded = link.link;
        if !self.links.contains(&link) {
            self.links.push(link);
        }
        decoded
    }

    fn read_header(&mut self) -> Result<(), ReadError> {
        if !self.fill(4)? {
            return bad(format!(
                "truncated: the input ends after {} bytes, before any capture header",
                self.available().len()
            ));
        }
        let magic: [u8; 4] = self.available()[..4].try_into().unwrap_or_default();
        match u32::from_le_bytes(magic) {
            PCAPNG_SHB => {
                // The first section header is read like any later one.
                Ok(())
            }
            le => {
                let (big, nanos, record_header) = match (le, u32::from_be_bytes(magic)) {
                    (0xa1b2_c3d4, _) => (false, false, 16),
                    (_, 0xa1b2_c3d4) => (true, false, 16),
                    (0xa1b2_3c4d, _) => (false, true, 16),
                    (_, 0xa1b2_3c4d) => (true, true, 16),
                    (0xa1b2_cd34, _) => (false, false, 24),
                    (_, 0xa1b2_cd34) => (true, false, 24),
                    _ => {
                        return bad(format!(
                            "not a pcap or pcapng capture (it starts with {:02x} {:02x} {:02x} {:02x})",
                            magic[0], magic[1], magic[2], magic[3]
                        ));
                    }
                };
                self.read_pcap_header(Endian { big }, nanos, record_header)
            }
        }
    }

    fn read_pcap_header(
        &mut self,
        endian: Endian,
        nanos: bool,
        record_header: usize,
    ) -> Result<(), ReadError> {
        if !self.fill(24)? {
            return bad(format!(
                "truncated: the input ends inside the pcap file header ({} of 24 bytes)",
                self.available().len()
            ));
        }
        let header = self.available();
        let field = |at| endian.u32(header, at).unwrap_or_default();
        let major = endian.u16(header, 4).unwrap_or_default();
        let minor = endian.u16(header, 6).unwrap_or_default();
        let linktype = field(20);
        if major < 2 {
            return bad(format!(
                "archaic pcap savefile format (version {major}.{minor})"
            ));
        }
        if !(major == 2 && minor <= 4 || major == 543 && minor == 0) {
            return bad(format!("unsupported pcap savefile version {major}.{minor}"));
        }
        // Bits 16-25 are reserved; 26-31 may say an FCS trails each frame
        // (which the decoder tolerates).
        if linktype & 0x03FF_0000 != 0 {
            return bad(format!(
                "the link-type field has reserved bits set ({linktype:#010x})"
            ));
        }
        let link = self.note_link(Link::from_linktype(linktype & 0xFFFF));
        let lengths = match (major, minor) {
            (2, 0..=2) => Lengths::Swapped,
            (2, 3) => Lengths::Maybe,
            _ => Lengths::Right,
        };
        self.start += 24;
        self.format = Format::Pcap {
            endian,
            nanos,
            record_header,
            link,
            lengths,
        };
        Ok(())
    }

    /// The next packet, or `None` at the clean end of the input.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, ReadError> {
        match self.format {
            Format::Pcap {
                endian,
                nanos,
                record_header,
                link,
                lengths,
            } => self.next_pcap(endian, nanos, record_header, link, lengths),
            Format::PcapNg { .. } => self.next_pcapng(),
        }
    }

    fn next_pcap(
        &mut self,
        endian: Endian,
        nanos: bool,
        record_header: usize,
        link: LinkType,
        lengths: Lengths,
    ) -> Result<Option<Packet<'_>>, ReadError> {
        if !self.fill(record_header)? {
            let have = self.available().len();
            if have == 0 {
                return Ok(None);
            }
            return bad(format!(
                "truncated dump file; tried to read {record_header} header bytes, only got {have}"
            ));
        }
        let header = self.available();
        let field = |at| endian.u32(header, at).unwrap_or_default();
        let (secs, frac, mut caplen, mut wire_len) = (field(0), field(4), field(8), field(12));
        if matches!(lengths, Lengths::Swapped)
            || (matches!(lengths, Lengths::Maybe) && caplen > wire_len)
        {
            std::mem::swap(&mut caplen, &mut wire_len);
        }
        if caplen > MAX_CAPLEN {
            return bad(format!(
                "invalid packet capture length {caplen}, bigger than the maximum of {MAX_CAPLEN}"
            ));
        }
        let total = record_header + caplen as usize;
        if !self.fill(total)? {
            return bad(format!(
                "truncated dump file; tried to read {caplen} captured bytes, only got {}",
                self.available().len() - record_header
            ));
        }
        let at = self.start + record_header;
        self.start += total;
        let frac_nanos = if nanos {
            i64::from(frac)
        } else {
            i64::from(frac) * 1000
        };
        Ok(Some(Packet {
            link,
            ts: Timestamp::from_secs_nanos(i64::from(secs), frac_nanos),
            wire_len: wire_len.max(caplen),
            data: &self.buf[at..at + caplen as usize],
        }))
    }

    fn next_pcapng(&mut self) -> Result<Option<Packet<'_>>, ReadError> {
        loop {
            if !self.fill(8)? {
                let have = self.available().len();
                if have == 0 {
                    return Ok(None);
                }
                return bad(format!(
                    "truncated: the input ends inside a pcapng block header ({have} of 8 bytes)"
                ));
            }
            let Format::PcapNg { endian, .. } = self.format else {
                return bad("internal error: not a pcapng reader");
            };
            let block_type = endian.u32(self.available(), 0).unwrap_or_default();
            if block_type == PCAPNG_SHB {
                self.read_section_header()?;
                continue;
            }
            let total = self.block(endian)?;
            let block = &self.buf[self.start..self.start + total];
            let body = &block[8..total - 4];
            let found = match block_type {
                PCAPNG_IDB => {
                    let interface = parse_interface(endian, body)?;
                    let Format::PcapNg { interfaces, .. } = &mut self.format else {
                        return bad("internal error: not a pcapng reader");
                    };
                    interfaces.push(interface.0);
                    let link = interface.1;
                    self.start += total;
                    self.note_link(link);
                    None
                }
                PCAPNG_EPB | PCAPNG_PB => {
                    let (if_id, fields) = if block_type == PCAPNG_EPB {
                        (endian.u32(body, 0), 4)
                    } else {
                        (endian.u16(body, 0).map(u32::from), 4)
                    };
                    let header = fields + 16;
                    if body.len() < header {
                        return bad(format!(
                            "a packet block of {total} bytes is too short for its header"
                        ));
                    }
                    let field = |at| endian.u32(body, at).unwrap_or_default();
                    let (high, low, caplen, wire_len) = (
                        field(fields),
                        field(fields + 4),
                        field(fields + 8),
                        field(fields + 12),
                    );
                    let if_id = if_id.unwrap_or_default();
                    Some((Some((if_id, high, low)), header, caplen, wire_len))
                }
                PCAPNG_SPB => {
                    let Some(wire_len) = endian.u32(body, 0) else {
                        return bad("a simple packet block is too short for its header");
                    };
                    let Format::PcapNg { interfaces, .. } = &self.format else {
                        return bad("internal error: not a pcapng reader");
                    };
                    let Some(first) = interfaces.first() else {
                        return bad("a simple packet block comes before any interface block");
                    };
                    let mut caplen = wire_len.min((body.len() - 4) as u32);
                    if first.snaplen > 0 {
                        caplen = caplen.min(first.snaplen);
                    }
                    Some((None, 4, caplen, wire_len))
                }
                _ => {
                    self.start += total;
                    None
                }
            };
            let Some((stamp, header, caplen, wire_len)) = found else {
                continue;
            };
            let body_len = total - 12;
            if caplen as usize > body_len - header {
                return bad(format!(
                    "a packet claims {caplen} captured bytes in a block with room for {}",
                    body_len - header
                ));
            }
            if caplen > MAX_CAPLEN {
                return bad(format!(
                    "invalid packet capture length {caplen}, bigger than the maximum of {MAX_CAPLEN}"
                ));
            }
            let Format::PcapNg {
                interfaces,
                last_ts,
                ..
            } = &mut self.format
            else {
                return bad("internal error: not a pcapng reader");
            };
            let (link, ts) = match stamp {
                Some((if_id, high, low)) => {
                    let Some(interface) = interfaces.get(if_id as usize) else {
                        return bad(format!(
                            "a packet arrived on interface {if_id}, but the section describes {} interface(s)",
                            interfaces.len()
                        ));
                    };
                    (interface.link, interface.timestamp(high, low))
                }
                // Checked above: the section has a first interface.
                None => (
                    interfaces
                        .first()
                        .map_or(LinkType::Unsupported(-1), |i| i.link),
                    *last_ts,
                ),
            };
            *last_ts = ts;
            let at = self.start + 8 + header;
            self.start += total;
            return Ok(Some(Packet {
                link,
                ts,
                wire_len: wire_len.max(caplen),
                data: &self.buf[at..at + caplen as usize],
            }));
        }
    }

    /// Buffers the whole block at `start` and checks its two lengths;
    /// returns its total length.
    fn block(&mut self, endian: Endian) -> Result<usize, ReadError> {
        let total = endian.u32(self.available(), 4).unwrap_or_default() as usize;
        if total < 12 || !total.is_multiple_of(4) {
            return bad(format!(
                "a pcapng block claims a length of {total} bytes (at least 12, a multiple of 4)"
            ));
        }
        if total > MAX_BLOCK {
            return bad(format!(
                "a pcapng block of {total} bytes is larger than the maximum of {MAX_BLOCK}"
            ));
        }
        if !self.fill(total)? {
            return bad(format!(
                "truncated: the input ends inside a pcapng block ({} of {total} bytes)",
                self.available().len()
            ));
        }
        let trailer = endian.u32(self.available(), total - 4).unwrap_or_default() as usize;
        if trailer != total {
            return bad(format!(
                "block total length in header ({total}) and trailer ({trailer}) don't match"
            ));
        }
        Ok(total)
    }

    /// A Section Header Block: byte order, version, and a fresh set of
    /// interfaces.
    fn read_section_header(&mut self) -> Result<(), ReadError> {
        if !self.fill(12)? {
            return bad(format!(
                "truncated: the input ends inside a pcapng section header ({} of 12 bytes)",
                self.available().len()
            ));
        }
        let bom: [u8; 4] = self.available()[8..12].try_into().unwrap_or_default();
        let big = if u32::from_le_bytes(bom) == PCAPNG_BOM {
            false
        } else if u32::from_be_bytes(bom) == PCAPNG_BOM {
            true
        } else {
            return bad("a pcapng section header has no valid byte-order magic");
        };
        let endian = Endian { big };
        let total = self.block(endian)?;
        if total < 28 {
            return bad(format!(
                "a pcapng section header of {total} bytes is too short"
            ));
        }
        let block = &self.buf[self.start..self.start + total];
        let major = endian.u16(block, 12).unwrap_or_default();
        let minor = endian.u16(block, 14).unwrap_or_default();
        if !(major == 1 && (minor == 0 || minor == 2)) {
            return bad(format!(
                "unsupported pcapng savefile version {major}.{minor}"
            ));
        }
        options(endian, &block[24..total - 4], "the section header")?;
        self.start += total;
        self.format = Format::PcapNg {
            endian,
            interfaces: Vec::new(),
            last_ts: match self.format {
                Format::PcapNg { last_ts, .. } => last_ts,
                Format::Pcap { .. } => Timestamp::ZERO,
            },
        };
        Ok(())
    }
}

/// Walks a block's options: `(code, value)` pairs up to `opt_endofopt`.
fn options<'b>(
    endian: Endian,
    mut data: &'b [u8],
    owner: &str,
) -> Result<Vec<(u16, &'b [u8])>, ReadError> {
    let mut found = Vec::new();
    while data.len() >= 4 {
        let code = endian.u16(data, 0).unwrap_or_default();
        let len = usize::from(endian.u16(data, 2).unwrap_or_default());
        if code == 0 {
            break;
        }
        let padded = (len + 3) & !3;
        let Some(value) = data.get(4..4 + len) else {
            return bad(format!(
                "an option of {owner} ({len} bytes) runs past the end of its block"
            ));
        };
        found.push((code, value));
        data = data.get(4 + padded..).unwrap_or_default();
    }
    Ok(found)
}

/// An Interface Description Block's body.
fn parse_interface(endian: Endian, body: &[u8]) -> Result<(Interface, Link), ReadError> {
    let (Some(linktype), Some(snaplen)) = (endian.u16(body, 0), endian.u32(body, 4)) else {
        return bad("an interface description block is too short");
    };
    let link = Link::from_linktype(u32::from(linktype));
    let mut interface = Interface {
        link: link.link,
        snaplen,
        units: 1_000_000,
        offset: 0,
    };
    for (code, value) in options(endian, &body[8..], "an interface description")? {
        match (code, value) {
            // if_tsresol: 10^-n, or 2^-n with the top bit set.
            (9, [resolution, ..]) => {
                let exponent = u32::from(resolution & 0x7F);
                let units = if resolution & 0x80 == 0 {
                    10u64.checked_pow(exponent)
                } else {
                    1u64.checked_shl(exponent)
                };
                match units {
                    Some(units) if units > 0 => interface.units = units,
                    _ => {
                        return bad(format!(
                            "an interface has an unsupported timestamp resolution ({resolution:#04x})"
                        ));
                    }
                }
            }
            // if_tsoffset: seconds to add.
            (14, value) if value.len() == 8 => {
                interface.offset = endian.u64(value, 0).unwrap_or_default() as i64;
            }
            _ => {}
        }
    }
    Ok((interface, link))
}

#[cfg(test)]
mod tests;
