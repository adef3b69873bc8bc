//! Where a replay's bytes come from: a regular file, or a stream (a FIFO, a
//! character device, a pipe on stdin) that may never deliver another byte.
//!
//! A regular file is read with plain blocking reads: the kernel always
//! answers them. A stream is opened with `O_NONBLOCK`, so that opening a
//! FIFO nobody writes to returns at once instead of blocking until a writer
//! appears, and every read is preceded by a `poll()` of at most
//! [`POLL_MS`]: between polls, and whenever a signal interrupts one, the
//! stop flag (SIGINT/SIGTERM) is checked. A stalled or absent writer
//! therefore never holds the run hostage: it stops within a fraction of a
//! second and still flushes its flows and prints its summary.
//!
//! Once stop is requested, a stream is drained of what has already arrived
//! (a pipe holds at most a few hundred KiB; the drain is capped at
//! [`DRAIN_LIMIT`] bytes and never waits), so that packets a writer handed
//! over before the interrupt are counted.
//!
//! Standard input (`-`) is read through a duplicate of descriptor 0 whose
//! flags are left alone: setting `O_NONBLOCK` on it would change the file
//! description shared with whoever else holds it (a shell's terminal). The
//! poll before each read is what keeps it from blocking.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// Longest wait in `poll()` before the stop flag is looked at again.
pub const POLL_MS: u16 = 100;

/// Most bytes read from a stream after stop was requested.
pub const DRAIN_LIMIT: usize = 4 << 20;

/// The path that names standard input on the command line.
pub const STDIN: &str = "-";

/// Why a read returned no bytes.
#[derive(Debug)]
pub enum SourceError {
    /// SIGINT or SIGTERM asked the run to stop.
    Stopped,
    Io(io::Error),
}

/// What kind of file an input is, from `stat`.
pub fn kind_name(file_type: std::fs::FileType) -> &'static str {
    if file_type.is_file() {
        "regular file"
    } else if file_type.is_dir() {
        "directory"
    } else if file_type.is_fifo() {
        "FIFO"
    } else if file_type.is_socket() {
        "socket"
    } else if file_type.is_char_device() {
        "character device"
    } else if file_type.is_block_device() {
        "block device"
    } else if file_type.is_symlink() {
        "symbolic link"
    } else {
        "special file"
    }
}

/// One open input.
pub struct Source<'a> {
    file: File,
    /// Not a regular file: poll before reading.
    stream: bool,
    stop: &'a AtomicBool,
    /// Bytes still allowed once stop was seen (`None`: not stopping yet).
    drain_left: Option<usize>,
}

impl<'a> Source<'a> {
    /// Opens `path` (or standard input for `-`) without ever blocking.
    pub fn open(path: &Path, stop: &'a AtomicBool) -> io::Result<Source<'a>> {
        let file = if path.as_os_str() == STDIN {
            File::from(io::stdin().as_fd().try_clone_to_owned()?)
        } else {
            OpenOptions::new()
                .read(true)
                .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_CLOEXEC)
                .open(path)?
        };
        let stream = !file.metadata()?.file_type().is_file();
        Ok(Source {
            file,
            stream,
            stop,
            drain_left: None,
        })
    }

    /// True when the input is not a regular file.
    pub fn is_stream(&self) -> bool {
        self.stream
    }

    /// Size in bytes of a regular file (0 for a stream).
    pub fn size(&self) -> u64 {
        if self.stream {
            0
        } else {
            self.file.metadata().map(|m| m.len()).unwrap_or(0)
        }
    }

    /// Reads some bytes into `buf` (which is not empty); `Ok(0)` is the end
    /// of the input.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, SourceError> {
        if !self.stream {
            loop {
                match self.file.read(buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    result => return result.map_err(SourceError::Io),
                }
            }
        }
        loop {
            let stopping = self.stop.load(Ordering::Relaxed);
            if stopping && self.drain_left.is_none() {
                self.drain_left = Some(DRAIN_LIMIT);
            }
            if self.drain_left == Some(0) {
                return Err(SourceError::Stopped);
            }
            let timeout = if stopping { 0 } else { POLL_MS };
            let mut fds = [PollFd::new(self.file.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::from(timeout)) {
                Ok(0) if stopping => return Err(SourceError::Stopped),
                Ok(0) | Err(Errno::EINTR) => continue,
                Ok(_) => {}
                Err(errno) => return Err(SourceError::Io(errno.into())),
            }
            let limit = self.drain_left.unwrap_or(usize::MAX).min(buf.len());
            match self.file.read(&mut buf[..limit]) {
                Ok(n) => {
                    if let Some(left) = &mut self.drain_left {
                        *left -= n;
                    }
                    return Ok(n);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(SourceError::Io(e)),
            }
        }
    }
}
