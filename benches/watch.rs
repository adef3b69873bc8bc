//! How workers should see the collector's watch list (the hosts it learned
//! are cameras or recorders), and whether `rayon` has a place in the
//! pipeline.
//!
//! `watch/*`: lookups of a 16,384-entry `IpAddr` set, 95% misses, as a
//! worker checks each new flow's endpoints. Three ways to share the set:
//!
//! - `copies`: each worker owns a `HashSet` and applies the small update
//!   vectors the collector sends once per epoch over a crossbeam channel;
//! - `dashmap`: one `DashSet` shared by collector and workers (a lookup
//!   takes a shard's read lock);
//! - `arc_swap_load`: an `ArcSwap<HashSet>` the collector replaces each
//!   epoch with changes, loaded by the workers on every lookup; and
//!   `arc_swap_epoch`, the same loaded once per epoch into a local `Arc`.
//!
//! All three hash with std's SipHash, so what differs is only the sharing.
//! `watch/single` runs one thread with no updates; `watch/concurrent` runs
//! two lookup threads while a third (the collector) adds 8 entries per
//! epoch of 4,096 lookups, paced by the first lookup thread's progress.
//! The added entries never occur in the lookup stream, so each measured
//! run asserts the exact hit count, and each round checks afterwards that
//! every lookup thread's view holds the last entry the collector added.
//! `watch/publish` is what one epoch's update costs, collector and two
//! workers together (for the snapshot, a clone of the whole set).
//!
//! `encode/*`: 1M finished-flow records to ECS JSON lines with
//! `alert::flows::encode_flow`, on one thread and with `rayon` (2 threads,
//! one buffer per chunk of records, concatenated in order). Each run
//! asserts the output's length; the rayon output is checked byte for byte
//! against the sequential one once, outside the timing.
//!
//! This file holds both since they answer one question, which of the
//! crates the design card names earn a place; criterion's filter runs
//! either group alone (`cargo bench --bench watch -- watch/`).

use std::collections::HashSet;
use std::hint::black_box;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use camsentry::alert::flows::encode_flow;
use camsentry::alert::{Format, Observer};
use camsentry::flow::FlowKey;
use camsentry::flow::FlowRecord;
use camsentry::flow::community_id::community_id_v1;
use camsentry::flow::record::{TcpSummary, flow_id};
use camsentry::timestamp::Timestamp;
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use crossbeam_channel::{Receiver, Sender};
use dashmap::DashSet;
use rayon::prelude::*;

/// Hosts on the watch list at the start.
const ENTRIES: usize = 16_384;
/// Lookups per epoch: the collector publishes once per 4,096 packets.
const EPOCH: usize = 4_096;
/// Entries the collector adds per epoch while lookups run.
const ADDED_PER_EPOCH: usize = 8;
/// One lookup in `HIT_EVERY` finds its address (95% misses).
const HIT_EVERY: usize = 20;

/// `cargo test --all-targets` runs benches once without `--bench`: keep
/// that smoke run small.
fn benchmarking() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// xorshift64: deterministic inputs, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// An address in 10.0.0.0/8.
    fn ten(&mut self) -> IpAddr {
        IpAddr::from((0x0a00_0000 | (self.next() as u32 & 0x00ff_ffff)).to_be_bytes())
    }
}

/// The watch list, the lookup stream and the entries added while it runs.
struct Workload {
    entries: Vec<IpAddr>,
    /// What the first lookup thread looks up; the second looks up the same
    /// addresses from the middle on, so the two are not in lockstep.
    stream: Vec<IpAddr>,
    second: Vec<IpAddr>,
    hits: u64,
    /// `ADDED_PER_EPOCH` per epoch of the stream, plus one epoch's worth.
    added: Vec<IpAddr>,
}

