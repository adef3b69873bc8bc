//! In-memory list of timestamped frames for the small scenarios.
//!
//! Traffic building blocks append frames in whatever order is convenient
//! (one conversation at a time); `write_to` then sorts them by time, stably so
//! that frames with equal timestamps keep their causal order, and streams
//! them through the pcap writer.

use std::io::{self, Write};

use crate::pcap_writer::PcapWriter;

/// Bytes kept of a sliced frame (the capture's view of bulk payload frames).
pub const SLICE_LEN: usize = 128;

/// One captured frame.
pub struct Record {
    /// Capture time (µs since the epoch).
    pub ts: u64,
    /// Length of the frame on the wire.
    pub orig_len: u32,
    /// Captured bytes (shorter than `orig_len` when sliced).
    pub data: Vec<u8>,
}

/// Frames of one scenario, not yet in time order.
#[derive(Default)]
pub struct Trace {
    records: Vec<Record>,
}

impl Trace {
    /// Empty trace.
    pub fn new() -> Self {
        Trace::default()
    }

    /// Adds a whole frame seen at `ts` (µs since the epoch).
    pub fn push(&mut self, ts: u64, frame: Vec<u8>) {
        let orig_len = frame.len() as u32;
        self.records.push(Record {
            ts,
            orig_len,
            data: frame,
        });
    }

    /// Adds a frame of which only the first [`SLICE_LEN`] bytes are captured;
    /// the record keeps the full original length.
    pub fn push_sliced(&mut self, ts: u64, mut frame: Vec<u8>) {
        let orig_len = frame.len() as u32;
        if frame.len() > SLICE_LEN {
            frame.truncate(SLICE_LEN);
            frame.shrink_to_fit();
        }
        self.records.push(Record {
            ts,
            orig_len,
            data: frame,
        });
    }

    /// Adds a frame already cut to its captured bytes, `orig_len` long on
    /// the wire.
    pub fn push_raw(&mut self, ts: u64, data: Vec<u8>, orig_len: u32) {
        debug_assert!(data.len() <= orig_len as usize);
        self.records.push(Record { ts, orig_len, data });
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no frame was added.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Removes and returns all frames, sorted by time.
    pub fn take_sorted(&mut self) -> Vec<Record> {
        let mut v = std::mem::take(&mut self.records);
        v.sort_by_key(|r| r.ts);
        v
    }

    /// Sorts by time and writes a pcap file; returns the number of records.
    pub fn write_to<W: Write>(mut self, out: W) -> io::Result<u64> {
        self.records.sort_by_key(|r| r.ts);
        let mut w = PcapWriter::new(out)?;
        for r in &self.records {
            if r.orig_len as usize == r.data.len() {
                w.write_frame(r.ts, &r.data)?;
            } else {
                w.write_sliced(r.ts, &r.data, r.orig_len)?;
            }
        }
        let n = w.packets();
        w.finish()?.flush()?;
        Ok(n)
    }
}
