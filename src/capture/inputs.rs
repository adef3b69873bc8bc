//! Turning the command line's paths into the ordered list of inputs.
//!
//! A path named on the command line is read whatever it is: a regular
//! file, a FIFO, a character device, or `-` for standard input. Inside a
//! directory only regular files are considered (a FIFO there would block a
//! scan that merely wanted to peek at its first bytes, a socket cannot be
//! opened at all): FIFOs, sockets and devices met while scanning are
//! skipped and reported.

use std::fs;
use std::io::{IsTerminal, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::source::{STDIN, kind_name};

/// Why the inputs could not be used at all (before any packet is read).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{0}: no such file or directory")]
    Missing(PathBuf),
    #[error("{path}: cannot read: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: directory holds no pcap or pcapng files")]
    EmptyDirectory(PathBuf),
    #[error("no input given")]
    NoInput,
    #[error("standard input (`-`) can be read only once")]
    StdinTwice,
    #[error(
        "standard input (`-`) is a terminal: pipe a capture into it, e.g. `tcpdump -w - | camsentry replay -`"
    )]
    StdinTerminal,
}

/// The inputs to read, in order, and what directory scans passed over.
#[derive(Debug, Default)]
pub struct Inputs {
    pub files: Vec<PathBuf>,
    /// Entries of scanned directories that are not regular files, with
    /// their kind (`FIFO`, `socket`, ...).
    pub skipped: Vec<(PathBuf, &'static str)>,
}

/// The magic numbers of classic pcap (both byte orders, micro- and
/// nanosecond, and the Kuznetzov variant) and of pcapng.
fn is_capture(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    // Non-blocking: the entry was a regular file when listed, but might
    // have been replaced by a FIFO since.
    let Ok(mut file) = fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)
    else {
        return false;
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) || file.read_exact(&mut magic).is_err() {
        return false;
    }
    matches!(
        u32::from_le_bytes(magic),
        0xa1b2_c3d4
            | 0xd4c3_b2a1
            | 0xa1b2_3c4d
            | 0x4d3c_b2a1
            | 0xa1b2_cd34
            | 0x34cd_b2a1
            | 0x0a0d_0d0a
    )
}

/// Expands files and directories into inputs. Named files are kept
/// whatever they hold (the reader will say what is wrong with them), `-` is
/// standard input; inside directories, recursively and in name order, only
/// regular files that start with a capture magic number are taken, so that
/// a folder of captures with a README in it just works.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Inputs, InputError> {
    if paths.is_empty() {
        return Err(InputError::NoInput);
    }
    let mut inputs = Inputs::default();
    for path in paths {
        if path.as_os_str() == STDIN {
            if inputs.files.iter().any(|p| p.as_os_str() == STDIN) {
                return Err(InputError::StdinTwice);
            }
            if std::io::stdin().is_terminal() {
                return Err(InputError::StdinTerminal);
            }
            inputs.files.push(path.clone());
            continue;
        }
        let meta = fs::metadata(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                InputError::Missing(path.clone())
            } else {
                InputError::Unreadable {
                    path: path.clone(),
                    source,
                }
            }
        })?;
        if meta.is_dir() {
            let before = inputs.files.len();
            walk(path, &mut inputs)?;
            if inputs.files.len() == before {
                return Err(InputError::EmptyDirectory(path.clone()));
            }
        } else {
            inputs.files.push(path.clone());
        }
    }
    Ok(inputs)
}

fn walk(dir: &Path, inputs: &mut Inputs) -> Result<(), InputError> {
    let unreadable = |source| InputError::Unreadable {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(unreadable)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        // Follows symbolic links, as naming the target would.
        let Ok(meta) = fs::metadata(&entry) else {
            continue;
        };
        if meta.is_dir() {
            walk(&entry, inputs)?;
        } else if !meta.is_file() {
            inputs.skipped.push((entry, kind_name(meta.file_type())));
        } else if is_capture(&entry) {
            inputs.files.push(entry);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_directory_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pcap");
        assert!(matches!(
            expand_inputs(std::slice::from_ref(&missing)),
            Err(InputError::Missing(_))
        ));
        fs::write(dir.path().join("README"), b"not a capture").unwrap();
        assert!(matches!(
            expand_inputs(&[dir.path().to_path_buf()]),
            Err(InputError::EmptyDirectory(_))
        ));
        assert!(matches!(expand_inputs(&[]), Err(InputError::NoInput)));
    }

    #[test]
    fn directories_expand_in_name_order_keeping_only_captures() {
        let dir = tempfile::tempdir().unwrap();
        let header = 0xa1b2_c3d4u32.to_le_bytes();
        fs::write(dir.path().join("b.pcap"), header).unwrap();
        fs::write(dir.path().join("a.cap"), header).unwrap();
        fs::write(dir.path().join("notes.txt"), b"hello").unwrap();
        let inputs = expand_inputs(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = inputs
            .files
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["a.cap", "b.pcap"]);
    }

    #[test]
    fn directory_scans_skip_fifos_but_named_ones_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.pcap"), 0xa1b2_c3d4u32.to_le_bytes()).unwrap();
        let fifo = dir.path().join("b.fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let inputs = expand_inputs(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(inputs.files, [dir.path().join("a.pcap")]);
        assert_eq!(inputs.skipped, [(fifo.clone(), "FIFO")]);
        let inputs = expand_inputs(std::slice::from_ref(&fifo)).unwrap();
        assert_eq!(inputs.files, [fifo]);
        assert!(matches!(
            expand_inputs(&[PathBuf::from("-"), PathBuf::from("-")]),
            Err(InputError::StdinTwice | InputError::StdinTerminal)
        ));
    }
}
