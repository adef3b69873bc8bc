//! Attack scenarios seen on real camera sites, and the incident building
//! blocks `site-day-incidents` reuses: a compromised camera's slow,
//! ARP-heavy sweep of its subnet (`scan-slow-arp`), a Mirai-style worm
//! scanning the Internet (`worm-internet`), a 100,000-SYN flood
//! (`flood-100k`), and a scanner that is not a camera probing every
//! address of the camera subnet (`ghost-addresses`).
//!
//! Probe schedules, targets and answers come from fixed-seed plans (see
//! [`SweepPlan`], [`WormPlan`]), so counts and targets do not depend on the
//! scenario seed; the seed still moves the background, ports and sequence
//! numbers.
//!
//! Layout: one file per incident (`sweep.rs`, `worm.rs`, `flood.rs`,
//! `ghost.rs`), each with its facts (constants), plan and scenario; this
//! file holds what they share and re-exports them all.

use std::io;

use crate::site::{self, Host};
use crate::tls;
use crate::traffic::Sim;

mod flood;
mod ghost;
mod sweep;
#[cfg(test)]
mod tests;
mod worm;

pub use flood::*;
pub use ghost::*;
pub use sweep::*;
pub use worm::*;

/// An Internet host as the mirror port sees it: behind the gateway, with
/// the hop-count-reduced `ttl` it arrives with.
fn external(ip: [u8; 4], ttl: u8) -> Host {
    Host {
        mac: site::GATEWAY_MAC,
        ip,
        vlan: site::EXTERNAL,
        ttl,
    }
}

/// How a probed TCP port answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Nothing comes back.
    Silent,
    /// RST/ACK (closed).
    Reset,
    /// SYN/ACK (open).
    Open,
}

/// An unknown-egress contact by name: `cam` resolves `name`, opens TLS
/// with SNI `name` to `server` and exchanges a few small records.
pub fn egress_by_name(
    sim: &mut Sim,
    t: u64,
    cam: &Host,
    server: &Host,
    name: &str,
) -> io::Result<u64> {
    let t = sim.resolve(t, cam, name, server.ip, true)?;
    let hello = tls::Hello {
        sni: Some(name),
        alpn: &[],
    };
    sim.https(t + 600, cam, server, &hello, &[(380, 1_900), (240, 7_400)])
}
