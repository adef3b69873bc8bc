//! The flow table's hot path: updating an existing flow with 1 thousand,
//! 100 thousand and 1 million live flows, one call at a time and in
//! batches with prefetching as a worker does, inserting new flows, and the
//! expiry sweep. Keys and packet views are built outside the timed code;
//! each measured closure asserts what the table did, so a broken table
//! cannot look fast.

use std::hint::black_box;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use camsentry::decode::{Fragment, PacketView};
use camsentry::flow::{FlowKey, FlowPacket, FlowTable, Timeouts};
use camsentry::timestamp::Timestamp;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

fn view(i: u32) -> PacketView {
    let src = IpAddr::from((0x0a00_0000u32 | (i >> 8)).to_be_bytes());
    PacketView {
        src,
        dst: IpAddr::from([10, 20, 0, 2]),
        src_port: 1024 + (i & 0xff) as u16,
        dst_port: 50000,
        proto: 17,
        icmp_one_way: false,
        vlan: 20,
        inner_vlan: 0,
        src_mac: [0; 6],
        dst_mac: [0; 6],
        tcp_flags: 0,
        fragment: Fragment::None,
        payload_offset: 0,
        payload_len: 0,
        quoted: None,
        encap: 0,
    }
}

fn keyed(v: &PacketView) -> (FlowKey, bool) {
    FlowKey::new(v.src, v.src_port, v.dst, v.dst_port, v.proto, v.vlan, 0)
}

/// A deterministic permutation so lookups hit the table in random order, as
/// interleaved real traffic does (sequential order would flatter caches).
fn shuffled(n: u32) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n).collect();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for i in (1..order.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    order
}

fn update_existing(c: &mut Criterion) {
    let mut group = c.benchmark_group("flow_table/update_existing");
    group.throughput(Throughput::Elements(1));
    for live in [1_000u32, 100_000, 1_000_000] {
        let views: Vec<PacketView> = shuffled(live).into_iter().map(view).collect();
        let keys: Vec<(FlowKey, bool)> = views.iter().map(keyed).collect();
        let mut table = FlowTable::new(live as usize * 2, Timeouts::default());
        let ts = Timestamp::from_secs(1_767_600_000);
        for (v, k) in views.iter().zip(&keys) {
            table.update(v, *k, 1300, ts, 1, &mut |_, _| {});
        }
        assert_eq!(table.len(), live as usize);
        let mut at = 0usize;
        group.bench_function(format!("{live}_flows"), |b| {
            b.iter(|| {
                let outcome = table.update(&views[at], keys[at], 1300, ts, 2, &mut |_, _| {
                    panic!("no flow may end")
                });
                assert!(!outcome.new_flow);
                at += 1;
                if at == views.len() {
                    at = 0;
                }
                black_box(outcome)
            })
        });
        assert_eq!(table.len(), live as usize);
    }
    group.finish();
}

/// Packets per batch, and how many packets ahead of its update a packet's
/// index line is prefetched (16 and 24 measured best; loading the flow too
/// only added work).
const BATCH: usize = 256;
const AHEAD: usize = 16;

/// Applies one batch the way a worker does: hash every key once, prefetch
/// index lines `AHEAD` packets ahead, update with the hash.
fn update_batch(
    table: &mut FlowTable,
    views: &[PacketView],
    keys: &[(FlowKey, bool)],
    ts: Timestamp,
    expect_new: bool,
) {
    let mut hashes = [0u64; BATCH];
    let hashes = &mut hashes[..keys.len()];
    for (hash, (key, _)) in hashes.iter_mut().zip(keys) {
        *hash = key.hash64();
    }
    for &hash in hashes.iter().take(AHEAD) {
        table.prefetch(hash);
    }
    for (i, (view, key)) in views.iter().zip(keys).enumerate() {
        if let Some(&hash) = hashes.get(i + AHEAD) {
            table.prefetch(hash);
        }
        let packet = FlowPacket::from_view(view, *key, hashes[i], 1300, ts, 2);
        let outcome = table.update_hashed(packet, &mut |_, _| panic!("no flow may end"));
        assert_eq!(outcome.new_flow, expect_new);
        black_box(outcome);
    }
}

