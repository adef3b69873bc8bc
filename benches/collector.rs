//! The collector's per-epoch cost at the end-of-input flush of 1 million
//! flows: two workers' sorted parts of encoded flow records (interleaved
//! by first packet, as the flush reports them) merged into one output
//! stream. The parts are built outside the timed code; the measured
//! closure asserts that every record came out, once and in order.

use std::hint::black_box;

use camsentry::pipeline::{EpochMerge, Item, RecordChunk, WorkerOutput};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use crossbeam_channel::{Receiver, unbounded};

const FLOWS: u64 = 1_000_000;
const WORKERS: u64 = 2;
/// Records per part, as a worker cuts its flush.
const PART: usize = 16 * 1024;
/// Bytes a file output buffers before a write.
const OUT_BUFFER: usize = 64 * 1024;

/// A record line of the usual length (336 bytes) naming its flow.
fn line(first_seq: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(format!("{{\"first_seq\":{first_seq:>12},\"pad\":\"").as_bytes());
    out.resize(out.len() + 300, b'x');
    out.extend_from_slice(b"\"}\n");
}

/// Every worker's flush, in parts: worker `w` holds the flows whose first
/// packet is `w` modulo the worker count.
fn parts() -> Vec<Vec<WorkerOutput>> {
    (0..WORKERS)
        .map(|worker| {
            let mut parts = Vec::new();
            let mut chunk = RecordChunk::default();
            let mut encoded = Vec::new();
            for first_seq in (worker..FLOWS).step_by(WORKERS as usize) {
                encoded.clear();
                line(first_seq, &mut encoded);
                let order = (FLOWS, 1 << 63 | first_seq);
                chunk.push_line(order, first_seq, None, &encoded);
                if chunk.len() == PART {
                    parts.push(std::mem::take(&mut chunk));
                }
            }
            parts.push(chunk);
            let count = parts.len();
            parts
                .into_iter()
                .enumerate()
                .map(|(at, records)| WorkerOutput {
                    last: true,
                    more: at + 1 < count,
                    records,
                    ..WorkerOutput::default()
                })
                .collect()
        })
        .collect()
}

fn clone_part(part: &WorkerOutput) -> WorkerOutput {
    WorkerOutput {
        last: part.last,
        more: part.more,
        records: part.records.clone(),
        ..WorkerOutput::default()
    }
}

/// Channels already holding every part, as the workers would have sent
/// them.
fn queued(parts: &[Vec<WorkerOutput>]) -> Vec<Receiver<WorkerOutput>> {
    parts
        .iter()
        .map(|worker| {
            let (tx, rx) = unbounded();
            for part in worker {
                tx.send(clone_part(part)).unwrap();
            }
            rx
        })
        .collect()
}

fn flush_merge(c: &mut Criterion) {
    let parts = parts();
    let mut group = c.benchmark_group("collector");
    group.sample_size(10);
    group.throughput(Throughput::Elements(FLOWS));
    group.bench_function("flush merge, 1M flow records, 2 workers", |b| {
        b.iter_batched(
            || queued(&parts),
            |receivers| {
                // An output buffer of a file sink's size, written out
                // (here: dropped) when full.
                let mut out = Vec::with_capacity(OUT_BUFFER);
                let mut scratch = Vec::new();
                let mut written = 0u64;
                let mut records = 0u64;
                let mut previous = None;
                let mut merge = EpochMerge::start(&receivers, &mut |_, _| {}).unwrap();
                merge
                    .run(&mut |_, _| {}, &mut |item| {
                        if let Item::Record(record) = item {
                            // No engine: nothing alerted, the line as encoded.
                            let line = record.with_alerted(false, &mut scratch);
                            if out.len() + line.len() > OUT_BUFFER {
                                written += black_box(&out).len() as u64;
                                out.clear();
                            }
                            // In first-packet order across the workers.
                            let mut first_seq = [0u8; 12];
                            first_seq.copy_from_slice(&line[13..25]);
                            assert!(previous.is_none_or(|p| p < first_seq));
                            previous = Some(first_seq);
                            out.extend_from_slice(line);
                            records += 1;
                        }
                    })
                    .unwrap();
                assert_eq!(records, FLOWS);
                assert_eq!(written + out.len() as u64, FLOWS * 336);
                receivers
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, flush_merge);
criterion_main!(benches);
