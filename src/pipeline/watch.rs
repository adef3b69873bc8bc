//! The workers' view of whom detection watches, so that observations no
//! detector can care about never leave the worker.
//!
//! The engine decides relevance exactly, in input order (`detect::relevance`):
//! a flow matters when an endpoint is a camera or a recorder, or may be one.
//! Most of that a worker can tell from the packet alone (a camera maker's
//! MAC, a policy group's range); the rest is what the collector learned
//! (a plain-MAC camera that answered RTSP, a recorder that pulls video) and
//! which camera makers' MACs turned out to be a router's or a spoofer's.
//! The collector sends that to every worker after each epoch as a
//! [`ViewUpdate`]: only additions, a few addresses at a time, through a
//! channel per worker, so a worker reads its own copy with no lock and no
//! shared cache line on the packet path. (A concurrent map shared by the
//! collector and the workers, and a snapshot swapped behind an atomic
//! pointer, were measured against this: `benches/watch.rs` and
//! BENCHMARKS.md.)
//!
//! **Determinism.** Worker and collector run concurrently, so what the
//! collector has learned when a worker handles epoch `e` depends on timing.
//! A worker therefore uses the view as of exactly epoch `e - VIEW_LAG`,
//! waiting for it if the collector is that far behind (rare: the queues
//! between them hold fewer epochs) and holding back updates that arrive
//! early. What a worker keeps is then a function of the input alone, and so
//! is every alert, whatever the number of workers.
//!
//! **The lag's blind spot.** A host that becomes a camera or recorder in
//! the last `VIEW_LAG` epochs is not in that view yet. The reader covers
//! the usual ways this happens: it lists, per epoch, the addresses whose
//! packets may make them one (RTSP spoken on its ports, WS-Discovery,
//! the receiver of RTP video), and workers count those as watched for the
//! epochs the view lags. A flow once seen as watched stays so (the flow
//! table keeps the bit), so its later byte chunks and end reach the engine
//! even when they carry no MAC.

use std::cell::Cell;
use std::collections::VecDeque;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::net::IpAddr;
use std::sync::Arc;

use crossbeam_channel::Receiver;

use super::batch::{Refused, RefusedHost, supersedes};
use crate::config::Policy;
use crate::detect::relevance::{Parties, Why, may_be_watched, parties};
use crate::observation::Observation;
use crate::timestamp::Timestamp;
use crate::vendor::Vendor;

/// Epochs between what the collector learned and the view a worker uses.
/// The queues let a worker run at most a few epochs ahead of the collector
/// (`QUEUE_BATCHES` batches in, twice that out), so it seldom waits.
pub const VIEW_LAG: u64 = 8;

/// What the collector learned while handling one epoch, for every worker.
#[derive(Debug, Clone, Default)]
pub struct ViewUpdate {
    pub epoch: u64,
    /// Hosts that became cameras or recorders.
    pub hosts: Vec<IpAddr>,
    /// Camera or recorder makers' MACs that turned out to speak for several
    /// addresses (no evidence any more).
    pub shared_macs: Vec<[u8; 6]>,
    /// A reloaded policy (SIGHUP).
    pub policy: Option<Arc<Policy>>,
    /// Every camera place is taken: a host that could only become a camera
    /// is refused (and counted) by the worker.
    pub cameras_full: bool,
}

/// One worker's view.
pub struct Watch {
    policy: Arc<Policy>,
    hosts: HashSet<IpAddr>,
    shared_macs: HashSet<[u8; 6]>,
    /// Epoch of the last update applied.
    applied: Option<u64>,
    /// Updates received but not due yet.
    early: VecDeque<ViewUpdate>,
    /// The reader's candidates, with the last epoch that listed each; those
    /// of the last `VIEW_LAG` epochs count.
    recent: HashMap<IpAddr, u64>,
    /// The epoch being handled.
    epoch: u64,
    updates: Receiver<ViewUpdate>,
    /// The collector is gone: nothing more will come.
    closed: bool,
    cameras_full: bool,
    /// Camera places refused this epoch: how many, and the latest (kept
    /// apart so that counting one is an add, not a copy of the whole).
    refused: Cell<u64>,
    refused_last: Cell<Option<RefusedHost>>,
    /// The vendor of recently looked-up MACs, direct-mapped: a site has few
    /// MACs per segment (hosts, the gateway), and the vendor table's three
    /// binary searches cost more than everything else a check does.
    vendors: Box<[Cell<Option<CachedVendor>>]>,
    /// This epoch's answers, direct-mapped by address. The view changes
    /// only between epochs, so an answer holds for the whole epoch; a
    /// flow asks about both ends at its first packet, its answer and its
    /// end, and under a flood inside a camera group the policy's ranges
    /// and selectors were most of a worker's detection cost.
    answers: Box<[Cell<Option<Answer>>]>,
    /// Changes whenever the view may have: answers of another generation
    /// are stale.
    generation: u64,
}

