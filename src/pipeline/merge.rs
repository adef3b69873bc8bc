//! The collector's k-way merge: each worker sends its epoch as one or more
//! parts whose events and records are already in input order; the merge
//! walks the workers' heads and hands out the smallest, fetching a
//! worker's next part only once its current one is used up.
//!
//! This replaces collecting and sorting every event of an epoch: the sort
//! runs on the workers, in parallel, and at the end of input the flush of
//! every live flow streams through in parts instead of sitting whole in
//! the collector.

use crossbeam_channel::Receiver;

use super::batch::{EventOrder, WorkerOutput};
use super::records::RecordLine;
use crate::observation::Observation;

/// One item of the merged stream.
pub enum Item<'a> {
    Observation(&'a Observation),
    /// An encoded flow record, right after its flow's end observation
    /// when detection runs.
    Record(RecordLine<'a>),
}

/// One worker's current part and how far the merge has read it.
struct Stream {
    part: WorkerOutput,
    event: usize,
    record: usize,
}

impl Stream {
    /// The order of the next item, events before records of the same
    /// order (a flow's end observation goes to detection before its
    /// record is written, as it always has).
    fn head(&self) -> Option<(EventOrder, bool)> {
        let event = self.part.events.get(self.event).map(|e| (e.order, false));
        let records = &self.part.records;
        let record = (self.record < records.len()).then(|| (records.order(self.record), true));
        match (event, record) {
            (Some(e), Some(r)) => Some(e.min(r)),
            (e, r) => e.or(r),
        }
    }
}

/// The merge of one epoch over every worker.
pub struct EpochMerge<'r> {
    receivers: &'r [Receiver<WorkerOutput>],
    streams: Vec<Stream>,
}

/// A worker went away mid-run: nothing more will come.
#[derive(Debug)]
pub struct WorkerGone;

impl<'r> EpochMerge<'r> {
    /// Receives every worker's first part of the next epoch; `on_part`
    /// sees each part received (for its counters) before it is merged.
    pub fn start(
        receivers: &'r [Receiver<WorkerOutput>],
        on_part: &mut impl FnMut(usize, &mut WorkerOutput),
    ) -> Result<EpochMerge<'r>, WorkerGone> {
        let mut streams = Vec::with_capacity(receivers.len());
        for (index, receiver) in receivers.iter().enumerate() {
            let mut part = receiver.recv().map_err(|_| WorkerGone)?;
            on_part(index, &mut part);
            streams.push(Stream {
                part,
                event: 0,
                record: 0,
            });
        }
        Ok(EpochMerge { receivers, streams })
    }

    /// Whether any worker said this epoch is the last.
    pub fn last(&self) -> bool {
        self.streams.iter().any(|s| s.part.last)
    }

    /// Hands every item of the epoch to `each`, in input order.
    pub fn run(
        &mut self,
        on_part: &mut impl FnMut(usize, &mut WorkerOutput),
        each: &mut impl FnMut(Item<'_>),
    ) -> Result<(), WorkerGone> {
        loop {
            let mut best: Option<(usize, (EventOrder, bool))> = None;
            for index in 0..self.streams.len() {
                let head = loop {
                    let stream = &mut self.streams[index];
                    match stream.head() {
                        Some(head) => break Some(head),
                        None if stream.part.more => {
                            let mut part = self.receivers[index].recv().map_err(|_| WorkerGone)?;
                            on_part(index, &mut part);
                            *stream = Stream {
                                part,
                                event: 0,
                                record: 0,
                            };
                        }
                        None => break None,
                    }
                };
                if let Some(head) = head
                    && best.is_none_or(|(_, b)| head < b)
                {
                    best = Some((index, head));
                }
            }
            let Some((index, (_, is_record))) = best else {
                return Ok(());
            };
            let stream = &mut self.streams[index];
            if is_record {
                each(Item::Record(stream.part.records.record(stream.record)));
                stream.record += 1;
            } else {
                each(Item::Observation(
                    &stream.part.events[stream.event].observation,
                ));
                stream.event += 1;
            }
        }
    }
}
