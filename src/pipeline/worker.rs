//! A worker thread: owns its share of the flow table, applies each packet
//! of a batch to it, sweeps expired flows at the end of each epoch, and sends
//! the resulting events to the collector.
//!
//! The worker also does the per-flow work that needs no cross-flow state:
//! it encodes finished flows as records and puts its events and records in
//! input order, so the collector is left with a k-way merge of sorted
//! streams. The end-of-input flush goes out in parts of [`PART_ITEMS`], in
//! order, as the table drains: a million live flows never sit in one
//! message.

use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};

use super::FlowEncoding;
use super::batch::{
    Batch, Event, EventOrder, PacketRecord, WorkerOutput, packet_order, sweep_order,
};
use super::observe::{self, Emitter};
use super::watch::Watch;
use crate::flow::{EndReason, Flow, FlowTable, Timeouts};
use crate::observation::{FlowEnd, Observation};
use crate::stats::WorkerCounters;

/// Packets between a prefetch of a flow's index line and its update: far
/// enough for the line to arrive from memory, near enough to stay cached.
const PREFETCH_AHEAD: usize = 16;

/// Events plus records in one part of a flushing epoch: large enough that
/// the channel is not the cost, small enough that a flush of a million
/// flows holds only a few parts in flight.
pub const PART_ITEMS: usize = 16 * 1024;

pub struct WorkerConfig {
    pub capacity: usize,
    pub timeouts: Timeouts,
    /// Whether flow records are written.
    pub emit_flow_ends: bool,
    /// How flow records are encoded, here rather than in the collector.
    pub flow_encoding: FlowEncoding,
    /// Whether detection runs (flow starts, answers, bytes, payload hints).
    pub observe: bool,
    /// With detection: whom it watches, so that the rest stays here.
    pub watch: Option<Watch>,
}

/// Whether detection may care about a finished flow.
fn end_watched(watch: Option<&Watch>, flow: &Flow) -> bool {
    watch.is_none_or(|w| {
        let ts = flow.last_ts;
        flow.watched
            || w.watched(flow.initiator().0, None, ts)
            || w.watched(flow.responder().0, None, ts)
    })
}

/// Drops the events from `from` on that detection cannot care about (see
/// `watch`); returns whether the packet's flow is watched, when that had to
/// be found out. Computed only for packets that produced events: most
/// packets (video, bulk data) produce none.
fn keep_watched(
    watch: &Watch,
    events: &mut Vec<Event>,
    from: usize,
    record: &PacketRecord,
    flow: &Flow,
) -> bool {
    let view = &record.view;
    let mut flow_watched = None;
    let mut kept = from;
    for at in from..events.len() {
        let observation = &events[at].observation;
        let watched = *flow_watched.get_or_insert_with(|| {
            flow.watched
                || watch.watched(view.src, Some(view.src_mac), record.ts)
                || watch.watched(view.dst, Some(view.dst_mac), record.ts)
        });
        if watch.keeps(observation, watched) {
            events.swap(kept, at);
            kept += 1;
        }
    }
    events.truncate(kept);
    flow_watched == Some(true)
}

/// What one finished flow produces: its record, when flow records are
/// written, and its end observation, when detection runs.
fn flow_ended(
    config: &WorkerConfig,
    out: &mut WorkerOutput,
    order: EventOrder,
    flow: &Flow,
    reason: EndReason,
) {
    if config.emit_flow_ends {
        out.records.push(order, flow, reason, &config.flow_encoding);
    }
    if config.observe && !end_watched(config.watch.as_ref(), flow) {
        out.held_back += 1;
    } else if config.observe {
        out.events.push(Event {
            order,
            observation: Observation::FlowEnd(FlowEnd {
                flow: Box::new(flow.clone()),
                reason,
            }),
        });
    }
}

/// Puts a part's events and records in input order. Events of one packet
/// are pushed in order; sweeps are not (expiry queues follow last
/// activity, the order follows the first packet).
fn sort_part(out: &mut WorkerOutput) {
    if !out.events.is_sorted_by_key(|e| e.order) {
        out.events.sort_unstable_by_key(|e| e.order);
    }
    out.records.sort();
}

