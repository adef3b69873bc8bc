//! Reader threads for `live --readers N` (N > 1): each owns one fanout
//! socket of every interface, copies what it reads into a reused batch of
//! frames (bytes plus offsets, never one allocation per packet), and hands
//! the batch to the dispatching thread, which gets the batch back to reuse.
//!
//! The readers take the kernel-to-user copy and libpcap's ring walk off the
//! dispatching thread; decoding and routing stay in the one dispatcher, so
//! flows land on their workers exactly as with one reader.
//!
//! A reader never drops a packet it has read: when the dispatcher is behind
//! it waits for room in the queue, the kernel ring fills, and the kernel's
//! drops are counted by libpcap for that reader. Each reader publishes its
//! libpcap counters once a second and returns the final figures when it
//! ends.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::capture::{KernelStats, LiveCapture};
use crate::decode::LinkType;
use crate::timestamp::Timestamp;

/// Frames in one batch before it is handed over.
const BATCH_FRAMES: usize = 1024;
/// Bytes in one batch before it is handed over (a full-size snaplen frame
/// is 256 KiB, so a batch stays bounded whatever arrives).
const BATCH_BYTES: usize = 4 << 20;
/// Batches queued per reader before it waits for the dispatcher.
const QUEUE_BATCHES: usize = 8;
/// Packets read from one socket before the reader looks at the others.
const DRAIN: usize = 4096;
/// Longest poll before the stop flag is looked at.
const WAIT: Duration = Duration::from_millis(100);

/// One captured frame inside a [`Frames`] batch.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    /// The interface it was read from (index in the `-i` list).
    pub interface: u16,
    pub link: LinkType,
    pub ts: Timestamp,
    pub wire_len: u32,
    start: u32,
    end: u32,
}

/// Frames read by one reader, in the order its sockets delivered them.
#[derive(Debug, Default)]
pub struct Frames {
    bytes: Vec<u8>,
    frames: Vec<Frame>,
}

impl Frames {
    fn push(&mut self, interface: u16, link: LinkType, ts: Timestamp, wire_len: u32, data: &[u8]) {
        let start = self.bytes.len() as u32;
        self.bytes.extend_from_slice(data);
        self.frames.push(Frame {
            interface,
            link,
            ts,
            wire_len,
            start,
            end: self.bytes.len() as u32,
        });
    }

    fn is_full(&self) -> bool {
        self.frames.len() >= BATCH_FRAMES || self.bytes.len() >= BATCH_BYTES
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.frames.clear();
    }

    /// Each frame with its bytes.
    pub fn iter(&self) -> impl Iterator<Item = (&Frame, &[u8])> {
        self.frames.iter().map(|frame| {
            let bytes = self
                .bytes
                .get(frame.start as usize..frame.end as usize)
                .unwrap_or_default();
            (frame, bytes)
        })
    }
}

/// The running readers and the queue they fill.
pub struct Readers {
    pub frames: Receiver<Frames>,
    recycle: Sender<Frames>,
    handles: Vec<JoinHandle<Result<Vec<KernelStats>, String>>>,
    /// Each reader's latest counters, one per socket (interface order),
    /// written once a second.
    published: Arc<Mutex<Vec<Vec<KernelStats>>>>,
    /// Set by a reader whose interface failed: the others stop too.
    failed: Arc<AtomicBool>,
}

impl Readers {
    /// Starts one thread per entry of `groups` (reader `k` gets socket `k`
    /// of every interface). They run until `stop` is set or one fails.
    pub fn start(groups: Vec<Vec<LiveCapture>>, stop: Arc<AtomicBool>) -> std::io::Result<Readers> {
        let count = groups.len();
        let (frames_tx, frames) = bounded(count * QUEUE_BATCHES);
        let (recycle, recycle_rx) = bounded(count * (QUEUE_BATCHES + 2));
        let published = Arc::new(Mutex::new(vec![Vec::new(); count]));
        let failed = Arc::new(AtomicBool::new(false));
        let mut handles = Vec::with_capacity(count);
        for (index, captures) in groups.into_iter().enumerate() {
            let reader = Reader {
                index,
                captures,
                out: frames_tx.clone(),
                recycle: recycle_rx.clone(),
                published: Arc::clone(&published),
                stop: Arc::clone(&stop),
                failed: Arc::clone(&failed),
            };
            handles.push(
                thread::Builder::new()
                    .name(format!("camsentry-reader-{index}"))
                    .spawn(move || reader.run())?,
            );
        }
        Ok(Readers {
            frames,
            recycle,
            handles,
            published,
            failed,
        })
    }

