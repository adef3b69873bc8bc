//! A worker thread: owns its share of the flow table, applies each packet
//! of a batch to it, sweeps expired flows at the end of each epoch, and sends
//! the resulting events to the collector.

use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};

use super::batch::{Batch, Event, WorkerOutput, packet_order, sweep_order};
use super::observe::{self, Emitter};
use crate::flow::{EndReason, Flow, FlowPacket, FlowTable, Timeouts};
use crate::observation::{FlowEnd, Observation};
use crate::stats::WorkerCounters;

/// Packets between a prefetch of a flow's index line and its update: far
/// enough for the line to arrive from memory, near enough to stay cached.
const PREFETCH_AHEAD: usize = 16;

pub struct WorkerConfig {
    pub capacity: usize,
    pub timeouts: Timeouts,
    /// Whether anything downstream wants finished flows.
    pub emit_flow_ends: bool,
    /// Whether detection runs (flow starts, answers, bytes, payload hints).
    pub observe: bool,
}

fn flow_end(order: (u64, u64), flow: &Flow, reason: EndReason) -> Event {
    Event {
        order,
        observation: Observation::FlowEnd(FlowEnd {
            flow: Box::new(flow.clone()),
            reason,
        }),
    }
}

pub fn run(
    config: WorkerConfig,
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
        let mut events: Vec<Event> = Vec::new();
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
            let packet = FlowPacket::from_view(
                &record.view,
                (record.key, record.src_is_lo),
                record.hash,
                record.wire_len,
                record.ts,
                record.seq,
            );
            let outcome = table.update_hashed(packet, &mut |flow, reason| {
                if emit_ends {
                    events.push(flow_end(packet_order(record.seq, sub), flow, reason));
                    sub += 1;
                }
            });
            if record.media {
                table.mark_media(outcome.index, outcome.from_initiator);
            }
            if config.observe {
                let mut emitter = Emitter {
                    events: &mut events,
                    seq: record.seq,
                    sub,
                };
                let flow = table.flow(outcome.index);
                observe::flow_events(record, &outcome, flow, &mut emitter);
                if record.media {
                    rtp.media(record, &outcome, flow, &mut emitter);
                }
                observe::payload_events(record, batch.payload_of(record), &mut emitter);
            }
        }
        if config.observe {
            for arp in &batch.arps {
                events.push(Event {
                    order: packet_order(arp.seq, 0),
                    observation: observe::arp_event(arp),
                });
            }
        }
        counters.packets += batch.packets.len() as u64;
        counters.peak_live_flows = counters.peak_live_flows.max(table.len() as u64);
        let end_seq = batch.end_seq;
        let mut on_end = |flow: &Flow, reason| {
            if emit_ends {
                events.push(flow_end(sweep_order(end_seq, flow.first_seq), flow, reason));
            }
        };
        if batch.last {
            table.flush(batch.now, &mut on_end);
        } else {
            table.expire(batch.now, &mut on_end);
        }
        counters.batches += 1;
        let elapsed = started.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64;
        let _ = counters.batch_latency.record(elapsed.max(1));
        let last = batch.last;
        let out = WorkerOutput {
            epoch: batch.epoch,
            last,
            events,
            reader: std::mem::take(&mut batch.reader),
            table: table.counters(),
            live_flows: table.len() as u64,
            batch_nanos: elapsed,
        };
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