impl Workload {
    fn new(lookups: usize) -> Workload {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut taken = HashSet::new();
        let mut fresh = |rng: &mut Rng| loop {
            let addr = rng.ten();
            if taken.insert(addr) {
                break addr;
            }
        };
        let entries: Vec<IpAddr> = (0..ENTRIES).map(|_| fresh(&mut rng)).collect();
        let added: Vec<IpAddr> = (0..(lookups / EPOCH + 1) * ADDED_PER_EPOCH)
            .map(|_| fresh(&mut rng))
            .collect();
        let mut hits = 0;
        let stream: Vec<IpAddr> = (0..lookups)
            .map(|_| {
                if (rng.next() as usize).is_multiple_of(HIT_EVERY) {
                    hits += 1;
                    entries[rng.next() as usize % ENTRIES]
                } else {
                    // A miss may repeat an earlier miss, as a busy link's
                    // flows do; it is never a watched or added host.
                    loop {
                        let addr = rng.ten();
                        if !taken.contains(&addr) {
                            break addr;
                        }
                    }
                }
            })
            .collect();
        let mut second = stream.clone();
        second.rotate_left(lookups / 2);
        Workload {
            entries,
            stream,
            second,
            hits,
            added,
        }
    }
}

/// A lookup thread's view of the watch list.
trait Reader: Send {
    /// Between two epochs: take what the collector published.
    fn refresh(&mut self);
    fn contains(&self, addr: &IpAddr) -> bool;
}

/// The collector's side.
trait Writer: Send {
    fn add(&mut self, addrs: &[IpAddr]);
}

/// (a) Each worker's own copy, updated from the collector's vectors.
struct CopyReader {
    set: HashSet<IpAddr>,
    updates: Receiver<Vec<IpAddr>>,
}

impl Reader for CopyReader {
    fn refresh(&mut self) {
        while let Ok(update) = self.updates.try_recv() {
            self.set.extend(update);
        }
    }

    fn contains(&self, addr: &IpAddr) -> bool {
        self.set.contains(addr)
    }
}

struct CopyWriter {
    workers: Vec<Sender<Vec<IpAddr>>>,
}

impl Writer for CopyWriter {
    fn add(&mut self, addrs: &[IpAddr]) {
        for worker in &self.workers {
            worker.send(addrs.to_vec()).expect("lookup thread alive");
        }
    }
}

fn copies(entries: &[IpAddr], readers: usize) -> (Vec<CopyReader>, CopyWriter) {
    let set: HashSet<IpAddr> = entries.iter().copied().collect();
    let mut workers = Vec::new();
    let readers = (0..readers)
        .map(|_| {
            let (sender, updates) = crossbeam_channel::unbounded();
            workers.push(sender);
            CopyReader {
                set: set.clone(),
                updates,
            }
        })
        .collect();
    (readers, CopyWriter { workers })
}

/// (b) One `DashSet` for everyone.
struct DashReader(Arc<DashSet<IpAddr>>);

impl Reader for DashReader {
    fn refresh(&mut self) {}

    fn contains(&self, addr: &IpAddr) -> bool {
        self.0.contains(addr)
    }
}

struct DashWriter(Arc<DashSet<IpAddr>>);

impl Writer for DashWriter {
    fn add(&mut self, addrs: &[IpAddr]) {
        for addr in addrs {
            self.0.insert(*addr);
        }
    }
}

fn dashmap(entries: &[IpAddr], readers: usize) -> (Vec<DashReader>, DashWriter) {
    let set: Arc<DashSet<IpAddr>> = Arc::new(entries.iter().copied().collect());
    let readers = (0..readers).map(|_| DashReader(set.clone())).collect();
    (readers, DashWriter(set))
}

/// (c) A snapshot the collector replaces with a modified copy each epoch
/// with changes, loaded on every lookup.
struct SwapReader(Arc<ArcSwap<HashSet<IpAddr>>>);

impl Reader for SwapReader {
    fn refresh(&mut self) {}

    fn contains(&self, addr: &IpAddr) -> bool {
        self.0.load().contains(addr)
    }
}

