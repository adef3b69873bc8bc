//! Learning state at the end of a run: without a policy or baseline a
//! camera's first hour (`--learn-for`) only teaches its normal peers, so a
//! short capture raises nothing. The summary says so, camera by camera,
//! instead of leaving a newcomer to wonder why there are no alerts.

use std::fmt::Write as _;
use std::net::IpAddr;

use crate::detect::Engine;
use crate::timestamp::Timestamp;

/// Cameras named in the summary line before "and N more".
const LISTED: usize = 8;

/// The last packet time the inventory saw (the capture's end, as far as
/// cameras and known hosts go).
pub fn capture_end(engine: &Engine) -> Option<Timestamp> {
    let policy = engine.policy();
    let inventory = engine.inventory();
    let cameras = inventory.cameras(policy).into_iter();
    let others = inventory.known_hosts(policy).into_iter().map(|(_, h)| h);
    cameras.chain(others).map(|h| h.last_seen).max()
}

/// Cameras still learning at the end of the capture, with the packet time
/// their learning ends, in address order.
pub fn still_learning(engine: &Engine, learn_for: u64) -> Vec<(IpAddr, Timestamp)> {
    let Some(end) = capture_end(engine) else {
        return Vec::new();
    };
    if learn_for == 0 {
        return Vec::new();
    }
    engine
        .inventory()
        .cameras(engine.policy())
        .into_iter()
        .filter(|h| end.since(h.first_seen) < learn_for)
        .map(|h| (h.ip, h.first_seen.plus(learn_for)))
        .collect()
}

/// The summary's learning line(s); empty when no camera is learning.
pub fn learning_text(engine: &Engine, learn_for: u64) -> String {
    let learning = still_learning(engine, learn_for);
    let mut out = String::new();
    if learning.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "  learning: {} camera(s) still learning their normal peers (--learn-for {}s: new peers are learned, not alerted on):",
        learning.len(),
        learn_for / 1_000_000_000
    );
    for (ip, until) in learning.iter().take(LISTED) {
        let _ = writeln!(out, "    {ip} until {}", until.rfc3339_micros());
    }
    if learning.len() > LISTED {
        let _ = writeln!(out, "    and {} more", learning.len() - LISTED);
    }
    out
}
