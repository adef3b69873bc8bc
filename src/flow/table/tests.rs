//! The table's tests: packet scenarios, the index against a `HashMap`
//! model, and proptests that check every invariant after each step.

use super::expiry::class_of;
use super::index::{EMPTY, Index, MAX_LOAD_NUM, tag_of};
use super::slab::Entry;
use super::*;
use crate::decode::{
    PacketView,
    tcp_flags::{ACK, FIN, RST, SYN},
};
use proptest::prelude::*;
use std::collections::HashMap;
use std::net::IpAddr;

impl FlowTable {
    /// Panics unless the wheels, the slab and the index agree.
    fn check(&self) {
        self.index.check();
        let mut seen = 0;
        for (class, wheel) in self.wheels.iter().enumerate() {
            wheel.check(&self.slab, |at| {
                let flow = &self.slab.get(at).flow;
                assert_eq!(class_of(flow) as usize, class);
                let tag = tag_of(flow.key.hash64());
                let key = flow.key;
                let found = self.index.find(tag, |i| self.slab.get(i).flow.key == key);
                assert_eq!(found.map(|(_, i)| i), Ok(at), "flow {at} not indexed");
                assert_eq!(self.index.position(tag, at), found.ok().map(|(p, _)| p));
                seen += 1;
            });
        }
        assert_eq!(seen, self.live);
        assert_eq!(self.index.occupied, self.live);
        assert_eq!(self.free.len() + self.live, self.slab.len);
    }
}

fn view(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, proto: u8, flags: u8) -> PacketView {
    PacketView::for_test(
        IpAddr::from(src),
        sport,
        IpAddr::from(dst),
        dport,
        proto,
        flags,
    )
}

struct Run {
    table: FlowTable,
    ended: Vec<(FlowKey, EndReason, [u64; 2])>,
    seq: u64,
}

impl Run {
    fn new(capacity: usize) -> Run {
        Run {
            table: FlowTable::new(capacity, Timeouts::default()),
            ended: Vec::new(),
            seq: 0,
        }
    }

    fn packet(&mut self, v: PacketView, secs: u64) -> PacketOutcome {
        let (key, lo) = FlowKey::new(v.src, v.src_port, v.dst, v.dst_port, v.proto, 0, 0);
        self.seq += 1;
        let ended = &mut self.ended;
        self.table.update(
            &v,
            (key, lo),
            100,
            Timestamp::from_secs(secs),
            self.seq,
            &mut |f, r| ended.push((f.key, r, f.packets)),
        )
    }

    fn expire(&mut self, secs: u64) {
        let ended = &mut self.ended;
        self.table.expire(Timestamp::from_secs(secs), &mut |f, r| {
            ended.push((f.key, r, f.packets))
        });
    }
}

const A: [u8; 4] = [10, 20, 0, 11];
const B: [u8; 4] = [10, 20, 0, 2];

#[test]
fn tcp_handshake_and_fin() {
    let mut run = Run::new(16);
    let first = run.packet(view(A, 40000, B, 554, 6, SYN), 100);
    assert!(first.new_flow && first.from_initiator);
    let answer = run.packet(view(B, 554, A, 40000, 6, SYN | ACK), 100);
    assert!(!answer.new_flow && answer.first_answer && !answer.from_initiator);
    run.packet(view(A, 40000, B, 554, 6, ACK), 100);
    assert_eq!(
        run.table.flow(first.index).tcp_state,
        Some(TcpState::Established)
    );
    run.packet(view(A, 40000, B, 554, 6, FIN | ACK), 101);
    run.packet(view(B, 554, A, 40000, 6, FIN | ACK), 101);
    run.packet(view(A, 40000, B, 554, 6, ACK), 101);
    assert_eq!(
        run.table.flow(first.index).tcp_state,
        Some(TcpState::Closed)
    );
    run.expire(105);
    assert!(run.ended.is_empty(), "lingers for stray packets");
    run.expire(112);
    assert_eq!(run.ended.len(), 1);
    assert_eq!(run.ended[0].1, EndReason::Fin);
    assert_eq!(run.ended[0].2, [4, 2]);
    assert_eq!(run.table.len(), 0);
}

#[test]
fn syn_ack_first_makes_destination_the_initiator() {
    let mut run = Run::new(16);
    let o = run.packet(view(B, 554, A, 40000, 6, SYN | ACK), 1);
    let flow = run.table.flow(o.index);
    assert_eq!(flow.initiator(), (IpAddr::from(A), 40000));
    assert!(flow.answered());
}