/// (c') The same snapshot, loaded once per epoch into a local `Arc`.
struct EpochSwapReader {
    shared: Arc<ArcSwap<HashSet<IpAddr>>>,
    local: Arc<HashSet<IpAddr>>,
}

impl Reader for EpochSwapReader {
    fn refresh(&mut self) {
        self.local = self.shared.load_full();
    }

    fn contains(&self, addr: &IpAddr) -> bool {
        self.local.contains(addr)
    }
}

/// The collector keeps the master copy and publishes a clone of it.
struct SwapWriter {
    shared: Arc<ArcSwap<HashSet<IpAddr>>>,
    master: HashSet<IpAddr>,
}

impl Writer for SwapWriter {
    fn add(&mut self, addrs: &[IpAddr]) {
        self.master.extend(addrs.iter().copied());
        self.shared.store(Arc::new(self.master.clone()));
    }
}

fn swap_writer(entries: &[IpAddr]) -> SwapWriter {
    let master: HashSet<IpAddr> = entries.iter().copied().collect();
    SwapWriter {
        shared: Arc::new(ArcSwap::from_pointee(master.clone())),
        master,
    }
}

fn arc_swap_load(entries: &[IpAddr], readers: usize) -> (Vec<SwapReader>, SwapWriter) {
    let writer = swap_writer(entries);
    let readers = (0..readers)
        .map(|_| SwapReader(writer.shared.clone()))
        .collect();
    (readers, writer)
}

fn arc_swap_epoch(entries: &[IpAddr], readers: usize) -> (Vec<EpochSwapReader>, SwapWriter) {
    let writer = swap_writer(entries);
    let readers = (0..readers)
        .map(|_| EpochSwapReader {
            shared: writer.shared.clone(),
            local: writer.shared.load_full(),
        })
        .collect();
    (readers, writer)
}

/// Looks up `stream` epoch by epoch, calling `epoch_done` with the number
/// of epochs done after each; returns the hits.
fn lookups<R: Reader>(reader: &mut R, stream: &[IpAddr], mut epoch_done: impl FnMut(usize)) -> u64 {
    let mut hits = 0;
    for (epoch, addrs) in stream.chunks(EPOCH).enumerate() {
        reader.refresh();
        for addr in addrs {
            hits += u64::from(reader.contains(addr));
        }
        epoch_done(epoch + 1);
    }
    hits
}

fn single<R: Reader, W: Writer>(
    c: &mut Criterion,
    work: &Workload,
    name: &str,
    build: fn(&[IpAddr], usize) -> (Vec<R>, W),
) {
    let mut group = c.benchmark_group("watch/single");
    group.throughput(Throughput::Elements(work.stream.len() as u64));
    // The writer stays alive so the copies' channel stays open, as in a
    // running pipeline.
    let (mut readers, _writer) = build(&work.entries, 1);
    let reader = &mut readers[0];
    group.bench_function(name, |b| {
        b.iter(|| {
            let hits = lookups(reader, &work.stream, |_| {});
            assert_eq!(hits, work.hits);
            black_box(hits)
        })
    });
    group.finish();
}