pub fn run(
    mut config: WorkerConfig,
    batches: Receiver<Batch>,
    recycle: Sender<Batch>,
    output: Sender<WorkerOutput>,
) -> WorkerCounters {
    let mut table = FlowTable::new(config.capacity, config.timeouts);
    let mut counters = WorkerCounters::default();
    let emit_ends = config.emit_flow_ends || config.observe;
    let mut rtp = observe::RtpStreams::default();
    while let Ok(mut batch) = batches.recv() {
        let started = Instant::now();
        if let Some(watch) = config.watch.as_mut() {
            watch.begin_epoch(batch.epoch, &batch.candidates);
        }
        let mut out = WorkerOutput {
            epoch: batch.epoch,
            last: batch.last,
            ..WorkerOutput::default()
        };
        // Start fetching the index lines of the first packets; each update
        // then prefetches the one PREFETCH_AHEAD packets later, so cache
        // misses of different packets overlap (see the table's docs).
        for record in batch.packets.iter().take(PREFETCH_AHEAD) {
            table.prefetch(record.hash);
        }
        for (at, record) in batch.packets.iter().enumerate() {
            if let Some(ahead) = batch.packets.get(at + PREFETCH_AHEAD) {
                table.prefetch(ahead.hash);
            }
            let mut sub = 0u64;
            let outcome = table.update_hashed(record.flow_packet(), &mut |flow, reason| {
                if emit_ends {
                    flow_ended(
                        &config,
                        &mut out,
                        packet_order(record.seq, sub),
                        flow,
                        reason,
                    );
                    sub += 1;
                }
            });
            if record.media {
                table.mark_media(outcome.index, outcome.from_initiator);
            }
            if config.observe {
                let from = out.events.len();
                let mut emitter = Emitter {
                    events: &mut out.events,
                    seq: record.seq,
                    sub,
                    watch: config.watch.as_ref(),
                };
                let flow = table.flow(outcome.index);
                observe::flow_events(record, &outcome, flow, &mut emitter);
                if record.media {
                    rtp.media(record, &outcome, flow, &mut emitter);
                }
                observe::payload_events(record, batch.payload_of(record), &mut emitter);
                if let Some(watch) = config.watch.as_ref()
                    && out.events.len() > from
                {
                    let emitted = out.events.len();
                    let watched = keep_watched(watch, &mut out.events, from, record, flow);
                    out.held_back += (emitted - out.events.len()) as u64;
                    if watched && !flow.watched {
                        table.mark_watched(outcome.index);
                    }
                }
            }
        }
        if config.observe {
            for arp in &batch.arps {
                out.events.push(Event {
                    order: packet_order(arp.seq, 0),
                    observation: observe::arp_event(arp),
                });
            }
        }
        counters.packets += batch.packets.len() as u64;
        counters.peak_live_flows = counters.peak_live_flows.max(table.len() as u64);
        let end_seq = batch.end_seq;
        table.expire(batch.now, &mut |flow: &Flow, reason| {
            if emit_ends {
                let order = sweep_order(end_seq, flow.first_seq);
                flow_ended(&config, &mut out, order, flow, reason);
            }
        });
        sort_part(&mut out);
        let sent = if batch.last {
            flush(&config, &mut table, &batch, out, &output)
        } else {
            Some(out)
        };
        counters.batches += 1;
        let elapsed = started.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64;
        let _ = counters.batch_latency.record(elapsed.max(1));
        let last = batch.last;
        let Some(mut out) = sent else {
            break;
        };
        out.reader = std::mem::take(&mut batch.reader);
        out.table = table.counters();
        out.live_flows = table.len() as u64;
        out.batch_nanos = elapsed;
        if let Some(watch) = config.watch.as_mut() {
            out.refused = watch.take_refused();
        }
        if output.send(out).is_err() {
            break;
        }
        batch.clear();
        // The reader may already be gone at the end of input.
        let _ = recycle.send(batch);
        if last {
            break;
        }
    }
    counters.table = table.counters();
    counters
}

/// End of input: every live flow ends, in order of its first packet, and
/// goes out in parts as the table reports it. `out` holds the epoch's
/// packet events and sweep (sorted); sweep items interleave with the
/// flushed ones by first packet, so they are merged in on the way. Returns
/// the epoch's final part (`None` when the collector is gone).
fn flush(
    config: &WorkerConfig,
    table: &mut FlowTable,
    batch: &Batch,
    mut out: WorkerOutput,
    output: &Sender<WorkerOutput>,
) -> Option<WorkerOutput> {
    let first_sweep = sweep_order(batch.end_seq, 0);
    let swept_events = out.events.partition_point(|e| e.order < first_sweep);
    let mut swept_events = out.events.split_off(swept_events).into_iter().peekable();
    let swept_records = out.records.count_before(first_sweep);
    let swept = std::mem::take(&mut out.records);
    for at in 0..swept_records {
        out.records.push_from(&swept, at);
    }
    let mut swept_at = swept_records;
    let mut gone = false;
    let emit_ends = config.emit_flow_ends || config.observe;
    table.flush(batch.now, &mut |flow: &Flow, reason| {
        if gone || !emit_ends {
            return;
        }
        let order = sweep_order(batch.end_seq, flow.first_seq);
        while let Some(event) = swept_events.next_if(|e| e.order < order) {
            out.events.push(event);
        }
        while swept_at < swept.len() && swept.order(swept_at) < order {
            out.records.push_from(&swept, swept_at);
            swept_at += 1;
        }
        flow_ended(config, &mut out, order, flow, reason);
        if out.events.len() + out.records.len() >= PART_ITEMS {
            let next = WorkerOutput {
                epoch: out.epoch,
                last: out.last,
                ..WorkerOutput::default()
            };
            let mut part = std::mem::replace(&mut out, next);
            part.more = true;
            gone = output.send(part).is_err();
        }
    });
    if gone {
        return None;
    }
    out.events.extend(swept_events);
    while swept_at < swept.len() {
        out.records.push_from(&swept, swept_at);
        swept_at += 1;
    }
    Some(out)
}