#[test]
fn reset_ends_with_rst() {
    let mut run = Run::new(16);
    run.packet(view(A, 40000, B, 23, 6, SYN), 1);
    run.packet(view(B, 23, A, 40000, 6, RST | ACK), 1);
    run.expire(20);
    assert_eq!(run.ended[0].1, EndReason::Rst);
}

#[test]
fn idle_gap_splits_flow_without_sweep() {
    let mut run = Run::new(16);
    run.packet(view(A, 5000, B, 53, 17, 0), 0);
    run.packet(view(A, 5000, B, 53, 17, 0), 30);
    let o = run.packet(view(A, 5000, B, 53, 17, 0), 200);
    assert!(o.new_flow);
    assert_eq!(
        run.ended,
        vec![(run.ended[0].0, EndReason::Timeout, [2, 0])]
    );
}

#[test]
fn active_flows_are_refiled_not_expired() {
    let mut run = Run::new(16);
    for s in 0..10 {
        run.packet(view(A, 5000, B, 53, 17, 0), s * 50);
        run.expire(s * 50 + 1);
    }
    assert!(run.ended.is_empty());
    run.expire(450 + 61);
    assert_eq!(run.ended.len(), 1);
    assert_eq!(run.ended[0].2, [10, 0]);
}

/// The flows a sweep ends do not depend on which other flows share the
/// table: a flow re-filed by one sweep (it saw a packet since it was
/// filed) is due behind a newer idle flow, and must still end at the
/// first sweep past its timeout. With recency queues it ended a sweep
/// later when the newer flow shared its queue.
#[test]
fn a_due_flow_ends_whatever_shares_its_table() {
    let sweeps_of = |with_newer: bool| {
        let mut run = Run::new(16);
        run.packet(view(A, 1, B, 53, 17, 0), 0);
        run.packet(view(A, 1, B, 53, 17, 0), 50);
        if with_newer {
            run.packet(view(A, 2, B, 53, 17, 0), 55);
        }
        let mut ended_at = Vec::new();
        for now in [61, 111, 116] {
            run.expire(now);
            ended_at.extend(run.ended.drain(..).map(|(k, _, _)| (k.port_hi, now)));
        }
        ended_at
    };
    assert_eq!(sweeps_of(false), vec![(1, 111)]);
    assert_eq!(sweeps_of(true), vec![(1, 111), (2, 116)]);
}

/// Replays `packets` (host, port, TCP flags or UDP, gap in ms, step back)
/// over `tables` tables, routing each flow by its key's hash as the
/// dispatcher does, with a sweep every `sweep_every` packets; returns each
/// ended flow with the sweep (or packet) at which it ended, sorted.
fn ends_by_sweep(
    packets: &[(u8, u8, u8, u32, bool)],
    tables: usize,
    sweep_every: usize,
) -> Vec<(FlowKey, u64, usize, u8, [u64; 2])> {
    let mut runs: Vec<Run> = (0..tables).map(|_| Run::new(1 << 20)).collect();
    let mut ends = Vec::new();
    let mut now_ms = 1_000_000u64;
    let mut clock = 0u64;
    for (at, &(host, port, flags, gap_ms, back)) in packets.iter().enumerate() {
        // Time steps back now and then, as merged captures do; the sweep
        // clock only moves forward, as the dispatcher's does.
        now_ms = if back {
            now_ms.saturating_sub(u64::from(gap_ms) * 20)
        } else {
            now_ms + u64::from(gap_ms)
        };
        clock = clock.max(now_ms);
        let proto = if flags == u8::MAX { 17 } else { 6 };
        let flags = if proto == 6 { flags } else { 0 };
        let v = view(
            [10, 0, 0, host],
            40_000 + u16::from(port),
            B,
            554,
            proto,
            flags,
        );
        let key = keyed(&v);
        let run = &mut runs[key.worker(tables)];
        run.seq = at as u64;
        let ended = &mut run.ended;
        let ts = Timestamp(now_ms * 1_000_000);
        let hash = key.hash64();
        let (_, lo) = FlowKey::new(v.src, v.src_port, v.dst, v.dst_port, v.proto, 0, 0);
        run.table.update_hashed(
            FlowPacket {
                key,
                src_is_lo: lo,
                hash,
                wire_len: 100,
                ts,
                seq: at as u64,
                tcp_flags: flags,
                icmp_one_way: false,
                interface: 0,
            },
            &mut |f, r| ended.push((f.key, r, f.packets)),
        );
        for run in &mut runs {
            ends.extend(
                run.ended
                    .drain(..)
                    .map(|(k, r, p)| (k, at as u64, 0, r as u8, p)),
            );
        }
        if (at + 1) % sweep_every == 0 {
            for run in &mut runs {
                let ended = &mut run.ended;
                run.table.expire(Timestamp(clock * 1_000_000), &mut |f, r| {
                    ended.push((f.key, r, f.packets))
                });
                ends.extend(
                    run.ended
                        .drain(..)
                        .map(|(k, r, p)| (k, at as u64, 1, r as u8, p)),
                );
                run.table.check();
            }
        }
    }
    ends.sort_unstable_by_key(|&(k, at, kind, r, p)| (at, kind, k, r, p));
    ends
}

