//! Local line outputs (flow records, alerts, stats): stdout or a file that
//! can be reopened.
//!
//! Files are opened for appending, so a restarted sensor continues its log
//! and logrotate's `copytruncate` works (the next write lands at the new
//! end). Writers only ever receive whole lines, and the buffer flushes at
//! line boundaries, so a reader never sees half a JSON object. `reopen`
//! (on SIGHUP) closes and reopens the path: after logrotate moved the file
//! away, writing continues in a fresh one.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

enum Target {
    Stdout,
    File(PathBuf),
}

pub struct Output {
    target: Target,
    writer: BufWriter<Box<dyn Write + Send>>,
}

const BUFFER: usize = 1 << 16;

fn open_append(path: &PathBuf) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

impl Output {
    /// `-` is stdout; anything else a file path.
    pub fn open(spec: &str) -> io::Result<Output> {
        if spec == "-" {
            return Ok(Output::from_writer(Box::new(io::stdout())));
        }
        let path = PathBuf::from(spec);
        let file = open_append(&path)?;
        Ok(Output {
            target: Target::File(path),
            writer: BufWriter::with_capacity(BUFFER, Box::new(file)),
        })
    }

    pub fn stderr() -> Output {
        Output::from_writer(Box::new(io::stderr()))
    }

    /// An output over any writer (tests, benchmarks); `reopen` keeps it.
    pub fn from_writer(writer: Box<dyn Write + Send>) -> Output {
        Output {
            target: Target::Stdout,
            writer: BufWriter::with_capacity(BUFFER, writer),
        }
    }

    /// Writes whole lines.
    pub fn write_lines(&mut self, lines: &[u8]) -> io::Result<()> {
        self.writer.write_all(lines)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    /// Flushes, then reopens a file output by its path (after logrotate).
    pub fn reopen(&mut self) -> io::Result<()> {
        self.writer.flush()?;
        if let Target::File(path) = &self.target {
            let file = open_append(path)?;
            self.writer = BufWriter::with_capacity(BUFFER, Box::new(file));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_and_reopens_after_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.json");
        std::fs::write(&path, "{\"old\":1}\n").unwrap();
        let mut out = Output::open(path.to_str().unwrap()).unwrap();
        out.write_lines(b"{\"a\":1}\n").unwrap();
        out.flush().unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"old\":1}\n{\"a\":1}\n"
        );
        // logrotate moves the file away; SIGHUP reopens the path.
        let rotated = dir.path().join("alerts.json.1");
        std::fs::rename(&path, &rotated).unwrap();
        out.write_lines(b"{\"b\":2}\n").unwrap();
        out.reopen().unwrap();
        out.write_lines(b"{\"c\":3}\n").unwrap();
        out.flush().unwrap();
        assert!(
            std::fs::read_to_string(&rotated)
                .unwrap()
                .ends_with("{\"b\":2}\n")
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"c\":3}\n");
    }

    #[test]
    fn copytruncate_keeps_writing_at_the_new_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.json");
        let mut out = Output::open(path.to_str().unwrap()).unwrap();
        out.write_lines(b"{\"a\":1}\n").unwrap();
        out.flush().unwrap();
        // copytruncate: copy, then truncate in place.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        out.write_lines(b"{\"b\":2}\n").unwrap();
        out.flush().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"b\":2}\n");
    }
}