/// A MAC and its vendor (none: not a surveillance maker's).
type CachedVendor = ([u8; 6], Option<Vendor>);

/// Slots of [`Watch`]'s vendor cache.
const VENDOR_CACHE: usize = 256;

/// Slots of [`Watch`]'s answer cache (a power of two).
const ANSWER_CACHE: usize = 4096;

/// What [`Watch::watched`] answered for an endpoint in an epoch.
#[derive(Debug, Clone, Copy)]
struct Answer {
    generation: u64,
    ip: IpAddr,
    mac: Option<[u8; 6]>,
    verdict: Verdict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Watched,
    Unwatched,
    /// Not watched, and a refused camera place (counted at every asking,
    /// cached or not, so the count does not depend on the cache).
    Refused,
}

/// The answer cache's slot for `ip`: a multiplicative hash of the address
/// (flood addresses are consecutive, so low bits alone would do, but a
/// sweep's stride need not be).
fn answer_slot(ip: IpAddr) -> usize {
    let folded = match ip {
        IpAddr::V4(v4) => u64::from(u32::from(v4)),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            (bits as u64) ^ ((bits >> 64) as u64)
        }
    };
    (folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 52) as usize % ANSWER_CACHE
}

impl Watch {
    pub fn new(policy: Arc<Policy>, updates: Receiver<ViewUpdate>) -> Watch {
        Watch {
            policy,
            hosts: HashSet::new(),
            shared_macs: HashSet::new(),
            applied: None,
            early: VecDeque::new(),
            recent: HashMap::new(),
            epoch: 0,
            updates,
            closed: false,
            cameras_full: false,
            refused: Cell::new(0),
            refused_last: Cell::new(None),
            vendors: (0..VENDOR_CACHE).map(|_| Cell::new(None)).collect(),
            answers: (0..ANSWER_CACHE).map(|_| Cell::new(None)).collect(),
            generation: 0,
        }
    }

    /// Moves the view to epoch `epoch`: keeps the reader's list for it
    /// (`candidates`) and applies the collector's updates up to
    /// `epoch - VIEW_LAG`, waiting for them when needed.
    pub fn begin_epoch(&mut self, epoch: u64, candidates: &[IpAddr]) {
        self.epoch = epoch;
        self.generation += 1;
        // Candidates too old to count go every VIEW_LAG epochs, so the map
        // holds at most two lags' worth.
        if epoch.is_multiple_of(VIEW_LAG) {
            self.recent.retain(|_, listed| *listed + VIEW_LAG > epoch);
        }
        for ip in candidates {
            self.recent.insert(*ip, epoch);
        }
        let Some(due) = epoch.checked_sub(VIEW_LAG) else {
            return;
        };
        loop {
            while self.early.front().is_some_and(|u| u.epoch <= due) {
                if let Some(update) = self.early.pop_front() {
                    self.apply(update);
                }
            }
            if self.closed || self.applied.is_some_and(|a| a >= due) {
                return;
            }
            match self.updates.recv() {
                Ok(update) => self.early.push_back(update),
                Err(_) => self.closed = true,
            }
        }
    }

    fn apply(&mut self, update: ViewUpdate) {
        self.hosts.extend(update.hosts);
        self.shared_macs.extend(update.shared_macs);
        if let Some(policy) = update.policy {
            self.policy = policy;
        }
        self.cameras_full = update.cameras_full;
        self.applied = Some(update.epoch);
    }

    /// The refusals counted since the last call.
    pub fn take_refused(&mut self) -> Refused {
        Refused {
            count: self.refused.take(),
            last: self.refused_last.take(),
        }
    }

    /// Whether `ip` (sending from `mac`, when known) may be watched by the
    /// engine at `ts`. While every camera place is taken, a host that could
    /// only become a camera is refused here, as the engine would, and
    /// counted: under a flood inside a broad camera group that keeps the
    /// flood's flows in the worker.
    pub fn watched(&self, ip: IpAddr, mac: Option<[u8; 6]>, ts: Timestamp) -> bool {
        let slot = &self.answers[answer_slot(ip)];
        let verdict = match slot.get() {
            Some(answer)
                if answer.generation == self.generation && answer.ip == ip && answer.mac == mac =>
            {
                answer.verdict
            }
            _ => {
                let verdict = self.verdict(ip, mac);
                slot.set(Some(Answer {
                    generation: self.generation,
                    ip,
                    mac,
                    verdict,
                }));
                verdict
            }
        };
        if verdict == Verdict::Refused {
            self.refused.set(self.refused.get() + 1);
            let host = (ts, ip, mac);
            if supersedes(host, self.refused_last.get()) {
                self.refused_last.set(Some(host));
            }
        }
        verdict == Verdict::Watched
    }