#[test]
fn full_table_evicts_stalest() {
    let mut run = Run::new(2);
    run.packet(view(A, 1, B, 53, 17, 0), 10);
    run.packet(view(A, 2, B, 53, 17, 0), 11);
    run.packet(view(A, 1, B, 53, 17, 0), 12); // flow 1 is now fresher
    run.packet(view(A, 3, B, 53, 17, 0), 13);
    assert_eq!(run.ended.len(), 1);
    assert_eq!(run.ended[0].0.port_hi, 2);
    assert_eq!(run.ended[0].1, EndReason::Evicted);
    assert_eq!(run.table.counters().evicted, 1);
    assert_eq!(run.table.len(), 2);
}

#[test]
fn flush_reports_everything_in_first_packet_order() {
    let mut run = Run::new(64);
    for port in (1..20).rev() {
        run.packet(view(A, port, B, 80, 6, SYN), 5);
    }
    let ended = &mut run.ended;
    run.table.flush(Timestamp::from_secs(6), &mut |f, r| {
        ended.push((f.key, r, f.packets))
    });
    assert_eq!(run.ended.len(), 19);
    assert!(run.ended.iter().all(|e| e.1 == EndReason::EndOfInput));
    assert_eq!(run.ended[0].0.port_hi, 19);
    assert_eq!(run.table.counters().flushed, 19);
}

/// An index over a pretend slab of `u64` keys, next to a `HashMap`
/// that says what it should hold.
struct IndexModel {
    index: Index,
    keys: Vec<Option<u64>>,
    free: Vec<u32>,
    reference: HashMap<u64, u32>,
    hash: fn(u64) -> u64,
}

impl IndexModel {
    fn new(hash: fn(u64) -> u64) -> IndexModel {
        IndexModel {
            index: Index::new(),
            keys: Vec::new(),
            free: Vec::new(),
            reference: HashMap::new(),
            hash,
        }
    }

    fn find(&self, key: u64) -> Result<(usize, u32), usize> {
        let keys = &self.keys;
        self.index
            .find(tag_of((self.hash)(key)), |i| keys[i as usize] == Some(key))
    }

    fn insert(&mut self, key: u64) {
        let tag = tag_of((self.hash)(key));
        let mut pos = match self.find(key) {
            Ok((_, index)) => {
                assert_eq!(self.reference.get(&key), Some(&index));
                return;
            }
            Err(pos) => pos,
        };
        assert!(!self.reference.contains_key(&key), "{key} not found");
        let index = match self.free.pop() {
            Some(index) => {
                self.keys[index as usize] = Some(key);
                index
            }
            None => {
                self.keys.push(Some(key));
                (self.keys.len() - 1) as u32
            }
        };
        if self.index.is_full() {
            self.index.grow();
            pos = self.find(key).unwrap_err();
        }
        self.index.insert_at(pos, tag, index);
        self.reference.insert(key, index);
    }

    /// Removes `key` found by key (as `update` does) or by slab index
    /// (as the sweep does).
    fn remove(&mut self, key: u64, by_index: bool) {
        let Some(index) = self.reference.remove(&key) else {
            assert!(self.find(key).is_err(), "{key} should be absent");
            return;
        };
        let pos = if by_index {
            self.index.position(tag_of((self.hash)(key)), index)
        } else {
            self.find(key).ok().map(|(pos, _)| pos)
        };
        let pos = pos.unwrap_or_else(|| panic!("{key} not found"));
        self.index.remove_at(pos);
        self.keys[index as usize] = None;
        self.free.push(index);
    }

