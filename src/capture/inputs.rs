//! Turning the command line's paths into the ordered list of capture files.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

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
}

/// The magic numbers of classic pcap (both byte orders, micro- and
/// nanosecond, and the Kuznetzov variant) and of pcapng.
fn is_capture(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    let Ok(mut file) = fs::File::open(path) else {
        return false;
    };
    if file.read_exact(&mut magic).is_err() {
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

/// Expands files and directories into capture files. Named files are kept
/// whatever they hold (libpcap will say what is wrong with them); inside
/// directories, recursively and in name order, only files that start with a
/// capture magic number are taken, so that a folder of captures with a
/// README in it just works.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    if paths.is_empty() {
        return Err(InputError::NoInput);
    }
    let mut files = Vec::new();
    for path in paths {
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
            let before = files.len();
            walk(path, &mut files)?;
            if files.len() == before {
                return Err(InputError::EmptyDirectory(path.clone()));
            }
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), InputError> {
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
        if entry.is_dir() {
            walk(&entry, files)?;
        } else if is_capture(&entry) {
            files.push(entry);
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
        let files = expand_inputs(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["a.cap", "b.pcap"]);
    }
}
