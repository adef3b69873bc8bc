//! Camera policy detection.
//!
//! The [`Engine`] lives in the collector thread and receives every
//! observation in input order (see `pipeline::collector`), so cross-flow
//! state (per-camera counters, windows, the inventory) needs no locks and
//! gives the same alerts for any number of workers.
//!
//! For each observation the engine first updates shared knowledge (the
//! camera inventory, the name table, the baseline while learning), then
//! hands it to each detector. Detectors share one trait ([`Detector`],
//! here) and one [`Context`]; each lives in its own file or folder:
//! - `egress`: a camera starts a flow to a destination neither policy nor
//!   baseline allows;
//! - `scan/`: a camera probes hosts or ports (Threshold Random Walk plus
//!   distinct-target windows and ARP sweeps);
//! - `exfil/`: a camera uploads unusual volume to anything but a recorder;
//! - `sensor`: the inventory's bounds refused hosts (an identity flood).
//! - `exposure/`: a camera answers a host on the Internet, or asks the
//!   router to open a port to it (UPnP, NAT-PMP, PCP).
//! - `tamper/`: a camera's video stops, its address or stream is taken
//!   over, its firmware changes (the last two also as events).
//!
//! Around them:
//! - `context`: what detectors see ([`Knowledge`] and its read-only
//!   [`Context`] view, destination classes);
//! - `engine`: the [`Engine`] driving knowledge and detectors, then the
//!   policy's tuning and the incident layer;
//! - `stats`: alert counts, detection delays, policy drop counts;
//! - `incident`: folds repeated matches into incidents;
//! - `baseline`: what learning recorded;
//! - `window`: distinct keys within a sliding window (scan counts);
//! - `testing`: the detectors' unit-test harness.

pub mod baseline;
pub mod context;
pub mod egress;
pub mod engine;
pub mod exfil;
pub mod exposure;
pub mod incident;
pub mod relevance;
pub mod scan;
pub mod sensor;
pub mod stats;
pub mod tamper;
#[cfg(test)]
pub(crate) mod testing;
pub(crate) mod window;

pub use baseline::{Baseline, LearnedPeer};
pub use context::{Context, Knowledge, PeerClass, is_local_scope};
pub use engine::{Engine, EngineOptions};
pub use stats::{DetectionStats, DisableCount, SuppressCount, category_index};

use crate::alert::{Alert, Category, Rule};
use crate::observation::Observation;
use crate::timestamp::Timestamp;

/// A detector: sees every observation with the shared context and pushes
/// the alerts it raises.
pub trait Detector: Send {
    /// The category it reports under.
    fn category(&self) -> Category;

    fn observe(
        &mut self,
        context: &Context<'_>,
        observation: &Observation,
        alerts: &mut Vec<Alert>,
    );

    /// End of input: report what is still pending.
    fn finish(&mut self, _context: &Context<'_>, _now: Timestamp, _alerts: &mut Vec<Alert>) {}

    /// Moves the informational events (ECS `event.kind: "event"`) raised
    /// so far to `events`: they bypass the policy's tuning and the incident
    /// layer and are not counted as alerts.
    fn drain_events(&mut self, _events: &mut Vec<Alert>) {}

    /// Adds what the detector learned (upload volumes) to the baseline that
    /// `camsentry learn` writes.
    fn learned(&self, _baseline: &mut Baseline) {}
}

/// Every rule camsentry raises, in id order: what policy rule patterns
/// (`[[suppress]] rule`, a group's `disable` and `severity`) are checked
/// against.
pub const RULES: [Rule; 24] = [
    egress::RULE,
    exfil::RULE_BUDGET,
    exfil::RULE_BASELINE,
    exfil::RULE_SLOW,
    exposure::RULES[0],
    exposure::RULES[1],
    exposure::RULES[2],
    exposure::RULES[3],
    exposure::RULES[4],
    exposure::RULES[5],
    exposure::RULES[6],
    scan::RULES[0],
    scan::RULES[1],
    scan::RULES[2],
    scan::RULES[3],
    scan::RULES[4],
    scan::RULES[5],
    scan::RULES[6],
    sensor::RULE_OVERFLOW,
    tamper::RULES[0],
    tamper::RULES[1],
    tamper::RULES[2],
    tamper::RULES[3],
    tamper::RULES[4],
];