/// One round of `watch/concurrent`: the wall time of two lookup threads
/// running the whole stream while the collector adds entries.
fn round<R: Reader, W: Writer>(
    work: &Workload,
    build: fn(&[IpAddr], usize) -> (Vec<R>, W),
) -> Duration {
    let (readers, mut writer) = build(&work.entries, 2);
    let [mut first, mut second]: [R; 2] = readers.try_into().ok().expect("two readers");
    let epochs_done = AtomicUsize::new(0);
    let finished = AtomicBool::new(false);
    let barrier = &Barrier::new(3);
    let epochs_done = &epochs_done;
    thread::scope(|scope| {
        let collector = scope.spawn(|| {
            barrier.wait();
            let mut published = 0;
            loop {
                let last = finished.load(Ordering::Acquire);
                let due = epochs_done.load(Ordering::Acquire);
                while published < due {
                    let at = published * ADDED_PER_EPOCH;
                    writer.add(&work.added[at..at + ADDED_PER_EPOCH]);
                    published += 1;
                }
                if last {
                    return published;
                }
                thread::park();
            }
        });
        let wake = collector.thread().clone();
        let paced = scope.spawn(move || {
            barrier.wait();
            let start = Instant::now();
            let hits = lookups(&mut first, &work.stream, |epochs| {
                epochs_done.store(epochs, Ordering::Release);
                wake.unpark();
            });
            (hits, start.elapsed(), first)
        });
        let other = scope.spawn(move || {
            barrier.wait();
            let start = Instant::now();
            let hits = lookups(&mut second, &work.second, |_| {});
            (hits, start.elapsed(), second)
        });
        let (hits_first, time_first, mut first) = paced.join().expect("lookup thread");
        let (hits_second, time_second, mut second) = other.join().expect("lookup thread");
        finished.store(true, Ordering::Release);
        collector.thread().unpark();
        let published = collector.join().expect("collector thread");
        assert_eq!(hits_first, work.hits);
        assert_eq!(hits_second, work.hits);
        assert!(published >= work.stream.len() / EPOCH);
        let last = work.added[published * ADDED_PER_EPOCH - 1];
        for reader in [&mut first, &mut second] {
            reader.refresh();
            assert!(reader.contains(&last), "an update was lost");
        }
        time_first.max(time_second)
    })
}