    /// Gives a batch back to the readers.
    pub fn recycle(&self, mut frames: Frames) {
        frames.clear();
        let _ = self.recycle.try_send(frames);
    }

    /// Each reader's counters per socket, as last published.
    pub fn stats(&self) -> Vec<Vec<KernelStats>> {
        self.published
            .lock()
            .map(|stats| stats.clone())
            .unwrap_or_default()
    }

    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// Waits for every reader (they stop once the stop flag is set and the
    /// queue has room): each one's final counters, or the first failure.
    pub fn join(self) -> Result<Vec<Vec<KernelStats>>, String> {
        let mut stats = Vec::with_capacity(self.handles.len());
        let mut failure = None;
        for handle in self.handles {
            match handle.join() {
                Ok(Ok(final_stats)) => stats.push(final_stats),
                Ok(Err(error)) => {
                    failure.get_or_insert(error);
                    stats.push(Vec::new());
                }
                Err(_) => {
                    failure.get_or_insert_with(|| "a reader thread failed".to_string());
                    stats.push(Vec::new());
                }
            }
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(stats),
        }
    }
}

struct Reader {
    index: usize,
    captures: Vec<LiveCapture>,
    out: Sender<Frames>,
    recycle: Receiver<Frames>,
    published: Arc<Mutex<Vec<Vec<KernelStats>>>>,
    stop: Arc<AtomicBool>,
    failed: Arc<AtomicBool>,
}

impl Reader {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.failed.load(Ordering::Relaxed)
    }

    fn run(mut self) -> Result<Vec<KernelStats>, String> {
        let mut batch = Frames::default();
        let mut last_stats = Instant::now();
        while !self.stopping() {
            let ready =
                crate::capture::live::wait_readable(&self.captures, WAIT.as_millis() as u16);
            for index in ready {
                let (out, recycle) = (&self.out, &self.recycle);
                // Sockets are in `-i` order: the index names the interface.
                let interface = index as u16;
                let drained = self.captures[index].drain(DRAIN, &mut |link, ts, wire_len, data| {
                    batch.push(interface, link, ts, wire_len, data);
                    if batch.is_full() {
                        let fresh = recycle.try_recv().unwrap_or_default();
                        send(out, std::mem::replace(&mut batch, fresh));
                    }
                });
                if let Err(error) = drained {
                    self.failed.store(true, Ordering::Relaxed);
                    return Err(error);
                }
            }
            // Whatever was read goes out now: a quiet port must not hold
            // packets back.
            if !batch.is_empty() {
                let fresh = self.recycle.try_recv().unwrap_or_default();
                send(&self.out, std::mem::replace(&mut batch, fresh));
            }
            if last_stats.elapsed() >= Duration::from_secs(1) {
                last_stats = Instant::now();
                self.publish();
            }
        }
        Ok(self.publish())
    }

    /// libpcap's counters of this reader's sockets, one per interface.
    fn publish(&mut self) -> Vec<KernelStats> {
        let stats: Vec<KernelStats> = self.captures.iter_mut().map(|c| c.stats()).collect();
        if let Ok(mut published) = self.published.lock()
            && let Some(slot) = published.get_mut(self.index)
        {
            slot.clone_from(&stats);
        }
        stats
    }
}

/// Waits for room in the queue: the dispatching thread empties it until
/// every reader has ended (or has gone, and the send fails at once), so the
/// wait is bounded by the dispatcher's pace, and a packet read is never
/// dropped here.
fn send(out: &Sender<Frames>, frames: Frames) {
    let _ = out.send(frames);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_gives_back_each_frame_whole_and_fills_by_count_or_bytes() {
        let mut frames = Frames::default();
        let ts = Timestamp::from_secs_nanos(1, 2);
        frames.push(0, LinkType::Ethernet, ts, 60, b"first");
        frames.push(1, LinkType::RawIp, ts, 1500, b"second frame");
        let seen: Vec<(u16, u32, &[u8])> = frames
            .iter()
            .map(|(f, b)| (f.interface, f.wire_len, b))
            .collect();
        assert_eq!(
            seen,
            [(0, 60, &b"first"[..]), (1, 1500, &b"second frame"[..])]
        );
        assert!(!frames.is_full());
        frames.push(0, LinkType::Ethernet, ts, 0, &vec![0; BATCH_BYTES]);
        assert!(frames.is_full());
        frames.clear();
        assert!(frames.is_empty() && !frames.is_full());
        for _ in 0..BATCH_FRAMES {
            frames.push(0, LinkType::Ethernet, ts, 1, b"x");
        }
        assert!(frames.is_full());
    }
}
