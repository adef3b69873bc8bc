//! The progress line on a terminal during long replays. Wall-clock time is
//! used here only to pace the display, never for packet decisions.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

pub struct Progress {
    enabled: bool,
    files: usize,
    file_index: usize,
    name: String,
    size: u64,
    last_draw: Instant,
    last_packets: u64,
    /// Packets of the files already finished.
    done_packets: u64,
    drawn: bool,
}

impl Progress {
    pub fn new(enabled: bool, files: usize) -> Progress {
        Progress {
            enabled,
            files,
            file_index: 0,
            name: String::new(),
            size: 0,
            last_draw: Instant::now(),
            last_packets: 0,
            done_packets: 0,
            drawn: false,
        }
    }

    pub fn start_file(&mut self, index: usize, path: &Path, size: u64) {
        self.file_index = index;
        self.size = size;
        self.name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
    }

    pub fn end_file(&mut self, packets: u64) {
        self.done_packets += packets;
    }

    pub fn update(&mut self, bytes_read: u64, file_packets: u64) {
        if !self.enabled {
            return;
        }
        let packets = self.done_packets + file_packets;
        let elapsed = self.last_draw.elapsed();
        if elapsed < Duration::from_millis(500) {
            return;
        }
        let rate = (packets - self.last_packets) as f64 / elapsed.as_secs_f64();
        let share = if self.size > 0 {
            (bytes_read as f64 / self.size as f64 * 100.0).min(100.0)
        } else {
            0.0
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K[{}/{}] {} {:5.1}%  {} packets  {:.2} Mpkt/s",
            self.file_index + 1,
            self.files,
            self.name,
            share,
            packets,
            rate / 1e6
        );
        let _ = err.flush();
        self.drawn = true;
        self.last_draw = Instant::now();
        self.last_packets = packets;
    }

    /// Erases the line before other stderr output.
    pub fn clear(&mut self) {
        if self.drawn {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
            self.drawn = false;
        }
    }
}