fn concurrent<R: Reader, W: Writer>(
    c: &mut Criterion,
    work: &Workload,
    name: &str,
    build: fn(&[IpAddr], usize) -> (Vec<R>, W),
) {
    let mut group = c.benchmark_group("watch/concurrent");
    // Both threads' lookups: elements/s is the aggregate rate; the time
    // per round divided by the stream's length is one thread's ns/lookup.
    group.throughput(Throughput::Elements(2 * work.stream.len() as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function(name, |b| {
        b.iter_custom(|rounds| (0..rounds).map(|_| round(work, build)).sum())
    });
    group.finish();
}

/// What one epoch's publication costs, collector and workers together:
/// the same 8 entries each time (already present after the first), so
/// the set keeps its size however many iterations criterion runs.
fn publish<R: Reader, W: Writer>(
    c: &mut Criterion,
    work: &Workload,
    name: &str,
    build: fn(&[IpAddr], usize) -> (Vec<R>, W),
) {
    let mut group = c.benchmark_group("watch/publish");
    let (mut readers, mut writer) = build(&work.entries, 2);
    let batch = &work.added[..ADDED_PER_EPOCH];
    group.bench_function(name, |b| {
        b.iter(|| {
            writer.add(batch);
            for reader in &mut readers {
                reader.refresh();
                assert!(reader.contains(&batch[ADDED_PER_EPOCH - 1]));
            }
        })
    });
    group.finish();
}

fn bench_watch(c: &mut Criterion) {
    let lookups = if benchmarking() { 1_000_000 } else { 20_000 };
    let work = Workload::new(lookups);
    assert!(work.hits > 0);
    single(c, &work, "copies", copies);
    single(c, &work, "dashmap", dashmap);
    single(c, &work, "arc_swap_load", arc_swap_load);
    single(c, &work, "arc_swap_epoch", arc_swap_epoch);
    concurrent(c, &work, "copies", copies);
    concurrent(c, &work, "dashmap", dashmap);
    concurrent(c, &work, "arc_swap_load", arc_swap_load);
    concurrent(c, &work, "arc_swap_epoch", arc_swap_epoch);
    publish(c, &work, "copies", copies);
    publish(c, &work, "dashmap", dashmap);
    publish(c, &work, "arc_swap_load", arc_swap_load);
    publish(c, &work, "arc_swap_epoch", arc_swap_epoch);
}

/// Records of plausible variety: TCP and UDP, distinct hosts and ports, a
/// real community id and flow id each.
fn records(count: usize) -> Vec<FlowRecord> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    (0..count)
        .map(|i| {
            let src = rng.ten();
            let dst = IpAddr::from([10, 20, (i >> 8) as u8, i as u8]);
            let src_port = 1024 + (rng.next() % 60_000) as u16;
            let dst_port = [554, 443, 53, 80, 37777][i % 5];
            let proto = if dst_port == 53 { 17 } else { 6 };
            let start = Timestamp::from_secs_nanos(1_767_600_000 + (i / 1000) as i64, i as i64);
            let duration = rng.next() % 300_000_000_000;
            let (key, _) = FlowKey::new(src, src_port, dst, dst_port, proto, 20, 0);
            let packets = rng.next() % 5000;
            FlowRecord {
                flow_id: flow_id(&key, start),
                start,
                end: start.plus(duration),
                duration_nanos: duration,
                src_ip: src.to_string(),
                src_port,
                dest_ip: dst.to_string(),
                dest_port: dst_port,
                proto,
                transport: if proto == 6 { "tcp" } else { "udp" }.to_string(),
                vlan: Some(20),
                inner_vlan: None,
                interface: 0,
                orig_packets: packets,
                orig_bytes: packets * 120,
                resp_packets: packets * 3,
                resp_bytes: packets * 3 * 1300,
                answered: true,
                midstream: false,
                tcp: (proto == 6).then(|| TcpSummary {
                    state: "closed".to_string(),
                    orig_flags: "SAF".to_string(),
                    resp_flags: "SAF".to_string(),
                    orig_flag_bits: 0x13,
                    resp_flag_bits: 0x13,
                }),
                end_reason: "fin".to_string(),
                community_id: community_id_v1(0, proto, src, dst, src_port, dst_port, false),
            }
        })
        .collect()
}

/// Records per rayon task: about 60 chunks for 1M records, small enough
/// for work stealing to even out the two threads.
const CHUNK: usize = 16_384;

fn encode_sequential(records: &[FlowRecord], observer: &Observer, out: &mut Vec<u8>) {
    out.clear();
    for record in records {
        encode_flow(record, Format::Ecs, observer, false, out);
    }
}

fn encode_parallel(
    pool: &rayon::ThreadPool,
    records: &[FlowRecord],
    observer: &Observer,
    chunks: &mut [Vec<u8>],
    out: &mut Vec<u8>,
) {
    pool.install(|| {
        chunks
            .par_iter_mut()
            .zip(records.par_chunks(CHUNK))
            .for_each(|(buffer, records)| encode_sequential(records, observer, buffer))
    });
    out.clear();
    for buffer in chunks.iter() {
        out.extend_from_slice(buffer);
    }
}

fn bench_encode(c: &mut Criterion) {
    let count = if benchmarking() { 1_000_000 } else { 20_000 };
    let records = records(count);
    let observer = Observer::local();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("rayon pool");
    let mut expected = Vec::new();
    encode_sequential(&records, &observer, &mut expected);
    assert_eq!(expected.iter().filter(|&&b| b == b'\n').count(), count);
    let mut chunks = vec![Vec::new(); count.div_ceil(CHUNK)];
    let mut out = Vec::with_capacity(expected.len());
    encode_parallel(&pool, &records, &observer, &mut chunks, &mut out);
    assert!(
        out == expected,
        "rayon's output differs from the sequential one"
    );

    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Elements(count as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.bench_function("sequential", |b| {
        b.iter(|| {
            encode_sequential(&records, &observer, &mut out);
            assert_eq!(out.len(), expected.len());
        })
    });
    group.bench_function("rayon_2_threads", |b| {
        b.iter(|| {
            encode_parallel(&pool, &records, &observer, &mut chunks, &mut out);
            assert_eq!(out.len(), expected.len());
        })
    });
    group.finish();
}

criterion_group!(benches, bench_watch, bench_encode);
criterion_main!(benches);