    fn check(&self) {
        self.index.check();
        assert_eq!(self.index.occupied, self.reference.len());
        for (&key, &index) in &self.reference {
            assert_eq!(self.find(key).map(|(_, i)| i), Ok(index));
        }
    }
}

fn spread(key: u64) -> u64 {
    let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Sixteen hashes in all: long runs and equal tags everywhere.
fn clashing(key: u64) -> u64 {
    spread(key % 16)
}

/// Consecutive hashes, the pattern that defeated low-bit indexing.
fn progression(key: u64) -> u64 {
    key << 40
}

#[test]
fn index_matches_hash_map_under_churn() {
    for hash in [spread, clashing, progression, |_| 0] {
        let mut model = IndexModel::new(hash);
        let mut state = 1u64;
        for step in 0..60_000u64 {
            state = spread(state);
            let key = state % 3000;
            match state >> 62 {
                0 | 1 => model.insert(key),
                2 => model.remove(key, step.is_multiple_of(2)),
                _ => assert_eq!(
                    model.find(key).ok().map(|(_, i)| i),
                    model.reference.get(&key).copied()
                ),
            }
            if step.is_multiple_of(5000) {
                model.check();
            }
        }
        model.check();
        let keys: Vec<u64> = model.reference.keys().copied().collect();
        for key in keys {
            model.remove(key, key.is_multiple_of(2));
        }
        model.check();
        assert!(model.index.slots.iter().all(|&slot| slot == EMPTY));
    }
}

#[test]
fn index_grows_and_keeps_every_entry() {
    let mut model = IndexModel::new(spread);
    let mut slots = model.index.slots.len();
    for key in 0..190_000 {
        model.insert(key);
        if model.index.slots.len() != slots {
            slots = model.index.slots.len();
            model.check();
        }
        assert!(model.index.occupied * 8 <= model.index.slots.len() * MAX_LOAD_NUM);
    }
    model.check();
    assert_eq!(model.index.slots.len(), 1 << 18);
}

#[test]
fn homes_spread_within_one_workers_share() {
    // Keys that differ only in a port or the low address bits (the
    // pattern that defeated indexing by the hash's low bits), and only
    // those routed to one of four workers.
    let mut run = Run::new(1 << 20);
    for i in 0..400_000u32 {
        let v = view(
            [10, 0, (i >> 16) as u8, (i >> 8) as u8],
            1024 + (i & 0xff) as u16,
            B,
            50000,
            17,
            0,
        );
        if keyed(&v).worker(4) == 1 {
            run.packet(v, 1);
        }
    }
    let index = &run.table.index;
    assert!(index.occupied > 90_000);
    let mut total = 0;
    let mut longest = 0;
    for (pos, &slot) in index.slots.iter().enumerate() {
        if slot != EMPTY {
            let displacement = index.displacement(pos, slot);
            total += displacement;
            longest = longest.max(displacement);
        }
    }
    let load = index.occupied as f64 / index.slots.len() as f64;
    let mean = total as f64 / index.occupied as f64;
    // What linear probing gives a uniform hash at this load.
    let uniform = 0.5 * (1.0 / (1.0 - load) - 1.0);
    assert!(
        mean < uniform * 1.2 + 0.05,
        "mean displacement {mean}, uniform {uniform}"
    );
    assert!(longest < 40, "longest displacement {longest}");
}

#[test]
fn entry_is_two_cache_lines() {
    assert_eq!(size_of::<Entry>(), 128);
    assert_eq!(align_of::<Entry>(), 64);
    assert_eq!(size_of::<Flow>(), 112);
}

#[test]
fn a_flow_keeps_the_interface_of_its_first_packet() {
    let mut table = FlowTable::new(16, Timeouts::default());
    let packet = |v: PacketView, interface: u16| {
        let keyed = FlowKey::new(v.src, v.src_port, v.dst, v.dst_port, v.proto, 0, 0);
        FlowPacket::from_view(&v, keyed, keyed.0.hash64(), 100, Timestamp::from_secs(1), 1)
            .on_interface(interface)
    };
    let first = table.update_hashed(packet(view(A, 40000, B, 554, 6, SYN), 1), &mut |_, _| {});
    // The answer seen on another interface (both sides mirrored apart)
    // is the same flow, still named by its first packet's interface.
    let answer = table.update_hashed(
        packet(view(B, 554, A, 40000, 6, SYN | ACK), 0),
        &mut |_, _| {},
    );
    assert_eq!(answer.index, first.index);
    assert_eq!(table.flow(first.index).interface, 1);
}

proptest! {
    #[test]
    fn index_follows_random_ops(
        ops in proptest::collection::vec((0u8..4, 0u64..200), 0..1500),
        which in 0usize..3,
    ) {
        let hash = [spread, clashing, progression][which];
        let mut model = IndexModel::new(hash);
        for (op, key) in ops {
            match op {
                0 | 1 => model.insert(key),
                2 => model.remove(key, key.is_multiple_of(2)),
                _ => prop_assert_eq!(
                    model.find(key).ok().map(|(_, i)| i),
                    model.reference.get(&key).copied()
                ),
            }
        }
        model.check();
    }

    #[test]
    fn table_stays_consistent_under_random_traffic(
        packets in proptest::collection::vec(
            (0u16..64, 0u16..6, prop::sample::select(vec![0u8, SYN, SYN | ACK, ACK, FIN | ACK, RST]), 0u64..40),
            1..400,
        ),
        capacity in 1usize..48,
    ) {
        let mut run = Run::new(capacity);
        let mut secs = 1_000u64;
        for (host, port, flags, gap) in packets {
            secs += gap;
            let proto = if port.is_multiple_of(3) { 17 } else { 6 };
            let flags = if proto == 6 { flags } else { 0 };
            let a = [10, 0, (host >> 8) as u8, host as u8];
            let v = if port.is_multiple_of(2) {
                view(a, 40_000 + port, B, 554, proto, flags)
            } else {
                view(B, 554, a, 40_000 + port, proto, flags)
            };
            let outcome = run.packet(v, secs);
            prop_assert!(run.table.len() <= capacity);
            let key = run.table.flow(outcome.index).key;
            prop_assert_eq!(keyed(&v), key);
            if secs.is_multiple_of(7) {
                run.expire(secs);
            }
            run.table.check();
        }
        let c = run.table.counters();
        prop_assert_eq!(c.created, c.expired + c.evicted + run.table.len() as u64);
        let ended = &mut run.ended;
        run.table.flush(Timestamp::from_secs(secs), &mut |f, r| ended.push((f.key, r, f.packets)));
        run.table.check();
        prop_assert!(run.table.is_empty());
    }
}

proptest! {
    /// The same packets end the same flows at the same sweeps whether one
    /// table holds every flow or two or four share them out: the order of
    /// flow records cannot follow the number of workers.
    #[test]
    fn sweeps_end_the_same_flows_whatever_the_tables(
        packets in proptest::collection::vec(
            (0u8..24, 0u8..4, prop::sample::select(vec![u8::MAX, SYN, SYN | ACK, ACK, FIN | ACK, RST]),
             prop::sample::select(vec![0u32, 5, 700, 9_000, 29_000, 31_000, 61_000, 400_000]),
             proptest::bool::weighted(0.03)),
            1..300,
        ),
        sweep_every in 1usize..9,
    ) {
        let one = ends_by_sweep(&packets, 1, sweep_every);
        prop_assert_eq!(&one, &ends_by_sweep(&packets, 2, sweep_every));
        prop_assert_eq!(&one, &ends_by_sweep(&packets, 4, sweep_every));
    }
}

fn keyed(v: &PacketView) -> FlowKey {
    FlowKey::new(v.src, v.src_port, v.dst, v.dst_port, v.proto, 0, 0).0
}

#[test]
fn churn_reuses_memory() {
    let mut run = Run::new(100_000);
    for round in 0..4u64 {
        for i in 0..50_000u32 {
            let a = [10, 1, (i >> 8) as u8, i as u8];
            run.packet(view(a, 1000 + round as u16, B, 53, 17, 0), round * 1000);
        }
        run.expire(round * 1000 + 500);
        assert!(run.table.is_empty());
    }
    assert_eq!(run.ended.len(), 200_000);
    run.table.check();
    let before = run.table.memory_bytes();
    for i in 0..50_000u32 {
        let a = [10, 1, (i >> 8) as u8, i as u8];
        run.packet(view(a, 9, B, 53, 17, 0), 9000);
    }
    run.table.check();
    assert_eq!(run.table.memory_bytes(), before, "no growth on reuse");
    let per_flow = before / run.table.len();
    assert!(per_flow < 256, "{per_flow} bytes per flow");
}
