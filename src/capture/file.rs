//! Offline replay of one input: a pcap or pcapng file, a FIFO, or standard
//! input. [`source`](super::source) says how bytes are read without ever
//! blocking past a stop request, [`savefile`](super::savefile) how they
//! are parsed (and why that is not libpcap). Reading is streaming and
//! constant-memory whatever the input's size.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use super::savefile::{ReadError, Reader};
use super::source::{STDIN, Source};
use crate::decode::LinkType;
use crate::timestamp::Timestamp;

/// How reading one input went.
#[derive(Debug, Clone)]
pub struct FileOutcome {
    pub path: PathBuf,
    pub packets: u64,
    /// Captured bytes read (record headers not included).
    pub bytes: u64,
    /// libpcap's names for the link types, e.g. `EN10MB`, comma-separated
    /// when a pcapng file has interfaces of several.
    pub link_name: String,
    /// Each distinct link type with its name.
    pub links: Vec<(LinkType, String)>,
    /// The error that stopped reading, if any. Packets read before it have
    /// been processed.
    pub error: Option<String>,
    /// SIGINT/SIGTERM stopped reading before the end of the input.
    pub interrupted: bool,
}

impl FileOutcome {
    /// How the input is named in messages (`stdin` for `-`).
    pub fn display_name(&self) -> String {
        display_name(&self.path)
    }
}

/// How an input is named in messages (`stdin` for `-`).
pub fn display_name(path: &Path) -> String {
    if path.as_os_str() == STDIN {
        "stdin".to_string()
    } else {
        path.display().to_string()
    }
}

fn link_name(dlt: i32) -> String {
    pcap::Linktype(dlt)
        .get_name()
        .unwrap_or_else(|_| format!("DLT {dlt}"))
}

/// Reads every packet of `path` (`-`: standard input), calling
/// `on_packet(link, ts, wire_len, frame)`. `on_progress(bytes_read,
/// packets_read)` is called every few thousand packets; returning `false`
/// stops reading, as does `stop` becoming true while a stream has no data.
pub fn replay_file(
    path: &Path,
    stop: &AtomicBool,
    on_packet: &mut impl FnMut(LinkType, Timestamp, u32, &[u8]),
    on_progress: &mut impl FnMut(u64, u64) -> bool,
) -> FileOutcome {
    let mut outcome = FileOutcome {
        path: path.to_path_buf(),
        packets: 0,
        bytes: 0,
        link_name: String::new(),
        links: Vec::new(),
        error: None,
        interrupted: false,
    };
    let source = match Source::open(path, stop) {
        Ok(source) => source,
        Err(error) => {
            outcome.error = Some(format!("cannot open: {error}"));
            return outcome;
        }
    };
    let mut reader = match Reader::new(source) {
        Ok(reader) => reader,
        Err(ReadError::Stopped) => {
            outcome.interrupted = true;
            return outcome;
        }
        Err(ReadError::Bad(error)) => {
            outcome.error = Some(error);
            return outcome;
        }
    };
    loop {
        match reader.next_packet() {
            Ok(Some(packet)) => {
                outcome.packets += 1;
                outcome.bytes += packet.data.len() as u64;
                on_packet(packet.link, packet.ts, packet.wire_len, packet.data);
                if outcome.packets.is_multiple_of(8192)
                    && !on_progress(reader.position(), outcome.packets)
                {
                    outcome.interrupted = true;
                    break;
                }
            }
            Ok(None) => break,
            Err(ReadError::Stopped) => {
                outcome.interrupted = true;
                break;
            }
            Err(ReadError::Bad(error)) => {
                outcome.error = Some(error);
                break;
            }
        }
    }
    let _ = on_progress(reader.position(), outcome.packets);
    outcome.links = reader
        .links()
        .iter()
        .map(|link| (link.link, link_name(link.dlt)))
        .collect();
    outcome.link_name = outcome
        .links
        .iter()
        .map(|(_, name)| name.as_str())
        .collect::<Vec<_>>()
        .join(",");
    outcome
}
