//! Offline replay of one pcap or pcapng file through libpcap.
//!
//! libpcap reads both formats, all byte orders and timestamp resolutions;
//! we ask for nanoseconds so no precision is lost. Reading is streaming and
//! constant-memory whatever the file size.

use std::path::{Path, PathBuf};

use crate::decode::LinkType;
use crate::timestamp::Timestamp;

/// How reading one file went.
#[derive(Debug, Clone)]
pub struct FileOutcome {
    pub path: PathBuf,
    pub packets: u64,
    /// Captured bytes read (record headers not included).
    pub bytes: u64,
    /// libpcap's name for the link type, e.g. `EN10MB`.
    pub link_name: String,
    pub link: Option<LinkType>,
    /// The error that stopped reading, if any. Packets read before it have
    /// been processed.
    pub error: Option<String>,
}

/// Reads every packet of `path`, calling `on_packet(link, ts, wire_len,
/// frame)`. `on_progress(bytes_read, packets_read)` is called every few
/// thousand packets; returning `false` stops reading (an interrupt).
pub fn replay_file(
    path: &Path,
    on_packet: &mut impl FnMut(LinkType, Timestamp, u32, &[u8]),
    on_progress: &mut impl FnMut(u64, u64) -> bool,
) -> FileOutcome {
    let mut outcome = FileOutcome {
        path: path.to_path_buf(),
        packets: 0,
        bytes: 0,
        link_name: String::new(),
        link: None,
        error: None,
    };
    let mut capture = match pcap::Capture::from_file_with_precision(path, pcap::Precision::Nano) {
        Ok(capture) => capture,
        Err(error) => {
            outcome.error = Some(error.to_string());
            return outcome;
        }
    };
    let datalink = capture.get_datalink();
    outcome.link_name = datalink
        .get_name()
        .unwrap_or_else(|_| format!("DLT {}", datalink.0));
    let link = LinkType::from_dlt(datalink.0);
    outcome.link = Some(link);
    // Record header size approximates file position for progress.
    let mut read_bytes = 24u64;
    loop {
        match capture.next_packet() {
            Ok(packet) => {
                let header = packet.header;
                outcome.packets += 1;
                outcome.bytes += packet.data.len() as u64;
                read_bytes += 16 + packet.data.len() as u64;
                let (ts, wire_len) = super::record_meta(header, packet.data.len());
                on_packet(link, ts, wire_len, packet.data);
                if outcome.packets.is_multiple_of(8192) && !on_progress(read_bytes, outcome.packets)
                {
                    break;
                }
            }
            Err(pcap::Error::NoMorePackets) => break,
            Err(error) => {
                outcome.error = Some(error.to_string());
                break;
            }
        }
    }
    let _ = on_progress(read_bytes, outcome.packets);
    outcome
}
