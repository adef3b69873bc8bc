//! `flood-100k`: a camera sending 100,000 SYNs to distinct addresses,
//! played with the worm's scanner.

use std::io;

use crate::scenario::{self, BASE_TS};
use crate::site::CAMERAS;
use crate::traffic::{SEC, Sim};

use super::worm::{WormPlan, worm_port, worm_scan};

/// `flood-100k`: the flooding camera index (10.20.0.14).
pub const FLOOD_CAMERA: usize = 3;
/// `flood-100k`: SYNs sent, each to a distinct destination.
pub const FLOOD_SYNS: usize = 100_000;
/// `flood-100k`: one SYN in this many goes to 10.20.1.0-10.20.255.255
/// (10,000 internal destinations, never answered).
pub const FLOOD_INTERNAL_EVERY: usize = 10;
/// `flood-100k`: mean gap between SYNs (2,500 per second, 40 s in all).
pub const FLOOD_GAP: u64 = 400;
/// `flood-100k`: first SYN.
pub const FLOOD_START: u64 = 60 * SEC;
/// `flood-100k`: seed of the flood plan.
pub const FLOOD_PLAN_SEED: u64 = 0xf100d;
/// `flood-100k`: capture length.
pub const FLOOD_END: u64 = 180 * SEC;

/// The plan of `flood-100k`: 2% of external SYNs refused, 0.5% open.
pub fn flood_plan() -> WormPlan {
    WormPlan::new(
        FLOOD_PLAN_SEED,
        FLOOD_SYNS,
        FLOOD_GAP,
        FLOOD_INTERNAL_EVERY,
        20,
        5,
    )
}

pub(crate) fn flood_100k(sim: &mut Sim) -> io::Result<()> {
    let end = BASE_TS + FLOOD_END;
    scenario::background(sim, &scenario::standard_background(BASE_TS, end))?;
    let bot = CAMERAS[FLOOD_CAMERA].host;
    let sport = worm_port(sim);
    worm_scan(sim, &bot, sport, BASE_TS + FLOOD_START, &flood_plan())?;
    Ok(())
}