    /// [`Watch::watched`]'s answer from the view itself.
    fn verdict(&self, ip: IpAddr, mac: Option<[u8; 6]>) -> Verdict {
        if self.hosts.contains(&ip)
            || self
                .recent
                .get(&ip)
                .is_some_and(|listed| *listed + VIEW_LAG > self.epoch)
        {
            return Verdict::Watched;
        }
        let shared = |m| self.shared_macs.contains(&m);
        match may_be_watched(&self.policy, ip, mac, shared, |m| self.vendor(m)) {
            None => Verdict::Unwatched,
            Some(Why::Recorder) => Verdict::Watched,
            Some(Why::Camera) if self.cameras_full && self.policy.is_internal(ip) => {
                Verdict::Refused
            }
            Some(Why::Camera) => Verdict::Watched,
        }
    }

    /// `crate::vendor::vendor`, through the cache.
    fn vendor(&self, mac: [u8; 6]) -> Option<Vendor> {
        let slot = &self.vendors[usize::from(mac[5] ^ mac[4] ^ mac[3]) % VENDOR_CACHE];
        if let Some((cached, vendor)) = slot.get()
            && cached == mac
        {
            return vendor;
        }
        let vendor = crate::vendor::vendor(mac);
        slot.set(Some((mac, vendor)));
        vendor
    }

    /// Whether the observation goes to the collector. `flow_watched`: the
    /// flow of a flow observation is watched (see the worker).
    pub fn keeps(&self, observation: &Observation, flow_watched: bool) -> bool {
        let ts = observation.ts();
        match parties(observation) {
            Parties::Flow(_) => flow_watched,
            Parties::Hosts(hosts) => hosts
                .into_iter()
                .flatten()
                .any(|(ip, mac)| self.watched(ip, mac, ts)),
            Parties::Evidence => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch(updates: Receiver<ViewUpdate>) -> Watch {
        let policy = Policy::from_str(
            "[site]\nrecorders = [\"10.20.0.2\"]\n\n[[group]]\nname = \"everything\"\nmatch = { cidr = [\"10.0.0.0/8\"] }\n",
            "test",
        )
        .unwrap();
        Watch::new(Arc::new(policy), updates)
    }

    fn at(secs: u64) -> Timestamp {
        Timestamp::from_secs(1_767_600_000 + secs)
    }

    /// Answers are cached within an epoch, counted at every asking, and
    /// never outlive the view they were computed from.
    #[test]
    fn cached_answers_count_every_refusal_and_follow_the_view() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut watch = watch(rx);
        let (flood, other) = ("10.64.0.9".parse().unwrap(), "10.64.0.10".parse().unwrap());
        let internet: IpAddr = "198.51.100.7".parse().unwrap();
        // Before the table is full a group address may become a camera.
        watch.begin_epoch(0, &[]);
        assert!(watch.watched(flood, None, at(0)));
        assert!(!watch.watched(internet, None, at(0)));
        // The collector says the camera table is full (as of epoch 0), and
        // later that `other` became a camera.
        for epoch in 0..=VIEW_LAG {
            let update = ViewUpdate {
                epoch,
                cameras_full: true,
                hosts: if epoch == 1 { vec![other] } else { vec![] },
                ..ViewUpdate::default()
            };
            tx.send(update).unwrap();
        }
        watch.begin_epoch(VIEW_LAG, &[]);
        // The answer of epoch 0 is stale: refused now, at every asking.
        for n in 0..3 {
            assert!(!watch.watched(flood, None, at(n)));
        }
        assert_eq!(watch.take_refused().count, 3);
        // `other` is not in the view of epoch VIEW_LAG - VIEW_LAG = 0...
        assert!(!watch.watched(other, None, at(5)));
        assert_eq!(watch.take_refused().count, 1);
        // ...but it is one epoch later, cached refusal or not.
        watch.begin_epoch(VIEW_LAG + 1, &[]);
        assert!(watch.watched(other, None, at(6)));
        assert!(watch.watched(other, None, at(6)));
        assert_eq!(watch.take_refused().count, 0);
        // A candidate the reader listed this epoch is watched at once.
        watch.begin_epoch(VIEW_LAG + 2, &[flood]);
        assert!(watch.watched(flood, None, at(7)));
        // The same address with another MAC is asked afresh.
        assert!(watch.watched(flood, Some([0x00, 0x11, 0x22, 0x33, 0x44, 0x55]), at(7)));
    }
}
