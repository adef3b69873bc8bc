//! Classic libpcap file writer.
//!
//! Writes the original pcap format (magic `a1b2c3d4`, microsecond timestamps,
//! `LINKTYPE_ETHERNET`) straight into a buffered writer. It is deliberately
//! minimal so the bulk scenarios can push millions of records per second; it
//! also refuses out-of-order timestamps so every capture the generator emits
//! is sorted by time.

use std::io::{self, BufWriter, Write};

/// Magic number of microsecond-resolution pcap files (written little-endian).
pub const PCAP_MAGIC: u32 = 0xa1b2_c3d4;
/// `LINKTYPE_ETHERNET`.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// Snapshot length announced in the global header.
pub const SNAPLEN: u32 = 65_535;
/// Size of the global header.
pub const GLOBAL_HEADER_LEN: usize = 24;
/// Size of each record header.
pub const RECORD_HEADER_LEN: usize = 16;

/// Large enough that bulk generation issues few system calls.
const BUFFER_CAPACITY: usize = 1 << 20;

/// Streams Ethernet frames into a pcap file.
pub struct PcapWriter<W: Write> {
    out: BufWriter<W>,
    packets: u64,
    last_ts: u64,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the 24-byte global header and returns the writer.
    pub fn new(inner: W) -> io::Result<Self> {
        let mut out = BufWriter::with_capacity(BUFFER_CAPACITY, inner);
        let mut header = [0u8; GLOBAL_HEADER_LEN];
        header[0..4].copy_from_slice(&PCAP_MAGIC.to_le_bytes());
        header[4..6].copy_from_slice(&2u16.to_le_bytes()); // version 2.4
        header[6..8].copy_from_slice(&4u16.to_le_bytes());
        // thiszone and sigfigs stay zero: timestamps are UTC.
        header[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
        header[20..24].copy_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        out.write_all(&header)?;
        Ok(PcapWriter {
            out,
            packets: 0,
            last_ts: 0,
        })
    }

    /// Writes one whole frame captured at `ts_micros` (microseconds since the
    /// Unix epoch).
    pub fn write_frame(&mut self, ts_micros: u64, frame: &[u8]) -> io::Result<()> {
        let len = frame_len(frame.len())?;
        self.record_header(ts_micros, len, len)?;
        self.out.write_all(frame)
    }

    /// Writes a record whose captured bytes are `captured` but whose frame on
    /// the wire was `orig_len` bytes long, as a capture with a small snapshot
    /// length (or a slicing packet broker) records it.
    pub fn write_sliced(
        &mut self,
        ts_micros: u64,
        captured: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        let caplen = frame_len(captured.len())?;
        if orig_len < caplen {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "original length shorter than captured length",
            ));
        }
        self.record_header(ts_micros, caplen, orig_len)?;
        self.out.write_all(captured)
    }

    /// Writes one whole frame given as two consecutive parts; lets callers
    /// keep a patched header and a shared payload apart without copying.
    pub fn write_frame_parts(
        &mut self,
        ts_micros: u64,
        head: &[u8],
        body: &[u8],
    ) -> io::Result<()> {
        let len = frame_len(head.len() + body.len())?;
        self.record_header(ts_micros, len, len)?;
        self.out.write_all(head)?;
        self.out.write_all(body)
    }

    /// Number of records written so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Flushes everything and returns the inner writer.
    pub fn finish(self) -> io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
    }

    fn record_header(&mut self, ts_micros: u64, caplen: u32, orig_len: u32) -> io::Result<()> {
        if ts_micros < self.last_ts {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "timestamp {ts_micros} goes back in time (previous record at {})",
                    self.last_ts
                ),
            ));
        }
        let secs = u32::try_from(ts_micros / 1_000_000)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "timestamp beyond 2106"))?;
        let usecs = (ts_micros % 1_000_000) as u32;
        self.last_ts = ts_micros;
        let mut h = [0u8; RECORD_HEADER_LEN];
        h[0..4].copy_from_slice(&secs.to_le_bytes());
        h[4..8].copy_from_slice(&usecs.to_le_bytes());
        h[8..12].copy_from_slice(&caplen.to_le_bytes());
        h[12..16].copy_from_slice(&orig_len.to_le_bytes());
        self.out.write_all(&h)?;
        self.packets += 1;
        Ok(())
    }
}

fn frame_len(len: usize) -> io::Result<u32> {
    if len > SNAPLEN as usize {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("frame of {len} bytes exceeds the snapshot length"),
        ));
    }
    Ok(len as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_record_layout() {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        w.write_frame(1_767_600_000_000_123, &[0xaa; 60]).unwrap();
        w.write_sliced(1_767_600_000_000_124, &[0xbb; 10], 1400)
            .unwrap();
        w.write_frame_parts(1_767_600_000_000_124, &[1, 2], &[3])
            .unwrap();
        assert_eq!(w.packets(), 3);
        let out = w.finish().unwrap();
        assert_eq!(&out[0..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(u32::from_le_bytes(out[16..20].try_into().unwrap()), 65_535);
        assert_eq!(u32::from_le_bytes(out[20..24].try_into().unwrap()), 1);
        let r = &out[24..40];
        assert_eq!(
            u32::from_le_bytes(r[0..4].try_into().unwrap()),
            1_767_600_000
        );
        assert_eq!(u32::from_le_bytes(r[4..8].try_into().unwrap()), 123);
        assert_eq!(u32::from_le_bytes(r[8..12].try_into().unwrap()), 60);
        let r2 = &out[100..116];
        assert_eq!(u32::from_le_bytes(r2[8..12].try_into().unwrap()), 10);
        assert_eq!(u32::from_le_bytes(r2[12..16].try_into().unwrap()), 1400);
        assert_eq!(out.len(), 24 + 16 + 60 + 16 + 10 + 16 + 3);
    }

    #[test]
    fn rejects_time_going_backwards() {
        let mut w = PcapWriter::new(io::sink()).unwrap();
        w.write_frame(10, &[0; 60]).unwrap();
        assert!(w.write_frame(9, &[0; 60]).is_err());
    }

    #[test]
    fn rejects_oversized_frames() {
        let mut w = PcapWriter::new(io::sink()).unwrap();
        assert!(w.write_frame(1, &vec![0; 70_000]).is_err());
        assert!(w.write_sliced(1, &[0; 128], 100).is_err());
    }
}
