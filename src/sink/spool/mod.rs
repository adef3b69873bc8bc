//! The on-disk spool of one network sink: a bounded FIFO of lines that
//! survives the receiver being down and the sensor being restarted.
//!
//! # Layout
//!
//! A directory (one per sink) holding:
//!
//! - `segment-<seq>.spool`: append-only segment files, `<seq>` a 20-digit
//!   sequence number; older segments have smaller numbers. Each record is
//!   one whole line: `S SP LINE LF`, where `S` is the syslog severity digit
//!   (`0` to `7`) the line was sent with and `LINE` the JSON line. A new
//!   segment starts when the current one would exceed the segment size.
//! - `cursor`: `<seq> <offset>\n`, the read position: the first record
//!   not yet delivered. It is replaced atomically (written to
//!   `cursor.tmp`, then renamed) after each delivered batch.
//! - `lock`: held with an exclusive advisory lock while a sink uses the
//!   directory, so two sensors never share one spool.
//!
//! Fully delivered segments are deleted; when everything is delivered the
//! directory holds no segment at all.
//!
//! # Durability (fsync policy)
//!
//! A record is written to its segment with one `write(2)` as soon as it is
//! spooled, so it survives a crash of the sensor (the kernel has it). The
//! segment's data is `fdatasync`ed when the segment is closed at rotation,
//! at most one second after the last unsynced append (checked on each
//! append and when the sink is idle), and when the spool is dropped at
//! shutdown; the directory is synced after segments are created. A power
//! loss can therefore cost at most about the last second of spooled lines.
//! The cursor is not synced on each update: a stale cursor only makes the
//! next start resend lines that were already delivered (at-least-once),
//! never skip any.
//!
//! # Recovery
//!
//! On open, a segment that does not end with a line feed (a write cut short
//! by a crash or a full disk) is truncated to its last whole record, empty
//! segments are removed, and the cursor is validated: if it is missing,
//! unreadable or points inside a record, reading restarts at the oldest
//! segment (duplicates rather than loss). Records that do not have the
//! `S SP` prefix are skipped and counted as corrupt.
//!
//! # Bounds
//!
//! The spool holds at most `max_bytes` of segment files (counting the
//! delivered head of the oldest segment until that segment is deleted). An
//! append that would exceed it fails with [`SpoolError::Full`] and the
//! caller counts the line as dropped: the oldest lines are kept, as they
//! are the ones a SIEM is missing longest.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Line;

/// The first sequence number: far from zero, so segments can be put in
/// front of the oldest one (see [`Spool::prepend`]).
const FIRST_SEQ: u64 = 1 << 32;
/// Unsynced appends are synced after at most this long.
const SYNC_INTERVAL: Duration = Duration::from_secs(1);
/// How much of a segment is read at a time.
const READ_CHUNK: usize = 64 * 1024;

#[derive(Debug)]
pub enum SpoolError {
    /// The record would exceed the spool's size bound.
    Full,
    Io(io::Error),
}

impl From<io::Error> for SpoolError {
    fn from(e: io::Error) -> SpoolError {
        SpoolError::Io(e)
    }
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    seq: u64,
    /// Bytes of whole records in the file.
    len: u64,
}

/// A record read from the spool and the offset just past it in its
/// segment.
#[derive(Debug)]
pub struct Peeked {
    pub line: Line,
    end: u64,
}

pub struct Spool {
    dir: PathBuf,
    /// Held for the exclusive lock; released when the spool is dropped.
    _lock: File,
    max_bytes: u64,
    segment_bytes: u64,
    /// Oldest first; never holds an empty segment except the one being
    /// appended to.
    segments: VecDeque<Segment>,
    /// Append handle of the last segment, opened lazily.
    writer: Option<File>,
    /// Read handle of the first segment.
    reader: Option<(u64, File)>,
    /// Offset of the first undelivered record in the first segment.
    read_offset: u64,
    total_bytes: u64,
    next_seq: u64,
    unsynced: bool,
    last_sync: Instant,
    /// Records skipped because they were not `S SP LINE`.
    pub corrupt: u64,
}

fn segment_name(seq: u64) -> String {
    format!("segment-{seq:020}.spool")
}

fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("segment-")?.strip_suffix(".spool")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn with_path(e: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}

