//! Live capture from network interfaces through libpcap.
//!
//! Interfaces are opened in promiscuous mode with a large kernel buffer so
//! that bursts from a mirror port survive a busy moment in the workers; a
//! BPF filter, when given, is compiled by libpcap and refused with its own
//! message. Handles are non-blocking: one reader thread polls all of them,
//! so several mirror ports feed one pipeline without a thread or a copy per
//! port.

use std::os::fd::{AsFd, AsRawFd, RawFd};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::decode::LinkType;
use crate::timestamp::Timestamp;

/// Default kernel buffer: 64 MiB holds about half a second of a saturated
/// gigabit mirror port (~45k full-size frames in the block ring, below),
/// enough to ride out a worker's pause without loss.
pub const DEFAULT_BUFFER_BYTES: i32 = 64 << 20;

/// Capture settings shared by all interfaces.
#[derive(Debug, Clone)]
pub struct CaptureSettings {
    pub promiscuous: bool,
    /// Bytes kept per packet (default: whole packets).
    pub snaplen: i32,
    pub buffer_bytes: i32,
    pub filter: Option<String>,
}

impl Default for CaptureSettings {
    fn default() -> Self {
        CaptureSettings {
            promiscuous: true,
            snaplen: 262_144,
            buffer_bytes: DEFAULT_BUFFER_BYTES,
            filter: None,
        }
    }
}

/// libpcap's own counters for one interface.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KernelStats {
    pub received: u64,
    pub dropped: u64,
    pub interface_dropped: u64,
}

pub struct LiveCapture {
    pub name: String,
    capture: pcap::Capture<pcap::Active>,
    link: LinkType,
    /// How the handle was opened, for the readiness line.
    settings: String,
}

impl LiveCapture {
    /// Opens `interface` (needs CAP_NET_RAW, and CAP_NET_ADMIN for
    /// promiscuous mode). Errors carry libpcap's message.
    pub fn open(interface: &str, settings: &CaptureSettings) -> Result<LiveCapture, String> {
        let describe = |e: pcap::Error| format!("{interface}: {e}");
        let inactive = pcap::Capture::from_device(interface).map_err(describe)?;
        let mut capture = inactive
            .promisc(settings.promiscuous)
            .snaplen(settings.snaplen)
            .buffer_size(settings.buffer_bytes)
            .precision(pcap::Precision::Nano)
            // Not immediate mode: on Linux that forces libpcap onto the
            // TPACKET_V2 ring, whose slots are sized for the largest packet
            // (64 KiB with offloads), so 64 MiB holds only ~1,000 frames and
            // a short stall overflows it. The default TPACKET_V3 ring packs
            // frames by their real size into blocks; a block is handed over
            // when full or after this timeout, which bounds the latency a
            // quiet port adds.
            .immediate_mode(false)
            .timeout(100)
            .open()
            .map_err(describe)?;
        if let Some(filter) = &settings.filter {
            capture
                .filter(filter, true)
                .map_err(|e| format!("{interface}: bad filter `{filter}`: {e}"))?;
        }
        let capture = capture.setnonblock().map_err(describe)?;
        let link = LinkType::from_dlt(capture.get_datalink().0);
        let mut described = format!(
            "link {:?}, snaplen {}, buffer {} MiB, {}",
            link,
            settings.snaplen,
            settings.buffer_bytes >> 20,
            if settings.promiscuous {
                "promiscuous"
            } else {
                "not promiscuous"
            }
        );
        if let Some(filter) = &settings.filter {
            described.push_str(&format!(", filter `{filter}`"));
        }
        Ok(LiveCapture {
            name: interface.to_string(),
            capture,
            link,
            settings: described,
        })
    }

    /// `IFACE (link ..., snaplen ..., ...)`: what the operator checks when
    /// the sensor says it is capturing.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.name, self.settings)
    }

    pub fn link(&self) -> LinkType {
        self.link
    }

    /// The handle's packet socket, for socket options libpcap does not set
    /// (`PACKET_FANOUT`).
    pub(super) fn raw_fd(&self) -> RawFd {
        self.capture.as_raw_fd()
    }

    /// Adds `text` to what [`describe`](Self::describe) says.
    pub fn note(&mut self, text: &str) {
        self.settings.push_str(", ");
        self.settings.push_str(text);
    }

    /// Reads up to `max` waiting packets without blocking; returns how many.
    pub fn drain(
        &mut self,
        max: usize,
        on_packet: &mut impl FnMut(LinkType, Timestamp, u32, &[u8]),
    ) -> Result<usize, String> {
        let mut read = 0;
        while read < max {
            match self.capture.next_packet() {
                Ok(packet) => {
                    let header = packet.header;
                    let (ts, wire_len) = super::record_meta(header, packet.data.len());
                    on_packet(self.link, ts, wire_len, packet.data);
                    read += 1;
                }
                Err(pcap::Error::TimeoutExpired | pcap::Error::NoMorePackets) => break,
                Err(error) => return Err(format!("{}: {error}", self.name)),
            }
        }
        Ok(read)
    }

    pub fn stats(&mut self) -> KernelStats {
        match self.capture.stats() {
            Ok(stat) => KernelStats {
                received: u64::from(stat.received),
                dropped: u64::from(stat.dropped),
                interface_dropped: u64::from(stat.if_dropped),
            },
            Err(_) => KernelStats::default(),
        }
    }
}

/// Waits up to `timeout_ms` for any capture to have packets; returns the
/// indices of those that do.
pub fn wait_readable(captures: &[LiveCapture], timeout_ms: u16) -> Vec<usize> {
    let mut fds: Vec<PollFd<'_>> = captures
        .iter()
        .map(|c| PollFd::new(c.capture.as_fd(), PollFlags::POLLIN))
        .collect();
    match poll(&mut fds, PollTimeout::from(timeout_ms)) {
        Ok(n) if n > 0 => fds
            .iter()
            .enumerate()
            .filter(|(_, fd)| fd.revents().is_some_and(|r| !r.is_empty()))
            .map(|(i, _)| i)
            .collect(),
        // Interrupted by a signal, or nothing yet: the caller checks its
        // flags and tries again.
        _ => Vec::new(),
    }
}