fn update_existing_batched(c: &mut Criterion) {
    let mut group = c.benchmark_group("flow_table/update_existing_batched");
    group.throughput(Throughput::Elements(1));
    for live in [1_000u32, 100_000, 1_000_000] {
        let views: Vec<PacketView> = shuffled(live).into_iter().map(view).collect();
        let keys: Vec<(FlowKey, bool)> = views.iter().map(keyed).collect();
        let mut table = FlowTable::new(live as usize * 2, Timeouts::default());
        let ts = Timestamp::from_secs(1_767_600_000);
        for (v, k) in views.iter().zip(&keys) {
            table.update(v, *k, 1300, ts, 1, &mut |_, _| {});
        }
        assert_eq!(table.len(), live as usize);
        eprintln!(
            "{live} flows: {:.1} bytes per flow",
            table.memory_bytes() as f64 / f64::from(live)
        );
        let mut at = 0usize;
        group.bench_function(format!("{live}_flows"), |b| {
            // One iteration is one packet; batches are cut to fit.
            b.iter_custom(|iters| {
                let started = Instant::now();
                let mut left = iters;
                while left > 0 {
                    let n = (left.min(BATCH as u64) as usize).min(views.len() - at);
                    update_batch(&mut table, &views[at..at + n], &keys[at..at + n], ts, false);
                    at = (at + n) % views.len();
                    left -= n as u64;
                }
                started.elapsed()
            })
        });
        assert_eq!(table.len(), live as usize);
    }
    group.finish();
}

fn insert_new(c: &mut Criterion) {
    let mut group = c.benchmark_group("flow_table/insert_new");
    group.throughput(Throughput::Elements(1));
    group.bench_function("growing_table", |b| {
        b.iter_custom(|iters| {
            let n = iters.min(4_000_000) as u32;
            let views: Vec<PacketView> = (0..n).map(view).collect();
            let keys: Vec<(FlowKey, bool)> = views.iter().map(keyed).collect();
            let mut table = FlowTable::new(n as usize + 1, Timeouts::default());
            let ts = Timestamp::from_secs(1_767_600_000);
            let started = Instant::now();
            for (v, k) in views.iter().zip(&keys) {
                let outcome = table.update(v, *k, 64, ts, 1, &mut |_, _| {});
                assert!(outcome.new_flow);
            }
            let elapsed = started.elapsed();
            assert_eq!(table.len(), n as usize);
            // Scale when criterion asked for more than we could key.
            elapsed.mul_f64(iters as f64 / f64::from(n.max(1)))
        })
    });
    group.bench_function("growing_table_batched", |b| {
        b.iter_custom(|iters| {
            let n = iters.min(4_000_000) as u32;
            let views: Vec<PacketView> = (0..n).map(view).collect();
            let keys: Vec<(FlowKey, bool)> = views.iter().map(keyed).collect();
            let mut table = FlowTable::new(n as usize + 1, Timeouts::default());
            let ts = Timestamp::from_secs(1_767_600_000);
            let started = Instant::now();
            for (views, keys) in views.chunks(BATCH).zip(keys.chunks(BATCH)) {
                update_batch(&mut table, views, keys, ts, true);
            }
            let elapsed = started.elapsed();
            assert_eq!(table.len(), n as usize);
            elapsed.mul_f64(iters as f64 / f64::from(n.max(1)))
        })
    });
    group.finish();
}

fn expiry_sweep(c: &mut Criterion) {
    let mut group = c.benchmark_group("flow_table/expiry_sweep");
    let live = 100_000u32;
    group.throughput(Throughput::Elements(u64::from(live)));
    let views: Vec<PacketView> = (0..live).map(view).collect();
    let keys: Vec<(FlowKey, bool)> = views.iter().map(keyed).collect();
    group.bench_function("100000_idle_flows", |b| {
        b.iter_batched(
            || {
                let mut table = FlowTable::new(live as usize, Timeouts::default());
                let ts = Timestamp::from_secs(1_767_600_000);
                for (v, k) in views.iter().zip(&keys) {
                    table.update(v, *k, 64, ts, 1, &mut |_, _| {});
                }
                table
            },
            |mut table| {
                let mut ended = 0u32;
                table.expire(Timestamp::from_secs(1_767_600_000 + 3600), &mut |_, _| {
                    ended += 1
                });
                assert_eq!(ended, live);
                table
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).sample_size(20);
    targets = update_existing, update_existing_batched, insert_new, expiry_sweep
}
criterion_main!(benches);