/// Length of the file's prefix that ends with its last line feed.
fn whole_records_len(file: &File, len: u64) -> io::Result<u64> {
    let mut end = len;
    let mut buf = vec![0u8; 4096];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        file.read_exact_at(chunk, start)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Spool {
    /// Opens (creating it if needed) and locks the spool directory, and
    /// recovers its state. `segment_bytes` is the size at which a new
    /// segment is started.
    pub fn open(dir: &Path, max_bytes: u64, segment_bytes: u64) -> io::Result<Spool> {
        fs::create_dir_all(dir).map_err(|e| with_path(e, "cannot create spool directory", dir))?;
        let lock_path = dir.join("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| with_path(e, "cannot open", &lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!(
                        "spool directory {} is in use by another sink or process",
                        dir.display()
                    ),
                ));
            }
            Err(TryLockError::Error(e)) => return Err(with_path(e, "cannot lock", &lock_path)),
        }

        let mut seqs = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| with_path(e, "cannot read", dir))? {
            let entry = entry?;
            if let Some(seq) = entry.file_name().to_str().and_then(parse_segment_name) {
                seqs.push(seq);
            }
        }
        seqs.sort_unstable();

        let mut spool = Spool {
            dir: dir.to_path_buf(),
            _lock: lock,
            max_bytes,
            segment_bytes: segment_bytes.max(1),
            segments: VecDeque::new(),
            writer: None,
            reader: None,
            read_offset: 0,
            total_bytes: 0,
            next_seq: FIRST_SEQ,
            unsynced: false,
            last_sync: Instant::now(),
            corrupt: 0,
        };
        for seq in seqs {
            let path = spool.segment_path(seq);
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(|e| with_path(e, "cannot open", &path))?;
            let len = file.metadata()?.len();
            let whole = whole_records_len(&file, len)?;
            if whole != len {
                // A record cut short by a crash: drop it, so appends start
                // on a line boundary.
                file.set_len(whole)?;
                file.sync_all()?;
            }
            drop(file);
            if whole == 0 {
                fs::remove_file(&path).map_err(|e| with_path(e, "cannot remove", &path))?;
                continue;
            }
            spool.segments.push_back(Segment { seq, len: whole });
            spool.total_bytes += whole;
            spool.next_seq = spool.next_seq.max(seq + 1);
        }

        // A cursor past the newest segment's successor was not written by
        // this spool (segments are never renumbered): ignore it rather than
        // delete everything before it.
        let newest = spool.segments.back().map_or(u64::MAX, |s| s.seq + 1);
        if let Some((seq, offset)) = spool.read_cursor().filter(|(seq, _)| *seq <= newest) {
            spool.next_seq = spool.next_seq.max(seq);
            // Segments before the cursor's were delivered completely.
            while let Some(first) = spool.segments.front().copied()
                && first.seq < seq
            {
                spool.remove_first()?;
            }
            if let Some(first) = spool.segments.front().copied()
                && first.seq == seq
                && offset <= first.len
                && spool.at_record_start(first.seq, offset)?
            {
                spool.read_offset = offset;
            }
        }
        spool.drop_delivered()?;
        Ok(spool)
    }

    fn segment_path(&self, seq: u64) -> PathBuf {
        self.dir.join(segment_name(seq))
    }

    fn read_cursor(&self) -> Option<(u64, u64)> {
        let text = fs::read_to_string(self.dir.join("cursor")).ok()?;
        let (seq, offset) = text.trim_end().split_once(' ')?;
        Some((seq.parse().ok()?, offset.parse().ok()?))
    }

    fn at_record_start(&self, seq: u64, offset: u64) -> io::Result<bool> {
        if offset == 0 {
            return Ok(true);
        }
        let file = File::open(self.segment_path(seq))?;
        let mut byte = [0u8; 1];
        file.read_exact_at(&mut byte, offset - 1)?;
        Ok(byte[0] == b'\n')
    }

    fn write_cursor(&self) -> io::Result<()> {
        let (seq, offset) = match self.segments.front() {
            Some(first) => (first.seq, self.read_offset),
            None => (self.next_seq, 0),
        };
        let tmp = self.dir.join("cursor.tmp");
        fs::write(&tmp, format!("{seq} {offset}\n"))?;
        fs::rename(&tmp, self.dir.join("cursor"))
    }

    fn remove_first(&mut self) -> io::Result<()> {
        if let Some(first) = self.segments.pop_front() {
            if self.segments.is_empty() {
                self.writer = None;
            }
            self.reader = None;
            self.read_offset = 0;
            self.total_bytes -= first.len;
            let path = self.segment_path(first.seq);
            match fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(with_path(e, "cannot remove", &path));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Deletes the segments that were read to their end (keeping the
    /// invariant that the first segment has an undelivered record, unless
    /// the spool is empty).
    fn drop_delivered(&mut self) -> io::Result<()> {
        while let Some(first) = self.segments.front().copied()
            && self.read_offset >= first.len
        {
            self.remove_first()?;
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Bytes of segment files on disk.
    pub fn bytes(&self) -> u64 {
        self.total_bytes
    }

    /// Bytes that can still be appended.
    pub fn free_bytes(&self) -> u64 {
        self.max_bytes.saturating_sub(self.total_bytes)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn encode(line: &Line, out: &mut Vec<u8>) {
        out.push(b'0' + line.severity.code());
        out.push(b' ');
        out.extend_from_slice(&line.bytes);
        out.push(b'\n');
    }

    /// Starts a new segment after the last one.
    fn rotate(&mut self) -> io::Result<()> {
        if let Some(writer) = self.writer.take()
            && self.unsynced
        {
            writer.sync_data()?;
        }
        let seq = self.next_seq;
        let path = self.segment_path(seq);
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| with_path(e, "cannot create", &path))?;
        sync_dir(&self.dir)?;
        self.next_seq += 1;
        self.segments.push_back(Segment { seq, len: 0 });
        self.writer = Some(file);
        self.unsynced = false;
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Appends one record at the end.
    pub fn append(&mut self, line: &Line) -> Result<(), SpoolError> {
        let mut record = Vec::with_capacity(line.bytes.len() + 3);
        Spool::encode(line, &mut record);
        let len = record.len() as u64;
        if self.total_bytes + len > self.max_bytes {
            return Err(SpoolError::Full);
        }
        let rotate = match self.segments.back() {
            None => true,
            Some(last) => last.len > 0 && last.len + len > self.segment_bytes,
        };
        if rotate {
            self.rotate()?;
        }
        if self.writer.is_none() {
            // After a restart the last segment is appended to again.
            let Some(last) = self.segments.back() else {
                return Err(SpoolError::Io(io::Error::other("no segment to append to")));
            };
            let path = self.segment_path(last.seq);
            let file = OpenOptions::new()
                .append(true)
                .open(&path)
                .map_err(|e| with_path(e, "cannot open", &path))?;
            self.writer = Some(file);
        }
        let (Some(writer), Some(last)) = (self.writer.as_mut(), self.segments.back_mut()) else {
            return Err(SpoolError::Io(io::Error::other("no segment to append to")));
        };
        if let Err(e) = writer.write_all(&record) {
            // Cut off whatever part was written, so the segment still ends
            // on a record boundary.
            let _ = writer.set_len(last.len);
            self.writer = None;
            return Err(SpoolError::Io(e));
        }
        last.len += len;
        self.total_bytes += len;
        self.unsynced = true;
        self.maybe_sync()?;
        Ok(())
    }

    /// Syncs unsynced appends if the last sync is older than the interval.
    pub fn maybe_sync(&mut self) -> io::Result<()> {
        if self.unsynced && self.last_sync.elapsed() >= SYNC_INTERVAL {
            self.sync()?;
        }
        Ok(())
    }

    /// Syncs appended data to disk.
    pub fn sync(&mut self) -> io::Result<()> {
        if self.unsynced
            && let Some(writer) = &self.writer
        {
            writer.sync_data()?;
        }
        self.unsynced = false;
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Reads up to `max_lines` records (and about `max_bytes`) from the
    /// front of the spool without consuming them; [`Spool::commit`] does,
    /// once they are delivered. A batch never crosses a segment boundary.
    /// Corrupt records at the front are skipped (and counted) for good.
    pub fn peek(&mut self, max_lines: usize, max_bytes: usize) -> io::Result<Vec<Peeked>> {
        let mut out = Vec::new();
        let mut bytes = 0;
        let mut buf = Vec::new();
        loop {
            let Some(first) = self.segments.front().copied() else {
                return Ok(out);
            };
            let reader = match &self.reader {
                Some((seq, file)) if *seq == first.seq => file,
                _ => {
                    let path = self.segment_path(first.seq);
                    let file = File::open(&path).map_err(|e| with_path(e, "cannot open", &path))?;
                    &self.reader.insert((first.seq, file)).1
                }
            };
            let mut offset = self.read_offset;
            let mut want = max_bytes.max(READ_CHUNK);
            'read: while offset < first.len {
                let remaining = first.len - offset;
                let size = usize::try_from(remaining).unwrap_or(usize::MAX).min(want);
                buf.resize(size, 0);
                reader.read_exact_at(&mut buf, offset)?;
                let mut progressed = false;
                for record in buf.split_inclusive(|&b| b == b'\n') {
                    if record.last() != Some(&b'\n') {
                        break;
                    }
                    if out.len() >= max_lines || bytes >= max_bytes {
                        break 'read;
                    }
                    progressed = true;
                    let end = offset + record.len() as u64;
                    match parse_record(record) {
                        Some(line) => {
                            bytes += line.bytes.len();
                            out.push(Peeked { line, end });
                        }
                        None if out.is_empty() => {
                            self.corrupt += 1;
                            self.read_offset = end;
                        }
                        // Skipped when it is at the front, by the next peek.
                        None => break 'read,
                    }
                    offset = end;
                }
                if !progressed {
                    if size as u64 >= remaining {
                        // No line feed up to the end: recovery truncates
                        // such tails, so the file was changed under us.
                        self.corrupt += 1;
                        self.read_offset = first.len;
                        break;
                    }
                    // A record longer than the buffer: read more of it.
                    want = want.saturating_mul(2);
                }
            }
            if !out.is_empty() {
                return Ok(out);
            }
            // Nothing valid was left in this segment.
            self.read_offset = first.len;
            self.drop_delivered()?;
            self.write_cursor()?;
        }
    }

    /// Marks everything up to and including `last` (from the latest
    /// [`Spool::peek`]) as delivered.
    pub fn commit(&mut self, last: &Peeked) -> io::Result<()> {
        self.read_offset = last.end;
        self.drop_delivered()?;
        self.write_cursor()
    }

    /// Puts `lines` in front of everything spooled, for the lines that had
    /// been taken out of the queue before the spool's (the resend window
    /// and a failed batch at shutdown). Keeps the newest ones that fit;
    /// returns how many were stored.
    pub fn prepend(&mut self, lines: &[Line]) -> io::Result<usize> {
        if lines.is_empty() {
            return Ok(0);
        }
        let Some(first) = self.segments.front().copied() else {
            let mut stored = 0;
            for line in lines {
                match self.append(line) {
                    Ok(()) => stored += 1,
                    Err(SpoolError::Full) => {}
                    Err(SpoolError::Io(e)) => return Err(e),
                }
            }
            return Ok(stored);
        };
        if first.seq == 0 {
            // Unreachable in practice (sequences start at 2^32): fall back
            // to appending, which keeps the lines but not their order.
            let mut stored = 0;
            for line in lines {
                if self.append(line).is_ok() {
                    stored += 1;
                }
            }
            return Ok(stored);
        }
        // The new front segment holds the lines, then the undelivered rest
        // of the current front segment, which then goes away: the read
        // position inside it cannot be kept otherwise.
        let mut records = Vec::new();
        let mut sizes: Vec<usize> = Vec::with_capacity(lines.len());
        for line in lines {
            let before = records.len();
            Spool::encode(line, &mut records);
            sizes.push(records.len() - before);
        }
        let rest_len = first.len - self.read_offset;
        let room = self.max_bytes.saturating_sub(self.total_bytes - first.len);
        let mut skip = 0;
        let mut skipped_bytes = 0;
        while skip < sizes.len() && (records.len() - skipped_bytes) as u64 + rest_len > room {
            skipped_bytes += sizes[skip];
            skip += 1;
        }
        let seq = first.seq - 1;
        let path = self.segment_path(seq);
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| with_path(e, "cannot create", &path))?;
        let mut written = (records.len() - skipped_bytes) as u64;
        file.write_all(&records[skipped_bytes..])?;
        let source = File::open(self.segment_path(first.seq))?;
        let mut offset = self.read_offset;
        let mut buf = vec![0u8; READ_CHUNK];
        while offset < first.len {
            let n = usize::try_from(first.len - offset)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            source.read_exact_at(&mut buf[..n], offset)?;
            file.write_all(&buf[..n])?;
            offset += n as u64;
            written += n as u64;
        }
        file.sync_all()?;
        sync_dir(&self.dir)?;
        // The cursor moves to the new segment before the old one goes: a
        // crash in between resends the old one's delivered head rather
        // than losing the new segment (segments before the cursor's are
        // deleted on open).
        self.segments.push_front(Segment { seq, len: written });
        self.total_bytes += written;
        self.read_offset = 0;
        self.reader = None;
        self.write_cursor()?;
        if let Some(old) = self.segments.remove(1) {
            self.total_bytes -= old.len;
            if self.segments.len() == 1 {
                // Appends now go to the new segment, which is the only one.
                self.writer = None;
            }
            let old_path = self.segment_path(old.seq);
            fs::remove_file(&old_path).map_err(|e| with_path(e, "cannot remove", &old_path))?;
        }
        Ok(lines.len() - skip)
    }
}

fn parse_record(record: &[u8]) -> Option<Line> {
    let body = record.strip_suffix(b"\n")?;
    let (&digit, rest) = body.split_first()?;
    let line = rest.strip_prefix(b" ")?;
    if line.is_empty() || !digit.is_ascii_digit() {
        return None;
    }
    let severity = super::Severity::from_code(digit - b'0')?;
    Some(Line {
        severity,
        bytes: line.to_vec(),
    })
}

impl Drop for Spool {
    fn drop(&mut self) {
        // Best effort: the data is in the kernel already.
        let _ = self.sync();
    }
}

#[cfg(test)]
mod tests;
